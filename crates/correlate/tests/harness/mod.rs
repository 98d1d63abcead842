//! Builds rules from YAML written in a test, events by hand, and runs them
//! through the Sigma engine and the correlation engine.

#![allow(dead_code)]

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use vigil_correlate::{CorrelationError, CorrelationSet, Engine, Limits, Stats};
use vigil_event::{Detection, Event, FieldValue, Position};
use vigil_sigma::{RuleSet, RuleSetBuilder, RuleSetOptions};

/// Base rules the tests correlate: each matches one `Action`.
pub const BASE_RULES: &str = r#"
title: Rule A
id: 00000000-0000-4000-8000-00000000000a
name: rule_a
detection: { sel: { Action: a }, condition: sel }
---
title: Rule B
id: 00000000-0000-4000-8000-00000000000b
name: rule_b
detection: { sel: { Action: b }, condition: sel }
---
title: Rule C
id: 00000000-0000-4000-8000-00000000000c
name: rule_c
detection: { sel: { Action: c }, condition: sel }
"#;

pub struct Loaded {
    pub rules: RuleSet,
    pub set: CorrelationSet,
    pub errors: Vec<CorrelationError>,
}

/// Loads rule files given as (file name, text).
pub fn load(files: &[(&str, &str)]) -> Loaded {
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    for (name, text) in files {
        builder.add_text(Path::new(name), text);
    }
    let (rules, report) = builder.build();
    assert!(
        report.failed.is_empty(),
        "rules refused: {:?}",
        report.failed
    );
    let metas: Vec<_> = rules.rules().iter().map(|r| (*r.meta).clone()).collect();
    let (set, errors) = CorrelationSet::build(&report.correlations, &metas);
    Loaded { rules, set, errors }
}

/// Base rules plus one correlation, which must load.
pub fn with_correlation(correlation: &str) -> Loaded {
    let loaded = load(&[("base.yml", BASE_RULES), ("correlation.yml", correlation)]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.set.len(), 1);
    loaded
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 8, 0, 0).unwrap()
}

/// An event `seconds` after [`t0`] with the given fields.
pub fn event(seconds: i64, fields: &[(&str, &str)]) -> Event {
    let mut e = Event::new("test.jsonl");
    e.timestamp = Some(t0() + chrono::Duration::seconds(seconds));
    e.position = Position::Line(seconds as u64 + 1);
    for (k, v) in fields {
        e.insert(*k, FieldValue::from(*v));
    }
    e
}

/// Runs events through both engines; returns correlation detections.
pub fn run(loaded: &Loaded, events: &[Event]) -> Vec<Detection> {
    run_with(loaded, events, Limits::default()).0
}

pub fn run_with(loaded: &Loaded, events: &[Event], limits: Limits) -> (Vec<Detection>, Stats) {
    let mut engine = Engine::new(&loaded.set, limits);
    let mut base = Vec::new();
    let mut out = Vec::new();
    for event in events {
        base.clear();
        loaded.rules.detect(event, &mut base);
        for d in &base {
            engine.observe(event, d, &mut out);
        }
    }
    let stats = engine.stats();
    engine.finish(&mut out);
    (out, stats)
}

pub fn detail<'d>(d: &'d Detection, name: &str) -> Option<&'d str> {
    d.details
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
