//! Sorting more than fits in memory: items are held up to a budget of bytes,
//! then written as a sorted run to an unnamed temporary file; the runs and
//! what is still held are merged when the items are read back. Peak memory
//! is the budget, whatever the number of items. Shared by the threads that
//! add items.
//!
//! The timeline's detections and the detections held for the correlation
//! pass are sorted this way.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};

/// Runs merged into one when there are this many, so a sort never holds
/// more open files than this.
const MAX_RUNS: usize = 64;

/// Read and write buffer per run.
const RUN_BUFFER: usize = 64 * 1024;

/// An item that can be sorted through disk.
pub trait Spill: Sized + Send {
    /// The order. Keys must be distinct (add where the item was found to
    /// make them so): the result must not depend on how the runs fell.
    type Key: Ord;

    fn key(&self) -> &Self::Key;

    /// Bytes the item holds in memory, roughly; what the budget counts.
    fn cost(&self) -> usize;

    fn encode(&self, out: &mut dyn Write) -> io::Result<()>;

    /// The next item, or `None` at the end of the run.
    fn decode(input: &mut dyn Read) -> io::Result<Option<Self>>;
}

/// Sorts items of any number within a memory budget.
pub struct ExternalSort<T> {
    budget: usize,
    temp_dir: PathBuf,
    state: Mutex<State<T>>,
}

struct State<T> {
    held: Vec<T>,
    held_bytes: usize,
    runs: Vec<File>,
    spilled: usize,
    items: u64,
}

impl<T: Spill> ExternalSort<T> {
    /// `budget` is the bytes of items held before a sorted run is written
    /// to an unnamed file in `temp_dir`.
    pub fn new(budget: usize, temp_dir: PathBuf) -> ExternalSort<T> {
        ExternalSort {
            budget,
            temp_dir,
            state: Mutex::new(State {
                held: Vec::new(),
                held_bytes: 0,
                runs: Vec::new(),
                spilled: 0,
                items: 0,
            }),
        }
    }

    /// Adds items; writes a sorted run when the budget is reached.
    pub fn add(&self, items: Vec<T>) -> io::Result<()> {
        let cost = items.iter().map(Spill::cost).sum::<usize>();
        let full = {
            let mut state = self.lock();
            state.items += items.len() as u64;
            state.held_bytes += cost;
            state.held.extend(items);
            if state.held_bytes < self.budget {
                return Ok(());
            }
            state.held_bytes = 0;
            std::mem::take(&mut state.held)
        };
        // Sorted and written without the lock, so the other threads go on.
        let run = self.write_run(full)?;
        let mut state = self.lock();
        state.runs.push(run);
        state.spilled += 1;
        if state.runs.len() >= MAX_RUNS {
            let runs = std::mem::take(&mut state.runs);
            // Merging under the lock holds the others back, but only once
            // in MAX_RUNS runs.
            let merged = self.merge_runs(runs)?;
            state.runs.push(merged);
        }
        Ok(())
    }

    /// Items added so far.
    pub fn len(&self) -> u64 {
        self.lock().items
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every item, in order.
    pub fn finish(self) -> io::Result<Sorted<T>> {
        let state = self
            .state
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut held = state.held;
        held.sort_unstable_by(|a, b| a.key().cmp(b.key()));
        let mut sources = Vec::with_capacity(state.runs.len() + 1);
        for run in state.runs {
            sources.push(Source::Run(BufReader::with_capacity(RUN_BUFFER, run)));
        }
        sources.push(Source::Memory(held.into_iter()));
        Ok(Sorted {
            merge: Merge::new(sources)?,
            items: state.items,
            runs: state.spilled,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn temp_file(&self) -> io::Result<File> {
        tempfile::tempfile_in(&self.temp_dir).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot create a temporary file for sorting in {}: {e}",
                    self.temp_dir.display()
                ),
            )
        })
    }

    fn write_run(&self, mut items: Vec<T>) -> io::Result<File> {
        items.sort_unstable_by(|a, b| a.key().cmp(b.key()));
        let mut out = BufWriter::with_capacity(RUN_BUFFER, self.temp_file()?);
        for item in &items {
            item.encode(&mut out)?;
        }
        rewound(out)
    }

    fn merge_runs(&self, runs: Vec<File>) -> io::Result<File> {
        let mut out = BufWriter::with_capacity(RUN_BUFFER, self.temp_file()?);
        let sources = runs
            .into_iter()
            .map(|run| Source::<T>::Run(BufReader::with_capacity(RUN_BUFFER, run)))
            .collect();
        for item in Merge::new(sources)? {
            item?.encode(&mut out)?;
        }
        rewound(out)
    }
}

fn rewound(out: BufWriter<File>) -> io::Result<File> {
    let mut file = out.into_inner().map_err(|e| e.into_error())?;
    file.rewind()?;
    Ok(file)
}

