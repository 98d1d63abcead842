//! A Windows event as NXLog's `im_msvistalog` input writes it to JSON, alone
//! or passed on by Logstash (HELK, the Mordor / Security-Datasets
//! recordings): one flat object holding NXLog's names for the `System`
//! fields (`Hostname`, `SourceName`, `RecordNumber`, …), NXLog's and
//! Logstash's own keys, and the event's data under its own names beside them.
//!
//! The `System` fields take their EVTX names, the keys the collectors add
//! are dropped, and everything else is the event's data. Some names are
//! both NXLog's and a provider's, and are told apart by their values:
//! `EventType` is NXLog's when it is one of its words (`INFO`,
//! `AUDIT_SUCCESS`, …) and Sysmon's otherwise (`SetValue`); HELK keeps
//! NXLog's as `EventTypeOrignal` [sic] when both were there. NXLog's own
//! fields are numbers where the event's data is always text, so a number
//! under `ProcessID` (older NXLog's name for the process that logged the
//! event) is that, and text is the event's data. `AccountName` and `Domain`
//! are NXLog's lookup of `UserID`, but also names of some events' own data
//! (4778's `AccountName`), which NXLog writes over its lookup: they are kept,
//! since a lookup more is better than a value lost; `AccountType`, NXLog's
//! alone, goes.
//!
//! The time, in UTC, is taken as faithfully as the record allows:
//!
//! * `EventTime` is the record's creation time, and NXLog writes it in the
//!   collector's local time without a zone (`2020-06-09 22:50:54`) unless
//!   configured otherwise. A zone or an epoch number is taken as it is.
//! * Without a zone, Logstash's `@timestamp` (UTC, at receipt) beside
//!   `EventReceivedTime` (the same receipt on NXLog's local clock) tells the
//!   collector's offset from UTC, to the quarter hour; `EventTime` less that
//!   offset is the creation time in UTC to the second.
//! * Failing that, `@timestamp` is the nearest UTC time there is (seconds
//!   after the event); with NXLog alone, `EventTime` is read as UTC, right
//!   only for a collector whose clock is on UTC.
//! * The Security-Datasets form (no NXLog keys, `TimeCreated` with a `Z`)
//!   gives `TimeCreated` as written. In those recordings it differs from
//!   Sysmon's own `UtcTime` by whole hours, but it is the only time every
//!   record carries, and nothing in a record says by how much it is off.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde_json::{Map, Value};
use vigil_event::{same_text, Event, FieldValue};

use super::event_xml_stream::Left;
use super::members::{Leaf, Members};
use super::{dotted, field_value, windows};
use crate::timestamp;

/// The shape an NXLog record's event is counted under.
pub(super) const SHAPE: &str = "NXLog JSON";

/// NXLog's names for the `System` fields, and the EVTX field each one is.
const SYSTEM_FIELDS: [(&str, &str); 14] = [
    ("SourceName", "Provider_Name"),
    ("ProviderGuid", "Provider_Guid"),
    ("EventID", "EventID"),
    ("Level", "Level"),
    ("Task", "Task"),
    ("OpcodeValue", "Opcode"),
    ("Keywords", "Keywords"),
    ("RecordNumber", "EventRecordID"),
    ("ActivityID", "Correlation_ActivityID"),
    ("RelatedActivityID", "Correlation_RelatedActivityID"),
    ("ExecutionProcessID", "Execution_ProcessID"),
    ("ThreadID", "Execution_ThreadID"),
    ("Channel", "Channel"),
    ("Hostname", "Computer"),
];

/// Keys NXLog or Logstash add that EVTX does not have, in every record.
const COLLECTOR_KEYS: [&str; 12] = [
    "EventTime",
    "EventReceivedTime",
    "SourceModuleName",
    "SourceModuleType",
    "Severity",
    "SeverityValue",
    "Message",
    "ERROR_EVT_UNRESOLVED",
    "EventTypeOrignal",
    "@timestamp",
    "@version",
    "@metadata",
];

/// Keys that are NXLog's or Logstash's in a record NXLog wrote, and may be
/// the event's data in one it did not.
const NXLOG_RECORD_KEYS: [&str; 7] = [
    "Opcode",
    "Category",
    "AccountType",
    "host",
    "port",
    "tags",
    "type",
];

/// NXLog's `EventType` words, which no provider's `EventType` is.
const EVENT_TYPES: [&str; 7] = [
    "CRITICAL",
    "ERROR",
    "AUDIT_FAILURE",
    "AUDIT_SUCCESS",
    "INFO",
    "WARNING",
    "VERBOSE",
];

