//! A real OpenTelemetry SDK exporting to `vigil watch --listen`: the
//! Python SDK's OTLP/HTTP log exporter (installed by `.ci/run` into
//! `target/otel-venv`) sends simulated Windows events as log records, and
//! they raise exactly the detections `vigil hunt` raises from the same
//! events read from a file.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Sends each line of a file as one log record through the SDK's logs
/// pipeline as an application would wire it, and prints as JSON what went
/// over the wire: each export's result, each HTTP request's content type
/// and status (seen by the requests session the exporter sends with), and
/// the answer to `--after` (the watcher's metrics) fetched the same way, so
/// that TLS and credentials, once given, apply to it too.
const EXPORTER: &str = r#"
import argparse
import json
import sys
import time

import requests
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource

parser = argparse.ArgumentParser()
parser.add_argument("--endpoint", required=True, help="the OTLP/HTTP logs URL")
parser.add_argument("--lines", required=True, help="a file; each line is one record's body")
parser.add_argument("--host-name", required=True, help="the resource's host.name")
parser.add_argument("--ca", help="the CA file to trust for https (certificate_file)")
parser.add_argument("--header", action="append", default=[], help="'name: value' on every request")
parser.add_argument("--compression", choices=["gzip", "none"], default="gzip")
parser.add_argument("--batch", type=int, default=10, help="records per export at most")
parser.add_argument("--after", help="a URL to GET with the same session once all is sent")
args = parser.parse_args()

headers = {}
for header in args.header:
    name, _, value = header.partition(":")
    headers[name.strip()] = value.strip()

sent = []
session = requests.Session()


def seen(response, *_args, **_kwargs):
    request = response.request
    if request.method == "POST":
        sent.append(
            {
                "status": response.status_code,
                "content_type": request.headers.get("Content-Type"),
                "content_encoding": request.headers.get("Content-Encoding"),
                "bytes": len(request.body or b""),
            }
        )


session.hooks["response"].append(seen)

exports = []


class ReportingExporter(OTLPLogExporter):
    def export(self, batch):
        result = super().export(batch)
        exports.append({"records": len(batch), "result": result.name})
        return result


exporter = ReportingExporter(
    endpoint=args.endpoint,
    certificate_file=args.ca,
    headers=headers,
    timeout=5,
    compression=Compression.Gzip if args.compression == "gzip" else Compression.NoCompression,
    session=session,
)
provider = LoggerProvider(
    resource=Resource.create({"host.name": args.host_name, "service.name": "windows-forwarder"})
)
provider.add_log_record_processor(
    BatchLogRecordProcessor(exporter, max_export_batch_size=args.batch, schedule_delay_millis=200)
)
logger = provider.get_logger("vigil.test.windows-forwarder")

emitted = 0
with open(args.lines, encoding="utf-8") as lines:
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            continue
        logger.emit(
            timestamp=time.time_ns(),
            severity_number=SeverityNumber.INFO,
            severity_text="Information",
            body=line,
            attributes={"log.file.name": "Security.evtx"},
        )
        emitted += 1

flushed = provider.force_flush(10_000)
provider.shutdown()

report = {"emitted": emitted, "flushed": flushed, "exports": exports, "requests": sent}
if args.after:
    answer = session.get(args.after, verify=args.ca or True, headers=headers, timeout=5)
    report["after"] = {"status": answer.status_code, "body": answer.text}
print(json.dumps(report))
sys.exit(0 if flushed and exports and all(e["result"] == "SUCCESS" for e in exports) else 1)
"#;

/// Checks that the SDK's logs pipeline and OTLP/HTTP exporter import.
const SDK_PROBE: &str = "import opentelemetry.sdk._logs, \
                         opentelemetry.exporter.otlp.proto.http._log_exporter";

