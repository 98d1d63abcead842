//! The investigation `vigil demo` runs, through the library crates: a
//! simulated estate swept with the built-in rules, its incidents built and
//! its exfiltration assessed — what a containment plan is made from.

use std::path::{Path, PathBuf};

use chrono::Duration;
use vigil_correlate::CorrelationSet;
use vigil_exfil::{Assessment, HostEvidence, Scope, Settings, Window};
use vigil_incident::{Facts, Incident, Inventory, Options};
use vigil_sigma::{RuleSetBuilder, RuleSetOptions};
use vigil_simulate::Truth;

pub struct Investigation {
    pub truth: Truth,
    pub inventory: Inventory,
    pub incidents: Vec<Incident>,
    pub assessment: Assessment,
}

/// Simulates an estate of `hosts` over `days` at `seed` under `dir` and
/// investigates it.
pub fn simulated(seed: u64, hosts: usize, days: u32, dir: &Path) -> Investigation {
    let config = vigil_simulate::Config {
        seed,
        hosts,
        days,
        ..vigil_simulate::Config::default()
    };
    let summary = vigil_simulate::generate(&config, dir).expect("simulation");
    let inventory = Inventory::load(&dir.join("inventory.yaml")).expect("inventory");

    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    for rule in vigil_rules::builtin() {
        builder.add_text(&Path::new("builtin").join(rule.name), rule.text);
    }
    let (rules, report) = builder.build();
    let metas: Vec<_> = rules.rules().iter().map(|r| (*r.meta).clone()).collect();
    // Correlation results are left out; the base rules that only feed them
    // are not evidence on their own, as in `vigil incidents`.
    let (correlations, _) = CorrelationSet::build(&report.correlations, &metas);

    let (files, _) = vigil_sources::discover(&[dir.join("windows")]);
    let mut facts = Facts::new();
    let mut hosts = HostEvidence::new();
    let mut found = Vec::new();
    for file in &files {
        let _ = vigil_sources::read_file_mapped(
            file,
            &vigil_sources::Mappings::default(),
            &mut |event| {
                found.clear();
                rules.detect(&event, &mut found);
                found.retain(|d| !correlations.suppresses(d));
                hosts.observe(&event);
                facts.observe(&event, &found);
            },
            &mut |_| {},
        );
    }
    let incidents = vigil_incident::build(facts, Some(&inventory), &Options::default());

    let mut network = vigil_exfil::read::NetworkLog::default();
    for entry in std::fs::read_dir(dir.join("network")).expect("network folder") {
        let path: PathBuf = entry.expect("entry").path();
        if let Ok(Some(format)) = vigil_exfil::classify(&path, None) {
            vigil_exfil::read::read(&path, &format, &mut network).expect("network file");
        }
    }
    // As `vigil exfil` scopes it: an hour before the first evidence to a day after the last.
    let window = incidents
        .iter()
        .map(|i| i.first_evidence)
        .min()
        .zip(incidents.iter().map(|i| i.last_evidence).max())
        .map(|(first, last)| Window {
            start: first - Duration::hours(1),
            end: last + Duration::days(1),
        });
    let scope = Scope {
        window,
        hosts: incidents
            .iter()
            .flat_map(|i| i.hosts.iter().map(|h| h.host.clone()))
            .collect(),
        basis: "the incidents".into(),
    };
    let assessment = vigil_exfil::assess(
        &network,
        &hosts,
        Some(&inventory),
        &scope,
        &Settings::default(),
    );
    Investigation {
        truth: summary.truth,
        inventory,
        incidents,
        assessment,
    }
}
