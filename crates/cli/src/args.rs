//! Command-line arguments, defined once with their help text.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use vigil_event::Level;

#[derive(Debug, Parser)]
#[command(
    name = "vigil",
    version,
    about = "Sigma-native intrusion detection and forensic triage for healthcare IT",
    long_about = "Vigil sweeps collected event logs with Sigma rules into a forensic timeline, \
                  and answers what happened, where and since when."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sweep EVTX and JSON log files with Sigma rules into a timeline of detections.
    Hunt(HuntArgs),
    /// Detect live: follow growing log files and/or standard input, store detections in SQLite.
    Watch(Box<WatchArgs>),
    /// Group detections and the events around them into incidents: hosts in scope,
    /// lateral movement, patient zero and the credentials to rotate.
    Incidents(IncidentsArgs),
    /// Assess exfiltration: was data taken, how much, from where to where — from
    /// flow records, Zeek logs and the hosts' events, over the incidents' window.
    Exfil(ExfilArgs),
    /// Investigate evidence into a case folder: timeline, incidents, exfiltration,
    /// containment plan, notification clocks and the evidence manifest; or
    /// `--verify CASE` to check the evidence against its manifest.
    Case(CaseArgs),
    /// Simulate a telemedicine provider's logs, with an intrusion and its ground truth.
    Simulate(SimulateArgs),
    /// Simulate a small estate with an intrusion, hunt it with the built-in rules, and show where to look.
    Demo(DemoArgs),
    /// Measure vigil watch: sustained events/s from stdin or HTTP, and arrival-to-alert latency at a rate.
    BenchWatch(BenchWatchArgs),
    /// Publish events from files or stdin to a NATS JetStream stream for `vigil watch --nats` workers.
    Ship(crate::ship::ShipArgs),
    /// Measure each stage of a hunt (load, render, decode, match, whole hunt) on this machine.
    Bench(BenchArgs),
    /// Serve the web console over the watch store and case folders (loopback only by default).
    Serve(crate::serve::ServeArgs),
}

/// The language of the case report (report.md and report.html).
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum ReportLang {
    #[default]
    En,
    De,
}