/// The Python interpreter that has the OpenTelemetry SDK, or why there is
/// none: `VIGIL_OTEL_PYTHON`, else the venv `.ci/run` makes.
fn otel_python() -> Result<PathBuf, String> {
    let python = std::env::var_os("VIGIL_OTEL_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/otel-venv/bin/python")
        });
    let probe = Command::new(&python)
        .args(["-c", SDK_PROBE])
        .output()
        .map_err(|e| format!("{} does not run ({e})", python.display()))?;
    if !probe.status.success() {
        return Err(format!(
            "{} lacks the OpenTelemetry SDK: {}",
            python.display(),
            String::from_utf8_lossy(&probe.stderr).trim()
        ));
    }
    Ok(python)
}

/// The interpreter, or `None` (said on stderr) to skip outside CI; under
/// CI a missing SDK fails the test, since `.ci/run` installs it.
fn otel_python_or_skip() -> Option<PathBuf> {
    match otel_python() {
        Ok(python) => Some(python),
        Err(reason) if std::env::var_os("CI").is_some() => {
            panic!("{reason} (.ci/run installs it into target/otel-venv)")
        }
        Err(reason) => {
            eprintln!(
                "skipped: {reason}; run .ci/run's OpenTelemetry lines or set VIGIL_OTEL_PYTHON"
            );
            None
        }
    }
}

/// How the exporter reaches the watcher's intake: the flags the watcher is
/// started with beyond listening, storing and writing its output, and what
/// the exporter needs to be let in.
#[derive(Default)]
struct Intake {
    /// The watcher serves HTTPS (its flags name a certificate).
    tls: bool,
    watch_flags: Vec<OsString>,
    /// The CA the exporter trusts (its `certificate_file`).
    ca: Option<PathBuf>,
    /// Headers on every request, as `name: value` (`authorization: Bearer …`).
    headers: Vec<String>,
}

/// A running `vigil watch --listen` on a loopback port it chose itself.
struct Watcher {
    child: Child,
    addr: SocketAddr,
    scheme: &'static str,
    output: PathBuf,
    log: mpsc::Receiver<String>,
}

impl Watcher {
    /// Starts the watcher with `intake`'s flags and waits until it listens.
    fn start(dir: &Path, intake: &Intake) -> Watcher {
        let output = dir.join("detections.jsonl");
        let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .arg("watch")
            .args(["--listen", "127.0.0.1:0"])
            .arg("--store")
            .arg(dir.join("watch.db"))
            .arg("--output")
            .arg(&output)
            .args(&intake.watch_flags)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("vigil watch starts");
        // The watcher logs where it listens; the rest of its log is kept
        // for the failure messages.
        let (lines, log) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr = loop {
            let Ok(line) = log.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            else {
                let _ = child.kill();
                panic!("vigil watch never said where it listens: {seen:#?}");
            };
            if let Some(addr) = listening_address(&line) {
                break addr;
            }
            seen.push(line);
        };
        Watcher {
            child,
            addr,
            scheme: if intake.tls { "https" } else { "http" },
            output,
            log,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.addr)
    }

