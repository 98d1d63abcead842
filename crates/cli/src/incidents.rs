//! `vigil incidents`: hunt the inputs while gathering the events around each
//! detection, then group detections into incidents and write the report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use vigil_correlate::CorrelationSet;
use vigil_event::{Detection, Event};
use vigil_exfil::HostEvidence;
use vigil_incident::{Facts, Inventory, Options, Report};

use crate::args::IncidentsArgs;
use crate::hunt::{self, EventObserver};
use crate::ruleset::Loaded;
use crate::summary::HuntSummary;

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

/// [`hunt::sweep_observed`] that also gathers the facts incidents are built from, and
/// the host evidence the exfiltration assessment weighs.
pub fn sweep_gathering(
    files: &[vigil_sources::InputFile],
    loaded: &Loaded,
    threads: Option<usize>,
    progress: bool,
    summary: HuntSummary,
) -> anyhow::Result<(hunt::Sweep, Facts, HostEvidence)> {
    let inputs = hunt::Inputs {
        threads,
        progress,
        ..hunt::Inputs::new(files, loaded)
    };
    let (sweep, gathered) = hunt::sweep_observed(&inputs, summary, &|| Gatherer {
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

pub fn run(args: &IncidentsArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let loaded = crate::ruleset::load(&args.rules)?;
    if loaded.rules.is_empty() {
        anyhow::bail!("no rule could be loaded; nothing to hunt with");
    }
    let inventory = args.inventory.as_deref().map(Inventory::load).transpose()?;
    let options = Options {
        seed_level: args.seed_level,
        clock_skew: args.clock.clock_skew,
        ..Options::default()
    };
    let progress = !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let investigation = investigate(
        &args.paths,
        &loaded,
        inventory.as_ref(),
        &options,
        args.threads,
        progress,
    )?;
    let markdown = vigil_incident::markdown(&investigation.report);
    if let Some(out) = &args.out {
        write_report(out, &investigation.report, &markdown)?;
    }
    print!("{markdown}");
    if !args.quiet {
        investigation.summary.print(started.elapsed());
        let report = &investigation.report;
        let items = report.events + report.detections as u64;
        eprintln!(
            "incident building: {:.3} s for {} events and {} detections ({:.0} ns per event or detection), after a {:.3} s sweep",
            investigation.building.as_secs_f64(),
            report.events,
            report.detections,
            investigation.building.as_nanos() as f64 / items.max(1) as f64,
            investigation.sweep.as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes incidents.json and incidents.md into `out`.
pub fn write_report(out: &Path, report: &Report, markdown: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    let json = out.join("incidents.json");
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(&json, text).with_context(|| format!("cannot write {}", json.display()))?;
    let md = out.join("incidents.md");
    std::fs::write(&md, markdown).with_context(|| format!("cannot write {}", md.display()))?;
    Ok(())
}
