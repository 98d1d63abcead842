//! A worker's or correlator's figures on `GET /metrics` (Prometheus text),
//! in the style of `vigil watch`'s endpoint.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::Context as _;

/// Counters and gauges of one process of the fleet.
#[derive(Debug, Default)]
pub struct FleetMetrics {
    pub events: AtomicU64,
    pub malformed: AtomicU64,
    pub detections: AtomicU64,
    /// Messages delivered more than once (another worker died holding them).
    pub redeliveries: AtomicU64,
    /// Correlation inputs published (worker) or taken in (correlator).
    pub projections: AtomicU64,
    pub correlation_detections: AtomicU64,
    /// Correlation inputs that came after events later than them had been evaluated.
    pub late: AtomicU64,
    /// The consumer's messages not yet delivered to any worker.
    pub consumer_lag: AtomicU64,
    /// Messages delivered and not yet acknowledged, by every worker of the consumer.
    pub pending_acks: AtomicU64,
    pub partitions_owned: AtomicU64,
    /// Correlation inputs kept and not yet evaluated (correlator).
    pub held: AtomicU64,
    /// Shipped (`Vigil-Sent-Us`) to acknowledged, in microseconds: counts by
    /// power of two.
    latency: [AtomicU64; 32],
}

impl FleetMetrics {
    pub fn record_latency(&self, micros: u64) {
        let bucket = (64 - micros.max(1).leading_zeros() as usize).min(31);
        self.latency[bucket].fetch_add(1, Ordering::Relaxed);
    }

    /// The upper bound, in milliseconds, of the bucket holding quantile `q`.
    pub fn latency_quantile_ms(&self, q: f64) -> Option<f64> {
        let counts: Vec<u64> = self
            .latency
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (bucket, count) in counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some((1u64 << bucket) as f64 / 1e3);
            }
        }
        None
    }

    pub fn render(&self, role: &str) -> String {
        let mut out = String::new();
        let rows: [(&str, &str, &str, &AtomicU64); 11] = [
            (
                "vigil_fleet_events_total",
                "counter",
                "events taken from the stream",
                &self.events,
            ),
            (
                "vigil_fleet_malformed_total",
                "counter",
                "messages that were no readable event",
                &self.malformed,
            ),
            (
                "vigil_fleet_detections_total",
                "counter",
                "detections published",
                &self.detections,
            ),
            (
                "vigil_fleet_redeliveries_total",
                "counter",
                "messages delivered more than once",
                &self.redeliveries,
            ),
            (
                "vigil_fleet_projections_total",
                "counter",
                "correlation inputs published or taken in",
                &self.projections,
            ),
            (
                "vigil_fleet_correlation_detections_total",
                "counter",
                "correlation detections published",
                &self.correlation_detections,
            ),
            (
                "vigil_fleet_late_total",
                "counter",
                "correlation inputs evaluated after later ones",
                &self.late,
            ),
            (
                "vigil_fleet_consumer_lag",
                "gauge",
                "messages of the consumer not yet delivered",
                &self.consumer_lag,
            ),
            (
                "vigil_fleet_pending_acks",
                "gauge",
                "messages delivered, not yet acknowledged",
                &self.pending_acks,
            ),
            (
                "vigil_fleet_partitions_owned",
                "gauge",
                "correlation partitions this process owns",
                &self.partitions_owned,
            ),
            (
                "vigil_fleet_correlation_held",
                "gauge",
                "correlation inputs kept, not yet evaluated",
                &self.held,
            ),
        ];
        for (name, kind, help, value) in rows {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(
                out,
                "{name}{{role=\"{role}\"}} {}",
                value.load(Ordering::Relaxed)
            );
        }
        out
    }
}

/// Serves `/metrics` and `/health` on its own thread.
pub(crate) fn serve(
    addr: SocketAddr,
    metrics: Arc<FleetMetrics>,
    role: &'static str,
) -> anyhow::Result<SocketAddr> {
    let server = tiny_http::Server::http(addr)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = server
        .server_addr()
        .to_ip()
        .context("the metrics endpoint has no IP address")?;
    std::thread::Builder::new()
        .name("vigil-fleet-metrics".into())
        .spawn(move || {
            for request in server.incoming_requests() {
                let response = match request.url() {
                    "/metrics" => tiny_http::Response::from_string(metrics.render(role)),
                    "/health" => tiny_http::Response::from_string("ok\n"),
                    _ => tiny_http::Response::from_string("not found\n").with_status_code(404),
                };
                let _ = request.respond(response);
            }
        })
        .context("cannot start the metrics thread")?;
    Ok(bound)
}

/// One structured log line on stderr, as `vigil watch` writes them.
pub(crate) fn log(level: &str, message: &str, fields: &[(&str, String)]) {
    let mut record = serde_json::Map::new();
    record.insert("time".into(), chrono::Utc::now().to_rfc3339().into());
    record.insert("level".into(), level.into());
    record.insert("msg".into(), message.into());
    for (name, value) in fields {
        record.insert((*name).into(), value.clone().into());
    }
    eprintln!("{}", serde_json::Value::Object(record));
}
