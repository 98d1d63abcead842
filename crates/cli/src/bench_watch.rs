//! `vigil bench-watch`: how many events per second `vigil watch` sustains,
//! from standard input or over loopback HTTP or HTTPS with a token, and how long an event takes
//! from arrival to stored detection at a given rate.
//!
//! The watcher runs as a child process, as in production, with its store in
//! a temporary folder. The clock starts once it has loaded its rules (its
//! `watching` log line) and stops when it has committed the last event and
//! exited. The latency figures are the watcher's own: from the moment its
//! reader took an event to the commit that stored its detections.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::args::{BenchWatchArgs, Via};

pub fn run(args: &BenchWatchArgs) -> anyhow::Result<ExitCode> {
    let scratch = std::env::temp_dir().join(format!("vigil-bench-watch-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let lines = if args.flood {
        Vec::new()
    } else {
        corpus(args, &scratch)?
    };
    anyhow::ensure!(args.flood || !lines.is_empty(), "no JSON lines to send");
    let result = measure(args, &lines, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    let report = result?;
    print!("{report}");
    if let Some(path) = &args.results {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {}", path.display()))?
            .write_all(report.as_bytes())?;
        eprintln!("appended to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The events to send: the JSON lines of the given files, or of a small
/// simulated estate.
fn corpus(args: &BenchWatchArgs, scratch: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let mut files: Vec<PathBuf> = Vec::new();
    if args.paths.is_empty() {
        let config = vigil_simulate::Config {
            hosts: 12,
            days: 1,
            rate: 400,
            ..vigil_simulate::Config::default()
        };
        vigil_simulate::generate(&config, &scratch.join("estate"))?;
        files.extend(
            std::fs::read_dir(scratch.join("estate/windows"))?
                .flatten()
                .map(|e| e.path()),
        );
    } else {
        for path in &args.paths {
            if path.is_dir() {
                for entry in walk(path) {
                    files.push(entry);
                }
            } else {
                files.push(path.clone());
            }
        }
    }
    files.sort();
    let mut lines = Vec::new();
    for file in files.iter().filter(|f| {
        f.extension()
            .is_some_and(|e| e == "jsonl" || e == "json" || e == "ndjson")
    }) {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        lines.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(String::from),
        );
        if lines.len() >= 200_000 {
            break;
        }
    }
    Ok(lines)
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

fn measure(
    args: &BenchWatchArgs,
    lines: &[String],
    scratch: &std::path::Path,
) -> anyhow::Result<String> {
    let port = match args.via {
        Via::Http | Via::Https => Some(
            std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port(),
        ),
        Via::Stdin => None,
    };
    let mut command = Command::new(std::env::current_exe()?);
    command
        .arg("watch")
        .arg("--store")
        .arg(scratch.join("watch.db"))
        .arg("--no-output")
        .args(["--correlation-groups", &args.correlation_groups.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for rules in &args.rules.rules {
        command.arg("--rules").arg(rules);
    }
    if args.rules.builtin {
        command.arg("--builtin");
    }
    for p in &args.rules.placeholders {
        command.arg("--placeholder").arg(p);
    }
    for l in &args.rules.logsources {
        command.arg("--logsource").arg(l);
    }
    if let Some(threads) = args.threads {
        command.args(["--threads", &threads.to_string()]);
    }
    let credentials = match args.via {
        Via::Https => Some(crate::bench_http::Credentials::make(scratch)?),
        _ => None,
    };
    if let Some(credentials) = &credentials {
        command
            .arg("--tls-cert")
            .arg(&credentials.cert)
            .arg("--tls-key")
            .arg(&credentials.key)
            .arg("--tokens")
            .arg(&credentials.tokens);
    }
    match port {
        Some(port) => {
            // The benchmark is one sender as fast as it can: no rate limit.
            command.args(["--listen", &port.to_string(), "--rate-limit", "0"]);
            command.stdin(Stdio::null());
        }
        None => {
            command.args(["--stdin", "--exit-at-end"]);
            command.stdin(Stdio::piped());
        }
    }
    let mut child = command.spawn().context("cannot start vigil watch")?;
    // The watcher's log: tell when it is ready, keep its last line.
    let stderr = child.stderr.take().context("no stderr")?;
    let (ready_tx, ready) = mpsc::channel();
    let (last_tx, last) = mpsc::channel();
    std::thread::spawn(move || {
        let mut stopped = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("\"msg\":\"watching\"") {
                let _ = ready_tx.send(());
            }
            if line.contains("\"msg\":\"stopped\"") {
                stopped = line;
            }
        }
        let _ = last_tx.send(stopped);
    });
    ready
        .recv_timeout(Duration::from_secs(120))
        .context("the watcher did not start")?;
    if let Some(port) = port {
        // The endpoint comes up with the rules; wait until it answers.
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("the endpoint did not come up");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    let peak = watch_memory(child.id());
    let started = Instant::now();
    match port {
        None if args.flood => {
            let mut stdin = std::io::BufWriter::new(child.stdin.take().context("no stdin")?);
            for i in 0..args.events {
                writeln!(
                    stdin,
                    "{{\"Event\":{{\"System\":{{\"EventID\":4625,\"Channel\":\"Security\",\"Computer\":\"DC-01\",\"EventRecordID\":{i},\"TimeCreated\":{{\"#attributes\":{{\"SystemTime\":\"2026-03-02T10:{:02}:{:02}Z\"}}}}}},\"EventData\":{{\"TargetUserName\":\"user{i}\",\"LogonType\":3,\"IpAddress\":\"10.{}.{}.{}\"}}}}}}",
                    (i / 60_000) % 60,
                    (i / 1_000) % 60,
                    (i >> 16) & 255,
                    (i >> 8) & 255,
                    i & 255
                )?;
            }
            stdin.flush()?;
        }
        None => {
            let mut stdin = child.stdin.take().context("no stdin")?;
            send_paced(args, lines, |chunk| {
                for line in chunk {
                    stdin.write_all(line.as_bytes())?;
                    stdin.write_all(b"\n")?;
                }
                Ok(())
            })?;
            drop(stdin);
        }
        Some(port) => {
            let mut sender = crate::bench_http::Sender::new(port, credentials.as_ref())?;
            send_paced(args, lines, |chunk| sender.post(chunk))?;
        }
    }
    let sent = started.elapsed();
    if port.is_some() {
        // Every request was answered after its commit: all is stored.
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
    }
    let status = child.wait()?;
    let peak_kib = peak.join().unwrap_or(0);
    let elapsed = match port {
        Some(_) => sent,
        None => started.elapsed(),
    };
    anyhow::ensure!(status.success(), "the watcher failed: {status}");
    let stopped = last
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_default();
    let log: serde_json::Value = serde_json::from_str(&stopped).unwrap_or_default();
    let field = |name: &str| log[name].as_str().unwrap_or("-").to_string();

    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n### {} — {} — vigil watch via {}\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        crate::bench::machine(),
        match args.via {
            Via::Stdin => "stdin",
            Via::Http => "loopback HTTP (NDJSON, up to 1,000 events per request, one keep-alive connection)",
            Via::Https =>
                "loopback HTTPS with a bearer token (TLS 1.3, NDJSON, up to 1,000 events per request, one keep-alive connection)",
        }
    );
    let rules: Vec<String> = args
        .rules
        .rules
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let _ = writeln!(
        out,
        "rules: {}; {} events sent{}; matching threads: {}\n",
        if rules.is_empty() {
            "built-in pack".to_string()
        } else {
            format!("`{}`", rules.join(" "))
        },
        args.events,
        if args.rate > 0 {
            format!(" at a target of {} events/s", args.rate)
        } else {
            ", as fast as the watcher takes them".to_string()
        },
        args.threads
            .map_or("one per core (the default)".to_string(), |n| n.to_string()),
    );
    if args.flood {
        let _ = writeln!(
            out,
            "flood: every event a failed logon for a new account from a new address; \
             correlation state capped at {} groups per rule\n",
            args.correlation_groups
        );
    }
    let _ = writeln!(
        out,
        "| events read | detections | seconds | events/s | arrival→stored p50 | p99 | peak memory | groups dropped at the cap |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    let events: f64 = field("events").parse().unwrap_or(0.0);
    let _ = writeln!(
        out,
        "| {} | {} | {:.2} | {:.0} | ≤ {} ms | ≤ {} ms | {:.0} MB | {} |",
        field("events"),
        field("detections"),
        elapsed.as_secs_f64(),
        events / elapsed.as_secs_f64().max(1e-9),
        field("latency_p50_ms"),
        field("latency_p99_ms"),
        peak_kib as f64 / 1024.0,
        field("correlation_evicted"),
    );
    Ok(out)
}

/// Follows the watcher's peak resident memory (VmHWM, KiB) until it exits.
fn watch_memory(pid: u32) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
            {
                peak = kib;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        peak
    })
}

/// Sends `args.events` lines (the corpus over and over) in chunks, at
/// `args.rate` events per second when it is set.
fn send_paced(
    args: &BenchWatchArgs,
    lines: &[String],
    mut send: impl FnMut(&[String]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    // Paced: about a millisecond's worth at a time, as a live source sends.
    let chunk = if args.rate > 0 {
        (args.rate as usize / 1_000).clamp(1, 1_000)
    } else {
        1_000
    };
    let started = Instant::now();
    let mut sent = 0usize;
    let mut at = 0usize;
    while sent < args.events {
        let n = chunk.min(args.events - sent).min(lines.len() - at);
        send(&lines[at..at + n])?;
        sent += n;
        at = (at + n) % lines.len();
        if args.rate > 0 {
            let due = Duration::from_secs_f64(sent as f64 / args.rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    Ok(())
}
