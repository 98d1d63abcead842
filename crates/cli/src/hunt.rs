//! `vigil hunt`: read every input file in parallel, match each event against
//! the ruleset, and write the detections as a timeline.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use vigil_correlate::Limits;
use vigil_event::{Detection, Event};
use vigil_sources::{InputFile, IssueKind, SourceIssue};
use vigil_timeline::{write_timeline, TimelineFormat};

use crate::args::{Format, HuntArgs};
use crate::correlation;
use crate::ruleset::Loaded;
use crate::summary::HuntSummary;

/// The result of sweeping the inputs, before output.
pub struct Sweep {
    pub detections: Vec<Detection>,
    pub summary: HuntSummary,
}

pub fn run(args: &HuntArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let loaded = crate::ruleset::load(&args.rules)?;
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
    let sweep = sweep(&files, &loaded, limits, args.threads, progress, summary)?;
    let Sweep {
        mut detections,
        mut summary,
    } = sweep;
    detections.retain(|d| d.level >= args.min_level);
    summary.detections = detections.len();
    let format = match args.format {
        Format::Csv => TimelineFormat::Csv,
        Format::Jsonl => TimelineFormat::Jsonl,
    };
    match &args.output {
        Some(path) => {
            let file = File::create(path)
                .with_context(|| format!("cannot create the timeline file {}", path.display()))?;
            let mut out = BufWriter::new(file);
            write_timeline(&mut detections, format, &mut out)?;
            out.flush()?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            write_timeline(&mut detections, format, &mut out)?;
            out.flush()?;
        }
    }
    if !args.quiet {
        summary.print(started.elapsed());
    }
    Ok(ExitCode::SUCCESS)
}

/// Sees every event of one file as it is matched, with the detections it
/// raised; one observer per file, merged by the caller afterwards.
pub trait EventObserver: Send {
    fn event(&mut self, event: &Event, detections: &[Detection]);
}

/// The plain hunt observes nothing; monomorphised away.
struct Unobserved;

impl EventObserver for Unobserved {
    #[inline(always)]
    fn event(&mut self, _: &Event, _: &[Detection]) {}
}

/// Reads and matches every file, in parallel across files, then runs the
/// correlations over the detections of all files in time order.
pub fn sweep(
    files: &[InputFile],
    loaded: &Loaded,
    limits: Limits,
    threads: Option<usize>,
    progress: bool,
    summary: HuntSummary,
) -> anyhow::Result<Sweep> {
    let (sweep, _) = sweep_observed(files, loaded, limits, threads, progress, summary, &|| {
        Unobserved
    })?;
    Ok(sweep)
}

/// [`sweep`], with an observer per file made by `observer`; returns the
/// observers of all files with the sweep.
pub fn sweep_observed<O: EventObserver>(
    files: &[InputFile],
    loaded: &Loaded,
    limits: Limits,
    threads: Option<usize>,
    progress: bool,
    mut summary: HuntSummary,
    observer: &(dyn Fn() -> O + Sync),
) -> anyhow::Result<(Sweep, Vec<O>)> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .context("cannot start worker threads")?;
    let total_bytes: u64 = files.iter().map(|f| f.size).sum();
    let bar = if progress {
        let bar = ProgressBar::new(total_bytes);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let issues = Mutex::new(Vec::new());
    let (rules, set) = (&loaded.rules, &loaded.correlations);
    let correlating = !set.is_empty();
    let results: Vec<_> = pool.install(|| {
        files
            .par_iter()
            .map(|file| {
                let mut seen = observer();
                let mut detections = Vec::new();
                let mut held = Vec::new();
                let mut local_issues: Vec<SourceIssue> = Vec::new();
                let read = vigil_sources::read_file(
                    file,
                    &mut |event| {
                        let before = detections.len();
                        rules.detect(&event, &mut detections);
                        seen.event(&event, &detections[before..]);
                        if correlating && detections.len() > before {
                            correlation::hold(set, &event, &detections[before..], &mut held);
                        }
                    },
                    &mut |issue| local_issues.push(issue),
                );
                let (events, ok) = match read {
                    Ok(report) => (report.events, true),
                    Err(error) => {
                        local_issues.push(SourceIssue::new(
                            &file.path,
                            "",
                            error.to_string(),
                            IssueKind::Skipped,
                        ));
                        (0, false)
                    }
                };
                if !local_issues.is_empty() {
                    issues
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend(local_issues);
                }
                bar.inc(file.size);
                bar.set_message(format!("{} detections", detections.len()));
                (detections, held, events, ok, seen)
            })
            .collect()
    });
    bar.finish_and_clear();
    let mut detections = Vec::new();
    let mut held = Vec::new();
    let mut observers = Vec::with_capacity(results.len());
    for (found, kept, events, ok, seen) in results {
        observers.push(seen);
        summary.files += 1;
        if !ok {
            summary.unreadable_files += 1;
        }
        summary.events += events;
        detections.extend(found);
        held.extend(kept);
    }
    if correlating {
        let (fired, stats) = correlation::evaluate(set, held, limits);
        // Rules that only feed correlations (`generate` not set) are not
        // reported on their own.
        let before = detections.len();
        detections.retain(|d| !set.suppresses(d));
        summary.held_back = before - detections.len();
        summary.correlation_detections = fired.len();
        summary.correlation_stats = Some(stats);
        detections.extend(fired);
    }
    summary.bytes = total_bytes;
    summary
        .issues
        .extend(issues.into_inner().unwrap_or_else(|e| e.into_inner()));
    Ok((
        Sweep {
            detections,
            summary,
        },
        observers,
    ))
}
