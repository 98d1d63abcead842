//! What the watcher exposes about itself: counters, state sizes, and the
//! time from an event's arrival to its detection being stored, as
//! Prometheus text and a health summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Latency buckets, in microseconds: one per microsecond below 8, then
/// eight per doubling (each an eighth of its octave wide, so a quantile is
/// known to within 12.5 %), up to 2^34 µs (4.8 hours).
const BUCKETS: usize = 8 + 8 * 31;

/// The bucket of a latency of `micros`.
fn bucket(micros: u64) -> usize {
    if micros < 8 {
        return micros as usize;
    }
    let octave = 63 - micros.leading_zeros() as usize;
    let eighth = ((micros >> (octave - 3)) & 7) as usize;
    (8 + (octave - 3) * 8 + eighth).min(BUCKETS - 1)
}

/// The upper bound (exclusive) of bucket `b`, in microseconds.
fn upper_bound(b: usize) -> u64 {
    if b < 8 {
        return b as u64 + 1;
    }
    let octave = (b - 8) / 8 + 3;
    let eighth = ((b - 8) % 8) as u64;
    (9 + eighth) << (octave - 3)
}

pub struct Metrics {
    started: Instant,
    events_in: Mutex<BTreeMap<String, u64>>,
    /// Requests and connections refused, by reason.
    refused: Mutex<BTreeMap<&'static str, u64>>,
    pub malformed: AtomicU64,
    pub detections: AtomicU64,
    /// Lines refused because the watcher was stopping or overloaded.
    pub dropped: AtomicU64,
    pub correlation_groups: AtomicU64,
    pub correlation_evicted: AtomicU64,
    pub webhook_failures: AtomicU64,
    /// Milliseconds since `started` of the last commit.
    last_commit_ms: AtomicI64,
    /// Latest event time seen, in Unix milliseconds.
    pub latest_event_ms: AtomicI64,
    latency: [AtomicU64; BUCKETS],
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            events_in: Mutex::new(BTreeMap::new()),
            refused: Mutex::new(BTreeMap::new()),
            malformed: AtomicU64::new(0),
            detections: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            correlation_groups: AtomicU64::new(0),
            correlation_evicted: AtomicU64::new(0),
            webhook_failures: AtomicU64::new(0),
            last_commit_ms: AtomicI64::new(-1),
            latest_event_ms: AtomicI64::new(i64::MIN),
            latency: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl Metrics {
    pub fn event_in(&self, input: &str, count: u64) {
        let mut map = self.events_in.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(input.to_string()).or_insert(0) += count;
    }

    /// Counts a request or connection refused: `auth` (no or an unknown
    /// token), `tls` (a failed handshake), `rate`, `size`, `events`.
    pub fn refused(&self, reason: &'static str) {
        let mut map = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(reason).or_insert(0) += 1;
    }

    pub fn committed(&self) {
        let ms = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.last_commit_ms.store(ms, Ordering::Relaxed);
    }

    /// Seconds since the last checkpoint, if there was one.
    pub fn checkpoint_age(&self) -> Option<f64> {
        let at = self.last_commit_ms.load(Ordering::Relaxed);
        (at >= 0).then(|| {
            let now = self.started.elapsed().as_millis() as i64;
            (now - at) as f64 / 1000.0
        })
    }

    pub fn record_latency(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency[bucket(micros)].fetch_add(1, Ordering::Relaxed);
    }

    /// The latency below which `share` (0–1) of the events were stored,
    /// to the bucket's upper bound.
    pub fn latency_quantile(&self, share: f64) -> Option<Duration> {
        let counts: Vec<u64> = self
            .latency
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let target = (share * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (k, n) in counts.iter().enumerate() {
            seen += n;
            if seen >= target {
                return Some(Duration::from_micros(upper_bound(k)));
            }
        }
        None
    }

    /// Seconds between now and the latest event's own time.
    pub fn lag(&self) -> Option<f64> {
        let latest = self.latest_event_ms.load(Ordering::Relaxed);
        (latest != i64::MIN)
            .then(|| (chrono::Utc::now().timestamp_millis() - latest) as f64 / 1000.0)
    }

    pub fn prometheus(&self) -> String {
        let mut text = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, lines: Vec<(String, f64)>| {
            let _ = writeln!(
                text,
                "# HELP vigil_{name} {help}\n# TYPE vigil_{name} {kind}"
            );
            for (labels, value) in lines {
                let _ = writeln!(text, "vigil_{name}{labels} {value}");
            }
        };
        let events: Vec<(String, f64)> = self
            .events_in
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(input, n)| (format!("{{input=\"{}\"}}", escape(input)), *n as f64))
            .collect();
        let refused: Vec<(String, f64)> = self
            .refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(reason, n)| (format!("{{reason=\"{reason}\"}}"), *n as f64))
            .collect();
        let get = |c: &AtomicU64| vec![(String::new(), c.load(Ordering::Relaxed) as f64)];
        metric(
            "events_in_total",
            "counter",
            "Events read, by input.",
            events,
        );
        metric(
            "refused_total",
            "counter",
            "Requests and connections refused, by reason (auth, tls, rate, size, events).",
            refused,
        );
        metric(
            "malformed_total",
            "counter",
            "Lines skipped as malformed.",
            get(&self.malformed),
        );
        metric(
            "detections_total",
            "counter",
            "Detections stored.",
            get(&self.detections),
        );
        metric(
            "dropped_total",
            "counter",
            "Lines refused.",
            get(&self.dropped),
        );
        metric(
            "correlation_groups",
            "gauge",
            "Correlation groups held.",
            get(&self.correlation_groups),
        );
        metric(
            "correlation_evicted_total",
            "counter",
            "Correlation groups dropped at the state cap.",
            get(&self.correlation_evicted),
        );
        metric(
            "webhook_failures_total",
            "counter",
            "Failed webhook deliveries (retried).",
            get(&self.webhook_failures),
        );
        let some = |v: Option<f64>| v.map(|v| vec![(String::new(), v)]).unwrap_or_default();
        metric(
            "checkpoint_age_seconds",
            "gauge",
            "Seconds since the last checkpoint.",
            some(self.checkpoint_age()),
        );
        metric(
            "lag_seconds",
            "gauge",
            "Now minus the latest event's time.",
            some(self.lag()),
        );
        let quantiles = [0.5, 0.99]
            .iter()
            .filter_map(|&q| {
                self.latency_quantile(q)
                    .map(|d| (format!("{{quantile=\"{q}\"}}"), d.as_secs_f64()))
            })
            .collect();
        metric(
            "arrival_to_store_seconds",
            "summary",
            "Time from an event's arrival to its detections being stored.",
            quantiles,
        );
        text
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_the_buckets() {
        let m = Metrics::default();
        for _ in 0..98 {
            m.record_latency(Duration::from_micros(100));
        }
        m.record_latency(Duration::from_millis(30));
        m.record_latency(Duration::from_millis(30));
        // 100 µs lies in the bucket [96, 104) µs; 30 ms in [28.672, 30.72) ms.
        assert_eq!(m.latency_quantile(0.5), Some(Duration::from_micros(104)));
        assert_eq!(
            m.latency_quantile(0.99),
            Some(Duration::from_micros(30_720))
        );
        assert!(m
            .prometheus()
            .contains("vigil_arrival_to_store_seconds{quantile=\"0.99\"} 0.03072"));
    }

    #[test]
    fn buckets_are_an_eighth_of_an_octave_and_cover_every_latency() {
        let mut previous = 0;
        for b in 0..BUCKETS {
            let upper = upper_bound(b);
            assert!(upper > previous, "bucket {b}");
            // Every latency below the bound and at or above the previous
            // bound falls in this bucket.
            assert_eq!(bucket(previous), b, "{previous} µs");
            assert_eq!(bucket(upper - 1), b, "{} µs", upper - 1);
            if b >= 8 {
                assert!((upper - previous) * 8 <= previous + 8, "bucket {b}");
            }
            previous = upper;
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
        assert_eq!(bucket(0), 0);
    }
}