/// The most a collector's clock is off UTC: UTC−12 to UTC+14.
const MOST_OFFSET_HOURS: i64 = 14;

/// An NXLog record names the computer `Hostname` beside the `EventID` and
/// the `Channel` or provider (`SourceName`).
pub(super) fn is_shape(map: &Map<String, Value>) -> bool {
    map.contains_key("Hostname")
        && map.contains_key("EventID")
        && (map.contains_key("Channel") || map.contains_key("SourceName"))
}

pub(super) fn flatten(mut root: Map<String, Value>, event: &mut Event) {
    let written_by_nxlog =
        root.contains_key("SourceModuleType") || root.contains_key("EventReceivedTime");
    let time = time(&root);
    if written_by_nxlog && !root.contains_key("ExecutionProcessID") {
        if let Some(pid) = root.get("ProcessID").filter(|pid| pid.is_number()) {
            windows::system(event, "Execution_ProcessID", field_value(pid.clone()));
            root.shift_remove("ProcessID");
        }
    }
    for (key, name) in SYSTEM_FIELDS {
        let Some(value) = root.shift_remove(key) else {
            continue;
        };
        let value = match (name, value) {
            ("Keywords", Value::Number(mask)) => keywords(&mask),
            (_, value) => field_value(value),
        };
        windows::system(event, name, value);
    }
    if let Some(version) = root.get("Version").filter(|v| v.is_number()) {
        windows::system(event, "Version", field_value(version.clone()));
        root.shift_remove("Version");
    }
    if let Some(user) = root.shift_remove("UserID") {
        windows::system(event, "Security_UserID", field_value(user));
    }
    match root.shift_remove("TimeCreated") {
        Some(created) => event.insert("TimeCreated_SystemTime", field_value(created)),
        None => {
            if let Some(time) = time {
                event.insert("TimeCreated_SystemTime", FieldValue::Str(system_time(time)));
            }
        }
    }
    for (key, value) in root {
        let collectors = COLLECTOR_KEYS.contains(&key.as_str())
            || (written_by_nxlog && NXLOG_RECORD_KEYS.contains(&key.as_str()))
            || (key == "EventType" && value.as_str().is_some_and(|t| EVENT_TYPES.contains(&t)));
        if collectors {
            continue;
        }
        match value {
            Value::Object(map) => {
                let mut nested = Map::new();
                nested.insert(key, Value::Object(map));
                dotted::flatten(nested, event);
            }
            value => event.insert(key, windows::data_value(field_value(value))),
        }
    }
    windows::finish(event);
    event.timestamp = time;
}

/// [`flatten`] of a record read in one pass: the same fields, in the same
/// order.
pub(super) fn flatten_members(mut members: Members<'_>, event: &mut Event) -> Result<(), Left> {
    let has = |key: &str| members.top(key).is_some();
    let written_by_nxlog = has("SourceModuleType") || has("EventReceivedTime");
    for key in [
        "@timestamp",
        "EventTime",
        "TimeCreated",
        "EventReceivedTime",
    ] {
        if let Some(index) = members.top(key) {
            members.scalar(index)?;
        }
    }
    let time = time_of(|key| {
        let index = members.top(key)?;
        members.leaf(index).map(Leaf::to_value)
    });
    if written_by_nxlog && !has("ExecutionProcessID") {
        let pid = members.top("ProcessID");
        if let Some(pid) = pid.filter(|&pid| members.leaf(pid).is_some_and(Leaf::is_number)) {
            windows::system_leaf(event, "Execution_ProcessID", members.scalar(pid)?);
            members.take(pid);
        }
    }
    for (key, name) in SYSTEM_FIELDS {
        let Some(index) = members.top(key) else {
            continue;
        };
        match (name, members.scalar(index)?) {
            ("Keywords", Leaf::Other(&FieldValue::Int(signed))) => {
                let mask = FieldValue::Str(format!("0x{:x}", signed as u64));
                windows::system(event, name, mask);
            }
            (_, leaf) => windows::system_leaf(event, name, leaf),
        }
        members.take(index);
    }
    let version = members.top("Version");
    if let Some(version) = version.filter(|&v| members.leaf(v).is_some_and(Leaf::is_number)) {
        windows::system_leaf(event, "Version", members.scalar(version)?);
        members.take(version);
    }
    if let Some(user) = members.top("UserID") {
        windows::system_leaf(event, "Security_UserID", members.scalar(user)?);
        members.take(user);
    }
    match members.top("TimeCreated") {
        Some(created) => {
            members
                .scalar(created)?
                .insert(event, "TimeCreated_SystemTime");
            members.take(created);
        }
        None => {
            if let Some(time) = time {
                event.insert("TimeCreated_SystemTime", FieldValue::Str(system_time(time)));
            }
        }
    }
    for index in members.children(None) {
        if members.is_taken(index) {
            continue;
        }
        let key = members.key(index);
        let leaf = members.leaf(index);
        let listed = |keys: &[&str]| keys.iter().any(|listed| same_text(listed, key));
        let collectors = listed(&COLLECTOR_KEYS)
            || (written_by_nxlog && listed(&NXLOG_RECORD_KEYS))
            || (key == "EventType"
                && leaf
                    .and_then(Leaf::as_str)
                    .is_some_and(|t| EVENT_TYPES.contains(&t)));
        if collectors {
            continue;
        }
        match leaf {
            None => members.dotted_within(index, event),
            Some(leaf) => windows::data_leaf(event, key, leaf),
        }
    }
    windows::finish(event);
    event.timestamp = time;
    Ok(())
}

