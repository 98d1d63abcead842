//! Vigil's live detection: events as they arrive — appended to followed
//! files, on standard input, or POSTed to the HTTP endpoint — run through the same compiled rules and
//! correlations as `hunt`, with every detection stored in an embedded SQLite
//! file and streamed out as JSON lines.
//!
//! **Nothing lost, nothing twice.** Lines are processed in batches; each
//! batch's detections, the position each file was read to, and the lines
//! that correlations may still need are committed in one transaction. After
//! a crash (even `kill -9`) the watcher resumes every file at its committed
//! position and rebuilds the correlation state by replaying the kept lines,
//! so each event counts exactly once in the store: detections already stored
//! are recognised by their key and not stored again. An HTTP request is
//! answered once its events are committed, so a sender that retries until
//! it gets `200` loses nothing. Standard input cannot be rewound: what was
//! read from it but not committed is lost in a crash.
//!
//! The JSON-lines output and the webhook are fed after each commit from the
//! store, and the last detection each has taken is recorded: after a crash
//! they resume from there, so every detection reaches them at least once, and
//! at most the last batch before the crash twice. Each line starts with the
//! detection's `id` (its key in the store, the same in every delivery), so
//! a reader keeps each detection once. A failing webhook is
//! retried with growing pauses, and intake waits meanwhile (backpressure).
//!
//! The endpoint also serves `GET /health` and `GET /metrics` (Prometheus:
//! events in by input, detections, malformed and dropped lines, correlation
//! state, checkpoint age, lag, arrival-to-store latency). It binds to
//! loopback unless told otherwise.
//!
//! Correlation windows slide with event time. When no input has had anything
//! new for longer than the allowed lateness (`Config::lateness`), the
//! engine's clock moves on from the latest event's time with the wall clock,
//! so windows decided when they close (`lt`, `eq`, percentiles) are decided
//! in a quiet live stream too. Events that arrive later than that may miss
//! a window that already closed.
//!
//! A malformed line is counted and logged with its file and line number; it
//! never stops the watcher. `SIGTERM` and `SIGINT` end it after committing
//! what was read; `SIGHUP` reloads the rules and rebuilds the correlation
//! state under them from the kept lines.

mod follow;
mod http;
mod metrics;
mod stdin;
mod store;
mod syslog;
mod webhook;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use vigil_correlate::{CorrelationSet, Engine, Limits};
use vigil_event::{Detection, Event, Position};
use vigil_net::{Protection, RateLimit, Tls, TlsFiles, Tokens};
use vigil_sigma::RuleSet;
use vigil_sources::Mappings;

pub use follow::{Checkpoint, Follower, Poll};
/// The network intakes' parsing, without a socket (for fuzzing and tests).
pub use http::split as split_http_body;
pub use metrics::Metrics;
pub use store::{
    key as detection_key, with_id as detection_line, Batch, HeldLine, Store, SCHEMA as STORE_SCHEMA,
};
pub use syslog::next_message as next_syslog_frame;

/// A line read from an input: its text and number, or its number and why
/// it is not text.
pub type ReadLine = Result<(String, u64), (u64, String)>;

/// Standard input's reader without its thread (for fuzzing and tests): the
/// lines of `input`, each with its number or the reason it is not text,
/// read in groups of at most `group` lines into `buffers` buffers of
/// `buffer` bytes; and whether the input was read to its end.
pub fn read_stdin_lines(
    input: impl std::io::Read,
    group: usize,
    buffer: usize,
    buffers: usize,
) -> (Vec<ReadLine>, bool) {
    let sizes = stdin::Sizes {
        group: group.max(1),
        buffer: buffer.max(1),
        buffers: buffers.max(1),
        largest: buffer.max(1) * 4,
    };
    let mut lines = Vec::new();
    let ended = stdin::read(input, sizes, &mut |group| {
        lines.extend(
            group
                .lines()
                .map(|line| line.map(|(text, number)| (text.to_string(), number))),
        );
        true
    });
    (lines, ended)
}

/// What the watcher detects with; built again on `SIGHUP`.
pub struct Detectors {
    /// The JSON shapes the user described, tried before Vigil's own.
    pub mappings: Mappings,
    pub rules: RuleSet,
    pub correlations: CorrelationSet,
}

