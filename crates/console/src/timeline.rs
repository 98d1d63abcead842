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

pub fn page(db: &Connection, q: &Query) -> rusqlite::Result<Page> {
    let limit = q.limit.clamp(1, 500);
    let mut sql = String::from(
        "SELECT d.seq, d.time, d.level, d.rule_id, d.rule_title, d.computer,
                ifnull(d.time_ms, 0), ifnull(t.state, 'open')
         FROM detections d
         LEFT JOIN console_triage t ON t.kind = 'alert' AND t.subject = CAST(d.seq AS TEXT)
         WHERE 1",
    );
    let mut args: Vec<Value> = Vec::new();
    let mut arg = |sql: &mut String, clause: &str, value: Value| {
        args.push(value);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(from) = q.from_ms {
        arg(&mut sql, " AND ifnull(d.time_ms, 0) >= ?", from.into());
    }
    if let Some(to) = q.to_ms {
        arg(&mut sql, " AND ifnull(d.time_ms, 0) <= ?", to.into());
    }
    if let Some(host) = &q.host {
        arg(&mut sql, " AND d.computer = ?", host.clone().into());
    }
    if let Some(rule) = &q.rule {
        arg(&mut sql, " AND d.rule_id = ?", rule.clone().into());
    }
    if let Some(level) = &q.level {
        arg(&mut sql, " AND d.level = ?", level.clone().into());
    }
    if let Some(tactic) = &q.tactic {
        let tag = format!(
            "\"attack.{}\"",
            tactic.trim().to_lowercase().replace(' ', "_")
        );
        arg(
            &mut sql,
            " AND d.json LIKE ? ESCAPE '\\'",
            contains(&tag).into(),
        );
    }
    if let Some(text) = &q.text {
        arg(
            &mut sql,
            " AND d.json LIKE ? ESCAPE '\\'",
            contains(text).into(),
        );
    }
    if let Some((time, seq)) = q.after {
        args.push(time.into());
        args.push(seq.into());
        sql.push_str(&format!(
            " AND (ifnull(d.time_ms, 0), d.seq) < (?{}, ?{})",
            args.len() - 1,
            args.len()
        ));
    }
    args.push((limit as i64 + 1).into());
    sql.push_str(&format!(
        " ORDER BY ifnull(d.time_ms, 0) DESC, d.seq DESC LIMIT ?{}",
        args.len()
    ));
    let mut query = db.prepare_cached(&sql)?;
    let mut keys = Vec::new();
    let mut rows: Vec<Row> = query
        .query_map(rusqlite::params_from_iter(args), |row| {
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
        keys.get(limit - 1).map(|(t, s)| format!("{t}.{s}"))
    } else {
        None
    };
    Ok(Page { rows, next })
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