/// [`is_shape`] of a record read in one pass.
pub(super) fn is_shape_members(members: &Members<'_>) -> bool {
    let has = |key: &str| members.top(key).is_some();
    has("Hostname") && has("EventID") && (has("Channel") || has("SourceName"))
}

/// A time as EVTX renders `SystemTime` (`2020-06-10T02:50:54.000000Z`), as
/// chrono's `%Y-%m-%dT%H:%M:%S%.6fZ` writes it, without reading the format
/// for every record.
fn system_time(time: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    if !(0..=9999).contains(&time.year()) {
        return time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    }
    let nanos = time.nanosecond();
    let mut text = String::with_capacity(27);
    let mut digits = |value: u32, width: u32, after: Option<char>| {
        for place in (0..width).rev() {
            let digit = value / 10u32.pow(place) % 10;
            text.push(char::from(b'0' + digit as u8));
        }
        text.extend(after);
    };
    digits(time.year() as u32, 4, Some('-'));
    digits(time.month(), 2, Some('-'));
    digits(time.day(), 2, Some('T'));
    digits(time.hour(), 2, Some(':'));
    digits(time.minute(), 2, Some(':'));
    // A leap second is second 60, as chrono writes it.
    digits(time.second() + nanos / 1_000_000_000, 2, Some('.'));
    digits(nanos % 1_000_000_000 / 1_000, 6, Some('Z'));
    text
}

/// NXLog writes the keyword mask as a signed number; EVTX as hexadecimal text.
fn keywords(mask: &serde_json::Number) -> FieldValue {
    match mask.as_i64() {
        Some(signed) => FieldValue::Str(format!("0x{:x}", signed as u64)),
        None => FieldValue::from_json(&Value::Number(mask.clone())),
    }
}

/// The record's creation time in UTC, as the module's docs explain.
fn time(root: &Map<String, Value>) -> Option<DateTime<Utc>> {
    time_of(|key| root.get(key).map(|value| field_value(value.clone())))
}

/// [`time`] from the values `value_of` gives the record's keys.
fn time_of(value_of: impl Fn(&str) -> Option<FieldValue>) -> Option<DateTime<Utc>> {
    let parse = |key: &str| value_of(key).map(|value| timestamp::parse(&value));
    let received_utc = parse("@timestamp").flatten();
    let Some(event_time) = value_of("EventTime") else {
        return parse("TimeCreated").flatten().or(received_utc);
    };
    let Some(local) = zoneless(&event_time) else {
        // An epoch number or a time with its zone says the instant itself.
        return timestamp::parse(&event_time).or(received_utc);
    };
    let received_local = value_of("EventReceivedTime").and_then(|time| zoneless(&time));
    match (received_utc, received_local) {
        (Some(utc), Some(received)) => match collector_offset(received, utc) {
            Some(offset) => local.and_utc().checked_sub_signed(offset),
            None => Some(utc),
        },
        (Some(utc), None) => Some(utc),
        (None, _) => Some(local.and_utc()),
    }
}