impl From<ReportLang> for vigil_respond::Lang {
    fn from(lang: ReportLang) -> Self {
        match lang {
            ReportLang::En => vigil_respond::Lang::En,
            ReportLang::De => vigil_respond::Lang::De,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
}

/// Options shared by every command that loads rules.
#[derive(Debug, Args, Clone, Default)]
pub struct RuleArgs {
    /// Sigma rule folder or file (repeatable). Without it, the built-in rule pack is used.
    #[arg(long = "rules", short = 'r', value_name = "DIR")]
    pub rules: Vec<PathBuf>,

    /// Use the built-in rule pack as well as --rules.
    #[arg(long)]
    pub builtin: bool,

    /// Values for an `expand` placeholder, e.g. `--placeholder Admins=adm_*,root` (repeatable).
    #[arg(long = "placeholder", value_name = "NAME=VALUES")]
    pub placeholders: Vec<String>,

    /// An extra logsource table (Vigil's YAML format) that adds to or overrides the built-in one.
    #[arg(long = "logsource", value_name = "FILE")]
    pub logsources: Vec<PathBuf>,

    /// A mapping file describing JSON shapes Vigil does not know: how to recognise
    /// them and where their host, time, product, channel and fields are (docs/mapping.md).
    #[arg(long = "mapping", value_name = "FILE")]
    pub mappings: Vec<PathBuf>,
}

impl RuleArgs {
    /// The rules as the investigation takes them.
    pub fn spec(&self) -> vigil_investigate::RuleSpec {
        vigil_investigate::RuleSpec {
            rules: self.rules.clone(),
            builtin: self.builtin,
            placeholders: self.placeholders.clone(),
            logsources: self.logsources.clone(),
            mappings: self.mappings.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Log files or folders (searched recursively): .evtx, .json, .jsonl, .ndjson, and the same gzipped.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub rules: RuleArgs,

    /// Timeline format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,

    /// Write the timeline to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Report only detections at or above this level.
    #[arg(long, value_name = "LEVEL", default_value = "informational", value_parser = parse_level)]
    pub min_level: Level,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Groups (distinct group-by values) one correlation rule tracks at once;
    /// past it the oldest are dropped, and the summary says so.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub correlation_groups: usize,

    /// Memory for sorting the timeline, and as much again for the detections
    /// held for correlation rules, in MB; beyond it sorted runs go to
    /// temporary files and are merged at the end.
    #[arg(long, value_name = "MB", default_value_t = vigil_investigate::sweep::SORT_MEMORY >> 20)]
    pub sort_memory: usize,

    /// Folder for the sort's temporary files (default: the output file's
    /// folder, or the system's temporary folder when writing to standard output).
    #[arg(long, value_name = "DIR")]
    pub temp_dir: Option<PathBuf>,

    /// Print no summary and no progress.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct IncidentsArgs {
    /// Log files or folders (searched recursively), as for `vigil hunt`.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub rules: RuleArgs,

    /// Asset inventory (YAML: `hosts:` with `name`, `role`, `ips`; the format
    /// `vigil simulate` writes): host roles and addresses.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,

    /// Write incidents.json and incidents.md to this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Detections at or above this level start incidents; lower ones only join
    /// through a shared process or logon session.
    #[arg(long, value_name = "LEVEL", default_value = "high", value_parser = parse_level)]
    pub seed_level: Level,

    #[command(flatten)]
    pub clock: ClockArgs,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Print no summary and no progress.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ExfilArgs {
    /// Log files or folders (searched recursively): network evidence (Zeek
    /// conn/dns/ssl/http/files logs as TSV or JSON; firewall or flow exports as
    /// CSV, JSON lines or FortiGate key=value) and the hosts' Windows events.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub rules: RuleArgs,

    /// Asset inventory (as for `vigil incidents`): host addresses and roles.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,

    #[command(flatten)]
    pub clock: ClockArgs,

    /// Column mapping for flow exports: `vigil`, `fortigate`, `paloalto`, or a
    /// YAML file (see the vigil-exfil mapping docs). Without it, the mapping is
    /// chosen from each file's header.
    #[arg(long, value_name = "NAME|FILE")]
    pub flow_mapping: Option<String>,

    /// Start of the window to assess (RFC 3339). Without --since/--until the
    /// window is the incidents' span, from an hour before the first evidence to
    /// a day after the last.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// End of the window to assess (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// A host in scope (repeatable); adds to the incidents' hosts.
    #[arg(long = "host", value_name = "NAME")]
    pub hosts: Vec<String>,

    /// Networks inside the estate (repeatable CIDR); default: private ranges.
    #[arg(long = "internal", value_name = "CIDR")]
    pub internal: Vec<String>,

    /// Write exfiltration.json and exfiltration.md to this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Print the assessment as JSON instead of text.
    #[arg(long)]
    pub json: bool,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Print no progress and no timing.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct CaseArgs {
    /// Evidence files or folders (searched recursively): the hosts' event logs
    /// and network evidence, as for `vigil incidents` and `vigil exfil`.
    #[arg(value_name = "PATH", required_unless_present = "verify")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub rules: RuleArgs,

    /// Asset inventory (as for `vigil incidents`): roles, services and
    /// `depends_on`, from which the containment plan's impact is computed.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,

    /// The case folder to write.
    #[arg(long, value_name = "DIR", required_unless_present = "verify")]
    pub out: Option<PathBuf>,

    /// Detections at or above this level start incidents (as for `incidents`).
    #[arg(long, value_name = "LEVEL", default_value = "high", value_parser = parse_level)]
    pub seed_level: Level,

    #[command(flatten)]
    pub clock: ClockArgs,

    /// When the operator became aware of the breach (RFC 3339); the
    /// notification clocks start there. Default: the first high or critical detection.
    #[arg(long, value_name = "TIME")]
    pub aware_at: Option<String>,

    /// The language of report.md and report.html (en or de); the JSON
    /// files and the findings quoted from the evidence stay in English.
    #[arg(long, value_name = "LANG", value_enum, default_value = "en")]
    pub lang: ReportLang,

    /// Re-hash the evidence listed in CASE/manifest.json and say whether it still matches.
    #[arg(long, value_name = "CASE", conflicts_with_all = ["paths", "out"])]
    pub verify: Option<PathBuf>,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Print no progress and no timing.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// JSON-lines files to follow as they grow (across rotation and truncation).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Read JSON lines from standard input as well.
    #[arg(long)]
    pub stdin: bool,

    /// Serve the HTTP endpoint here: POST /events (JSON, NDJSON, arrays), GET /health, GET /metrics.
    /// A bare port means loopback.
    #[arg(long, value_name = "ADDR", value_parser = parse_bind)]
    pub listen: Option<SocketAddr>,

    /// Receive syslog datagrams (RFC 3164/5424) here; a bare port means loopback.
    #[arg(long, value_name = "ADDR", value_parser = parse_bind)]
    pub syslog_udp: Option<SocketAddr>,

    /// Accept syslog over TCP (octet-counted or newline-framed) here; a bare port means loopback.
    #[arg(long, value_name = "ADDR", value_parser = parse_bind)]
    pub syslog_tcp: Option<SocketAddr>,

    #[command(flatten)]
    pub tls: TlsArgs,

    /// Senders' bearer tokens for --listen: one sender a line, its name and its token
    /// (at least 16 characters). Requests without a known token get 401; the sender's name
    /// is recorded on its events (source http:NAME). Reloaded on SIGHUP.
    #[arg(long, value_name = "FILE")]
    pub tokens: Option<PathBuf>,

    /// Requests a second each sender (by token, certificate or address) may make to --listen;
    /// over it, 429 with Retry-After. 0: no limit.
    #[arg(long, value_name = "N", default_value_t = 100.0)]
    pub rate_limit: f64,

    /// POST new detections to this URL as JSON lines, retrying until it accepts them.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,

    #[command(flatten)]
    pub rules: RuleArgs,

    /// The SQLite store: detections, input positions, correlation inputs.
    #[arg(long, value_name = "FILE", default_value = "vigil-watch.db")]
    pub store: PathBuf,

    /// Also write each detection as a JSON line to this file ("-": standard output).
    #[arg(long, short = 'o', value_name = "FILE", default_value = "-")]
    pub output: String,

    /// Write detections to the store only.
    #[arg(long, conflicts_with = "output")]
    pub no_output: bool,

    /// Lines per transaction at most.
    #[arg(long, value_name = "N", default_value_t = 5_000)]
    pub batch: usize,

    /// Groups one correlation rule tracks at once.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub correlation_groups: usize,

    /// Stop when every input is at its end, deciding open correlation windows.
    #[arg(long)]
    pub exit_at_end: bool,

    /// Threads that parse and match lines arriving together (default: one
    /// per core); correlation and the store keep arrival order whatever it is.
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    #[command(flatten)]
    pub fleet: crate::ship::FleetArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Via {
    Stdin,
    Http,
    /// HTTPS with a bearer token (a self-signed certificate made for the run).
    Https,
}

#[derive(Debug, Args)]
pub struct BenchWatchArgs {
    /// JSON-lines files or folders to send (default: a small simulated estate's Windows events).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub rules: RuleArgs,

    /// Events to send (the corpus over and over).
    #[arg(long, default_value_t = 200_000)]
    pub events: usize,

    /// Target events per second (0: as fast as the watcher takes them).
    #[arg(long, default_value_t = 0)]
    pub rate: u64,

    /// How the events reach the watcher.
    #[arg(long, value_enum, default_value = "stdin")]
    pub via: Via,

    /// Send failed logons for a new account each time (distinct correlation
    /// keys) instead of the corpus, and report the watcher's peak memory.
    #[arg(long)]
    pub flood: bool,

    /// Groups one correlation rule may track in the watcher.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub correlation_groups: usize,

    /// The watcher's matching threads (default: the watcher's own default,
    /// one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Append the results (Markdown, with machine and date) to this file.
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Log files or folders to measure on.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub rules: RuleArgs,

    /// Read the inputs this many times over, as a larger collection.
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,

    /// Runs of each stage; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Append the results table (Markdown, with machine and date) to this file.
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
}

/// What to simulate.
#[derive(Debug, Args)]
pub struct SimulationArgs {
    /// Seed: the same seed and options give byte-identical output.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,

    /// Hosts in the estate (at least the seven servers and a few workstations).
    #[arg(long, default_value_t = 12)]
    pub hosts: usize,

    /// Days of activity.
    #[arg(long, default_value_t = 5)]
    pub days: u32,

    /// Mean Windows events per host per hour.
    #[arg(long, value_name = "EVENTS_PER_HOST_PER_HOUR", default_value_t = 60)]
    pub rate: u32,

    /// Only the benign background, no intrusion.
    #[arg(long)]
    pub no_attack: bool,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Folder to write the logs, inventory and truth.json to.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    #[command(flatten)]
    pub simulation: SimulationArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder to write the simulated logs and the timeline to (default: a new temporary folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub simulation: SimulationArgs,
}

/// How far apart the hosts' clocks may be, for building incidents.
#[derive(Debug, Args)]
pub struct ClockArgs {
    /// How far the clocks of two hosts may differ, in seconds: events on
    /// different hosts this close in time are taken as simultaneous when
    /// deciding patient zero and which way a hop went. 0 takes every
    /// timestamp at its word.
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = parse_seconds)]
    pub clock_skew: chrono::Duration,
}

fn parse_seconds(text: &str) -> Result<chrono::Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !seconds.is_finite() || !(0.0..=86_400.0).contains(&seconds) {
        return Err(format!("'{text}' is not between 0 and 86400 seconds"));
    }
    Ok(chrono::Duration::milliseconds(
        (seconds * 1000.0).round() as i64
    ))
}

/// TLS on a listener, and the choice to listen unprotected.
#[derive(Debug, Args)]
pub struct TlsArgs {
    /// Serve over TLS with this certificate chain (PEM, the server's own first);
    /// reloaded on SIGHUP without closing connections. With --syslog-tcp: syslog over TLS (RFC 5425).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Require client certificates issued by these CAs (PEM): mutual TLS. A sender is known
    /// by the name on its certificate.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,

    /// Listen on an address other than loopback even without TLS and authentication:
    /// anyone who can reach the port could send forged events or read them.
    #[arg(long)]
    pub insecure_listen: bool,
}

impl TlsArgs {
    pub fn files(&self) -> Option<vigil_net::TlsFiles> {
        Some(vigil_net::TlsFiles {
            cert: self.tls_cert.clone()?,
            key: self.tls_key.clone()?,
            client_ca: self.tls_client_ca.clone(),
        })
    }
}

/// A listening address; a bare port is on loopback.
fn parse_bind(text: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse()
        .map_err(|_| format!("'{text}' is neither a port nor an address such as 127.0.0.1:8080"))
}

fn parse_level(text: &str) -> Result<Level, String> {
    text.parse()
}
