//! `vigil watch`'s network inputs as an operator exposes them: HTTPS with
//! senders' tokens or client certificates, each sender's name on its
//! events, rate and size limits answered 429 and 413 and counted, a
//! certificate replaced on disk served after `SIGHUP`, syslog over TLS, and
//! no unprotected listener beyond loopback unless asked for.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use vigil_testdata::exchange;
use vigil_testdata::pki::{connect, served_certificate, Issued, Pki};

/// A running watcher, its listeners by name (`http`, `syslog_tcp`).
struct Watcher {
    child: Child,
    listening: Vec<(String, SocketAddr)>,
    log: mpsc::Receiver<String>,
    store: PathBuf,
}

impl Watcher {
    fn start(dir: &Path, flags: &[&str]) -> Watcher {
        let store = dir.join("watch.db");
        let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .arg("watch")
            .arg("--store")
            .arg(&store)
            .arg("--no-output")
            .args(flags)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("vigil watch starts");
        let (lines, log) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let wanted = flags
            .iter()
            .filter(|f| **f == "--listen" || **f == "--syslog-tcp")
            .count();
        let mut listening = Vec::new();
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while listening.len() < wanted {
            let Ok(line) = log.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            else {
                let _ = child.kill();
                panic!("vigil watch never said where it listens: {seen:#?}");
            };
            let record: Value = serde_json::from_str(&line).unwrap_or_default();
            if record["msg"] == "listening" {
                for (key, value) in record.as_object().unwrap() {
                    if let Some(addr) = value.as_str().and_then(|v| v.parse().ok()) {
                        listening.push((key.clone(), addr));
                    }
                }
            }
            seen.push(line);
        }
        Watcher {
            child,
            listening,
            log,
            store,
        }
    }

    fn port(&self, input: &str) -> u16 {
        self.listening
            .iter()
            .find(|(name, _)| name == input)
            .map(|(_, addr)| addr.port())
            .unwrap()
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for a log line whose message is `msg`.
    fn wait_for_log(&self, msg: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let line = self
                .log
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("the watcher never logged {msg:?}"));
            let record: Value = serde_json::from_str(&line).unwrap_or_default();
            if record["msg"] == msg {
                return record;
            }
        }
    }

    /// The sources of the detections stored, one each.
    fn stored_sources(&self) -> std::collections::BTreeSet<String> {
        let db = rusqlite::Connection::open(&self.store).unwrap();
        let mut query = db.prepare("SELECT json FROM detections").unwrap();
        let rows = query.query_map([], |row| row.get::<_, String>(0)).unwrap();
        rows.map(|line| {
            let detection: Value = serde_json::from_str(&line.unwrap()).unwrap();
            detection["source"].as_str().unwrap().to_string()
        })
        .collect()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Windows event the built-in rules detect (shadow copies deleted).
fn attack(record: u64) -> String {
    serde_json::json!({"Event": {
        "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
            "EventID": 4688, "EventRecordID": record, "Channel": "Security",
            "Computer": "FS-01.clinic.local",
            "TimeCreated": {"#attributes": {"SystemTime": "2026-11-20T10:00:00Z"}}
        },
        "EventData": {
            "NewProcessName": "C:\\Windows\\System32\\vssadmin.exe",
            "CommandLine": "vssadmin delete shadows /all /quiet",
            "SubjectUserName": "it-admin"
        }
    }})
    .to_string()
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

const TOKEN: &str = "9c2f7a1e4b8d0c6f3a5e";

/// A watcher on HTTPS whose tokens file names one sender, `clinic-a`; the
/// CA its clients trust, its certificate and the tokens file.
fn https_with_token(dir: &Path) -> (Watcher, Pki, Issued, PathBuf) {
    let pki = Pki::new(dir);
    let server = pki.server("server");
    let tokens = dir.join("tokens");
    std::fs::write(&tokens, format!("clinic-a {TOKEN}\n")).unwrap();
    let flags = [
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        server.cert.to_str().unwrap(),
        "--tls-key",
        server.key.to_str().unwrap(),
        "--tokens",
        tokens.to_str().unwrap(),
    ];
    let watcher = Watcher::start(dir, &flags);
    (watcher, pki, server, tokens)
}

#[test]
fn senders_need_a_known_token_over_tls_and_their_names_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (watcher, pki, _, _) = https_with_token(dir.path());
    let port = watcher.port("http");
    let mut stream = connect(pki.client_config(None), port).unwrap();
    let event = attack(1);

    let (status, headers, _) =
        exchange(&mut stream, "POST", "/events", &[], event.as_bytes()).unwrap();
    assert_eq!(status, 401);
    assert!(headers
        .iter()
        .any(|(n, v)| n == "www-authenticate" && v.starts_with("Bearer")));
    let wrong = "Bearer 0000000000000000000000";
    let (status, _, _) = exchange(
        &mut stream,
        "POST",
        "/events",
        &[("Authorization", wrong)],
        event.as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 401);
    // Without a token the metrics are closed too; health stays open.
    assert_eq!(
        exchange(&mut stream, "GET", "/metrics", &[], b"")
            .unwrap()
            .0,
        401
    );
    assert_eq!(
        exchange(&mut stream, "GET", "/health", &[], b"").unwrap().0,
        200
    );

    let bearer = format!("Bearer {TOKEN}");
    let auth = [("Authorization", bearer.as_str())];
    let (status, _, body) =
        exchange(&mut stream, "POST", "/events", &auth, event.as_bytes()).unwrap();
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"accepted":1,"malformed":0}"#)
    );
    let (_, _, metrics) = exchange(&mut stream, "GET", "/metrics", &auth, b"").unwrap();
    assert_eq!(
        metric(&metrics, "vigil_refused_total{reason=\"auth\"}"),
        3,
        "{metrics}"
    );
    assert_eq!(
        metric(&metrics, "vigil_events_in_total{input=\"http:clinic-a\"}"),
        1,
        "{metrics}"
    );
    assert_eq!(
        watcher.stored_sources(),
        ["http:clinic-a".to_string()].into()
    );

    // Clear text to the TLS port is refused in the handshake.
    let mut plain = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert!(exchange(&mut plain, "GET", "/health", &[], b"").is_err());
}

