//! The console's side of the watch store: the connection settings that let
//! `vigil watch` keep writing, the console's own tables (access, triage,
//! comments, audit) and the indexes its queries need.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use rusqlite::{params, Connection, OptionalExtension};

/// The console's tables. Watch's own tables (detections, positions, held,
/// meta, filters) are made with watch's own definition
/// ([`vigil_watch::STORE_SCHEMA`]) when the console starts before the first
/// watch, so that both always agree on them.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS console_access (
    name TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    created TEXT NOT NULL
);
-- The state of an alert (subject: the detection's seq) or an incident
-- (subject: its id); no row means open.
CREATE TABLE IF NOT EXISTS console_triage (
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    state TEXT NOT NULL,
    assignee TEXT,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, subject)
);
CREATE TABLE IF NOT EXISTS console_comments (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS console_comments_of ON console_comments (kind, subject);
-- Who did what and when: every change the console makes.
CREATE TABLE IF NOT EXISTS console_audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    kind TEXT,
    subject TEXT,
    detail TEXT
);
-- Timeline paging walks these in (time, seq) order from a key, never by
-- OFFSET; one per filter that narrows it most often.
CREATE INDEX IF NOT EXISTS console_by_time ON detections (ifnull(time_ms, 0), seq);
CREATE INDEX IF NOT EXISTS console_by_host ON detections (computer, ifnull(time_ms, 0), seq);
CREATE INDEX IF NOT EXISTS console_by_rule ON detections (rule_id, ifnull(time_ms, 0), seq);
CREATE INDEX IF NOT EXISTS console_by_level ON detections (level, ifnull(time_ms, 0), seq);
";

/// Opens the store for the console: WAL so that readers never block the
/// watcher, and a busy timeout so the console's own writes wait for a
/// watcher's commit instead of failing.
pub fn open(path: &Path) -> anyhow::Result<Connection> {
    let db = Connection::open(path)
        .with_context(|| format!("cannot open the store {}", path.display()))?;
    db.busy_timeout(Duration::from_secs(10))?;
    db.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        .with_context(|| format!("{} is not a usable Vigil store", path.display()))?;
    Ok(db)
}

/// Creates the console's tables and indexes (once; building the indexes
/// over a large store takes a few seconds the first time).
pub fn prepare(db: &Connection) -> anyhow::Result<()> {
    db.execute_batch(vigil_watch::STORE_SCHEMA)
        .context("cannot create the watch store's tables")?;
    db.execute_batch(SCHEMA)
        .context("cannot create the console's tables in the store")
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Records a change in the audit table.
pub fn audit(
    db: &Connection,
    who: &str,
    action: &str,
    subject: Option<(&str, &str)>,
    detail: &str,
) -> rusqlite::Result<()> {
    db.execute(
        "INSERT INTO console_audit (at, who, action, kind, subject, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            now(),
            who,
            action,
            subject.map(|s| s.0),
            subject.map(|s| s.1),
            detail
        ],
    )?;
    Ok(())
}

/// What can be triaged.
pub const KINDS: &[&str] = &["alert", "incident"];

/// A triage action on an alert or incident, recorded with who and when.
pub fn triage(
    db: &mut Connection,
    who: &str,
    kind: &str,
    subject: &str,
    action: &str,
    value: &str,
) -> anyhow::Result<()> {
    anyhow::ensure!(KINDS.contains(&kind), "unknown kind {kind:?}");
    // Immediate: a read that turned into a write would fail at once
    // (SQLITE_BUSY_SNAPSHOT) whenever watch committed in between.
    let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let current: Option<(String, Option<String>)> = tx
        .query_row(
            "SELECT state, assignee FROM console_triage WHERE kind = ?1 AND subject = ?2",
            params![kind, subject],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let (mut state, mut assignee) = current.unwrap_or_else(|| ("open".into(), None));
    match action {
        "acknowledge" => state = "acknowledged".into(),
        "close" => state = "closed".into(),
        "reopen" => state = "open".into(),
        "assign" => assignee = Some(value.trim().to_string()).filter(|a| !a.is_empty()),
        "comment" => {
            anyhow::ensure!(!value.trim().is_empty(), "an empty comment");
            tx.execute(
                "INSERT INTO console_comments (kind, subject, who, at, text) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![kind, subject, who, now(), value],
            )?;
        }
        other => anyhow::bail!("unknown action {other:?}"),
    }
    tx.execute(
        "INSERT INTO console_triage (kind, subject, state, assignee, updated_by, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (kind, subject) DO UPDATE SET state = ?3, assignee = ?4, updated_by = ?5, updated_at = ?6",
        params![kind, subject, state, assignee, who, now()],
    )?;
    audit(&tx, who, action, Some((kind, subject)), value)?;
    tx.commit()?;
    Ok(())
}

/// An alert's or incident's triage state, assignee and comments.
#[derive(serde::Serialize, Default)]
pub struct Triage {
    pub state: String,
    pub assignee: Option<String>,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
    pub comments: Vec<Comment>,
}

#[derive(serde::Serialize)]
pub struct Comment {
    pub who: String,
    pub at: String,
    pub text: String,
}

pub fn triage_of(db: &Connection, kind: &str, subject: &str) -> rusqlite::Result<Triage> {
    let mut triage = db
        .query_row(
            "SELECT state, assignee, updated_by, updated_at FROM console_triage
             WHERE kind = ?1 AND subject = ?2",
            params![kind, subject],
            |row| {
                Ok(Triage {
                    state: row.get(0)?,
                    assignee: row.get(1)?,
                    updated_by: row.get(2)?,
                    updated_at: row.get(3)?,
                    comments: Vec::new(),
                })
            },
        )
        .optional()?
        .unwrap_or_else(|| Triage {
            state: "open".into(),
            ..Triage::default()
        });
    let mut query = db.prepare_cached(
        "SELECT who, at, text FROM console_comments WHERE kind = ?1 AND subject = ?2 ORDER BY seq",
    )?;
    triage.comments = query
        .query_map(params![kind, subject], |row| {
            Ok(Comment {
                who: row.get(0)?,
                at: row.get(1)?,
                text: row.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(triage)
}

/// The last audit entries, newest first.
pub fn audit_log(db: &Connection, limit: i64) -> rusqlite::Result<Vec<serde_json::Value>> {
    let mut query = db.prepare_cached(
        "SELECT at, who, action, kind, subject, detail FROM console_audit ORDER BY seq DESC LIMIT ?1",
    )?;
    let rows = query.query_map([limit], |row| {
        Ok(serde_json::json!({
            "at": row.get::<_, String>(0)?,
            "who": row.get::<_, String>(1)?,
            "action": row.get::<_, String>(2)?,
            "kind": row.get::<_, Option<String>>(3)?,
            "subject": row.get::<_, Option<String>>(4)?,
            "detail": row.get::<_, Option<String>>(5)?,
        }))
    })?;
    rows.collect()
}
