//! One log record, flattened to named fields.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::{same_text, FieldName, FieldValue};

/// Where in its source file an event was read: what a responder needs to find
/// the original record again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Position {
    #[default]
    Unknown,
    /// An EVTX record, by its EventRecordID.
    Record(u64),
    /// A line of a text or JSON-lines file, counting from 1.
    Line(u64),
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Position::Unknown => f.write_str("?"),
            Position::Record(id) => write!(f, "record {id}"),
            Position::Line(n) => write!(f, "line {n}"),
        }
    }
}

/// A log record flattened to `name → value` pairs.
///
/// Windows events carry their `System` fields under the names Sigma rules use
/// (`EventID`, `Channel`, `Computer`, `Provider_Name`, …) and their
/// `EventData`/`UserData` fields by their own names (`Image`, `CommandLine`).
/// Field lookup is exact first, then ASCII case-insensitive, because rule
/// authors and log producers disagree on case (`ProcessId` / `ProcessID`).
pub struct Event {
    /// The file (or stream) this event was read from.
    pub source: Arc<str>,
    pub position: Position,
    /// The event's own time, when the record has one.
    pub timestamp: Option<DateTime<Utc>>,
    /// `windows`, `linux`, … when the source knows; rules of another product
    /// are not applied to the event.
    pub product: Option<&'static str>,
    /// The shape the record came in, as its reader recognised it (`EVTX`,
    /// `evtx_dump JSON`, `Winlogbeat 6`, `NXLog JSON`, `Zeek TSV`, `syslog`,
    /// …): what a summary counts events by, so a user sees which of their
    /// files were understood and which were read only as generic JSON.
    pub shape: Option<&'static str>,
    /// The fields' names; past the fields' count, the names an earlier
    /// record's fields had, kept by [`Event::clear`]: a record of the same
    /// kind names its fields alike, and a name equal to the one at its
    /// place is kept as it is, another written over it.
    names: Vec<String>,
    /// The fields' values, at their names' indexes; past the fields' count,
    /// an earlier record's, whose strings [`Event::insert_text`] writes over
    /// rather than allocating new ones.
    values: Vec<FieldValue>,
    /// How many fields the record has.
    count: usize,
}

/// A string kept for reuse that has grown past this many bytes is given up
/// when a shorter text comes: one huge value must not hold its room for
/// every record after it.
const LARGEST_KEPT: usize = 64 * 1024;

/// A copy of `text` with room to spare, so that the strings of the field at
/// one place, whose records are of several kinds and lengths, soon all fit
/// in the room kept there instead of growing it again and again.
fn roomy_copy(text: &str) -> String {
    let mut copy = String::with_capacity(text.len().next_power_of_two().max(16));
    copy.push_str(text);
    copy
}

impl Clone for Event {
    fn clone(&self) -> Self {
        Event {
            source: self.source.clone(),
            position: self.position,
            timestamp: self.timestamp,
            product: self.product,
            shape: self.shape,
            names: self.names().to_vec(),
            values: self.values().to_vec(),
            count: self.count,
        }
    }
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("source", &self.source)
            .field("position", &self.position)
            .field("timestamp", &self.timestamp)
            .field("product", &self.product)
            .field("shape", &self.shape)
            .field("fields", &self.fields().collect::<Vec<_>>())
            .finish()
    }
}

impl Event {
    pub fn new(source: impl Into<Arc<str>>) -> Self {
        Event {
            source: source.into(),
            position: Position::Unknown,
            timestamp: None,
            product: None,
            shape: None,
            names: Vec::new(),
            values: Vec::new(),
            count: 0,
        }
    }

    /// Empties this event for another record of its source, as a new one
    /// is, keeping the room its fields took, their names and their strings
    /// for the next record's fields: reading many records into one event
    /// allocates little.
    pub fn clear(&mut self) {
        self.position = Position::Unknown;
        self.timestamp = None;
        self.product = None;
        self.shape = None;
        self.count = 0;
    }

