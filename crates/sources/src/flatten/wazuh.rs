//! A Windows event as Wazuh stores it, in an alert (`alerts.json`) or an
//! archive record (`archives.json`): the event under `data.win`, its
//! `System` fields in `system` and its data in `eventdata`, every name with
//! its first letter made lower-case (`eventRecordID`, `targetUserName`) and
//! every value text.
//!
//! Wazuh's event channel decoder lowers the first letter of each name and
//! nothing else, so raising it again gives the EVTX name back, except for
//! the few names whose first letter is lower-case in EVTX too, kept in
//! [`LOWER_CASE_NAMES`]. Its other changes to the event are undone where
//! they can be: the audit-policy change it decodes is given back as the
//! `AuditPolicyChanges` EVTX has, the category names it adds are dropped,
//! and unnamed values (which it joins with `, ` under `data`) are `Data`.
//! What it drops cannot be given back: values that are `-`, `(NULL)` or
//! empty, trailing white space, and the `Correlation` IDs.
//!
//! The time is `systemTime`, the record's own creation time in UTC; the
//! document's `timestamp` (Wazuh's receipt) only stands in without it.
//! Wazuh's own verdict (`rule`, and the raw `full_log`) is dropped, so that
//! its words do not answer rules; the rest (`agent.name`, `manager.name`,
//! `location`) keeps its names.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use vigil_event::{same_text, Event, FieldValue};

use super::event_xml_stream::Left;
use super::members::{Leaf, Members};
use super::{dotted, field_value, windows};
use crate::timestamp;

/// The shape a Wazuh record's event is counted under.
pub(super) const SHAPE: &str = "Wazuh";

/// Wazuh's `system` names whose EVTX name is not the name with its first
/// letter raised.
const SYSTEM_FIELDS: [(&str, &str); 8] = [
    ("providerName", "Provider_Name"),
    ("providerGuid", "Provider_Guid"),
    ("eventSourceName", "Provider_EventSourceName"),
    ("systemTime", "TimeCreated_SystemTime"),
    ("processID", "Execution_ProcessID"),
    ("threadID", "Execution_ThreadID"),
    ("securityUserID", "Security_UserID"),
    ("userID", "Security_UserID"),
];

/// `system` keys Wazuh adds: its rendering of the level and the message.
const ADDED_SYSTEM_KEYS: [&str; 2] = ["severityValue", "message"];

/// Event-data names that begin with a lower-case letter in EVTX as well, so
/// they are kept as Wazuh wrote them: the BITS client's and WinHTTP's, as
/// found in the EVTX corpus. (`paramN`, the Service Control Manager's, are
/// kept too.) Names that some provider spells lower-case and another
/// upper-case (`payload`, `processId`, `name`, `url`) are raised, as the
/// rules' providers (PowerShell, Sysmon) spell them, and the few spelled
/// both ways (`binaryData`, `param1`) take the commoner spelling; the engine
/// finds a field whatever its case, so either spelling matches.
const LOWER_CASE_NAMES: [&str; 24] = [
    "bandwidthLimit",
    "binaryData",
    "binaryDataSize",
    "bytesTotal",
    "bytesTransferred",
    "bytesTransferredFromPeer",
    "fAutoDetect",
    "fileCount",
    "fileLength",
    "fileTime",
    "hr",
    "ignoreBandwidthLimitsOnLan",
    "jobId",
    "jobOwner",
    "jobTitle",
    "nApplications",
    "nFiles",
    "peerProtocolFlags",
    "processPath",
    "pwszAutoConfigUrl",
    "pwszProxy",
    "pwszProxyBypass",
    "string2",
    "transferId",
];

/// Wazuh keys that are its verdict on the event, not the event.
const VERDICT_KEYS: [&str; 3] = ["rule", "full_log", "previous_output"];

pub(super) fn is_shape(map: &Map<String, Value>) -> bool {
    matches!(map.get("data"), Some(Value::Object(data))
        if matches!(data.get("win"), Some(Value::Object(win)) if win.contains_key("system")))
}

pub(super) fn flatten(mut root: Map<String, Value>, event: &mut Event) {
    let win = match root.get_mut("data") {
        Some(Value::Object(data)) => data.shift_remove("win"),
        _ => None,
    };
    if let Some(Value::Object(mut win)) = win {
        if let Some(Value::Object(system)) = win.shift_remove("system") {
            system_fields(system, event);
        }
        if let Some(Value::Object(data)) = win.shift_remove("eventdata") {
            event_data(data, event);
        }
        // A `UserData` element, under its own name made lower-case.
        for (_, section) in win {
            if let Value::Object(section) = section {
                event_data(section, event);
            }
        }
    }
    if matches!(root.get("data"), Some(Value::Object(data)) if data.is_empty()) {
        root.shift_remove("data");
    }
    let received = root
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(wazuh_time);
    for key in VERDICT_KEYS {
        root.shift_remove(key);
    }
    dotted::flatten(root, event);
    windows::finish(event);
    event.timestamp = event
        .get("TimeCreated_SystemTime")
        .and_then(timestamp::parse)
        .or(received);
}

