//! The HTTP endpoint: events in (`POST /events`: one JSON object, a JSON
//! array of objects, or NDJSON; `POST /v1/logs`: an OpenTelemetry logs
//! export, OTLP/HTTP in protobuf or JSON, optionally gzipped), and the
//! watcher's health (`GET /health`) and Prometheus metrics
//! (`GET /metrics`), in clear or over TLS ([`vigil_net`]).
//!
//! A request is answered only once its events are committed to the store:
//! `200` means they are safe; any other answer means the sender should send
//! them again (detections already stored are not stored twice). When the
//! watcher falls behind, requests wait: the intake queue is bounded.
//!
//! With a tokens file every request but `GET /health` needs a known bearer
//! token (`401` otherwise), and the token's sender name is recorded on the
//! events it sends (their source is `http:NAME`); under mutual TLS the name
//! on the client's certificate is recorded instead. Each sender (by name,
//! or by address when anonymous) gets a number of requests a second;
//! over it, `429` with `Retry-After`. Every refusal is counted in
//! `vigil_refused_total`.

use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_net::http::{self, Options, Peer, Refusal, Request, Response};
use vigil_net::{RateLimit, Tls, Tokens};

use crate::metrics::Metrics;
use crate::Intake;

/// The largest request body accepted, compressed or not.
const MAX_BODY: usize = 64 << 20;
/// The most events one request may hold: a body of 64 MiB of `[1,1,1,…]`
/// would otherwise be 32 million values, gigabytes once parsed.
pub const MAX_EVENTS: usize = 100_000;
/// How long a request waits for its commit before the sender is told to retry.
const COMMIT_WAIT: Duration = Duration::from_secs(30);

/// Who may send to the endpoint, and how often.
#[derive(Default)]
pub struct Guard {
    /// Senders must present one of these tokens.
    pub tokens: Option<Arc<Tokens>>,
    /// Requests a second per sender.
    pub limit: Option<RateLimit>,
}

struct Endpoint {
    intake: SyncSender<Intake>,
    metrics: Arc<Metrics>,
    guard: Guard,
}

/// Starts the endpoint on `addr`, over TLS when given.
pub fn serve(
    addr: SocketAddr,
    tls: Option<Arc<Tls>>,
    guard: Guard,
    intake: SyncSender<Intake>,
    metrics: Arc<Metrics>,
) -> anyhow::Result<SocketAddr> {
    let listener =
        TcpListener::bind(addr).map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    let observed = metrics.clone();
    let options = Options {
        max_head: 64 << 10,
        max_body: MAX_BODY,
        keep_alive: true,
        max_connections: 256,
        idle: Duration::from_secs(60),
        headers: Vec::new(),
        on_refusal: Some(Arc::new(move |refusal| {
            observed.refused(match refusal {
                Refusal::Handshake => "tls",
                Refusal::Busy => "connections",
                Refusal::Request(413) => "size",
                Refusal::Request(_) => "malformed",
            })
        })),
    };
    let endpoint = Endpoint {
        intake,
        metrics,
        guard,
    };
    std::thread::spawn(move || {
        http::serve(listener, tls, options, move |request, peer| {
            endpoint.handle(&request, peer)
        })
    });
    Ok(bound)
}

impl Endpoint {
    fn handle(&self, request: &Request, peer: &Peer) -> Response {
        let route = (request.method.as_str(), request.path.as_str());
        if route == ("GET", "/health") {
            return json(200, health(&self.metrics));
        }
        let sender = match self.sender(request, peer) {
            Ok(sender) => sender,
            Err(refusal) => return refusal,
        };
        if let Some(limit) = &self.guard.limit {
            let key = sender
                .as_deref()
                .map_or_else(|| peer.addr.ip().to_string(), str::to_string);
            if let Err(wait) = limit.admit(&key) {
                self.metrics.refused("rate");
                let seconds = wait.as_secs_f64().ceil().max(1.0);
                return json(
                    429,
                    serde_json::json!({"error": "too many requests from this sender; send again later"}),
                )
                .with("Retry-After", &format!("{seconds}"));
            }
        }
        match route {
            ("GET", "/metrics") => {
                Response::new(200, "text/plain; version=0.0.4", self.metrics.prometheus())
            }
            ("POST", "/events") => self.ingest(request, sender),
            ("POST", "/v1/logs") => self.otlp(request, sender),
            _ => json(404, serde_json::json!({"error": "not found"})),
        }
    }