    /// Stops the watcher as an operator does (SIGTERM) and returns what it
    /// logged since it started listening.
    fn stop(mut self) -> Vec<String> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("vigil watch did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.log.try_iter().collect()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The HTTP address in the watcher's `listening` log line, if `line` is one.
fn listening_address(line: &str) -> Option<SocketAddr> {
    let record: Value = serde_json::from_str(line).ok()?;
    if record["msg"] != "listening" {
        return None;
    }
    record
        .as_object()?
        .iter()
        .filter(|(key, _)| key.starts_with("http"))
        .find_map(|(_, value)| value.as_str()?.parse().ok())
}

/// Security events as `evtx_dump` writes them, from three hosts: four
/// kinds the built-in pack detects (shadow copies deleted, recovery
/// switched off, domain controllers listed, an account created) and one it
/// does not (Notepad opened). Record `r` is of kind `r % 5`.
fn simulated_events(count: u64) -> Vec<String> {
    let hosts = [
        "FS-01.clinic.local",
        "DB-01.clinic.local",
        "PACS-01.clinic.local",
    ];
    (1..=count)
        .map(|record| {
            let computer = hosts[record as usize % hosts.len()];
            let (event_id, data) = match record % 5 {
                0 => (
                    4688,
                    process("vssadmin.exe", "vssadmin delete shadows /all /quiet"),
                ),
                1 => (
                    4688,
                    process("bcdedit.exe", "bcdedit /set {default} recoveryenabled No"),
                ),
                2 => (4688, process("nltest.exe", "nltest /dclist:clinic.local")),
                3 => (
                    4720,
                    json!({
                        "SubjectUserName": "it-admin",
                        "TargetUserName": format!("support{record}"),
                        "TargetDomainName": "CLINIC",
                    }),
                ),
                _ => (
                    4688,
                    process("notepad.exe", "notepad C:\\Users\\reception\\rota.txt"),
                ),
            };
            json!({"Event": {
                "System": {
                    "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
                    "EventID": event_id,
                    "TimeCreated": {"#attributes": {"SystemTime": format!(
                        "2026-03-02T08:{:02}:{:02}Z", record / 60, record % 60
                    )}},
                    "EventRecordID": record,
                    "Channel": "Security",
                    "Computer": computer,
                },
                "EventData": data,
            }})
            .to_string()
        })
        .collect()
}

fn process(image: &str, command_line: &str) -> Value {
    json!({
        "NewProcessName": format!("C:\\Windows\\System32\\{image}"),
        "CommandLine": command_line,
        "SubjectUserName": "svc-backup",
    })
}

/// What identifies a detection in hunt's timeline and in watch's output.
fn identity(d: &Value) -> String {
    format!(
        "{} {} {} {} {}",
        d["timestamp"], d["computer"], d["event_id"], d["record_id"], d["rule_id"]
    )
}

fn identities(jsonl: &str) -> BTreeSet<String> {
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| identity(&serde_json::from_str(l).expect("a detection as JSON")))
        .collect()
}

/// The record ids the detections in `jsonl` are about.
fn detected_records(jsonl: &str) -> BTreeSet<u64> {
    jsonl
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok()?["record_id"].as_u64())
        .collect()
}

