//! Correlation rules whose timespans are built to overflow the engine's
//! time arithmetic: refused when read, naming the rule; the others run.

use std::path::Path;

use chrono::{TimeZone, Utc};
use vigil_correlate::{CorrelationSet, Engine, Limits};
use vigil_event::{Event, FieldValue};
use vigil_sigma::{RuleSetBuilder, RuleSetOptions};

fn rules(timespan: &str) -> String {
    format!(
        "title: Failed logon
id: 5d0b7f38-0000-4000-8000-000000000001
name: failed_logon
logsource: {{ product: windows, service: security }}
detection:
    selection: {{ EventID: 4625 }}
    condition: selection
---
title: Few failures
id: 5d0b7f38-0000-4000-8000-000000000002
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [TargetUserName]
    timespan: {timespan}
    condition: {{ lt: 3 }}
---
title: Many failures
id: 5d0b7f38-0000-4000-8000-000000000003
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [TargetUserName]
    timespan: 5m
    condition: {{ gte: 2 }}
"
    )
}

/// Builds the correlations and runs them over two failed logons a minute
/// apart: the errors, and the titles of what fired.
fn run(timespan: &str) -> (Vec<String>, Vec<String>) {
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_text(Path::new("huge.yml"), &rules(timespan));
    let (rules, report) = builder.build();
    let metas: Vec<_> = rules.rules().iter().map(|r| (*r.meta).clone()).collect();
    let (set, errors) = CorrelationSet::build(&report.correlations, &metas);
    let mut engine = Engine::new(&set, Limits::default());
    let (mut base, mut fired) = (Vec::new(), Vec::new());
    for second in [0, 60] {
        let mut event = Event::new("Security.evtx");
        event.product = Some("windows");
        event.timestamp = Some(Utc.timestamp_opt(1_700_000_000 + second, 0).unwrap());
        event.insert("Channel", FieldValue::from("Security"));
        event.insert("EventID", FieldValue::Int(4625));
        event.insert("TargetUserName", FieldValue::from("alice"));
        base.clear();
        rules.detect(&event, &mut base);
        for detection in &base {
            engine.observe(&event, detection, &mut fired);
        }
    }
    engine.finish(&mut fired);
    let errors = errors.iter().map(|e| e.to_string()).collect();
    (
        errors,
        fired.iter().map(|d| d.rule_title.to_string()).collect(),
    )
}

#[test]
fn a_timespan_near_the_end_of_time_is_refused_and_the_other_rules_run() {
    // 9,223,372,036,854,775 s is i64::MAX milliseconds, less a little.
    for timespan in ["9223372036854775s", "292471208y", "101y"] {
        let (errors, fired) = run(timespan);
        assert_eq!(errors.len(), 1, "{timespan}: {errors:?}");
        assert!(errors[0].contains("Few failures"), "{}", errors[0]);
        assert!(errors[0].contains("longer than 100 years"), "{}", errors[0]);
        assert_eq!(fired, ["Many failures"], "{timespan}");
    }
    let (errors, fired) = run("100y");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(fired, ["Many failures", "Few failures"]);
}
