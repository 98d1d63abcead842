//! A timeline larger than memory.
//!
//! Detections are rendered to their output lines as they arrive (on the
//! threads that found them), held up to a memory budget, and written as
//! sorted runs to unnamed temporary files whenever the budget is reached.
//! [`TimelineSorter::finish`] merges the runs with what is still held. Peak
//! memory is the budget, whatever the size of the input; the output is the
//! same as sorting everything in memory.
//!
//! ```
//! use std::sync::Arc;
//! use vigil_event::{Detection, Level};
//! use vigil_timeline::{Entry, TimelineFormat, TimelineSorter};
//!
//! let detection = |record: u64| Detection {
//!     timestamp: None,
//!     computer: Some("WS-01".into()),
//!     channel: Some("Security".into()),
//!     event_id: Some(4625),
//!     record_id: Some(record),
//!     rule_id: Arc::from("r-1"),
//!     rule_title: Arc::from("Failed logon"),
//!     level: Level::Low,
//!     tags: Arc::from(vec![]),
//!     source: Arc::from("Security.evtx"),
//!     details: vec![],
//! };
//! // A budget of one byte: every batch becomes a run on disk.
//! let sorter = TimelineSorter::new(TimelineFormat::Jsonl, 1, std::env::temp_dir());
//! for record in [3, 1, 2] {
//!     let entry = Entry::render(&detection(record), TimelineFormat::Jsonl, (0, record)).unwrap();
//!     sorter.add(vec![entry]).unwrap();
//! }
//! let mut out = Vec::new();
//! let written = sorter.finish(&mut out).unwrap();
//! assert_eq!((written.detections, written.runs), (3, 3));
//! let records: Vec<_> = String::from_utf8(out).unwrap().lines()
//!     .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["record_id"].clone())
//!     .collect();
//! assert_eq!(records, [1, 2, 3]);
//! ```

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use vigil_event::Detection;

use crate::spill::{self, ExternalSort, Spill};
use crate::{render, TimelineError, TimelineFormat};

/// Bytes an entry costs beyond its strings and line (the key, the vector
/// slot, allocator headers).
const ENTRY_OVERHEAD: usize = 160;

/// The timeline's order: event time (undated last), host, input file,
/// record, rule title, rule id; then where the detection was found, so that
/// the order never depends on threads or on how the runs fell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SortKey {
    undated: bool,
    time: Option<(i64, u32)>,
    computer: Option<Arc<str>>,
    source: Arc<str>,
    record_id: Option<u64>,
    rule_title: Arc<str>,
    rule_id: Arc<str>,
    found: (u32, u64),
}

/// One detection, rendered, with its place in the timeline.
#[derive(Debug)]
pub struct Entry {
    key: SortKey,
    line: Box<[u8]>,
}

impl Entry {
    /// Renders `detection` as a line of `format`. `found` says where it was
    /// found — (input file, position among that file's detections) — and
    /// orders detections that are otherwise equal.
    pub fn render(
        detection: &Detection,
        format: TimelineFormat,
        found: (u32, u64),
    ) -> Result<Entry, TimelineError> {
        let mut line = Vec::with_capacity(256);
        render(detection, format, &mut line)?;
        Ok(Entry {
            key: SortKey {
                undated: detection.timestamp.is_none(),
                time: spill::time_key(detection.timestamp),
                computer: detection.computer.as_deref().map(Arc::from),
                source: detection.source.clone(),
                record_id: detection.record_id,
                rule_title: detection.rule_title.clone(),
                rule_id: detection.rule_id.clone(),
                found,
            },
            // Exactly as long as the line: held entries are what the
            // budget counts.
            line: line.into_boxed_slice(),
        })
    }
}

// An entry on disk: flags (dated, computer, record), the time (i64 seconds,
// u32 nanoseconds), the key's strings and numbers, the line.
const DATED: u8 = 1;
const COMPUTER: u8 = 2;
const RECORD: u8 = 4;

