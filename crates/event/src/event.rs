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
#[derive(Debug, Clone)]
pub struct Event {
    /// The file (or stream) this event was read from.
    pub source: Arc<str>,
    pub position: Position,
    /// The event's own time, when the record has one.
    pub timestamp: Option<DateTime<Utc>>,
    /// `windows`, `linux`, … when the source knows; rules of another product
    /// are not applied to the event.
    pub product: Option<&'static str>,
    fields: Vec<(Box<str>, FieldValue)>,
}

impl Event {
    pub fn new(source: impl Into<Arc<str>>) -> Self {
        Event {
            source: source.into(),
            position: Position::Unknown,
            timestamp: None,
            product: None,
            fields: Vec::new(),
        }
    }

    /// Adds a field. A later field of the same name does not replace an
    /// earlier one: the first occurrence wins on lookup.
    pub fn insert(&mut self, name: impl Into<Box<str>>, value: FieldValue) {
        self.fields.push((name.into(), value));
    }

    /// Makes room for `additional` more fields, for a source that can tell
    /// about how many a record has.
    pub fn reserve(&mut self, additional: usize) {
        self.fields.reserve(additional);
    }

    /// The value of a field by name: exact match first, then ignoring ASCII case.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.fields
            .iter()
            .find(|(k, _)| &**k == name)
            .or_else(|| {
                self.fields
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
            })
            .map(|(_, v)| v)
    }

    /// The index of a field by name (same lookup as [`Event::get`]), for
    /// callers that cache per-field work.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|(k, _)| &**k == name)
            .or_else(|| {
                self.fields
                    .iter()
                    .position(|(k, _)| k.eq_ignore_ascii_case(name))
            })
    }

    /// The field at an index from [`Event::index_of`] or [`Event::fields`].
    pub fn field_at(&self, index: usize) -> Option<(&str, &FieldValue)> {
        self.fields.get(index).map(|(k, v)| (&**k, v))
    }

    pub fn fields(&self) -> impl Iterator<Item = (&str, &FieldValue)> {
        self.fields.iter().map(|(k, v)| (&**k, v))
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
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

    #[test]
    fn record_id_comes_from_position_or_field() {
        let mut e = Event::new("x");
        e.insert("EventRecordID", FieldValue::from("42"));
        assert_eq!(e.record_id(), Some(42));
        e.position = Position::Record(7);
        assert_eq!(e.record_id(), Some(7));
    }
}
