//! The evidence behind stored detections: a detection read back from its
//! stored JSON, and the raw record it was found in, looked up in the file
//! watch followed (file and line). Files are only ever opened for reading,
//! and only those the store says watch followed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use vigil_event::{Detection, Event, Level, Position};

/// Lines read from one file at most when looking for a record, so a huge
/// file cannot hold a request for long.
const MAX_LINES: u64 = 5_000_000;

/// The files watch followed, as it names them in its store.
pub fn followed_files(db: &Connection) -> rusqlite::Result<Vec<String>> {
    let exists: bool = db.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'positions'",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(Vec::new());
    }
    let mut query = db.prepare_cached("SELECT input FROM positions ORDER BY input")?;
    let rows = query.query_map([], |r| r.get(0))?;
    rows.collect()
}

/// A stored detection's JSON (as `vigil_timeline` writes it).
pub fn stored(db: &Connection, seq: i64) -> rusqlite::Result<Option<(String, serde_json::Value)>> {
    db.query_row(
        "SELECT key, json FROM detections WHERE seq = ?1",
        [seq],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
    )
    .optional()
    .map(|found| {
        found.map(|(key, json)| {
            (
                key,
                serde_json::from_str(&json).unwrap_or(serde_json::Value::Null),
            )
        })
    })
}

/// A detection back from its stored JSON; `None` when the JSON is not one.
pub fn detection(json: &serde_json::Value) -> Option<Detection> {
    let text = |name: &str| json.get(name).and_then(|v| v.as_str()).map(str::to_string);
    let timestamp = text("timestamp").and_then(|t| {
        chrono::DateTime::parse_from_rfc3339(&t)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    });
    Some(Detection {
        timestamp,
        computer: text("computer"),
        channel: text("channel"),
        event_id: json.get("event_id").and_then(|v| v.as_i64()),
        record_id: json.get("record_id").and_then(|v| v.as_u64()),
        rule_id: Arc::from(text("rule_id")?),
        rule_title: Arc::from(text("rule_title")?),
        level: text("level")?.parse::<Level>().ok()?,
        tags: json
            .get("tags")
            .and_then(|t| t.as_array())
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        source: Arc::from(text("source").unwrap_or_default()),
        details: json
            .get("details")
            .and_then(|d| d.as_object())
            .map(|d| {
                d.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// One line of a followed file read as the event watch read it (JSON of
/// any shape, or a Windows event's XML); other lines give `None`.
pub fn event_of_line(text: &str, source: &str, number: u64) -> Option<Event> {
    let start = text.trim_start();
    if start.starts_with('{') {
        let mut event = Event::new(source);
        vigil_sources::parse_json_line_mapped(
            text,
            Position::Line(number),
            vigil_sources::Mappings::none(),
            &mut event,
        )
        .ok()?;
        Some(event)
    } else if start.starts_with("<Event") {
        vigil_sources::parse_event_xml(start, source.into(), Position::Line(number)).ok()
    } else {
        None
    }
}

/// Whether an event is the one a detection was raised on.
pub fn is_behind(event: &Event, d: &Detection) -> bool {
    event.computer() == d.computer.as_deref()
        && event.record_id() == d.record_id
        && event.event_id() == d.event_id
        && (d.timestamp.is_none() || event.timestamp == d.timestamp)
}

/// The raw record behind a detection.
#[derive(Serialize)]
pub struct RawRecord {
    pub file: String,
    pub line: u64,
    pub text: String,
}

/// Looks for the record in the file the detection names, when watch
/// followed that file.
pub fn raw_record(followed: &[String], d: &Detection) -> Option<RawRecord> {
    let file = followed.iter().find(|f| **f == *d.source)?;
    let reader = BufReader::new(std::fs::File::open(Path::new(file)).ok()?);
    // Cheap test first: the record id's digits must be on the line.
    let needle = d.record_id.map(|r| r.to_string());
    for (at, line) in reader.lines().enumerate() {
        let number = at as u64 + 1;
        if number > MAX_LINES {
            break;
        }
        let Ok(text) = line else { continue };
        if needle.as_deref().is_some_and(|n| !text.contains(n)) {
            continue;
        }
        if event_of_line(&text, file, number).is_some_and(|e| is_behind(&e, d)) {
            return Some(RawRecord {
                file: file.clone(),
                line: number,
                text,
            });
        }
    }
    None
}
