//! Events per second through `Engine::observe`, by how many distinct groups
//! the input spreads over (1k, 100k, 1M).
//!
//! The base detections are built once, outside the timed loop: this measures
//! the correlation engine alone, not Sigma matching. Results and the machine
//! they were taken on are in `benches/RESULTS.md`.

mod workload;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use vigil_correlate::{Engine, Limits};
use vigil_event::{Detection, Event};

/// Events passed through `observe` per measured iteration.
const EVENTS: usize = 200_000;

fn throughput(c: &mut Criterion) {
    let (rules, set) = workload::rules();

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
    let mut base = Vec::new();
    (0..keys + EVENTS)
        .map(|i| {
            let event = workload::failed_logon(i, i % keys, chrono::Duration::milliseconds(100));
            base.clear();
            rules.detect(&event, &mut base);
            let detection = base.pop().expect("the failed-logon rule matches");
            (event, detection)
        })
        .collect()
}

criterion_group!(benches, throughput);
criterion_main!(benches);
