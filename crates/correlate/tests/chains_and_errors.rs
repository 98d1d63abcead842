//! Correlations that feed each other, `generate`, and correlations that
//! cannot be loaded.

mod harness;

use harness::{detail, event, load, run, BASE_RULES};

/// The specification's closing example, with a smaller threshold: failed
/// logons (an event_count) followed by a success (temporal_ordered), all in
/// one multi-document file.
const BRUTE_FORCE: &str = r#"
title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 3
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
detection:
    selection:
        EventID:
            - 529
            - 4625
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
detection:
    selection:
        EventID:
            - 528
            - 4624
    condition: selection
"#;

fn logon(seconds: i64, id: &str, user: &str) -> vigil_event::Event {
    event(
        seconds,
        &[("EventID", id), ("User", user), ("Computer", "dc1")],
    )
}

#[test]
fn a_correlation_feeds_the_correlation_that_names_it() {
    let loaded = load(&[("mr_brute_force.yml", BRUTE_FORCE)]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.set.len(), 2);
    let events = [
        logon(0, "4625", "alice"),
        logon(20, "4625", "alice"),
        logon(40, "4625", "alice"),
        logon(60, "4624", "alice"),
    ];
    let fired = run(&loaded, &events);
    // Only the outer correlation is output: the inner one only feeds it.
    assert_eq!(fired.len(), 1, "{fired:?}");
    let d = &fired[0];
    assert_eq!(d.rule_id.as_ref(), "b180ead8-d58f-40b2-ae54-c8940995b9b6");
    assert_eq!(d.level, vigil_event::Level::High);
    assert_eq!(detail(d, "User"), Some("alice"));
    assert_eq!(d.computer.as_deref(), Some("dc1"));
    assert_eq!(
        detail(d, "records"),
        Some("[test.jsonl:1, test.jsonl:21, test.jsonl:41], test.jsonl:61")
    );
    // The base rules only serve the correlation (generate defaults to false).
    let suppressed = loaded.set.suppressed_rules();
    assert!(suppressed.contains("53ba33fd-3a50-4468-a5ef-c583635cfa92"));
    assert!(suppressed.contains("4d0a2c83-c62c-4ed4-b475-c7e23a9269b8"));
}

#[test]
fn a_chain_out_of_order_or_short_does_not_fire() {
    let loaded = load(&[("mr_brute_force.yml", BRUTE_FORCE)]);
    // Success before the failures.
    let early = [
        logon(0, "4624", "alice"),
        logon(10, "4625", "alice"),
        logon(20, "4625", "alice"),
        logon(30, "4625", "alice"),
    ];
    assert!(run(&loaded, &early).is_empty());
    // Two failures only.
    let short = [
        logon(0, "4625", "alice"),
        logon(10, "4625", "alice"),
        logon(20, "4624", "alice"),
    ];
    assert!(run(&loaded, &short).is_empty());
    // Failures for bob, success for alice.
    let other = [
        logon(0, "4625", "bob"),
        logon(10, "4625", "bob"),
        logon(20, "4625", "bob"),
        logon(30, "4624", "alice"),
    ];
    assert!(run(&loaded, &other).is_empty());
}