/// Where the detections go besides the store.
#[derive(Debug, Clone)]
pub enum Output {
    Stdout,
    File(PathBuf),
    None,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Files to follow (read from the start the first time, then from the
    /// stored position).
    pub files: Vec<PathBuf>,
    /// Read JSON lines from standard input as well.
    pub stdin: bool,
    /// Serve the HTTP endpoint (events in, health, metrics) here.
    pub listen: Option<SocketAddr>,
    /// Receive syslog (RFC 3164 or 5424) datagrams here.
    pub syslog_udp: Option<SocketAddr>,
    /// Accept syslog streams (octet-counted or newline-framed) here.
    pub syslog_tcp: Option<SocketAddr>,
    /// TLS for the HTTP endpoint and the syslog TCP input; with a client
    /// CA, mutual TLS. Read again on `SIGHUP`.
    pub tls: Option<TlsFiles>,
    /// Senders' bearer tokens for the HTTP endpoint. Read again on `SIGHUP`.
    pub tokens: Option<PathBuf>,
    /// Requests a second each sender may make to the HTTP endpoint (0: no limit).
    pub rate_limit: f64,
    /// Listen beyond loopback even without TLS and authentication.
    pub insecure_listen: bool,
    pub store: PathBuf,
    pub output: Output,
    /// POST new detections here, as JSON lines.
    pub webhook: Option<String>,
    /// Lines per transaction at most.
    pub batch: usize,
    /// A batch is committed once it has been filling for this long, however
    /// few lines it has: under load, this bounds how long the first line of a
    /// batch waits for the last.
    pub batch_age: Duration,
    /// How long to wait when no input has anything new.
    pub idle: Duration,
    /// How long a quiet stream waits before its correlation clock moves on
    /// with the wall clock.
    pub lateness: Duration,
    pub limits: Limits,
    /// Stop once every file is at its end and standard input is closed,
    /// deciding every open correlation window: a one-shot run.
    pub exit_at_end: bool,
    /// Threads that parse and match lines arriving together (standard
    /// input's groups, HTTP requests); 1 matches on the watcher's own
    /// thread. Correlation and the store stay on the watcher's thread, in
    /// arrival order, whatever this is.
    pub threads: usize,
}

impl Config {
    pub fn new(store: PathBuf) -> Self {
        Config {
            files: Vec::new(),
            stdin: false,
            listen: None,
            syslog_udp: None,
            syslog_tcp: None,
            tls: None,
            tokens: None,
            rate_limit: 100.0,
            insecure_listen: false,
            store,
            output: Output::Stdout,
            webhook: None,
            batch: 5_000,
            batch_age: Duration::from_millis(5),
            idle: Duration::from_millis(20),
            lateness: Duration::from_secs(5),
            limits: Limits::default(),
            exit_at_end: false,
            threads: 1,
        }
    }
}

/// What a run did, for the final log line.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub lines: u64,
    pub events: u64,
    pub malformed: u64,
    pub detections: u64,
    pub replayed: u64,
    pub reloads: u64,
}

const STDIN: &str = "stdin";
const HTTP: &str = "http";

/// What the reader threads (standard input, HTTP) hand to the watcher.
pub(crate) enum Intake {
    Line {
        /// The input's name: a syslog listener.
        input: &'static str,
        /// Who sent it, when known (mutual TLS).
        sender: Option<Arc<str>>,
        text: String,
        number: u64,
        arrived: Instant,
    },
    /// Lines of standard input read together.
    Lines {
        group: stdin::Group,
        arrived: Instant,
    },
    /// Standard input is closed.
    End,
    /// An HTTP request's events; `done` gets the number of malformed ones
    /// once the rest are committed.
    Request {
        lines: Vec<String>,
        /// The sender's name, from its token or certificate.
        sender: Option<Arc<str>>,
        arrived: Instant,
        done: Sender<usize>,
    },
}

