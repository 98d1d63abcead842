//! Each correlation type against its stated semantics: a case that must
//! fire and near misses that must not.

mod harness;

use harness::{detail, event, run, run_with, with_correlation};
use vigil_correlate::Limits;

fn count_rule(condition: &str, timespan: &str) -> String {
    format!(
        "title: Burst\nid: corr-burst\nlevel: high\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  group-by: [User]\n  timespan: {timespan}\n  condition: {{ {condition} }}\n"
    )
}

fn a(seconds: i64, user: &str) -> vigil_event::Event {
    event(seconds, &[("Action", "a"), ("User", user)])
}

#[test]
fn event_count_fires_when_the_window_holds_enough() {
    let loaded = with_correlation(&count_rule("gte: 3", "60s"));
    // Exactly the timespan apart: the bounds are part of the window.
    let fired = run(&loaded, &[a(0, "alice"), a(30, "alice"), a(60, "alice")]);
    assert_eq!(fired.len(), 1);
    let d = &fired[0];
    assert_eq!(d.rule_id.as_ref(), "corr-burst");
    assert_eq!(d.rule_title.as_ref(), "Burst");
    assert_eq!(d.level, vigil_event::Level::High);
    assert_eq!(
        d.timestamp,
        Some(harness::t0() + chrono::Duration::seconds(60))
    );
    assert_eq!(detail(d, "User"), Some("alice"));
    assert_eq!(detail(d, "event_count"), Some("3"));
    assert_eq!(detail(d, "window_start"), Some("2024-03-01T08:00:00Z"));
    assert_eq!(detail(d, "window_end"), Some("2024-03-01T08:01:00Z"));
    assert_eq!(
        detail(d, "records"),
        Some("test.jsonl:1, test.jsonl:31, test.jsonl:61")
    );
    assert_eq!(detail(d, "record_count"), Some("3"));
}

#[test]
fn event_count_near_misses_do_not_fire() {
    let loaded = with_correlation(&count_rule("gte: 3", "60s"));
    // One event short.
    assert!(run(&loaded, &[a(0, "alice"), a(30, "alice")]).is_empty());
    // Spread one second wider than the timespan.
    assert!(run(&loaded, &[a(0, "alice"), a(30, "alice"), a(61, "alice")]).is_empty());
    // Enough events, but for different users.
    assert!(run(
        &loaded,
        &[a(0, "alice"), a(1, "bob"), a(2, "alice"), a(3, "bob")]
    )
    .is_empty());
}

#[test]
fn event_count_sees_a_burst_across_a_bucket_boundary() {
    // Four events around 09:00: hourly buckets would split them 2 + 2.
    let loaded = with_correlation(&count_rule("gte: 4", "1h"));
    let before = 3600 - 60;
    let events = [
        a(before, "alice"),
        a(before + 30, "alice"),
        a(3600 + 10, "alice"),
        a(3600 + 40, "alice"),
    ];
    assert_eq!(run(&loaded, &events).len(), 1);
}

#[test]
fn event_count_fires_once_per_burst_that_meets_the_condition() {
    let loaded = with_correlation(&count_rule("gte: 3", "10m"));
    let events: Vec<_> = (0..7).map(|i| a(i, "alice")).collect();
    // Seven events: 3 → fire, start afresh, 3 → fire, 1 left over.
    assert_eq!(run(&loaded, &events).len(), 2);
    let loaded = with_correlation(&count_rule("gt: 3", "10m"));
    assert_eq!(run(&loaded, &events[..3]).len(), 0);
    assert_eq!(run(&loaded, &events[..4]).len(), 1);
}

