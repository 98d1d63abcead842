//! Correlation in `hunt`: detections that feed correlation rules are held,
//! with only the event fields those rules read, while the files are swept in
//! parallel; then they are put in one time order across every file and run
//! through the correlation engine. The order is a total one (time, file,
//! record, rule, then where each was found), so the result depends neither
//! on the order the files were named in nor on the number of threads.
//!
//! What is held is sorted through disk beyond a memory budget
//! ([`vigil_timeline::spill`]), so a large estate does not need memory in
//! proportion to its base detections.

use std::io::{self, Read, Write};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use vigil_correlate::{CorrelationSet, Engine, Limits, Stats};
use vigil_event::{Detection, Event, FieldValue, Level, Position};
use vigil_timeline::spill::{self, read_time, time_key, write_time, Sorted, Spill};

/// A base detection kept for the correlation pass, with the part of its
/// event that correlations read. Of the detection only what the engine
/// reads is kept: rule, level, time, host.
pub struct Held {
    key: HeldKey,
    event: Event,
    detection: Detection,
}

/// The correlation pass's order.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub struct HeldKey {
    time: Option<(i64, u32)>,
    source: Arc<str>,
    record_id: Option<u64>,
    rule_id: Arc<str>,
    /// (input file, position among the file's held detections).
    found: (u32, u64),
}

/// Keeps, of the detections `found` for `event` in input file `file`, those
/// some correlation listens to; `next` numbers them within the file.
pub fn hold(
    set: &CorrelationSet,
    event: &Event,
    found: &[Detection],
    (file, next): (u32, &mut u64),
    held: &mut Vec<Held>,
) {
    for detection in found.iter().filter(|d| set.wants(d)) {
        let event = project(event, &set.event_fields(detection));
        let detection = Detection {
            timestamp: detection.timestamp,
            computer: detection.computer.clone(),
            channel: None,
            event_id: None,
            record_id: detection.record_id,
            rule_id: detection.rule_id.clone(),
            rule_title: detection.rule_title.clone(),
            level: detection.level,
            tags: Arc::from(Vec::new()),
            source: detection.source.clone(),
            details: Vec::new(),
        };
        let key = HeldKey {
            time: time_key(event.timestamp.or(detection.timestamp)),
            source: event.source.clone(),
            record_id: event.record_id(),
            rule_id: detection.rule_id.clone(),
            found: (file, *next),
        };
        *next += 1;
        held.push(Held {
            key,
            event,
            detection,
        });
    }
}

/// The event reduced to its source, position, time, host, record id and
/// the named fields.
fn project(event: &Event, fields: &[&str]) -> Event {
    let mut kept = Event::new(event.source.clone());
    kept.position = event.position;
    kept.timestamp = event.timestamp;
    kept.product = event.product;
    for name in ["Computer", "EventRecordID"].iter().chain(fields) {
        if let Some(value) = event.get(name) {
            kept.insert(*name, value.clone());
        }
    }
    kept
}

/// The correlation detections over everything held, in order, and the
/// engine's statistics (groups evicted or events dropped when its limits
/// bit).
pub fn evaluate(
    set: &CorrelationSet,
    held: Sorted<Held>,
    limits: Limits,
) -> io::Result<(Vec<Detection>, Stats)> {
    let mut engine = Engine::new(set, limits);
    let mut fired = Vec::new();
    for h in held {
        let h = h?;
        engine.observe(&h.event, &h.detection, &mut fired);
    }
    let stats = engine.stats();
    engine.finish(&mut fired);
    // Counts of what the limits cost are kept through `finish`, which only
    // drops state; the live figures (groups open) are those before it.
    let mut closing = engine.stats();
    closing.groups = stats.groups;
    closing.events = stats.events;
    Ok((fired, closing))
}

// A held detection on disk: its key, the event's position, time and fields,
// the detection's title, level, host and time. The projected event's product
// is not kept: correlations do not read it.

const HAS_TIME: u8 = 1;
const HAS_RECORD: u8 = 2;
const EVENT_TIME: u8 = 4;
const DETECTION_TIME: u8 = 8;
const HAS_COMPUTER: u8 = 16;

impl Spill for Held {
    type Key = HeldKey;

    fn key(&self) -> &HeldKey {
        &self.key
    }

    fn cost(&self) -> usize {
        // The structs, the field vector and allocator headers, roughly,
        // and the field names and values.
        let fields: usize = self
            .event
            .fields()
            .map(|(name, value)| 48 + name.len() + value_cost(value))
            .sum();
        400 + fields
    }