    /// The sender's name: its token's, or its certificate's; `None` when
    /// anonymous is allowed; a `401` when a token is required and missing.
    fn sender(&self, request: &Request, peer: &Peer) -> Result<Option<Arc<str>>, Response> {
        let Some(tokens) = &self.guard.tokens else {
            return Ok(peer.certificate.clone());
        };
        match tokens.sender(request.header("Authorization")) {
            Some(name) => Ok(Some(name)),
            None => {
                self.metrics.refused("auth");
                Err(json(
                    401,
                    serde_json::json!({"error": "a known bearer token is required (Authorization: Bearer TOKEN)"}),
                )
                .with("WWW-Authenticate", "Bearer realm=\"vigil\""))
            }
        }
    }

    fn ingest(&self, request: &Request, sender: Option<Arc<str>>) -> Response {
        let body = match self.body(request) {
            Ok(body) => body,
            Err(refusal) => return refusal,
        };
        let Ok(body) = String::from_utf8(body) else {
            return json(400, serde_json::json!({"error": "the body is not UTF-8"}));
        };
        let lines = match split(&body) {
            Ok(lines) => lines,
            Err(reason) => {
                if reason.starts_with("more than") {
                    self.metrics.refused("events");
                    return json(413, serde_json::json!({"error": reason}));
                }
                return json(400, serde_json::json!({"error": reason}));
            }
        };
        let count = lines.len();
        match self.commit(lines, sender) {
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
    fn otlp(&self, request: &Request, sender: Option<Arc<str>>) -> Response {
        let content_type = request.header("Content-Type").unwrap_or_default();
        let Some(encoding) = vigil_otlp::Encoding::of_content_type(content_type) else {
            return json(
                415,
                serde_json::json!({"error": "send application/x-protobuf or application/json"}),
            );
        };
        let body = match self.body(request) {
            Ok(body) => body,
            Err(refusal) => return refusal,
        };
        let records = match vigil_otlp::decode(&body, encoding) {
            Ok(records) => records,
            Err(error) => return json(400, serde_json::json!({"error": error.to_string()})),
        };
        if records.len() > MAX_EVENTS {
            self.metrics.refused("events");
            return json(
                413,
                serde_json::json!({"error": format!("more than {MAX_EVENTS} log records in one export; send them in several")}),
            );
        }
        let lines: Vec<String> = records.iter().map(vigil_otlp::Record::line).collect();
        match self.commit(lines, sender) {
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
                Response::new(
                    200,
                    content_type,
                    vigil_otlp::response(encoding, malformed, reason),
                )
            }
            Err(refusal) => refusal,
        }
    }

    /// A request's body, gunzipped when it says so, at most [`MAX_BODY`]
    /// bytes either way.
    fn body(&self, request: &Request) -> Result<Vec<u8>, Response> {
        let gzipped = request
            .header("Content-Encoding")
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("gzip"));
        if !gzipped {
            return Ok(request.body.clone());
        }
        let mut body = Vec::new();
        let read = flate2::read::GzDecoder::new(&request.body[..])
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut body);
        if let Err(error) = read {
            return Err(json(
                400,
                serde_json::json!({"error": format!("unreadable gzip body: {error}")}),
            ));
        }
        if body.len() > MAX_BODY {
            self.metrics.refused("size");
            return Err(json(
                413,
                serde_json::json!({"error": "body larger than 64 MiB once decompressed"}),
            ));
        }
        Ok(body)
    }

    /// Hands `lines` to the watcher and waits for their commit; the number
    /// of malformed lines, or the answer that tells the sender to retry.
    fn commit(&self, lines: Vec<String>, sender: Option<Arc<str>>) -> Result<usize, Response> {
        let count = lines.len();
        let (done, committed) = mpsc::channel();
        let sent = self.intake.send(Intake::Request {
            lines,
            sender,
            arrived: Instant::now(),
            done,
        });
        if sent.is_err() {
            self.metrics
                .dropped
                .fetch_add(count as u64, Ordering::Relaxed);
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
            .with("Retry-After", "1")
        })
    }
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

fn json(status: u16, body: serde_json::Value) -> Response {
    Response::new(status, "application/json", body.to_string())
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