impl Spill for Entry {
    type Key = SortKey;

    fn key(&self) -> &SortKey {
        &self.key
    }

    fn cost(&self) -> usize {
        ENTRY_OVERHEAD + self.line.len() + self.key.computer.as_ref().map_or(0, |c| c.len())
    }

    fn encode(&self, out: &mut dyn Write) -> io::Result<()> {
        let key = &self.key;
        let flags = if key.time.is_some() { DATED } else { 0 }
            | if key.computer.is_some() { COMPUTER } else { 0 }
            | if key.record_id.is_some() { RECORD } else { 0 };
        out.write_all(&[flags])?;
        if let Some(time) = key.time {
            spill::write_time(out, time)?;
        }
        if let Some(computer) = &key.computer {
            spill::write_bytes(out, computer.as_bytes())?;
        }
        spill::write_bytes(out, key.source.as_bytes())?;
        if let Some(record) = key.record_id {
            out.write_all(&record.to_le_bytes())?;
        }
        spill::write_bytes(out, key.rule_title.as_bytes())?;
        spill::write_bytes(out, key.rule_id.as_bytes())?;
        out.write_all(&key.found.0.to_le_bytes())?;
        out.write_all(&key.found.1.to_le_bytes())?;
        spill::write_bytes(out, &self.line)
    }

    fn decode(input: &mut dyn Read) -> io::Result<Option<Entry>> {
        let Some(flags) = spill::read_tag(input)? else {
            return Ok(None);
        };
        let time = if flags & DATED != 0 {
            Some(spill::read_time(input)?)
        } else {
            None
        };
        let computer = if flags & COMPUTER != 0 {
            Some(spill::read_str(input)?)
        } else {
            None
        };
        let source = spill::read_str(input)?;
        let record_id = if flags & RECORD != 0 {
            Some(spill::read_u64(input)?)
        } else {
            None
        };
        let rule_title = spill::read_str(input)?;
        let rule_id = spill::read_str(input)?;
        let found = (
            u32::from_le_bytes(spill::read_array(input)?),
            spill::read_u64(input)?,
        );
        let line = spill::read_bytes(input)?.into_boxed_slice();
        Ok(Some(Entry {
            key: SortKey {
                undated: time.is_none(),
                time,
                computer,
                source,
                record_id,
                rule_title,
                rule_id,
                found,
            },
            line,
        }))
    }
}

/// What [`TimelineSorter::finish`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub detections: u64,
    /// Sorted runs written to temporary files (0: it fitted in memory).
    pub runs: usize,
}

/// Sorts a timeline of any size within a memory budget; shared by the
/// threads that add to it.
pub struct TimelineSorter {
    format: TimelineFormat,
    sort: ExternalSort<Entry>,
}

impl TimelineSorter {
    /// `budget` is the bytes of rendered detections held before a sorted
    /// run is written to an unnamed file in `temp_dir`.
    pub fn new(format: TimelineFormat, budget: usize, temp_dir: PathBuf) -> TimelineSorter {
        TimelineSorter {
            format,
            sort: ExternalSort::new(budget, temp_dir),
        }
    }

    pub fn format(&self) -> TimelineFormat {
        self.format
    }

    /// Adds rendered detections; writes a sorted run when the budget is
    /// reached.
    pub fn add(&self, entries: Vec<Entry>) -> Result<(), TimelineError> {
        Ok(self.sort.add(entries)?)
    }

