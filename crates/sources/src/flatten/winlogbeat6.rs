//! A Windows event shipped by Winlogbeat 6 and earlier, before the Elastic
//! Common Schema: the event's fields at the top of the document
//! (`computer_name`, `log_name`, `source_name`, `event_id`, `record_number`)
//! and its data in `event_data` or `user_data`.
//!
//! The `System` fields take their EVTX names; the data keeps its own names
//! (unnamed values, which Winlogbeat calls `param1`, `param2`, …, are also
//! `Data`). `@timestamp` is the record's creation time, which Winlogbeat
//! writes in UTC. Winlogbeat's display names for the level, task, opcode and
//! keywords are dropped: EVTX has numbers there, and the lower-case names
//! would otherwise answer rules asking for `Level` or `Task`. What remains of
//! the document (`message`, `beat.hostname`, `host.name`) keeps its names.

use serde_json::{Map, Value};
use vigil_event::Event;

use super::event_xml_stream::Left;
use super::members::Members;
use super::{dotted, field_value, windows};
use crate::timestamp;

/// Winlogbeat 6 keys and the EVTX field each one is.
const SYSTEM_FIELDS: [(&str, &str); 10] = [
    ("event_id", "EventID"),
    ("log_name", "Channel"),
    ("computer_name", "Computer"),
    ("source_name", "Provider_Name"),
    ("provider_guid", "Provider_Guid"),
    ("record_number", "EventRecordID"),
    ("process_id", "Execution_ProcessID"),
    ("thread_id", "Execution_ThreadID"),
    ("activity_id", "Correlation_ActivityID"),
    ("related_activity_id", "Correlation_RelatedActivityID"),
];

/// Winlogbeat's display names for what EVTX holds as numbers.
const DISPLAY_NAMES: [&str; 5] = ["level", "task", "opcode", "keywords", "version"];

/// The shape a Winlogbeat 6 document's event is counted under.
pub(super) const SHAPE: &str = "Winlogbeat 6";

/// A Winlogbeat 6 document names its log and its computer at the top; a
/// record that lost its data (`event_data`) is still one.
pub(super) fn is_shape(map: &Map<String, Value>) -> bool {
    map.contains_key("event_id")
        && (map.contains_key("log_name") || map.contains_key("computer_name"))
}

pub(super) fn flatten(mut root: Map<String, Value>, event: &mut Event) {
    for (key, name) in SYSTEM_FIELDS {
        if let Some(value) = root.shift_remove(key) {
            windows::system(event, name, field_value(value));
        }
    }
    if let Some(Value::Object(user)) = root.get_mut("user") {
        if let Some(sid) = user.shift_remove("identifier") {
            windows::system(event, "Security_UserID", field_value(sid));
        }
    }
    if let Some(version) = root.get("version").cloned() {
        windows::system(event, "Version", field_value(version));
    }
    for section in ["event_data", "user_data"] {
        if let Some(data) = root.shift_remove(section) {
            windows::winlogbeat_data(data, event);
        }
    }
    for name in DISPLAY_NAMES {
        root.shift_remove(name);
    }
    dotted::flatten(root, event);
    windows::finish(event);
    event.timestamp = event.get("@timestamp").and_then(timestamp::parse);
}

/// [`flatten`] of a record read in one pass: the same fields, in the same
/// order.
pub(super) fn flatten_members(mut members: Members<'_>, event: &mut Event) -> Result<(), Left> {
    for (key, name) in SYSTEM_FIELDS {
        if let Some(index) = members.top(key) {
            windows::system_leaf(event, name, members.scalar(index)?);
            members.take(index);
        }
    }
    let user = members.top("user").filter(|&user| members.is_object(user));
    if let Some(sid) = user.and_then(|_| members.find(&["user", "identifier"])) {
        windows::system_leaf(event, "Security_UserID", members.scalar(sid)?);
        members.take(sid);
    }
    if let Some(version) = members.top("version") {
        windows::system_leaf(event, "Version", members.scalar(version)?);
    }
    for section in ["event_data", "user_data"] {
        if let Some(index) = members.top(section) {
            windows::winlogbeat_data_members(&members, index, event)?;
            members.take(index);
        }
    }
    for name in DISPLAY_NAMES {
        if let Some(index) = members.top(name) {
            members.take(index);
        }
    }
    members.rest_dotted(event);
    windows::finish(event);
    event.timestamp = event.get("@timestamp").and_then(timestamp::parse);
    Ok(())
}

