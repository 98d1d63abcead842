//! The Now page's data: open alerts (stored detections nobody closed) by
//! severity, host and rule, and the stream that tells the page as soon as
//! watch stores new ones or someone triages one.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde::Serialize;

use crate::timeline::Row;

/// How often the stream looks at the store: well within the second a new
/// alert may take to show.
const POLL: Duration = Duration::from_millis(200);

#[derive(Serialize)]
pub struct Now {
    /// The newest open alerts, most severe first.
    pub alerts: Vec<Row>,
    pub by_level: Vec<(String, i64)>,
    pub by_host: Vec<(Option<String>, i64)>,
    pub by_rule: Vec<(String, i64)>,
    pub last_seq: i64,
}

/// The newest detections the Now page counts by severity, host and rule.
pub const COUNTED: i64 = 100_000;

const OPEN: &str = "NOT EXISTS (SELECT 1 FROM console_triage t
     WHERE t.kind = 'alert' AND t.subject = CAST(d.seq AS TEXT) AND t.state = 'closed')";

const SEVERITY: &str = "CASE d.level WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3
     WHEN 'low' THEN 2 ELSE 1 END";

pub fn now(db: &Connection, limit: i64) -> rusqlite::Result<Now> {
    let last_seq = last_seq(db)?;
    // The newest alerts (by arrival), then ordered by severity.
    let mut query = db.prepare_cached(&format!(
        "SELECT * FROM (
            SELECT d.seq, d.time, d.level, d.rule_id, d.rule_title, d.computer,
                   ifnull(t.state, 'open') AS state, {SEVERITY} AS severity
            FROM detections d
            LEFT JOIN console_triage t ON t.kind = 'alert' AND t.subject = CAST(d.seq AS TEXT)
            WHERE {OPEN} ORDER BY d.seq DESC LIMIT ?1)
         ORDER BY severity DESC, seq DESC"
    ))?;
    let alerts = query
        .query_map([limit], |row| {
            Ok(Row {
                seq: row.get(0)?,
                time: row.get(1)?,
                level: row.get(2)?,
                rule_id: row.get(3)?,
                rule_title: row.get(4)?,
                computer: row.get(5)?,
                state: row.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    // Counted over the newest detections only, so the page stays quick
    // over a store of millions.
    let count = |column: &str| -> String {
        format!(
            "SELECT {column}, count(*) FROM detections d WHERE d.seq > {} AND {OPEN}
             GROUP BY {column} ORDER BY count(*) DESC LIMIT 50",
            last_seq - COUNTED
        )
    };
    let by_level = db
        .prepare_cached(&count("d.level"))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let by_host = db
        .prepare_cached(&count("d.computer"))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let by_rule = db
        .prepare_cached(&count("d.rule_title"))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(Now {
        alerts,
        by_level,
        by_host,
        by_rule,
        last_seq,
    })
}

pub fn last_seq(db: &Connection) -> rusqlite::Result<i64> {
    db.query_row("SELECT ifnull(max(seq), 0) FROM detections", [], |r| {
        r.get(0)
    })
}

fn last_audit(db: &Connection) -> rusqlite::Result<i64> {
    db.query_row("SELECT ifnull(max(seq), 0) FROM console_audit", [], |r| {
        r.get(0)
    })
}

/// Server-sent events: `stored` with the new alerts' sequence numbers when
/// watch stores any, `triaged` when someone changed an alert or incident,
/// a comment every 15 s to keep the connection alive. Ends when the
/// browser goes away.
pub fn stream(store: PathBuf, out: &mut dyn Write) {
    let Ok(db) = crate::ledger::open(&store) else {
        return;
    };
    let (Ok(mut seq), Ok(mut audit)) = (last_seq(&db), last_audit(&db)) else {
        return;
    };
    let mut quiet = Instant::now();
    if out
        .write_all(b"retry: 1000\n\n")
        .and_then(|()| out.flush())
        .is_err()
    {
        return;
    }
    loop {
        std::thread::sleep(POLL);
        let mut message = String::new();
        if let Ok(latest) = last_seq(&db) {
            if latest > seq {
                message.push_str(&format!(
                    "event: stored\ndata: {{\"from\":{},\"to\":{latest}}}\n\n",
                    seq + 1
                ));
                seq = latest;
            }
        }
        if let Ok(latest) = last_audit(&db) {
            if latest > audit {
                message.push_str(&format!("event: triaged\ndata: {latest}\n\n"));
                audit = latest;
            }
        }
        if message.is_empty() && quiet.elapsed() > Duration::from_secs(15) {
            message.push_str(": still here\n\n");
        }
        if message.is_empty() {
            continue;
        }
        quiet = Instant::now();
        if out
            .write_all(message.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            return;
        }
    }
}
