//! One log record, flattened to named fields.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::FieldValue;

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
    /// The fields' names; past the fields' count, the names an earlier
    /// record's fields had, kept by [`Event::clear`]: a record of the same
    /// kind names its fields alike, and a name equal to the one at its
    /// place is kept rather than made again.
    names: Vec<Box<str>>,
    /// The fields' values, at their names' indexes.
    values: Vec<FieldValue>,
}

impl Clone for Event {
    fn clone(&self) -> Self {
        Event {
            source: self.source.clone(),
            position: self.position,
            timestamp: self.timestamp,
            product: self.product,
            names: self.names().to_vec(),
            values: self.values.clone(),
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
            names: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Empties this event for another record of its source, as a new one
    /// is, keeping the room its fields took and their names for the next
    /// record's fields: reading many records into one event allocates
    /// little.
    pub fn clear(&mut self) {
        self.position = Position::Unknown;
        self.timestamp = None;
        self.product = None;
        self.values.clear();
    }

    /// The names of the fields (not the spare ones).
    fn names(&self) -> &[Box<str>] {
        &self.names[..self.values.len()]
    }

    /// Adds a field. A later field of the same name does not replace an
    /// earlier one: the first occurrence wins on lookup.
    pub fn insert(&mut self, name: impl AsRef<str> + Into<Box<str>>, value: FieldValue) {
        let at = self.values.len();
        match self.names.get_mut(at) {
            Some(spare) if **spare == *name.as_ref() => {}
            Some(spare) => *spare = name.into(),
            None => self.names.push(name.into()),
        }
        self.values.push(value);
    }

    /// Makes room for `additional` more fields, for a source that can tell
    /// about how many a record has.
    pub fn reserve(&mut self, additional: usize) {
        self.values.reserve(additional);
        let spare = self.names.len() - self.values.len();
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
        (names.iter().position(|k| **k == *name))
            .or_else(|| names.iter().position(|k| k.eq_ignore_ascii_case(name)))
    }

    /// The field at an index from [`Event::index_of`] or [`Event::fields`].
    pub fn field_at(&self, index: usize) -> Option<(&str, &FieldValue)> {
        let value = self.values.get(index)?;
        Some((&self.names[index], value))
    }

    pub fn fields(&self) -> impl Iterator<Item = (&str, &FieldValue)> {
        self.names().iter().map(|k| &**k).zip(&self.values)
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
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
        let kept = e.field_at(0).unwrap().0.as_ptr();
        e.clear();
        assert!(e.is_empty() && e.position == Position::Unknown && e.product.is_none());
        e.insert("EventID", FieldValue::Int(2));
        e.insert("CommandLine", FieldValue::from("y"));
        assert_eq!(
            e.field_at(0).unwrap().0.as_ptr(),
            kept,
            "the same name kept"
        );
        assert_eq!(
            e.fields().collect::<Vec<_>>(),
            [
                ("EventID", &FieldValue::Int(2)),
                ("CommandLine", &FieldValue::from("y"))
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

    #[test]
    fn record_id_comes_from_position_or_field() {
        let mut e = Event::new("x");
        e.insert("EventRecordID", FieldValue::from("42"));
        assert_eq!(e.record_id(), Some(42));
        e.position = Position::Record(7);
        assert_eq!(e.record_id(), Some(7));
    }
}
