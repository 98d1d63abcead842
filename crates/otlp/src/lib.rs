//! OpenTelemetry log records as Vigil reads them: an OTLP/HTTP logs export
//! (`POST /v1/logs`, protobuf or JSON) decoded into its records, and each
//! record rendered as the line Vigil's readers already know, so that an
//! event forwarded over OTLP is matched exactly as the same event read
//! from a file:
//!
//! * a body that is text is the line as the collector read it: a JSON
//!   document of any shape Vigil reads, a Windows event's XML (the
//!   Collector's `windowseventlog` receiver with `raw: true`), a syslog
//!   line;
//! * a body that is a map from the Collector's `windowseventlog` receiver
//!   becomes the Windows event in `evtx_dump`'s shape, the one `vigil hunt`
//!   reads from EVTX exports ([`windows`]);
//! * any other map is the body's object, with the record's time and its
//!   resource's `host.name` added where the body has none.

mod json;
pub mod proto;
mod windows;

use chrono::{DateTime, Utc};
/// To encode [`proto`]'s messages (`encode_to_vec`), as a sender does.
pub use prost::Message;
use serde_json::{Map, Value};

/// How an export's body is encoded, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json`: OTLP/JSON.
    Json,
}

impl Encoding {
    /// The encoding a `Content-Type` names, parameters ignored.
    pub fn of_content_type(content_type: &str) -> Option<Encoding> {
        let media = content_type.split(';').next()?.trim().to_ascii_lowercase();
        match media.as_str() {
            "application/x-protobuf" | "application/protobuf" => Some(Encoding::Protobuf),
            "application/json" => Some(Encoding::Json),
            _ => None,
        }
    }
}

/// Why an export could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OtlpError {
    #[error("not an OTLP logs export in protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    #[error("not an OTLP logs export in JSON: {0}")]
    Json(String),
}

/// One log record, with what its resource and scope say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// When the event happened, else when the collector saw it.
    pub time: Option<DateTime<Utc>>,
    pub severity: Option<String>,
    pub body: Value,
    pub attributes: Map<String, Value>,
    /// The resource's attributes (`host.name`, `service.name`, …).
    pub resource: Map<String, Value>,
}

/// The answer to an export of which `rejected` records could not be read,
/// in the export's encoding.
pub fn response(encoding: Encoding, rejected: usize, reason: &str) -> Vec<u8> {
    let partial = (rejected > 0).then(|| proto::ExportLogsPartialSuccess {
        rejected_log_records: rejected as i64,
        error_message: reason.to_string(),
    });
    match encoding {
        Encoding::Protobuf => proto::ExportLogsServiceResponse {
            partial_success: partial,
        }
        .encode_to_vec(),
        Encoding::Json => match partial {
            None => b"{}".to_vec(),
            Some(p) => serde_json::json!({
                "partialSuccess": {
                    "rejectedLogRecords": p.rejected_log_records.to_string(),
                    "errorMessage": p.error_message,
                }
            })
            .to_string()
            .into_bytes(),
        },
    }
}

/// The records of an export.
pub fn decode(body: &[u8], encoding: Encoding) -> Result<Vec<Record>, OtlpError> {
    match encoding {
        Encoding::Protobuf => {
            let request = proto::ExportLogsServiceRequest::decode(body)?;
            Ok(from_proto(request))
        }
        Encoding::Json => json::decode(body),
    }
}

fn from_proto(request: proto::ExportLogsServiceRequest) -> Vec<Record> {
    let mut records = Vec::new();
    for resource_logs in request.resource_logs {
        let resource = resource_logs
            .resource
            .map(|r| key_values(r.attributes))
            .unwrap_or_default();
        for scope in resource_logs.scope_logs {
            for r in scope.log_records {
                let nanos = match r.time_unix_nano {
                    0 => r.observed_time_unix_nano,
                    t => t,
                };
                records.push(Record {
                    time: time_of(nanos),
                    severity: (!r.severity_text.is_empty()).then_some(r.severity_text),
                    body: r.body.map(any_value).unwrap_or(Value::Null),
                    attributes: key_values(r.attributes),
                    resource: resource.clone(),
                });
            }
        }
    }
    records
}

/// Nanoseconds since the epoch as a time; 0 is "not set".
fn time_of(nanos: u64) -> Option<DateTime<Utc>> {
    if nanos == 0 {
        return None;
    }
    let seconds = i64::try_from(nanos / 1_000_000_000).ok()?;
    DateTime::from_timestamp(seconds, (nanos % 1_000_000_000) as u32)
}

fn key_values(pairs: Vec<proto::KeyValue>) -> Map<String, Value> {
    pairs
        .into_iter()
        .map(|kv| (kv.key, kv.value.map(any_value).unwrap_or(Value::Null)))
        .collect()
}

fn any_value(value: proto::AnyValue) -> Value {
    use base64::Engine as _;
    match value.value {
        None => Value::Null,
        Some(proto::Value::String(s)) => Value::String(s),
        Some(proto::Value::Bool(b)) => Value::Bool(b),
        Some(proto::Value::Int(i)) => Value::from(i),
        Some(proto::Value::Double(d)) => {
            serde_json::Number::from_f64(d).map_or(Value::Null, Value::Number)
        }
        Some(proto::Value::Array(a)) => Value::Array(a.values.into_iter().map(any_value).collect()),
        Some(proto::Value::Kvlist(kv)) => Value::Object(key_values(kv.values)),
        Some(proto::Value::Bytes(b)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
    }
}

impl Record {
    /// The host the record is from, as its resource names it.
    pub fn host(&self) -> Option<&str> {
        ["host.name", "host.hostname"]
            .iter()
            .find_map(|k| self.resource.get(*k).and_then(Value::as_str))
    }

    /// The record as one line Vigil's readers take (see the crate's
    /// documentation).
    pub fn line(&self) -> String {
        match &self.body {
            Value::String(text) => {
                let text = text.replace(['\r', '\n'], " ");
                if read_as_is(&text) {
                    text
                } else {
                    self.generic(Map::from_iter([(
                        "message".to_string(),
                        Value::String(text),
                    )]))
                    .to_string()
                }
            }
            Value::Object(body) => match windows::evtx_dump(body) {
                Some(event) => event.to_string(),
                None => self.generic(body.clone()).to_string(),
            },
            other => self
                .generic(Map::from_iter([("body".to_string(), other.clone())]))
                .to_string(),
        }
    }

    fn generic(&self, mut object: Map<String, Value>) -> Value {
        if let Some(time) = self.time {
            if !["@timestamp", "timestamp", "time"]
                .iter()
                .any(|k| object.contains_key(*k))
            {
                object.insert("@timestamp".into(), Value::String(time.to_rfc3339()));
            }
        }
        if let Some(host) = self.host() {
            object
                .entry("host")
                .or_insert_with(|| serde_json::json!({ "name": host }));
        }
        if !self.attributes.is_empty() {
            object
                .entry("attributes")
                .or_insert_with(|| Value::Object(self.attributes.clone()));
        }
        Value::Object(object)
    }
}

/// Whether a text body is a line Vigil's readers take as it is: JSON, a
/// Windows event's XML or a syslog line (`<PRI>`, `Mon dd`, or an ISO date
/// first). Other text (an application's message) becomes a JSON object.
fn read_as_is(text: &str) -> bool {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let start = text.trim_start();
    let bytes = start.as_bytes();
    start.starts_with(['{', '<'])
        || MONTHS
            .iter()
            .any(|m| start.starts_with(m) && bytes.get(3) == Some(&b' '))
        || (bytes.len() > 4 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-')
}

#[cfg(test)]
mod tests;