/// A time written without a zone (`2020-06-09 22:50:54`), as NXLog writes
/// its local times.
fn zoneless(value: &FieldValue) -> Option<NaiveDateTime> {
    let text = value.as_str()?.trim();
    // NXLog's own form, read without chrono's format parser.
    if let Some(time) = timestamp::plain_time(text.as_bytes(), b' ') {
        return Some(time);
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

/// How far the collector's clock, which read `local` at the moment Logstash
/// stamped `utc`, is ahead of UTC: to the quarter hour, since zones are, and
/// since the record took a moment to reach Logstash.
fn collector_offset(local: NaiveDateTime, utc: DateTime<Utc>) -> Option<TimeDelta> {
    let ahead = local.and_utc().signed_duration_since(utc).num_seconds();
    let quarter = 15 * 60;
    let quarters = (ahead as f64 / quarter as f64).round() as i64;
    let offset = TimeDelta::seconds(quarters * quarter);
    (offset.num_hours().abs() <= MOST_OFFSET_HOURS).then_some(offset)
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

    fn names(event: &Event) -> Vec<&str> {
        event.fields().map(|(name, _)| name).collect()
    }

    /// A Sysmon record as NXLog wrote it and Logstash passed it on, as in
    /// the Mordor recordings.
    fn sysmon_via_logstash() -> Value {
        json!({"ProcessId":"6196","@timestamp":"2020-06-10T02:50:56.537Z","RuleName":"-",
            "Task":13,"Version":2,"Domain":"NT AUTHORITY","EventTypeOrignal":"INFO",
            "Keywords":-9223372036854775808_i64,"AccountName":"SYSTEM",
            "TargetObject":"HKU\\x","SourceName":"Microsoft-Windows-Sysmon","port":62387,
            "UserID":"S-1-5-18","Hostname":"WORKSTATION6.mordor.local","tags":["mordorDataset"],
            "EventTime":"2020-06-09 22:50:54","ExecutionProcessID":3500,
            "Image":"C:\\x.exe","SeverityValue":2,"Severity":"INFO","EventID":13,
            "@version":"1","EventReceivedTime":"2020-06-09 22:50:56","RecordNumber":713650,
            "SourceModuleType":"im_msvistalog","ThreadID":4168,"host":"wec","Message":"Registry value set",
            "UtcTime":"2020-06-10 02:50:54.631","ProviderGuid":"{5770385F}",
            "SourceModuleName":"eventlog","EventType":"SetValue","OpcodeValue":0,
            "Channel":"Microsoft-Windows-Sysmon/Operational","AccountType":"User"})
    }

    #[test]
    fn system_fields_take_evtx_names_and_collector_keys_go() {
        let event = flat(sysmon_via_logstash());
        assert_eq!(
            names(&event),
            [
                "Provider_Name",
                "Provider_Guid",
                "EventID",
                "Task",
                "Opcode",
                "Keywords",
                "EventRecordID",
                "Execution_ProcessID",
                "Execution_ThreadID",
                "Channel",
                "Computer",
                "Version",
                "Security_UserID",
                "TimeCreated_SystemTime",
                "ProcessId",
                "RuleName",
                "Domain",
                "AccountName",
                "TargetObject",
                "Image",
                "UtcTime",
                "EventType",
            ]
        );
        assert_eq!(event.computer(), Some("WORKSTATION6.mordor.local"));
        assert_eq!(event.record_id(), Some(713650));
        assert_eq!(
            event.get("Keywords"),
            Some(&FieldValue::from("0x8000000000000000"))
        );
        assert_eq!(event.get("EventType"), Some(&FieldValue::from("SetValue")));
        assert_eq!(event.get("ProcessId"), Some(&FieldValue::Int(6196)));
        assert_eq!(event.product, Some("windows"));
    }

    #[test]
    fn local_event_time_is_made_utc_by_the_logstash_offset() {
        let event = flat(sysmon_via_logstash());
        // EventTime 22:50:54 at UTC−4, as UtcTime (02:50:54.631) confirms.
        assert_eq!(
            event.timestamp.map(|t| t.to_rfc3339()).as_deref(),
            Some("2020-06-10T02:50:54+00:00")
        );
        assert_eq!(
            event.get("TimeCreated_SystemTime"),
            Some(&FieldValue::from("2020-06-10T02:50:54.000000Z"))
        );
    }

    #[test]
    fn system_time_is_written_as_chrono_writes_it() {
        for text in [
            "2020-06-10T02:50:54Z",
            "2020-06-10T02:50:54.123456789Z",
            "0001-01-01T00:00:00.000001Z",
            "9999-12-31T23:59:59.999999Z",
        ] {
            let time: DateTime<Utc> = text.parse().unwrap();
            assert_eq!(
                system_time(time),
                time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
            );
        }
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
            .unwrap()
            .and_utc();
        assert_eq!(
            system_time(leap),
            leap.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
        );
        let far = DateTime::from_timestamp(300_000_000_000, 0).unwrap();
        assert_eq!(
            system_time(far),
            far.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
        );
    }

    #[test]
    fn times_without_logstash_or_with_a_zone() {
        let base = json!({"Hostname": "h", "EventID": 1, "Channel": "c",
            "SourceModuleType": "im_msvistalog"});
        let at = |extra: Value| {
            let mut record = base.clone();
            record
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            flat(record).timestamp.map(|t| t.to_rfc3339())
        };
        let expect = |text: &str| Some(text.to_string());
        assert_eq!(
            at(json!({"EventTime": "2020-06-09 22:50:54"})),
            expect("2020-06-09T22:50:54+00:00")
        );
        assert_eq!(
            at(json!({"EventTime": "2020-06-09T22:50:54-04:00"})),
            expect("2020-06-10T02:50:54+00:00")
        );
        assert_eq!(
            at(json!({"EventTime": 1591757454})),
            expect("2020-06-10T02:50:54+00:00")
        );
        assert_eq!(
            at(json!({"EventTime": "2020-06-09 22:50:54", "@timestamp": "2020-06-10T02:50:58Z"})),
            expect("2020-06-10T02:50:58+00:00"),
            "no receipt time on NXLog's clock: Logstash's receipt"
        );
        assert_eq!(
            at(
                json!({"EventTime": "2020-06-10 08:20:54", "EventReceivedTime": "2020-06-10 08:20:57",
                "@timestamp": "2020-06-10T02:50:58.2Z"})
            ),
            expect("2020-06-10T02:50:54+00:00"),
            "UTC+5:30"
        );
    }

    #[test]
    fn security_datasets_form_keeps_its_data() {
        let event = flat(json!({"SourceName":"Microsoft-Windows-Security-Auditing",
            "ProviderGuid":"{54849625}","Level":"0","Keywords":"0x8020000000000000",
            "Channel":"Security","Hostname":"pedro-computer","TimeCreated":"2022-08-18T06:55:57.789Z",
            "@timestamp":"2022-08-18T06:55:57.789Z","EventID":4703,"Message":"A token right was adjusted.",
            "Task":"13317","SubjectUserName":"PEDRO-COMPUTER$","ProcessId":"0x4d8",
            "Category":"c","type":"t","AccountName":"a","AccountType":"User"}));
        assert_eq!(event.get("Level"), Some(&FieldValue::Int(0)));
        assert_eq!(event.get("Task"), Some(&FieldValue::Int(13317)));
        assert_eq!(event.get("Message"), None);
        assert_eq!(event.get("ProcessId"), Some(&FieldValue::from("0x4d8")));
        // Not NXLog's record: these are the event's own.
        for name in ["Category", "type", "AccountName", "AccountType"] {
            assert!(event.get(name).is_some(), "{name}");
        }
        assert_eq!(
            event.timestamp.map(|t| t.timestamp_millis()),
            Some(1660805757789)
        );
        assert_eq!(event.record_id(), None, "the form has no record number");
    }

    #[test]
    fn older_nxlog_process_id_and_info_event_type() {
        let event = flat(
            json!({"Hostname":"HR001","EventID":10,"Channel":"Microsoft-Windows-Sysmon/Operational",
            "SourceModuleType":"im_msvistalog","ProcessID":3128,"EventType":"INFO",
            "SourceProcessId":"3492","Category":"Process accessed (rule: ProcessAccess)","Opcode":"Info"}),
        );
        assert_eq!(
            event.get("Execution_ProcessID"),
            Some(&FieldValue::Int(3128))
        );
        assert_eq!(event.get("EventType"), None);
        assert_eq!(event.get("Category"), None);
        assert_eq!(event.get("Opcode"), None);
        let data = flat(json!({"Hostname":"h","EventID":5156,"Channel":"Security",
            "SourceModuleType":"im_msvistalog","ProcessID":"5452"}));
        assert_eq!(data.get("ProcessID"), Some(&FieldValue::Int(5452)));
        assert_eq!(data.get("Execution_ProcessID"), None);
    }
}
