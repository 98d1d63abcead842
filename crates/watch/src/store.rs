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
use rusqlite::{params, CachedStatement, Connection, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha256};
use vigil_event::Detection;

use crate::follow::Checkpoint;

/// The store's tables, as watch makes them; others that open the store
/// (the console) make them the same way.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS detections (
    seq INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    time TEXT,
    level TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    rule_title TEXT NOT NULL,
    computer TEXT,
    json TEXT NOT NULL,
    time_ms INTEGER,
    key_bits INTEGER NOT NULL
);
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
-- False-positive filters accepted in the console (`vigil serve`): a rule's
-- detections whose host (`Computer`) or detail field has this value are not
-- stored. `sigma` is the same filter as a Sigma filter document; the console
-- bumps meta `filters_version` when the accepted ones change.
CREATE TABLE IF NOT EXISTS filters (
    id INTEGER PRIMARY KEY,
    rule_id TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    sigma TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_at TEXT NOT NULL,
    accepted_by TEXT,
    accepted_at TEXT
);
-- What keeps a detection from being stored twice: its time in milliseconds
-- and its key's first 64 bits. The key alone would do, but keys are hashes:
-- each would land on a page of its own, and a commit would rewrite a page of
-- the index per detection. Events come roughly in time order, so ordered by
-- time first a batch's detections land together; and two integers make an
-- entry a fifth of the time's text and the key's. Two detections whose pair
-- is the same (at the same millisecond, once in 2^64) are told apart by their
-- keys when stored: see `Store::commit`.
CREATE UNIQUE INDEX IF NOT EXISTS detections_once ON detections (ifnull(time_ms, 0), key_bits);
";

pub struct Store {
    db: Connection,
    filters: Filters,
}

/// The accepted false-positive filters, as of `filters_version`.
#[derive(Default)]
struct Filters {
    version: Option<i64>,
    accepted: Vec<(String, String, String)>,
}

impl Filters {
    /// Reloads the filters when the console changed them since the last look.
    fn refresh(&mut self, db: &Connection) -> rusqlite::Result<()> {
        let version: Option<i64> = db
            .query_row(
                "SELECT value FROM meta WHERE name = 'filters_version'",
                [],
                |row| row.get(0),
            )
            .optional()?;
        if version == self.version {
            return Ok(());
        }
        let mut query =
            db.prepare("SELECT rule_id, field, value FROM filters WHERE accepted_at IS NOT NULL")?;
        self.accepted = query
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<Result<_, _>>()?;
        self.version = version;
        Ok(())
    }