#[test]
fn upper_bounds_are_decided_when_the_window_closes() {
    let loaded = with_correlation(&count_rule("lt: 3", "60s"));
    let events = [
        a(0, "alice"),
        a(10, "alice"),
        a(0, "bob"),
        a(20, "bob"),
        a(40, "bob"),
        // Past alice's window: her window closes here, not at the end.
        a(200, "carol"),
    ];
    let fired = run(&loaded, &events);
    let users: Vec<_> = fired.iter().map(|d| detail(d, "User").unwrap()).collect();
    // alice (2) when carol's event closes her window, carol (1) at the end.
    assert_eq!(users, ["alice", "carol"]);
    assert_eq!(detail(&fired[0], "event_count"), Some("2"));
    assert_eq!(
        fired[0].timestamp,
        Some(harness::t0() + chrono::Duration::seconds(10))
    );
}

#[test]
fn ranges_combine_bounds() {
    let loaded = with_correlation(&count_rule("gt: 1, lte: 3", "60s"));
    assert_eq!(run(&loaded, &[a(0, "x"), a(1, "x")]).len(), 1);
    assert_eq!(run(&loaded, &[a(0, "x"), a(1, "x"), a(2, "x")]).len(), 1);
    assert!(run(&loaded, &[a(0, "x")]).is_empty());
    assert!(run(&loaded, &(0..4).map(|i| a(i, "x")).collect::<Vec<_>>()).is_empty());
    // A new window opens after the first closes.
    let two_windows = [a(0, "x"), a(1, "x"), a(100, "x"), a(101, "x")];
    assert_eq!(run(&loaded, &two_windows).len(), 2);
}

#[test]
fn value_count_counts_distinct_values() {
    let loaded = with_correlation(
        "title: Spray\ncorrelation:\n  type: value_count\n  rules: [rule_a]\n  group-by: [Computer]\n  timespan: 5m\n  condition: { field: User, gte: 3 }\n",
    );
    let e = |s: i64, user: &str| event(s, &[("Action", "a"), ("Computer", "dc1"), ("User", user)]);
    let fired = run(
        &loaded,
        &[e(0, "u1"), e(10, "u2"), e(20, "u1"), e(30, "u3")],
    );
    assert_eq!(fired.len(), 1);
    assert_eq!(detail(&fired[0], "value_count"), Some("3"));
    assert_eq!(fired[0].computer.as_deref(), Some("dc1"));
    // Without an id the name or title stands in as the rule id.
    assert_eq!(fired[0].rule_id.as_ref(), "Spray");
    // Four events but two values; and three values one second too far apart.
    assert!(run(&loaded, &[e(0, "u1"), e(1, "u2"), e(2, "u1"), e(3, "u2")]).is_empty());
    assert!(run(&loaded, &[e(0, "u1"), e(150, "u2"), e(301, "u3")]).is_empty());
}

fn temporal_rule(kind: &str, timespan: &str) -> String {
    format!(
        "title: Recon\nid: corr-recon\ncorrelation:\n  type: {kind}\n  rules: [rule_a, rule_b, rule_c]\n  group-by: [Computer, User]\n  timespan: {timespan}\n"
    )
}

fn step(seconds: i64, action: &str) -> vigil_event::Event {
    event(
        seconds,
        &[("Action", action), ("Computer", "ws7"), ("User", "alice")],
    )
}

#[test]
fn temporal_needs_every_rule_within_the_window_in_any_order() {
    let loaded = with_correlation(&temporal_rule("temporal", "5m"));
    let fired = run(&loaded, &[step(0, "c"), step(100, "a"), step(300, "b")]);
    assert_eq!(fired.len(), 1);
    assert_eq!(detail(&fired[0], "temporal"), Some("3"));
    assert_eq!(fired[0].computer.as_deref(), Some("ws7"));
    // One rule missing; one rule a second too late.
    assert!(run(&loaded, &[step(0, "a"), step(10, "b"), step(20, "b")]).is_empty());
    assert!(run(&loaded, &[step(0, "a"), step(10, "b"), step(301, "c")]).is_empty());
    // A repeat of the first rule later keeps the sequence alive.
    assert_eq!(
        run(
            &loaded,
            &[step(0, "a"), step(200, "b"), step(250, "a"), step(400, "c")]
        )
        .len(),
        1
    );
    // Another user's events do not complete alice's set.
    let other = event(20, &[("Action", "c"), ("Computer", "ws7"), ("User", "bob")]);
    assert!(run(&loaded, &[step(0, "a"), step(10, "b"), other]).is_empty());
}

