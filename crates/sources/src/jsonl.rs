//! JSON-lines files, plain or gzip: each line one JSON object, each object one event.

use std::sync::Arc;

use serde_json::Value;
use vigil_event::{Event, Position};

use crate::report::Emitter;
use crate::{flatten, lines, InputFile, Mappings, SourceError};

pub(crate) fn read(file: &InputFile, out: &mut Emitter) -> Result<(), SourceError> {
    lines::read(file, "JSON-lines", out, &mut read_line)
}

fn read_line(bytes: &[u8], number: u64, out: &mut Emitter) {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let location = || format!("line {number}");
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let column = error.valid_up_to() + 1;
            out.skipped(location(), format!("not valid UTF-8 at byte {column}"));
            return;
        }
    };
    let mut event = Event::new(out.source.clone());
    let parsed = parse_line_mapped(text, Position::Line(number), out.mappings, &mut event);
    match parsed.map(|()| event) {
        Ok(event) => out.event(event),
        Err(reason) => out.skipped(location(), reason),
    }
}

/// One JSON line (evtx_dump shape, Winlogbeat/ECS or a flat object) as an
/// event read from `source` at `position`; the reason when it is not one.
pub fn parse_line(text: &str, source: Arc<str>, position: Position) -> Result<Event, String> {
    let mut event = Event::new(source);
    parse_line_into(text, position, &mut event)?;
    Ok(event)
}

/// [`parse_line`] into an event already made, from its source, which is
/// emptied first ([`Event::clear`]): a stream read line after line into one
/// event spares most of the allocations of a new one.
pub fn parse_line_into(text: &str, position: Position, event: &mut Event) -> Result<(), String> {
    parse_line_mapped(text, position, Mappings::none(), event)
}

/// [`parse_line_into`], trying the shapes the user described in `mappings`
/// before Vigil's own.
pub fn parse_line_mapped(
    text: &str,
    position: Position,
    mappings: &Mappings,
    event: &mut Event,
) -> Result<(), String> {
    event.clear();
    if !mappings.is_empty() {
        return parse_value(text, position, mappings, event);
    }
    // evtx_dump's shape is flattened while it is parsed, without a `Value`;
    // a line that pass cannot take is parsed into a `Value` below.
    if is_event_xml(text) {
        if flatten::event_xml_stream(text, event).is_ok() {
            event.position = position;
            event.shape = Some(flatten::EVTX_DUMP_SHAPE);
            return Ok(());
        }
        event.clear();
    } else if !is_journal_entry(text) && flatten::object_text(text, event).is_ok() {
        event.position = position;
        return Ok(());
    } else {
        event.clear();
    }
    parse_value(text, position, mappings, event)
}

/// A line parsed into a `Value` and flattened by the first shape that
/// takes it.
fn parse_value(
    text: &str,
    position: Position,
    mappings: &Mappings,
    event: &mut Event,
) -> Result<(), String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => {
            event.position = position;
            if let Err(map) = mappings.apply(map, event) {
                flatten::object(map, event);
            }
            Ok(())
        }
        Ok(other) => Err(format!(
            "expected a JSON object, found {}",
            json_kind(&other)
        )),
        Err(error) => Err(json_error(&error)),
    }
}

/// Whether a line starts as `{"Event":` does.
fn is_event_xml(text: &str) -> bool {
    text.trim_start()
        .strip_prefix('{')
        .is_some_and(|rest| rest.trim_start().starts_with("\"Event\""))
}

/// Whether a line starts as journald's export does (`{"__CURSOR":…`): its
/// entries are read from a `Value`, so the one pass is not tried on them.
fn is_journal_entry(text: &str) -> bool {
    text.trim_start()
        .strip_prefix('{')
        .is_some_and(|rest| rest.trim_start().starts_with("\"__"))
}