#[test]
fn generate_keeps_the_base_rules_reported() {
    let loaded = load(&[
        ("base.yml", BASE_RULES),
        (
            "c.yml",
            "title: c\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  group-by: [User]\n  timespan: 1m\n  condition: { gte: 2 }\n  generate: true\n",
        ),
        (
            "d.yml",
            "title: d\ncorrelation:\n  type: event_count\n  rules: [rule_b]\n  group-by: [User]\n  timespan: 1m\n  condition: { gte: 2 }\n",
        ),
    ]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let suppressed = loaded.set.suppressed_rules();
    assert!(!suppressed.contains("00000000-0000-4000-8000-00000000000a"));
    assert!(suppressed.contains("00000000-0000-4000-8000-00000000000b"));
    assert!(!suppressed.contains("00000000-0000-4000-8000-00000000000c"));
}

#[test]
fn bad_correlations_name_file_and_reason_and_the_rest_still_load() {
    let good = "title: good\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  group-by: [User]\n  timespan: 1m\n  condition: { gte: 2 }\n";
    let cases = [
        (
            "unknown.yml",
            "title: unknown rule\ncorrelation:\n  type: event_count\n  rules: [no_such_rule]\n  timespan: 1m\n  condition: { gte: 2 }\n",
            "references rule 'no_such_rule', which is not loaded",
        ),
        (
            "no_timespan.yml",
            "title: no timespan\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  condition: { gte: 2 }\n",
            "missing 'correlation.timespan'",
        ),
        (
            "bad_timespan.yml",
            "title: bad timespan\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  timespan: 5 minutes\n  condition: { gte: 2 }\n",
            "timespan '5 minutes'",
        ),
        (
            "bad_condition.yml",
            "title: bad condition\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  timespan: 1m\n  condition: { above: 2 }\n",
            "unknown condition operator 'above'",
        ),
        (
            "no_condition.yml",
            "title: no condition\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  timespan: 1m\n",
            "missing 'correlation.condition'",
        ),
        (
            "no_field.yml",
            "title: no field\ncorrelation:\n  type: value_sum\n  rules: [rule_a]\n  timespan: 1m\n  condition: { gt: 2 }\n",
            "needs 'correlation.condition.field'",
        ),
        (
            "bad_type.yml",
            "title: bad type\ncorrelation:\n  type: event_sum\n  rules: [rule_a]\n  timespan: 1m\n  condition: { gt: 2 }\n",
            "unknown correlation type 'event_sum'",
        ),
        (
            "bad_alias.yml",
            "title: bad alias\ncorrelation:\n  type: temporal\n  rules: [rule_a, rule_b]\n  group-by: [ip]\n  timespan: 1m\n  aliases:\n    ip: { rule_z: src }\n",
            "alias 'ip' names rule 'rule_z'",
        ),
    ];
    for (file, text, reason) in cases {
        let loaded = load(&[("base.yml", BASE_RULES), ("good.yml", good), (file, text)]);
        assert_eq!(
            loaded.set.len(),
            1,
            "{file}: the good correlation still loads"
        );
        assert_eq!(loaded.errors.len(), 1, "{file}: {:?}", loaded.errors);
        let message = loaded.errors[0].to_string();
        assert!(message.starts_with(file), "{message}");
        assert!(message.contains(reason), "{file}: {message}");
    }
}

#[test]
fn cycles_and_failed_links_break_only_their_chain() {
    let text = r#"
title: loop one
name: one
correlation: { type: temporal, rules: [two, rule_a], group-by: [User], timespan: 1m }
---
title: loop two
name: two
correlation: { type: temporal, rules: [one, rule_b], group-by: [User], timespan: 1m }
---
title: broken
name: broken
correlation: { type: event_count, rules: [rule_a], timespan: 1m }
---
title: on broken
correlation: { type: temporal, rules: [broken, rule_c], group-by: [User], timespan: 1m }
---
title: fine
correlation: { type: temporal, rules: [rule_a, rule_c], group-by: [User], timespan: 1m }
"#;
    let loaded = load(&[("base.yml", BASE_RULES), ("chains.yml", text)]);
    let titles: Vec<_> = loaded.set.titles().map(|(t, _)| t).collect();
    assert_eq!(titles, ["fine"]);
    let reasons: Vec<_> = loaded.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(reasons
        .iter()
        .any(|r| r.contains("'loop one'") && r.contains("cycle")));
    assert!(reasons
        .iter()
        .any(|r| r.contains("'on broken'") && r.contains("could not be loaded")));
}

#[test]
fn generate_on_the_outer_correlation_outputs_the_inner_one_too() {
    let text = BRUTE_FORCE.replacen(
        "    timespan: 10m\nlevel: high",
        "    timespan: 10m\n    generate: true\nlevel: high",
        1,
    );
    assert_ne!(text, BRUTE_FORCE);
    let loaded = load(&[("mr_brute_force.yml", &text)]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let events = [
        logon(0, "4625", "alice"),
        logon(20, "4625", "alice"),
        logon(40, "4625", "alice"),
        logon(60, "4624", "alice"),
    ];
    let titles: Vec<_> = run(&loaded, &events)
        .iter()
        .map(|d| d.rule_title.to_string())
        .collect();
    assert_eq!(
        titles,
        [
            "Multiple failed logons",
            "Correlation - Multiple Failed Logins Followed by Successful Login"
        ]
    );
    // The success rule is referenced only by the outer correlation, which
    // asks for generate; the failed-logon rule only by the inner one.
    let suppressed = loaded.set.suppressed_rules();
    assert!(!suppressed.contains("4d0a2c83-c62c-4ed4-b475-c7e23a9269b8"));
    assert!(suppressed.contains("53ba33fd-3a50-4468-a5ef-c583635cfa92"));
}