/// Runs until a stop signal (or, with `exit_at_end`, the end of the inputs).
pub fn run(
    config: &Config,
    load: &dyn Fn() -> anyhow::Result<Detectors>,
) -> anyhow::Result<Counts> {
    let stop = Arc::new(AtomicBool::new(false));
    let reload = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, stop.clone())
            .context("cannot install the stop signal handler")?;
    }
    signal_hook::flag::register(signal_hook::consts::SIGHUP, reload.clone())
        .context("cannot install the reload signal handler")?;

    let mut store = Store::open(&config.store)?;
    let positions = store.positions()?;
    let mut followers: Vec<Follower> = config
        .files
        .iter()
        .map(|path| {
            let name = path.display().to_string();
            let from = positions
                .iter()
                .find(|(input, _)| *input == name)
                .map(|(_, at)| *at);
            Follower::new(path.clone(), from)
        })
        .collect();
    let metrics = Arc::new(Metrics::default());
    // One bounded queue for the reader threads: when the watcher falls
    // behind, they wait.
    let (intake, queue) = std::sync::mpsc::sync_channel::<Intake>(64);
    if config.stdin {
        stdin::spawn(intake.clone());
    }
    let secured = Secured::load(config)?;
    if let Some(addr) = config.listen {
        let guard = http::Guard {
            tokens: secured.tokens.clone(),
            limit: (config.rate_limit > 0.0).then(|| RateLimit::new(config.rate_limit)),
        };
        let bound = http::serve(
            addr,
            secured.tls.clone(),
            guard,
            intake.clone(),
            metrics.clone(),
        )?;
        log(
            "info",
            "listening",
            &[
                ("http", bound.to_string()),
                ("protection", secured.describe(true)),
            ],
        );
    }
    if let Some(addr) = config.syslog_udp {
        let bound = syslog::serve_udp(addr, intake.clone())?;
        log("info", "listening", &[("syslog_udp", bound.to_string())]);
    }
    if let Some(addr) = config.syslog_tcp {
        let bound = syslog::serve_tcp(addr, secured.tls.clone(), intake.clone(), metrics.clone())?;
        log(
            "info",
            "listening",
            &[
                ("syslog_tcp", bound.to_string()),
                ("protection", secured.describe(false)),
            ],
        );
    }
    drop(intake);
    let mut sinks = Sinks {
        output: open_output(&config.output)?,
        webhook: config.webhook.as_deref().map(webhook::Webhook::new),
    };
    let mut counts = Counts::default();
    // Detections stored by a run that stopped before passing them on.
    sinks.pass_on(&store, &metrics, &stop)?;

    let pool = matching_pool(config.threads)?;
    let mut detectors = load()?;
    let mut stdin_open = config.stdin;
    loop {
        let mut session = Session::new(&detectors, config.limits, &metrics, pool.as_ref());
        counts.replayed += session.replay(&store)?;
        log(
            "info",
            "watching",
            &[
                ("rules", detectors.rules.len().to_string()),
                ("correlations", detectors.correlations.len().to_string()),
                ("files", followers.len().to_string()),
                ("replayed_lines", counts.replayed.to_string()),
            ],
        );
        let mut inputs = Inputs {
            followers: &mut followers,
            queue: &queue,
            carry: None,
            stdin_open: &mut stdin_open,
        };
        let outcome = session.watch(
            config,
            &mut store,
            &mut inputs,
            &mut sinks,
            &mut counts,
            (&stop, &reload),
        )?;
        drop(session);
        match outcome {
            Outcome::Stopped => break,
            Outcome::Reload => {
                reload.store(false, Ordering::SeqCst);
                secured.reload();
                match load() {
                    Ok(fresh) => {
                        detectors = fresh;
                        counts.reloads += 1;
                    }
                    Err(error) => log(
                        "error",
                        "rules not reloaded; the previous rules stay in force",
                        &[("reason", format!("{error:#}"))],
                    ),
                }
            }
        }
    }
    let quantile = |q| {
        metrics
            .latency_quantile(q)
            .map_or("-".to_string(), |d| format!("{:.3}", d.as_secs_f64() * 1e3))
    };
    log(
        "info",
        "stopped",
        &[
            ("lines", counts.lines.to_string()),
            ("events", counts.events.to_string()),
            ("malformed", counts.malformed.to_string()),
            ("detections", counts.detections.to_string()),
            ("latency_p50_ms", quantile(0.5)),
            ("latency_p99_ms", quantile(0.99)),
            (
                "correlation_evicted",
                metrics
                    .correlation_evicted
                    .load(Ordering::Relaxed)
                    .to_string(),
            ),
        ],
    );
    Ok(counts)
}

/// The network inputs' TLS and senders' tokens, loaded once and read
/// again on `SIGHUP`.
struct Secured {
    tls: Option<Arc<Tls>>,
    tokens: Option<Arc<Tokens>>,
}

