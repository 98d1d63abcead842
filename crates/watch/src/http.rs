//! The HTTP endpoint: events in (`POST /events`: one JSON object, a JSON
//! array of objects, or NDJSON; `POST /v1/logs`: an OpenTelemetry logs
//! export, OTLP/HTTP in protobuf or JSON, optionally gzipped), and the
//! watcher's health (`GET /health`) and Prometheus metrics
//! (`GET /metrics`).
//!
//! A request is answered only once its events are committed to the store:
//! `200` means they are safe; any other answer means the sender should send
//! them again (detections already stored are not stored twice). When the
//! watcher falls behind, requests wait: the intake queue is bounded.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tiny_http::{Header, Method, Response, Server};

use crate::metrics::Metrics;
use crate::Intake;

/// The largest request body accepted.
const MAX_BODY: u64 = 64 << 20;
/// The most events one request may hold: a body of 64 MiB of `[1,1,1,…]`
/// would otherwise be 32 million values, gigabytes once parsed.
pub const MAX_EVENTS: usize = 100_000;
/// How long a request waits for its commit before the sender is told to retry.
const COMMIT_WAIT: Duration = Duration::from_secs(30);

/// Starts the endpoint on `addr` with a few worker threads.
pub fn serve(
    addr: SocketAddr,
    intake: SyncSender<Intake>,
    metrics: Arc<Metrics>,
) -> anyhow::Result<SocketAddr> {
    let server =
        Arc::new(Server::http(addr).map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?);
    let bound = server
        .server_addr()
        .to_ip()
        .context("the endpoint is not on an IP address")?;
    for _ in 0..2 {
        let server = server.clone();
        let intake = intake.clone();
        let metrics = metrics.clone();
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                handle(request, &intake, &metrics);
            }
        });
    }
    Ok(bound)
}

fn handle(mut request: tiny_http::Request, intake: &SyncSender<Intake>, metrics: &Metrics) {
    let path = request.url().split('?').next().unwrap_or("").to_string();
    let response = match (request.method(), path.as_str()) {
        (Method::Get, "/health") => json(200, health(metrics)),
        (Method::Get, "/metrics") => Response::from_string(metrics.prometheus())
            .with_header(header("Content-Type", "text/plain; version=0.0.4")),
        (Method::Post, "/events") => ingest(&mut request, intake, metrics),
        (Method::Post, "/v1/logs") => otlp(&mut request, intake, metrics),
        _ => json(404, serde_json::json!({"error": "not found"})),
    };
    let _ = request.respond(response);
}

fn ingest(
    request: &mut tiny_http::Request,
    intake: &SyncSender<Intake>,
    metrics: &Metrics,
) -> Response<std::io::Cursor<Vec<u8>>> {
    let body = match read_body(request) {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    let Ok(body) = String::from_utf8(body) else {
        return json(400, serde_json::json!({"error": "the body is not UTF-8"}));
    };
    let lines = match split(&body) {
        Ok(lines) => lines,
        Err(reason) => return json(400, serde_json::json!({"error": reason})),
    };
    let count = lines.len();
    match commit(lines, intake, metrics) {
        Ok(malformed) => json(
            200,
            serde_json::json!({"accepted": count - malformed, "malformed": malformed}),
        ),
        Err(refusal) => refusal,
    }
}

/// An OpenTelemetry logs export: each record read as the line its body
/// holds (`vigil_otlp`), answered as OTLP/HTTP asks, in the request's
/// encoding, with the records that could not be read as a partial success.
fn otlp(
    request: &mut tiny_http::Request,
    intake: &SyncSender<Intake>,
    metrics: &Metrics,
) -> Response<std::io::Cursor<Vec<u8>>> {
    let content_type = header_value(request, "Content-Type").unwrap_or_default();
    let Some(encoding) = vigil_otlp::Encoding::of_content_type(&content_type) else {
        return json(
            415,
            serde_json::json!({"error": "send application/x-protobuf or application/json"}),
        );
    };
    let body = match read_body(request) {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    let records = match vigil_otlp::decode(&body, encoding) {
        Ok(records) => records,
        Err(error) => return json(400, serde_json::json!({"error": error.to_string()})),
    };
    if records.len() > MAX_EVENTS {
        return json(
            413,
            serde_json::json!({"error": format!("more than {MAX_EVENTS} log records in one export; send them in several")}),
        );
    }
    let lines: Vec<String> = records.iter().map(vigil_otlp::Record::line).collect();
    match commit(lines, intake, metrics) {
        Ok(malformed) => {
            let reason = if malformed > 0 {
                "records whose body is no event Vigil reads (see the watcher's log)"
            } else {
                ""
            };
            let content_type = match encoding {
                vigil_otlp::Encoding::Protobuf => "application/x-protobuf",
                vigil_otlp::Encoding::Json => "application/json",
            };
            Response::from_data(vigil_otlp::response(encoding, malformed, reason))
                .with_header(header("Content-Type", content_type))
        }
        Err(refusal) => refusal,
    }
}

/// A request's body, gunzipped when it says so, at most [`MAX_BODY`] bytes.
fn read_body(
    request: &mut tiny_http::Request,
) -> Result<Vec<u8>, Response<std::io::Cursor<Vec<u8>>>> {
    let too_large = || json(413, serde_json::json!({"error": "body larger than 64 MiB"}));
    if request.body_length().is_some_and(|n| n as u64 > MAX_BODY) {
        return Err(too_large());
    }
    let gzipped = header_value(request, "Content-Encoding")
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("gzip"));
    let mut body = Vec::new();
    let raw = request.as_reader().take(MAX_BODY + 1);
    let read = if gzipped {
        flate2::read::GzDecoder::new(raw)
            .take(MAX_BODY + 1)
            .read_to_end(&mut body)
    } else {
        let mut raw = raw;
        raw.read_to_end(&mut body)
    };
    if let Err(error) = read {
        return Err(json(
            400,
            serde_json::json!({"error": format!("unreadable body: {error}")}),
        ));
    }
    if body.len() as u64 > MAX_BODY {
        return Err(too_large());
    }
    Ok(body)
}

/// Hands `lines` to the watcher and waits for their commit; the number of
/// malformed lines, or the answer that tells the sender to retry.
fn commit(
    lines: Vec<String>,
    intake: &SyncSender<Intake>,
    metrics: &Metrics,
) -> Result<usize, Response<std::io::Cursor<Vec<u8>>>> {
    let count = lines.len();
    let (done, committed) = mpsc::channel();
    let sent = intake.send(Intake::Request {
        lines,
        arrived: Instant::now(),
        done,
    });
    if sent.is_err() {
        metrics.dropped.fetch_add(count as u64, Ordering::Relaxed);
        return Err(json(
            503,
            serde_json::json!({"error": "the watcher is stopping"}),
        ));
    }
    committed.recv_timeout(COMMIT_WAIT).map_err(|_| {
        json(
            503,
            serde_json::json!({"error": "not committed in time; send again"}),
        )
    })
}

fn header_value(request: &tiny_http::Request, name: &str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_string())
}

