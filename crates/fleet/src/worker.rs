//! A worker: takes its share of the intake stream through the durable pull
//! consumer, matches each event, stores and publishes its detections,
//! publishes what correlations need to their partitions, and only then
//! acknowledges the events.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_nats::jetstream::{self, context::Publish};
use bytes::Bytes;
use futures::StreamExt;
use vigil_event::Detection;
use vigil_watch::{Batch, Detectors, Store};

use crate::correlator::Projection;
use crate::link::{self, Names};
use crate::metrics::{self, log, FleetMetrics};
use crate::units::Units;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub url: String,
    pub names: Names,
    /// The durable consumer the workers share.
    pub consumer: String,
    pub store: PathBuf,
    /// Messages taken at once (one store transaction).
    pub batch: usize,
    /// How long a message may stay unacknowledged before it goes to another worker.
    pub ack_wait: Duration,
    /// Stop once the consumer has nothing left, delivered or not.
    pub exit_at_end: bool,
    pub listen: Option<SocketAddr>,
}

/// What a worker did, for its final log line.
#[derive(Debug, Default, Clone, Copy)]
pub struct WorkerCounts {
    pub events: u64,
    pub detections: u64,
    pub projections: u64,
    pub redelivered: u64,
}

/// Runs a worker until SIGTERM/SIGINT (it finishes and acknowledges the
/// batch in hand first) or, with `exit_at_end`, until the consumer is drained.
pub fn run(
    config: &WorkerConfig,
    detectors: &Detectors,
    units: &Units,
) -> anyhow::Result<WorkerCounts> {
    let stop = stop_flag()?;
    let metrics = Arc::new(FleetMetrics::default());
    if let Some(addr) = config.listen {
        let bound = metrics::serve(addr, metrics.clone(), "worker")?;
        log("info", "listening", &[("metrics", bound.to_string())]);
    }
    let mut store = Store::open(&config.store)?;
    let runtime = link::runtime()?;
    runtime.block_on(work(config, detectors, units, &mut store, &metrics, &stop))
}

pub(crate) fn stop_flag() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, stop.clone())
            .context("cannot install the stop signal handler")?;
    }
    Ok(stop)
}

