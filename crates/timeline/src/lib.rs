//! The forensic timeline: one detection per line, sorted by event time, as
//! CSV (for Timeline Explorer and spreadsheets) or JSON lines (for tools).
//!
//! ```
//! use std::sync::Arc;
//! use vigil_event::{Detection, Level};
//! use vigil_timeline::{write_timeline, TimelineFormat};
//!
//! let detection = Detection {
//!     timestamp: None,
//!     computer: Some("WS-01".into()),
//!     channel: Some("Security".into()),
//!     event_id: Some(4625),
//!     record_id: Some(7),
//!     rule_id: Arc::from("r-1"),
//!     rule_title: Arc::from("Failed logon"),
//!     level: Level::Low,
//!     tags: Arc::from(vec![]),
//!     source: Arc::from("Security.evtx"),
//!     details: vec![("TargetUserName".into(), "alice".into())],
//! };
//! let mut out = Vec::new();
//! write_timeline(&mut [detection], TimelineFormat::Jsonl, &mut out).unwrap();
//! assert!(String::from_utf8(out).unwrap().contains(r#""rule_title":"Failed logon""#));
//! ```

use std::io::Write;

use chrono::SecondsFormat;
use vigil_event::{plain_json_text, Detection};

mod sorter;
pub mod spill;

pub use sorter::{Entry, SortKey, TimelineSorter, Written};