/// Runs the exporter over `lines` and returns its report.
fn export(
    python: &Path,
    script: &Path,
    watcher: &Watcher,
    intake: &Intake,
    lines: &Path,
    compression: &str,
) -> Value {
    let mut command = Command::new(python);
    command
        .arg(script)
        .args(["--endpoint", &watcher.url("/v1/logs")])
        .arg("--lines")
        .arg(lines)
        .args(["--host-name", "FS-01.clinic.local"])
        .args(["--compression", compression, "--batch", "7"])
        .args(["--after", &watcher.url("/metrics")]);
    if let Some(ca) = &intake.ca {
        // requests lets these variables override the CA the exporter was
        // given; machines often set them to the system's bundle.
        command
            .env_remove("REQUESTS_CA_BUNDLE")
            .env_remove("CURL_CA_BUNDLE")
            .arg("--ca")
            .arg(ca);
    }
    for header in &intake.headers {
        command.args(["--header", header]);
    }
    let run = command.output().expect("the exporter runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "the exporter failed: {stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_str(stdout.trim()).expect("the exporter's report")
}

/// The watcher's count of events read, summed over its inputs.
fn events_in(metrics: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("vigil_events_in_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// Exports simulated Windows events through the SDK to a watcher reached
/// through `intake`, in two runs of the exporter (uncompressed, then
/// gzipped), and compares its detections with `vigil hunt`'s over the same
/// lines read from a file. A case over TLS or with a token gives its
/// watcher flags, CA and headers in `intake` and runs the same.
fn sdk_export_raises_the_detections_of_the_file(intake: Intake) -> Option<String> {
    let python = otel_python_or_skip()?;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("export_logs.py");
    std::fs::write(&script, EXPORTER).unwrap();
    let events = simulated_events(40);
    let (first, second) = events.split_at(17);
    let all = dir.path().join("events.jsonl");
    std::fs::write(&all, events.join("\n") + "\n").unwrap();
    let halves = [
        ("first.jsonl", first, "none"),
        ("second.jsonl", second, "gzip"),
    ];

    let watcher = Watcher::start(dir.path(), &intake);
    let mut sent = 0;
    for (name, lines, compression) in halves {
        let path = dir.path().join(name);
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let report = export(&python, &script, &watcher, &intake, &path, compression);
        assert_eq!(report["emitted"], lines.len(), "{report}");
        // Each export was one protobuf request, answered 200 by the watcher.
        let requests = report["requests"].as_array().unwrap();
        let exports = report["exports"].as_array().unwrap();
        assert_eq!(requests.len(), exports.len(), "{report}");
        assert!(exports.len() >= lines.len().div_ceil(7), "{report}");
        for request in requests {
            assert_eq!(request["status"], 200, "{report}");
            assert_eq!(
                request["content_type"], "application/x-protobuf",
                "{report}"
            );
            let gzipped = request["content_encoding"] == "gzip";
            assert_eq!(gzipped, compression == "gzip", "{report}");
        }
        let records: u64 = exports.iter().map(|e| e["records"].as_u64().unwrap()).sum();
        assert_eq!(records, lines.len() as u64, "{report}");
        // The watcher answers an export once its events are committed, so
        // its count already holds every record sent so far.
        sent += lines.len() as u64;
        let after = &report["after"];
        assert_eq!(after["status"], 200, "{report}");
        assert_eq!(events_in(after["body"].as_str().unwrap()), sent, "{after}");
    }

    // Detections reach the output file after their commit: wait for as
    // many as hunt finds, then stop the watcher, which writes what is left.
    let hunt = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("hunt")
        .arg(&all)
        .args(["--format", "jsonl", "--quiet"])
        .output()
        .unwrap();
    assert!(
        hunt.status.success(),
        "{}",
        String::from_utf8_lossy(&hunt.stderr)
    );
    let hunt_out = String::from_utf8_lossy(&hunt.stdout).into_owned();
    let hunted = identities(&hunt_out);
    let deadline = Instant::now() + Duration::from_secs(10);
    let read_output = || std::fs::read_to_string(&watcher.output).unwrap_or_default();
    while identities(&read_output()).len() < hunted.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let output_path = watcher.output.clone();
    let log = watcher.stop();
    let watched_out = std::fs::read_to_string(&output_path).unwrap_or_default();

    // The fixture means what it says: every attack record is detected by
    // hunt, Notepad is not.
    let attacks: BTreeSet<u64> = (1..=events.len() as u64).filter(|r| r % 5 != 4).collect();
    assert_eq!(detected_records(&hunt_out), attacks, "{hunt_out}");
    assert_eq!(
        identities(&watched_out),
        hunted,
        "watch's detections differ from hunt's; the watcher logged: {log:#?}"
    );
    Some(watched_out)
}

#[test]
fn an_opentelemetry_sdk_export_raises_the_detections_of_the_same_events_read_from_a_file() {
    sdk_export_raises_the_detections_of_the_file(Intake::default());
}

/// The same export over TLS with a bearer token: the SDK trusts the test's
/// CA, and the token's sender name is recorded on every detection.
#[test]
fn an_sdk_export_over_tls_with_a_token_is_accepted_and_its_sender_named() {
    let pki_dir = tempfile::tempdir().unwrap();
    let pki = vigil_testdata::pki::Pki::new(pki_dir.path());
    let server = pki.server("server");
    let tokens = pki_dir.path().join("tokens");
    std::fs::write(&tokens, "otel-collector 5f1d0c8e2b7a4d6f9e3c1b0a\n").unwrap();
    let intake = Intake {
        tls: true,
        watch_flags: vec![
            "--tls-cert".into(),
            server.cert.into(),
            "--tls-key".into(),
            server.key.into(),
            "--tokens".into(),
            tokens.into(),
        ],
        ca: Some(pki.ca()),
        headers: vec!["authorization: Bearer 5f1d0c8e2b7a4d6f9e3c1b0a".into()],
    };
    let Some(watched) = sdk_export_raises_the_detections_of_the_file(intake) else {
        return;
    };
    let sources: BTreeSet<String> = watched
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|d| d["source"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(sources, BTreeSet::from(["http:otel-collector".to_string()]));
}