async fn work(
    config: &WorkerConfig,
    detectors: &Detectors,
    units: &Units,
    store: &mut Store,
    metrics: &FleetMetrics,
    stop: &AtomicBool,
) -> anyhow::Result<WorkerCounts> {
    let js = link::connect(&config.url).await?;
    let names = &config.names;
    let intake = link::intake(&js, names).await?;
    link::outputs(&js, names).await?;
    let filter = names.subject_given.then(|| names.events.clone());
    let mut consumer = link::durable(&intake, &config.consumer, filter, config.ack_wait).await?;
    log(
        "info",
        "working",
        &[
            ("stream", names.stream.clone()),
            ("consumer", config.consumer.clone()),
            ("rules", detectors.rules.len().to_string()),
            ("correlation_units", units.units.len().to_string()),
            ("partitions", units.partitions.to_string()),
        ],
    );
    let mut counts = WorkerCounts::default();
    let mut info_at = Instant::now() - Duration::from_secs(10);
    // A continuous pull: the server keeps up to a batch of messages on the
    // way to this worker, so a quiet stream's event is taken as it comes
    // and a busy one's in full batches.
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(config.batch.min(2_000))
        .expires(Duration::from_secs(5))
        .heartbeat(Duration::from_millis(2_500))
        .messages()
        .await
        .context("cannot pull from the consumer")?;
    while !stop.load(Ordering::SeqCst) {
        let mut taken = Vec::new();
        // The first message, waited for a little; then whatever follows
        // within the batch's age, up to a batch.
        let mut until = Instant::now() + IDLE;
        while taken.len() < config.batch {
            let left = until.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, messages.next()).await {
                Ok(Some(Ok(message))) => {
                    if taken.is_empty() {
                        until = Instant::now() + BATCH_AGE;
                    }
                    taken.push(message);
                }
                Ok(Some(Err(error))) => {
                    log("warn", "pull interrupted", &[("reason", error.to_string())]);
                    break;
                }
                Ok(None) => anyhow::bail!("the consumer's message stream ended"),
                Err(_) => break,
            }
        }
        if !taken.is_empty() {
            process(
                &js,
                names,
                detectors,
                units,
                store,
                &taken,
                metrics,
                &mut counts,
            )
            .await?;
        }
        if taken.is_empty() || info_at.elapsed() > Duration::from_secs(1) {
            info_at = Instant::now();
            let info = consumer
                .info()
                .await
                .context("cannot read the consumer's state")?;
            metrics
                .consumer_lag
                .store(info.num_pending, Ordering::Relaxed);
            metrics
                .pending_acks
                .store(info.num_ack_pending as u64, Ordering::Relaxed);
            if taken.is_empty()
                && config.exit_at_end
                && info.num_pending == 0
                && info.num_ack_pending == 0
            {
                break;
            }
        }
    }
    if stop.load(Ordering::SeqCst) {
        // Messages already on their way here go back at once, not after
        // the acknowledgement wait.
        // At most what one pull asked for: the pull goes on asking while
        // it is read, and what it brings after that is not this worker's.
        let mut returned = 0;
        while returned < config.batch.min(2_000) {
            let Ok(Some(Ok(message))) =
                tokio::time::timeout(Duration::from_millis(20), messages.next()).await
            else {
                break;
            };
            let _ = message.ack_with(jetstream::AckKind::Nak(None)).await;
            returned += 1;
        }
        log(
            "info",
            "draining",
            &[("returned_to_the_stream", returned.to_string())],
        );
    }
    let quantile = |q| {
        metrics
            .latency_quantile_ms(q)
            .map_or("-".to_string(), |ms| format!("{ms:.3}"))
    };
    log(
        "info",
        "stopped",
        &[
            ("events", counts.events.to_string()),
            ("detections", counts.detections.to_string()),
            ("projections", counts.projections.to_string()),
            ("redelivered", counts.redelivered.to_string()),
            ("latency_p50_ms", quantile(0.5)),
            ("latency_p99_ms", quantile(0.99)),
        ],
    );
    Ok(counts)
}