/// The columns of the timeline, in order; CSV headers and JSON keys.
pub const COLUMNS: [&str; 11] = [
    "timestamp",
    "computer",
    "channel",
    "event_id",
    "record_id",
    "rule_title",
    "level",
    "rule_id",
    "tags",
    "details",
    "source",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineFormat {
    Csv,
    Jsonl,
}

#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    #[error("cannot write the timeline: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write the timeline as CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// Sorts detections by event time (undated last), then host, record and rule,
/// so that the same input always gives the same timeline.
pub fn sort_detections(detections: &mut [Detection]) {
    detections.sort_by(|a, b| {
        (a.timestamp.is_none(), a.timestamp)
            .cmp(&(b.timestamp.is_none(), b.timestamp))
            .then_with(|| a.computer.cmp(&b.computer))
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.record_id.cmp(&b.record_id))
            .then_with(|| a.rule_title.cmp(&b.rule_title))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
}

/// Sorts and writes a timeline held in memory; [`TimelineSorter`] writes one
/// of any size.
pub fn write_timeline(
    detections: &mut [Detection],
    format: TimelineFormat,
    out: &mut dyn Write,
) -> Result<(), TimelineError> {
    sort_detections(detections);
    if format == TimelineFormat::Csv {
        write_csv_header(out)?;
    }
    let mut line = Vec::with_capacity(1024);
    for d in detections.iter() {
        line.clear();
        render(d, format, &mut line)?;
        out.write_all(&line)?;
    }
    out.flush()?;
    Ok(())
}

/// Writes the CSV header line.
pub fn write_csv_header(out: &mut dyn Write) -> Result<(), TimelineError> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(COLUMNS)?;
    writer.flush()?;
    Ok(())
}

/// Appends one detection as a timeline line (with its line end) to `line`.
pub fn render(
    d: &Detection,
    format: TimelineFormat,
    line: &mut Vec<u8>,
) -> Result<(), TimelineError> {
    match format {
        TimelineFormat::Jsonl => {
            write_json(d, line)?;
            line.push(b'\n');
        }
        TimelineFormat::Csv => {
            let mut writer = csv::WriterBuilder::new()
                .has_headers(false)
                .buffer_capacity(512)
                .from_writer(&mut *line);
            writer.write_record(csv_row(d))?;
            writer.flush()?;
        }
    }
    Ok(())
}

fn timestamp(d: &Detection) -> String {
    d.timestamp
        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

/// Appends a detection as one JSON object with the timeline's columns,
/// written straight from the detection, byte for byte as serde_json writes
/// them (its test compares the two): a detection's details as one object,
/// a name given twice keeping its first place and taking its last value.
pub fn write_json(d: &Detection, out: &mut Vec<u8>) -> Result<(), TimelineError> {
    out.extend_from_slice(b"{\"timestamp\":");
    match d.timestamp {
        Some(_) => json_string(&timestamp(d), out),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"computer\":");
    json_optional(d.computer.as_deref(), out);
    out.extend_from_slice(b",\"channel\":");
    json_optional(d.channel.as_deref(), out);
    out.extend_from_slice(b",\"event_id\":");
    json_number(d.event_id, out);
    out.extend_from_slice(b",\"record_id\":");
    json_number(d.record_id, out);
    out.extend_from_slice(b",\"rule_title\":");
    json_string(&d.rule_title, out);
    out.extend_from_slice(b",\"level\":");
    json_string(d.level.as_str(), out);
    out.extend_from_slice(b",\"rule_id\":");
    json_string(&d.rule_id, out);
    out.extend_from_slice(b",\"tags\":[");
    for (at, tag) in d.tags.iter().enumerate() {
        if at > 0 {
            out.push(b',');
        }
        json_string(tag, out);
    }
    out.extend_from_slice(b"],\"details\":{");
    let mut first = true;
    for (at, (name, value)) in d.details.iter().enumerate() {
        if d.details[..at].iter().any(|(earlier, _)| earlier == name) {
            continue;
        }
        let last = d.details[at..]
            .iter()
            .rev()
            .find(|(later, _)| later == name);
        if !first {
            out.push(b',');
        }
        first = false;
        json_string(name, out);
        out.push(b':');
        json_string(last.map_or(value, |(_, v)| v), out);
    }
    out.extend_from_slice(b"},\"source\":");
    json_string(&d.source, out);
    out.push(b'}');
    Ok(())
}

fn json_optional(text: Option<&str>, out: &mut Vec<u8>) {
    match text {
        Some(text) => json_string(text, out),
        None => out.extend_from_slice(b"null"),
    }
}

fn json_number(number: Option<impl std::fmt::Display>, out: &mut Vec<u8>) {
    match number {
        // Writing to a vector cannot fail.
        Some(number) => {
            let _ = write!(out, "{number}");
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// `text` as a JSON string: quotes, backslashes and control characters
/// escaped, in their short forms where JSON has one; nothing else.
fn json_string(text: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let mut rest = text.as_bytes();
    loop {
        let plain = plain_json_text(rest);
        out.extend_from_slice(&rest[..plain]);
        let Some((&byte, after)) = rest[plain..].split_first() else {
            break;
        };
        rest = after;
        let short = match byte {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let (high, low) = (HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]);
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', high, low]);
                continue;
            }
        };
        out.extend_from_slice(&[b'\\', short]);
    }
    out.push(b'"');
}

fn csv_row(d: &Detection) -> [String; 11] {
    let details = d
        .details
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(" ¦ ");
    [
        timestamp(d),
        d.computer.clone().unwrap_or_default(),
        d.channel.clone().unwrap_or_default(),
        d.event_id.map(|i| i.to_string()).unwrap_or_default(),
        d.record_id.map(|i| i.to_string()).unwrap_or_default(),
        d.rule_title.to_string(),
        d.level.to_string(),
        d.rule_id.to_string(),
        d.tags.join(" "),
        details,
        d.source.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{TimeZone, Utc};
    use vigil_event::Level;

    use super::*;

    fn detection(second: Option<u32>, title: &str) -> Detection {
        Detection {
            timestamp: second.map(|s| Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, s).unwrap()),
            computer: Some("WS-01".into()),
            channel: Some("Security".into()),
            event_id: Some(4688),
            record_id: Some(u64::from(second.unwrap_or(0))),
            rule_id: Arc::from("id"),
            rule_title: Arc::from(title),
            level: Level::High,
            tags: Arc::from(vec!["attack.t1059".to_string()]),
            source: Arc::from("a.evtx"),
            details: vec![("CommandLine".into(), "cmd /c \"x, y\"".into())],
        }
    }

    #[test]
    fn sorted_by_time_with_undated_last() {
        let mut ds = vec![
            detection(None, "c"),
            detection(Some(5), "b"),
            detection(Some(1), "a"),
        ];
        let mut out = Vec::new();
        write_timeline(&mut ds, TimelineFormat::Jsonl, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let titles: Vec<String> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["rule_title"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(titles, vec!["a", "b", "c"]);
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first["timestamp"], "2026-03-02T08:00:01Z");
        assert_eq!(first["details"]["CommandLine"], "cmd /c \"x, y\"");
        assert_eq!(first["tags"][0], "attack.t1059");
    }

    #[test]
    fn csv_has_the_columns_and_quotes_values() {
        let mut ds = vec![detection(Some(1), "a")];
        let mut out = Vec::new();
        write_timeline(&mut ds, TimelineFormat::Csv, &mut out).unwrap();
        let mut reader = csv::Reader::from_reader(out.as_slice());
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            COLUMNS.to_vec()
        );
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[9], "CommandLine: cmd /c \"x, y\"");
        assert_eq!(&row[3], "4688");
    }

    #[test]
    fn a_json_line_has_the_columns_in_order_and_each_detail_once() {
        let mut d = detection(Some(1), "Tab\there \"quoted\" é");
        d.details.push(("Image".into(), "C:\\x.exe".into()));
        d.details.push(("CommandLine".into(), "second".into()));
        let mut line = Vec::new();
        write_json(&d, &mut line).unwrap();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            concat!(
                r#"{"timestamp":"2026-03-02T08:00:01Z","computer":"WS-01","channel":"Security","#,
                r#""event_id":4688,"record_id":1,"rule_title":"Tab\there \"quoted\" é","#,
                r#""level":"high","rule_id":"id","tags":["attack.t1059"],"#,
                r#""details":{"CommandLine":"second","Image":"C:\\x.exe"},"source":"a.evtx"}"#
            )
        );
        let bare = Detection {
            timestamp: None,
            computer: None,
            channel: None,
            event_id: None,
            record_id: None,
            tags: Arc::from(vec![]),
            details: vec![],
            ..detection(None, "t")
        };
        let mut line = Vec::new();
        write_json(&bare, &mut line).unwrap();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            concat!(
                r#"{"timestamp":null,"computer":null,"channel":null,"event_id":null,"#,
                r#""record_id":null,"rule_title":"t","level":"high","rule_id":"id","#,
                r#""tags":[],"details":{},"source":"a.evtx"}"#
            )
        );
    }

    /// The timeline's JSON object as serde_json writes it, its members in
    /// column order: what [`write_json`] must write, byte for byte.
    #[derive(serde::Serialize)]
    struct JsonLine<'a> {
        timestamp: Option<String>,
        computer: Option<&'a str>,
        channel: Option<&'a str>,
        event_id: Option<i64>,
        record_id: Option<u64>,
        rule_title: &'a str,
        level: &'a str,
        rule_id: &'a str,
        tags: &'a [String],
        details: Details<'a>,
        source: &'a str,
    }

    /// A detection's details as one object built member by member: a name
    /// given twice keeps its first place and takes its last value.
    struct Details<'a>(&'a [(String, String)]);

    impl serde::Serialize for Details<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = serializer.serialize_map(None)?;
            for (at, (name, value)) in self.0.iter().enumerate() {
                if self.0[..at].iter().any(|(earlier, _)| earlier == name) {
                    continue;
                }
                let last = self.0[at..].iter().rev().find(|(later, _)| later == name);
                map.serialize_entry(name, last.map_or(value, |(_, v)| v))?;
            }
            map.end()
        }
    }

    fn serde_json_line(d: &Detection) -> Vec<u8> {
        let line = JsonLine {
            timestamp: d.timestamp.map(|_| timestamp(d)),
            computer: d.computer.as_deref(),
            channel: d.channel.as_deref(),
            event_id: d.event_id,
            record_id: d.record_id,
            rule_title: &d.rule_title,
            level: d.level.as_str(),
            rule_id: &d.rule_id,
            tags: &d.tags,
            details: Details(&d.details),
            source: &d.source,
        };
        serde_json::to_vec(&line).unwrap()
    }

    #[test]
    fn a_detection_is_written_as_serde_json_writes_it() {
        // Every character below 0x80, and some past it, in every string.
        let all: String = (0u8..0x80)
            .map(char::from)
            .chain("é€😀\u{2028}".chars())
            .collect();
        let mut detections = vec![
            detection(Some(7), "Failed logon"),
            detection(None, &all),
            Detection {
                timestamp: Some(
                    Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 1).unwrap()
                        + chrono::Duration::nanoseconds(7_295_000),
                ),
                computer: None,
                channel: None,
                event_id: Some(-4625),
                record_id: Some(u64::MAX),
                tags: Arc::from(vec![all.clone(), String::new(), "attack.t1110".into()]),
                source: Arc::from(all.as_str()),
                details: vec![
                    ("B".into(), "1".into()),
                    (all.clone(), all.clone()),
                    ("A".into(), "2".into()),
                    ("B".into(), "3".into()),
                    (String::new(), String::new()),
                    ("B".into(), "4".into()),
                ],
                ..detection(Some(1), "x")
            },
        ];
        detections.push(Detection {
            event_id: None,
            record_id: None,
            tags: Arc::from(vec![]),
            details: vec![],
            ..detections[2].clone()
        });
        for d in &detections {
            let mut written = Vec::new();
            write_json(d, &mut written).unwrap();
            assert_eq!(
                String::from_utf8(written).unwrap(),
                String::from_utf8(serde_json_line(d)).unwrap()
            );
        }
    }
}