#[test]
fn client_certificates_name_senders_on_https_and_on_syslog_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let server = pki.server("server");
    let watcher = Watcher::start(
        dir.path(),
        &[
            "--listen",
            "127.0.0.1:0",
            "--syslog-tcp",
            "127.0.0.1:0",
            "--tls-cert",
            server.cert.to_str().unwrap(),
            "--tls-key",
            server.key.to_str().unwrap(),
            "--tls-client-ca",
            pki.ca().to_str().unwrap(),
        ],
    );
    let http = watcher.port("http");
    let syslog = watcher.port("syslog_tcp");

    // No certificate: the handshake fails, on both inputs.
    let refused = connect(pki.client_config(None), http)
        .and_then(|mut s| exchange(&mut s, "GET", "/health", &[], b""));
    assert!(refused.is_err(), "{refused:?}");

    let clinic = pki.client("clinic-b");
    let mut stream = connect(pki.client_config(Some(&clinic)), http).unwrap();
    let (status, _, _) =
        exchange(&mut stream, "POST", "/events", &[], attack(2).as_bytes()).unwrap();
    assert_eq!(status, 200);

    // Syslog over TLS (RFC 5425): octet-counted frames.
    let relay = pki.client("relay-1");
    let mut stream = connect(pki.client_config(Some(&relay)), syslog).unwrap();
    for text in [
        "<86>1 2026-11-20T10:00:01Z FS-01 sshd 411 - - Accepted password for root from 203.0.113.9 port 51515 ssh2",
        "<86>1 2026-11-20T10:00:02Z FS-01 sshd 412 - - Failed password for admin from 203.0.113.9 port 51516 ssh2",
    ] {
        write!(stream, "{} {text}", text.len()).unwrap();
    }
    stream.flush().unwrap();
    let mut metrics = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(
        &metrics,
        "vigil_events_in_total{input=\"syslog-tcp:relay-1\"}",
    ) < 2
    {
        assert!(Instant::now() < deadline, "{metrics}");
        std::thread::sleep(Duration::from_millis(50));
        let mut s = connect(pki.client_config(Some(&clinic)), http).unwrap();
        metrics = exchange(&mut s, "GET", "/metrics", &[], b"").unwrap().2;
    }
    assert_eq!(
        metric(&metrics, "vigil_events_in_total{input=\"http:clinic-b\"}"),
        1
    );
    assert!(
        metric(&metrics, "vigil_refused_total{reason=\"tls\"}") >= 1,
        "{metrics}"
    );
    assert!(watcher.stored_sources().contains("http:clinic-b"));

    // A syslog client without a certificate is refused.
    let refused = connect(pki.client_config(None), syslog).and_then(|mut s| {
        s.write_all(b"5 hello")?;
        s.flush()?;
        let mut byte = [0u8; 1];
        match s.read(&mut byte)? {
            0 => Err(std::io::ErrorKind::UnexpectedEof.into()),
            _ => Ok(()),
        }
    });
    assert!(refused.is_err(), "{refused:?}");
}