/// One batch: matched, committed to the store, published, acknowledged.
#[allow(clippy::too_many_arguments)]
async fn process(
    js: &jetstream::Context,
    names: &Names,
    detectors: &Detectors,
    units: &Units,
    store: &mut Store,
    taken: &[jetstream::Message],
    metrics: &FleetMetrics,
    counts: &mut WorkerCounts,
) -> anyhow::Result<()> {
    let mut detections: Vec<Detection> = Vec::new();
    let mut projections: Vec<(u32, Projection)> = Vec::new();
    let mut found = Vec::new();
    for message in taken {
        let (sequence, delivered) = message
            .info()
            .map(|i| (i.stream_sequence, i.delivered))
            .unwrap_or((0, 1));
        if delivered > 1 {
            counts.redelivered += 1;
            metrics.redeliveries.fetch_add(1, Ordering::Relaxed);
        }
        let header = |name: &str| {
            message
                .headers
                .as_ref()
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_string())
        };
        let source = header(SOURCE).unwrap_or_else(|| names.stream.clone());
        let line = header(LINE)
            .and_then(|l| l.parse().ok())
            .unwrap_or(sequence);
        let Ok(text) = std::str::from_utf8(&message.payload) else {
            malformed(&source, line, "not UTF-8", metrics);
            continue;
        };
        let event = match vigil_watch::parse_line(text, &source, line, &detectors.mappings) {
            Ok(event) => event,
            Err(reason) => {
                if !text.trim().is_empty() {
                    malformed(&source, line, &reason, metrics);
                }
                continue;
            }
        };
        counts.events += 1;
        found.clear();
        detectors.rules.detect(&event, &mut found);
        let mut routes = BTreeSet::new();
        for d in &found {
            if detectors.correlations.wants(d) {
                routes.extend(units.routes(&event, d));
            }
        }
        if let Some(time) = event
            .timestamp
            .or_else(|| found.iter().find_map(|d| d.timestamp))
        {
            for (unit, partition) in routes {
                projections.push((
                    partition,
                    Projection {
                        sequence,
                        unit: unit as u32,
                        time_ns: time.timestamp_nanos_opt().unwrap_or(i64::MAX),
                        source: source.clone(),
                        line,
                        text: text.to_string(),
                    },
                ));
            }
        }
        detections.extend(
            found
                .drain(..)
                .filter(|d| !detectors.correlations.suppresses(d)),
        );
    }
    metrics
        .events
        .fetch_add(taken.len() as u64, Ordering::Relaxed);

    // The store first: what is acknowledged below must be in it.
    store.commit(Batch {
        detections: detections.clone(),
        ..Batch::default()
    })?;
    let mut acks = Vec::with_capacity(detections.len() + projections.len());
    for d in &detections {
        acks.push(publish_detection(js, names, d).await?);
    }
    for (partition, projection) in &projections {
        let payload = serde_json::to_vec(projection)?;
        let id = format!("{}/{}", projection.sequence, projection.unit);
        acks.push(
            js.send_publish(
                names.partition(*partition),
                Publish::build()
                    .payload(Bytes::from(payload))
                    .message_id(id),
            )
            .await
            .context("cannot publish a correlation input")?,
        );
    }
    for ack in acks {
        ack.await.context("a publish was not acknowledged")?;
    }
    let now: u64 = crate::ship::sent_now().parse().unwrap_or(0);
    for message in taken {
        let sent = message
            .headers
            .as_ref()
            .and_then(|h| h.get(crate::ship::SENT))
            .and_then(|v| v.as_str().parse::<u64>().ok());
        if let Some(sent) = sent {
            metrics.record_latency(now.saturating_sub(sent));
        }
        message
            .ack()
            .await
            .map_err(|e| anyhow::anyhow!("cannot acknowledge a message: {e}"))?;
    }
    counts.detections += detections.len() as u64;
    counts.projections += projections.len() as u64;
    metrics
        .detections
        .fetch_add(detections.len() as u64, Ordering::Relaxed);
    metrics
        .projections
        .fetch_add(projections.len() as u64, Ordering::Relaxed);
    Ok(())
}

/// Publishes one detection to the detections stream, its id as message id.
pub(crate) async fn publish_detection(
    js: &jetstream::Context,
    names: &Names,
    d: &Detection,
) -> anyhow::Result<jetstream::context::PublishAckFuture> {
    let key = vigil_watch::detection_key(d);
    let mut json = Vec::with_capacity(512);
    vigil_timeline::write_json(d, &mut json)?;
    let line = vigil_watch::detection_line(&key, std::str::from_utf8(&json)?);
    js.send_publish(
        names.detections.clone(),
        Publish::build()
            .payload(Bytes::from(line.trim_end().to_string()))
            .message_id(key),
    )
    .await
    .context("cannot publish a detection")
}

fn malformed(source: &str, line: u64, reason: &str, metrics: &FleetMetrics) {
    metrics.malformed.fetch_add(1, Ordering::Relaxed);
    log(
        "warn",
        "malformed event skipped",
        &[
            ("input", source.to_string()),
            ("line", line.to_string()),
            ("reason", reason.to_string()),
        ],
    );
}

/// How long a worker waits for a first message before it looks at the
/// consumer's state (and stops, with `exit_at_end`, when it is drained).
const IDLE: Duration = Duration::from_millis(250);

/// How long a batch keeps filling after its first message: bounds what
/// batching adds to an event's latency, as `vigil watch` does.
const BATCH_AGE: Duration = Duration::from_millis(5);

/// Headers `vigil ship` sets: the file an event came from and its line.
pub const SOURCE: &str = "Vigil-Source";
pub const LINE: &str = "Vigil-Line";
