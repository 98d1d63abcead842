//! The OpenTelemetry Collector's `windowseventlog` receiver, structured
//! (`raw: false`): its body is a map of the event's parts (`event_id`,
//! `provider`, `channel`, `computer`, `record_id`, `system_time`,
//! `event_data`, …). It becomes the event in `evtx_dump`'s JSON shape,
//! which Vigil reads as the EVTX record would be read.
//!
//! `event_data` comes as a map of the named values, with unnamed ones in a
//! `data` list (whose items may also be one-entry maps of a name and its
//! value, as older receivers wrote them). Its values are text, typed as
//! Vigil types every collector's text values.

use serde_json::{json, Map, Value};

/// The body as an `evtx_dump` record, when it is the receiver's map.
pub(crate) fn evtx_dump(body: &Map<String, Value>) -> Option<Value> {
    let id = body.get("event_id")?;
    let id = match id {
        Value::Object(o) => o.get("id")?.clone(),
        Value::Number(_) => id.clone(),
        _ => return None,
    };
    let provider = body.get("provider").and_then(Value::as_object)?;
    let channel = body.get("channel").and_then(Value::as_str)?;
    let mut provider_attributes = Map::new();
    for (from, to) in [
        ("name", "Name"),
        ("guid", "Guid"),
        ("event_source", "EventSourceName"),
    ] {
        if let Some(v) = provider.get(from).filter(|v| v.as_str() != Some("")) {
            provider_attributes.insert(to.into(), v.clone());
        }
    }
    let mut system = Map::new();
    system.insert(
        "Provider".into(),
        json!({ "#attributes": provider_attributes }),
    );
    system.insert("EventID".into(), id);
    for (from, to) in [("record_id", "EventRecordID"), ("computer", "Computer")] {
        if let Some(v) = body.get(from) {
            system.insert(to.into(), v.clone());
        }
    }
    system.insert("Channel".into(), Value::String(channel.to_string()));
    if let Some(time) = body.get("system_time").and_then(Value::as_str) {
        system.insert(
            "TimeCreated".into(),
            json!({ "#attributes": { "SystemTime": time } }),
        );
    }
    if let Some(execution) = body.get("execution").and_then(Value::as_object) {
        let mut attributes = Map::new();
        for (from, to) in [("process_id", "ProcessID"), ("thread_id", "ThreadID")] {
            if let Some(v) = execution.get(from) {
                attributes.insert(to.into(), v.clone());
            }
        }
        system.insert("Execution".into(), json!({ "#attributes": attributes }));
    }
    if let Some(user) = body
        .get("security")
        .and_then(|s| s.get("user_id"))
        .and_then(Value::as_str)
    {
        system.insert(
            "Security".into(),
            json!({ "#attributes": { "UserID": user } }),
        );
    }
    let mut event = Map::new();
    event.insert("System".into(), Value::Object(system));
    if let Some(data) = body.get("event_data") {
        event.insert("EventData".into(), Value::Object(event_data(data)));
    }
    Some(json!({ "Event": event }))
}

/// The named values as they are, the unnamed ones as `Data`.
fn event_data(data: &Value) -> Map<String, Value> {
    let mut named = Map::new();
    let mut unnamed = Vec::new();
    let mut take_list = |items: &[Value], named: &mut Map<String, Value>| {
        for item in items {
            match item {
                // `{"name": "X", "value": "v"}` or `{"X": "v"}`.
                Value::Object(o) => match (o.get("name").and_then(Value::as_str), o.get("value")) {
                    (Some(name), Some(value)) => {
                        named.insert(name.to_string(), value.clone());
                    }
                    _ if o.len() == 1 => {
                        let (name, value) = o.iter().next().expect("one entry");
                        named.insert(name.clone(), value.clone());
                    }
                    _ => unnamed.push(item.clone()),
                },
                other => unnamed.push(other.clone()),
            }
        }
    };
    match data {
        Value::Object(o) => {
            for (key, value) in o {
                match (key.as_str(), value) {
                    ("data", Value::Array(items)) => take_list(items, &mut named),
                    _ => {
                        named.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        Value::Array(items) => take_list(items, &mut named),
        _ => {}
    }
    for value in named.values_mut() {
        canonical(value);
    }
    unnamed.iter_mut().for_each(canonical);
    match unnamed.len() {
        0 => {}
        1 => {
            named.insert("Data".into(), unnamed.remove(0));
        }
        _ => {
            named.insert("Data".into(), Value::Array(unnamed));
        }
    }
    named
}

/// A value the receiver wrote as text, typed as EVTX has it: text that is
/// exactly an integer's own spelling (`"3"`, as EVTX renders a
/// `LogonType`) becomes the integer, as Vigil types every collector's text
/// values; anything else (`"03"`, `"0x3e7"`, `"-"`) stays text.
fn canonical(value: &mut Value) {
    let Value::String(text) = value else { return };
    if let Some(number) = vigil_sources::canonical_integer(text) {
        *value = Value::from(number);
    }
}