/// [`is_shape`] of a record read in one pass.
pub(super) fn is_shape_members(members: &Members<'_>) -> bool {
    members.top("event_id").is_some()
        && (members.top("log_name").is_some() || members.top("computer_name").is_some())
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use vigil_event::FieldValue;

    use super::*;

    fn flat(value: Value) -> Event {
        let Value::Object(map) = value else {
            unreachable!()
        };
        assert!(is_shape(&map));
        let mut event = Event::new("t");
        flatten(map, &mut event);
        event
    }

    #[test]
    fn top_level_fields_take_evtx_names() {
        let event = flat(json!({
            "@timestamp": "2019-05-18T20:19:20.068Z",
            "beat": {"hostname": "WECserver", "version": "6.7.0"},
            "computer_name": "HR001.shire.com", "log_name": "Security",
            "source_name": "Microsoft-Windows-Security-Auditing",
            "event_id": 5156, "record_number": "277625", "process_id": 4,
            "thread_id": 1668, "version": 1, "level": "Information",
            "task": "Filtering Platform Connection", "keywords": ["Audit Success"],
            "opcode": "Info", "message": "The Windows Filtering Platform ...",
            "user": {"identifier": "S-1-5-18", "name": "SYSTEM"},
            "event_data": {"ProcessID": "5452", "DestPort": "443", "Direction": "%%14593"}
        }));
        assert_eq!(event.computer(), Some("HR001.shire.com"));
        assert_eq!(event.channel(), Some("Security"));
        assert_eq!(
            event.provider(),
            Some("Microsoft-Windows-Security-Auditing")
        );
        assert_eq!(event.get("EventRecordID"), Some(&FieldValue::Int(277625)));
        assert_eq!(event.event_id(), Some(5156));
        assert_eq!(
            event.get("Execution_ThreadID"),
            Some(&FieldValue::Int(1668))
        );
        assert_eq!(
            event.get("Security_UserID"),
            Some(&FieldValue::from("S-1-5-18"))
        );
        assert_eq!(event.get("Version"), Some(&FieldValue::Int(1)));
        assert_eq!(event.get("DestPort"), Some(&FieldValue::Int(443)));
        assert_eq!(event.get("Direction"), Some(&FieldValue::from("%%14593")));
        assert_eq!(event.get("Level"), None, "display names are dropped");
        assert_eq!(event.get("Task"), None);
        assert_eq!(event.get("user.name"), Some(&FieldValue::from("SYSTEM")));
        assert_eq!(event.product, Some("windows"));
        assert_eq!(
            event.timestamp.map(|t| t.timestamp_millis()),
            Some(1558210760068)
        );
    }

    #[test]
    fn user_data_and_params() {
        let event = flat(json!({
            "event_id": 800, "log_name": "Windows PowerShell",
            "event_data": {"param2": "ctx", "param1": "Start-Sleep"},
        }));
        assert_eq!(
            event.get("Data"),
            Some(&FieldValue::List(vec!["Start-Sleep".into(), "ctx".into()]))
        );
        let event = flat(json!({
            "event_id": 5857, "computer_name": "HR001",
            "user_data": {"ProviderName": "WmiPerfInst", "xml_name": "Operation_StartedOperational"}
        }));
        assert_eq!(
            event.get("ProviderName"),
            Some(&FieldValue::from("WmiPerfInst"))
        );
        assert_eq!(event.get("xml_name"), None);
    }
}
