//! The correlator's state in SQLite: every correlation input it took in,
//! whether and in which round it was evaluated. Engines are rebuilt after a
//! restart by evaluating the evaluated inputs again, round by round.

use std::path::Path;

use anyhow::Context as _;
use rusqlite::{params, Connection};

use crate::correlator::Projection;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS inputs (
    sequence INTEGER NOT NULL,
    unit INTEGER NOT NULL,
    partition INTEGER NOT NULL,
    time_ns INTEGER NOT NULL,
    source TEXT NOT NULL,
    line INTEGER NOT NULL,
    text TEXT NOT NULL,
    -- The round it was evaluated in; NULL while it waits; 0 once no window
    -- can reach it any more (its text is then dropped).
    round INTEGER,
    PRIMARY KEY (sequence, unit)
);
CREATE INDEX IF NOT EXISTS inputs_waiting ON inputs (partition, round, time_ns);
CREATE TABLE IF NOT EXISTS rounds (partition INTEGER PRIMARY KEY, last INTEGER NOT NULL);
";

pub(crate) struct Ledger {
    db: Connection,
}

/// One kept input, with where it waits.
pub(crate) struct Kept {
    pub partition: u32,
    pub round: i64,
    pub projection: Projection,
}

impl Ledger {
    pub fn open(path: &Path) -> anyhow::Result<Ledger> {
        let db = Connection::open(path)
            .with_context(|| format!("cannot open the correlator state {}", path.display()))?;
        db.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")?;
        db.execute_batch(SCHEMA)
            .with_context(|| format!("{} is not a usable correlator state", path.display()))?;
        Ok(Ledger { db })
    }

    /// Keeps inputs; one seen before (a redelivery) is not kept twice.
    pub fn keep(&mut self, inputs: &[(u32, Projection)]) -> anyhow::Result<()> {
        let tx = self.db.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO inputs (sequence, unit, partition, time_ns, source, line, text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (partition, p) in inputs {
                insert.execute(params![
                    p.sequence as i64,
                    p.unit,
                    partition,
                    p.time_ns,
                    p.source,
                    p.line as i64,
                    p.text
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The latest event time among a partition's inputs from intake
    /// messages up to `sequence`.
    pub fn latest_up_to(&self, partition: u32, sequence: u64) -> anyhow::Result<Option<i64>> {
        Ok(self.db.query_row(
            "SELECT max(time_ns) FROM inputs WHERE partition = ?1 AND sequence <= ?2",
            params![partition, sequence as i64],
            |row| row.get(0),
        )?)
    }

    /// A partition's waiting inputs older than `before` (event time).
    pub fn waiting(&self, partition: u32, before: i64) -> anyhow::Result<Vec<Projection>> {
        let mut query = self.db.prepare_cached(
            "SELECT sequence, unit, time_ns, source, line, text FROM inputs
             WHERE partition = ?1 AND round IS NULL AND time_ns < ?2",
        )?;
        let rows = query.query_map(params![partition, before], |row| {
            Ok(Projection {
                sequence: row.get::<_, i64>(0)? as u64,
                unit: row.get(1)?,
                time_ns: row.get(2)?,
                source: row.get(3)?,
                line: row.get::<_, i64>(4)? as u64,
                text: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn waiting_count(&self) -> anyhow::Result<u64> {
        Ok(self.db.query_row(
            "SELECT count(*) FROM inputs WHERE round IS NULL",
            [],
            |row| row.get::<_, i64>(0),
        )? as u64)
    }

    /// Marks inputs of a partition as evaluated in its next round; forgets
    /// the text of evaluated inputs older than `forget_before` (event time),
    /// which no window can reach any more.
    pub fn evaluated(
        &mut self,
        partition: u32,
        inputs: &[Projection],
        forget_before: i64,
    ) -> anyhow::Result<()> {
        let tx = self.db.transaction()?;
        let round: i64 = tx
            .query_row(
                "SELECT last FROM rounds WHERE partition = ?1",
                [partition],
                |row| row.get(0),
            )
            .unwrap_or(0)
            + 1;
        tx.execute(
            "INSERT INTO rounds (partition, last) VALUES (?1, ?2)
             ON CONFLICT (partition) DO UPDATE SET last = ?2",
            params![partition, round],
        )?;
        {
            let mut mark = tx
                .prepare_cached("UPDATE inputs SET round = ?1 WHERE sequence = ?2 AND unit = ?3")?;
            for p in inputs {
                mark.execute(params![round, p.sequence as i64, p.unit])?;
            }
        }
        // Their keys stay (round 0, text dropped): a copy redelivered
        // later is still recognised and not counted again.
        tx.execute(
            "UPDATE inputs SET round = 0, text = '' WHERE partition = ?1 AND round > 0 AND time_ns < ?2",
            params![partition, forget_before],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every evaluated input of the partitions, by partition and round.
    pub fn evaluated_inputs(&self) -> anyhow::Result<Vec<Kept>> {
        let mut query = self.db.prepare(
            "SELECT partition, round, sequence, unit, time_ns, source, line, text FROM inputs
             WHERE round > 0 ORDER BY partition, round",
        )?;
        let rows = query.query_map([], |row| {
            Ok(Kept {
                partition: row.get(0)?,
                round: row.get(1)?,
                projection: Projection {
                    sequence: row.get::<_, i64>(2)? as u64,
                    unit: row.get(3)?,
                    time_ns: row.get(4)?,
                    source: row.get(5)?,
                    line: row.get::<_, i64>(6)? as u64,
                    text: row.get(7)?,
                },
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