/// The events of a body: a JSON array's elements, or its lines; an error
/// past [`MAX_EVENTS`].
pub fn split(body: &str) -> Result<Vec<String>, String> {
    let too_many = || format!("more than {MAX_EVENTS} events in one request; send them in several");
    let trimmed = body.trim_start();
    if trimmed.starts_with('[') {
        // Each element is rendered as it is read, so that no more than
        // MAX_EVENTS of them are ever held.
        let mut reader = serde_json::Deserializer::from_str(trimmed);
        let elements = serde::Deserializer::deserialize_seq(&mut reader, Elements)
            .and_then(|elements| reader.end().map(|()| elements));
        return match elements {
            Ok(Some(elements)) => Ok(elements),
            Ok(None) => Err(too_many()),
            Err(e) => Err(format!("invalid JSON array: {e}")),
        };
    }
    let mut lines = Vec::new();
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        if lines.len() == MAX_EVENTS {
            return Err(too_many());
        }
        lines.push(line.to_string());
    }
    Ok(lines)
}

/// A JSON array's elements as text, or `None` past [`MAX_EVENTS`] (the rest
/// skipped without being kept).
struct Elements;

impl<'de> serde::de::Visitor<'de> for Elements {
    type Value = Option<Vec<String>>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of events")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut elements = Vec::new();
        while let Some(value) = seq.next_element::<serde_json::Value>()? {
            if elements.len() == MAX_EVENTS {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                return Ok(None);
            }
            elements.push(value.to_string());
        }
        Ok(Some(elements))
    }
}

fn health(metrics: &Metrics) -> serde_json::Value {
    serde_json::json!({
        "status": "ok",
        "checkpoint_age_seconds": metrics.checkpoint_age(),
        "lag_seconds": metrics.lag(),
        "detections": metrics.detections.load(Ordering::Relaxed),
        "malformed": metrics.malformed.load(Ordering::Relaxed),
    })
}

fn json(status: u16, body: serde_json::Value) -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_string(body.to_string())
        .with_status_code(status)
        .with_header(header("Content-Type", "application/json"))
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a valid static header")
}

#[cfg(test)]
mod tests {
    use super::{split, MAX_EVENTS};

    #[test]
    fn bodies_split_into_events() {
        assert_eq!(split("{\"a\":1}").unwrap(), ["{\"a\":1}"]);
        assert_eq!(split("{\"a\":1}\n\n{\"b\":2}\n").unwrap().len(), 2);
        assert_eq!(
            split(" [{\"a\":1},{\"b\":[2]}]").unwrap(),
            ["{\"a\":1}", "{\"b\":[2]}"]
        );
        assert!(split("[{\"a\":").is_err());
        assert!(split("[1] 2").is_err());
    }

    #[test]
    fn a_body_of_too_many_events_is_refused_and_the_next_read() {
        let array = format!("[{}1]", "1,".repeat(MAX_EVENTS));
        let error = split(&array).unwrap_err();
        assert_eq!(
            error,
            "more than 100000 events in one request; send them in several"
        );
        let lines = "{}\n".repeat(MAX_EVENTS + 1);
        assert_eq!(split(&lines).unwrap_err(), error);
        // As many as allowed are read, and the endpoint goes on with the next body.
        let most = format!("[{}1]", "1,".repeat(MAX_EVENTS - 1));
        assert_eq!(split(&most).unwrap().len(), MAX_EVENTS);
        assert_eq!(split("{\"a\":1}").unwrap().len(), 1);
    }

    #[test]
    fn a_body_nested_past_the_limit_is_refused() {
        let deep = format!("[{}{}]", "[".repeat(100_000), "]".repeat(100_000));
        let error = split(&deep).unwrap_err();
        assert!(error.contains("recursion limit exceeded"), "{error}");
    }
}
