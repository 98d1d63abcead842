//! The types that flow through Vigil's pipeline.
//!
//! Sources turn log records into [`Event`]s; the rule engine turns events into
//! [`Detection`]s; outputs write detections. Nothing here knows about files,
//! rules or formats.
//!
//! ```
//! use vigil_event::{Event, FieldValue};
//!
//! let mut event = Event::new("Security.evtx");
//! event.insert("EventID", FieldValue::Int(4624));
//! event.insert("TargetUserName", FieldValue::from("alice"));
//! assert_eq!(event.event_id(), Some(4624));
//! assert_eq!(event.get("targetusername").and_then(|v| v.as_str()), Some("alice"));
//! ```

mod detection;
mod event;
mod text;
mod value;
mod yaml_cost;

pub use detection::{Detection, Level};
pub use event::{Event, Position};
pub use text::{escapes_in, needs_escape, plain_json_text, same_bytes, same_text, FieldName};
pub use value::FieldValue;
pub use yaml_cost::{check_yaml, MOST_FLOW_DEPTH, MOST_VALUES};
