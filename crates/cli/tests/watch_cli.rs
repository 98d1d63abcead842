//! `vigil watch` through the binary: killed with SIGKILL again and again
//! while its input grows, it must end with exactly the detections `hunt`
//! finds in the finished file — none lost, none twice.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn system(id: u32, record: u64, second: u64, computer: &str) -> serde_json::Value {
    serde_json::json!({
        "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
        "EventID": id,
        "TimeCreated": {"#attributes": {"SystemTime":
            format!("2026-03-02T{:02}:{:02}:{:02}Z", 8 + second / 3600, second / 60 % 60, second % 60)}},
        "EventRecordID": record,
        "Channel": "Security",
        "Computer": computer,
    })
}

/// Security events of a few hosts: logons, failed logons in bursts (which
/// the built-in correlations count), process creations now and then
/// deleting shadow copies, and some malformed lines.
fn stream(lines: usize, seed: u64) -> Vec<String> {
    let mut rng = Lcg(seed);
    let hosts = ["FS-01", "DB-01", "WS-DOC-01", "WS-DOC-02"];
    let users = ["alice", "bob", "carol", "dave", "erin"];
    let mut out = Vec::with_capacity(lines);
    for i in 0..lines as u64 {
        let second = i / 4;
        let host = hosts[rng.below(4) as usize];
        let user = users[rng.below(5) as usize];
        let line = match rng.below(100) {
            0 => "{\"Event\": {\"System\": truncated".to_string(),
            1..=30 => serde_json::json!({"Event": {
                "System": system(4625, i + 1, second, host),
                "EventData": {"TargetUserName": user, "LogonType": 3, "IpAddress": "10.20.10.66"},
            }})
            .to_string(),
            31..=33 => serde_json::json!({"Event": {
                "System": system(4688, i + 1, second, host),
                "EventData": {
                    "NewProcessName": "C:\\Windows\\System32\\vssadmin.exe",
                    "CommandLine": "vssadmin delete shadows /all /quiet",
                    "SubjectUserName": user,
                },
            }})
            .to_string(),
            _ => serde_json::json!({"Event": {
                "System": system(4624, i + 1, second, host),
                "EventData": {"TargetUserName": user, "LogonType": 3, "IpAddress": "10.20.10.5"},
            }})
            .to_string(),
        };
        out.push(line);
    }
    out
}

fn vigil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

fn start_watch(log: &Path, store: &Path, output: &Path, exit_at_end: bool) -> Child {
    start_watch_with(log, store, output, exit_at_end, &[])
}

fn start_watch_with(
    log: &Path,
    store: &Path,
    output: &Path,
    exit_at_end: bool,
    extra: &[&str],
) -> Child {
    let mut command = vigil();
    command
        .arg("watch")
        .arg(log)
        .args(extra)
        .arg("--store")
        .arg(store)
        .arg("--output")
        .arg(output)
        .args(["--batch", "150"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if exit_at_end {
        command.arg("--exit-at-end");
    }
    command.spawn().expect("vigil watch starts")
}

/// The detections of the finished file, as `hunt` finds them, by JSON text.
fn hunted(log: &Path) -> BTreeMap<String, usize> {
    let output = vigil()
        .arg("hunt")
        .arg(log)
        .args(["--format", "jsonl", "--quiet"])
        .output()
        .unwrap();
    assert!(output.status.success());
    count(&String::from_utf8_lossy(&output.stdout))
}

fn count(text: &str) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        *seen.entry(line.to_string()).or_insert(0) += 1;
    }
    seen
}

/// A line of the watcher's JSON-lines output split into its `id` (first)
/// and the detection's JSON text without it.
fn split_id(line: &str) -> (String, String) {
    let (id, rest) = line
        .strip_prefix("{\"id\":\"")
        .and_then(|rest| rest.split_once("\","))
        .unwrap_or_else(|| panic!("a line without its id first: {line}"));
    (id.to_string(), format!("{{{rest}"))
}

/// The detections in the store, by JSON text, read back with `sqlite3`
/// semantics through the binary's own store format.
fn stored(store: &Path) -> BTreeMap<String, usize> {
    let db = rusqlite::Connection::open(store).unwrap();
    let mut query = db.prepare("SELECT json FROM detections").unwrap();
    let rows: Vec<String> = query
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    count(&rows.join("\n"))
}