/// The items of an [`ExternalSort`], in order.
pub struct Sorted<T> {
    merge: Merge<T>,
    /// How many there are.
    pub items: u64,
    /// Sorted runs written to temporary files (0: all fitted in memory).
    pub runs: usize,
}

impl<T: Spill> Iterator for Sorted<T> {
    type Item = io::Result<T>;

    fn next(&mut self) -> Option<io::Result<T>> {
        self.merge.next()
    }
}

/// Something sorted to merge from: a run on disk or the items still held.
enum Source<T> {
    Run(BufReader<File>),
    Memory(std::vec::IntoIter<T>),
}

impl<T: Spill> Source<T> {
    fn next(&mut self) -> io::Result<Option<T>> {
        match self {
            Source::Run(reader) => T::decode(reader),
            Source::Memory(items) => Ok(items.next()),
        }
    }
}

/// Heap item: the smallest key first; the source index only keeps `Ord`
/// total (keys are distinct).
struct Head<T> {
    item: T,
    source: usize,
}

impl<T: Spill> PartialEq for Head<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T: Spill> Eq for Head<T> {}

impl<T: Spill> PartialOrd for Head<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Spill> Ord for Head<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.item
            .key()
            .cmp(other.item.key())
            .then(self.source.cmp(&other.source))
    }
}

struct Merge<T> {
    sources: Vec<Source<T>>,
    heap: BinaryHeap<Reverse<Head<T>>>,
    failed: bool,
}

impl<T: Spill> Merge<T> {
    fn new(mut sources: Vec<Source<T>>) -> io::Result<Merge<T>> {
        let mut heap = BinaryHeap::with_capacity(sources.len());
        for (index, source) in sources.iter_mut().enumerate() {
            if let Some(item) = source.next()? {
                heap.push(Reverse(Head {
                    item,
                    source: index,
                }));
            }
        }
        Ok(Merge {
            sources,
            heap,
            failed: false,
        })
    }
}

impl<T: Spill> Iterator for Merge<T> {
    type Item = io::Result<T>;

    fn next(&mut self) -> Option<io::Result<T>> {
        if self.failed {
            return None;
        }
        let Reverse(head) = self.heap.pop()?;
        match self.sources[head.source].next() {
            Ok(Some(item)) => self.heap.push(Reverse(Head {
                item,
                source: head.source,
            })),
            Ok(None) => {}
            Err(error) => {
                self.failed = true;
                return Some(Err(error));
            }
        }
        Some(Ok(head.item))
    }
}

// Helpers for encoding items: little-endian numbers, strings and byte runs
// with a u32 length before them.

pub fn write_bytes(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    let len = u32::try_from(bytes.len()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "an item over 4 GB cannot be sorted through disk",
        )
    })?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(bytes)
}

pub fn read_array<const N: usize>(input: &mut dyn Read) -> io::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    input.read_exact(&mut bytes)?;
    Ok(bytes)
}

pub fn read_u64(input: &mut dyn Read) -> io::Result<u64> {
    Ok(u64::from_le_bytes(read_array(input)?))
}

pub fn read_bytes(input: &mut dyn Read) -> io::Result<Vec<u8>> {
    let len = u32::from_le_bytes(read_array(input)?) as usize;
    let mut bytes = vec![0u8; len];
    input.read_exact(&mut bytes)?;
    Ok(bytes)
}

pub fn read_string(input: &mut dyn Read) -> io::Result<String> {
    String::from_utf8(read_bytes(input)?).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "a temporary sort file was changed under Vigil (text is not UTF-8)",
        )
    })
}

pub fn read_str(input: &mut dyn Read) -> io::Result<Arc<str>> {
    read_string(input).map(Arc::from)
}

/// A time as a sort key and on disk: seconds and nanoseconds since 1970,
/// ordered as the time is.
pub fn time_key(time: Option<DateTime<Utc>>) -> Option<(i64, u32)> {
    time.map(|t| (t.timestamp(), t.timestamp_subsec_nanos()))
}

pub fn write_time(out: &mut dyn Write, (seconds, nanos): (i64, u32)) -> io::Result<()> {
    out.write_all(&seconds.to_le_bytes())?;
    out.write_all(&nanos.to_le_bytes())
}

pub fn read_time(input: &mut dyn Read) -> io::Result<(i64, u32)> {
    Ok((
        i64::from_le_bytes(read_array(input)?),
        u32::from_le_bytes(read_array(input)?),
    ))
}

/// The first byte of an item, or `None` at the end of a run.
pub fn read_tag(input: &mut dyn Read) -> io::Result<Option<u8>> {
    let mut tag = [0u8];
    match input.read_exact(&mut tag) {
        Ok(()) => Ok(Some(tag[0])),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}