impl Secured {
    /// Loads the files, and refuses an input that would listen beyond
    /// loopback unprotected (unless `insecure_listen`).
    fn load(config: &Config) -> anyhow::Result<Secured> {
        let tls = config.tls.clone().map(Tls::load).transpose()?.map(Arc::new);
        let tokens = config
            .tokens
            .as_deref()
            .map(Tokens::load)
            .transpose()?
            .map(Arc::new);
        let client_certificates = tls.as_ref().is_some_and(|t| t.verifies_clients());
        let inputs = [
            (
                "events over HTTP",
                config.listen,
                Protection {
                    encrypted: tls.is_some(),
                    authenticated: tokens.is_some() || client_certificates,
                },
                "--tls-cert and --tls-key with --tokens or --tls-client-ca",
            ),
            (
                "syslog over TCP",
                config.syslog_tcp,
                Protection {
                    encrypted: tls.is_some(),
                    authenticated: client_certificates,
                },
                "--tls-cert, --tls-key and --tls-client-ca (syslog over TLS, RFC 5425, with client certificates)",
            ),
            (
                "syslog over UDP",
                config.syslog_udp,
                Protection::default(),
                "a loopback address (UDP syslog can be neither encrypted nor authenticated; use --syslog-tcp with TLS)",
            ),
        ];
        for (input, addr, protection, remedy) in inputs {
            if let Some(addr) = addr {
                vigil_net::exposure::check(input, addr, protection, config.insecure_listen, remedy)
                    .map_err(|reason| anyhow::anyhow!(reason))?;
            }
        }
        Ok(Secured { tls, tokens })
    }

    /// How an input is protected, for the log.
    fn describe(&self, http: bool) -> String {
        let mut parts = Vec::new();
        match &self.tls {
            Some(tls) if tls.verifies_clients() => parts.push("mutual TLS"),
            Some(_) => parts.push("TLS"),
            None => parts.push("clear text"),
        }
        if http && self.tokens.is_some() {
            parts.push("bearer tokens");
        }
        parts.join(", ")
    }

    /// Reads the certificate, key, client CAs and tokens again; what fails
    /// to load is logged and the previous stays in force.
    fn reload(&self) {
        if let Some(tls) = &self.tls {
            match tls.reload() {
                Ok(()) => log(
                    "info",
                    "TLS certificate reloaded",
                    &[("cert", tls.files().cert.display().to_string())],
                ),
                Err(error) => log(
                    "error",
                    "TLS certificate not reloaded; the previous stays in force",
                    &[("reason", format!("{error:#}"))],
                ),
            }
        }
        if let Some(tokens) = &self.tokens {
            match tokens.reload() {
                Ok(senders) => log(
                    "info",
                    "tokens reloaded",
                    &[("senders", senders.to_string())],
                ),
                Err(error) => log(
                    "error",
                    "tokens not reloaded; the previous stay in force",
                    &[("reason", format!("{error:#}"))],
                ),
            }
        }
    }
}

enum Outcome {
    Stopped,
    Reload,
}

struct Inputs<'i> {
    followers: &'i mut [Follower],
    queue: &'i Receiver<Intake>,
    /// An item taken from the queue while waiting for input, not yet read.
    carry: Option<Intake>,
    stdin_open: &'i mut bool,
}

/// Where detections go once stored.
struct Sinks {
    output: Option<Box<dyn Write>>,
    webhook: Option<webhook::Webhook>,
}

impl Sinks {
    fn pass_on(
        &mut self,
        store: &Store,
        metrics: &Metrics,
        stop: &AtomicBool,
    ) -> anyhow::Result<()> {
        if let Some(out) = self.output.as_mut() {
            flush_output(store, out)?;
        }
        if let Some(hook) = &self.webhook {
            hook.deliver(store, metrics, stop)?;
        }
        Ok(())
    }
}

/// One batch being read: what goes to the store, and who waits for it.
#[derive(Default)]
struct Pending {
    batch: Batch,
    lines: usize,
    arrivals: Vec<Instant>,
    requests: Vec<(Sender<usize>, usize)>,
    /// When the batch started filling.
    started: Option<Instant>,
}

impl Pending {
    /// Whether the batch should take more lines: it is neither full nor old.
    fn open(&mut self, config: &Config) -> bool {
        let started = *self.started.get_or_insert_with(Instant::now);
        self.lines < config.batch && started.elapsed() < config.batch_age
    }
}

/// The threads lines are matched on, when more than the watcher's own.
fn matching_pool(threads: usize) -> anyhow::Result<Option<rayon::ThreadPool>> {
    if threads <= 1 {
        return Ok(None);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("vigil-match-{i}"))
        .build()
        .context("cannot start the matching threads")?;
    Ok(Some(pool))
}

/// Lines that arrive together are handed to the matching threads when there
/// are at least this many: fewer cost more to hand out than to match here.
const PARALLEL_LINES: usize = 32;

/// One line, parsed and matched against the rules (not yet correlated).
enum Matched {
    Blank,
    Event {
        /// The event itself, kept only when a correlation wants one of its
        /// detections: the others are dropped where they were matched.
        event: Option<Event>,
        timestamp: Option<DateTime<Utc>>,
        found: Vec<Detection>,
    },
    Malformed(String),
}

