//! NXLog's `im_msvistalog` record passed on by Logstash, as in the Mordor
//! recordings: NXLog's names for the `System` fields, the event data beside
//! them as text, NXLog's and Logstash's own keys, `EventTime` in the
//! collector's local time (here UTC−4) and Logstash's `@timestamp` in UTC
//! two seconds later.

use chrono::TimeDelta;
use serde_json::{json, Map, Value};

use super::{text, Record};

/// The collector's clock: four hours behind UTC.
const COLLECTOR_OFFSET_HOURS: i64 = -4;

pub fn write(record: &Record) -> Value {
    let mut out = Map::new();
    let local = record.time + TimeDelta::hours(COLLECTOR_OFFSET_HOURS);
    let received = local + TimeDelta::seconds(2);
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            out.insert(key.to_string(), value);
        }
    };
    put(
        "EventTime",
        Some(json!(local.format("%Y-%m-%d %H:%M:%S").to_string())),
    );
    put("Hostname", record.json("Computer"));
    put("Keywords", record.get("Keywords").and_then(keywords));
    put("EventType", Some(json!("AUDIT_SUCCESS")));
    put("SeverityValue", Some(json!(2)));
    put("Severity", Some(json!("INFO")));
    put("EventID", record.json("EventID"));
    put("SourceName", record.json("Provider_Name"));
    put("ProviderGuid", record.json("Provider_Guid"));
    put("Version", record.json("Version"));
    put("Task", record.json("Task"));
    put("OpcodeValue", record.json("Opcode"));
    put("RecordNumber", record.json("EventRecordID"));
    put("ActivityID", record.json("Correlation_ActivityID"));
    put(
        "RelatedActivityID",
        record.json("Correlation_RelatedActivityID"),
    );
    put("ExecutionProcessID", record.json("Execution_ProcessID"));
    put("ThreadID", record.json("Execution_ThreadID"));
    put("Channel", record.json("Channel"));
    if let Some(sid) = record.json("Security_UserID") {
        put("Domain", Some(json!("NT AUTHORITY")));
        put("AccountName", Some(json!("SYSTEM")));
        put("UserID", Some(sid));
        put("AccountType", Some(json!("User")));
    }
    put(
        "Category",
        Some(json!("Process Create (rule: ProcessCreate)")),
    );
    put("Opcode", Some(json!("Info")));
    put("Message", Some(json!("The event's rendered message.")));
    put(
        "EventReceivedTime",
        Some(json!(received.format("%Y-%m-%d %H:%M:%S").to_string())),
    );
    put("SourceModuleName", Some(json!("eventlog")));
    put("SourceModuleType", Some(json!("im_msvistalog")));
    put("@version", Some(json!("1")));
    let logstash = record.time + TimeDelta::milliseconds(2_537);
    put(
        "@timestamp",
        Some(json!(
            logstash.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        )),
    );
    put("host", Some(json!("wec.internal.cloudapp.net")));
    put("port", Some(json!(62387)));
    put("tags", Some(json!(["mordorDataset"])));
    for (name, value) in &record.data {
        let value = match value {
            vigil_event::FieldValue::List(items) => {
                Value::Array(items.iter().map(|v| Value::String(text(v))).collect())
            }
            other => Value::String(text(other)),
        };
        // A `System` field keeps NXLog's value over a same-named one of
        // the event's data (a cleared log's `Channel`).
        if SYSTEM_KEYS.contains(&name.as_str()) {
            continue;
        }
        // NXLog's own `EventType` is kept aside, as HELK's pipeline does,
        // when the event has one of its own.
        if name == "EventType" {
            if let Some(nxlog) = out.shift_remove("EventType") {
                out.insert("EventTypeOrignal".into(), nxlog);
            }
        }
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

/// NXLog's names of the `System` fields.
const SYSTEM_KEYS: [&str; 14] = [
    "Hostname",
    "Keywords",
    "EventID",
    "SourceName",
    "ProviderGuid",
    "Version",
    "Task",
    "OpcodeValue",
    "RecordNumber",
    "ActivityID",
    "RelatedActivityID",
    "ExecutionProcessID",
    "ThreadID",
    "Channel",
];

/// The keyword mask as NXLog writes it: a signed 64-bit number.
fn keywords(value: &vigil_event::FieldValue) -> Option<Value> {
    let text = value.as_str()?;
    let mask = u64::from_str_radix(text.trim_start_matches("0x"), 16).ok()?;
    Some(json!(mask as i64))
}