#[test]
fn a_certificate_replaced_on_disk_is_served_after_sighup_without_dropping_connections() {
    let dir = tempfile::tempdir().unwrap();
    let (watcher, pki, server, tokens) = https_with_token(dir.path());
    let port = watcher.port("http");
    let bearer = format!("Bearer {TOKEN}");
    let auth = [("Authorization", bearer.as_str())];
    let mut open = connect(pki.client_config(None), port).unwrap();
    let before = served_certificate(&open);
    assert_eq!(
        exchange(&mut open, "POST", "/events", &auth, attack(3).as_bytes())
            .unwrap()
            .0,
        200
    );

    let renewed = pki.server("renewed");
    std::fs::copy(&renewed.cert, &server.cert).unwrap();
    std::fs::copy(&renewed.key, &server.key).unwrap();
    // The tokens file changes too: the new sender is accepted after the reload.
    std::fs::write(
        &tokens,
        format!("clinic-a {TOKEN}\nclinic-z 77778888999900001111\n"),
    )
    .unwrap();
    watcher.signal("-HUP");
    watcher.wait_for_log("TLS certificate reloaded");
    watcher.wait_for_log("tokens reloaded");

    // A new client configuration, so that the first session is not resumed.
    let mut fresh = connect(pki.client_config(None), port).unwrap();
    assert_ne!(served_certificate(&fresh), before);
    let z = [("Authorization", "Bearer 77778888999900001111")];
    assert_eq!(
        exchange(&mut fresh, "POST", "/events", &z, attack(4).as_bytes())
            .unwrap()
            .0,
        200
    );
    // The connection opened before the reload goes on.
    assert_eq!(
        exchange(&mut open, "POST", "/events", &auth, attack(5).as_bytes())
            .unwrap()
            .0,
        200
    );
    assert_eq!(
        watcher.stored_sources(),
        ["http:clinic-a".to_string(), "http:clinic-z".to_string()].into()
    );
}

#[test]
fn over_rate_and_over_size_requests_are_refused_counted_and_nothing_accepted_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let watcher = Watcher::start(
        dir.path(),
        &["--listen", "127.0.0.1:0", "--rate-limit", "2"],
    );
    let port = watcher.port("http");
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut accepted = 0;
    let mut limited = 0;
    for record in 1..=12 {
        let (status, headers, _) = exchange(
            &mut stream,
            "POST",
            "/events",
            &[],
            attack(record).as_bytes(),
        )
        .unwrap();
        match status {
            200 => accepted += 1,
            429 => {
                limited += 1;
                assert!(headers.iter().any(|(n, _)| n == "retry-after"));
            }
            other => panic!("answered {other}"),
        }
    }
    // A burst of twice the rate, then about two a second.
    assert!((4..=6).contains(&accepted), "{accepted} accepted");
    assert_eq!(accepted + limited, 12);

    std::thread::sleep(Duration::from_millis(1100));
    let too_many = format!("[{}1]", "1,".repeat(100_000));
    let (status, _, body) =
        exchange(&mut stream, "POST", "/events", &[], too_many.as_bytes()).unwrap();
    assert_eq!(status, 413, "{body}");
    // A body over 64 MiB is refused from its Content-Length, before it is read.
    let mut raw = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        raw,
        "POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        65 << 20
    )
    .unwrap();
    let mut answer = String::new();
    BufReader::new(&raw).read_line(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    std::thread::sleep(Duration::from_millis(1100));
    let (_, _, metrics) = exchange(&mut stream, "GET", "/metrics", &[], b"").unwrap();
    assert_eq!(
        metric(&metrics, "vigil_refused_total{reason=\"rate\"}"),
        limited,
        "{metrics}"
    );
    assert_eq!(
        metric(&metrics, "vigil_refused_total{reason=\"events\"}"),
        1,
        "{metrics}"
    );
    assert_eq!(
        metric(&metrics, "vigil_refused_total{reason=\"size\"}"),
        1,
        "{metrics}"
    );
    // Every accepted event was stored, and only those.
    assert_eq!(
        metric(&metrics, "vigil_events_in_total{input=\"http\"}"),
        accepted,
        "{metrics}"
    );
    assert_eq!(
        metric(&metrics, "vigil_detections_total"),
        accepted,
        "{metrics}"
    );
}

#[test]
fn unprotected_inputs_beyond_loopback_are_refused_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let run = |flags: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_vigil"))
            .arg("watch")
            .arg("--store")
            .arg(dir.path().join("w.db"))
            .args(["--no-output", "--exit-at-end"])
            .args(flags)
            .output()
            .unwrap()
    };
    for flags in [
        &["--listen", "0.0.0.0:0"][..],
        &["--syslog-udp", "0.0.0.0:0"][..],
        &["--syslog-tcp", "0.0.0.0:0"][..],
    ] {
        let output = run(flags);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{flags:?}");
        assert!(
            stderr.contains("refusing to listen") && stderr.contains("--insecure-listen"),
            "{flags:?}: {stderr}"
        );
    }
    // Tokens without TLS would cross the network in clear: refused too.
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, format!("a {TOKEN}\n")).unwrap();
    let output = run(&[
        "--listen",
        "0.0.0.0:0",
        "--tokens",
        tokens.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("not encrypted"));

    // Asked for, or protected, it listens.
    let pki = Pki::new(dir.path());
    let server = pki.server("server");
    for flags in [
        vec!["--listen", "0.0.0.0:0", "--insecure-listen"],
        vec![
            "--listen",
            "0.0.0.0:0",
            "--tls-cert",
            server.cert.to_str().unwrap(),
            "--tls-key",
            server.key.to_str().unwrap(),
            "--tokens",
            tokens.to_str().unwrap(),
        ],
    ] {
        let sub = tempfile::tempdir().unwrap();
        let watcher = Watcher::start(sub.path(), &flags);
        assert!(watcher.port("http") > 0);
        watcher.signal("-TERM");
    }
}
