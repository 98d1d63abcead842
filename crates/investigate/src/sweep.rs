//! The sweep: every input file read and matched in parallel, the
//! detections handed to a sink as they are found, an observer per file
//! seeing every event, and the correlations run over all files' detections
//! in time order at the end.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::Mutex;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use vigil_correlate::Limits;
use vigil_event::{Detection, Event, Level};
use vigil_sources::{FileReport, InputFile, IssueKind, SourceIssue};
use vigil_timeline::spill::ExternalSort;
use vigil_timeline::{Entry, TimelineFormat, TimelineSorter};

use crate::correlation::{self, Held};
use crate::ruleset::Loaded;
use crate::summary::HuntSummary;

/// The result of sweeping the inputs, before output.
pub struct Sweep {
    pub detections: Vec<Detection>,
    pub summary: HuntSummary,
}

/// What a sweep reads and matches, and how.
pub struct Inputs<'a> {
    pub files: &'a [InputFile],
    pub loaded: &'a Loaded,
    pub limits: Limits,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Show a progress bar.
    pub progress: bool,
    /// Bytes each sort (the timeline's, the correlation pass's) holds in
    /// memory before runs go to disk.
    pub sort_memory: usize,
    /// Where the sorts' runs go.
    pub temp_dir: PathBuf,
}

/// `vigil hunt`'s default `--sort-memory`, in bytes.
pub const SORT_MEMORY: usize = 32 << 20;

impl<'a> Inputs<'a> {
    /// All files with the defaults: one thread per core, no progress bar,
    /// the default correlation limits and sort memory, the system's
    /// temporary folder.
    pub fn new(files: &'a [InputFile], loaded: &'a Loaded) -> Inputs<'a> {
        Inputs {
            files,
            loaded,
            limits: Limits::default(),
            threads: None,
            progress: false,
            sort_memory: SORT_MEMORY,
            temp_dir: std::env::temp_dir(),
        }
    }
}

/// How the timeline is written.
pub struct Timeline {
    pub format: TimelineFormat,
    /// Detections below it are left out.
    pub min_level: Level,
}

/// Sweeps `files` and writes the timeline of their detections, sorted, to
/// `out`, holding at most `timeline.sort_memory` of it in memory.
pub fn hunt_into(
    inputs: &Inputs,
    summary: HuntSummary,
    timeline: &Timeline,
    out: &mut dyn Write,
) -> anyhow::Result<HuntSummary> {
    let sink = TimelineSink {
        sorter: TimelineSorter::new(timeline.format, inputs.sort_memory, inputs.temp_dir.clone()),
        min_level: timeline.min_level,
    };
    let (mut summary, _) = sweep_into(inputs, summary, &|| Unobserved, &sink)?;
    let written = sink.sorter.finish(out)?;
    summary.detections = written.detections as usize;
    summary.sort_runs = written.runs;
    Ok(summary)
}

/// Receives the detections of a sweep as they are found, from the worker
/// threads, in batches.
pub trait DetectionSink: Sync {
    /// `detections` were found in input file `file` (its index; the
    /// correlations' come last, as file `files.len()`), numbered from
    /// `first` among that file's detections.
    fn accept(&self, file: u32, first: u64, detections: Vec<Detection>) -> anyhow::Result<()>;
}

/// The hunt's sink: renders detections at or above a level into the sorted
/// timeline.
struct TimelineSink {
    sorter: TimelineSorter,
    min_level: Level,
}

impl DetectionSink for TimelineSink {
    fn accept(&self, file: u32, first: u64, detections: Vec<Detection>) -> anyhow::Result<()> {
        let format = self.sorter.format();
        let entries = detections
            .iter()
            .zip(first..)
            .filter(|(d, _)| d.level >= self.min_level)
            .map(|(d, n)| Entry::render(d, format, (file, n)))
            .collect::<Result<Vec<_>, _>>()?;
        self.sorter.add(entries)?;
        Ok(())
    }
}

/// Keeps every detection, in the order of the files and within each file.
#[derive(Default)]
struct Collect {
    batches: Mutex<Vec<(u32, u64, Vec<Detection>)>>,
}

impl DetectionSink for Collect {
    fn accept(&self, file: u32, first: u64, detections: Vec<Detection>) -> anyhow::Result<()> {
        self.batches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((file, first, detections));
        Ok(())
    }
}