    fn encode(&self, out: &mut dyn Write) -> io::Result<()> {
        let (key, event, detection) = (&self.key, &self.event, &self.detection);
        let flags = flag(key.time.is_some(), HAS_TIME)
            | flag(key.record_id.is_some(), HAS_RECORD)
            | flag(event.timestamp.is_some(), EVENT_TIME)
            | flag(detection.timestamp.is_some(), DETECTION_TIME)
            | flag(detection.computer.is_some(), HAS_COMPUTER);
        out.write_all(&[flags])?;
        if let Some(time) = key.time {
            write_time(out, time)?;
        }
        spill::write_bytes(out, key.source.as_bytes())?;
        if let Some(record) = key.record_id {
            out.write_all(&record.to_le_bytes())?;
        }
        spill::write_bytes(out, key.rule_id.as_bytes())?;
        out.write_all(&key.found.0.to_le_bytes())?;
        out.write_all(&key.found.1.to_le_bytes())?;
        let (position, at) = match event.position {
            Position::Unknown => (0u8, 0),
            Position::Record(id) => (1, id),
            Position::Line(line) => (2, line),
        };
        out.write_all(&[position])?;
        out.write_all(&at.to_le_bytes())?;
        if let Some(time) = time_key(event.timestamp) {
            write_time(out, time)?;
        }
        out.write_all(&(event.len() as u32).to_le_bytes())?;
        for (name, value) in event.fields() {
            spill::write_bytes(out, name.as_bytes())?;
            write_value(out, value)?;
        }
        spill::write_bytes(out, detection.rule_title.as_bytes())?;
        out.write_all(&[detection.level as u8])?;
        if let Some(time) = time_key(detection.timestamp) {
            write_time(out, time)?;
        }
        if let Some(computer) = &detection.computer {
            spill::write_bytes(out, computer.as_bytes())?;
        }
        Ok(())
    }

    fn decode(input: &mut dyn Read) -> io::Result<Option<Held>> {
        let Some(flags) = spill::read_tag(input)? else {
            return Ok(None);
        };
        let time = if flags & HAS_TIME != 0 {
            Some(read_time(input)?)
        } else {
            None
        };
        let source = spill::read_str(input)?;
        let record_id = if flags & HAS_RECORD != 0 {
            Some(spill::read_u64(input)?)
        } else {
            None
        };
        let rule_id = spill::read_str(input)?;
        let found = (
            u32::from_le_bytes(spill::read_array(input)?),
            spill::read_u64(input)?,
        );
        let [position] = spill::read_array(input)?;
        let at = spill::read_u64(input)?;
        let mut event = Event::new(source.clone());
        event.position = match position {
            1 => Position::Record(at),
            2 => Position::Line(at),
            _ => Position::Unknown,
        };
        if flags & EVENT_TIME != 0 {
            event.timestamp = Some(datetime(read_time(input)?)?);
        }
        let fields = u32::from_le_bytes(spill::read_array(input)?);
        for _ in 0..fields {
            let name = spill::read_string(input)?;
            let value = read_value(input, 0)?;
            event.insert(name, value);
        }
        let rule_title = spill::read_str(input)?;
        let [level] = spill::read_array(input)?;
        let timestamp = if flags & DETECTION_TIME != 0 {
            Some(datetime(read_time(input)?)?)
        } else {
            None
        };
        let computer = if flags & HAS_COMPUTER != 0 {
            Some(spill::read_string(input)?)
        } else {
            None
        };
        let detection = Detection {
            timestamp,
            computer,
            channel: None,
            event_id: None,
            record_id,
            rule_id: rule_id.clone(),
            rule_title,
            level: level_of(level),
            tags: Arc::from(Vec::new()),
            source: source.clone(),
            details: Vec::new(),
        };
        Ok(Some(Held {
            key: HeldKey {
                time,
                source,
                record_id,
                rule_id,
                found,
            },
            event,
            detection,
        }))
    }
}

fn flag(set: bool, bit: u8) -> u8 {
    if set {
        bit
    } else {
        0
    }
}

fn level_of(byte: u8) -> Level {
    match byte {
        1 => Level::Low,
        2 => Level::Medium,
        3 => Level::High,
        4 => Level::Critical,
        _ => Level::Informational,
    }
}

fn datetime((seconds, nanos): (i64, u32)) -> io::Result<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, nanos).ok_or_else(|| corrupt("a time out of range"))
}

fn corrupt(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("a temporary sort file was changed under Vigil ({what})"),
    )
}

