//! A Windows event shipped by Winlogbeat / Elastic Agent: an Elastic Common
//! Schema document whose `winlog` object holds the event.
//!
//! The `winlog` fields are given the names an EVTX record would have
//! (`winlog.event_data.Image` → `Image`, `winlog.channel` → `Channel`) so the
//! same rules match; they come first, so they win lookups. The rest of the
//! document keeps its ECS names (`process.command_line`, `host.name`).
//!
//! ECS ships the event data's numbers as text (`"LogonType": "3"`) and
//! `event.code` as text; they are typed as EVTX has them (see
//! [`windows::data_value`]). Unnamed data comes as `param1`, `param2`, …
//! and is also given as `Data` (see [`windows::winlogbeat_data`]).

use serde_json::{Map, Value};
use vigil_event::Event;

use super::event_xml_stream::Left;
use super::members::Members;
use super::{dotted, field_value, windows};
use crate::timestamp;

/// `winlog` keys and the EVTX field each one is.
const SYSTEM_FIELDS: [(&[&str], &str); 12] = [
    (&["event_id"], "EventID"),
    (&["channel"], "Channel"),
    (&["computer_name"], "Computer"),
    (&["provider_name"], "Provider_Name"),
    (&["provider_guid"], "Provider_Guid"),
    (&["record_id"], "EventRecordID"),
    (&["version"], "Version"),
    (&["process", "pid"], "Execution_ProcessID"),
    (&["process", "thread", "id"], "Execution_ThreadID"),
    (&["user", "identifier"], "Security_UserID"),
    (&["activity_id"], "Correlation_ActivityID"),
    (&["related_activity_id"], "Correlation_RelatedActivityID"),
];

/// The shape a `winlog` document's event is counted under.
pub(super) const SHAPE: &str = "Winlogbeat / Elastic Agent (ECS)";

pub(super) fn is_shape(map: &Map<String, Value>) -> bool {
    matches!(map.get("winlog"), Some(Value::Object(_)))
}

pub(super) fn flatten(mut root: Map<String, Value>, event: &mut Event) {
    if let Some(Value::Object(winlog)) = root.get_mut("winlog") {
        for (path, name) in SYSTEM_FIELDS {
            if let Some(value) = find(winlog, path) {
                windows::system(event, name, field_value(value.clone()));
            }
        }
        // The event's own data by its own names; not repeated under `winlog.`.
        for section in ["event_data", "user_data"] {
            if let Some(data) = winlog.shift_remove(section) {
                windows::winlogbeat_data(data, event);
            }
        }
    }
    if event.get("EventID").is_none() {
        if let Some(code) = find(&root, &["event", "code"]) {
            windows::system(event, "EventID", field_value(code.clone()));
        }
    }
    dotted::flatten(root, event);
    windows::finish(event);
    event.timestamp = event.get("@timestamp").and_then(timestamp::parse);
}

/// [`flatten`] of a record read in one pass: the same fields, in the same
/// order.
pub(super) fn flatten_members(mut members: Members<'_>, event: &mut Event) -> Result<(), Left> {
    let Some(winlog) = members.top("winlog") else {
        return Err(Left("no winlog object"));
    };
    for (keys, name) in SYSTEM_FIELDS {
        if let Some(index) = members.find_in(winlog, keys) {
            windows::system_leaf(event, name, members.scalar(index)?);
        }
    }
    for section in ["event_data", "user_data"] {
        if let Some(index) = members.find_in(winlog, &[section]) {
            windows::winlogbeat_data_members(&members, index, event)?;
            members.take(index);
        }
    }
    if event.get("EventID").is_none() {
        if let Some(code) = members.find(&["event", "code"]) {
            windows::system_leaf(event, "EventID", members.scalar(code)?);
        }
    }
    members.rest_dotted(event);
    windows::finish(event);
    event.timestamp = event.get("@timestamp").and_then(timestamp::parse);
    Ok(())
}

/// [`is_shape`] of a record read in one pass.
pub(super) fn is_shape_members(members: &Members<'_>) -> bool {
    members
        .top("winlog")
        .is_some_and(|winlog| members.is_object(winlog))
}

fn find<'a>(map: &'a Map<String, Value>, path: &[&str]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    rest.iter()
        .try_fold(map.get(*first)?, |value, key| value.get(key))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use vigil_event::FieldValue;

    use super::*;

    #[test]
    fn winlog_fields_take_evtx_names_and_ecs_stays_dotted() {
        let Value::Object(map) = json!({
            "@timestamp": "2021-12-04T21:19:16.741Z",
            "event": {"code": "1", "provider": "Microsoft-Windows-Sysmon"},
            "host": {"name": "ws1"},
            "winlog": {
                "event_id": "1", "channel": "Microsoft-Windows-Sysmon/Operational",
                "computer_name": "ws1.corp", "provider_name": "Microsoft-Windows-Sysmon",
                "record_id": 1234, "process": {"pid": 2000, "thread": {"id": 3000}},
                "user": {"identifier": "S-1-5-18"},
                "event_data": {"Image": "C:\\Windows\\System32\\cmd.exe", "ProcessId": "4242",
                    "LogonType": "3", "LogonId": "0x3e7"},
                "user_data": {"LogFileCleared": {"SubjectUserName": "bob"}}
            }
        }) else {
            unreachable!()
        };
        assert!(is_shape(&map));
        let mut event = Event::new("t");
        flatten(map, &mut event);
        assert_eq!(event.get("EventID"), Some(&FieldValue::Int(1)));
        assert_eq!(
            event.channel(),
            Some("Microsoft-Windows-Sysmon/Operational")
        );
        assert_eq!(event.computer(), Some("ws1.corp"));
        assert_eq!(event.provider(), Some("Microsoft-Windows-Sysmon"));
        assert_eq!(event.get("EventRecordID"), Some(&FieldValue::Int(1234)));
        assert_eq!(event.record_id(), Some(1234));
        assert_eq!(
            event.get("Execution_ThreadID"),
            Some(&FieldValue::Int(3000))
        );
        assert_eq!(
            event.get("Security_UserID"),
            Some(&FieldValue::from("S-1-5-18"))
        );
        assert_eq!(
            event.get("Image"),
            Some(&FieldValue::from("C:\\Windows\\System32\\cmd.exe"))
        );
        assert_eq!(event.get("SubjectUserName"), Some(&FieldValue::from("bob")));
        assert_eq!(event.get("LogonType"), Some(&FieldValue::Int(3)));
        assert_eq!(event.get("ProcessId"), Some(&FieldValue::Int(4242)));
        assert_eq!(event.get("LogonId"), Some(&FieldValue::from("0x3e7")));
        assert_eq!(event.get("host.name"), Some(&FieldValue::from("ws1")));
        assert_eq!(event.get("winlog.channel").map(|_| ()), Some(()));
        assert_eq!(event.get("winlog.event_data.Image"), None);
        assert_eq!(event.product, Some("windows"));
        assert_eq!(
            event.timestamp.map(|t| t.timestamp_millis()),
            Some(1638652756741)
        );
    }

    #[test]
    fn event_code_stands_in_for_a_missing_event_id() {
        for code in [json!(4624), json!("4624")] {
            let Value::Object(map) =
                json!({"event": {"code": code}, "winlog": {"channel": "Security"}})
            else {
                unreachable!()
            };
            let mut event = Event::new("t");
            flatten(map, &mut event);
            assert_eq!(event.get("EventID"), Some(&FieldValue::Int(4624)));
        }
    }
}
