//! Vigil's Sigma correlation engine.
//!
//! Sigma correlation rules reason over the detections of other rules: ten
//! failed logons for one user within ten minutes (`event_count`), logons
//! from many accounts on one host (`value_count`), recon commands close
//! together (`temporal`), a brute force followed by a success
//! (`temporal_ordered`), bytes sent per host (`value_sum`, `value_avg`), a
//! rarely seen value (`value_percentile`). A [`CorrelationSet`] is built
//! from the correlation documents the rule loader found and the detection
//! rules it compiled; an [`Engine`] runs over the base detections, in time
//! order, and emits correlation detections.
//!
//! How the engine decides, per correlation type and condition:
//!
//! * Windows slide and are kept per group (the values of `group-by`, read
//!   through `aliases` per referenced rule). Events belong to one window when
//!   they lie within `timespan` of each other, bounds included.
//! * `gt`/`gte` conditions of `event_count`, `value_count`, `value_sum`,
//!   `value_avg` are decided as each event arrives, over the window that ends
//!   with it. When one fires, the group starts afresh: a burst of twenty
//!   against `gte: 10` fires twice, not eleven times.
//! * Conditions an arriving event can make false again (`lt`, `lte`, `eq`,
//!   `neq`, ranges), and every `value_percentile`, are decided when the
//!   group's window closes: it opens with the group's first event and closes
//!   `timespan` later (when a later event or [`Engine::finish`] shows it has).
//!   The next window opens with the next event.
//! * `temporal` fires when the rules that matched within the window for the
//!   group meet the condition (default: all of them); `temporal_ordered`
//!   when they matched in the order listed.
//! * `value_percentile` takes the share, in percent, of the window's events
//!   that carry each value of `field`, and fires for the values whose share
//!   meets the condition (`lte: 1`: values seen in at most 1% of events).
//! * Events lacking a group-by field, or the aggregated field, do not count
//!   (as in most query backends); they are counted in [`Stats`].
//! * A correlation's detections may feed another correlation (chains); their
//!   group-by values are read from the detection's details.
//! * `generate`: the specification's default is that the rules a
//!   correlation uses are not reported on their own.
//!   [`CorrelationSet::suppresses`] tells which base detections to hold back;
//!   the engine itself holds back correlations that only feed another.
//!
//! ```
//! use std::path::Path;
//! use chrono::{TimeZone, Utc};
//! use vigil_correlate::{CorrelationSet, Engine, Limits};
//! use vigil_event::{Event, FieldValue};
//! use vigil_sigma::{RuleSetBuilder, RuleSetOptions};
//!
//! let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
//! builder.add_text(Path::new("brute.yml"), r#"
//! title: Failed logon
//! id: 5d0b7f38-0000-4000-8000-000000000001
//! name: failed_logon
//! logsource: { product: windows, service: security }
//! detection:
//!     selection: { EventID: 4625 }
//!     condition: selection
//! ---
//! title: Password guessing
//! id: 5d0b7f38-0000-4000-8000-000000000002
//! level: high
//! correlation:
//!     type: event_count
//!     rules: [failed_logon]
//!     group-by: [TargetUserName]
//!     timespan: 5m
//!     condition: { gte: 3 }
//! "#);
//! let (rules, report) = builder.build();
//! let metas: Vec<_> = rules.rules().iter().map(|r| (*r.meta).clone()).collect();
//! let (set, errors) = CorrelationSet::build(&report.correlations, &metas);
//! assert!(errors.is_empty());
//!
//! let mut engine = Engine::new(&set, Limits::default());
//! let (mut base, mut fired) = (Vec::new(), Vec::new());
//! for second in [0, 40, 80] {
//!     let mut event = Event::new("Security.evtx");
//!     event.product = Some("windows");
//!     event.timestamp = Some(Utc.timestamp_opt(1_700_000_000 + second, 0).unwrap());
//!     event.insert("Channel", FieldValue::from("Security"));
//!     event.insert("EventID", FieldValue::Int(4625));
//!     event.insert("TargetUserName", FieldValue::from("alice"));
//!     base.clear();
//!     rules.detect(&event, &mut base);
//!     for detection in &base {
//!         engine.observe(&event, detection, &mut fired);
//!     }
//! }
//! engine.finish(&mut fired);
//! assert_eq!(fired.len(), 1);
//! assert_eq!(fired[0].rule_title.as_ref(), "Password guessing");
//! assert!(set.suppresses(&base[0]));
//! ```

mod condition;
mod engine;
mod rule;
mod set;
mod window;

pub use condition::{Condition, Op};
pub use engine::{Engine, Limits, RuleStats, Stats};
pub use rule::{parse_timespan, Kind};
pub use set::{CorrelationError, CorrelationSet};