    /// Whether an accepted filter suppresses the detection: Sigma compares
    /// strings without regard to case.
    fn suppress(&self, d: &Detection) -> bool {
        self.accepted.iter().any(|(rule, field, value)| {
            *rule == *d.rule_id
                && if field == "Computer" {
                    d.computer
                        .as_deref()
                        .is_some_and(|c| c.eq_ignore_ascii_case(value))
                } else {
                    d.details
                        .iter()
                        .any(|(name, v)| name == field && v.eq_ignore_ascii_case(value))
                }
        })
    }
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
        let mut db = Connection::open(path)
            .with_context(|| format!("cannot open the store {}", path.display()))?;
        // Pages of 8 KiB (a new store's; one made before keeps its own):
        // a commit of a thousand lines' detections writes about the same
        // bytes as in 4 KiB pages, in half the writes.
        db.execute_batch(
            "PRAGMA page_size=8192; PRAGMA journal_mode=WAL;
             PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;",
        )
        .map_err(anyhow::Error::from)
        .and_then(|()| upgrade(&mut db))
        .and_then(|()| Ok(db.execute_batch(SCHEMA)?))
        .with_context(|| format!("{} is not a usable Vigil store", path.display()))?;
        spawn_checkpointer(path)?;
        Ok(Store {
            db,
            filters: Filters::default(),
        })
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
    pub fn commit(&mut self, mut batch: Batch) -> anyhow::Result<Vec<Detection>> {
        if !batch.detections.is_empty() {
            self.filters.refresh(&self.db)?;
            let filters = &self.filters;
            batch.detections.retain(|d| !filters.suppress(d));
        }
        let tx = self.db.transaction()?;
        let mut new = Vec::new();
        {
            let mut once = Once::prepare(&tx)?;
            for d in batch.detections {
                let mut json = Vec::with_capacity(512);
                vigil_timeline::write_json(&d, &mut json)?;
                let time = d.timestamp.map(|t| t.to_rfc3339());
                let (key, bits) = key_and_bits(&d, time.as_deref());
                let row = Row {
                    seq: None,
                    key,
                    time,
                    level: d.level.as_str(),
                    rule_id: &d.rule_id,
                    rule_title: &d.rule_title,
                    computer: d.computer.as_deref(),
                    json: String::from_utf8(json)?,
                    time_ms: d.timestamp.map(|t| t.timestamp_millis()),
                    bits,
                };
                if once.insert(row)? {
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

/// A detection's row.
struct Row<'d> {
    /// Its sequence number, or `None` for the next.
    seq: Option<i64>,
    key: String,
    time: Option<String>,
    level: &'d str,
    rule_id: &'d str,
    rule_title: &'d str,
    computer: Option<&'d str>,
    json: String,
    time_ms: Option<i64>,
    /// The key's first 64 bits, or the next free after them.
    bits: i64,
}

/// Stores a detection's row unless it is stored already.
struct Once<'c> {
    insert: CachedStatement<'c>,
    holder: CachedStatement<'c>,
}

impl<'c> Once<'c> {
    fn prepare(db: &'c Connection) -> rusqlite::Result<Once<'c>> {
        Ok(Once {
            insert: db.prepare_cached(
                "INSERT OR IGNORE INTO detections
                 (seq, key, time, level, rule_id, rule_title, computer, json, time_ms, key_bits)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?,
            holder: db.prepare_cached(
                "SELECT key FROM detections WHERE ifnull(time_ms, 0) = ?1 AND key_bits = ?2",
            )?,
        })
    }

    /// Whether the row was new (and is now stored).
    fn insert(&mut self, mut row: Row<'_>) -> rusqlite::Result<bool> {
        loop {
            let changed = self.insert.execute(params![
                row.seq,
                row.key,
                row.time,
                row.level,
                row.rule_id,
                row.rule_title,
                row.computer,
                row.json,
                row.time_ms,
                row.bits,
            ])?;
            if changed == 1 {
                return Ok(true);
            }
            // Stored already, or another detection has the same bits at the
            // same millisecond: this one then takes the next bits free, and
            // is found there when it comes again.
            let holder: String = self
                .holder
                .query_row(params![row.time_ms.unwrap_or(0), row.bits], |r| r.get(0))?;
            if holder == row.key {
                return Ok(false);
            }
            row.bits = row.bits.wrapping_add(1);
        }
    }
}

/// Brings a store written before detections had `time_ms` and `key_bits`
/// to the present format: its detections are copied, in order and with
/// their sequence numbers, into a table that has them. A new store, or one
/// already in this format, is left as it is.
fn upgrade(db: &mut Connection) -> anyhow::Result<()> {
    // Written to at once, so that a second watcher on the same store waits
    // for the first one's upgrade and then finds nothing to do.
    let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let columns: Vec<String> = tx
        .prepare("SELECT name FROM pragma_table_info('detections')")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    if columns.is_empty() || columns.iter().any(|c| c == "key_bits") {
        return Ok(());
    }
    tx.execute_batch(
        "DROP INDEX IF EXISTS detections_once;
         ALTER TABLE detections RENAME TO detections_before;",
    )?;
    tx.execute_batch(SCHEMA)?;
    {
        let mut once = Once::prepare(&tx)?;
        let mut old = tx.prepare(
            "SELECT seq, key, time, level, rule_id, rule_title, computer, json
             FROM detections_before ORDER BY seq",
        )?;
        let mut rows = old.query([])?;
        while let Some(old) = rows.next()? {
            let seq: i64 = old.get(0)?;
            let key: String = old.get(1)?;
            let time: Option<String> = old.get(2)?;
            let (level, rule_id, rule_title): (String, String, String) =
                (old.get(3)?, old.get(4)?, old.get(5)?);
            let computer: Option<String> = old.get(6)?;
            let bits = key
                .get(..16)
                .and_then(|head| u64::from_str_radix(head, 16).ok())
                .with_context(|| format!("detection {seq}: its key {key:?} is not a hash"))?;
            let time_ms = match &time {
                Some(time) => Some(
                    chrono::DateTime::parse_from_rfc3339(time)
                        .with_context(|| format!("detection {seq}: its time {time:?}"))?
                        .timestamp_millis(),
                ),
                None => None,
            };
            once.insert(Row {
                seq: Some(seq),
                key,
                time,
                level: &level,
                rule_id: &rule_id,
                rule_title: &rule_title,
                computer: computer.as_deref(),
                json: old.get(7)?,
                time_ms,
                bits: bits as i64,
            })?;
        }
    }
    tx.execute_batch("DROP TABLE detections_before")?;
    tx.commit()?;
    Ok(())
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
    key_and_bits(d, d.timestamp.map(|t| t.to_rfc3339()).as_deref()).0
}

/// A detection's key, and its first 64 bits as an integer; `time` is the
/// detection's time in RFC 3339.
fn key_and_bits(d: &Detection, time: Option<&str>) -> (String, i64) {
    let mut hash = Sha256::new();
    for part in [
        &*d.rule_id,
        time.unwrap_or_default(),
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
    let digest = hash.finalize();
    let mut key = String::with_capacity(64);
    for byte in digest {
        key.push(char::from(HEX[usize::from(byte >> 4)]));
        key.push(char::from(HEX[usize::from(byte & 15)]));
    }
    let mut head = [0; 8];
    head.copy_from_slice(&digest[..8]);
    (key, i64::from_be_bytes(head))
}

/// A detection's JSON object as one line with its key first, as `id`.
pub fn with_id(key: &str, json: &str) -> String {
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

    use super::{key, key_and_bits, Batch, Store};

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

    fn batch(detections: Vec<Detection>) -> Batch {
        Batch {
            detections,
            ..Batch::default()
        }
    }

    #[test]
    fn an_accepted_filter_stops_its_rules_detections_on_that_value_from_being_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let mut store = Store::open(&path).unwrap();
        let first = detection();
        assert_eq!(store.commit(batch(vec![first])).unwrap().len(), 1);
        let db = rusqlite::Connection::open(&path).unwrap();
        let propose = |field: &str, value: &str, accepted: bool| {
            db.execute(
                "INSERT INTO filters (rule_id, field, value, sigma, proposed_by, proposed_at, accepted_at)
                 VALUES ('r-1', ?1, ?2, 'title: x', 'analyst', 'now', ?3)",
                rusqlite::params![field, value, accepted.then_some("now")],
            )
            .unwrap();
            db.execute(
                "INSERT INTO meta (name, value) VALUES ('filters_version', 1)
                 ON CONFLICT (name) DO UPDATE SET value = value + 1",
                [],
            )
            .unwrap();
        };
        // Proposed only: nothing changes.
        propose("Computer", "ws-01", false);
        let again = Detection {
            record_id: Some(100),
            ..detection()
        };
        assert_eq!(store.commit(batch(vec![again])).unwrap().len(), 1);
        propose("Computer", "ws-01", true);
        let suppressed = Detection {
            record_id: Some(101),
            ..detection()
        };
        let other_host = Detection {
            record_id: Some(102),
            computer: Some("WS-02".into()),
            ..detection()
        };
        let other_rule = Detection {
            record_id: Some(103),
            rule_id: Arc::from("r-2"),
            ..detection()
        };
        let new = store
            .commit(batch(vec![
                suppressed,
                other_host.clone(),
                other_rule.clone(),
            ]))
            .unwrap();
        assert_eq!(new.len(), 2);
        assert_eq!(key(&new[0]), key(&other_host));
        assert_eq!(key(&new[1]), key(&other_rule));
        // A detail's value, too.
        propose("TargetUserName", "ALICE", true);
        let by_value = Detection {
            record_id: Some(104),
            computer: Some("WS-03".into()),
            ..detection()
        };
        assert!(store.commit(batch(vec![by_value])).unwrap().is_empty());
    }

    #[test]
    fn a_detection_whose_bits_another_holds_at_the_same_millisecond_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let d = detection();
        let time = d.timestamp.map(|t| t.to_rfc3339());
        let (_, bits) = key_and_bits(&d, time.as_deref());
        drop(Store::open(&path).unwrap());
        // Another detection (another key) holding the same bits at the same
        // millisecond, and one holding the next bits too.
        let db = rusqlite::Connection::open(&path).unwrap();
        for (other, bits) in [("other", bits), ("another", bits.wrapping_add(1))] {
            db.execute(
                "INSERT INTO detections (key, time, level, rule_id, rule_title, json, time_ms, key_bits)
                 VALUES (?1, ?2, 'low', 'r-2', 'Other', '{}', ?3, ?4)",
                rusqlite::params![other, time, d.timestamp.unwrap().timestamp_millis(), bits],
            )
            .unwrap();
        }
        drop(db);
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.commit(batch(vec![d.clone()])).unwrap().len(), 1);
        assert_eq!(store.commit(batch(vec![d.clone()])).unwrap().len(), 0);
        let stored = store.keyed_detections_after(0, 100).unwrap();
        let keys: Vec<&str> = stored.iter().map(|(_, key, _)| key.as_str()).collect();
        assert_eq!(keys, ["other", "another", key(&d).as_str()]);
    }

    #[test]
    fn a_store_written_before_the_bits_is_brought_to_them_with_its_detections() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let stored = [
            detection(),
            Detection {
                timestamp: None,
                ..detection()
            },
            Detection {
                record_id: Some(9),
                ..detection()
            },
        ];
        // The detections table and its index as they were.
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch(
            "CREATE TABLE detections (
                seq INTEGER PRIMARY KEY, key TEXT NOT NULL, time TEXT, level TEXT NOT NULL,
                rule_id TEXT NOT NULL, rule_title TEXT NOT NULL, computer TEXT, json TEXT NOT NULL);
             CREATE UNIQUE INDEX detections_once ON detections (coalesce(time, ''), key);",
        )
        .unwrap();
        for (seq, d) in [10, 11, 15].into_iter().zip(&stored) {
            db.execute(
                "INSERT INTO detections VALUES (?1, ?2, ?3, 'low', 'r-1', 'Failed logon', 'WS-01', ?4)",
                rusqlite::params![seq, key(d), d.timestamp.map(|t| t.to_rfc3339()), format!("{{\"n\":{seq}}}")],
            )
            .unwrap();
        }
        drop(db);

        let mut store = Store::open(&path).unwrap();
        let after = store.keyed_detections_after(0, 100).unwrap();
        let expected: Vec<(i64, String, String)> = [10, 11, 15]
            .into_iter()
            .zip(&stored)
            .map(|(seq, d)| (seq, key(d), format!("{{\"n\":{seq}}}")))
            .collect();
        assert_eq!(after, expected);
        let again = store.commit(batch(stored.to_vec())).unwrap();
        assert!(again.is_empty(), "what was stored before is still known");
        let other = Detection {
            record_id: Some(10),
            ..detection()
        };
        let new = store.commit(batch(vec![other.clone()])).unwrap();
        assert_eq!(new.len(), 1);
        let last = store.keyed_detections_after(15, 100).unwrap();
        assert_eq!(last.len(), 1);
        assert_eq!(last[0].0, 16, "sequence numbers go on from the last");
        assert_eq!(last[0].1, key(&other));
        drop(store);
        // Opened again, it is left as it is.
        let store = Store::open(&path).unwrap();
        assert_eq!(store.keyed_detections_after(0, 100).unwrap().len(), 4);
    }
}