fn value_cost(value: &FieldValue) -> usize {
    match value {
        FieldValue::Str(text) => text.len(),
        FieldValue::List(items) => items.iter().map(|v| 32 + value_cost(v)).sum(),
        _ => 0,
    }
}

fn write_value(out: &mut dyn Write, value: &FieldValue) -> io::Result<()> {
    match value {
        FieldValue::Null => out.write_all(&[0]),
        FieldValue::Bool(b) => out.write_all(&[1, u8::from(*b)]),
        FieldValue::Int(i) => {
            out.write_all(&[2])?;
            out.write_all(&i.to_le_bytes())
        }
        FieldValue::Float(f) => {
            out.write_all(&[3])?;
            out.write_all(&f.to_le_bytes())
        }
        FieldValue::Str(text) => {
            out.write_all(&[4])?;
            spill::write_bytes(out, text.as_bytes())
        }
        FieldValue::List(items) => {
            out.write_all(&[5])?;
            out.write_all(&(items.len() as u32).to_le_bytes())?;
            items.iter().try_for_each(|item| write_value(out, item))
        }
    }
}

/// Lists nest no deeper than this in a sort file (events nest far less).
const MAX_DEPTH: usize = 64;

fn read_value(input: &mut dyn Read, depth: usize) -> io::Result<FieldValue> {
    let [tag] = spill::read_array(input)?;
    Ok(match tag {
        0 => FieldValue::Null,
        1 => {
            let [b] = spill::read_array(input)?;
            FieldValue::Bool(b != 0)
        }
        2 => FieldValue::Int(i64::from_le_bytes(spill::read_array(input)?)),
        3 => FieldValue::Float(f64::from_le_bytes(spill::read_array(input)?)),
        4 => FieldValue::Str(spill::read_string(input)?),
        5 if depth < MAX_DEPTH => {
            let count = u32::from_le_bytes(spill::read_array(input)?);
            let mut items = Vec::new();
            for _ in 0..count {
                items.push(read_value(input, depth + 1)?);
            }
            FieldValue::List(items)
        }
        _ => return Err(corrupt("an unknown value")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_detection_reads_back_as_written() {
        let mut event = Event::new("Security.evtx");
        event.position = Position::Record(42);
        event.timestamp = DateTime::from_timestamp(1_700_000_000, 5);
        event.insert("Computer", FieldValue::Str("DC-01".into()));
        event.insert("Count", FieldValue::Int(-3));
        event.insert("Ratio", FieldValue::Float(0.25));
        event.insert("Flag", FieldValue::Bool(true));
        event.insert("Nothing", FieldValue::Null);
        event.insert(
            "Names",
            FieldValue::List(vec![
                FieldValue::Str("a".into()),
                FieldValue::List(vec![FieldValue::Int(1)]),
            ]),
        );
        let held = Held {
            key: HeldKey {
                time: time_key(event.timestamp),
                source: event.source.clone(),
                record_id: Some(42),
                rule_id: Arc::from("rule"),
                found: (3, 9),
            },
            event,
            detection: Detection {
                timestamp: DateTime::from_timestamp(1_700_000_001, 0),
                computer: Some("DC-01".into()),
                channel: None,
                event_id: None,
                record_id: Some(42),
                rule_id: Arc::from("rule"),
                rule_title: Arc::from("Failed logon"),
                level: Level::High,
                tags: Arc::from(Vec::new()),
                source: Arc::from("Security.evtx"),
                details: Vec::new(),
            },
        };
        let mut bytes = Vec::new();
        held.encode(&mut bytes).unwrap();
        let mut input = bytes.as_slice();
        let back = Held::decode(&mut input).unwrap().unwrap();
        assert!(Held::decode(&mut input).unwrap().is_none());
        assert!(back.key == held.key);
        assert_eq!(back.event.position, Position::Record(42));
        assert_eq!(back.event.timestamp, held.event.timestamp);
        assert_eq!(
            format!("{:?}", back.event.fields().collect::<Vec<_>>()),
            format!("{:?}", held.event.fields().collect::<Vec<_>>())
        );
        assert_eq!(back.detection.timestamp, held.detection.timestamp);
        assert_eq!(back.detection.level, Level::High);
        assert_eq!(back.detection.computer.as_deref(), Some("DC-01"));
        assert_eq!(&*back.detection.rule_title, "Failed logon");
        // A damaged file is an error, not a panic.
        bytes.truncate(bytes.len() - 3);
        assert!(Held::decode(&mut bytes.as_slice()).is_err());
    }
}
