//! `vigil watch --listen` taking OpenTelemetry logs exports (`POST
//! /v1/logs`, OTLP/HTTP in protobuf, gzipped or not, and JSON): the events
//! in them raise exactly the detections `vigil hunt` raises from the same
//! events read from a file.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vigil_otlp::proto::{
    AnyValue, ExportLogsServiceRequest, KeyValue, KeyValueList, LogRecord, Resource, ResourceLogs,
    ScopeLogs, Value as Any,
};
use vigil_otlp::Message;

fn vigil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request: the status and the body.
fn post(port: u16, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Option<(u16, Vec<u8>)> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response);
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let at = response.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    Some((status, response[at..].to_vec()))
}

/// A Security 4688 of `vssadmin delete shadows` (the built-in pack detects
/// it), as `evtx_dump` writes it.
fn shadow_copy_deletion(record: u64, computer: &str) -> Value {
    json!({"Event": {
        "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
            "EventID": 4688,
            "TimeCreated": {"#attributes": {"SystemTime": format!("2026-03-02T08:00:{record:02}Z")}},
            "EventRecordID": record,
            "Channel": "Security",
            "Computer": computer,
        },
        "EventData": {
            "NewProcessName": "C:\\Windows\\System32\\vssadmin.exe",
            "CommandLine": "vssadmin delete shadows /all /quiet",
            "SubjectUserName": "svc-backup",
        },
    }})
}

fn text(s: &str) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(Any::String(s.into())),
    })
}

fn kv(key: &str, value: Option<AnyValue>) -> KeyValue {
    KeyValue {
        key: key.into(),
        value,
    }
}

/// The same event as the Collector's `windowseventlog` receiver ships it:
/// a map body, event data as text.
fn receiver_map(record: u64, computer: &str) -> AnyValue {
    let map = |pairs: Vec<KeyValue>| AnyValue {
        value: Some(Any::Kvlist(KeyValueList { values: pairs })),
    };
    let int = |i: i64| {
        Some(AnyValue {
            value: Some(Any::Int(i)),
        })
    };
    map(vec![
        kv("channel", text("Security")),
        kv("computer", text(computer)),
        kv(
            "event_id",
            Some(map(vec![kv("id", int(4688)), kv("qualifiers", int(0))])),
        ),
        kv(
            "provider",
            Some(map(vec![
                kv("name", text("Microsoft-Windows-Security-Auditing")),
                kv("event_source", text("")),
            ])),
        ),
        kv("record_id", int(record as i64)),
        kv(
            "system_time",
            text(&format!("2026-03-02T08:00:{record:02}Z")),
        ),
        kv("level", text("Information")),
        kv(
            "event_data",
            Some(map(vec![
                kv(
                    "NewProcessName",
                    text("C:\\Windows\\System32\\vssadmin.exe"),
                ),
                kv("CommandLine", text("vssadmin delete shadows /all /quiet")),
                kv("SubjectUserName", text("svc-backup")),
            ])),
        ),
    ])
}

fn export(bodies: Vec<AnyValue>, host: &str) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![kv("host.name", text(host))],
            }),
            scope_logs: vec![ScopeLogs {
                scope: None,
                log_records: bodies
                    .into_iter()
                    .map(|body| LogRecord {
                        time_unix_nano: 1_772_438_400_000_000_000,
                        body: Some(body),
                        ..LogRecord::default()
                    })
                    .collect(),
            }],
        }],
    }
}

/// What identifies a detection in hunt's timeline and in the store.
fn identity(d: &Value) -> String {
    format!(
        "{} {} {} {} {}",
        d["timestamp"], d["computer"], d["event_id"], d["record_id"], d["rule_id"]
    )
}

