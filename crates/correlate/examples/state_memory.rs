//! How much memory the correlation state takes per group: fills an engine
//! with N distinct groups (one failed logon each) and prints the process's
//! resident memory before and after, from `/proc/self/status`.
//!
//! ```sh
//! cargo run --release -p vigil-correlate --example state_memory -- 1000000
//! ```
//!
//! Figures are in `benches/RESULTS.md`.

use std::path::Path;

use chrono::{TimeZone, Utc};
use vigil_correlate::{CorrelationSet, Engine, Limits};
use vigil_event::{Event, FieldValue, Position};
use vigil_sigma::{RuleSetBuilder, RuleSetOptions};

const RULES: &str = r#"
title: Failed logon
id: 00000000-0000-4000-8000-0000000000f1
name: failed_logon
detection: { sel: { EventID: 4625 }, condition: sel }
---
title: Password spraying
id: 00000000-0000-4000-8000-0000000000f2
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [TargetUserName, IpAddress]
    timespan: 1h
    condition: { gte: 50 }
"#;

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let groups: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_text(Path::new("memory.yml"), RULES);
    let (rules, report) = builder.build();
    let metas: Vec<_> = rules.rules().iter().map(|r| (*r.meta).clone()).collect();
    let (set, errors) = CorrelationSet::build(&report.correlations, &metas);
    assert!(errors.is_empty(), "{errors:?}");
    let mut engine = Engine::new(
        &set,
        Limits {
            max_groups_per_rule: groups,
            ..Limits::default()
        },
    );
    let start = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
    let (mut base, mut out) = (Vec::new(), Vec::new());
    let before = resident_kib();
    for i in 0..groups {
        let mut event = Event::new("Security.evtx");
        event.timestamp = Some(start + chrono::Duration::milliseconds(i as i64));
        event.position = Position::Record(i as u64);
        event.insert("EventID", FieldValue::Int(4625));
        event.insert("Computer", FieldValue::from("dc01.clinic.local"));
        event.insert("TargetUserName", FieldValue::from(format!("user{i}")));
        event.insert(
            "IpAddress",
            FieldValue::from(format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255)),
        );
        base.clear();
        rules.detect(&event, &mut base);
        for detection in &base {
            engine.observe(&event, detection, &mut out);
        }
    }
    let after = resident_kib();
    let stats = engine.stats();
    println!(
        "{} groups held, {} events: resident {:.1} MB → {:.1} MB, {:.0} bytes per group",
        stats.groups,
        stats.events,
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        (after.saturating_sub(before) * 1024) as f64 / stats.groups.max(1) as f64
    );
}
