//! The state one correlation keeps for one group: what fell in its window,
//! and how each correlation type decides on it.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use vigil_event::{Event, Position};

use crate::rule::{Correlation, Kind};

/// Where a contributing event can be found again.
#[derive(Debug, Clone)]
pub(crate) enum RecordRef {
    /// An EVTX record, by its EventRecordID.
    Record(u64),
    /// A line of a text file.
    Line(Arc<str>, u64),
    /// Only the file is known.
    File(Arc<str>),
    /// A correlation detection: the records it listed.
    Chained(Arc<str>),
}

impl RecordRef {
    pub fn of(event: &Event) -> RecordRef {
        match event.position {
            Position::Line(n) => RecordRef::Line(event.source.clone(), n),
            _ => match event.record_id() {
                Some(id) => RecordRef::Record(id),
                None => RecordRef::File(event.source.clone()),
            },
        }
    }
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordRef::Record(id) => write!(f, "{id}"),
            RecordRef::Line(file, n) => write!(f, "{file}:{n}"),
            RecordRef::File(file) => f.write_str(file),
            RecordRef::Chained(records) => write!(f, "[{records}]"),
        }
    }
}

/// The value a contribution brings to a value_* aggregate.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    None,
    Number(f64),
    Text(Box<str>),
}

/// One contributing event.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Event time, milliseconds since the Unix epoch.
    pub at: i64,
    pub record: RecordRef,
    /// Interned host name; 0 when the event named none.
    pub host: u32,
    pub value: Value,
}

/// A partial match of a temporal correlation: the earliest event time it
/// rests on, and its events.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub start: i64,
    pub entries: Vec<Entry>,
}

/// What a group's window held when its condition was met.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub start: i64,
    pub end: i64,
    /// The aggregate, as shown in the detection.
    pub aggregate: String,
    /// Further details (value_percentile: the rare values).
    pub extra: Vec<(String, String)>,
    pub entries: Vec<Entry>,
}

/// One group's state in one correlation.
#[derive(Debug)]
pub(crate) struct Group {
    /// Start of the current window (for conditions decided on close).
    pub opened: i64,
    /// Time of the latest contribution.
    pub last: i64,
    pub source: Arc<str>,
    pub entries: VecDeque<Entry>,
    /// value_count / value_percentile: how many entries carry each value.
    distinct: HashMap<Box<str>, u32>,
    sum: f64,
    numbers: usize,
    /// temporal: latest match per rule; temporal_ordered: best partial
    /// sequence ending at each position.
    steps: Vec<Option<Step>>,
}

impl Group {
    pub fn new(at: i64, source: Arc<str>, slots: usize, kind: Kind) -> Group {
        Group {
            opened: at,
            last: at,
            source,
            entries: VecDeque::new(),
            distinct: HashMap::new(),
            sum: 0.0,
            numbers: 0,
            steps: if kind.is_temporal() {
                vec![None; slots]
            } else {
                Vec::new()
            },
        }
    }

    /// How many events the group holds.
    pub fn size(&self) -> usize {
        self.entries.len()
            + self
                .steps
                .iter()
                .flatten()
                .map(|s| s.entries.len())
                .sum::<usize>()
    }

    fn account(&mut self, value: &Value) {
        match value {
            Value::Text(t) => *self.distinct.entry(t.clone()).or_default() += 1,
            Value::Number(n) => {
                self.sum += n;
                self.numbers += 1;
            }
            Value::None => {}
        }
    }

    fn unaccount(&mut self, value: &Value) {
        match value {
            Value::Text(t) => {
                if let Some(n) = self.distinct.get_mut(t) {
                    *n -= 1;
                    if *n == 0 {
                        self.distinct.remove(t);
                    }
                }
            }
            Value::Number(n) => {
                self.sum -= n;
                self.numbers -= 1;
            }
            Value::None => {}
        }
        if self.entries.is_empty() {
            // Keep rounding errors of many additions and removals from lingering.
            self.sum = 0.0;
        }
    }

    /// Drops the oldest entry; returns false when there was none.
    fn pop_oldest(&mut self) -> bool {
        match self.entries.pop_front() {
            Some(old) => {
                self.unaccount(&old.value);
                true
            }
            None => false,
        }
    }

    /// Adds an entry, keeping at most `cap`; returns how many were dropped
    /// because of the cap.
    fn push(&mut self, entry: Entry, keep: usize, cap: usize) -> u64 {
        self.account(&entry.value);
        self.entries.push_back(entry);
        let mut dropped = 0;
        while self.entries.len() > keep.min(cap) {
            self.pop_oldest();
            if cap < keep {
                dropped += 1;
            }
        }
        dropped
    }

    fn aggregate(&self, kind: Kind) -> f64 {
        match kind {
            Kind::EventCount => self.entries.len() as f64,
            Kind::ValueCount => self.distinct.len() as f64,
            Kind::ValueSum => self.sum,
            Kind::ValueAvg if self.numbers > 0 => self.sum / self.numbers as f64,
            _ => 0.0,
        }
    }

    fn take(&mut self, aggregate: f64) -> Outcome {
        let entries: Vec<Entry> = self.entries.drain(..).collect();
        self.distinct.clear();
        self.sum = 0.0;
        self.numbers = 0;
        Outcome {
            start: entries.first().map_or(self.opened, |e| e.at),
            end: entries.last().map_or(self.last, |e| e.at),
            aggregate: number_text(aggregate),
            extra: Vec::new(),
            entries,
        }
    }