fn stored(store: &Path) -> BTreeSet<String> {
    let Ok(db) = rusqlite::Connection::open(store) else {
        return BTreeSet::new();
    };
    let Ok(mut query) = db.prepare("SELECT json FROM detections") else {
        return BTreeSet::new();
    };
    query
        .query_map([], |row| row.get::<_, String>(0))
        .map(|rows| {
            rows.flatten()
                .map(|j| identity(&serde_json::from_str(&j).unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn otlp_exports_raise_the_detections_of_the_same_events_read_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let store = dir.path().join("watch.db");
    let mut watcher = vigil()
        .arg("watch")
        .args(["--listen", &port.to_string()])
        .arg("--store")
        .arg(&store)
        .arg("--no-output")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while post(port, "/health", &[], b"").is_none() {
        assert!(started.elapsed() < Duration::from_secs(30), "never ready");
        std::thread::sleep(Duration::from_millis(50));
    }

    // Protobuf, gzipped: the receiver's map for one host, the event's
    // `evtx_dump` line as a text body for another, and an application's
    // message that raises nothing.
    let request = export(
        vec![
            receiver_map(1, "FS-01"),
            text(&shadow_copy_deletion(2, "DB-01").to_string()).unwrap(),
            text("backup finished").unwrap(),
        ],
        "FS-01",
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&request.encode_to_vec()).unwrap();
    let (status, body) = post(
        port,
        "/v1/logs",
        &[
            ("Content-Type", "application/x-protobuf"),
            ("Content-Encoding", "gzip"),
        ],
        &gz.finish().unwrap(),
    )
    .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(body.is_empty(), "every record taken: an empty response");

    // JSON: the receiver's map for a third host.
    let json_export = json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [{
        "timeUnixNano": "1772438400000000000",
        "body": {"kvlistValue": {"values": [
            {"key": "channel", "value": {"stringValue": "Security"}},
            {"key": "computer", "value": {"stringValue": "APP-01"}},
            {"key": "event_id", "value": {"kvlistValue": {"values": [{"key": "id", "value": {"intValue": "4688"}}]}}},
            {"key": "provider", "value": {"kvlistValue": {"values": [{"key": "name", "value": {"stringValue": "Microsoft-Windows-Security-Auditing"}}]}}},
            {"key": "record_id", "value": {"intValue": "3"}},
            {"key": "system_time", "value": {"stringValue": "2026-03-02T08:00:03Z"}},
            {"key": "event_data", "value": {"kvlistValue": {"values": [
                {"key": "NewProcessName", "value": {"stringValue": "C:\\Windows\\System32\\vssadmin.exe"}},
                {"key": "CommandLine", "value": {"stringValue": "vssadmin delete shadows /all /quiet"}},
                {"key": "SubjectUserName", "value": {"stringValue": "svc-backup"}}
            ]}}}
        ]}}
    }]}]}]});
    let (status, body) = post(
        port,
        "/v1/logs",
        &[("Content-Type", "application/json")],
        json_export.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!((status, body.as_slice()), (200, &b"{}"[..]));

    // Not OTLP: refused with a reason, nothing taken.
    let (status, _) = post(
        port,
        "/v1/logs",
        &[("Content-Type", "application/x-protobuf")],
        b"\xff\xff\xff",
    )
    .unwrap();
    assert_eq!(status, 400);
    let (status, _) = post(port, "/v1/logs", &[("Content-Type", "text/plain")], b"x").unwrap();
    assert_eq!(status, 415);

    // The same three events in a file, hunted.
    let file = dir.path().join("events.jsonl");
    let lines: Vec<String> = [(1, "FS-01"), (2, "DB-01"), (3, "APP-01")]
        .iter()
        .map(|&(r, h)| shadow_copy_deletion(r, h).to_string())
        .collect();
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let hunt = vigil()
        .arg("hunt")
        .arg(&file)
        .args(["--format", "jsonl", "--quiet"])
        .output()
        .unwrap();
    assert!(hunt.status.success());
    let hunted: BTreeSet<String> = String::from_utf8_lossy(&hunt.stdout)
        .lines()
        .map(|l| identity(&serde_json::from_str(l).unwrap()))
        .collect();
    assert_eq!(hunted.len(), 3, "{hunted:?}");
    let mut found = stored(&store);
    while found != hunted && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
        found = stored(&store);
    }
    assert_eq!(found, hunted);
    let _ = Command::new("kill")
        .args(["-TERM", &watcher.id().to_string()])
        .status();
    let _ = watcher.wait();
}
