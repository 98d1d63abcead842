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
mod stream;
mod utf16;

use std::fs::File;
use std::io::{BufReader, Read};
use std::sync::Arc;

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
        let decoder = crate::inflate::decoder(plain, crate::inflate::Expansion::DEFAULT);
        read_stream(utf16::Utf8Reader::new(decoder), file, out)
    } else {
        read_stream(utf16::Utf8Reader::new(plain), file, out)
    }
}

fn read_stream(reader: impl Read, file: &InputFile, out: &mut Emitter) -> Result<(), SourceError> {
    let mut splitter = Splitter::new(reader);
    let mut scratch = record::Scratch::default();
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
                let reason = crate::inflate::too_expanded(&error).unwrap_or_else(|| {
                    format!("reading stopped ({error}); the records before this point were read, the rest of the file was not")
                });
                out.skipped("", reason);
                return Ok(());
            }
        };
        match piece {
            Piece::Record { line, range } => {
                read_record(splitter.record_bytes(range), line, &mut scratch, out)
            }
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

/// One `<Event>` record (a line of a followed XmlWinEventLog file, say) as
/// the event read from `source` at `position`; the reason when it is not
/// well-formed.
pub fn parse_record(xml: &str, source: Arc<str>, position: Position) -> Result<Event, String> {
    let mut event = Event::new(source);
    record::flatten(xml, &mut event)
        .map_err(|reason| format!("record not well-formed XML: {reason}"))?;
    event.position = position;
    event.shape = Some(if event.product == Some("linux") {
        SYSMON_FOR_LINUX_SHAPE
    } else {
        SHAPE
    });
    Ok(event)
}

fn read_record(bytes: &[u8], line: u64, scratch: &mut record::Scratch, out: &mut Emitter) {
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
    match record::flatten_reusing(text, &mut event, scratch) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_file, Format, SourceIssue};

    fn read_text(name: &str, bytes: &[u8]) -> (Vec<Event>, Vec<String>) {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let (files, issues) = crate::discover(&[path]);
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(files[0].format, Format::WindowsXml);
        let (mut events, mut problems) = (Vec::new(), Vec::new());
        read_file(&files[0], &mut |e| events.push(e), &mut |i: SourceIssue| {
            problems.push(format!("{}: {}", i.location, i.reason))
        })
        .unwrap();
        (events, problems)
    }

    fn record(id: u32) -> String {
        format!("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>4624</EventID><EventRecordID>{id}</EventRecordID><Channel>Security</Channel><Computer>dc1</Computer></System><EventData><Data Name='TargetUserName'>u{id}</Data></EventData></Event>")
    }

    /// Damaged records are named by the line they start on, and every
    /// record around them is read.
    #[test]
    fn damaged_records_are_named_and_reading_goes_on() {
        let text = [
            record(1),
            record(2).replace("</System>", "</Sys>"),
            record(3),
            record(4)[..90].to_string(),
            record(5).replace("u5", "&bogus;"),
            "garbage between records".to_string(),
            record(6),
        ]
        .join("\n");
        let (events, problems) = read_text("export.log", text.as_bytes());
        let ids: Vec<_> = events.iter().map(|e| e.record_id()).collect();
        assert_eq!(ids, [Some(1), Some(3), Some(6)]);
        assert_eq!(events[1].position, Position::Line(3));
        assert_eq!(events[0].shape, Some(SHAPE));
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(
            problems[0].starts_with("line 2: record not well-formed XML:"),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("line 4: record not well-formed: <Event> has no </Event>"),
            "{problems:?}"
        );
        assert!(
            problems[2].contains("unknown entity &bogus;"),
            "{problems:?}"
        );
        assert!(
            problems[3].starts_with("line 6: text outside any <Event> record"),
            "{problems:?}"
        );
    }

    /// `wevtutil` output redirected by PowerShell: UTF-16 with its mark,
    /// records back to back.
    #[test]
    fn utf16_wevtutil_output_is_read() {
        let text = format!("{}{}", record(1), record(2));
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let (events, problems) = read_text("security.xml", &bytes);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(events.len(), 2);
        assert_eq!(
            events[1].get("TargetUserName"),
            Some(&FieldValue::from("u2"))
        );
    }

    #[test]
    fn splunk_json_events_keep_the_records_fields_only() {
        let xml = record(7);
        let lines = [
            serde_json::json!({"_raw": xml, "host": "fwd", "_time": "2024"}).to_string(),
            serde_json::json!({"result": {"_raw": xml}}).to_string(),
            serde_json::json!({"_raw": "<Event><System>", "host": "fwd"}).to_string(),
            serde_json::json!({"_raw": "plain text", "host": "fwd"}).to_string(),
        ];
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("export.json");
        std::fs::write(&path, lines.join("\n")).unwrap();
        let (files, _) = crate::discover(&[path]);
        let mut events = Vec::new();
        read_file(&files[0], &mut |e| events.push(e), &mut |_| {}).unwrap();
        assert_eq!(events.len(), 4);
        for event in &events[..2] {
            assert_eq!(event.shape, Some(SPLUNK_SHAPE));
            assert_eq!(event.record_id(), Some(7));
            assert_eq!(event.get("host"), None);
            assert_eq!(event.product, Some("windows"));
        }
        assert_eq!(events[2].shape, Some(SPLUNK_DAMAGED_SHAPE));
        assert_eq!(events[2].product, None);
        assert_eq!(events[3].shape, Some(crate::flatten::GENERIC_SHAPE));
    }

    /// Files of records damaged at random places (bytes changed, removed,
    /// inserted, the file cut short) never panic, and every record that
    /// ends before the first damage is read.
    #[test]
    fn damaged_files_never_panic_and_keep_the_records_before_the_damage() {
        let records: Vec<String> = (1..=5).map(record).collect();
        let text = records.join("\n");
        let ends: Vec<usize> = records
            .iter()
            .scan(0, |at, r| {
                *at += r.len() + 1;
                Some(*at - 1)
            })
            .collect();
        let alphabet = b"<>/=\"'&;#Event \n\x00\xff";
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let file = InputFile {
            path: "damaged.xml".into(),
            format: Format::WindowsXml,
            gzip: false,
            size: 0,
        };
        for round in 0..3_000 {
            let mut bytes = text.clone().into_bytes();
            let mut first_damage = bytes.len();
            if round % 4 == 0 {
                first_damage = (next() % bytes.len() as u64) as usize;
                bytes.truncate(first_damage);
            } else {
                for _ in 0..1 + next() % 3 {
                    let at = (next() % bytes.len() as u64) as usize;
                    first_damage = first_damage.min(at);
                    let byte = alphabet[(next() % alphabet.len() as u64) as usize];
                    match next() % 3 {
                        0 => bytes[at] = byte,
                        1 => {
                            bytes.remove(at);
                        }
                        _ => bytes.insert(at, byte),
                    }
                }
            }
            let mut ids = Vec::new();
            let (mut on_event, mut on_issue) = (|e: Event| ids.push(e.record_id()), |_| {});
            let mut out = Emitter::new(
                std::path::Path::new("damaged.xml"),
                &mut on_event,
                &mut on_issue,
            );
            read_stream(utf16::Utf8Reader::new(&bytes[..]), &file, &mut out).unwrap();
            drop(out);
            let intact = ends.iter().filter(|&&end| end < first_damage).count();
            for id in 1..=intact as u64 {
                assert!(
                    ids.contains(&Some(id)),
                    "record {id} lost: {:?}",
                    String::from_utf8_lossy(&bytes)
                );
            }
        }
    }
}