/// The rules and correlation state of one ruleset generation.
struct Session<'d> {
    detectors: &'d Detectors,
    pool: Option<&'d rayon::ThreadPool>,
    engine: Engine<'d>,
    metrics: &'d Metrics,
    found: Vec<Detection>,
    /// The latest event time seen, and when (wall clock) the last event came.
    latest_ms: i64,
    last_arrival: Option<Instant>,
    http_lines: u64,
    stats_at: Instant,
}

impl<'d> Session<'d> {
    fn new(
        detectors: &'d Detectors,
        limits: Limits,
        metrics: &'d Metrics,
        pool: Option<&'d rayon::ThreadPool>,
    ) -> Self {
        Session {
            detectors,
            pool,
            engine: Engine::new(&detectors.correlations, limits),
            metrics,
            found: Vec::new(),
            latest_ms: i64::MIN,
            last_arrival: None,
            http_lines: 0,
            stats_at: Instant::now(),
        }
    }

    /// Rebuilds the correlation state from the kept lines; what it fires
    /// was stored before, so it is dropped.
    fn replay(&mut self, store: &Store) -> anyhow::Result<u64> {
        let held = store.held()?;
        let mut sink = Vec::new();
        for line in &held {
            let mappings = &self.detectors.mappings;
            if let Ok(event) = parse(&line.text, &line.input, line.line, mappings) {
                self.process(&event, &mut sink, &mut None);
                sink.clear();
            }
        }
        Ok(held.len() as u64)
    }

    /// Matches one event; appends what it detects (and the correlations it
    /// completes) to `out`. `keep` is set when the event feeds a correlation.
    fn process(&mut self, event: &Event, out: &mut Vec<Detection>, keep: &mut Option<i64>) {
        let mut found = std::mem::take(&mut self.found);
        found.clear();
        self.detectors.rules.detect(event, &mut found);
        self.correlate(Some(event), event.timestamp, &mut found, out, keep);
        self.found = found;
    }

    /// Feeds what the rules found in an event to the correlations; appends
    /// it (less what correlations suppress) and what they complete to `out`.
    /// `event` may be left out when no correlation wants what was found.
    fn correlate(
        &mut self,
        event: Option<&Event>,
        timestamp: Option<DateTime<Utc>>,
        found: &mut Vec<Detection>,
        out: &mut Vec<Detection>,
        keep: &mut Option<i64>,
    ) {
        let set = &self.detectors.correlations;
        if let Some(t) = timestamp {
            self.latest_ms = self.latest_ms.max(t.timestamp_millis());
        }
        for d in found.iter() {
            if let Some(event) = event.filter(|_| set.wants(d)) {
                self.engine.observe(event, d, out);
                *keep = Some(
                    timestamp
                        .or(d.timestamp)
                        .map_or(i64::MIN, |t| t.timestamp_millis()),
                );
            }
        }
        out.extend(found.drain(..).filter(|d| !set.suppresses(d)));
    }

    /// Parses and matches lines that arrived together: on the matching
    /// threads when there are enough of them, here otherwise. The results
    /// are in line order.
    fn match_lines(&self, lines: &[(&str, u64)], input: &str) -> Vec<Matched> {
        let rules = &self.detectors.rules;
        let correlations = &self.detectors.correlations;
        let mappings = &self.detectors.mappings;
        let one = |&(text, number): &(&str, u64)| {
            // Blank when it has nothing but white space: found from its
            // start, without reading its end (not yet in the cache).
            if text.trim_start().is_empty() {
                return Matched::Blank;
            }
            match parse(text, input, number, mappings) {
                Ok(event) => {
                    let mut found = Vec::new();
                    rules.detect(&event, &mut found);
                    let wanted = found.iter().any(|d| correlations.wants(d));
                    let timestamp = event.timestamp;
                    let event = if wanted {
                        Some(event)
                    } else {
                        SPARE_EVENT.with(|spare| *spare.borrow_mut() = Some(event));
                        None
                    };
                    Matched::Event {
                        timestamp,
                        event,
                        found,
                    }
                }
                Err(reason) => Matched::Malformed(reason),
            }
        };
        match self.pool {
            Some(pool) if lines.len() >= PARALLEL_LINES => {
                use rayon::prelude::*;
                pool.install(|| lines.par_iter().map(one).collect())
            }
            _ => lines.iter().map(one).collect(),
        }
    }

    /// Takes in lines that arrived together, matched together.
    fn lines(
        &mut self,
        lines: &[(&str, u64)],
        input: &str,
        batch: &mut Batch,
        counts: &mut Counts,
    ) {
        let matched = self.match_lines(lines, input);
        for (&(text, number), matched) in lines.iter().zip(matched) {
            self.settle(text, input, number, matched, batch, counts);
        }
    }

