//! Vigil's live detection: events as they arrive — appended to followed
//! files, or on standard input — run through the same compiled rules and
//! correlations as `hunt`, with every detection stored in an embedded SQLite
//! file and streamed out as JSON lines.
//!
//! **Nothing lost, nothing twice.** Lines are processed in batches; each
//! batch's detections, the position each file was read to, and the lines
//! that correlations may still need are committed in one transaction. After
//! a crash (even `kill -9`) the watcher resumes every file at its committed
//! position and rebuilds the correlation state by replaying the kept lines,
//! so each event counts exactly once in the store: detections already stored
//! are recognised by their key and not stored again. Standard input cannot
//! be rewound: what was read from it but not committed is lost in a crash.
//!
//! The JSON-lines output is written after each commit from the store, and the
//! last detection written is recorded: after a crash the output resumes from
//! there, so every detection reaches it at least once, and at most the last
//! batch before the crash is written twice.
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
mod store;

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use vigil_correlate::{CorrelationSet, Engine, Limits};
use vigil_event::{Detection, Event, Position};
use vigil_sigma::RuleSet;

pub use follow::{Checkpoint, Follower, Poll};
pub use store::{key as detection_key, Store};

use store::{Batch, HeldLine};

/// What the watcher detects with; built again on `SIGHUP`.
pub struct Detectors {
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
    pub store: PathBuf,
    pub output: Output,
    /// Lines per transaction at most.
    pub batch: usize,
    /// How long to wait when no input has anything new.
    pub idle: Duration,
    /// How long a quiet stream waits before its correlation clock moves on
    /// with the wall clock.
    pub lateness: Duration,
    pub limits: Limits,
    /// Stop once every input is at its end (and standard input is closed),
    /// deciding every open correlation window: a one-shot run.
    pub exit_at_end: bool,
}

