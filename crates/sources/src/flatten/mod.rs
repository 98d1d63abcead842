//! Turns a JSON record into an [`Event`]'s flat fields, whatever shape it came in.
//!
//! Shapes are told apart by their keys, never by the file's name, cheapest
//! test first:
//!
//! * a Windows event as the `evtx` crate and `evtx_dump` render it
//!   (`{"Event":{"System":{…},"EventData":{…}}}`), see [`event_xml`];
//! * a Winlogbeat 7+ / Elastic Agent document (`{"winlog":{…}}`), see
//!   [`winlogbeat`];
//! * journald's export (`journalctl -o json`, `{"__CURSOR":…}`), see
//!   [`journald`];
//! * a Winlogbeat 6 document (`event_data`, `log_name`, `computer_name` at
//!   the top), see [`winlogbeat6`];
//! * a Wazuh alert or archive record (`{"data":{"win":{"system":{…}}}}`),
//!   see [`wazuh`];
//! * NXLog's `im_msvistalog` record, as NXLog writes it or as Logstash
//!   passes it on (`Hostname`, `EventID`, `Channel` at the top, the event's
//!   data beside them), see [`nxlog`];
//! * a Zeek record (`_path`, `@stream`, or `ts` with `uid` …), see [`zeek`];
//! * any other object, flattened to dotted keys, see [`dotted`].
//!
//! evtx_dump's records are read in one pass over their text
//! ([`event_xml_stream`]); so are the collectors' shapes and generic JSON,
//! into a list of members the shape then maps ([`members`], [`object_text`]).
//! A record either pass cannot follow, and journald's entries, are parsed
//! into a `serde_json::Value` and flattened by [`object`]: both readings give
//! the same fields in the same order.
//!
//! Every Windows shape gives the fields the EVTX record would have: the
//! `System` fields under their EVTX names (`Computer`, `Provider_Name`,
//! `EventRecordID`, …), the event data under its own names, unnamed values
//! as `Data`, and the time in UTC (see [`windows`]).

mod dotted;
mod event_xml;
mod event_xml_stream;
mod journald;
mod members;
mod nxlog;
mod wazuh;
mod windows;
mod winlogbeat;
mod winlogbeat6;
mod zeek;

use serde_json::{Map, Value};
use vigil_event::{Event, FieldName, FieldValue};

use crate::timestamp;

pub(crate) use dotted::flatten as dotted_fields;
pub(crate) use event_xml::flatten as event_xml;
pub(crate) use event_xml_stream::flatten as event_xml_stream;
pub use windows::canonical_integer;
pub(crate) use windows::finish as finish_windows_event;

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
    } else if crate::winxml::splunk_json(&map, event) {
        // A Splunk export of a Windows event's XML: the call read it.
    } else if winlogbeat::is_shape(&map) {
        winlogbeat::flatten(map, event);
        event.shape = Some(winlogbeat::SHAPE);
    } else if journald::is_shape(&map) {
        journald::flatten(map, event);
        event.shape = Some(journald::SHAPE);
    } else if winlogbeat6::is_shape(&map) {
        winlogbeat6::flatten(map, event);
        event.shape = Some(winlogbeat6::SHAPE);
    } else if wazuh::is_shape(&map) {
        wazuh::flatten(map, event);
        event.shape = Some(wazuh::SHAPE);
    } else if nxlog::is_shape(&map) {
        nxlog::flatten(map, event);
        event.shape = Some(nxlog::SHAPE);
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

/// [`object`] read straight from the object's text in one pass (see
/// [`members`]), for the shapes that have such a reading. An error means the
/// record is to be parsed into a `Value` and given to [`object`]: it is not
/// JSON, or the pass cannot follow it, or its shape has no such reading
/// (evtx_dump's has its own, journald's is read from the `Value`); `event` is
/// then half filled and must be cleared.
pub(crate) fn object_text(text: &str, event: &mut Event) -> Result<(), event_xml_stream::Left> {
    use event_xml_stream::Left;
    let members = members::read(text, event)?;
    let has = |key: &str| members.top(key).is_some();
    if has("Event") || has("System") {
        return Err(Left("an evtx_dump record"));
    }
    // Shapes read from the record's `Value`: a Splunk export's `_raw`
    // XML, and Zeek's logs, whose names the Value path rewrites.
    if has("_raw") || has("result") {
        return Err(Left("a Splunk export"));
    }
    let nested_id = || members.find(&["id", "orig_h"]).is_some();
    if zeek::is_shape_by(&has, nested_id) {
        return Err(Left("a Zeek record"));
    }
    if winlogbeat::is_shape_members(&members) {
        winlogbeat::flatten_members(members, event)?;
        event.shape = Some(winlogbeat::SHAPE);
    } else if has("__REALTIME_TIMESTAMP") || has("__CURSOR") {
        return Err(Left("a journal entry"));
    } else if winlogbeat6::is_shape_members(&members) {
        winlogbeat6::flatten_members(members, event)?;
        event.shape = Some(winlogbeat6::SHAPE);
    } else if wazuh::is_shape_members(&members) {
        wazuh::flatten_members(members, event)?;
        event.shape = Some(wazuh::SHAPE);
    } else if nxlog::is_shape_members(&members) {
        nxlog::flatten_members(members, event)?;
        event.shape = Some(nxlog::SHAPE);
    } else {
        members.rest_dotted(event);
        event.timestamp = TIME_KEYS
            .iter()
            .find_map(|key| event.get(key).and_then(timestamp::parse));
        event.shape = Some(GENERIC_SHAPE);
    }
    Ok(())
}

/// Converts a leaf value, moving its strings rather than copying them.
pub(crate) fn field_value(value: Value) -> FieldValue {
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
pub(crate) fn is_windows_id(name: &impl FieldName) -> bool {
    WINDOWS_IDS.iter().any(|id| name.is(id))
}

/// [`windows_field`] for a value already converted.
pub(crate) fn windows_id(name: &str, value: FieldValue) -> FieldValue {
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
pub(crate) fn id_value(value: FieldValue) -> FieldValue {
    match &value {
        FieldValue::Str(s) => id_of(s).map_or(value, FieldValue::Int),
        _ => value,
    }
}
