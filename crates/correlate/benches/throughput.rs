//! Events per second through `Engine::observe`, by how many distinct groups
//! the input spreads over (1k, 100k, 1M).
//!
//! The base detections are built once, outside the timed loop: this measures
//! the correlation engine alone, not Sigma matching. Results and the machine
//! they were taken on are in `benches/RESULTS.md`.

use std::path::Path;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use vigil_correlate::{CorrelationSet, Engine, Limits};
use vigil_event::{Detection, Event, FieldValue, Position};
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

/// Events passed through `observe` per measured iteration.
const EVENTS: usize = 200_000;

fn throughput(c: &mut Criterion) {
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_text(Path::new("bench.yml"), RULES);
    let (rules, report) = builder.build();
    let metas: Vec<_> = rules.rules().iter().map(|r| (*r.meta).clone()).collect();
    let (set, errors) = CorrelationSet::build(&report.correlations, &metas);
    assert!(errors.is_empty(), "{errors:?}");

    let mut group = c.benchmark_group("observe");
    group.sample_size(10);
    group.warm_up_time(std::time::Duration::from_millis(500));
    group.measurement_time(std::time::Duration::from_secs(3));
    group.throughput(Throughput::Elements(EVENTS as u64));
    for keys in [1_000usize, 100_000, 1_000_000] {
        let input = workload(&rules, keys);
        let limits = Limits {
            max_groups_per_rule: keys,
            ..Limits::default()
        };
        group.bench_function(format!("{keys}_groups"), |b| {
            b.iter_batched_ref(
                || {
                    // Start from an engine that already holds every group.
                    let mut engine = Engine::new(&set, limits);
                    let mut out = Vec::new();
                    for (event, detection) in input.iter().take(keys) {
                        engine.observe(event, detection, &mut out);
                    }
                    engine
                },
                |engine| {
                    let mut out = Vec::new();
                    for (event, detection) in input.iter().skip(keys).take(EVENTS) {
                        engine.observe(event, detection, &mut out);
                    }
                    out.len()
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// Failed logons spread round-robin over `keys` user/address pairs, ten per
/// second, each with its matching base detection.
fn workload(rules: &vigil_sigma::RuleSet, keys: usize) -> Vec<(Event, Detection)> {
    let start = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
    let mut base = Vec::new();
    (0..keys + EVENTS)
        .map(|i| {
            let k = i % keys;
            let mut event = Event::new("Security.evtx");
            event.timestamp = Some(start + chrono::Duration::milliseconds(i as i64 * 100));
            event.position = Position::Record(i as u64);
            event.insert("EventID", FieldValue::Int(4625));
            event.insert("Computer", FieldValue::from("dc01.clinic.local"));
            event.insert("TargetUserName", FieldValue::from(format!("user{k}")));
            event.insert(
                "IpAddress",
                FieldValue::from(format!("10.{}.{}.{}", k >> 16 & 255, k >> 8 & 255, k & 255)),
            );
            base.clear();
            rules.detect(&event, &mut base);
            let detection = base.pop().expect("the failed-logon rule matches");
            (event, detection)
        })
        .collect()
}

criterion_group!(benches, throughput);
criterion_main!(benches);
