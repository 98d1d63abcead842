//! A Windows event shipped by Winlogbeat / Elastic Agent: an Elastic Common
//! Schema document whose `winlog` object holds the event.
//!
//! The `winlog` fields are given the names an EVTX record would have
//! (`winlog.event_data.Image` → `Image`, `winlog.channel` → `Channel`) so the
//! same rules match; they come first, so they win lookups. The rest of the
//! document keeps its ECS names (`process.command_line`, `host.name`).

use serde_json::{Map, Value};
use vigil_event::Event;

use super::{dotted, event_xml, field_value, windows_field};
use crate::timestamp;

/// `winlog` keys and the EVTX field each one is.
const SYSTEM_FIELDS: [(&[&str], &str); 11] = [
    (&["event_id"], "EventID"),
    (&["channel"], "Channel"),
    (&["computer_name"], "Computer"),
    (&["provider_name"], "Provider_Name"),
    (&["provider_guid"], "Provider_Guid"),
    (&["record_id"], "EventRecordID"),
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
                event.insert(name, windows_field(name, value.clone()));
            }
        }
        // The event's own data by its own names; not repeated under `winlog.`.
        for (section, element) in [("event_data", "EventData"), ("user_data", "UserData")] {
            if let Some(data) = winlog.shift_remove(section) {
                event_xml::element(element, data, event);
            }
        }
    }
    if event.get("EventID").is_none() {
        if let Some(code) = find(&root, &["event", "code"]) {
            event.insert("EventID", windows_field("EventID", code.clone()));
        }
    }
    event.timestamp = root
        .get("@timestamp")
        .and_then(|time| timestamp::parse(&field_value(time.clone())));
    event.product = Some("windows");
    dotted::flatten(root, event);
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
                "event_data": {"Image": "C:\\Windows\\System32\\cmd.exe", "ProcessId": "4242"},
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
        let Value::Object(map) =
            json!({"event": {"code": 4624}, "winlog": {"channel": "Security"}})
        else {
            unreachable!()
        };
        let mut event = Event::new("t");
        flatten(map, &mut event);
        assert_eq!(event.event_id(), Some(4624));
    }
}
