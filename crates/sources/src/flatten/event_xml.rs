//! A Windows event's XML as rendered to JSON by the `evtx` crate (and `evtx_dump`),
//! flattened to the field names Sigma rules use.
//!
//! Elements become fields by their own name, however deep (`UserData` →
//! `LogFileCleared` → `SubjectUserName` gives `SubjectUserName`), because that
//! is how rules name them. An element's attributes become `Element_Attribute`
//! (`Provider_Name`, `TimeCreated_SystemTime`, `EventID_Qualifiers`) and its
//! text, if any, the element's own name. Attributes may come as `#attributes`
//! (the default rendering), as a sibling `Element_attributes` object
//! (`--separate-json-attributes`) or as `@Attribute` keys (XML-to-JSON
//! converters). Namespace declarations are dropped: no rule reads them.

use serde_json::{Map, Value};
use vigil_event::Event;

use super::{windows, windows_field};
use crate::timestamp;

/// Whether `map` is a rendered event: an `Event` element holding `System`, or
/// the `Event` element's content itself.
pub(super) fn is_shape(map: &Map<String, Value>) -> bool {
    match map.get("Event") {
        Some(Value::Object(body)) => body.contains_key("System"),
        _ => matches!(map.get("System"), Some(Value::Object(_))),
    }
}

/// Fills `event` from a rendered Windows event and marks it a Windows event.
/// `System` is read first, so its `Channel` or `Computer` win over a
/// same-named element of the event's own data.
pub(crate) fn flatten(mut root: Map<String, Value>, event: &mut Event) {
    let mut body = match root.shift_remove("Event") {
        Some(Value::Object(body)) => body,
        Some(other) => {
            root.insert("Event".to_string(), other);
            root
        }
        None => root,
    };
    if let Some(system) = body.shift_remove("System") {
        element("System", system, event);
    }
    for (name, value) in body {
        // The event element's own attributes are its namespace and nothing else.
        if name == "#attributes" || name.starts_with('@') || value.is_null() {
            continue;
        }
        element(&name, value, event);
    }
    finish(event);
}

/// Marks a flattened event a Windows event (see [`windows::finish`]) and
/// takes its time from `System`.
pub(super) fn finish(event: &mut Event) {
    windows::finish(event);
    event.timestamp = event
        .get("TimeCreated_SystemTime")
        .and_then(timestamp::parse);
}

/// Adds the fields of the element `name`: its attributes, its text, and its
/// children by their own names.
pub(super) fn element(name: &str, value: Value, event: &mut Event) {
    match value {
        Value::Object(map) => element_object(name, map, event),
        // Repeated elements, as XML-to-JSON converters write them.
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
            for item in items {
                element(name, item, event);
            }
        }
        leaf => emit(event, name, leaf),
    }
}

fn element_object(name: &str, mut map: Map<String, Value>, event: &mut Event) {
    // `<Data Name="Image">C:\x.exe</Data>` left unresolved by a converter is the
    // field `Image`, as the evtx crate would have rendered it.
    if name == "Data" {
        if let Some(field) = data_name(&map) {
            let text = map.shift_remove("#text").unwrap_or(Value::Null);
            emit(event, &field, text);
            return;
        }
    }
    for (key, value) in map {
        if key == "#attributes" {
            attributes(name, value, event);
        } else if key == "#text" {
            emit(event, name, value);
        } else if let Some(attribute) = key.strip_prefix('@') {
            if !is_namespace(attribute) {
                emit(event, &format!("{name}_{attribute}"), value);
            }
        } else if key.ends_with("_attributes") && value.is_object() {
            attributes(&key[..key.len() - "_attributes".len()], value, event);
        } else {
            element(&key, value, event);
        }
    }
}

fn attributes(owner: &str, value: Value, event: &mut Event) {
    let Value::Object(map) = value else {
        return;
    };
    for (attribute, value) in map {
        if !is_namespace(&attribute) {
            emit(event, &format!("{owner}_{attribute}"), value);
        }
    }
}