/// serde_json's message without its "line 1", which would contradict the
/// issue's own line number.
fn json_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    match message.strip_suffix(&position) {
        Some(what) => format!("invalid JSON at column {}: {what}", error.column()),
        None => format!("invalid JSON: {message}"),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::Path;

    use flate2::write::GzEncoder;
    use flate2::Compression;
    use vigil_event::FieldValue;

    use super::*;
    use crate::{read_file, FileReport, Format, SourceIssue};

    struct Read {
        result: Result<FileReport, SourceError>,
        events: Vec<Event>,
        issues: Vec<String>,
    }

    fn read_bytes(name: &str, bytes: &[u8], gzip: bool) -> Read {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let file = InputFile {
            path,
            format: Format::JsonLines,
            gzip,
            size: bytes.len() as u64,
        };
        let (mut events, mut issues) = (Vec::new(), Vec::new());
        let result = read_file(
            &file,
            &mut |event| events.push(event),
            &mut |issue: SourceIssue| issues.push(format!("{}: {}", issue.location, issue.reason)),
        );
        Read {
            result,
            events,
            issues,
        }
    }

    /// Two readings of `line` gave the same event: fields, time, product and
    /// position.
    fn assert_same_event(a: &Event, b: &Event, line: &str) {
        assert_eq!(
            a.fields().collect::<Vec<_>>(),
            b.fields().collect::<Vec<_>>(),
            "{line}"
        );
        assert_eq!(
            (a.timestamp, a.product, a.position),
            (b.timestamp, b.product, b.position),
            "{line}"
        );
    }

    /// The one-pass reading of evtx_dump lines gives what the `Value` walk
    /// gives, and the lines it cannot take still read.
    #[test]
    fn evtx_dump_lines_read_in_one_pass_as_through_a_value() {
        let lines = [
            r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":4625,"TimeCreated":{"#attributes":{"SystemTime":"2026-03-02T08:00:00.000000Z"}},"EventRecordID":7,"Channel":"Security","Computer":"fs-01.clinic.example"},"EventData":{"TargetUserName":"erin","LogonType":3,"IpAddress":"10.0.0.9"}}}"##,
            r##" { "Event" : {"System":{"EventID":"4688","Channel":"Security"},"EventData":{"NewProcessName":"C:\\x.exe","Data":[1,2]}}}"##,
            // A repeated key: the one pass gives way to the Value walk.
            r##"{"Event":{"System":{"EventID":1,"EventID":2,"Channel":"Sysmon"}}}"##,
            r##"{"Event":{"System":{"EventID":1}},"extra":true}"##,
        ];
        for line in lines {
            let source: Arc<str> = Arc::from("x.jsonl");
            let fast = parse_line(line, source.clone(), Position::Line(3)).unwrap();
            let Value::Object(map) = serde_json::from_str::<Value>(line).unwrap() else {
                panic!("an object");
            };
            let mut slow = Event::new(source);
            slow.position = Position::Line(3);
            flatten::object(map, &mut slow);
            assert_same_event(&fast, &slow, line);
        }
        assert!(parse_line(r#"{"Event":{"System":"#, Arc::from("x"), Position::Line(1)).is_err());
    }

    /// Lines read one after another into one event give what each gives
    /// read into a new event: nothing of an earlier line stays, whatever
    /// its shape, and a line that fails leaves the next one whole.
    #[test]
    fn lines_read_into_one_event_are_each_their_own() {
        let lines = [
            r##"{"Event":{"System":{"EventID":4624,"Channel":"Security","Computer":"a"},"EventData":{"TargetUserName":"erin","LogonType":3}}}"##,
            r##"{"Event":{"System":{"EventID":1,"Channel":"Sysmon"},"EventData":{"Image":"C:\\x.exe"}}}"##,
            r##"{"Event":{"System":{"EventID":1,"EventID":2,"Channel":"Sysmon"}}}"##,
            r##"{"Event":{"System":"##,
            r##"{"winlog":{"event_id":4625,"channel":"Security","event_data":{"TargetUserName":"bob"}},"@timestamp":"2026-03-02T08:00:00Z"}"##,
            r##"{"ts":"2026-03-02T08:00:00Z","msg":"flat","n":1}"##,
            r##"{"Event":{"System":{"EventID":4624,"Channel":"Security","Computer":"b"},"EventData":{"TargetUserName":"fay"}}}"##,
        ];
        let mut reused = Event::new("x.jsonl");
        for (number, line) in (1..).zip(lines) {
            let fresh = parse_line(line, Arc::from("x.jsonl"), Position::Line(number));
            let into = parse_line_into(line, Position::Line(number), &mut reused);
            match fresh {
                Ok(fresh) => {
                    assert_eq!(into, Ok(()), "{line}");
                    assert_same_event(&reused, &fresh, line);
                }
                Err(reason) => assert_eq!(into, Err(reason)),
            }
        }
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    const MIXED: &str = concat!(
        "{\"a\":1}\n",
        "\n",
        "   \r\n",
        "{\"a\":2,\n",
        "[1,2]\n",
        "\"text\"\n",
        "{\"a\":3}\r\n",
        "{\"a\":4}",
    );

    #[test]
    fn bad_lines_are_named_and_reading_goes_on() {
        let read = read_bytes("mixed.jsonl", MIXED.as_bytes(), false);
        let report = read.result.unwrap();
        assert_eq!((report.events, report.skipped), (3, 3));
        let lines: Vec<_> = read.events.iter().map(|e| e.position).collect();
        assert_eq!(
            lines,
            [1, 7, 8].map(Position::Line),
            "blank lines are counted but give nothing"
        );
        assert_eq!(
            read.issues,
            [
                "line 4: invalid JSON at column 7: EOF while parsing a value",
                "line 5: expected a JSON object, found an array",
                "line 6: expected a JSON object, found a string",
            ]
        );
    }

    #[test]
    fn invalid_utf8_is_a_skipped_line() {
        let read = read_bytes("bytes.jsonl", b"{\"a\":\"\xff\"}\n{\"a\":1}\n", false);
        assert_eq!(read.result.unwrap().events, 1);
        assert_eq!(read.issues, ["line 1: not valid UTF-8 at byte 7"]);
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        let read = read_bytes("bom.json", b"\xEF\xBB\xBF{\"a\":1}\n", false);
        assert_eq!(read.result.unwrap().events, 1);
    }

    #[test]
    fn zeek_lines_are_zeek_events_dotted_with_their_time() {
        let line = br#"{"ts":1521911720.865716,"uid":"C1","id.orig_h":"10.47.1.100","id":{"resp_p":53},"answers":["a","b"]}"#;
        let read = read_bytes("dns.log", line, false);
        let event = &read.events[0];
        assert_eq!(
            event.get("id.orig_h"),
            Some(&FieldValue::from("10.47.1.100"))
        );
        assert_eq!(event.get("id.resp_p"), Some(&FieldValue::Int(53)));
        assert_eq!(
            event.timestamp.map(|t| t.timestamp_micros()),
            Some(1521911720865716)
        );
        assert_eq!(event.product, Some("zeek"));
        assert_eq!(event.channel(), Some("dns"), "the log the file's name says");
    }

    #[test]
    fn evtx_dump_lines_are_windows_events() {
        let line = concat!(
            r##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"##,
            r##""EventID":4624,"TimeCreated":{"#attributes":{"SystemTime":"2019-03-19T23:34:27.123456Z"}},"EventRecordID":42,"##,
            r##""Channel":"Security","Computer":"dc1"},"EventData":{"TargetUserName":"bob","LogonType":3}}}"##,
        );
        let read = read_bytes("security.jsonl", line.as_bytes(), false);
        let event = &read.events[0];
        assert_eq!(event.event_id(), Some(4624));
        assert_eq!(event.get("LogonType"), Some(&FieldValue::Int(3)));
        assert_eq!(event.position, Position::Line(1));
        assert_eq!(event.record_id(), Some(42));
        assert_eq!(event.product, Some("windows"));
        assert!(event.timestamp.is_some());
    }

    #[test]
    fn generic_time_keys_are_found() {
        for line in [
            r#"{"@timestamp":"2020-01-01T00:00:00Z"}"#,
            r#"{"timestamp":"2020-01-01T00:00:00Z"}"#,
            r#"{"time":1577836800}"#,
            r#"{"UtcTime":"2020-01-01 00:00:00.000"}"#,
        ] {
            let read = read_bytes("t.jsonl", line.as_bytes(), false);
            assert_eq!(
                read.events[0].timestamp.map(|t| t.timestamp()),
                Some(1577836800),
                "{line}"
            );
        }
    }

    #[test]
    fn gzip_is_transparent_and_members_are_joined() {
        let mut bytes = gzip(b"{\"a\":1}\n{\"a\":2}\n");
        bytes.extend(gzip(b"{\"a\":3}\n"));
        let read = read_bytes("x.json.gz", &bytes, true);
        assert_eq!(read.result.unwrap().events, 3);
        assert!(read.issues.is_empty());
    }

    #[test]
    fn a_truncated_gzip_keeps_the_lines_before_the_cut() {
        let text: String = (0..5000).map(|i| format!("{{\"n\":{i}}}\n")).collect();
        let whole = gzip(text.as_bytes());
        let read = read_bytes("cut.jsonl.gz", &whole[..whole.len() / 2], true);
        let report = read.result.unwrap();
        assert!(report.events > 0 && report.events < 5000, "{report:?}");
        assert_eq!(report.skipped, 1);
        assert_eq!(read.issues.len(), 1);
        let expected = format!("line {}: gzip stream is truncated", report.events + 1);
        assert!(read.issues[0].starts_with(&expected), "{}", read.issues[0]);
    }

    #[test]
    fn a_file_that_is_not_gzip_is_an_error() {
        let read = read_bytes("x.json.gz", b"{\"a\":1}\n", true);
        assert!(
            matches!(read.result, Err(SourceError::Gzip { .. })),
            "{:?}",
            read.result
        );
    }

    #[test]
    fn an_overlong_line_is_skipped_without_holding_it() {
        let long = format!("{{\"a\":\"{}\"}}\n", "x".repeat(100));
        let text = format!("{{\"a\":1}}\n{long}{{\"a\":2}}\n{long}");
        let (mut events, mut issues) = (0, Vec::new());
        let (mut on_event, mut on_issue) = (|_| events += 1, |i: SourceIssue| issues.push(i));
        let mut out = Emitter::new(Path::new("long.jsonl"), &mut on_event, &mut on_issue);
        lines::read_lines(
            text.as_bytes(),
            64,
            false,
            "JSON-lines",
            &mut out,
            &mut read_line,
        )
        .unwrap();
        assert_eq!((out.report.events, out.report.skipped), (2, 2));
        drop(out);
        assert_eq!(events, 2);
        assert_eq!(issues[0].location, "line 2");
        assert_eq!(issues[1].location, "line 4");
        // A line of exactly the limit is still read.
        let exact = format!("{{\"a\":\"{}\"}}\n", "x".repeat(64 - 8));
        assert_eq!(exact.len(), 65);
        let mut count = 0;
        let (mut on_event, mut on_issue) = (|_| count += 1, |_| panic!("no issue expected"));
        let mut out = Emitter::new(Path::new("exact.jsonl"), &mut on_event, &mut on_issue);
        lines::read_lines(
            exact.as_bytes(),
            64,
            false,
            "JSON-lines",
            &mut out,
            &mut read_line,
        )
        .unwrap();
        drop(out);
        assert_eq!(count, 1);
    }
}
