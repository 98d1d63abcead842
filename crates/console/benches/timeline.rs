//! Timeline paging over a store of a million detections: the first page
//! and the pages after it, each asked by key, unfiltered and filtered by
//! host, rule, level and time. `cargo bench -p vigil-console --bench timeline`
//! (VIGIL_BENCH_ROWS to change the size); figures in bench/CONSOLE.md.

use std::time::Instant;

use rusqlite::params;
use vigil_console::timeline::{page, parse_key, Query};

fn main() {
    let rows: i64 = std::env::var("VIGIL_BENCH_ROWS")
        .ok()
        .and_then(|n| n.parse().ok())
        // `cargo bench` passes `--bench`; run as a test (`cargo test
        // --all-targets`) it is a quick check on a small store.
        .unwrap_or(if std::env::args().any(|a| a == "--bench") {
            1_000_000
        } else {
            20_000
        });
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("bench.db");
    let db = vigil_console::open_store(&path).expect("the store opens");
    let started = Instant::now();
    fill(&db, rows);
    let filled = started.elapsed();
    let started = Instant::now();
    vigil_console::prepare_store(&db).expect("the console's tables and indexes");
    println!(
        "store: {rows} detections written in {:.1} s; console indexes built in {:.1} s; {} MB",
        filled.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&path)
            .map(|m| m.len() / 1_000_000)
            .unwrap_or(0)
    );
    let cases: Vec<(&str, Query)> = vec![
        ("no filter", Query::default()),
        (
            "host",
            Query {
                host: Some("WS-017".into()),
                ..Query::default()
            },
        ),
        (
            "rule",
            Query {
                rule: Some("rule-07".into()),
                ..Query::default()
            },
        ),
        (
            "level high",
            Query {
                level: Some("high".into()),
                ..Query::default()
            },
        ),
        (
            "time range (a day)",
            Query {
                from_ms: Some(BASE_MS + 86_400_000 * 3),
                to_ms: Some(BASE_MS + 86_400_000 * 4),
                ..Query::default()
            },
        ),
        (
            "host + level",
            Query {
                host: Some("WS-017".into()),
                level: Some("high".into()),
                ..Query::default()
            },
        ),
        (
            "tactic",
            Query {
                tactic: Some("execution".into()),
                ..Query::default()
            },
        ),
        (
            "text (1 in 500)",
            Query {
                text: Some("user123\"".into()),
                ..Query::default()
            },
        ),
    ];
    println!("| filter | first page (ms) | next pages: median (ms) | next pages: max (ms) | pages | a page mid-store (ms) |");
    println!("|---|---|---|---|---|---|");
    for (name, mut q) in cases {
        q.limit = 100;
        let started = Instant::now();
        let first = page(&db, &q).expect("a page");
        let first_ms = started.elapsed().as_secs_f64() * 1e3;
        let mut times = Vec::new();
        let mut next = first.next.clone();
        // Fifty pages on, then a jump deep into the store by key.
        while let Some(key) = next.take() {
            if times.len() >= 50 {
                break;
            }
            q.after = parse_key(&key);
            let started = Instant::now();
            let p = page(&db, &q).expect("a page");
            times.push(started.elapsed().as_secs_f64() * 1e3);
            next = p.next;
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let median = times.get(times.len() / 2).copied().unwrap_or(0.0);
        let max = times.last().copied().unwrap_or(0.0);
        // A key in the middle of the week, as if paged there.
        q.after = Some((BASE_MS + 86_400_000 * 7 / 2, i64::MAX));
        let started = Instant::now();
        let middle = page(&db, &q).expect("a page");
        let middle_ms = started.elapsed().as_secs_f64() * 1e3;
        assert!(!middle.rows.is_empty(), "{name}: rows in the middle");
        println!(
            "| {name} | {first_ms:.2} | {median:.2} | {max:.2} | {} | {middle_ms:.2} |",
            times.len() + 1
        );
    }
    // Deep in the store: a page that starts at the oldest tenth.
    let q = Query {
        after: Some((BASE_MS + 86_400_000, i64::MAX)),
        limit: 100,
        ..Query::default()
    };
    let started = Instant::now();
    let deep = page(&db, &q).expect("a page");
    println!(
        "deep page (after the first day): {} rows in {:.2} ms",
        deep.rows.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
}

const BASE_MS: i64 = 1_767_225_600_000; // 2026-01-01

/// Detections as watch stores them: roughly in time order, 60 hosts, 40
/// rules, four levels, a JSON body of the usual size.
fn fill(db: &rusqlite::Connection, rows: i64) {
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS detections (
            seq INTEGER PRIMARY KEY, key TEXT NOT NULL, time TEXT, level TEXT NOT NULL,
            rule_id TEXT NOT NULL, rule_title TEXT NOT NULL, computer TEXT, json TEXT NOT NULL,
            time_ms INTEGER, key_bits INTEGER NOT NULL);
         CREATE UNIQUE INDEX IF NOT EXISTS detections_once ON detections (ifnull(time_ms, 0), key_bits);",
    )
    .expect("the detections table");
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    db.execute_batch("BEGIN").unwrap();
    {
        let mut insert = db
            .prepare(
                "INSERT INTO detections (key, time, level, rule_id, rule_title, computer, json, time_ms, key_bits)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .unwrap();
        let levels = ["low", "medium", "high", "critical"];
        for i in 0..rows {
            let r = random();
            // A week of detections, about evenly spread.
            let time_ms = BASE_MS + i * (7 * 86_400_000 / rows.max(1)) + (r % 1000) as i64;
            let host = format!("WS-{:03}", r % 60);
            let rule = (r >> 8) % 40;
            let level = levels[((r >> 16) % 4) as usize];
            let time = chrono::DateTime::from_timestamp_millis(time_ms)
                .unwrap()
                .to_rfc3339();
            let json = format!(
                "{{\"timestamp\":\"{time}\",\"computer\":\"{host}\",\"channel\":\"Security\",\"event_id\":4688,\
                 \"record_id\":{i},\"rule_title\":\"Rule {rule}\",\"level\":\"{level}\",\"rule_id\":\"rule-{rule:02}\",\
                 \"tags\":[\"attack.execution\"],\"details\":{{\"CommandLine\":\"cmd.exe /c whoami {r}\",\
                 \"User\":\"CLINIC\\\\user{}\"}},\"source\":\"/var/log/vigil/windows.jsonl\"}}",
                r % 500
            );
            insert
                .execute(params![
                    format!("{r:016x}{i:016x}"),
                    time,
                    level,
                    format!("rule-{rule:02}"),
                    format!("Rule {rule}"),
                    host,
                    json,
                    time_ms,
                    r as i64
                ])
                .unwrap();
            if i % 100_000 == 99_999 {
                db.execute_batch("COMMIT; BEGIN").unwrap();
            }
        }
    }
    db.execute_batch("COMMIT").unwrap();
}
