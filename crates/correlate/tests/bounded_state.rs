//! State stays within its limits under a flood of distinct groups, and the
//! limits that bite are reported.

mod harness;

use harness::{event, run_with, with_correlation};
use vigil_correlate::Limits;

#[test]
fn a_flood_of_groups_is_capped_and_evictions_are_counted() {
    let loaded = with_correlation(
        "title: Flood\nid: corr-flood\ncorrelation:\n  type: value_count\n  rules: [rule_a]\n  group-by: [User]\n  timespan: 1d\n  condition: { field: Target, gte: 1000 }\n",
    );
    let events: Vec<_> = (0..10_000)
        .map(|i| {
            let user = format!("user{i}");
            event(
                i / 100,
                &[("Action", "a"), ("User", &user), ("Target", "x")],
            )
        })
        .collect();
    let limits = Limits {
        max_groups_per_rule: 100,
        max_events_per_group: 10,
        max_record_ids: 5,
    };
    let (fired, stats) = run_with(&loaded, &events, limits);
    assert!(fired.is_empty());
    assert_eq!(stats.groups, 100);
    assert!(stats.events <= 100 * 10);
    assert_eq!(stats.evicted_groups(), 10_000 - 100);
    assert_eq!(stats.rules[0].rule_id.as_ref(), "corr-flood");
    assert_eq!(stats.rules[0].evicted_groups, 9_900);
}

#[test]
fn a_flood_of_events_in_one_group_is_capped_and_counted() {
    let loaded = with_correlation(
        "title: Sum\ncorrelation:\n  type: value_sum\n  rules: [rule_a]\n  group-by: [User]\n  timespan: 1d\n  condition: { field: Bytes, gt: 1000000000 }\n",
    );
    let events: Vec<_> = (0..1_000)
        .map(|i| event(i, &[("Action", "a"), ("User", "u"), ("Bytes", "1")]))
        .collect();
    let limits = Limits {
        max_events_per_group: 50,
        ..Limits::default()
    };
    let (_, stats) = run_with(&loaded, &events, limits);
    assert_eq!(stats.events, 50);
    assert_eq!(stats.rules[0].dropped_events, 950);
}

#[test]
fn expired_groups_are_released() {
    let loaded = with_correlation(
        "title: Burst\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  group-by: [User]\n  timespan: 1m\n  condition: { gte: 5 }\n",
    );
    // One event per user per second; each user's window ends a minute later.
    let events: Vec<_> = (0..600)
        .map(|i| {
            let user = format!("user{i}");
            event(i, &[("Action", "a"), ("User", &user)])
        })
        .collect();
    let (_, stats) = run_with(&loaded, &events, Limits::default());
    assert!(stats.groups <= 62, "{} groups held", stats.groups);
    assert_eq!(stats.evicted_groups(), 0);
}
