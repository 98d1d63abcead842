//! Command-line arguments, defined once with their help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use vigil_event::Level;

#[derive(Debug, Parser)]
#[command(
    name = "vigil",
    version,
    about = "Sigma-native intrusion detection and forensic triage for healthcare IT",
    long_about = "Vigil sweeps collected event logs with Sigma rules into a forensic timeline, \
                  and answers what happened, where and since when."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sweep EVTX and JSON log files with Sigma rules into a timeline of detections.
    Hunt(HuntArgs),
    /// Measure each stage of a hunt (load, render, decode, match, whole hunt) on this machine.
    Bench(BenchArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
}

/// Options shared by every command that loads rules.
#[derive(Debug, Args, Clone)]
pub struct RuleArgs {
    /// Sigma rule folder or file (repeatable). Without it, the built-in rule pack is used.
    #[arg(long = "rules", short = 'r', value_name = "DIR")]
    pub rules: Vec<PathBuf>,

    /// Use the built-in rule pack as well as --rules.
    #[arg(long)]
    pub builtin: bool,

    /// Values for an `expand` placeholder, e.g. `--placeholder Admins=adm_*,root` (repeatable).
    #[arg(long = "placeholder", value_name = "NAME=VALUES")]
    pub placeholders: Vec<String>,

    /// An extra logsource table (Vigil's YAML format) that adds to or overrides the built-in one.
    #[arg(long = "logsource", value_name = "FILE")]
    pub logsources: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Log files or folders (searched recursively): .evtx, .json, .jsonl, .ndjson, and the same gzipped.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub rules: RuleArgs,

    /// Timeline format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,

    /// Write the timeline to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Report only detections at or above this level.
    #[arg(long, value_name = "LEVEL", default_value = "informational", value_parser = parse_level)]
    pub min_level: Level,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Print no summary and no progress.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Log files or folders to measure on.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub rules: RuleArgs,

    /// Read the inputs this many times over, as a larger collection.
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,

    /// Runs of each stage; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Append the results table (Markdown, with machine and date) to this file.
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
}

fn parse_level(text: &str) -> Result<Level, String> {
    text.parse()
}