    /// The names of the fields (not the spare ones).
    #[inline]
    fn names(&self) -> &[String] {
        &self.names[..self.count]
    }

    /// The values of the fields (not the spare ones).
    #[inline]
    fn values(&self) -> &[FieldValue] {
        &self.values[..self.count]
    }

    /// Adds a field. A later field of the same name does not replace an
    /// earlier one: the first occurrence wins on lookup.
    pub fn insert(&mut self, name: impl FieldName, value: FieldValue) {
        match self.values.get_mut(self.count) {
            Some(spare) => *spare = value,
            None => self.values.push(value),
        }
        self.name(name);
    }

    /// Adds a string field, as [`Event::insert`] does, writing the text over
    /// the spare string at its place when there is one.
    pub fn insert_text(&mut self, name: impl FieldName, text: &str) {
        match self.values.get_mut(self.count) {
            Some(FieldValue::Str(spare))
                if spare.capacity() >= text.len() && spare.capacity() <= LARGEST_KEPT =>
            {
                spare.clear();
                spare.push_str(text);
            }
            Some(spare) => *spare = FieldValue::Str(roomy_copy(text)),
            None => self.values.push(FieldValue::Str(roomy_copy(text))),
        }
        self.name(name);
    }

    /// Names the field whose value was just put at the fields' count, and
    /// counts it.
    fn name(&mut self, name: impl FieldName) {
        match self.names.get_mut(self.count) {
            Some(spare) if name.is(spare) => {}
            Some(spare) if spare.capacity() <= LARGEST_KEPT => name.write_over(spare),
            Some(spare) => *spare = name.into_string(),
            None => self.names.push(name.into_string()),
        }
        self.count += 1;
    }

    /// Makes room for `additional` more fields, for a source that can tell
    /// about how many a record has.
    pub fn reserve(&mut self, additional: usize) {
        let spare = self.values.len() - self.count;
        self.values.reserve(additional.saturating_sub(spare));
        let spare = self.names.len() - self.count;
        self.names.reserve(additional.saturating_sub(spare));
    }

