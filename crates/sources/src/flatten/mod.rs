//! Turns a JSON record into an [`Event`]'s flat fields, whatever shape it came in.
//!
//! The shapes are told apart by their keys:
//!
//! * a Windows event as the `evtx` crate and `evtx_dump` render it
//!   (`{"Event":{"System":{…},"EventData":{…}}}`), see [`event_xml`];
//! * a Winlogbeat / Elastic Common Schema document (`{"winlog":{…}}`), see
//!   [`winlogbeat`];
//! * a Zeek record (`_path`, `@stream`, or `ts` with `uid` …), see [`zeek`];
//! * any other object, flattened to dotted keys, see [`dotted`].

mod dotted;
mod event_xml;
mod event_xml_stream;
mod winlogbeat;
mod zeek;

use serde_json::{Map, Value};
use vigil_event::{Event, FieldName, FieldValue};

use crate::timestamp;

pub(crate) use event_xml::flatten as event_xml;
pub(crate) use event_xml_stream::flatten as event_xml_stream;

/// Keys that hold an event's own time in generic JSON logs, most specific first.
const TIME_KEYS: [&str; 6] = [
    "@timestamp",
    "timestamp",
    "time",
    "ts",
    "TimeCreated_SystemTime",
    "UtcTime",
];

/// The shape of a Windows event rendered as evtx_dump writes it.
pub(crate) const EVTX_DUMP_SHAPE: &str = "evtx_dump JSON";

/// The shape of JSON whose producer Vigil does not know: its events are of
/// no product, so only rules that name none apply to them.
pub(crate) const GENERIC_SHAPE: &str = "JSON of an unknown shape";

/// Fills `event` from one JSON object of any known shape, and says which
/// shape it was in [`Event::shape`].
pub(crate) fn object(map: Map<String, Value>, event: &mut Event) {
    if event_xml::is_shape(&map) {
        event_xml::flatten(map, event);
        event.shape = Some(EVTX_DUMP_SHAPE);
    } else if winlogbeat::is_shape(&map) {
        winlogbeat::flatten(map, event);
        event.shape = Some(winlogbeat::SHAPE);
    } else if zeek::is_shape(&map) {
        event.shape = Some(zeek::flatten(map, event));
    } else {
        dotted::flatten(map, event);
        event.timestamp = TIME_KEYS
            .iter()
            .find_map(|key| event.get(key).and_then(timestamp::parse));
        event.shape = Some(GENERIC_SHAPE);
    }
}

/// Converts a leaf value, moving its strings rather than copying them.
fn field_value(value: Value) -> FieldValue {
    match value {
        Value::String(s) => FieldValue::Str(s),
        Value::Array(items) => FieldValue::List(items.into_iter().map(field_value).collect()),
        other => FieldValue::from_json(&other),
    }
}

/// A Windows field's value. The IDs some producers write as text
/// (`"EventID":"4624"`) are made numbers, so every source gives the engine the
/// same type; other fields keep what the record said.
fn windows_field(name: &str, value: Value) -> FieldValue {
    windows_id(name, field_value(value))
}

/// The Windows fields whose text is made a number.
const WINDOWS_IDS: [&str; 3] = ["EventID", "EventRecordID", "EventID_Qualifiers"];

/// Whether a Windows field is one of the IDs made numbers.
fn is_windows_id(name: &impl FieldName) -> bool {
    WINDOWS_IDS.iter().any(|id| name.is(id))
}

/// [`windows_field`] for a value already converted.
fn windows_id(name: &str, value: FieldValue) -> FieldValue {
    if !is_windows_id(&name) {
        return value;
    }
    id_value(value)
}

/// The number an ID's text is, if it is one.
fn id_of(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

/// An ID's value: a number, when its text is one.
fn id_value(value: FieldValue) -> FieldValue {
    match &value {
        FieldValue::Str(s) => id_of(s).map_or(value, FieldValue::Int),
        _ => value,
    }
}
