//! `vigil ship` (events into a JetStream stream) and `vigil watch --nats`
//! (a worker or correlator of a fleet): the command line of `vigil-fleet`.

use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use vigil_correlate::Limits;
use vigil_fleet::correlator::{self, CorrelatorConfig};
use vigil_fleet::ship::{Input, ShipConfig};
use vigil_fleet::units::Units;
use vigil_fleet::worker::{self, WorkerConfig};
use vigil_fleet::Names;
use vigil_watch::Detectors;

use crate::args::{RuleArgs, WatchArgs};

/// `vigil watch` as one process of a fleet sharing a NATS JetStream stream.
#[derive(Debug, Args, Clone, Default)]
pub struct FleetArgs {
    /// Take events from this NATS server's JetStream stream (`--stream`) as one
    /// worker of a fleet, e.g. nats://127.0.0.1:4222.
    #[arg(long, value_name = "URL", requires = "stream")]
    pub nats: Option<String>,

    /// The intake stream (created with `--subject` when missing).
    #[arg(long, value_name = "NAME", requires = "nats")]
    pub stream: Option<String>,

    /// The subject events are published on (default vigil.STREAM.events); workers take only it.
    #[arg(long, value_name = "SUBJECT", requires = "nats")]
    pub subject: Option<String>,

    /// The durable consumer the workers share (correlators read its progress).
    #[arg(long, value_name = "NAME", default_value = "vigil-workers")]
    pub consumer: String,

    /// Be a correlator: evaluate the correlations of the partitions owned (`--partitions`).
    #[arg(long, requires = "nats")]
    pub correlator: bool,

    /// The partitions this correlator owns, e.g. 0,1 (default: all).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub partitions: Vec<u32>,

    /// How many correlation partitions there are: the same for every worker and correlator.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub partition_count: u32,

    /// Seconds a taken event may stay unacknowledged before it goes to another worker.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub ack_wait: f64,

    /// Seconds of event time the intake stream may be out of time order (correlators).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub lateness: f64,
}

#[derive(Debug, Args)]
pub struct ShipArgs {
    /// Files of events, one a line (any line-based shape `vigil watch` reads).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Ship standard input (its events' source is "stdin").
    #[arg(long)]
    pub stdin: bool,

    /// The NATS server, e.g. nats://127.0.0.1:4222.
    #[arg(long, value_name = "URL")]
    pub nats: String,

    /// The intake stream (created when missing).
    #[arg(long, value_name = "NAME")]
    pub stream: String,

    /// The subject to publish on (default vigil.STREAM.events).
    #[arg(long, value_name = "SUBJECT")]
    pub subject: Option<String>,

    /// Publishes awaiting the server's acknowledgement at most.
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub in_flight: usize,

    /// Events per second at most (default: as fast as the server takes them).
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
}

pub fn run(args: &ShipArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.stdin || !args.paths.is_empty(),
        "nothing to ship: name files, or give --stdin"
    );
    let mut inputs = Vec::new();
    for path in &args.paths {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        inputs.push(Input {
            name: path.display().to_string(),
            lines: Box::new(BufReader::with_capacity(1 << 16, file)),
        });
    }
    if args.stdin {
        inputs.push(Input {
            name: "stdin".to_string(),
            lines: Box::new(BufReader::new(std::io::stdin())),
        });
    }
    let config = ShipConfig {
        url: args.nats.clone(),
        names: Names::new(&args.stream, args.subject.as_deref()),
        in_flight: args.in_flight,
        rate: args.rate,
    };
    let started = std::time::Instant::now();
    let counts = vigil_fleet::ship::ship(&config, inputs)?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "shipped {} events ({} bytes) to {} in {seconds:.2} s ({:.0} events/s); {} unreadable lines skipped",
        counts.events,
        counts.bytes,
        config.names.events,
        counts.events as f64 / seconds.max(1e-9),
        counts.unreadable
    );
    Ok(ExitCode::SUCCESS)
}

/// `vigil watch --nats`: a worker, or with `--correlator` a correlator.
pub fn watch(args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let fleet = &args.fleet;
    let (Some(url), Some(stream)) = (&fleet.nats, &fleet.stream) else {
        anyhow::bail!("--nats needs --stream");
    };
    let (detectors, units) = load(&args.rules, fleet.partition_count)?;
    let names = Names::new(stream, fleet.subject.as_deref());
    let ack_wait = Duration::from_secs_f64(fleet.ack_wait.max(0.1));
    let limits = Limits {
        max_groups_per_rule: args.correlation_groups,
        ..Limits::default()
    };
    if fleet.correlator {
        let partitions = if fleet.partitions.is_empty() {
            (0..units.partitions).collect()
        } else {
            fleet.partitions.clone()
        };
        let config = CorrelatorConfig {
            url: url.clone(),
            names,
            worker_consumer: fleet.consumer.clone(),
            partitions,
            state: args.store.clone(),
            lateness: Duration::from_secs_f64(fleet.lateness.max(0.0)),
            ack_wait,
            limits,
            exit_at_end: args.exit_at_end,
            listen: args.listen,
        };
        correlator::run(&config, &detectors, &units)?;
    } else {
        let config = WorkerConfig {
            url: url.clone(),
            names,
            consumer: fleet.consumer.clone(),
            store: args.store.clone(),
            batch: args.batch.clamp(1, 10_000),
            ack_wait,
            exit_at_end: args.exit_at_end,
            listen: args.listen,
        };
        worker::run(&config, &detectors, &units)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The rules, as `watch` loads them, and their correlations split into units.
fn load(rules: &RuleArgs, partitions: u32) -> anyhow::Result<(Detectors, Units)> {
    let loaded = vigil_investigate::load(&rules.spec())?;
    for failure in &loaded.report.failed {
        eprintln!("refused: {failure}");
    }
    for failure in &loaded.correlation_errors {
        eprintln!("refused: {failure}");
    }
    anyhow::ensure!(!loaded.rules.is_empty(), "no rule could be loaded");
    let metas: Vec<_> = loaded
        .rules
        .rules()
        .iter()
        .map(|r| (*r.meta).clone())
        .collect();
    // Errors were reported with the whole set's above.
    let (units, _) = Units::build(&loaded.report.correlations, &metas, partitions);
    Ok((
        Detectors {
            mappings: loaded.mappings,
            rules: loaded.rules,
            correlations: loaded.correlations,
        },
        units,
    ))
}