#[test]
fn temporal_ordered_needs_the_listed_order() {
    let loaded = with_correlation(&temporal_rule("temporal_ordered", "5m"));
    assert_eq!(
        run(&loaded, &[step(0, "a"), step(10, "b"), step(20, "c")]).len(),
        1
    );
    // Wrong order.
    assert!(run(&loaded, &[step(0, "b"), step(10, "a"), step(20, "c")]).is_empty());
    assert!(run(&loaded, &[step(0, "a"), step(10, "c"), step(20, "b")]).is_empty());
    // Right order, one second too slow.
    assert!(run(&loaded, &[step(0, "a"), step(10, "b"), step(301, "c")]).is_empty());
    // A later start rescues a sequence whose first start went stale.
    let events = [step(0, "a"), step(200, "a"), step(250, "b"), step(480, "c")];
    let fired = run(&loaded, &events);
    assert_eq!(fired.len(), 1);
    assert_eq!(
        detail(&fired[0], "window_start"),
        Some("2024-03-01T08:03:20Z")
    );
    assert_eq!(
        detail(&fired[0], "records"),
        Some("test.jsonl:201, test.jsonl:251, test.jsonl:481")
    );
}

fn value_rule(kind: &str, condition: &str) -> String {
    format!(
        "title: Volume\ncorrelation:\n  type: {kind}\n  rules: [rule_a]\n  group-by: [Computer]\n  timespan: 1h\n  condition: {{ field: BytesOut, {condition} }}\n"
    )
}

fn sent(seconds: i64, bytes: &str) -> vigil_event::Event {
    event(
        seconds,
        &[("Action", "a"), ("Computer", "db1"), ("BytesOut", bytes)],
    )
}

#[test]
fn value_sum_adds_the_field_over_the_window() {
    let loaded = with_correlation(&value_rule("value_sum", "gt: 1000"));
    let fired = run(&loaded, &[sent(0, "600"), sent(60, "500")]);
    assert_eq!(fired.len(), 1);
    assert_eq!(detail(&fired[0], "value_sum"), Some("1100"));
    assert!(run(&loaded, &[sent(0, "600"), sent(60, "400")]).is_empty());
    // The first value has left the window when the second comes.
    assert!(run(&loaded, &[sent(0, "600"), sent(3601, "500")]).is_empty());
    // Straddling the hour is one window.
    assert_eq!(
        run(&loaded, &[sent(3000, "600"), sent(3700, "500")]).len(),
        1
    );
}

#[test]
fn value_avg_averages_the_field_over_the_window() {
    let loaded = with_correlation(&value_rule("value_avg", "gt: 500"));
    let fired = run(&loaded, &[sent(0, "400"), sent(60, "700")]);
    assert_eq!(fired.len(), 1);
    assert_eq!(detail(&fired[0], "value_avg"), Some("550"));
    assert!(run(&loaded, &[sent(0, "400"), sent(60, "550")]).is_empty());
    // Events without the field do not count toward the average.
    let no_bytes = event(30, &[("Action", "a"), ("Computer", "db1")]);
    assert_eq!(
        run(&loaded, &[sent(0, "400"), no_bytes, sent(60, "700")]).len(),
        1
    );
}