#[test]
fn killed_repeatedly_it_stores_every_detection_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("security.jsonl");
    let store = dir.path().join("watch.db");
    let output = dir.path().join("alerts.jsonl");
    let lines = stream(12_000, 42);
    let mut rng = Lcg(7);
    let mut file = std::fs::File::create(&log).unwrap();

    // Write the stream in chunks while a watcher runs; kill it at random
    // moments and start it again.
    let mut written = 0;
    let mut kills = 0;
    let mut watcher = start_watch(&log, &store, &output, false);
    let started = Instant::now();
    while written < lines.len() {
        let chunk = (rng.below(900) + 100) as usize;
        let end = (written + chunk).min(lines.len());
        for line in &lines[written..end] {
            writeln!(file, "{line}").unwrap();
        }
        // Sometimes leave half a line for the watcher to wait on.
        file.flush().unwrap();
        written = end;
        std::thread::sleep(Duration::from_millis(rng.below(120)));
        if rng.below(3) == 0 {
            watcher.kill().unwrap();
            watcher.wait().unwrap();
            kills += 1;
            watcher = start_watch(&log, &store, &output, false);
        }
        assert!(started.elapsed() < Duration::from_secs(240), "too slow");
    }
    watcher.kill().unwrap();
    watcher.wait().unwrap();
    assert!(kills >= 5, "only {kills} kills");

    // A last run reads what is left and stops at the end.
    let mut last = start_watch(&log, &store, &output, true);
    let status = loop {
        if let Some(status) = last.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "watch never ended"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());

    let expected = hunted(&log);
    assert!(
        expected.len() > 100,
        "a meaningful stream: {}",
        expected.len()
    );
    assert!(
        expected.keys().any(|d| d.contains("Password guessing")),
        "correlations are part of the check"
    );
    let got = stored(&store);
    let missing: Vec<_> = expected.keys().filter(|d| !got.contains_key(*d)).collect();
    let extra: Vec<_> = got.keys().filter(|d| !expected.contains_key(*d)).collect();
    assert!(
        missing.is_empty(),
        "{} lost, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    assert!(
        extra.is_empty(),
        "{} unexpected, e.g. {:?}",
        extra.len(),
        extra.first()
    );
    assert_eq!(got, expected, "no detection twice");

    // The JSON-lines output holds every detection at least once, each line
    // under its `id`; an id always names the same detection.
    let mut by_id: BTreeMap<String, String> = BTreeMap::new();
    let mut streamed = BTreeMap::new();
    for line in std::fs::read_to_string(&output).unwrap().lines() {
        let (id, detection) = split_id(line);
        let named = by_id.entry(id.clone()).or_insert_with(|| detection.clone());
        assert_eq!(*named, detection, "id {id} names two detections");
        *streamed.entry(detection).or_insert(0) += 1;
    }
    assert!(expected.keys().all(|d| streamed.contains_key(d)));
    assert_eq!(by_id.len(), expected.len(), "one id per detection");
}

