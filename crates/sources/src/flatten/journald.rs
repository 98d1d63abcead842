//! journald's JSON export (`journalctl -o json`), read into the fields a
//! syslog line of the same message gives.
//!
//! Each object is one journal entry: `__REALTIME_TIMESTAMP` (microseconds
//! since the epoch, as text), `_HOSTNAME`, `SYSLOG_IDENTIFIER`, `_PID`,
//! `PRIORITY`, `MESSAGE`, … A value that is not valid UTF-8 comes as an
//! array of its bytes; a field given several times, as an array of values.
//!
//! The event is of product `linux` and has, first, what the syslog reader
//! gives the line rsyslog would have written for the entry, so rules and
//! correlations see one message alike from either log:
//!
//! | field | from |
//! |---|---|
//! | `Computer` | `_HOSTNAME` |
//! | `Channel` | `SYSLOG_IDENTIFIER`, else `_COMM` (the program's name) |
//! | `ProcessId` | `SYSLOG_PID`, else `_PID` |
//! | `Facility`, `Severity` | `SYSLOG_FACILITY`, `PRIORITY`, by name |
//! | `Message` | `MESSAGE`, bytes read as UTF-8 (invalid ones replaced) |
//! | `TargetUserName`, `IpAddress`, `Outcome`, … | sshd's, PAM's and sudo's messages taken apart as in syslog |
//!
//! then every other field of the entry under its own name, byte arrays as
//! text and repeated fields as lists. The time is `_SOURCE_REALTIME_TIMESTAMP`
//! (when the program logged) if the entry has it, else
//! `__REALTIME_TIMESTAMP` (when journald received it), as `journalctl`
//! shows it.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use vigil_event::{Event, FieldValue};

use crate::syslog;

/// The shape of journald's entries, for the summary.
pub(super) const SHAPE: &str = "journald JSON";

/// Whether the object is a journal entry: the keys only journald's export
/// has.
pub(super) fn is_shape(map: &Map<String, Value>) -> bool {
    map.contains_key("__REALTIME_TIMESTAMP") || map.contains_key("__CURSOR")
}

/// The fields named in the table of the module's docs, which are not
/// repeated under their journal names.
const READ_AS_SYSLOG: [&str; 7] = [
    "_HOSTNAME",
    "SYSLOG_IDENTIFIER",
    "SYSLOG_PID",
    "_PID",
    "SYSLOG_FACILITY",
    "PRIORITY",
    "MESSAGE",
];

pub(super) fn flatten(map: Map<String, Value>, event: &mut Event) {
    let text = |key: &str| map.get(key).and_then(text_of);
    event.product = Some("linux");
    event.timestamp = text("_SOURCE_REALTIME_TIMESTAMP")
        .and_then(|micros| time(&micros))
        .or_else(|| text("__REALTIME_TIMESTAMP").and_then(|micros| time(&micros)));
    if let Some(host) = text("_HOSTNAME") {
        event.insert("Computer", FieldValue::Str(host));
    }
    let program = text("SYSLOG_IDENTIFIER").or_else(|| text("_COMM"));
    event.insert(
        "Channel",
        FieldValue::from(program.as_deref().unwrap_or("-")),
    );
    if let Some(pid) = text("SYSLOG_PID").or_else(|| text("_PID")) {
        let value = match pid.parse::<i64>() {
            Ok(number) => FieldValue::Int(number),
            Err(_) => FieldValue::Str(pid),
        };
        event.insert("ProcessId", value);
    }
    let code = |key: &str| text(key).and_then(|code| code.trim().parse::<u8>().ok());
    if let Some(name) = code("SYSLOG_FACILITY").and_then(syslog::facility_name) {
        event.insert("Facility", FieldValue::from(name));
    }
    if let Some(name) = code("PRIORITY").and_then(syslog::severity_name) {
        event.insert("Severity", FieldValue::from(name));
    }
    if let Some(message) = text("MESSAGE") {
        event.insert("Message", FieldValue::from(message.as_str()));
        syslog::add_message_fields(program.as_deref(), &message, event);
    }
    for (key, value) in map {
        if !READ_AS_SYSLOG.contains(&key.as_str()) {
            event.insert(key, journal_value(value));
        }
    }
}