fn system_fields(system: Map<String, Value>, event: &mut Event) {
    for (key, value) in system {
        if ADDED_SYSTEM_KEYS.contains(&key.as_str()) {
            continue;
        }
        let value = field_value(value);
        match SYSTEM_FIELDS.iter().find(|(wazuh, _)| *wazuh == key) {
            Some((_, name)) => windows::system(event, name, value),
            None => {
                let name = evtx_name(&key);
                match SYSTEM_NAMES.iter().find(|known| **known == name) {
                    Some(known) => windows::system(event, known, value),
                    None => event.insert(name, value),
                }
            }
        }
    }
}

/// The `System` names whose first letter Wazuh lowers and which
/// [`windows::system`] types.
const SYSTEM_NAMES: [&str; 10] = [
    "EventID",
    "Version",
    "Level",
    "Task",
    "Opcode",
    "Keywords",
    "EventRecordID",
    "Channel",
    "Computer",
    "EventID_Qualifiers",
];

fn event_data(data: Map<String, Value>, event: &mut Event) {
    let audit_categories = data.contains_key("categoryId");
    for (key, value) in data {
        let name = match key.as_str() {
            // Wazuh decodes the `%%8449` codes and keeps the codes as `…Id`.
            "auditPolicyChanges" => continue,
            "auditPolicyChangesId" => "AuditPolicyChanges".to_string(),
            "category" | "subcategory" if audit_categories => continue,
            _ => evtx_name(&key),
        };
        match value {
            Value::Object(nested) => event_data(nested, event),
            value => event.insert(name, windows::data_value(field_value(value))),
        }
    }
}

/// The EVTX name of a name Wazuh wrote.
fn evtx_name(name: &str) -> String {
    let mut evtx = String::new();
    write_evtx_name(name, &mut evtx);
    evtx
}

/// [`evtx_name`] written over `evtx`.
fn write_evtx_name(name: &str, evtx: &mut String) {
    evtx.clear();
    evtx.push_str(name);
    let param = name
        .strip_prefix("param")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if param || LOWER_CASE_NAMES.iter().any(|lower| same_text(lower, name)) {
        return;
    }
    if let Some(first) = evtx.get_mut(..1) {
        first.make_ascii_uppercase();
    }
}

/// [`flatten`] of a record read in one pass: the same fields, in the same
/// order.
pub(super) fn flatten_members(mut members: Members<'_>, event: &mut Event) -> Result<(), Left> {
    let mut name = String::new();
    if let Some(win) = members.find(&["data", "win"]) {
        let system = members.find(&["data", "win", "system"]);
        if let Some(system) = system.filter(|&index| members.is_object(index)) {
            system_members(&members, system, &mut name, event)?;
        }
        let data = members.find(&["data", "win", "eventdata"]);
        if let Some(data) = data.filter(|&index| members.is_object(index)) {
            event_data_members(&members, data, &mut name, event);
        }
        // A `UserData` element, under its own name made lower-case.
        for section in members.children(Some(win)) {
            let key = members.key(section);
            if members.is_object(section) && key != "system" && key != "eventdata" {
                event_data_members(&members, section, &mut name, event);
            }
        }
        members.take(win);
    }
    for key in VERDICT_KEYS {
        if let Some(index) = members.top(key) {
            members.take(index);
        }
    }
    // Wazuh's receipt, read only when the record's own time is missing.
    let received = members
        .top("timestamp")
        .and_then(|index| members.leaf(index))
        .and_then(Leaf::as_str);
    members.rest_dotted(event);
    windows::finish(event);
    event.timestamp = event
        .get("TimeCreated_SystemTime")
        .and_then(timestamp::parse)
        .or_else(|| received.and_then(wazuh_time));
    Ok(())
}

/// [`system_fields`] of the `system` object at `index`.
fn system_members(
    members: &Members<'_>,
    index: usize,
    name: &mut String,
    event: &mut Event,
) -> Result<(), Left> {
    for child in members.children(Some(index)) {
        let key = members.key(child);
        if ADDED_SYSTEM_KEYS.contains(&key) {
            continue;
        }
        let leaf = members.scalar(child)?;
        match SYSTEM_FIELDS.iter().find(|(wazuh, _)| *wazuh == key) {
            Some((_, evtx)) => windows::system_leaf(event, evtx, leaf),
            None => {
                write_evtx_name(key, name);
                match SYSTEM_NAMES.iter().find(|known| **known == name.as_str()) {
                    Some(known) => windows::system_leaf(event, known, leaf),
                    None => leaf.insert(event, name),
                }
            }
        }
    }
    Ok(())
}

