//! Writers of real EVTX records in the shapes collectors ship them in, as each
//! collector documents its output, for the tests that read them back.
//!
//! A record is taken apart from the event Vigil read out of the EVTX file:
//! its `System` fields (known by their EVTX names) and its event data (every
//! other field, in order). Each writer then renames and retypes them as its
//! collector does.

#![allow(dead_code)]

pub mod ecs;
pub mod evtx_dump;
pub mod nxlog;
pub mod wazuh;
pub mod winlogbeat6;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use vigil_event::{Event, FieldValue};

/// The fields EVTX's `System` element flattens to.
pub const SYSTEM_NAMES: [&str; 19] = [
    "Provider_Name",
    "Provider_Guid",
    "Provider_EventSourceName",
    "EventID_Qualifiers",
    "EventID",
    "Version",
    "Level",
    "Task",
    "Opcode",
    "Keywords",
    "TimeCreated_SystemTime",
    "EventRecordID",
    "Correlation_ActivityID",
    "Correlation_RelatedActivityID",
    "Execution_ProcessID",
    "Execution_ThreadID",
    "Channel",
    "Computer",
    "Security_UserID",
];

/// One EVTX record, taken apart.
pub struct Record {
    pub system: Vec<(String, FieldValue)>,
    /// The event data and user data, by name, in order; unnamed values as
    /// `Data`.
    pub data: Vec<(String, FieldValue)>,
    pub time: DateTime<Utc>,
}

impl Record {
    /// Takes apart an event read from an EVTX file. A name met a second
    /// time (a `UserData` `Channel`) is event data; the names Vigil adds
    /// for spaced names (`SourceName` for `Source Name`) are not the
    /// record's and are left out.
    pub fn from_event(event: &Event) -> Record {
        let added: Vec<String> = event
            .fields()
            .filter(|(name, _)| name.contains(' '))
            .flat_map(|(name, _)| [name.replace(' ', ""), name.replace(' ', "_")])
            .collect();
        let (mut system, mut data) = (Vec::new(), Vec::new());
        for (name, value) in event.fields() {
            let in_system = system.iter().any(|(seen, _): &(String, _)| seen == name);
            if SYSTEM_NAMES.contains(&name) && !in_system {
                system.push((name.to_string(), value.clone()));
            } else if !added.iter().any(|a| a == name) {
                data.push((name.to_string(), value.clone()));
            }
        }
        // A record whose content lacks its number is known by its header's.
        if !system.iter().any(|(name, _)| name == "EventRecordID") {
            if let Some(id) = event.record_id() {
                system.push(("EventRecordID".into(), FieldValue::Int(id as i64)));
            }
        }
        Record {
            system,
            data,
            time: event.timestamp.expect("an EVTX record has a time"),
        }
    }

    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.system
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value)
    }

    pub fn json(&self, name: &str) -> Option<Value> {
        self.get(name).map(FieldValue::to_json)
    }

    /// A `System` field as text, as collectors that write text write it.
    pub fn text(&self, name: &str) -> Option<Value> {
        self.get(name).map(|value| Value::String(text(value)))
    }

    pub fn time_text(&self) -> String {
        self.time.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

/// A value as text, as Winlogbeat, NXLog and Wazuh write event data.
pub fn text(value: &FieldValue) -> String {
    match value {
        FieldValue::Null => String::new(),
        other => other.to_string(),
    }
}

/// The unnamed values of a record, each on its own.
pub fn unnamed(value: &FieldValue) -> Vec<String> {
    match value {
        FieldValue::List(items) => items.iter().map(text).collect(),
        other => vec![text(other)],
    }
}

pub fn object(entries: impl IntoIterator<Item = (String, Value)>) -> Value {
    Value::Object(entries.into_iter().collect::<Map<String, Value>>())
}