impl Config {
    pub fn new(store: PathBuf) -> Self {
        Config {
            files: Vec::new(),
            stdin: false,
            store,
            output: Output::Stdout,
            batch: 5_000,
            idle: Duration::from_millis(100),
            lateness: Duration::from_secs(5),
            limits: Limits::default(),
            exit_at_end: false,
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
    let stdin = config.stdin.then(spawn_stdin);
    let mut output = open_output(&config.output)?;
    let mut counts = Counts::default();
    // Detections stored by a run that crashed before writing them out.
    flush_output(&store, &mut output)?;

    let mut detectors = load()?;
    loop {
        let mut session = Session::new(&detectors, config.limits);
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
        let outcome = session.watch(
            config,
            &mut store,
            &mut followers,
            stdin.as_ref(),
            &mut output,
            &mut counts,
            (&stop, &reload),
        )?;
        drop(session);
        match outcome {
            Outcome::Stopped => break,
            Outcome::Reload => {
                reload.store(false, Ordering::SeqCst);
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
    log(
        "info",
        "stopped",
        &[
            ("lines", counts.lines.to_string()),
            ("events", counts.events.to_string()),
            ("malformed", counts.malformed.to_string()),
            ("detections", counts.detections.to_string()),
        ],
    );
    Ok(counts)
}

enum Outcome {
    Stopped,
    Reload,
}

/// The rules and correlation state of one ruleset generation.
struct Session<'d> {
    detectors: &'d Detectors,
    engine: Engine<'d>,
    found: Vec<Detection>,
    /// The latest event time seen, and when (wall clock) the last event came.
    latest_ms: i64,
    last_arrival: Option<Instant>,
}

impl<'d> Session<'d> {
    fn new(detectors: &'d Detectors, limits: Limits) -> Self {
        Session {
            detectors,
            engine: Engine::new(&detectors.correlations, limits),
            found: Vec::new(),
            latest_ms: i64::MIN,
            last_arrival: None,
        }
    }

    /// Rebuilds the correlation state from the kept lines; what it fires
    /// was stored before, so it is dropped.
    fn replay(&mut self, store: &Store) -> anyhow::Result<u64> {
        let held = store.held()?;
        let mut sink = Vec::new();
        for line in &held {
            if let Ok(event) = parse(&line.text, &line.input, line.line) {
                self.process(&event, &mut sink, &mut None);
                sink.clear();
            }
        }
        Ok(held.len() as u64)
    }

    /// Matches one event; appends what it detects (and the correlations it
    /// completes) to `out`. `keep` is set when the event feeds a correlation.
    fn process(&mut self, event: &Event, out: &mut Vec<Detection>, keep: &mut Option<i64>) {
        let set = &self.detectors.correlations;
        self.found.clear();
        self.detectors.rules.detect(event, &mut self.found);
        if let Some(t) = event.timestamp {
            self.latest_ms = self.latest_ms.max(t.timestamp_millis());
        }
        for d in &self.found {
            if set.wants(d) {
                self.engine.observe(event, d, out);
                *keep = Some(
                    event
                        .timestamp
                        .or(d.timestamp)
                        .map_or(i64::MIN, |t| t.timestamp_millis()),
                );
            }
        }
        out.extend(self.found.drain(..).filter(|d| !set.suppresses(d)));
    }

    #[allow(clippy::too_many_arguments)]
    fn watch(
        &mut self,
        config: &Config,
        store: &mut Store,
        followers: &mut [Follower],
        stdin: Option<&Receiver<StdinLine>>,
        output: &mut Option<Box<dyn Write>>,
        counts: &mut Counts,
        (stop, reload): (&AtomicBool, &AtomicBool),
    ) -> anyhow::Result<Outcome> {
        let mut stdin_open = stdin.is_some();
        loop {
            if stop.load(Ordering::SeqCst) {
                return Ok(Outcome::Stopped);
            }
            if reload.load(Ordering::SeqCst) {
                return Ok(Outcome::Reload);
            }
            let mut batch = Batch::default();
            let mut lines = 0;
            for f in followers.iter_mut() {
                while lines < config.batch {
                    match f.poll() {
                        Ok(Poll::Line(text, number)) => {
                            lines += 1;
                            let name = f.name.clone();
                            self.line(&text, &name, number, &mut batch, counts);
                        }
                        Ok(Poll::Bad(number, reason)) => {
                            lines += 1;
                            malformed(&f.name, number, &reason, counts);
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
                batch.positions.push((f.name.to_string(), f.checkpoint()));
            }
            if let Some(rx) = stdin {
                while stdin_open && lines < config.batch {
                    match rx.try_recv() {
                        Ok(StdinLine::Line(text, number)) => {
                            lines += 1;
                            self.line(&text, STDIN, number, &mut batch, counts);
                        }
                        Ok(StdinLine::Bad(number, reason)) => {
                            lines += 1;
                            malformed(STDIN, number, &reason, counts);
                        }
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Disconnected) => stdin_open = false,
                    }
                }
            }
            counts.lines += lines as u64;
            let idle = lines == 0;
            if idle {
                if config.exit_at_end && !stdin_open {
                    self.engine.finish(&mut batch.detections);
                    self.commit(store, batch, output, counts)?;
                    return Ok(Outcome::Stopped);
                }
                self.tick(config.lateness, &mut batch.detections);
            }
            let horizon = self.detectors.correlations.horizon_ms();
            if self.latest_ms > i64::MIN {
                batch.forget_before_ms = Some(self.latest_ms.saturating_sub(horizon));
            }
            self.commit(store, batch, output, counts)?;
            if idle {
                std::thread::sleep(config.idle);
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
        if text.trim().is_empty() {
            return;
        }
        match parse(text, input, number) {
            Ok(event) => {
                counts.events += 1;
                self.last_arrival = Some(Instant::now());
                let mut keep = None;
                self.process(&event, &mut batch.detections, &mut keep);
                if let Some(time_ms) = keep {
                    batch.held.push(HeldLine {
                        input: input.to_string(),
                        line: number,
                        time_ms,
                        text: text.to_string(),
                    });
                }
            }
            Err(reason) => malformed(input, number, &reason, counts),
        }
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
        batch: Batch,
        output: &mut Option<Box<dyn Write>>,
        counts: &mut Counts,
    ) -> anyhow::Result<()> {
        let started = Instant::now();
        let new = store.commit(batch)?;
        counts.detections += new.len() as u64;
        if !new.is_empty() {
            flush_output(store, output)?;
            let elapsed = started.elapsed();
            if elapsed > Duration::from_secs(1) {
                log(
                    "warn",
                    "slow commit",
                    &[("ms", elapsed.as_millis().to_string())],
                );
            }
        }
        Ok(())
    }
}

fn parse(text: &str, input: &str, number: u64) -> Result<Event, String> {
    vigil_sources::parse_json_line(text, input.into(), Position::Line(number))
}

fn malformed(input: &str, number: u64, reason: &str, counts: &mut Counts) {
    counts.malformed += 1;
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
fn flush_output(store: &Store, output: &mut Option<Box<dyn Write>>) -> anyhow::Result<()> {
    let Some(out) = output.as_mut() else {
        return Ok(());
    };
    let from = store.meta("output_seq")?.unwrap_or(0);
    let pending = store.detections_after(from)?;
    let Some(&(last, _)) = pending.last() else {
        return Ok(());
    };
    for (_, json) in &pending {
        out.write_all(json.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    store.set_meta("output_seq", last)
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

enum StdinLine {
    Line(String, u64),
    Bad(u64, String),
}

/// Standard input on its own thread, through a bounded channel: a reader
/// faster than the rules waits instead of filling memory.
fn spawn_stdin() -> Receiver<StdinLine> {
    let (tx, rx): (SyncSender<StdinLine>, _) = std::sync::mpsc::sync_channel(10_000);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut reader = stdin.lock();
        let mut buffer = Vec::new();
        let mut number = 0;
        loop {
            buffer.clear();
            match reader.read_until(b'\n', &mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            number += 1;
            let line = match std::str::from_utf8(&buffer) {
                Ok(text) => {
                    StdinLine::Line(text.trim_end_matches(['\n', '\r']).to_string(), number)
                }
                Err(error) => StdinLine::Bad(
                    number,
                    format!("not valid UTF-8 at byte {}", error.valid_up_to() + 1),
                ),
            };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// One structured log line on stderr.
fn log(level: &str, message: &str, fields: &[(&str, String)]) {
    let mut record = serde_json::Map::new();
    record.insert("time".into(), Utc::now().to_rfc3339().into());
    record.insert("level".into(), level.into());
    record.insert("msg".into(), message.into());
    for (name, value) in fields {
        record.insert((*name).into(), value.clone().into());
    }
    eprintln!("{}", serde_json::Value::Object(record));
}
