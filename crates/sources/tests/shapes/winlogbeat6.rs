//! Winlogbeat 6: the event's fields at the top (`computer_name`, `log_name`,
//! `source_name`, `event_id`, `record_number` as text), its data in
//! `event_data` as text, unnamed values as `param1`, `param2`, …

use serde_json::{json, Map, Value};

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
    let mut document = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            document.insert(key.to_string(), value);
        }
    };
    put("@timestamp", Some(json!(record.time_text())));
    put(
        "@metadata",
        Some(json!({"beat": "winlogbeat", "type": "doc", "version": "6.7.0"})),
    );
    put(
        "beat",
        Some(json!({"hostname": "WECserver", "name": "WECserver", "version": "6.7.0"})),
    );
    put("computer_name", record.json("Computer"));
    put("log_name", record.json("Channel"));
    put("source_name", record.json("Provider_Name"));
    put("provider_guid", record.json("Provider_Guid"));
    put("event_id", record.json("EventID"));
    put("record_number", record.text("EventRecordID"));
    put("process_id", record.json("Execution_ProcessID"));
    put("thread_id", record.json("Execution_ThreadID"));
    put("version", record.json("Version"));
    put("activity_id", record.json("Correlation_ActivityID"));
    put(
        "related_activity_id",
        record.json("Correlation_RelatedActivityID"),
    );
    if let Some(sid) = record.json("Security_UserID") {
        put(
            "user",
            Some(json!({"identifier": sid, "name": "SYSTEM", "type": "User"})),
        );
    }
    put("level", Some(json!("Information")));
    put("opcode", Some(json!("Info")));
    put("keywords", Some(json!(["Audit Success"])));
    put("event_data", Some(object(data)));
    put("message", Some(json!("")));
    put("type", Some(json!("wineventlog")));
    Value::Object(document)
}