    /// A contribution to a correlation decided on arrival. Returns what
    /// fired, after which the group starts afresh: a burst that meets the
    /// condition twice over fires twice, not once per further event.
    pub fn arrive(
        &mut self,
        c: &Correlation,
        slot: usize,
        entry: Entry,
        cap: usize,
    ) -> (Option<Outcome>, u64) {
        self.last = self.last.max(entry.at);
        let horizon = entry.at - c.timespan_ms;
        match c.kind {
            Kind::Temporal => {
                self.steps[slot] = Some(Step {
                    start: entry.at,
                    entries: vec![entry],
                });
                let live = self.steps.iter().flatten().filter(|s| s.start >= horizon);
                if !c.condition.holds(live.count() as f64) {
                    return (None, 0);
                }
                let mut entries: Vec<Entry> = std::mem::take(&mut self.steps)
                    .into_iter()
                    .flatten()
                    .filter(|s| s.start >= horizon)
                    .flat_map(|s| s.entries)
                    .collect();
                self.steps = vec![None; c.slots.len()];
                entries.sort_by_key(|e| e.at);
                (Some(self.outcome_of(entries, c.slots.len())), 0)
            }
            Kind::TemporalOrdered => {
                let candidate = if slot == 0 {
                    Some(Step {
                        start: entry.at,
                        entries: vec![entry.clone()],
                    })
                } else {
                    self.steps[slot - 1]
                        .as_ref()
                        .filter(|p| p.start >= horizon)
                        .map(|p| {
                            let mut entries = p.entries.clone();
                            entries.push(entry.clone());
                            Step {
                                start: p.start,
                                entries,
                            }
                        })
                };
                if let Some(candidate) = candidate {
                    // The later a partial sequence starts, the longer it can still complete.
                    if self.steps[slot]
                        .as_ref()
                        .is_none_or(|s| candidate.start >= s.start)
                    {
                        self.steps[slot] = Some(candidate);
                    }
                }
                let reached = (0..self.steps.len())
                    .rev()
                    .find(|&k| self.steps[k].as_ref().is_some_and(|s| s.start >= horizon))
                    .map_or(0, |k| k + 1);
                if reached == 0 || !c.condition.holds(reached as f64) {
                    return (None, 0);
                }
                let done = self.steps[reached - 1].take().expect("reached");
                self.steps = vec![None; c.slots.len()];
                (Some(self.outcome_of(done.entries, reached)), 0)
            }
            _ => {
                while self.entries.front().is_some_and(|e| e.at < horizon) {
                    self.pop_oldest();
                }
                let dropped = self.push(entry, c.keep, cap);
                let value = self.aggregate(c.kind);
                if c.condition.holds(value) {
                    (Some(self.take(value)), dropped)
                } else {
                    (None, dropped)
                }
            }
        }
    }

    fn outcome_of(&self, entries: Vec<Entry>, rules: usize) -> Outcome {
        Outcome {
            start: entries.first().map_or(self.last, |e| e.at),
            end: entries.last().map_or(self.last, |e| e.at),
            aggregate: rules.to_string(),
            extra: Vec::new(),
            entries,
        }
    }

    /// A contribution to a correlation decided when its window closes.
    /// An event past the window first closes it (returning what fired) and
    /// opens the next window with itself.
    pub fn collect(
        &mut self,
        c: &Correlation,
        entry: Entry,
        cap: usize,
        shown: usize,
    ) -> (Option<Outcome>, u64) {
        let closed = if entry.at > self.opened + c.timespan_ms {
            let outcome = self.close(c, shown);
            self.opened = entry.at;
            outcome
        } else {
            None
        };
        self.last = self.last.max(entry.at);
        let dropped = self.push(entry, usize::MAX, cap);
        (closed, dropped)
    }

    /// Decides the window that is closing and empties it.
    pub fn close(&mut self, c: &Correlation, shown: usize) -> Option<Outcome> {
        if self.entries.is_empty() {
            return None;
        }
        if c.kind != Kind::ValuePercentile {
            let value = self.aggregate(c.kind);
            let fired = c.condition.holds(value).then(|| self.take(value));
            self.entries.clear();
            self.distinct.clear();
            self.sum = 0.0;
            self.numbers = 0;
            return fired;
        }
        // value_percentile: the share, in percent, of the window's events
        // that carry each value; values whose share meets the condition fire.
        let total = self.entries.len() as f64;
        let mut rare: Vec<(&str, f64)> = self
            .distinct
            .iter()
            .map(|(v, &n)| (&**v, 100.0 * n as f64 / total))
            .filter(|&(_, share)| c.condition.holds(share))
            .collect();
        if rare.is_empty() {
            self.take(0.0);
            return None;
        }
        rare.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(b.0)));
        let lowest = rare[0].1;
        let values: Vec<String> = rare
            .iter()
            .take(shown)
            .map(|(v, share)| format!("{v} ({}%)", number_text(*share)))
            .collect();
        let chosen: std::collections::HashSet<Box<str>> =
            rare.iter().map(|(v, _)| Box::from(*v)).collect();
        let mut outcome = self.take(lowest);
        outcome
            .entries
            .retain(|e| matches!(&e.value, Value::Text(t) if chosen.contains(t)));
        outcome.extra.push(("values".into(), values.join(", ")));
        Some(outcome)
    }
}

/// A number as people write it: no `.0` on whole numbers, two decimals else.
pub(crate) fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:.2}")
    }
}