/// A value as text: a string, or bytes read as UTF-8; the first of
/// several values.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Array(items) => match bytes(items) {
            Some(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            None => items.first().and_then(text_of),
        },
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// A field's value: text, bytes as text, several values as a list.
fn journal_value(value: Value) -> FieldValue {
    match value {
        Value::String(text) => FieldValue::Str(text),
        Value::Array(items) => match bytes(&items) {
            Some(bytes) => FieldValue::Str(String::from_utf8_lossy(&bytes).into_owned()),
            None => FieldValue::List(items.into_iter().map(journal_value).collect()),
        },
        other => FieldValue::from_json(&other),
    }
}

/// The bytes an array of numbers from 0 to 255 stands for.
fn bytes(items: &[Value]) -> Option<Vec<u8>> {
    items
        .iter()
        .map(|item| item.as_u64().and_then(|b| u8::try_from(b).ok()))
        .collect()
}

/// Microseconds since the epoch, as text.
fn time(micros: &str) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros.trim().parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Event {
        let Value::Object(map) = serde_json::from_str::<Value>(line).unwrap() else {
            panic!("an object");
        };
        assert!(is_shape(&map));
        let mut event = Event::new("journal.json");
        flatten(map, &mut event);
        event
    }

    fn text(event: &Event, name: &str) -> String {
        event.get(name).map(|v| v.to_string()).unwrap_or_default()
    }

    #[test]
    fn an_entry_reads_as_its_syslog_line() {
        let event = read(
            r#"{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1700000000123456","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"sshd","_PID":"4242","PRIORITY":"6","SYSLOG_FACILITY":"4","MESSAGE":"Failed password for root from 203.0.113.9 port 50022 ssh2","_SYSTEMD_UNIT":"ssh.service"}"#,
        );
        let fields: Vec<String> = event
            .fields()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        assert_eq!(
            fields,
            [
                "Computer=web1",
                "Channel=sshd",
                "ProcessId=4242",
                "Facility=auth",
                "Severity=info",
                "Message=Failed password for root from 203.0.113.9 port 50022 ssh2",
                "Outcome=failure",
                "AuthMethod=password",
                "TargetUserName=root",
                "IpAddress=203.0.113.9",
                "IpPort=50022",
                "__CURSOR=s=1;i=2",
                "__REALTIME_TIMESTAMP=1700000000123456",
                "_SYSTEMD_UNIT=ssh.service",
            ]
        );
        assert_eq!(event.product, Some("linux"));
        assert_eq!(
            event.timestamp.unwrap().to_rfc3339(),
            "2023-11-14T22:13:20.123456+00:00"
        );
    }

    #[test]
    fn bytes_repeats_and_the_source_time() {
        let event = read(
            r#"{"__REALTIME_TIMESTAMP":"1700000000000000","_SOURCE_REALTIME_TIMESTAMP":"1699999999000000","_COMM":"app","MESSAGE":[104,105,255],"TAG":["a",[98]],"BIG":null}"#,
        );
        assert_eq!(event.channel(), Some("app"));
        assert_eq!(text(&event, "Message"), "hi\u{FFFD}");
        assert_eq!(
            event.get("TAG"),
            Some(&FieldValue::List(vec!["a".into(), "b".into()]))
        );
        assert_eq!(event.get("BIG"), Some(&FieldValue::Null));
        assert_eq!(event.timestamp.unwrap().timestamp(), 1699999999);
    }

    #[test]
    fn odd_values_give_what_can_be_read() {
        let event = read(
            r#"{"__CURSOR":1,"__REALTIME_TIMESTAMP":"soon","PRIORITY":"99","SYSLOG_FACILITY":[1,2],"_PID":"x","MESSAGE":{"a":1}}"#,
        );
        assert_eq!(event.timestamp, None);
        assert_eq!(event.channel(), Some("-"));
        assert_eq!(event.get("Severity"), None);
        assert_eq!(event.get("ProcessId"), Some(&FieldValue::from("x")));
        assert_eq!(event.get("Message"), None);
    }
}
