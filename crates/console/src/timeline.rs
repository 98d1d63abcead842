//! The timeline of every stored detection, newest first, filtered and paged
//! by key: each page starts after the (time, seq) of the last row of the one
//! before, so the hundredth page costs what the first does.

use rusqlite::types::Value;
use rusqlite::Connection;
use serde::Serialize;

/// A timeline request: filters, and where the page starts.
#[derive(Debug, Default, Clone)]
pub struct Query {
    /// Event time bounds, in ms since the epoch (inclusive).
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub host: Option<String>,
    pub rule: Option<String>,
    pub level: Option<String>,
    /// An ATT&CK tactic as tagged (`lateral_movement`).
    pub tactic: Option<String>,
    /// Text anywhere in the detection (case-insensitive).
    pub text: Option<String>,
    /// The (time, seq) of the last row already shown.
    pub after: Option<(i64, i64)>,
    pub limit: usize,
}

/// A timeline row: what the table shows of a detection.
#[derive(Debug, Serialize)]
pub struct Row {
    pub seq: i64,
    pub time: Option<String>,
    pub level: String,
    pub rule_id: String,
    pub rule_title: String,
    pub computer: Option<String>,
    pub state: String,
}

#[derive(Debug, Serialize)]
pub struct Page {
    pub rows: Vec<Row>,
    /// The key to ask the next page with, when there may be one: `time_ms.seq`.
    pub next: Option<String>,
}

/// Parses a page key (`time_ms.seq`).
pub fn parse_key(key: &str) -> Option<(i64, i64)> {
    let (time, seq) = key.split_once('.')?;
    Some((time.parse().ok()?, seq.parse().ok()?))
}

