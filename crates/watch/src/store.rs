//! The embedded store: one SQLite file holding the detections, where each
//! input was read to, and the input lines the correlations still need.
//!
//! One transaction per batch writes all three, so after a crash the store is
//! at the end of some batch: the detections written are exactly those of
//! the lines before the recorded positions. A detection is keyed by a hash of
//! what identifies it (rule, time, source, record, details); inserting one
//! already there does nothing, so replaying lines after a restart cannot
//! duplicate it.

use std::path::Path;

use anyhow::Context;
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use vigil_event::Detection;

use crate::follow::Checkpoint;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS detections (
    seq INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    time TEXT,
    level TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    rule_title TEXT NOT NULL,
    computer TEXT,
    json TEXT NOT NULL
);
-- What keeps a detection from being stored twice. Its key alone would do,
-- but keys are hashes: each would land on a page of its own, and a commit
-- would rewrite a page of the index per detection. Events come roughly in
-- time order, so ordered by time first a batch's detections land together.
-- (A key hashes the time, so the pair is unique exactly when the key is.)
CREATE UNIQUE INDEX IF NOT EXISTS detections_once ON detections (coalesce(time, ''), key);
CREATE TABLE IF NOT EXISTS positions (
    input TEXT PRIMARY KEY,
    identity INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    line INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS held (
    seq INTEGER PRIMARY KEY,
    input TEXT NOT NULL,
    line INTEGER NOT NULL,
    time_ms INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS held_by_time ON held (time_ms);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
";

pub struct Store {
    db: Connection,
}

/// A line kept for rebuilding correlation state.
pub struct HeldLine {
    pub input: String,
    pub line: u64,
    pub time_ms: i64,
    pub text: String,
}

/// What one batch adds to the store.
#[derive(Default)]
pub struct Batch {
    pub detections: Vec<Detection>,
    pub positions: Vec<(String, Checkpoint)>,
    pub held: Vec<HeldLine>,
    /// Held lines older than this (event time, ms) are no longer needed.
    pub forget_before_ms: Option<i64>,
}

impl Store {
    pub fn open(path: &Path) -> anyhow::Result<Store> {
        let db = Connection::open(path)
            .with_context(|| format!("cannot open the store {}", path.display()))?;
        db.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;",
        )
        .and_then(|()| db.execute_batch(SCHEMA))
        .with_context(|| format!("{} is not a usable Vigil store", path.display()))?;
        spawn_checkpointer(path)?;
        Ok(Store { db })
    }

    pub fn positions(&self) -> anyhow::Result<Vec<(String, Checkpoint)>> {
        let mut query = self
            .db
            .prepare("SELECT input, identity, offset, line FROM positions")?;
        let rows = query.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                Checkpoint {
                    identity: row.get::<_, i64>(1)? as u64,
                    offset: row.get::<_, i64>(2)? as u64,
                    line: row.get::<_, i64>(3)? as u64,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every held line, oldest first.
    pub fn held(&self) -> anyhow::Result<Vec<HeldLine>> {
        let mut query = self
            .db
            .prepare("SELECT input, line, time_ms, text FROM held ORDER BY seq")?;
        let rows = query.query_map([], |row| {
            Ok(HeldLine {
                input: row.get(0)?,
                line: row.get::<_, i64>(1)? as u64,
                time_ms: row.get(2)?,
                text: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Writes a batch in one transaction; returns the detections that were
    /// new (not already stored).
    pub fn commit(&mut self, batch: Batch) -> anyhow::Result<Vec<Detection>> {
        let tx = self.db.transaction()?;
        let mut new = Vec::new();
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO detections (key, time, level, rule_id, rule_title, computer, json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for d in batch.detections {
                let mut json = Vec::with_capacity(512);
                vigil_timeline::write_json(&d, &mut json)?;
                let json = String::from_utf8(json)?;
                let changed = insert.execute(params![
                    key(&d),
                    d.timestamp.map(|t| t.to_rfc3339()),
                    d.level.as_str(),
                    &*d.rule_id,
                    &*d.rule_title,
                    d.computer,
                    json,
                ])?;
                if changed == 1 {
                    new.push(d);
                }
            }
            let mut hold = tx.prepare_cached(
                "INSERT INTO held (input, line, time_ms, text) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for h in batch.held {
                hold.execute(params![h.input, h.line as i64, h.time_ms, h.text])?;
            }
            if let Some(before) = batch.forget_before_ms {
                tx.execute("DELETE FROM held WHERE time_ms < ?1", [before])?;
            }
            let mut position = tx.prepare_cached(
                "INSERT INTO positions (input, identity, offset, line) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (input) DO UPDATE SET identity = ?2, offset = ?3, line = ?4",
            )?;
            for (input, at) in batch.positions {
                position.execute(params![
                    input,
                    at.identity as i64,
                    at.offset as i64,
                    at.line as i64
                ])?;
            }
        }
        tx.commit()?;
        Ok(new)
    }

    /// Up to `limit` stored detections after `seq`, with their sequence
    /// numbers and keys (the same detection always has the same key).
    pub fn keyed_detections_after(
        &self,
        seq: i64,
        limit: usize,
    ) -> anyhow::Result<Vec<(i64, String, String)>> {
        let mut query = self.db.prepare_cached(
            "SELECT seq, key, json FROM detections WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = query.query_map([seq, limit], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn meta(&self, name: &str) -> anyhow::Result<Option<i64>> {
        Ok(self
            .db
            .query_row("SELECT value FROM meta WHERE name = ?1", [name], |row| {
                row.get(0)
            })
            .optional()?)
    }

    pub fn set_meta(&self, name: &str, value: i64) -> anyhow::Result<()> {
        self.db.execute(
            "INSERT INTO meta (name, value) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET value = ?2",
            params![name, value],
        )?;
        Ok(())
    }
}

/// Copies the write-ahead log into the database once a second, on its own
/// connection and thread, so that commits never wait for it (a checkpoint
/// syncs the disk, which can take tens of milliseconds).
fn spawn_checkpointer(path: &Path) -> anyhow::Result<()> {
    let db = Connection::open(path)
        .with_context(|| format!("cannot open the store {}", path.display()))?;
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
        if db
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .is_err()
        {
            return;
        }
    });
    Ok(())
}

/// What identifies a detection: the same rule on the same record (or the
/// same correlation group and window) gives the same key.
pub fn key(d: &Detection) -> String {
    let mut hash = Sha256::new();
    for part in [
        &*d.rule_id,
        &d.timestamp.map(|t| t.to_rfc3339()).unwrap_or_default(),
        &*d.source,
        &d.record_id.map(|r| r.to_string()).unwrap_or_default(),
    ] {
        hash.update(part.as_bytes());
        hash.update([0x1f]);
    }
    for (name, value) in &d.details {
        hash.update(name.as_bytes());
        hash.update([0x1e]);
        hash.update(value.as_bytes());
        hash.update([0x1f]);
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut key = String::with_capacity(64);
    for byte in hash.finalize() {
        key.push(char::from(HEX[usize::from(byte >> 4)]));
        key.push(char::from(HEX[usize::from(byte & 15)]));
    }
    key
}

/// A detection's JSON object as one line with its key first, as `id`.
pub(crate) fn with_id(key: &str, json: &str) -> String {
    match json.strip_prefix('{') {
        Some(rest) if rest.trim_start().starts_with('}') => format!("{{\"id\":\"{key}\"}}\n"),
        Some(rest) => format!("{{\"id\":\"{key}\",{rest}\n"),
        None => format!("{json}\n"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sha2::{Digest, Sha256};
    use vigil_event::{Detection, Level};

    use super::{key, Batch, Store};

    fn detection() -> Detection {
        Detection {
            timestamp: chrono::DateTime::from_timestamp(1_700_000_000, 0),
            computer: Some("WS-01".into()),
            channel: Some("Security".into()),
            event_id: Some(4625),
            record_id: Some(7),
            rule_id: Arc::from("r-1"),
            rule_title: Arc::from("Failed logon"),
            level: Level::Low,
            tags: Arc::from(vec![]),
            source: Arc::from("stdin"),
            details: vec![("TargetUserName".into(), "alice".into())],
        }
    }

    #[test]
    fn a_key_is_the_hex_sha256_of_what_identifies_the_detection() {
        let detection = detection();
        let identity = "r-1\u{1f}2023-11-14T22:13:20+00:00\u{1f}stdin\u{1f}7\u{1f}TargetUserName\u{1e}alice\u{1f}";
        let expected: String = Sha256::digest(identity.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(key(&detection), expected);
        assert_eq!(expected.len(), 64);
    }

    #[test]
    fn a_detection_is_stored_once_with_or_without_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store")).unwrap();
        let timed = detection();
        let untimed = Detection {
            timestamp: None,
            ..detection()
        };
        let other = Detection {
            record_id: Some(8),
            ..detection()
        };
        let batch = |detections: Vec<Detection>| Batch {
            detections,
            ..Batch::default()
        };
        let new = store
            .commit(batch(vec![timed.clone(), untimed.clone(), timed.clone()]))
            .unwrap();
        assert_eq!(new.len(), 2, "the repeat in one batch is not new");
        let new = store
            .commit(batch(vec![untimed, other.clone(), timed]))
            .unwrap();
        assert_eq!(new.len(), 1, "only the detection not stored before is new");
        assert_eq!(key(&new[0]), key(&other));
        assert_eq!(store.keyed_detections_after(0, 100).unwrap().len(), 3);
    }
}