/// The crash test again, with the webhook as the output that matters: the
/// receiver refuses about one delivery in three, the watcher is killed at
/// random moments, and every alert arrives — each under its `id`, the same
/// in every delivery, so the receiver keeps it once. Redeliveries (the batch
/// in flight at a kill) are counted and bounded.
#[test]
fn killed_repeatedly_with_a_flaky_webhook_every_alert_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("security.jsonl");
    let store = dir.path().join("watch.db");
    let output = dir.path().join("alerts.jsonl");
    let lines = stream(6_000, 11);
    let flaky = std::sync::Mutex::new(Lcg(99));
    let (port, delivered) = webhook_receiver_refusing(move |_| flaky.lock().unwrap().below(3) == 0);
    let url = format!("http://127.0.0.1:{port}/alerts");
    let extra = ["--webhook", url.as_str()];
    let mut rng = Lcg(5);
    let mut file = std::fs::File::create(&log).unwrap();
    let (mut written, mut kills) = (0, 0);
    let mut watcher = start_watch_with(&log, &store, &output, false, &extra);
    let started = Instant::now();
    while written < lines.len() {
        let end = (written + (rng.below(700) + 100) as usize).min(lines.len());
        for line in &lines[written..end] {
            writeln!(file, "{line}").unwrap();
        }
        file.flush().unwrap();
        written = end;
        std::thread::sleep(Duration::from_millis(rng.below(150) + 20));
        if rng.below(2) == 0 {
            watcher.kill().unwrap();
            watcher.wait().unwrap();
            kills += 1;
            watcher = start_watch_with(&log, &store, &output, false, &extra);
        }
        assert!(started.elapsed() < Duration::from_secs(240), "too slow");
    }
    watcher.kill().unwrap();
    watcher.wait().unwrap();
    assert!(kills >= 3, "only {kills} kills");
    let mut last = start_watch_with(&log, &store, &output, true, &extra);
    loop {
        if let Some(status) = last.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "watch never ended"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let expected = hunted(&log);
    assert!(
        expected.len() > 50,
        "a meaningful stream: {}",
        expected.len()
    );
    // What arrived, by id: the detection without its id must be the one stored.
    let mut by_id: BTreeMap<String, String> = BTreeMap::new();
    let mut lines_received = 0;
    for body in delivered.lock().unwrap().iter() {
        for line in body.lines().filter(|l| !l.is_empty()) {
            lines_received += 1;
            // `{"id":"<key>",` then the detection as the store and hunt write it.
            let rest = line
                .strip_prefix("{\"id\":\"")
                .expect("every alert starts with its id");
            let (id, rest) = rest.split_once("\",").unwrap();
            let detection = format!("{{{rest}");
            if let Some(previous) = by_id.insert(id.to_string(), detection.clone()) {
                assert_eq!(previous, detection, "id {id} names one detection");
            }
        }
    }
    let arrived = count(&by_id.values().cloned().collect::<Vec<_>>().join("\n"));
    let missing = expected
        .keys()
        .filter(|d| !arrived.contains_key(*d))
        .count();
    let extra_alerts = arrived
        .keys()
        .filter(|d| !expected.contains_key(*d))
        .count();
    assert_eq!(
        (missing, extra_alerts),
        (0, 0),
        "alerts lost / unexpected, e.g. {:?} / {:?}",
        expected.keys().find(|d| !arrived.contains_key(*d)),
        arrived.keys().find(|d| !expected.contains_key(*d))
    );
    assert_eq!(arrived, expected, "each alert once by id");
    let redelivered = lines_received - by_id.len();
    println!(
        "{} alerts, {lines_received} lines delivered, {redelivered} redelivered after {kills} kills",
        by_id.len()
    );
    assert!(
        redelivered <= kills * 1_000,
        "{redelivered} redeliveries for {kills} kills"
    );
}

#[test]
fn a_one_shot_run_equals_hunt_and_malformed_lines_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("security.jsonl");
    let lines = stream(3_000, 3);
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let store = dir.path().join("watch.db");
    let output = vigil()
        .arg("watch")
        .arg(&log)
        .arg("--store")
        .arg(&store)
        .arg("--exit-at-end")
        .output()
        .unwrap();
    assert!(output.status.success());
    let expected = hunted(&log);
    let streamed: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| split_id(line).1)
        .collect();
    assert_eq!(count(&streamed.join("\n")), expected);
    let malformed = lines.iter().filter(|l| l.ends_with("truncated")).count();
    assert!(malformed > 0);
    let log_text = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        log_text.matches("malformed line skipped").count(),
        malformed,
        "{log_text}"
    );
    // Run again: everything was read, nothing new is stored or written.
    let again = vigil()
        .arg("watch")
        .arg(&log)
        .arg("--store")
        .arg(&store)
        .arg("--exit-at-end")
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(again.stdout.is_empty());
    assert_eq!(stored(&store), expected);
}

/// Lines read from standard input in groups are matched on several
/// threads; what comes out — detections, correlations, their order, the
/// malformed lines — is what one thread gives.
#[test]
fn matching_on_several_threads_gives_what_one_thread_gives() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("security.jsonl");
    let lines = stream(6_000, 11);
    let text = lines.join("\n") + "\n";
    std::fs::write(&log, &text).unwrap();
    let run = |threads: &str| {
        let store = dir.path().join(format!("watch-{threads}.db"));
        let mut child = vigil()
            .args(["watch", "--stdin", "--exit-at-end", "--threads", threads])
            .arg("--store")
            .arg(&store)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let sent = text.clone();
        let writer = std::thread::spawn(move || stdin.write_all(sent.as_bytes()).unwrap());
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert!(output.status.success());
        let log = String::from_utf8_lossy(&output.stderr).to_string();
        (String::from_utf8(output.stdout).unwrap(), log)
    };
    let (one, one_log) = run("1");
    let (four, four_log) = run("4");
    assert!(one.lines().count() > 100, "{one_log}");
    assert_eq!(one, four, "the same detections in the same order");
    // Six thousand lines are more groups than standard input's reader has
    // buffers: read into buffers used again, they still give what hunt
    // finds in the file (named `stdin` rather than by the file's path).
    let streamed: Vec<String> = one.lines().map(|line| split_id(line).1).collect();
    let path = log.display().to_string();
    let from_file = hunted(&log).into_iter();
    let expected = from_file.map(|(json, n)| (json.replace(&path, "stdin"), n));
    assert_eq!(count(&streamed.join("\n")), expected.collect());
    let skipped = |log: &str| log.matches("malformed line skipped").count();
    let malformed = lines.iter().filter(|l| l.ends_with("truncated")).count();
    assert_eq!(
        (skipped(&one_log), skipped(&four_log)),
        (malformed, malformed)
    );
    assert!(
        four.contains("Password spraying from one address"),
        "correlations too"
    );
}

