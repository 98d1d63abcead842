//! Vigil's Sigma engine.
//!
//! Rules are parsed from YAML ([`document`]), compiled once into a
//! [`RuleSet`] — logsources resolved to event scopes through the
//! [`LogSourceTable`], values and modifiers to matchers, conditions to a tree
//! over compiled searches — and the ruleset is matched against events.
//!
//! ```
//! use std::path::Path;
//! use vigil_event::{Event, FieldValue};
//! use vigil_sigma::{RuleSetBuilder, RuleSetOptions};
//!
//! let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
//! builder.add_text(Path::new("whoami.yml"), r#"
//! title: Whoami run
//! id: 00000000-0000-4000-8000-000000000001
//! level: low
//! logsource: { product: windows, category: process_creation }
//! detection:
//!     selection:
//!         Image|endswith: '\whoami.exe'
//!     condition: selection
//! "#);
//! let (rules, report) = builder.build();
//! assert_eq!(report.rules, 1);
//!
//! // Readers say which product an event is of: a rule that names one runs
//! // only on events of it.
//! let mut event = Event::new("Security.evtx");
//! event.product = Some("windows");
//! event.insert("Channel", FieldValue::from("Security"));
//! event.insert("EventID", FieldValue::Int(4688));
//! event.insert("NewProcessName", FieldValue::from(r"C:\Windows\System32\WHOAMI.EXE"));
//! let mut detections = Vec::new();
//! rules.detect(&event, &mut detections);
//! assert_eq!(detections[0].rule_title.as_ref(), "Whoami run");
//! ```

pub mod compile;
pub mod condition;
pub mod document;
pub mod eval;
pub mod logsource;
pub mod modifier;
mod names;
pub mod pattern;
mod prefilter;
mod required;
pub mod ruleset;
pub mod search;

pub use document::{CorrelationRule, RuleMeta};
pub use logsource::{LogSource, LogSourceTable};
pub use ruleset::{LoadReport, RuleError, RuleSet, RuleSetBuilder, RuleSetOptions};

/// What the crate's randomized tests share.
#[cfg(test)]
mod testing {
    /// A reproducible stream of numbers below a bound (xorshift), for
    /// randomized tests that must fail the same way every run.
    pub(crate) fn numbers(seed: u64) -> impl FnMut(usize) -> usize {
        let mut state = seed;
        move |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below as u64) as usize
        }
    }
}
