//! A Wazuh alert: the event under `data.win`, `system` and `eventdata`
//! names with their first letter lowered, every value text, values that are
//! `-`, `(NULL)` or empty dropped, trailing white space trimmed, unnamed
//! values joined with `, ` under `data`, and the audit-policy codes of 4719
//! decoded.

use serde_json::{json, Map, Value};

use super::{text, unnamed, Record};

pub fn write(record: &Record) -> Value {
    let mut system = Map::new();
    for (name, value) in &record.system {
        let key = match name.as_str() {
            "Provider_Name" => "providerName".to_string(),
            "Provider_Guid" => "providerGuid".to_string(),
            "Provider_EventSourceName" => "eventSourceName".to_string(),
            "TimeCreated_SystemTime" => "systemTime".to_string(),
            "Execution_ProcessID" => "processID".to_string(),
            "Execution_ThreadID" => "threadID".to_string(),
            "Security_UserID" => "securityUserID".to_string(),
            "Correlation_ActivityID" | "Correlation_RelatedActivityID" => continue,
            "EventID_Qualifiers" => continue,
            other => lower_first(other),
        };
        let value = text(value);
        if !value.is_empty() {
            system.insert(key, Value::String(value));
        }
    }
    system.insert("severityValue".into(), json!("INFORMATION"));
    system.insert("message".into(), json!("\"The event's rendered message.\""));
    let mut data = Map::new();
    let mut joined = Vec::new();
    for (name, value) in &record.data {
        if name == "Data" {
            joined.extend(unnamed(value).into_iter().filter_map(|v| kept(&v)));
            continue;
        }
        let Some(value) = kept(&text(value)) else {
            continue;
        };
        if name == "AuditPolicyChanges" {
            data.insert("auditPolicyChangesId".into(), json!(value));
            data.insert("auditPolicyChanges".into(), json!("Success added"));
            continue;
        }
        data.insert(lower_first(name), Value::String(value));
    }
    if data.contains_key("categoryId") && data.contains_key("subcategoryId") {
        data.insert("category".into(), json!("Object Access"));
        data.insert("subcategory".into(), json!("Registry"));
    }
    if !joined.is_empty() {
        data.insert("data".into(), json!(joined.join(", ")));
    }
    let mut win = Map::new();
    win.insert("system".into(), Value::Object(system));
    if !data.is_empty() {
        win.insert("eventdata".into(), Value::Object(data));
    }
    json!({
        "timestamp": record.time.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string(),
        "rule": {"level": 3, "description": "Windows event", "id": "60000", "groups": ["windows"]},
        "agent": {"id": "001", "name": record.json("Computer"), "ip": "10.0.0.5"},
        "manager": {"name": "wazuh-manager"},
        "id": "1614592800.1234",
        "decoder": {"name": "windows_eventchannel"},
        "data": {"win": win},
        "location": "EventChannel",
    })
}

/// A value as Wazuh keeps it: trailing white space trimmed, and nothing for
/// `-`, `(NULL)` or an empty value.
fn kept(value: &str) -> Option<String> {
    let value = value.trim_end();
    (!value.is_empty() && value != "-" && value != "(NULL)").then(|| value.to_string())
}

fn lower_first(name: &str) -> String {
    let mut lowered = name.to_string();
    if let Some(first) = lowered.get_mut(..1) {
        first.make_ascii_lowercase();
    }
    lowered
}