    /// The value of a field by name: exact match first, then ignoring ASCII case.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.index_of(name).map(|index| &self.values[index])
    }

    /// The index of a field by name (same lookup as [`Event::get`]), for
    /// callers that cache per-field work.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        let names = self.names();
        (names.iter().position(|k| same_text(k, name)))
            .or_else(|| names.iter().position(|k| k.eq_ignore_ascii_case(name)))
    }

    /// The field at an index from [`Event::index_of`] or [`Event::fields`].
    #[inline]
    pub fn field_at(&self, index: usize) -> Option<(&str, &FieldValue)> {
        if index >= self.count {
            return None;
        }
        Some((&self.names[index], &self.values[index]))
    }

    pub fn fields(&self) -> impl Iterator<Item = (&str, &FieldValue)> {
        self.names().iter().map(String::as_str).zip(self.values())
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(FieldValue::as_str)
    }

    pub fn event_id(&self) -> Option<i64> {
        self.get("EventID").and_then(FieldValue::as_i64)
    }

    pub fn channel(&self) -> Option<&str> {
        self.get_str("Channel")
    }

    pub fn computer(&self) -> Option<&str> {
        self.get_str("Computer")
    }

    pub fn provider(&self) -> Option<&str> {
        self.get_str("Provider_Name")
    }

    pub fn record_id(&self) -> Option<u64> {
        match self.position {
            Position::Record(id) => Some(id),
            _ => self
                .get("EventRecordID")
                .and_then(FieldValue::as_i64)
                .and_then(|i| u64::try_from(i).ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_field_wins_and_case_is_a_fallback() {
        let mut e = Event::new("x");
        e.insert("ProcessId", FieldValue::Int(1));
        e.insert("ProcessID", FieldValue::Int(2));
        assert_eq!(e.get("ProcessID"), Some(&FieldValue::Int(2)));
        assert_eq!(e.get("processid"), Some(&FieldValue::Int(1)));
        assert_eq!(e.get("Missing"), None);
    }

    /// An event cleared and filled again is the new record's alone, whatever
    /// the earlier one had, and keeps the earlier names where they are the
    /// same.
    #[test]
    fn a_cleared_event_holds_only_the_new_record() {
        let mut e = Event::new("a.jsonl");
        e.insert("EventID", FieldValue::Int(1));
        e.insert("Image", FieldValue::from("x.exe"));
        e.insert("User", FieldValue::from("alice"));
        e.position = Position::Line(3);
        e.product = Some("windows");
        let name_at = |e: &Event, i: usize| e.field_at(i).unwrap().0.as_ptr();
        let (kept, image) = (name_at(&e, 0), name_at(&e, 1));
        e.clear();
        assert!(e.is_empty() && e.position == Position::Unknown && e.product.is_none());
        e.insert("EventID", FieldValue::Int(2));
        e.insert("Path", FieldValue::from("y"));
        e.insert("CommandLine", FieldValue::from("z"));
        assert_eq!(name_at(&e, 0), kept, "the same name kept");
        assert_eq!(name_at(&e, 1), image, "a shorter name written over");
        assert_eq!(
            e.fields().collect::<Vec<_>>(),
            [
                ("EventID", &FieldValue::Int(2)),
                ("Path", &FieldValue::from("y")),
                ("CommandLine", &FieldValue::from("z"))
            ]
        );
        assert_eq!(e.get("User"), None);
        assert_eq!(e.get("Image"), None);
        assert!(
            !format!("{e:?}").contains("User"),
            "spare names are not shown"
        );
        e.clear();
        assert_eq!(&*e.source, "a.jsonl");
        e.insert("Other", FieldValue::Null);
        e.insert("EventID", FieldValue::Null);
        assert_eq!(
            e.fields().map(|(n, _)| n).collect::<Vec<_>>(),
            ["Other", "EventID"]
        );
        assert_eq!(e.clone().len(), 2);
    }

    /// Text written over a spare value is the new text alone, in the spare's
    /// room when it fits, whatever the spare held.
    #[test]
    fn text_is_written_over_the_strings_a_cleared_event_kept() {
        let mut e = Event::new("a.jsonl");
        e.insert_text("Image", "C:\\Windows\\System32\\cmd.exe");
        e.insert("ProcessId", FieldValue::Int(4));
        e.insert_text("User", "a");
        let room = |e: &Event, i: usize| match e.field_at(i) {
            Some((_, FieldValue::Str(s))) => (s.as_ptr(), s.capacity()),
            other => panic!("not a string: {other:?}"),
        };
        let image = room(&e, 0);
        e.clear();
        e.insert_text("Image", "x.exe");
        e.insert_text("ProcessId", "not a number");
        e.insert_text("User", &"b".repeat(100));
        assert_eq!(room(&e, 0), image, "the same string, written over");
        assert_eq!(
            e.fields().collect::<Vec<_>>(),
            [
                ("Image", &FieldValue::from("x.exe")),
                ("ProcessId", &FieldValue::from("not a number")),
                ("User", &FieldValue::from("b".repeat(100))),
            ]
        );
        e.clear();
        e.insert("Image", FieldValue::Int(1));
        e.insert_text("Other", "");
        assert_eq!(
            e.fields().collect::<Vec<_>>(),
            [
                ("Image", &FieldValue::Int(1)),
                ("Other", &FieldValue::from(""))
            ]
        );
        // A huge value's room is not kept for the shorter ones after it.
        e.clear();
        e.insert_text("Image", &"x".repeat(LARGEST_KEPT + 1));
        e.clear();
        e.insert_text("Image", "y");
        assert!(room(&e, 0).1 < LARGEST_KEPT);
        assert_eq!(e.get("Image"), Some(&FieldValue::from("y")));
    }

    #[test]
    fn record_id_comes_from_position_or_field() {
        let mut e = Event::new("x");
        e.insert("EventRecordID", FieldValue::from("42"));
        assert_eq!(e.record_id(), Some(42));
        e.position = Position::Record(7);
        assert_eq!(e.record_id(), Some(7));
    }
}
