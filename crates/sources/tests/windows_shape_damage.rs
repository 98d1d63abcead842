//! Damaged lines of every Windows JSON shape: no mutation of a valid line,
//! of its bytes or of its structure, panics the reader, and a file of them
//! names each line it skips and reads the rest.

use std::sync::Arc;

use serde_json::Value;
use vigil_event::Position;
use vigil_sources::{parse_json_line, read_file, Format, InputFile, SourceIssue};

/// One valid line of each shape, with the fields each shape's reader maps.
const LINES: [(&str, &str); 5] = [
    (
        "Winlogbeat 6",
        r#"{"@timestamp":"2019-05-18T20:19:20.068Z","event_id":5156,"log_name":"Security","computer_name":"HR001.shire.com","source_name":"Microsoft-Windows-Security-Auditing","record_number":"277625","process_id":4,"thread_id":1668,"version":1,"level":"Information","user":{"identifier":"S-1-5-18"},"event_data":{"ProcessID":"5452","DestPort":"443","param1":"x"},"beat":{"hostname":"WEC"}}"#,
    ),
    (
        "Winlogbeat / Elastic Agent (ECS)",
        r#"{"@timestamp":"2021-12-04T21:19:16.741Z","event":{"code":"4624"},"host":{"name":"ws1"},"winlog":{"event_id":"4624","channel":"Security","computer_name":"ws1.corp","provider_name":"Microsoft-Windows-Security-Auditing","record_id":1234,"version":2,"process":{"pid":600,"thread":{"id":700}},"event_data":{"LogonType":"3","TargetUserName":"bob","param1":"a"}}}"#,
    ),
    (
        "NXLog JSON",
        r#"{"EventTime":"2020-06-09 22:50:54","EventReceivedTime":"2020-06-09 22:50:56","@timestamp":"2020-06-10T02:50:56.537Z","Hostname":"WORKSTATION6","SourceName":"Microsoft-Windows-Sysmon","EventID":13,"Channel":"Microsoft-Windows-Sysmon/Operational","RecordNumber":713650,"Keywords":-9223372036854775808,"ProcessID":3500,"SourceModuleType":"im_msvistalog","EventType":"SetValue","EventTypeOrignal":"INFO","Image":"C:\\x.exe","Source Name":"AMSI"}"#,
    ),
    (
        "NXLog JSON",
        r#"{"SourceName":"Microsoft-Windows-Security-Auditing","Level":"0","Keywords":"0x8020000000000000","Channel":"Security","Hostname":"pedro","TimeCreated":"2022-08-18T06:55:57.789Z","EventID":4703,"Task":"13317","ProcessId":"0x4d8"}"#,
    ),
    (
        "Wazuh",
        r#"{"timestamp":"2021-03-01T10:00:05.000+0000","rule":{"level":3},"agent":{"name":"WIN10"},"data":{"win":{"system":{"providerName":"Microsoft-Windows-Sysmon","eventID":"1","systemTime":"2021-03-01T10:00:00.1234567Z","eventRecordID":"12345","channel":"Microsoft-Windows-Sysmon/Operational","computer":"WIN10"},"eventdata":{"image":"C:\\x.exe","auditPolicyChangesId":"%%8449","categoryId":"%%8274","data":"a, b"},"logFileCleared":{"subjectUserName":"bob"}}}}"#,
    ),
];

/// A deterministic xorshift, so a failure is the same on every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn parse(text: &str) -> Result<(), String> {
    parse_json_line(text, Arc::from("damaged.json"), Position::Line(1)).map(|_| ())
}

#[test]
fn every_shape_reads_as_its_shape() {
    for (shape, line) in LINES {
        let event = parse_json_line(line, Arc::from("x.json"), Position::Line(1)).unwrap();
        assert_eq!(event.shape, Some(shape), "{line}");
        assert_eq!(event.product, Some("windows"), "{line}");
        assert!(
            event.computer().is_some() && event.event_id().is_some(),
            "{line}"
        );
        assert!(event.timestamp.is_some(), "{line}");
    }
}

