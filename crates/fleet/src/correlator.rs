//! A correlator: owns some of the correlation partitions, keeps what the
//! workers publish to them, and evaluates it in `hunt`'s order.
//!
//! **When an input can be evaluated.** Hunt puts every base detection in
//! time order (time, file, record, rule, position) before the engine sees
//! it. Here inputs arrive in whatever order the workers finish, so a
//! correlator holds them and evaluates, round by round, those older than a
//! watermark no later input can fall behind:
//!
//! * a worker publishes an event's correlation inputs before acknowledging
//!   the event, so once the intake consumer's acknowledgement floor has
//!   passed stream sequence `F`, the inputs of every event up to `F` are in
//!   the partition's stream; once the partition's own consumer has nothing
//!   pending or unacknowledged, this correlator holds them all;
//! * the watermark is then the latest event time among those inputs, less
//!   the allowed lateness: the intake stream is assumed to hold events at
//!   most that much out of time order (as files are, when shipped in order);
//! * once the intake consumer has nothing left at all, every held input is
//!   evaluated.
//!
//! So the result does not depend on which worker took what, or on workers
//! dying and their events coming back late: it is hunt's. An input that
//! still arrives behind the watermark (the stream was more out of order than
//! allowed) is evaluated at once and counted as late.
//!
//! **State.** Inputs are kept in SQLite before they are acknowledged, and
//! marked with the round they were evaluated in; after a restart the engines
//! are rebuilt by evaluating the marked inputs again round by round
//! (dropping what they fire: it was published before), then carry on.
//! Inputs are kept for four times the correlations' horizon (the sum of a
//! chain's timespans): a group that fires starts afresh, so its state can
//! depend on inputs older than one horizon. A rebuild can still differ from
//! an uninterrupted run when one group fired without a break for longer
//! than the inputs kept.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer::PullConsumer};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use vigil_correlate::{Engine, Limits};
use vigil_event::{Detection, Event};
use vigil_watch::Detectors;

use crate::ledger::Ledger;
use crate::link::{self, Names};
use crate::metrics::{self, log, FleetMetrics};
use crate::units::Units;
use crate::worker::{publish_detection, stop_flag};

/// What a worker publishes to a partition for an event that feeds one
/// correlation unit: the event itself (its line), so the correlator reads
/// it as the worker did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Projection {
    /// The event's sequence in the intake stream.
    pub sequence: u64,
    pub unit: u32,
    pub time_ns: i64,
    pub source: String,
    pub line: u64,
    pub text: String,
}

/// Horizons of evaluated inputs kept for a rebuild after a restart.
const REBUILD_HORIZONS: i64 = 4;

#[derive(Debug, Clone)]
pub struct CorrelatorConfig {
    pub url: String,
    pub names: Names,
    /// The workers' durable consumer, whose acknowledgement floor says
    /// which events' inputs are all published.
    pub worker_consumer: String,
    /// The partitions this correlator owns.
    pub partitions: Vec<u32>,
    pub state: PathBuf,
    /// How far out of time order events may be in the intake stream.
    pub lateness: Duration,
    pub ack_wait: Duration,
    pub limits: Limits,
    pub exit_at_end: bool,
    pub listen: Option<SocketAddr>,
}

/// Runs until SIGTERM/SIGINT or, with `exit_at_end`, until the intake and
/// the owned partitions are drained and every window decided.
pub fn run(config: &CorrelatorConfig, detectors: &Detectors, units: &Units) -> anyhow::Result<u64> {
    for &p in &config.partitions {
        anyhow::ensure!(
            p < units.partitions,
            "partition {p} does not exist: there are {} (0 to {})",
            units.partitions,
            units.partitions - 1
        );
    }
    let stop = stop_flag()?;
    let metrics = Arc::new(FleetMetrics::default());
    metrics
        .partitions_owned
        .store(config.partitions.len() as u64, Ordering::Relaxed);
    if let Some(addr) = config.listen {
        let bound = metrics::serve(addr, metrics.clone(), "correlator")?;
        log("info", "listening", &[("metrics", bound.to_string())]);
    }
    let ledger = Ledger::open(&config.state)?;
    let runtime = link::runtime()?;
    let mut correlator = Correlator {
        config,
        detectors,
        units,
        ledger,
        engines: HashMap::new(),
        metrics: &metrics,
        fired: 0,
        evaluated_to: HashMap::new(),
    };
    runtime.block_on(correlator.run(&stop))?;
    Ok(correlator.fired)
}