#[test]
fn value_percentile_finds_rare_values_when_the_window_closes() {
    let loaded = with_correlation(
        "title: Rare process\ncorrelation:\n  type: value_percentile\n  rules: [rule_a]\n  group-by: [Computer]\n  timespan: 24h\n  condition: { field: Image, lte: 5 }\n",
    );
    let run_of = |common: usize| {
        let mut events: Vec<_> = (0..common as i64)
            .map(|i| {
                event(
                    i,
                    &[
                        ("Action", "a"),
                        ("Computer", "ws1"),
                        ("Image", "explorer.exe"),
                    ],
                )
            })
            .collect();
        events.push(event(
            500,
            &[("Action", "a"), ("Computer", "ws1"), ("Image", "rare.exe")],
        ));
        run(&loaded, &events)
    };
    // 1 in 20 is 5%: rare enough.
    let fired = run_of(19);
    assert_eq!(fired.len(), 1);
    assert_eq!(detail(&fired[0], "values"), Some("rare.exe (5%)"));
    assert_eq!(detail(&fired[0], "records"), Some("test.jsonl:501"));
    // 1 in 19 is 5.3%: not.
    assert!(run_of(18).is_empty());
}

#[test]
fn aliases_group_different_fields_of_different_rules() {
    let loaded = with_correlation(
        r#"
title: Error then connection
correlation:
    type: temporal
    rules: [rule_a, rule_b]
    group-by: [internal_ip, remote_ip]
    timespan: 10s
    aliases:
        internal_ip:
            rule_a: destination.ip
            rule_b: source.ip
        remote_ip:
            rule_a: source.ip
            rule_b: destination.ip
"#,
    );
    let error = event(
        0,
        &[
            ("Action", "a"),
            ("destination.ip", "10.0.0.5"),
            ("source.ip", "203.0.113.9"),
        ],
    );
    let connect = |dst: &str| {
        event(
            5,
            &[
                ("Action", "b"),
                ("source.ip", "10.0.0.5"),
                ("destination.ip", dst),
            ],
        )
    };
    let fired = run(&loaded, &[error.clone(), connect("203.0.113.9")]);
    assert_eq!(fired.len(), 1);
    assert_eq!(detail(&fired[0], "internal_ip"), Some("10.0.0.5"));
    assert_eq!(detail(&fired[0], "remote_ip"), Some("203.0.113.9"));
    assert!(run(&loaded, &[error, connect("198.51.100.1")]).is_empty());
}

#[test]
fn computer_and_records_describe_the_contributing_events() {
    let loaded = with_correlation(&count_rule("gte: 30", "1h"));
    let events: Vec<_> = (0..30)
        .map(|i| {
            event(
                i,
                &[
                    ("Action", "a"),
                    ("User", "svc"),
                    ("Computer", if i < 29 { "h1" } else { "h2" }),
                ],
            )
        })
        .collect();
    let (fired, _) = run_with(
        &loaded,
        &events,
        Limits {
            max_record_ids: 5,
            ..Limits::default()
        },
    );
    assert_eq!(fired.len(), 1);
    // Two hosts took part and Computer is not grouped on: no single computer.
    assert_eq!(fired[0].computer, None);
    assert_eq!(detail(&fired[0], "records").unwrap().split(", ").count(), 5);
    assert_eq!(detail(&fired[0], "record_count"), Some("30"));
    let one_host: Vec<_> = (0..30)
        .map(|i| event(i, &[("Action", "a"), ("User", "svc"), ("Computer", "h1")]))
        .collect();
    assert_eq!(run(&loaded, &one_host)[0].computer.as_deref(), Some("h1"));
}

#[test]
fn events_without_a_group_field_or_time_do_not_count() {
    let loaded = with_correlation(&count_rule("gte: 2", "1h"));
    let mut untimed = a(0, "alice");
    untimed.timestamp = None;
    let nameless = event(1, &[("Action", "a")]);
    let (fired, stats) = run_with(
        &loaded,
        &[untimed, nameless, a(2, "alice")],
        Limits::default(),
    );
    assert!(fired.is_empty());
    assert_eq!(stats.untimed, 1);
    assert_eq!(stats.missing_fields, 1);
}