/// `LIKE` pattern for text found anywhere: the user's `%`, `_` and `\` are
/// taken literally.
fn contains(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Detections a text or tactic search examines per page at most: such a
/// page may hold fewer rows than asked (even none) and still have a next.
pub const SCAN_WINDOW: i64 = 20_000;

pub fn page(db: &Connection, q: &Query) -> rusqlite::Result<Page> {
    let limit = q.limit.clamp(1, 500);
    // The index of the narrowest filter given, named: left to itself the
    // planner may walk a wide one and test the narrow filter on each row.
    let index = if q.host.is_some() {
        "console_by_host"
    } else if q.rule.is_some() {
        "console_by_rule"
    } else if q.level.is_some() {
        "console_by_level"
    } else {
        "console_by_time"
    };
    // The rows in order from the key, narrowed by the indexed filters.
    let mut window = format!(
        "SELECT d.seq AS seq, ifnull(d.time_ms, 0) AS t FROM detections d INDEXED BY {index} WHERE 1"
    );
    let mut args: Vec<Value> = Vec::new();
    let mut arg = |sql: &mut String, clause: &str, value: Value| {
        args.push(value);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(from) = q.from_ms {
        arg(&mut window, " AND ifnull(d.time_ms, 0) >= ?", from.into());
    }
    if let Some(to) = q.to_ms {
        arg(&mut window, " AND ifnull(d.time_ms, 0) <= ?", to.into());
    }
    if let Some(host) = &q.host {
        arg(&mut window, " AND d.computer = ?", host.clone().into());
    }
    if let Some(rule) = &q.rule {
        arg(&mut window, " AND d.rule_id = ?", rule.clone().into());
    }
    if let Some(level) = &q.level {
        arg(&mut window, " AND d.level = ?", level.clone().into());
    }
    if let Some((time, seq)) = q.after {
        // Written so the index is sought to the key, not scanned down to
        // it: SQLite seeks on a bound of the time, not on a row value.
        args.push(time.into());
        args.push(seq.into());
        let (t, s) = (args.len() - 1, args.len());
        window.push_str(&format!(
            " AND ifnull(d.time_ms, 0) <= ?{t} AND (ifnull(d.time_ms, 0) < ?{t} OR d.seq < ?{s})"
        ));
    }
    window.push_str(" ORDER BY t DESC, seq DESC");
    // Text in the stored JSON is tested on the rows of a bounded window.
    let mut texts = Vec::new();
    if let Some(tactic) = &q.tactic {
        let tag = format!(
            "\"attack.{}\"",
            tactic.trim().to_lowercase().replace(' ', "_")
        );
        texts.push(contains(&tag));
    }
    if let Some(text) = &q.text {
        texts.push(contains(text));
    }
    let searching = !texts.is_empty();
    if searching {
        window.push_str(&format!(" LIMIT {SCAN_WINDOW}"));
    }
    let mut sql = format!(
        "SELECT d.seq, d.time, d.level, d.rule_id, d.rule_title, d.computer, w.t,
                ifnull(tr.state, 'open')
         FROM ({window}) w JOIN detections d ON d.seq = w.seq
         LEFT JOIN console_triage tr ON tr.kind = 'alert' AND tr.subject = CAST(d.seq AS TEXT)
         WHERE 1"
    );
    let mut all = args.clone();
    for text in texts {
        all.push(text.into());
        sql.push_str(&format!(" AND d.json LIKE ?{} ESCAPE '\\'", all.len()));
    }
    all.push((limit as i64 + 1).into());
    sql.push_str(&format!(
        " ORDER BY w.t DESC, w.seq DESC LIMIT ?{}",
        all.len()
    ));
    let mut query = db.prepare_cached(&sql)?;
    let mut keys = Vec::new();
    let mut rows: Vec<Row> = query
        .query_map(rusqlite::params_from_iter(all), |row| {
            Ok((
                Row {
                    seq: row.get(0)?,
                    time: row.get(1)?,
                    level: row.get(2)?,
                    rule_id: row.get(3)?,
                    rule_title: row.get(4)?,
                    computer: row.get(5)?,
                    state: row.get(7)?,
                },
                row.get::<_, i64>(6)?,
            ))
        })?
        .filter_map(Result::ok)
        .map(|(row, time)| {
            keys.push((time, row.seq));
            row
        })
        .collect();
    let next = if rows.len() > limit {
        rows.truncate(limit);
        keys.get(limit - 1).copied()
    } else if searching {
        // Fewer matches than asked: the search goes on after the window,
        // if the window was full.
        let end: (i64, Option<i64>, Option<i64>) = db
            .prepare_cached(&format!(
                "SELECT count(*), (SELECT t FROM ({window}) ORDER BY t, seq LIMIT 1),
                    (SELECT seq FROM ({window}) ORDER BY t, seq LIMIT 1) FROM ({window})"
            ))?
            .query_row(rusqlite::params_from_iter(args), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        match end {
            (n, Some(t), Some(seq)) if n >= SCAN_WINDOW => Some((t, seq)),
            _ => None,
        }
    } else {
        None
    };
    Ok(Page {
        rows,
        next: next.map(|(t, s)| format!("{t}.{s}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(n: i64) -> Connection {
        let db = Connection::open_in_memory().unwrap();
        crate::ledger::prepare(&db).unwrap();
        for i in 0..n {
            db.execute(
                "INSERT INTO detections (key, time, level, rule_id, rule_title, computer, json, time_ms, key_bits)
                 VALUES (?1, 't', ?2, 'r', 'R', ?3, ?4, ?5, ?6)",
                rusqlite::params![
                    format!("k{i}"),
                    if i % 3 == 0 { "high" } else { "low" },
                    format!("WS-{}", i % 4),
                    format!("{{\"details\":{{\"CommandLine\":\"run {i}%\"}}}}"),
                    // Several detections share a millisecond.
                    1_000 + i / 2,
                    i
                ],
            )
            .unwrap();
        }
        db
    }

    #[test]
    fn pages_by_key_cover_every_row_once_newest_first() {
        let db = store(101);
        let mut q = Query {
            limit: 10,
            ..Query::default()
        };
        let mut seen = Vec::new();
        loop {
            let page = page(&db, &q).unwrap();
            seen.extend(page.rows.iter().map(|r| r.seq));
            match page.next.as_deref().and_then(parse_key) {
                Some(key) => q.after = Some(key),
                None => break,
            }
        }
        let expected: Vec<i64> = (1..=101).rev().collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn a_rare_text_is_found_across_scan_windows_page_after_page() {
        let db = store(0);
        db.execute_batch("BEGIN").unwrap();
        let rows = SCAN_WINDOW * 2 + 5_000;
        for i in 0..rows {
            let text = if i % 10_000 == 7 { "needle" } else { "hay" };
            db.execute(
                "INSERT INTO detections (key, level, rule_id, rule_title, json, time_ms, key_bits)
                 VALUES ('k', 'low', 'r', 'R', ?1, ?2, ?3)",
                rusqlite::params![format!("{{\"x\":\"{text}\"}}"), i, i],
            )
            .unwrap();
        }
        db.execute_batch("COMMIT").unwrap();
        let mut q = Query {
            text: Some("NEEDLE".into()),
            limit: 2,
            ..Query::default()
        };
        let mut found = Vec::new();
        let mut pages = 0;
        loop {
            let page = page(&db, &q).unwrap();
            pages += 1;
            found.extend(page.rows.iter().map(|r| r.seq - 1));
            match page.next.as_deref().and_then(parse_key) {
                Some(key) => q.after = Some(key),
                None => break,
            }
        }
        let expected: Vec<i64> = (0..rows).rev().filter(|i| i % 10_000 == 7).collect();
        assert_eq!(found, expected);
        assert!(pages >= 3, "the search went on across windows");
    }

    #[test]
    fn filters_narrow_the_rows_and_text_is_taken_literally() {
        let db = store(40);
        let q = Query {
            host: Some("WS-1".into()),
            level: Some("low".into()),
            limit: 100,
            ..Query::default()
        };
        let rows = page(&db, &q).unwrap().rows;
        assert!(!rows.is_empty());
        assert!(rows
            .iter()
            .all(|r| r.computer.as_deref() == Some("WS-1") && r.level == "low"));
        let q = Query {
            text: Some("run 7%".into()),
            limit: 100,
            ..Query::default()
        };
        let rows = page(&db, &q).unwrap().rows;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].seq, 8);
    }
}
