//! Winlogbeat 7/8 and Elastic Agent: an ECS document with the event under
//! `winlog`, `event.code` and every event-data value as text, unnamed values
//! as `param1`, `param2`, …

use serde_json::{json, Value};

use super::{object, text, unnamed, Record};

pub fn write(record: &Record) -> Value {
    let mut data = Vec::new();
    for (name, value) in &record.data {
        if name == "Data" {
            let params = unnamed(value).into_iter().enumerate();
            data.extend(params.map(|(i, v)| (format!("param{}", i + 1), Value::String(v))));
        } else {
            data.push((name.clone(), Value::String(text(value))));
        }
    }
    let mut winlog = serde_json::Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            winlog.insert(key.to_string(), value);
        }
    };
    put("channel", record.json("Channel"));
    put("computer_name", record.json("Computer"));
    put("provider_name", record.json("Provider_Name"));
    put("provider_guid", record.json("Provider_Guid"));
    put("event_id", record.text("EventID"));
    put("record_id", record.json("EventRecordID"));
    put("version", record.json("Version"));
    put("opcode", Some(json!("Info")));
    put("task", Some(json!("")));
    put("activity_id", record.json("Correlation_ActivityID"));
    put(
        "related_activity_id",
        record.json("Correlation_RelatedActivityID"),
    );
    put("event_data", Some(object(data)));
    let pid = record.json("Execution_ProcessID");
    let tid = record.json("Execution_ThreadID");
    winlog.insert("process".into(), json!({"pid": pid, "thread": {"id": tid}}));
    if let Some(sid) = record.json("Security_UserID") {
        winlog.insert(
            "user".into(),
            json!({"identifier": sid, "domain": "NT AUTHORITY"}),
        );
    }
    json!({
        "@timestamp": record.time_text(),
        "agent": {"type": "winlogbeat", "version": "8.11.0"},
        "ecs": {"version": "8.0.0"},
        "event": {"code": record.text("EventID"), "kind": "event",
                  "provider": record.json("Provider_Name"),
                  "created": "2026-12-07T12:00:00.000Z"},
        "host": {"name": record.json("Computer")},
        "log": {"level": "information"},
        "message": "",
        "winlog": winlog,
    })
}
