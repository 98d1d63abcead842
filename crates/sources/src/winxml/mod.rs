//! Windows events as XML, each record read into exactly the event its EVTX
//! record gives (see the `record` module):
//!
//! * files of `<Event>` elements: `wevtutil qe LOG /f:xml` (records back to
//!   back, or in an `<Events>` wrapper), Splunk's `XmlWinEventLog` raw events
//!   (one per line, or across lines), `Get-WinEvent`'s `ToXml()`; plain,
//!   gzip, UTF-8 or UTF-16 with its byte order mark (PowerShell's `>`);
//! * a Splunk JSON export, whose `_raw` holds the XML (`{"_raw":"<Event …>",
//!   "host":…}`, or `{"result":{"_raw":…}}` from the REST API), read line by
//!   line with the other JSON;
//! * Sysmon for Linux, whose events are the same XML inside syslog lines
//!   (read by the `syslog` module), as events of product `linux`.
//!
//! Each record is its own document: a damaged one is reported with the line
//! it starts on and skipped, and reading goes on with the next `<Event`.

mod record;
mod split;
mod utf16;

use std::fs::File;
use std::io::{BufReader, Read};

use serde_json::{Map, Value};
use vigil_event::{Event, FieldValue, Position};

use crate::report::Emitter;
use crate::{InputFile, SourceError};

pub(crate) use record::flatten as flatten_record;
use split::{Piece, Splitter};

/// The shape of a file of `<Event>` records.
pub(crate) const SHAPE: &str = "Windows event XML";

/// The shape of a Splunk JSON export's event.
pub(crate) const SPLUNK_SHAPE: &str = "Splunk JSON (_raw XML)";

/// The shape of a Splunk JSON event whose `_raw` XML is damaged: read as
/// generic JSON, and counted apart so that the summary shows it.
pub(crate) const SPLUNK_DAMAGED_SHAPE: &str = "Splunk JSON (_raw XML not well-formed)";

/// The shape of a Sysmon for Linux event.
pub(crate) const SYSMON_FOR_LINUX_SHAPE: &str = "Sysmon for Linux";

const BUFFER: usize = 256 << 10;

pub(crate) fn read(file: &InputFile, out: &mut Emitter) -> Result<(), SourceError> {
    let handle = File::open(&file.path).map_err(|source| SourceError::Open {
        path: file.path.clone(),
        source,
    })?;
    let plain = BufReader::with_capacity(BUFFER, handle);
    if file.gzip {
        let decoder = flate2::read::MultiGzDecoder::new(plain);
        read_stream(utf16::Utf8Reader::new(decoder), file, out)
    } else {
        read_stream(utf16::Utf8Reader::new(plain), file, out)
    }
}

fn read_stream(reader: impl Read, file: &InputFile, out: &mut Emitter) -> Result<(), SourceError> {
    let mut splitter = Splitter::new(reader);
    loop {
        let piece = match splitter.next_piece() {
            Ok(Some(piece)) => piece,
            Ok(None) => return Ok(()),
            Err(source) if splitter.read_nothing() => {
                let path = file.path.clone();
                return Err(if file.gzip {
                    SourceError::Gzip { path, source }
                } else {
                    SourceError::Read { path, source }
                });
            }
            Err(error) => {
                out.skipped(
                    "",
                    format!("reading stopped ({error}); the records before this point were read, the rest of the file was not"),
                );
                return Ok(());
            }
        };
        match piece {
            Piece::Record { line, bytes } => read_record(&bytes, line, out),
            Piece::Unclosed { line } => out.skipped(
                format!("line {line}"),
                "record not well-formed: <Event> has no </Event> before the next record or the end of the file; skipped",
            ),
            Piece::TooLong { line } => out.skipped(
                format!("line {line}"),
                format!(
                    "record longer than {} MiB; skipped (is this really Windows event XML?)",
                    split::MAX_RECORD >> 20
                ),
            ),
            Piece::Stray { line, excerpt } => out.skipped(
                format!("line {line}"),
                format!("text outside any <Event> record, not read: {excerpt:?}"),
            ),
        }
    }
}

fn read_record(bytes: &[u8], line: u64, out: &mut Emitter) {
    let location = || format!("line {line}");
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            out.skipped(
                location(),
                format!(
                    "record not valid UTF-8 at its byte {}; skipped",
                    error.valid_up_to() + 1
                ),
            );
            return;
        }
    };
    let mut event = Event::new(out.source.clone());
    match record::flatten(text, &mut event) {
        Ok(()) => {
            event.position = Position::Line(line);
            event.shape = Some(if event.product == Some("linux") {
                SYSMON_FOR_LINUX_SHAPE
            } else {
                SHAPE
            });
            out.event(event);
        }
        Err(reason) => out.skipped(
            location(),
            format!("record not well-formed XML: {reason}; skipped"),
        ),
    }
}

/// The `_raw` XML of a Splunk JSON event (`{"_raw":…}` or `{"result":{"_raw":…}}`),
/// if `map` is one whose `_raw` is a Windows event.
fn splunk_raw(map: &Map<String, Value>) -> Option<&str> {
    let raw = match map.get("result") {
        Some(Value::Object(result)) => result.get("_raw"),
        _ => map.get("_raw"),
    }?;
    let xml = raw.as_str()?;
    let start = xml.trim_start();
    let start = start.strip_prefix("<?xml").map_or(start, |_| {
        start
            .find("?>")
            .map_or("", |end| start[end + 2..].trim_start())
    });
    start.starts_with("<Event").then_some(xml)
}

/// Fills `event` from a Splunk JSON event whose `_raw` is a Windows event's
/// XML, with that record's fields only (Splunk's `host`, `source`, `_time` …
/// are not the record's); returns whether `map` is such an event.
///
/// When the XML is damaged the object is read as generic JSON, so its text
/// stays searchable, under [`SPLUNK_DAMAGED_SHAPE`]; the JSON reader cannot
/// be told to skip it from here.
pub(crate) fn splunk_json(map: &Map<String, Value>, event: &mut Event) -> bool {
    let Some(xml) = splunk_raw(map) else {
        return false;
    };
    let position = event.position;
    if record::flatten(xml, event).is_ok() {
        event.shape = Some(SPLUNK_SHAPE);
        return true;
    }
    event.clear();
    event.position = position;
    for (key, value) in map {
        event.insert(key.as_str(), FieldValue::from_json(value));
    }
    event.shape = Some(SPLUNK_DAMAGED_SHAPE);
    true
}
