//! The investigation of host events: a sweep that also gathers the facts
//! incidents are built from and what the exfiltration assessment needs from
//! the hosts, then the incidents built from those facts.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use vigil_correlate::CorrelationSet;
use vigil_event::{Detection, Event};
use vigil_exfil::HostEvidence;
use vigil_incident::{Facts, Inventory, Options, Report};

use crate::ruleset::Loaded;
use crate::summary::HuntSummary;
use crate::sweep::{self, EventObserver, Sweep};

/// Gathers one file's facts. Detections of rules that only feed correlations
/// are not evidence on their own, as in the timeline.
struct Gatherer<'a> {
    facts: Facts,
    /// What the exfiltration assessment needs from the hosts' events.
    host: HostEvidence,
    correlations: &'a CorrelationSet,
    kept: Vec<Detection>,
}

impl EventObserver for Gatherer<'_> {
    fn event(&mut self, event: &Event, detections: &[Detection]) {
        self.host.observe(event);
        if detections.iter().any(|d| self.correlations.suppresses(d)) {
            self.kept.clear();
            self.kept.extend(
                detections
                    .iter()
                    .filter(|d| !self.correlations.suppresses(d))
                    .cloned(),
            );
            self.facts.observe(event, &self.kept);
        } else {
            self.facts.observe(event, detections);
        }
    }
}

/// An investigation's result, with where the time went.
pub struct Investigation {
    pub report: Report,
    pub summary: HuntSummary,
    /// Reading and matching, with the facts gathered.
    pub sweep: Duration,
    /// Grouping, scoping and credentials.
    pub building: Duration,
}

/// Sweeps `paths` with `loaded` and builds the incidents.
pub fn investigate(
    paths: &[PathBuf],
    loaded: &Loaded,
    inventory: Option<&Inventory>,
    options: &Options,
    threads: Option<usize>,
    progress: bool,
) -> anyhow::Result<Investigation> {
    let (files, discover_issues) = vigil_sources::discover(paths);
    let mut summary = HuntSummary::new(loaded);
    summary.issues.extend(discover_issues);
    if files.is_empty() {
        anyhow::bail!(
            "no readable log files (.evtx, .json, .jsonl, .ndjson, optionally .gz) under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let started = Instant::now();
    let (sweep, facts, _) = sweep_gathering(&files, loaded, threads, progress, summary)?;
    let sweep_time = started.elapsed();
    let started = Instant::now();
    let report = report(facts, sweep.detections.len(), inventory, options);
    let mut summary = sweep.summary;
    summary.detections = sweep.detections.len();
    Ok(Investigation {
        report,
        summary,
        sweep: sweep_time,
        building: started.elapsed(),
    })
}

/// [`sweep::sweep_observed`] that also gathers the facts incidents are built from, and
/// the host evidence the exfiltration assessment weighs.
pub fn sweep_gathering(
    files: &[vigil_sources::InputFile],
    loaded: &Loaded,
    threads: Option<usize>,
    progress: bool,
    summary: HuntSummary,
) -> anyhow::Result<(Sweep, Facts, HostEvidence)> {
    let inputs = sweep::Inputs {
        threads,
        progress,
        ..sweep::Inputs::new(files, loaded)
    };
    let (sweep, gathered) = sweep::sweep_observed(&inputs, summary, &|| Gatherer {
        facts: Facts::new(),
        host: HostEvidence::new(),
        correlations: &loaded.correlations,
        kept: Vec::new(),
    })?;
    let mut facts = Facts::new();
    let mut host = HostEvidence::new();
    for g in gathered {
        facts.merge(g.facts);
        host.merge(g.host);
    }
    // Correlation detections come last in the sweep and have no event of their own.
    let correlated = sweep.summary.correlation_detections;
    for d in &sweep.detections[sweep.detections.len().saturating_sub(correlated)..] {
        facts.add_detection(d);
    }
    Ok((sweep, facts, host))
}

/// Builds the incidents from the gathered facts.
pub fn report(
    facts: Facts,
    detections: usize,
    inventory: Option<&Inventory>,
    options: &Options,
) -> Report {
    let events = facts.events;
    let incidents = vigil_incident::build(facts, inventory, options);
    // Vigil's own findings (account changes, credential attacks) are in the
    // incidents' detections but not among the hunt's.
    let attached = incidents
        .iter()
        .flat_map(|i| &i.detections)
        .filter(|d| !d.finding)
        .count();
    Report {
        events,
        detections,
        unattached_detections: detections.saturating_sub(attached),
        incidents,
    }
}