    /// The rest of one line's way once matched: counted, correlated, kept
    /// for replay when a correlation needs it.
    fn settle(
        &mut self,
        text: &str,
        input: &str,
        number: u64,
        matched: Matched,
        batch: &mut Batch,
        counts: &mut Counts,
    ) {
        match matched {
            Matched::Blank => {}
            Matched::Malformed(reason) => malformed(input, number, &reason, counts, self.metrics),
            Matched::Event {
                event,
                timestamp,
                mut found,
            } => {
                counts.events += 1;
                self.last_arrival = Some(Instant::now());
                let mut keep = None;
                let event = event.as_ref();
                self.correlate(
                    event,
                    timestamp,
                    &mut found,
                    &mut batch.detections,
                    &mut keep,
                );
                if let Some(time_ms) = keep {
                    batch.held.push(HeldLine {
                        input: input.to_string(),
                        line: number,
                        time_ms,
                        text: text.to_string(),
                    });
                }
            }
        }
    }

    fn watch(
        &mut self,
        config: &Config,
        store: &mut Store,
        inputs: &mut Inputs,
        sinks: &mut Sinks,
        counts: &mut Counts,
        (stop, reload): (&AtomicBool, &AtomicBool),
    ) -> anyhow::Result<Outcome> {
        loop {
            if stop.load(Ordering::SeqCst) {
                self.refresh_stats();
                return Ok(Outcome::Stopped);
            }
            if reload.load(Ordering::SeqCst) {
                return Ok(Outcome::Reload);
            }
            let mut pending = Pending::default();
            self.read_files(config, inputs.followers, &mut pending, counts);
            self.read_queue(config, inputs, &mut pending, counts);
            counts.lines += pending.lines as u64;
            let idle = pending.lines == 0;
            if idle {
                if config.exit_at_end && !*inputs.stdin_open {
                    self.refresh_stats();
                    self.engine.finish(&mut pending.batch.detections);
                    self.commit(store, pending, sinks, counts, stop)?;
                    return Ok(Outcome::Stopped);
                }
                self.tick(config.lateness, &mut pending.batch.detections);
            }
            let horizon = self.detectors.correlations.horizon_ms();
            // Every commit forgets the lines that have aged out since the
            // last: a little each time, instead of a pause that holds up
            // every event behind it (an indexed range delete, cheap when
            // nearly empty).
            if self.latest_ms > i64::MIN {
                pending.batch.forget_before_ms = Some(self.latest_ms.saturating_sub(horizon));
            }
            self.commit(store, pending, sinks, counts, stop)?;
            if idle {
                // Wait for the queue, or for the files' next poll.
                if let Ok(item) = inputs.queue.recv_timeout(config.idle) {
                    inputs.carry = Some(item);
                }
            }
        }
    }

    fn read_files(
        &mut self,
        config: &Config,
        followers: &mut [Follower],
        pending: &mut Pending,
        counts: &mut Counts,
    ) {
        for f in followers.iter_mut() {
            while pending.open(config) {
                match f.poll() {
                    Ok(Poll::Line(text, number)) => {
                        pending.lines += 1;
                        pending.arrivals.push(Instant::now());
                        let name = f.name.clone();
                        self.metrics.event_in(&name, 1);
                        self.line(&text, &name, number, &mut pending.batch, counts);
                    }
                    Ok(Poll::Bad(number, reason)) => {
                        pending.lines += 1;
                        malformed(&f.name, number, &reason, counts, self.metrics);
                    }
                    Ok(Poll::Idle) => break,
                    Err(error) => {
                        log(
                            "error",
                            "cannot read input",
                            &[("input", f.name.to_string()), ("reason", error.to_string())],
                        );
                        break;
                    }
                }
            }
            pending
                .batch
                .positions
                .push((f.name.to_string(), f.checkpoint()));
        }
    }