struct Correlator<'a> {
    config: &'a CorrelatorConfig,
    detectors: &'a Detectors,
    units: &'a Units,
    ledger: Ledger,
    /// One engine per (partition, unit): partitions are evaluated apart.
    engines: HashMap<(u32, u32), Engine<'a>>,
    metrics: &'a FleetMetrics,
    fired: u64,
    /// Per partition, the latest event time evaluated: an input older than
    /// it came too late for hunt's order.
    evaluated_to: HashMap<u32, i64>,
}

/// An input's detections in the engine's order, as hunt orders them.
struct Offer {
    key: (i64, String, Option<u64>, String, u64),
    unit: u32,
    event: Arc<Event>,
    detection: Detection,
}

impl<'a> Correlator<'a> {
    async fn run(&mut self, stop: &AtomicBool) -> anyhow::Result<()> {
        let config = self.config;
        let names = &config.names;
        let js = link::connect(&config.url).await?;
        let intake = link::intake(&js, names).await?;
        let stream = link::outputs(&js, names).await?;
        let mut workers = link::durable(
            &intake,
            &config.worker_consumer,
            names.subject_given.then(|| names.events.clone()),
            config.ack_wait,
        )
        .await?;
        let mut owned: Vec<(u32, PullConsumer)> = Vec::new();
        for &p in &config.partitions {
            let name = format!("{}-correlation-{p}", config.worker_consumer);
            owned.push((
                p,
                link::durable(&stream, &name, Some(names.partition(p)), config.ack_wait).await?,
            ));
        }
        let replayed = self.rebuild()?;
        log(
            "info",
            "correlating",
            &[
                ("partitions", format!("{:?}", config.partitions)),
                ("correlation_units", self.units.units.len().to_string()),
                ("replayed_inputs", replayed.to_string()),
            ],
        );
        let lateness = i64::try_from(config.lateness.as_nanos()).unwrap_or(i64::MAX);
        // How far back the evaluated inputs are kept for a rebuild. The
        // engine's windows reach back one horizon; but a group that fired
        // starts afresh, and whether it fired depended on the inputs before
        // that: a rebuild from one horizon back alone can miss a firing and
        // drift from hunt. Several horizons make that need a group firing
        // over and over for all of them.
        let horizon = self
            .units
            .units
            .iter()
            .map(|u| u.set.horizon_ms())
            .max()
            .unwrap_or(0)
            .saturating_mul(1_000_000)
            .saturating_mul(REBUILD_HORIZONS);
        let mut decided_at = Instant::now();
        while !stop.load(Ordering::SeqCst) {
            let mut took = 0;
            for (p, consumer) in &owned {
                took += self.take(*p, consumer).await?;
            }
            if took > 0 && decided_at.elapsed() < Duration::from_millis(200) {
                continue;
            }
            decided_at = Instant::now();
            // The intake's floor first, then each partition's consumer: any
            // input of an event under the floor is then in hand.
            let intake_info = workers
                .info()
                .await
                .context("cannot read the workers' consumer")?
                .clone();
            let drained = intake_info.num_pending == 0
                && intake_info.num_ack_pending == 0
                && intake_info.delivered.stream_sequence > 0;
            let floor = intake_info.ack_floor.stream_sequence;
            let mut settled_all = true;
            for (p, consumer) in owned.iter_mut() {
                let info = consumer
                    .info()
                    .await
                    .context("cannot read a partition's consumer")?;
                if info.num_pending > 0 || info.num_ack_pending > 0 {
                    settled_all = false;
                    continue;
                }
                let watermark = if drained {
                    i64::MAX
                } else {
                    match self.ledger.latest_up_to(*p, floor)? {
                        Some(latest) => latest.saturating_sub(lateness),
                        None => continue,
                    }
                };
                self.evaluate(&js, *p, watermark, horizon).await?;
            }
            let waiting = self.ledger.waiting_count()?;
            self.metrics.held.store(waiting, Ordering::Relaxed);
            if config.exit_at_end && drained && settled_all && waiting == 0 && took == 0 {
                self.finish(&js).await?;
                break;
            }
            if took == 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        log(
            "info",
            "stopped",
            &[("correlation_detections", self.fired.to_string())],
        );
        Ok(())
    }

    /// Takes what a partition's consumer has, keeps it, acknowledges it.
    async fn take(&mut self, partition: u32, consumer: &PullConsumer) -> anyhow::Result<usize> {
        let mut messages = consumer
            .fetch()
            .max_messages(2_000)
            .messages()
            .await
            .context("cannot fetch from a partition")?;
        let mut taken = Vec::new();
        let mut inputs = Vec::new();
        while let Some(message) = messages.next().await {
            let message = match message {
                Ok(message) => message,
                Err(error) => {
                    log(
                        "warn",
                        "fetch interrupted",
                        &[("reason", error.to_string())],
                    );
                    break;
                }
            };
            match serde_json::from_slice::<Projection>(&message.payload) {
                Ok(p) if (p.unit as usize) < self.units.units.len() => inputs.push((partition, p)),
                Ok(p) => log("warn", "correlation input for an unknown unit skipped (are workers and correlators on the same rules?)", &[("unit", p.unit.to_string())]),
                Err(error) => log("warn", "unreadable correlation input skipped", &[("reason", error.to_string())]),
            }
            taken.push(message);
        }
        if taken.is_empty() {
            return Ok(0);
        }
        self.ledger.keep(&inputs)?;
        for message in &taken {
            message
                .ack()
                .await
                .map_err(|e| anyhow::anyhow!("cannot acknowledge a correlation input: {e}"))?;
        }
        self.metrics
            .projections
            .fetch_add(inputs.len() as u64, Ordering::Relaxed);
        Ok(taken.len())
    }

    /// Rebuilds the engines from the inputs evaluated before a restart.
    fn rebuild(&mut self) -> anyhow::Result<usize> {
        let kept = self.ledger.evaluated_inputs()?;
        for k in &kept {
            let to = self.evaluated_to.entry(k.partition).or_insert(i64::MIN);
            *to = (*to).max(k.projection.time_ns);
        }
        let mut at = 0;
        let mut sink = Vec::new();
        while at < kept.len() {
            let (partition, round) = (kept[at].partition, kept[at].round);
            let end = kept[at..]
                .iter()
                .position(|k| k.partition != partition || k.round != round)
                .map_or(kept.len(), |n| at + n);
            let inputs: Vec<Projection> =
                kept[at..end].iter().map(|k| k.projection.clone()).collect();
            self.offer(partition, &inputs, &mut sink);
            sink.clear();
            at = end;
        }
        Ok(kept.len())
    }

    /// Evaluates a partition's waiting inputs older than `watermark`,
    /// publishes what they fire, then marks them evaluated.
    async fn evaluate(
        &mut self,
        js: &jetstream::Context,
        partition: u32,
        watermark: i64,
        horizon: i64,
    ) -> anyhow::Result<()> {
        let inputs = self.ledger.waiting(partition, watermark)?;
        if inputs.is_empty() {
            return Ok(());
        }
        let latest = inputs.iter().map(|p| p.time_ns).max().unwrap_or(i64::MIN);
        let to = self.evaluated_to.entry(partition).or_insert(i64::MIN);
        let late = inputs.iter().filter(|p| p.time_ns < *to).count();
        *to = (*to).max(latest);
        if late > 0 {
            self.metrics.late.fetch_add(late as u64, Ordering::Relaxed);
            log(
                "warn",
                "correlation inputs came later than --lateness allows; evaluated now",
                &[
                    ("partition", partition.to_string()),
                    ("inputs", late.to_string()),
                ],
            );
        }
        let mut fired = Vec::new();
        self.offer(partition, &inputs, &mut fired);
        self.publish(js, &fired).await?;
        let forget = watermark
            .min(latest)
            .saturating_sub(horizon)
            .saturating_sub(1);
        self.ledger.evaluated(partition, &inputs, forget)?;
        Ok(())
    }

    /// Offers inputs to their engines in hunt's order.
    fn offer(&mut self, partition: u32, inputs: &[Projection], out: &mut Vec<Detection>) {
        let mut offers = Vec::new();
        let mut found = Vec::new();
        for p in inputs {
            let Ok(event) =
                vigil_watch::parse_line(&p.text, &p.source, p.line, &self.detectors.mappings)
            else {
                continue;
            };
            found.clear();
            self.detectors.rules.detect(&event, &mut found);
            let unit = &self.units.units[p.unit as usize];
            let event = Arc::new(event);
            for d in found.drain(..).filter(|d| unit.set.wants(d)) {
                let time = event.timestamp.or(d.timestamp);
                let time_ns = time
                    .and_then(|t| t.timestamp_nanos_opt())
                    .unwrap_or(i64::MIN);
                offers.push(Offer {
                    key: (
                        time_ns,
                        p.source.clone(),
                        event.record_id(),
                        d.rule_id.to_string(),
                        p.line,
                    ),
                    unit: p.unit,
                    event: event.clone(),
                    detection: d,
                });
            }
        }
        offers.sort_by(|a, b| a.key.cmp(&b.key));
        for offer in offers {
            let units = self.units;
            let limits = self.config.limits;
            let engine = self
                .engines
                .entry((partition, offer.unit))
                .or_insert_with(|| Engine::new(&units.units[offer.unit as usize].set, limits));
            engine.observe(&offer.event, &offer.detection, out);
        }
    }

    /// Decides every open window (the end of the input).
    async fn finish(&mut self, js: &jetstream::Context) -> anyhow::Result<()> {
        let mut fired = Vec::new();
        let mut keys: Vec<_> = self.engines.keys().copied().collect();
        keys.sort_unstable();
        for key in keys {
            if let Some(engine) = self.engines.get_mut(&key) {
                engine.finish(&mut fired);
            }
        }
        self.publish(js, &fired).await
    }

    async fn publish(
        &mut self,
        js: &jetstream::Context,
        fired: &[Detection],
    ) -> anyhow::Result<()> {
        let mut acks = Vec::with_capacity(fired.len());
        for d in fired {
            acks.push(publish_detection(js, &self.config.names, d).await?);
        }
        for ack in acks {
            ack.await
                .context("a correlation detection was not acknowledged")?;
        }
        self.fired += fired.len() as u64;
        self.metrics
            .correlation_detections
            .fetch_add(fired.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Damaged correlation inputs (truncated, bytes flipped, random) are
    /// refused or read, never a panic: a correlator skips what it cannot read.
    #[test]
    fn damaged_inputs_never_panic() {
        let valid = serde_json::to_vec(&Projection {
            sequence: 7,
            unit: 1,
            time_ns: 1_700_000_000_000_000_000,
            source: "security.jsonl".into(),
            line: 7,
            text: r#"{"Event":{"System":{"EventID":4625,"Channel":"Security"},"EventData":{"TargetUserName":"alice"}}}"#.into(),
        })
        .unwrap();
        let mappings = vigil_sources::Mappings::default();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut read = 0;
        for round in 0..5_000 {
            let mut bytes = valid.clone();
            match round % 3 {
                0 => bytes.truncate((next() as usize) % valid.len()),
                1 => {
                    for _ in 0..1 + next() % 4 {
                        let at = (next() as usize) % bytes.len();
                        bytes[at] = next() as u8;
                    }
                }
                _ => bytes = (0..next() % 200).map(|_| next() as u8).collect(),
            }
            if let Ok(p) = serde_json::from_slice::<Projection>(&bytes) {
                read += 1;
                let _ = vigil_watch::parse_line(&p.text, &p.source, p.line, &mappings);
            }
        }
        assert!(read > 0, "some flipped bytes leave an input readable");
    }
}