    /// Writes the whole timeline, in order, to `out`.
    pub fn finish(self, out: &mut dyn Write) -> Result<Written, TimelineError> {
        if self.format == TimelineFormat::Csv {
            crate::write_csv_header(out)?;
        }
        let sorted = self.sort.finish()?;
        let written = Written {
            detections: sorted.items,
            runs: sorted.runs,
        };
        for entry in sorted {
            out.write_all(&entry?.line)?;
        }
        out.flush()?;
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use vigil_event::Level;

    use super::*;
    use crate::write_timeline;

    fn detection(n: u64) -> Detection {
        // Times repeat and some are missing, hosts alternate, so every part
        // of the key and the order of discovery decide somewhere.
        Detection {
            timestamp: (!n.is_multiple_of(7)).then(|| {
                Utc.timestamp_opt(1_700_000_000 + (n % 13) as i64, (n % 3) as u32)
                    .unwrap()
            }),
            computer: (!n.is_multiple_of(5)).then(|| format!("WS-{:02}", n % 4)),
            channel: Some("Security".into()),
            event_id: Some(4688),
            record_id: (!n.is_multiple_of(11)).then_some(n % 17),
            rule_id: Arc::from(format!("rule-{}", n % 2)),
            rule_title: Arc::from(if n.is_multiple_of(3) { "b" } else { "a" }),
            level: Level::High,
            tags: Arc::from(vec!["attack.t1059".to_string()]),
            source: Arc::from(if n.is_multiple_of(2) {
                "a.evtx"
            } else {
                "b.evtx"
            }),
            details: vec![("CommandLine".into(), format!("cmd /c \"{n}\"\nnext line"))],
        }
    }

    fn sorted_on_disk(format: TimelineFormat, budget: usize, count: u64) -> (Vec<u8>, Written) {
        let sorter = TimelineSorter::new(format, budget, std::env::temp_dir());
        // Added in batches of 10 in reverse, as threads would.
        let all: Vec<u64> = (0..count).collect();
        for batch in all.chunks(10).rev() {
            let entries = batch
                .iter()
                .map(|&n| Entry::render(&detection(n), format, (0, n)).unwrap())
                .collect();
            sorter.add(entries).unwrap();
        }
        let mut out = Vec::new();
        let written = sorter.finish(&mut out).unwrap();
        (out, written)
    }

    #[test]
    fn runs_on_disk_give_the_in_memory_timeline() {
        for format in [TimelineFormat::Jsonl, TimelineFormat::Csv] {
            let mut all: Vec<Detection> = (0..1000).map(detection).collect();
            let mut expected = Vec::new();
            write_timeline(&mut all, format, &mut expected).unwrap();
            // Budgets: everything in memory, a few runs, a run per batch
            // (more than MAX_RUNS, so runs are merged on the way).
            for budget in [usize::MAX, 100_000, 1] {
                let (out, written) = sorted_on_disk(format, budget, 1000);
                assert_eq!(written.detections, 1000);
                assert!(
                    out == expected,
                    "{format:?} with a budget of {budget} differs from the in-memory sort"
                );
                match budget {
                    usize::MAX => assert_eq!(written.runs, 0),
                    1 => assert_eq!(written.runs, 100),
                    _ => assert!(written.runs > 1 && written.runs < 100, "{written:?}"),
                }
            }
        }
    }

    #[test]
    fn an_empty_timeline_is_only_a_header() {
        let (out, written) = sorted_on_disk(TimelineFormat::Csv, 1, 0);
        assert_eq!(
            written,
            Written {
                detections: 0,
                runs: 0
            }
        );
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 1);
        let (out, _) = sorted_on_disk(TimelineFormat::Jsonl, 1, 0);
        assert!(out.is_empty());
    }

    #[test]
    fn a_temporary_folder_that_does_not_exist_is_named_in_the_error() {
        let sorter = TimelineSorter::new(
            TimelineFormat::Jsonl,
            1,
            PathBuf::from("/nonexistent/vigil-sort"),
        );
        let entry = Entry::render(&detection(1), TimelineFormat::Jsonl, (0, 1)).unwrap();
        let error = sorter.add(vec![entry]).unwrap_err().to_string();
        assert!(error.contains("/nonexistent/vigil-sort"), "{error}");
    }
}