impl Collect {
    fn into_detections(self) -> Vec<Detection> {
        let mut batches = self.batches.into_inner().unwrap_or_else(|e| e.into_inner());
        batches.sort_unstable_by_key(|&(file, first, _)| (file, first));
        batches
            .into_iter()
            .flat_map(|(_, _, found)| found)
            .collect()
    }
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

/// [`sweep_into`] keeping every detection in memory, in the order of the
/// files and within each file, with an observer per file made by
/// `observer`; returns the observers of all files with the sweep.
pub fn sweep_observed<O: EventObserver>(
    inputs: &Inputs,
    summary: HuntSummary,
    observer: &(dyn Fn() -> O + Sync),
) -> anyhow::Result<(Sweep, Vec<O>)> {
    let collect = Collect::default();
    let (mut summary, observers) = sweep_into(inputs, summary, observer, &collect)?;
    let detections = collect.into_detections();
    summary.detections = detections.len();
    Ok((
        Sweep {
            detections,
            summary,
        },
        observers,
    ))
}

/// Detections a worker hands to the sink at once.
const BATCH: usize = 1024;

/// Reads and matches every file, in parallel across files, handing the
/// detections to `sink` as they are found (base detections that only feed
/// correlations excepted), then runs the correlations over the detections
/// of all files in time order and hands over theirs.
pub fn sweep_into<O: EventObserver>(
    inputs: &Inputs,
    mut summary: HuntSummary,
    observer: &(dyn Fn() -> O + Sync),
    sink: &dyn DetectionSink,
) -> anyhow::Result<(HuntSummary, Vec<O>)> {
    let Inputs {
        files,
        loaded,
        limits,
        threads,
        progress,
        ..
    } = *inputs;
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
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let found = AtomicUsize::new(0);
    let (rules, set) = (&loaded.rules, &loaded.correlations);
    let correlating = !set.is_empty();
    let held_sort = ExternalSort::<Held>::new(inputs.sort_memory, inputs.temp_dir.clone());
    let results: Vec<_> = pool.install(|| {
        files
            .par_iter()
            .enumerate()
            .map(|(index, file)| {
                let index = u32::try_from(index).unwrap_or(u32::MAX);
                let mut seen = observer();
                let mut pending = Vec::new();
                let mut handed = 0u64;
                let mut held = Vec::new();
                let mut held_count = 0u64;
                let mut held_back = 0usize;
                let mut local_issues: Vec<SourceIssue> = Vec::new();
                let failed = |error: anyhow::Error| {
                    failure
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get_or_insert(error);
                };
                let hand_over = |pending: &mut Vec<Detection>, handed: &mut u64| {
                    let batch = std::mem::take(pending);
                    let count = batch.len();
                    found.fetch_add(count, AtomicOrdering::Relaxed);
                    if let Err(error) = sink.accept(index, *handed, batch) {
                        failed(error);
                    }
                    *handed += count as u64;
                };
                let keep = |held: &mut Vec<Held>| {
                    if let Err(error) = held_sort.add(std::mem::take(held)) {
                        failed(error.into());
                    }
                };
                let read = vigil_sources::read_file_mapped(
                    file,
                    &loaded.mappings,
                    &mut |event| {
                        let before = pending.len();
                        rules.detect(&event, &mut pending);
                        seen.event(&event, &pending[before..]);
                        if pending.len() == before {
                            return;
                        }
                        if correlating {
                            correlation::hold(
                                set,
                                &event,
                                &pending[before..],
                                (index, &mut held_count),
                                &mut held,
                            );
                            if held.len() >= BATCH {
                                keep(&mut held);
                            }
                            // Rules that only feed correlations (`generate`
                            // not set) are not reported on their own.
                            let mut position = before;
                            while position < pending.len() {
                                if set.suppresses(&pending[position]) {
                                    pending.remove(position);
                                    held_back += 1;
                                } else {
                                    position += 1;
                                }
                            }
                        }
                        if pending.len() >= BATCH {
                            hand_over(&mut pending, &mut handed);
                        }
                    },
                    &mut |issue| local_issues.push(issue),
                );
                if !pending.is_empty() {
                    hand_over(&mut pending, &mut handed);
                }
                if !held.is_empty() {
                    keep(&mut held);
                }
                let (report, ok) = match read {
                    Ok(report) => (report, true),
                    Err(error) => {
                        local_issues.push(SourceIssue::new(
                            &file.path,
                            "",
                            error.to_string(),
                            IssueKind::Skipped,
                        ));
                        (FileReport::default(), false)
                    }
                };
                if !local_issues.is_empty() {
                    issues
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend(local_issues);
                }
                bar.inc(file.size);
                bar.set_message(format!(
                    "{} detections",
                    found.load(AtomicOrdering::Relaxed)
                ));
                (held_back, report, ok, seen)
            })
            .collect()
    });
    bar.finish_and_clear();
    if let Some(error) = failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(error);
    }
    let mut observers = Vec::with_capacity(results.len());
    for (held_back, report, ok, seen) in results {
        observers.push(seen);
        summary.files += 1;
        if !ok {
            summary.unreadable_files += 1;
        }
        summary.held_back += held_back;
        summary.count_kinds(report);
    }
    summary.find_rules_for_nothing(rules);
    if correlating {
        let held = held_sort
            .finish()
            .context("cannot sort the detections held for correlation")?;
        summary.held_runs = held.runs;
        let (fired, stats) = correlation::evaluate(set, held, limits)
            .context("cannot read back the detections held for correlation")?;
        summary.correlation_detections = fired.len();
        summary.correlation_stats = Some(stats);
        let last = u32::try_from(files.len()).unwrap_or(u32::MAX);
        sink.accept(last, 0, fired)?;
    }
    summary.bytes = total_bytes;
    summary
        .issues
        .extend(issues.into_inner().unwrap_or_else(|e| e.into_inner()));
    Ok((summary, observers))
}