/// A free local port (bound, then released for the watcher to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request over a fresh connection: the status and the body.
fn http(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

/// A webhook receiver that refuses the first `refuse` deliveries with 500,
/// then keeps what it is sent.
fn webhook_receiver(refuse: usize) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    webhook_receiver_refusing(move |n| n <= refuse)
}

/// A webhook receiver that refuses the `n`-th delivery (from 1) with 500 when
/// `refuse(n)`, and keeps the bodies of the others.
fn webhook_receiver_refusing(
    refuse: impl Fn(usize) -> bool + Send + 'static,
) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Read};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = received.clone();
    std::thread::spawn(move || {
        let mut seen = 0;
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            seen += 1;
            let mut stream = stream;
            if refuse(seen) {
                let _ = stream.write_all(
                    b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            } else {
                keep.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&body).into_owned());
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        }
    });
    (port, received)
}

fn shadow_copy_event(record: u64, computer: &str) -> String {
    serde_json::json!({"Event": {
        "System": system(4688, record, 10, computer),
        "EventData": {
            "NewProcessName": "C:\\Windows\\System32\\vssadmin.exe",
            "CommandLine": "vssadmin delete shadows /all /quiet",
            "SubjectUserName": "svc",
        },
    }})
    .to_string()
}

#[test]
fn http_and_syslog_inputs_metrics_and_a_failing_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let (http_port, udp_port, tcp_port) = (free_port(), free_port(), free_port());
    let (hook_port, delivered) = webhook_receiver(2);
    let store = dir.path().join("watch.db");
    let mut watcher = vigil()
        .arg("watch")
        .args(["--listen", &http_port.to_string()])
        .args(["--syslog-udp", &udp_port.to_string()])
        .args(["--syslog-tcp", &tcp_port.to_string()])
        .args(["--webhook", &format!("http://127.0.0.1:{hook_port}/alerts")])
        .arg("--store")
        .arg(&store)
        .arg("--no-output")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while http(http_port, "GET", "/health", "").is_none() {
        assert!(started.elapsed() < Duration::from_secs(30), "never ready");
        std::thread::sleep(Duration::from_millis(50));
    }

    // HTTP: an array of two events and an NDJSON body with a bad line.
    let array = format!(
        "[{},{}]",
        shadow_copy_event(1, "FS-01"),
        shadow_copy_event(2, "DB-01")
    );
    let (status, body) = http(http_port, "POST", "/events", &array).unwrap();
    assert_eq!(
        (status, body.as_str()),
        (200, "{\"accepted\":2,\"malformed\":0}")
    );
    let ndjson = format!("{}\nnot json\n", shadow_copy_event(3, "APP-01"));
    let (status, body) = http(http_port, "POST", "/events", &ndjson).unwrap();
    assert_eq!(
        (status, body.as_str()),
        (200, "{\"accepted\":1,\"malformed\":1}")
    );

    // Syslog: ten failed SSH passwords from one address over TCP
    // (octet-counted), ten from another over UDP.
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", tcp_port)).unwrap();
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..10 {
        let message = format!(
            "<38>Mar  1 10:00:{i:02} bastion sshd[4{i}]: Failed password for root from 203.0.113.7 port 5{i}000 ssh2"
        );
        write!(tcp, "{} {message}", message.len()).unwrap();
        let message = format!(
            "<38>Mar  1 10:00:{i:02} bastion sshd[5{i}]: Failed password for admin from 198.51.100.9 port 4{i}000 ssh2"
        );
        udp.send_to(message.as_bytes(), ("127.0.0.1", udp_port))
            .unwrap();
    }
    tcp.flush().unwrap();

    // Every detection reaches the webhook despite two refusals.
    let wanted = |lines: &[String]| {
        let text = lines.concat();
        text.matches("Volume shadow copies deleted").count() >= 3
            && text.contains("203.0.113.7")
            && text.contains("198.51.100.9")
    };
    while !wanted(&delivered.lock().unwrap()) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not delivered: {:?}",
            delivered.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, metrics) = http(http_port, "GET", "/metrics", "").unwrap();
    assert_eq!(status, 200);
    for expected in [
        "vigil_events_in_total{input=\"http\"} 4",
        "vigil_events_in_total{input=\"syslog-tcp\"} 10",
        "vigil_events_in_total{input=\"syslog-udp\"} 10",
        "vigil_malformed_total 1",
        "vigil_webhook_failures_total 2",
    ] {
        assert!(
            metrics.contains(expected),
            "{expected} missing in\n{metrics}"
        );
    }

    // SIGTERM: a clean stop.
    let status = Command::new("kill")
        .args(["-TERM", &watcher.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(watcher.wait().unwrap().success());
    let stored = stored(&store);
    let text: String = stored.keys().cloned().collect();
    assert_eq!(text.matches("SSH password guessing").count(), 2, "{text}");
}

/// Waits until the store holds at least `n` detections.
fn wait_for_detections(store: &Path, n: usize, started: Instant) -> BTreeMap<String, usize> {
    loop {
        if store.exists() {
            let found = std::panic::catch_unwind(|| stored(store)).unwrap_or_default();
            if found.len() >= n {
                return found;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "fewer than {n} detections"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sighup_reloads_the_rules_and_keeps_the_correlation_state() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("security.jsonl");
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let correlation = r#"
title: Failed logon
id: 7d1e0b52-4c1f-4d8e-a7f0-000000000001
name: failed
logsource: { product: windows, service: security }
detection:
    selection: { EventID: 4625 }
    condition: selection
level: low
---
title: Six failures
id: 7d1e0b52-4c1f-4d8e-a7f0-000000000002
correlation:
    type: event_count
    rules: [failed]
    group-by: [TargetUserName]
    timespan: 1h
    condition: { gte: 6 }
level: high
"#;
    std::fs::write(rules.join("failures.yml"), correlation).unwrap();
    let failure = |i: u64| {
        serde_json::json!({"Event": {
            "System": system(4625, i, i, "DC-01"),
            "EventData": {"TargetUserName": "erin", "LogonType": 3},
        }})
        .to_string()
    };
    // Three failures before the reload, three after: the correlation only
    // fires if its state survived the reload.
    let mut file = std::fs::File::create(&log).unwrap();
    for i in 1..=3 {
        writeln!(file, "{}", failure(i)).unwrap();
    }
    file.write_all(shadow_copy_event(4, "FS-01").as_bytes())
        .unwrap();
    file.write_all(b"\n").unwrap();
    let store = dir.path().join("watch.db");
    let mut watcher = vigil()
        .arg("watch")
        .arg(&log)
        .arg("--rules")
        .arg(&rules)
        .arg("--store")
        .arg(&store)
        .arg("--no-output")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    // The shadow-copy event matches no loaded rule yet; wait until the
    // watcher has read the file (its position is stored).
    loop {
        let read = store.exists()
            && rusqlite::Connection::open(&store)
                .and_then(|db| {
                    db.query_row("SELECT offset FROM positions", [], |r| r.get::<_, i64>(0))
                })
                .is_ok_and(|offset| offset > 0);
        if read {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "never read");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Add the shadow-copy rule, reload, and send the rest.
    let builtin = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rules/rules/windows/process_creation/shadow_copy_deletion.yml");
    std::fs::copy(builtin, rules.join("shadow.yml")).unwrap();
    Command::new("kill")
        .args(["-HUP", &watcher.id().to_string()])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    for i in 5..=7 {
        writeln!(file, "{}", failure(i)).unwrap();
    }
    file.write_all(shadow_copy_event(8, "DB-01").as_bytes())
        .unwrap();
    file.write_all(b"\n").unwrap();
    file.flush().unwrap();
    let found = wait_for_detections(&store, 2, started);
    Command::new("kill")
        .args(["-TERM", &watcher.id().to_string()])
        .status()
        .unwrap();
    assert!(watcher.wait().unwrap().success());
    let text: String = found.keys().cloned().collect();
    assert_eq!(text.matches("Six failures").count(), 1, "{text}");
    // Only the event after the reload: the first was read under the old rules.
    assert_eq!(
        text.matches("Volume shadow copies deleted").count(),
        1,
        "{text}"
    );
    assert!(text.contains("DB-01") && !text.contains("\"computer\":\"FS-01\""));
}