/// Truncations at every byte, and random byte changes, of each shape's line.
#[test]
fn mutated_bytes_never_panic() {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let alphabet = b"{}[]\":,0123456789-.eE \\ntruefalsnul\x00\xff\xc3";
    for (_, line) in LINES {
        for end in 0..line.len() {
            if let Some(part) = line.get(..end) {
                assert!(parse(part).is_err() || part.trim_end().ends_with('}'));
            }
        }
        for _ in 0..3000 {
            let mut bytes = line.as_bytes().to_vec();
            for _ in 0..1 + random.below(4) {
                let at = random.below(bytes.len());
                let byte = alphabet[random.below(alphabet.len())];
                match random.below(3) {
                    0 => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            if let Ok(text) = std::str::from_utf8(&bytes) {
                let _ = parse(text);
            }
        }
    }
}

/// Any value of a valid line replaced by a value of another kind: a number
/// for a name, an object for an ID, a list for a time.
#[test]
fn mutated_structure_never_panics() {
    let mut random = Random(0x2545_f491_4f6c_dd1d);
    let replacements = [
        "null",
        "true",
        "-1",
        "1e300",
        "18446744073709551615",
        "\"\"",
        "\"-\"",
        "\"2020-13-45 99:99:99\"",
        "[]",
        "{}",
        "[1,\"a\",{}]",
        "{\"a\":{\"b\":[]}}",
    ];
    for (_, line) in LINES {
        let original: Value = serde_json::from_str(line).unwrap();
        let leaves = count(&original);
        for _ in 0..2000 {
            let mut value = original.clone();
            for _ in 0..1 + random.below(3) {
                let target = random.below(leaves);
                let with: Value =
                    serde_json::from_str(replacements[random.below(replacements.len())]).unwrap();
                replace(&mut value, &mut { target }, with);
            }
            let text = value.to_string();
            // An object stays an object: it must read as an event.
            let read = parse(&text);
            assert!(read.is_ok() || !value.is_object(), "{text}: {read:?}");
        }
    }
}

/// How many values `value` holds, itself included.
fn count(value: &Value) -> usize {
    1 + match value {
        Value::Object(map) => map.values().map(count).sum(),
        Value::Array(items) => items.iter().map(count).sum(),
        _ => 0,
    }
}

/// Replaces the `target`-th value (depth first) with `with`.
fn replace(value: &mut Value, target: &mut usize, with: Value) -> bool {
    if *target == 0 {
        *value = with;
        return true;
    }
    *target -= 1;
    let children: Vec<&mut Value> = match value {
        Value::Object(map) => map.values_mut().collect(),
        Value::Array(items) => items.iter_mut().collect(),
        _ => return false,
    };
    for child in children {
        if replace(child, target, with.clone()) {
            return true;
        }
    }
    false
}

/// A file mixing every shape with damaged lines: each damaged line is
/// reported by number, every other line is read.
#[test]
fn damaged_lines_are_named_and_the_rest_read() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("collected.json");
    let mut text = String::new();
    for (_, line) in LINES {
        text.push_str(line);
        text.push('\n');
        text.push_str(&line[..line.len() / 2]);
        text.push('\n');
    }
    std::fs::write(&path, &text).unwrap();
    let file = InputFile {
        path: path.clone(),
        format: Format::JsonLines,
        gzip: false,
        size: text.len() as u64,
    };
    let (mut events, mut issues) = (Vec::new(), Vec::<SourceIssue>::new());
    let report = read_file(&file, &mut |e| events.push(e), &mut |i| issues.push(i)).unwrap();
    assert_eq!((report.events, report.skipped), (5, 5));
    let lines: Vec<_> = issues.iter().map(|i| i.location.as_str()).collect();
    assert_eq!(lines, ["line 2", "line 4", "line 6", "line 8", "line 10"]);
    assert!(issues.iter().all(|i| i.file == path));
    assert!(issues[0]
        .to_string()
        .contains("collected.json: line 2: invalid JSON"));
    assert!(events.iter().all(|e| e.product == Some("windows")));
}