fn data_name(map: &Map<String, Value>) -> Option<String> {
    map.get("#attributes")
        .and_then(|attributes| attributes.get("Name"))
        .or_else(|| map.get("@Name"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

pub(super) fn is_namespace(attribute: &str) -> bool {
    attribute == "xmlns" || attribute.starts_with("xmlns:")
}

fn emit(event: &mut Event, name: &str, value: Value) {
    event.insert(name, windows_field(name, value));
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use vigil_event::FieldValue;

    use super::*;

    fn flat(value: Value) -> Event {
        let Value::Object(map) = value else {
            panic!("test record must be an object")
        };
        assert!(is_shape(&map));
        let mut event = Event::new("test");
        flatten(map, &mut event);
        event
    }

    fn names(event: &Event) -> Vec<&str> {
        event.fields().map(|(name, _)| name).collect()
    }

    fn service_install() -> Value {
        json!({"Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            "System": {
                "Provider": {"#attributes": {"Name": "Service Control Manager",
                    "Guid": "{555908d1-a6d7-4695-8e1e-26931d2012f4}",
                    "EventSourceName": "Service Control Manager"}},
                "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 7045},
                "Version": 0, "Level": 4, "Task": 0, "Opcode": 0,
                "Keywords": "0x8080000000000000",
                "TimeCreated": {"#attributes": {"SystemTime": "2016-09-21T03:41:02.5429687Z"}},
                "EventRecordID": 8623,
                "Correlation": {"#attributes": {"ActivityID": "{a-b}"}},
                "Execution": {"#attributes": {"ProcessID": 488, "ThreadID": 352}},
                "Channel": "System", "Computer": "IE10Win7",
                "Security": {"#attributes": {"UserID": "S-1-5-18"}}
            },
            "EventData": {"ServiceName": "KgXItsbKgTJzdzwl",
                "ImagePath": "%SYSTEMROOT%\\duKhLYUX.exe", "ProcessId": 123}
        }})
    }

    #[test]
    fn system_fields_take_sigma_names() {
        let event = flat(service_install());
        assert_eq!(
            names(&event),
            [
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
                "Execution_ProcessID",
                "Execution_ThreadID",
                "Channel",
                "Computer",
                "Security_UserID",
                "ServiceName",
                "ImagePath",
                "ProcessId",
            ]
        );
        assert_eq!(event.event_id(), Some(7045));
        assert_eq!(event.get("EventID"), Some(&FieldValue::Int(7045)));
        assert_eq!(
            event.get("EventID_Qualifiers"),
            Some(&FieldValue::Int(16384))
        );
        assert_eq!(event.provider(), Some("Service Control Manager"));
        assert_eq!(event.get("ProcessId"), Some(&FieldValue::Int(123)));
        assert_eq!(event.product, Some("windows"));
        assert_eq!(
            event.timestamp.map(|t| t.to_rfc3339()).as_deref(),
            Some("2016-09-21T03:41:02.542968700+00:00")
        );
    }

    #[test]
    fn separate_attributes_give_the_same_names() {
        let event = flat(json!({
            "Event_attributes": {"xmlns": "x"},
            "Event": {"System": {
                "Provider_attributes": {"Name": "P"},
                "EventID_attributes": {"Qualifiers": 16384}, "EventID": 7045,
                "TimeCreated_attributes": {"SystemTime": "2016-09-21T03:41:02Z"},
                "Channel": "System"
            }}
        }));
        assert_eq!(
            names(&event),
            [
                "Provider_Name",
                "EventID_Qualifiers",
                "EventID",
                "TimeCreated_SystemTime",
                "Channel"
            ]
        );
        assert!(event.timestamp.is_some());
    }

    #[test]
    fn text_numbers_of_windows_ids_become_numbers() {
        let event = flat(json!({"Event": {"System": {
            "EventID": "1116", "EventRecordID": "171", "Level": "3"
        }}}));
        assert_eq!(event.get("EventID"), Some(&FieldValue::Int(1116)));
        assert_eq!(event.get("EventRecordID"), Some(&FieldValue::Int(171)));
        // Other fields keep what the record said.
        assert_eq!(event.get("Level"), Some(&FieldValue::from("3")));
    }

    #[test]
    fn unnamed_data_stays_searchable() {
        let list = flat(json!({"Event": {"System": {"EventID": 1},
            "EventData": {"Data": {"#text": ["a", "b"]}, "Binary": "4E00"}}}));
        assert_eq!(
            list.get("Data"),
            Some(&FieldValue::List(vec!["a".into(), "b".into()]))
        );
        assert_eq!(list.get("Binary"), Some(&FieldValue::from("4E00")));

        let single = flat(json!({"Event": {"System": {}, "EventData": {"Data": "x"}}}));
        assert_eq!(single.get("Data"), Some(&FieldValue::from("x")));

        let plain = flat(json!({"Event": {"System": {}, "EventData": {"Data": ["a", "b"]}}}));
        assert_eq!(
            plain.get("Data"),
            Some(&FieldValue::List(vec!["a".into(), "b".into()]))
        );
    }

    #[test]
    fn user_data_uses_leaf_names_and_system_wins() {
        let event = flat(json!({"Event": {
            "System": {"EventID": 104, "Channel": "System"},
            "UserData": {"LogFileCleared": {
                "#attributes": {"xmlns:auto-ns3": "a", "xmlns": "b"},
                "SubjectUserName": "IEUser", "Channel": "Security", "BackupPath": null,
                "Applications": {"Application": "a.exe", "Application_1": "b.exe"}
            }}
        }}));
        assert_eq!(
            event.get("SubjectUserName"),
            Some(&FieldValue::from("IEUser"))
        );
        assert_eq!(event.get("BackupPath"), Some(&FieldValue::Null));
        assert_eq!(event.get("Application_1"), Some(&FieldValue::from("b.exe")));
        // Both Channels are kept; the System one is found first.
        assert_eq!(event.channel(), Some("System"));
        assert_eq!(event.fields().filter(|(k, _)| *k == "Channel").count(), 2);
        assert!(!names(&event).iter().any(|name| name.contains("xmlns")));
    }

    #[test]
    fn nested_elements_with_attributes() {
        let event = flat(
            json!({"Event": {"System": {}, "UserData": {"CryptAcquire": {
                "Certificate": {"#attributes": {"fileRef": "x.cer", "subjectName": "wec02"}},
                "Result": {"#attributes": {"value": "0"}, "#text": "ok"}
            }}}}),
        );
        assert_eq!(
            names(&event),
            [
                "Certificate_fileRef",
                "Certificate_subjectName",
                "Result_value",
                "Result"
            ]
        );
    }

    #[test]
    fn converter_shape_with_named_data_elements() {
        let event = flat(json!({"Event": {
            "@xmlns": "http://schemas.microsoft.com/win/2004/08/events/event",
            "System": {"Provider": {"@Name": "Microsoft-Windows-Sysmon"},
                       "EventID": "1", "Channel": "Microsoft-Windows-Sysmon/Operational"},
            "EventData": {"Data": [
                {"@Name": "Image", "#text": "C:\\Windows\\System32\\cmd.exe"},
                {"@Name": "CommandLine", "#text": "cmd /c whoami"},
                {"@Name": "ParentImage"}
            ]}
        }}));
        assert_eq!(event.provider(), Some("Microsoft-Windows-Sysmon"));
        assert_eq!(event.event_id(), Some(1));
        assert_eq!(
            event.get("CommandLine"),
            Some(&FieldValue::from("cmd /c whoami"))
        );
        assert_eq!(event.get("ParentImage"), Some(&FieldValue::Null));
        assert_eq!(event.get("Data"), None);
    }

    #[test]
    fn event_content_without_its_wrapper() {
        let event = flat(json!({"System": {"EventID": 4624}, "EventData": {"LogonType": 3}}));
        assert_eq!(event.event_id(), Some(4624));
        assert_eq!(event.get("LogonType"), Some(&FieldValue::Int(3)));
    }

    #[test]
    fn empty_sections_add_nothing() {
        let event = flat(json!({"Event": {"System": {"EventID": 1}, "EventData": null}}));
        assert_eq!(names(&event), ["EventID"]);
    }
}
