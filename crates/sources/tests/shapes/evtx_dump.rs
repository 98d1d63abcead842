//! evtx_dump's shape (`{"Event":{"System":{…},"EventData":{…}}}`) of records
//! that collectors wrote flat: NXLog's (with or without Logstash) and
//! Winlogbeat 6's. The writer knows which keys each collector adds and what
//! its `System` names are; every other key is the event's data.

use serde_json::{json, Map, Value};

/// Keys NXLog and Logstash add beside the event (NXLog's `im_msvistalog`
/// field list, Logstash's `@` fields and the HELK pipeline's additions).
const NXLOG_KEYS: [&str; 25] = [
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
    "Opcode",
    "Category",
    "host",
    "port",
    "tags",
    "type",
    "AccountName",
    "Domain",
    "AccountType",
    "Hostname",
    "SourceName",
    "ProviderGuid",
    "TimeCreated",
];

/// NXLog's `EventType` words.
const NXLOG_EVENT_TYPES: [&str; 7] = [
    "CRITICAL",
    "ERROR",
    "AUDIT_FAILURE",
    "AUDIT_SUCCESS",
    "INFO",
    "WARNING",
    "VERBOSE",
];

/// An NXLog record (or the Security-Datasets flat form) in evtx_dump's shape.
pub fn from_nxlog(mut record: Map<String, Value>) -> Value {
    let written_by_nxlog = record.contains_key("SourceModuleType");
    let mut take = |key: &str| record.shift_remove(key);
    let provider =
        json!({"#attributes": {"Name": take("SourceName"), "Guid": take("ProviderGuid")}});
    let mut system = Map::new();
    system.insert("Provider".into(), provider);
    for (nxlog, evtx) in [
        ("EventID", "EventID"),
        ("Version", "Version"),
        ("Level", "Level"),
        ("Task", "Task"),
        ("OpcodeValue", "Opcode"),
        ("Keywords", "Keywords"),
    ] {
        if let Some(value) = take(nxlog) {
            system.insert(evtx.into(), value);
        }
    }
    let time = record
        .shift_remove("TimeCreated")
        .or_else(|| record.get("@timestamp").cloned());
    system.insert(
        "TimeCreated".into(),
        json!({"#attributes": {"SystemTime": time}}),
    );
    if let Some(id) = record.shift_remove("RecordNumber") {
        system.insert("EventRecordID".into(), id);
    }
    let execution_pid = match record.shift_remove("ExecutionProcessID") {
        Some(pid) => Some(pid),
        // Older NXLog named the logging process `ProcessID`, as a number.
        None if written_by_nxlog && record.get("ProcessID").is_some_and(Value::is_number) => {
            record.shift_remove("ProcessID")
        }
        None => None,
    };
    let thread = record.shift_remove("ThreadID");
    system.insert(
        "Execution".into(),
        json!({"#attributes": {"ProcessID": execution_pid, "ThreadID": thread}}),
    );
    system.insert(
        "Channel".into(),
        record.shift_remove("Channel").unwrap_or(Value::Null),
    );
    system.insert(
        "Computer".into(),
        record.get("Hostname").cloned().unwrap_or(Value::Null),
    );
    if let Some(sid) = record.shift_remove("UserID") {
        system.insert("Security".into(), json!({"#attributes": {"UserID": sid}}));
    }
    let mut data = Map::new();
    for (key, value) in record {
        let nxlog_event_type = key == "EventType"
            && value
                .as_str()
                .is_some_and(|t| NXLOG_EVENT_TYPES.contains(&t));
        let added =
            NXLOG_KEYS.contains(&key.as_str()) && (written_by_nxlog || !is_data_in_flat_form(&key));
        if !added && !nxlog_event_type {
            data.insert(key, value);
        }
    }
    json!({"Event": {"System": system, "EventData": data}})
}

/// Keys that only NXLog itself adds: in the flat form without NXLog's own
/// keys they are the event's data.
fn is_data_in_flat_form(key: &str) -> bool {
    matches!(
        key,
        "Opcode"
            | "Category"
            | "host"
            | "port"
            | "tags"
            | "type"
            | "AccountName"
            | "Domain"
            | "AccountType"
    )
}

/// A Winlogbeat 6 document in evtx_dump's shape.
pub fn from_winlogbeat6(mut record: Map<String, Value>) -> Value {
    let sid = record
        .get("user")
        .and_then(|user| user.get("identifier"))
        .cloned();
    let mut take = |key: &str| record.shift_remove(key).unwrap_or(Value::Null);
    let mut system = json!({
        "Provider": {"#attributes": {"Name": take("source_name"), "Guid": take("provider_guid")}},
        "EventID": take("event_id"),
        "Version": take("version"),
        "TimeCreated": {"#attributes": {"SystemTime": take("@timestamp")}},
        "EventRecordID": take("record_number"),
        "Correlation": {"#attributes": {"ActivityID": take("activity_id")}},
        "Execution": {"#attributes": {"ProcessID": take("process_id"), "ThreadID": take("thread_id")}},
        "Channel": take("log_name"),
        "Computer": take("computer_name"),
    });
    if let Some(sid) = sid {
        system["Security"] = json!({"#attributes": {"UserID": sid}});
    }
    let mut data = Map::new();
    for section in ["event_data", "user_data"] {
        if let Some(Value::Object(fields)) = record.shift_remove(section) {
            let mut params = Vec::new();
            for (name, value) in fields {
                match name.strip_prefix("param") {
                    Some(n) if n.parse::<u32>().is_ok() => {
                        params.push((n.parse::<u32>().unwrap_or(0), value.clone()))
                    }
                    _ => {}
                }
                if name != "xml_name" {
                    data.insert(name, value);
                }
            }
            params.sort_by_key(|(n, _)| *n);
            if !params.is_empty() {
                data.insert(
                    "Data".into(),
                    Value::Array(params.into_iter().map(|(_, v)| v).collect()),
                );
            }
        }
    }
    json!({"Event": {"System": system, "EventData": data}})
}