    fn read_queue(
        &mut self,
        config: &Config,
        inputs: &mut Inputs,
        pending: &mut Pending,
        counts: &mut Counts,
    ) {
        while pending.open(config) {
            let next = match inputs.carry.take() {
                Some(item) => Ok(item),
                None => inputs.queue.try_recv(),
            };
            match next {
                Ok(Intake::Lines { group, arrived }) => {
                    self.metrics.event_in(STDIN, group.len() as u64);
                    let mut texts = Vec::with_capacity(group.len());
                    for line in group.lines() {
                        pending.lines += 1;
                        match line {
                            Ok((text, number)) => {
                                pending.arrivals.push(arrived);
                                texts.push((text, number));
                            }
                            Err((number, reason)) => {
                                malformed(STDIN, number, &reason, counts, self.metrics)
                            }
                        }
                    }
                    self.lines(&texts, STDIN, &mut pending.batch, counts);
                }
                Ok(Intake::Line {
                    input,
                    sender,
                    text,
                    number,
                    arrived,
                }) => {
                    pending.lines += 1;
                    pending.arrivals.push(arrived);
                    let input = input_of(input, sender.as_deref());
                    self.metrics.event_in(&input, 1);
                    self.line(&text, &input, number, &mut pending.batch, counts);
                }
                Ok(Intake::End) => *inputs.stdin_open = false,
                Ok(Intake::Request {
                    lines,
                    sender,
                    arrived,
                    done,
                }) => {
                    let before = counts.malformed;
                    let input = input_of(HTTP, sender.as_deref());
                    self.metrics.event_in(&input, lines.len() as u64);
                    let mut texts = Vec::with_capacity(lines.len());
                    for text in &lines {
                        self.http_lines += 1;
                        pending.lines += 1;
                        pending.arrivals.push(arrived);
                        texts.push((text.as_str(), self.http_lines));
                    }
                    self.lines(&texts, &input, &mut pending.batch, counts);
                    pending
                        .requests
                        .push((done, (counts.malformed - before) as usize));
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    *inputs.stdin_open = false;
                    break;
                }
            }
        }
    }

    fn line(
        &mut self,
        text: &str,
        input: &str,
        number: u64,
        batch: &mut Batch,
        counts: &mut Counts,
    ) {
        self.lines(&[(text, number)], input, batch, counts);
    }

    /// Publishes the correlation state's size and what its cap dropped.
    fn refresh_stats(&mut self) {
        self.stats_at = Instant::now();
        let stats = self.engine.stats();
        self.metrics
            .correlation_groups
            .store(stats.groups as u64, Ordering::Relaxed);
        self.metrics
            .correlation_evicted
            .store(stats.evicted_groups(), Ordering::Relaxed);
    }

    /// Moves the correlation clock on in a stream that has been quiet for
    /// longer than `lateness`.
    fn tick(&mut self, lateness: Duration, out: &mut Vec<Detection>) {
        let Some(arrival) = self.last_arrival else {
            return;
        };
        let quiet = arrival.elapsed();
        if quiet <= lateness || self.latest_ms == i64::MIN {
            return;
        }
        let now_ms = self
            .latest_ms
            .saturating_add(i64::try_from(quiet.as_millis()).unwrap_or(i64::MAX));
        if let Some(now) = chrono::DateTime::from_timestamp_millis(now_ms) {
            self.engine.advance_to(now, out);
        }
    }

    fn commit(
        &mut self,
        store: &mut Store,
        pending: Pending,
        sinks: &mut Sinks,
        counts: &mut Counts,
        stop: &AtomicBool,
    ) -> anyhow::Result<()> {
        let new = store.commit(pending.batch)?;
        self.metrics.committed();
        for (done, malformed) in pending.requests {
            let _ = done.send(malformed);
        }
        let now = Instant::now();
        for arrived in pending.arrivals {
            self.metrics
                .record_latency(now.saturating_duration_since(arrived));
        }
        counts.detections += new.len() as u64;
        self.metrics
            .detections
            .fetch_add(new.len() as u64, Ordering::Relaxed);
        self.metrics
            .latest_event_ms
            .fetch_max(self.latest_ms, Ordering::Relaxed);
        if self.stats_at.elapsed() > Duration::from_secs(1) {
            self.refresh_stats();
        }
        if !new.is_empty() {
            sinks.pass_on(store, self.metrics, stop)?;
        }
        Ok(())
    }
}

thread_local! {
    /// The last event this thread matched that nothing kept: the next line
    /// is read into it, which spares most of a new event's allocations.
    static SPARE_EVENT: std::cell::RefCell<Option<Event>> = const { std::cell::RefCell::new(None) };
}

/// The name events of a network input carry as their source: the input's,
/// and the sender's when known (`http:clinic-a`).
fn input_of<'a>(input: &'a str, sender: Option<&str>) -> std::borrow::Cow<'a, str> {
    match sender {
        Some(sender) => format!("{input}:{sender}").into(),
        None => input.into(),
    }
}

/// Whether `input` is one of the syslog listeners, with or without a
/// sender's name.
fn is_syslog_input(input: &str) -> bool {
    [syslog::UDP, syslog::TCP].iter().any(|name| {
        input
            .strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
    })
}

