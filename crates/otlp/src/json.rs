//! OTLP/JSON: the same messages as protobuf, with lowerCamelCase keys,
//! 64-bit integers as strings or numbers, bytes in base64 and enums as
//! numbers. Unknown keys are ignored, as the specification asks.

use serde_json::{Map, Value};

use crate::{time_of, OtlpError, Record};

pub(crate) fn decode(body: &[u8]) -> Result<Vec<Record>, OtlpError> {
    let request: Value =
        serde_json::from_slice(body).map_err(|e| OtlpError::Json(e.to_string()))?;
    let Some(resource_logs) = request.get("resourceLogs") else {
        return Err(OtlpError::Json("no resourceLogs".into()));
    };
    let mut records = Vec::new();
    for resource_logs in array(resource_logs, "resourceLogs")? {
        let resource = resource_logs
            .get("resource")
            .and_then(|r| r.get("attributes"))
            .map(key_values)
            .transpose()?
            .unwrap_or_default();
        let scopes = resource_logs.get("scopeLogs").unwrap_or(&Value::Null);
        for scope in array(scopes, "scopeLogs")? {
            let logs = scope.get("logRecords").unwrap_or(&Value::Null);
            for r in array(logs, "logRecords")? {
                let nanos = match integer(r.get("timeUnixNano")) {
                    Some(0) | None => integer(r.get("observedTimeUnixNano")).unwrap_or(0),
                    Some(t) => t,
                };
                records.push(Record {
                    time: time_of(nanos),
                    severity: r
                        .get("severityText")
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                    body: r
                        .get("body")
                        .map(any_value)
                        .transpose()?
                        .unwrap_or(Value::Null),
                    attributes: r
                        .get("attributes")
                        .map(key_values)
                        .transpose()?
                        .unwrap_or_default(),
                    resource: resource.clone(),
                });
            }
        }
    }
    Ok(records)
}

/// A list, or nothing when the key is absent or null.
fn array<'a>(value: &'a Value, what: &str) -> Result<&'a [Value], OtlpError> {
    match value {
        Value::Null => Ok(&[]),
        Value::Array(items) => Ok(items),
        _ => Err(OtlpError::Json(format!("{what} is not a list"))),
    }
}

/// A 64-bit unsigned integer written as a number or a string.
fn integer(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn key_values(value: &Value) -> Result<Map<String, Value>, OtlpError> {
    let mut out = Map::new();
    for kv in array(value, "attributes")? {
        let Some(key) = kv.get("key").and_then(Value::as_str) else {
            return Err(OtlpError::Json("an attribute without a key".into()));
        };
        let value = kv.get("value").map(any_value).transpose()?;
        out.insert(key.to_string(), value.unwrap_or(Value::Null));
    }
    Ok(out)
}

/// An `AnyValue`: one of its typed keys.
fn any_value(value: &Value) -> Result<Value, OtlpError> {
    let Some(object) = value.as_object() else {
        return Err(OtlpError::Json("a value that is not an object".into()));
    };
    let Some((kind, inner)) = object.iter().next() else {
        return Ok(Value::Null);
    };
    Ok(match kind.as_str() {
        "stringValue" | "bytesValue" => Value::String(inner.as_str().unwrap_or_default().into()),
        "boolValue" => Value::Bool(inner.as_bool().unwrap_or_default()),
        "intValue" => match inner {
            Value::String(s) => s.parse::<i64>().map(Value::from).unwrap_or(Value::Null),
            Value::Number(n) => Value::Number(n.clone()),
            _ => Value::Null,
        },
        "doubleValue" => match inner {
            Value::Number(n) => Value::Number(n.clone()),
            // "NaN", "Infinity": not numbers JSON can hold.
            _ => Value::Null,
        },
        "arrayValue" => {
            let values = inner.get("values").unwrap_or(&Value::Null);
            Value::Array(
                array(values, "arrayValue")?
                    .iter()
                    .map(any_value)
                    .collect::<Result<_, _>>()?,
            )
        }
        "kvlistValue" => Value::Object(key_values(inner.get("values").unwrap_or(&Value::Null))?),
        other => return Err(OtlpError::Json(format!("an unknown value kind {other}"))),
    })
}
