//! `vigil hunt`: read every input file in parallel, match each event against
//! the ruleset, and write the detections as a timeline.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use vigil_correlate::Limits;
use vigil_investigate::sweep::{hunt_into, Inputs, Timeline};
use vigil_investigate::HuntSummary;
use vigil_timeline::TimelineFormat;

use crate::args::{Format, HuntArgs};

pub fn run(args: &HuntArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let loaded = vigil_investigate::load(&args.rules.spec())?;
    let (files, discover_issues) = vigil_sources::discover(&args.paths);
    let mut summary = HuntSummary::new(&loaded);
    summary.issues.extend(discover_issues);
    if loaded.rules.is_empty() {
        summary.print(started.elapsed());
        anyhow::bail!("no rule could be loaded; nothing to hunt with");
    }
    if files.is_empty() {
        summary.print(started.elapsed());
        anyhow::bail!(
            "no readable log files (.evtx, .json, .jsonl, .ndjson, optionally .gz) under {}",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let progress = !args.quiet && std::io::stderr().is_terminal();
    let limits = Limits {
        max_groups_per_rule: args.correlation_groups,
        ..Limits::default()
    };
    let format = match args.format {
        Format::Csv => TimelineFormat::Csv,
        Format::Jsonl => TimelineFormat::Jsonl,
    };
    // Sorting spills to the output's folder unless told otherwise: the
    // system's temporary folder is often in memory.
    let temp_dir = match (&args.temp_dir, &args.output) {
        (Some(dir), _) => dir.clone(),
        (None, Some(output)) => output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
        (None, None) => std::env::temp_dir(),
    };
    let timeline = Timeline {
        format,
        min_level: args.min_level,
    };
    let run = |out: &mut dyn Write| {
        let inputs = Inputs {
            limits,
            threads: args.threads,
            progress,
            sort_memory: args.sort_memory.saturating_mul(1 << 20),
            temp_dir,
            ..Inputs::new(&files, &loaded)
        };
        hunt_into(&inputs, summary, &timeline, out)
    };
    let summary = match &args.output {
        Some(path) => {
            let file = File::create(path)
                .with_context(|| format!("cannot create the timeline file {}", path.display()))?;
            let mut out = BufWriter::new(file);
            let summary = run(&mut out)?;
            out.flush()
                .with_context(|| format!("cannot write the timeline file {}", path.display()))?;
            summary
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            let summary = run(&mut out)?;
            out.flush()?;
            summary
        }
    };
    if !args.quiet {
        summary.print(started.elapsed());
    }
    Ok(ExitCode::SUCCESS)
}
