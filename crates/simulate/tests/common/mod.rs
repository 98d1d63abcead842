//! Shared by the integration tests: a small simulation and the built-in rules
//! run over its Windows events.

#![allow(dead_code)] // each test file uses a part of it
use std::path::Path;

use vigil_event::Detection;
use vigil_sigma::{RuleSetBuilder, RuleSetOptions};
use vigil_simulate::Config;

/// Small enough for a debug build on two cores, long enough for both waves.
pub fn small(seed: u64, attack: bool) -> Config {
    Config {
        seed,
        hosts: 10,
        days: 5,
        rate: 20,
        attack,
        ..Config::default()
    }
}

/// Every detection of the built-in rule pack over the simulated Windows events.
pub fn detections(out: &Path) -> Vec<Detection> {
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    for rule in vigil_rules::builtin() {
        builder.add_text(Path::new(rule.name), rule.text);
    }
    let (rules, report) = builder.build();
    assert!(report.failed.is_empty(), "built-in rules failed to load");
    let (files, issues) = vigil_sources::discover(&[out.join("windows")]);
    assert!(issues.is_empty(), "{issues:?}");
    let mut found = Vec::new();
    for file in &files {
        let mut problems = Vec::new();
        vigil_sources::read_file(
            file,
            &mut |event| rules.detect(&event, &mut found),
            &mut |issue| problems.push(issue.to_string()),
        )
        .unwrap();
        assert!(problems.is_empty(), "{problems:?}");
    }
    found
}

/// `FS-01` from `FS-01.clinic.example`.
pub fn host_of(detection: &Detection) -> &str {
    let computer = detection.computer.as_deref().unwrap_or("");
    computer.split('.').next().unwrap_or(computer)
}