/// [`event_data`] of the object at `index`.
fn event_data_members(members: &Members<'_>, index: usize, name: &mut String, event: &mut Event) {
    let audit_categories = members
        .children(Some(index))
        .any(|child| members.key(child) == "categoryId");
    for child in members.children(Some(index)) {
        let key = members.key(child);
        match key {
            "auditPolicyChanges" => continue,
            "auditPolicyChangesId" => {
                name.clear();
                name.push_str("AuditPolicyChanges");
            }
            "category" | "subcategory" if audit_categories => continue,
            _ => write_evtx_name(key, name),
        }
        match members.leaf(child) {
            None => event_data_members(members, child, name, event),
            Some(leaf) => windows::data_leaf(event, name, leaf),
        }
    }
}

/// [`is_shape`] of a record read in one pass.
pub(super) fn is_shape_members(members: &Members<'_>) -> bool {
    let win = members.find(&["data", "win"]);
    win.is_some_and(|win| members.is_object(win))
        && members.find(&["data", "win", "system"]).is_some()
}

/// Wazuh's own time, `2021-03-01T10:00:00.123+0000`: a zone without a colon.
fn wazuh_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .ok()
        .map(|time| time.with_timezone(&Utc))
        .or_else(|| timestamp::parse(&FieldValue::from(text)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

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
    fn names_regain_their_evtx_spelling() {
        let event = flat(json!({
            "timestamp": "2021-03-01T10:00:05.000+0000",
            "rule": {"level": 3, "description": "Sysmon - Event 1"},
            "agent": {"id": "001", "name": "WIN10"},
            "data": {"win": {
                "system": {"providerName": "Microsoft-Windows-Sysmon", "providerGuid": "{5770385f}",
                    "eventID": "1", "version": "5", "level": "4", "task": "1", "opcode": "0",
                    "keywords": "0x8000000000000000", "systemTime": "2021-03-01T10:00:00.1234567Z",
                    "eventRecordID": "12345", "processID": "2000", "threadID": "3000",
                    "channel": "Microsoft-Windows-Sysmon/Operational", "computer": "WIN10.corp",
                    "severityValue": "INFORMATION", "message": "\"Process Create:\""},
                "eventdata": {"image": "C:\\x.exe", "commandLine": "x /c", "logonId": "0x3e7",
                    "processId": "42", "data": "a, b"}
            }},
            "location": "EventChannel"
        }));
        assert_eq!(event.provider(), Some("Microsoft-Windows-Sysmon"));
        assert_eq!(event.event_id(), Some(1));
        assert_eq!(event.record_id(), Some(12345));
        assert_eq!(event.computer(), Some("WIN10.corp"));
        assert_eq!(
            event.get("Execution_ProcessID"),
            Some(&FieldValue::Int(2000))
        );
        assert_eq!(event.get("Level"), Some(&FieldValue::Int(4)));
        let names: Vec<&str> = event.fields().map(|(name, _)| name).collect();
        for name in ["Image", "CommandLine", "LogonId", "ProcessId", "Data"] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
        assert_eq!(event.get("ProcessId"), Some(&FieldValue::Int(42)));
        assert!(!names.iter().any(|n| n.starts_with("rule")), "{names:?}");
        assert_eq!(event.get("agent.name"), Some(&FieldValue::from("WIN10")));
        assert_eq!(event.get("SeverityValue"), None);
        assert_eq!(
            event.timestamp.map(|t| t.timestamp_nanos_opt()),
            Some(Some(1614592800123456700))
        );
    }

    #[test]
    fn audit_policy_codes_come_back_and_receipt_time_stands_in() {
        let event = flat(json!({"timestamp": "2021-03-01T10:00:05.000+0100",
            "data": {"win": {"system": {"eventID": "4719", "channel": "Security"},
            "eventdata": {"categoryId": "%%8274", "subcategoryId": "%%12801",
                "auditPolicyChanges": "Success added", "auditPolicyChangesId": "%%8449",
                "category": "Object Access", "subcategory": "Registry"}}}}));
        assert_eq!(
            event.get("AuditPolicyChanges"),
            Some(&FieldValue::from("%%8449"))
        );
        assert_eq!(event.get("Category"), None);
        assert_eq!(event.get("CategoryId"), Some(&FieldValue::from("%%8274")));
        assert_eq!(event.timestamp.map(|t| t.timestamp()), Some(1614589205));
    }

    #[test]
    fn user_data_sections_are_read() {
        let event = flat(json!({"data": {"win": {"system": {"eventID": "1102"},
            "logFileCleared": {"subjectUserName": "bob"}}}}));
        assert_eq!(event.get("SubjectUserName"), Some(&FieldValue::from("bob")));
    }
}