/// One line of an input as an event: syslog from the syslog listeners;
/// elsewhere (followed files, standard input, HTTP) JSON of any shape Vigil
/// reads (into this thread's spare event, if any), a Windows event's XML
/// (Splunk's XmlWinEventLog, one record a line), or a syslog line (a
/// followed `auth.log`), told by how the line starts.
pub fn parse_line(
    text: &str,
    input: &str,
    number: u64,
    mappings: &Mappings,
) -> Result<Event, String> {
    parse(text, input, number, mappings)
}

fn parse(text: &str, input: &str, number: u64, mappings: &Mappings) -> Result<Event, String> {
    let event = parse_unbounded(text, input, number, mappings)?;
    match vigil_sources::too_many_fields(&event) {
        Some(reason) => Err(reason),
        None => Ok(event),
    }
}

fn parse_unbounded(
    text: &str,
    input: &str,
    number: u64,
    mappings: &Mappings,
) -> Result<Event, String> {
    let syslog = |text: &str| {
        let mut context = vigil_sources::SyslogContext::new(input, chrono::Utc::now());
        let mut event =
            vigil_sources::parse_syslog_line(text, &mut context).map_err(|e| e.to_string())?;
        event.position = Position::Line(number);
        Ok(event)
    };
    if is_syslog_input(input) {
        return syslog(text);
    }
    let start = text.trim_start();
    if !start.starts_with(['{', '[', '"']) {
        if start.starts_with("<Event") {
            return vigil_sources::parse_event_xml(start, input.into(), Position::Line(number));
        }
        return syslog(text).map_err(|reason: String| {
            format!("neither JSON, Windows event XML nor syslog: {reason}")
        });
    }
    let spare = SPARE_EVENT.with(|spare| spare.borrow_mut().take());
    let mut event = spare.unwrap_or_else(|| Event::new(input));
    if *event.source != *input {
        event.source = input.into();
    }
    vigil_sources::parse_json_line_mapped(text, Position::Line(number), mappings, &mut event)?;
    Ok(event)
}

fn malformed(input: &str, number: u64, reason: &str, counts: &mut Counts, metrics: &Metrics) {
    counts.malformed += 1;
    metrics.malformed.fetch_add(1, Ordering::Relaxed);
    log(
        "warn",
        "malformed line skipped",
        &[
            ("input", input.to_string()),
            ("line", number.to_string()),
            ("reason", reason.to_string()),
        ],
    );
}

/// Writes the stored detections not yet written to the output, then records
/// how far it got.
fn flush_output(store: &Store, out: &mut Box<dyn Write>) -> anyhow::Result<()> {
    loop {
        let from = store.meta("output_seq")?.unwrap_or(0);
        let pending = store.keyed_detections_after(from, 10_000)?;
        let Some(&(last, _, _)) = pending.last() else {
            return Ok(());
        };
        for (_, key, json) in &pending {
            out.write_all(store::with_id(key, json).as_bytes())?;
        }
        out.flush()?;
        store.set_meta("output_seq", last)?;
    }
}

fn open_output(output: &Output) -> anyhow::Result<Option<Box<dyn Write>>> {
    Ok(match output {
        Output::Stdout => Some(Box::new(std::io::stdout())),
        Output::File(path) => Some(Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open the output file {}", path.display()))?,
        )),
        Output::None => None,
    })
}

/// One structured log line on stderr.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_of_too_many_fields_is_malformed_and_the_next_is_read() {
        let mappings = Mappings::none();
        let fields: Vec<String> = (0..vigil_sources::MAX_FIELDS + 1)
            .map(|i| format!("\"f{i}\":1"))
            .collect();
        let wide = format!("{{{}}}", fields.join(","));
        for input in ["stdin", "http:clinic-a", "/var/log/app.jsonl"] {
            let error = parse_line(&wide, input, 1, mappings).unwrap_err();
            assert!(error.contains("more than the 65536"), "{error}");
            let next = parse_line("{\"EventID\":4688}", input, 2, mappings).unwrap();
            assert_eq!(&*next.source, input);
        }
    }

    #[test]
    fn syslog_inputs_are_known_with_or_without_a_sender() {
        assert!(is_syslog_input("syslog-tcp"));
        assert!(is_syslog_input("syslog-tcp:relay-1"));
        assert!(is_syslog_input("syslog-udp"));
        assert!(!is_syslog_input("syslog-tcp.log"));
        assert!(!is_syslog_input("http:syslog-tcp"));
        assert_eq!(input_of("http", Some("clinic-a")), "http:clinic-a");
        assert_eq!(input_of("http", None), "http");
    }
}
