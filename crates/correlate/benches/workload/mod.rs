//! The workload the correlation benchmark and the state-memory example share:
//! a password-spraying correlation over failed logons, and the failed logon
//! of the `i`-th event in the `k`-th group.

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use vigil_correlate::CorrelationSet;
use vigil_event::{Event, FieldValue, Position};
use vigil_sigma::{RuleSet, RuleSetBuilder, RuleSetOptions};

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

/// The failed-logon rule and the correlation over it.
pub fn rules() -> (RuleSet, CorrelationSet) {
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_text(Path::new("workload.yml"), RULES);
    let (rules, report) = builder.build();
    let metas: Vec<_> = rules.rules().iter().map(|r| (*r.meta).clone()).collect();
    let (set, errors) = CorrelationSet::build(&report.correlations, &metas);
    assert!(errors.is_empty(), "{errors:?}");
    (rules, set)
}

/// Event `i`, `step` after the previous one, a failed logon of the account
/// and address pair number `k`.
pub fn failed_logon(i: usize, k: usize, step: chrono::Duration) -> Event {
    let start: DateTime<Utc> = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
    let mut event = Event::new("Security.evtx");
    event.product = Some("windows");
    event.timestamp = Some(start + step * i as i32);
    event.position = Position::Record(i as u64);
    event.insert("EventID", FieldValue::Int(4625));
    event.insert("Computer", FieldValue::from("dc01.clinic.local"));
    event.insert("TargetUserName", FieldValue::from(format!("user{k}")));
    event.insert(
        "IpAddress",
        FieldValue::from(format!("10.{}.{}.{}", k >> 16 & 255, k >> 8 & 255, k & 255)),
    );
    event
}
