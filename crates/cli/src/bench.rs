//! `vigil bench`: how fast each stage of a hunt runs on this machine, measured
//! side by side in one run so that ratios hold on a noisy machine.
//!
//! Stages, each over every input file in parallel (one file per worker):
//!
//! * `load`: reading and compiling the ruleset;
//! * `render`: the EVTX parser rendering each record to JSON text, and no
//!   more — what an EVTX-to-JSON converter does, the floor for the others;
//! * `decode`: reading files into events, matching nothing;
//! * `match`: reading and matching every event, writing nothing;
//! * `hunt`: the whole hunt, timeline written to a file.
//!
//! Each stage is run `--runs` times and the median reported. With
//! `--results FILE` a Markdown row per stage is appended to FILE with the
//! machine and date, so figures accumulate in the repository.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use rayon::prelude::*;
use vigil_event::Level;
use vigil_sources::{Format, InputFile};
use vigil_timeline::TimelineFormat;

use crate::args::BenchArgs;
use vigil_investigate::sweep::{hunt_into, Inputs, Timeline};
use vigil_investigate::HuntSummary;

struct Stage {
    name: &'static str,
    median: Duration,
    events: u64,
    bytes: u64,
}

pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let (found, issues) = vigil_sources::discover(&args.paths);
    for issue in &issues {
        eprintln!("{issue}");
    }
    anyhow::ensure!(!found.is_empty(), "no readable log files to measure");
    // The corpus repeated: each copy is read again, as a larger collection would be.
    let files: Vec<InputFile> = (0..args.repeat.max(1))
        .flat_map(|_| found.iter().cloned())
        .collect();
    let bytes: u64 = files.iter().map(|f| f.size).sum();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("cannot start worker threads")?;
    let runs = args.runs.max(1);
    let mut stages = Vec::new();

    let (load, loaded) = median(runs, || vigil_investigate::load(&args.rules.spec()))?;
    let rules = &loaded.rules;
    stages.push(Stage {
        name: "load",
        median: load,
        events: loaded.report.rules as u64,
        bytes: 0,
    });

    let evtx: Vec<&InputFile> = files
        .iter()
        .filter(|f| f.format == Format::Evtx && !f.gzip)
        .collect();
    let evtx_bytes = evtx.iter().map(|f| f.size).sum();
    let (render, rendered) = median(runs, || {
        Ok(pool.install(|| {
            evtx.par_iter()
                .map(|f| vigil_sources::render_only(&f.path).map_or(0, |(n, _)| n))
                .sum::<u64>()
        }))
    })?;
    stages.push(Stage {
        name: "render",
        median: render,
        events: rendered,
        bytes: evtx_bytes,
    });

    let (decode, decoded) = median(runs, || {
        Ok(pool.install(|| {
            files
                .par_iter()
                .map(|f| {
                    vigil_sources::read_file(f, &mut |_| {}, &mut |_| {}).map_or(0, |r| r.events)
                })
                .sum::<u64>()
        }))
    })?;
    stages.push(Stage {
        name: "decode",
        median: decode,
        events: decoded,
        bytes,
    });

    let (matching, matched) = median(runs, || {
        Ok(pool.install(|| {
            files
                .par_iter()
                .map(|f| {
                    let mut found = Vec::new();
                    let events = vigil_sources::read_file(
                        f,
                        &mut |e| {
                            rules.detect(&e, &mut found);
                            found.clear();
                        },
                        &mut |_| {},
                    );
                    events.map_or(0, |r| r.events)
                })
                .sum::<u64>()
        }))
    })?;
    stages.push(Stage {
        name: "match",
        median: matching,
        events: matched,
        bytes,
    });

    let scratch = tempfile_path()?;
    let (hunt, hunted) = median(runs, || {
        let summary = HuntSummary::new(&loaded);
        let out = std::fs::File::create(&scratch)
            .with_context(|| format!("cannot write {}", scratch.display()))?;
        let mut out = BufWriter::new(out);
        let timeline = Timeline {
            format: TimelineFormat::Jsonl,
            min_level: Level::Informational,
        };
        let inputs = Inputs {
            threads: args.threads,
            ..Inputs::new(&files, &loaded)
        };
        let summary = hunt_into(&inputs, summary, &timeline, &mut out)?;
        out.flush()?;
        Ok(summary.events)
    })?;
    let _ = std::fs::remove_file(&scratch);
    stages.push(Stage {
        name: "hunt",
        median: hunt,
        events: hunted,
        bytes,
    });

    let table = render_table(args, &stages, files.len(), render);
    print!("{table}");
    if let Some(path) = &args.results {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        file.write_all(table.as_bytes())?;
        eprintln!("appended to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `work` `runs` times; the median time and the last result.
fn median<T>(
    runs: usize,
    mut work: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<(Duration, T)> {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        last = Some(work()?);
        times.push(started.elapsed());
    }
    times.sort();
    Ok((times[times.len() / 2], last.expect("at least one run")))
}

fn tempfile_path() -> anyhow::Result<std::path::PathBuf> {
    Ok(std::env::temp_dir().join(format!("vigil-bench-{}.jsonl", std::process::id())))
}

fn render_table(args: &BenchArgs, stages: &[Stage], files: usize, floor: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n### {} — {} ({} files{}, {} runs, median)\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        machine(),
        files,
        if args.repeat > 1 {
            format!(", the inputs {} times over", args.repeat)
        } else {
            String::new()
        },
        args.runs.max(1),
    );
    let inputs: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
    let _ = writeln!(out, "inputs: `{}`\n", inputs.join(" "));
    let _ = writeln!(out, "| stage | time | items | items/s | MB/s | × render |");
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for stage in stages {
        let secs = stage.median.as_secs_f64();
        let rate = |n: f64| if secs > 0.0 { n / secs } else { 0.0 };
        let _ = writeln!(
            out,
            "| {} | {:.3} s | {} {} | {:.0} | {} | {} |",
            stage.name,
            secs,
            stage.events,
            if stage.name == "load" {
                "rules"
            } else {
                "events"
            },
            rate(stage.events as f64),
            if stage.bytes > 0 {
                format!("{:.1}", rate(stage.bytes as f64) / 1e6)
            } else {
                "—".to_string()
            },
            if stage.name == "load" || floor.is_zero() {
                "—".to_string()
            } else {
                format!("{:.2}", secs / floor.as_secs_f64())
            },
        );
    }
    out
}

/// The CPU model and core count, as the machine reports them.
pub fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{model}, {cores} cores")
}
