//! Zeek's tab-separated logs, written here: typed by their headers, several
//! blocks in one file, escapes undone, damage reported by line and never
//! fatal; and the same record in TSV and JSON read as the same event.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use vigil_event::{Event, FieldValue, Position};
use vigil_sigma::{RuleSetBuilder, RuleSetOptions};
use vigil_sources::{
    discover, parse_json_line, read_file, FileReport, Format, IssueKind, SourceIssue,
};

/// Two logs concatenated, as `cat conn.log smb_files.log` gives them, with a
/// damaged line in each and a record after the last footer.
const CONCATENATED: &str = concat!(
    "#separator \\x09\n",
    "#set_separator\t,\n",
    "#empty_field\t(empty)\n",
    "#unset_field\t-\n",
    "#path\tdns\n",
    "#open\t2020-05-01-07-00-00\n",
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\trcode\tZ\tanswers\tTTLs\trejected\n",
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tcount\tcount\tvector[string]\tvector[interval]\tbool\n",
    // 9: every kind of value.
    "1588316619.797806\tC1\t10.0.1.5\t55979\t10.0.0.4\t53\tudp\tx.example\t0\t0\ta.example,1.2.3.4\t60.000000,30.000000\tF\n",
    // 10: unset and empty values.
    "1588316620.500000\tC2\t10.0.1.5\t55980\t10.0.0.4\t53\tudp\t-\t-\t0\t(empty)\t(empty)\tT\n",
    // 11: one value short.
    "1588316621.000000\tC3\t10.0.1.5\t55981\t10.0.0.4\t53\tudp\ty.example\t0\t0\t-\t-\n",
    // 12: a count that is not one: read, the value kept as text.
    "1588316622.000000\tC4\t10.0.1.5\t55982\t10.0.0.4\t53\tudp\tz.example\tNaN\t0\t-\t-\tF\n",
    "#close\t2020-05-01-08-00-00\n",
    // 14: after the footer, no block.
    "1588316623.000000\tC5\t10.0.1.5\t55983\t10.0.0.4\t53\tudp\tw.example\t0\t0\t-\t-\tF\n",
    "#separator \\x09\n",
    "#set_separator\t,\n",
    "#empty_field\t(empty)\n",
    "#unset_field\t-\n",
    "#path\tsmb_files\n",
    "#fields\tts\tuid\tid.orig_h\tid.resp_h\taction\tpath\tname\tsize\ttimes.modified\n",
    "#types\ttime\tstring\taddr\taddr\tenum\tstring\tstring\tcount\ttime\n",
    // 22: Zeek's escapes of `\`, of the separators and of a lone `-`.
    "1588316624.000000\tC6\t10.0.1.5\t10.0.0.9\tSMB::FILE_OPEN\t\\x5c\\x5c*\\x5cIPC$\tatsvc\t0\t-\n",
    "1588316625.000000\tC7\t10.0.1.5\t10.0.0.9\t\\x2d\t\\x5c\\x5cdc\\x5cC$\ta\\x09b\\x2cc\t0\t1588316000.000000\n",
    "#close\t2020-05-01-08-00-00\n",
);

struct Read {
    report: FileReport,
    events: Vec<Event>,
    issues: Vec<SourceIssue>,
}

fn read_text(folder: &Path, name: &str, bytes: &[u8]) -> Read {
    let path = folder.join(name);
    std::fs::write(&path, bytes).unwrap();
    let (files, issues) = discover(&[path]);
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(files[0].format, Format::ZeekTsv);
    let (mut events, mut issues) = (Vec::new(), Vec::new());
    let report = read_file(&files[0], &mut |e| events.push(e), &mut |i| issues.push(i)).unwrap();
    Read {
        report,
        events,
        issues,
    }
}

fn text<'e>(event: &'e Event, name: &str) -> Option<&'e str> {
    event.get(name).and_then(FieldValue::as_str)
}

fn list(items: &[&str]) -> FieldValue {
    FieldValue::List(items.iter().map(|&i| FieldValue::from(i)).collect())
}

#[test]
fn blocks_types_marks_and_escapes_are_read() {
    let folder = tempfile::tempdir().unwrap();
    let read = read_text(folder.path(), "concatenated.log", CONCATENATED.as_bytes());
    let lines: Vec<_> = read.events.iter().map(|e| e.position).collect();
    assert_eq!(lines, [9, 10, 12, 22, 23].map(Position::Line));
    assert_eq!(
        (read.report.events, read.report.skipped, read.report.suspect),
        (5, 2, 1)
    );
    let issues: Vec<_> = read
        .issues
        .iter()
        .map(|i| (i.location.as_str(), i.kind))
        .collect();
    assert_eq!(
        issues,
        [
            ("line 11", IssueKind::Skipped),
            ("line 12", IssueKind::Suspect),
            ("line 14", IssueKind::Skipped),
        ]
    );
    assert!(
        read.issues[0]
            .reason
            .contains("12 values for the 13 fields"),
        "{}",
        read.issues[0]
    );
    assert!(
        read.issues[1].reason.contains("rcode"),
        "{}",
        read.issues[1]
    );
    assert!(
        read.issues[2].reason.contains("outside a header block"),
        "{}",
        read.issues[2]
    );
    assert!(read.issues[0]
        .to_string()
        .contains("concatenated.log: line 11: "));

    let [full, unset, kept, pipe, share] = &read.events[..] else {
        panic!("{:?}", read.events)
    };
    for event in &read.events {
        assert_eq!(
            (event.product, event.shape),
            (Some("zeek"), Some("Zeek TSV"))
        );
    }
    assert_eq!(full.channel(), Some("dns"));
    assert_eq!(full.timestamp.unwrap().timestamp_micros(), 1588316619797806);
    assert_eq!(full.get("ts"), Some(&FieldValue::Float(1588316619.797806)));
    assert_eq!(full.get("id.resp_p"), Some(&FieldValue::Int(53)));
    assert_eq!(full.get("rcode"), Some(&FieldValue::Int(0)));
    assert_eq!(full.get("answers"), Some(&list(&["a.example", "1.2.3.4"])));
    assert_eq!(
        full.get("TTLs"),
        Some(&FieldValue::List(vec![
            FieldValue::Float(60.0),
            FieldValue::Float(30.0)
        ]))
    );
    assert_eq!(full.get("rejected"), Some(&FieldValue::Bool(false)));

    assert_eq!(unset.get("query"), None);
    assert_eq!(unset.get("rcode"), None);
    assert_eq!(unset.get("answers"), Some(&FieldValue::List(Vec::new())));
    assert_eq!(unset.get("rejected"), Some(&FieldValue::Bool(true)));
    assert_eq!(text(kept, "rcode"), Some("NaN"));

    assert_eq!(pipe.channel(), Some("smb_files"));
    assert_eq!(text(pipe, "path"), Some(r"\\*\IPC$"));
    assert_eq!(pipe.get("times.modified"), None);
    assert_eq!(
        text(share, "name"),
        Some(r"a\x09b,c"),
        "a tab stays as Zeek's JSON writes it"
    );
    assert_eq!(
        text(share, "action"),
        Some("-"),
        "an escaped `-` is a value, not unset"
    );
    assert_eq!(
        share.get("times.modified"),
        Some(&FieldValue::Float(1588316000.0))
    );
}

/// The file's name says the log when no `#path` does; gzip is read too.
#[test]
fn without_path_the_file_name_says_the_log() {
    let folder = tempfile::tempdir().unwrap();
    let text = "#separator \\x09\n#fields\tts\tuid\tquery\n#types\ttime\tstring\tstring\n1.5\tC1\tx.example\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
    let read = read_text(
        folder.path(),
        "dns.09:00:00-10:00:00.log.gz",
        &gz.finish().unwrap(),
    );
    assert_eq!(read.events.len(), 1);
    assert_eq!(read.events[0].channel(), Some("dns"));
    assert!(read.issues.is_empty());
}

/// The record read from TSV is the record read from Zeek's JSON and from
/// the JSON-streaming shape, but for the fields that name the log.
#[test]
fn tsv_and_json_give_the_same_event() {
    let folder = tempfile::tempdir().unwrap();
    let tsv = read_text(folder.path(), "concatenated.log", CONCATENATED.as_bytes());
    let json = r#"{"_path":"dns","ts":1588316619.797806,"uid":"C1","id.orig_h":"10.0.1.5","id.orig_p":55979,"id.resp_h":"10.0.0.4","id.resp_p":53,"proto":"udp","query":"x.example","rcode":0,"Z":0,"answers":["a.example","1.2.3.4"],"TTLs":[60.0,30.0],"rejected":false}"#;
    let streaming = r#"{"@stream":"dns","@system":"nsm","@proc":"zeek","ts":1588316619.797806,"uid":"C1","id_orig_h":"10.0.1.5","id_orig_p":55979,"id_resp_h":"10.0.0.4","id_resp_p":53,"proto":"udp","query":"x.example","rcode":0,"Z":0,"answers":["a.example","1.2.3.4"],"TTLs":[60.0,30.0],"rejected":false}"#;
    let fields = |event: &Event| -> BTreeMap<String, FieldValue> {
        event
            .fields()
            .filter(|(name, _)| !name.starts_with('_') && !name.starts_with('@'))
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect()
    };
    let expected = fields(&tsv.events[0]);
    assert_eq!(expected.len(), 14, "{expected:?}");
    for line in [json, streaming] {
        let event = parse_json_line(line, Arc::from("x.json"), Position::Line(1)).unwrap();
        assert_eq!(fields(&event), expected, "{line}");
        assert_eq!(
            (event.timestamp, event.product),
            (tsv.events[0].timestamp, Some("zeek"))
        );
    }
}

/// SigmaHQ's Zeek rules match TSV records: the path `\\*\IPC$` of a named
/// pipe no filter names, on `smb_files`. (The ATSVC rule's `'\\\*\IPC$'`
/// is `\*\IPC$` with one leading backslash, which Zeek never writes.)
#[test]
fn zeek_rules_match_tsv_records() {
    let Some(zeek_rules) = vigil_testdata::shared_dir("sigma/rules/network/zeek") else {
        return;
    };
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_path(&zeek_rules);
    let (rules, report) = builder.build();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let folder = tempfile::tempdir().unwrap();
    let read = read_text(folder.path(), "concatenated.log", CONCATENATED.as_bytes());
    let mut found = Vec::new();
    for event in &read.events {
        let mut out = Vec::new();
        rules.detect(event, &mut out);
        found.extend(out.iter().map(|d| (event.position, d.rule_id.to_string())));
    }
    assert_eq!(
        found,
        [(
            Position::Line(22),
            "021310d9-30a6-480a-84b7-eaa69aeb92bb".to_string()
        )]
    );
}

/// A small deterministic generator for the property tests.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Bytes that mean something to the formats: where damage hurts most.
const TELLING: &[u8] = b"\t\n#\\x-,{}[]\":0T(\xff\xc3";

fn mutate(bytes: &[u8], random: &mut XorShift) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    for _ in 0..=random.below(6) {
        let at = random.below(bytes.len() + 1);
        match random.below(5) {
            0 => bytes.truncate(at),
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            2 if at < bytes.len() => bytes[at] = TELLING[random.below(TELLING.len())],
            3 if at < bytes.len() => bytes[at] = random.next() as u8,
            _ => bytes.insert(at, TELLING[random.below(TELLING.len())]),
        }
    }
    bytes
}

/// Mutated TSV files (headers and records alike) are read to their end:
/// no panic, every problem an issue naming its line, every line at most
/// one event.
#[test]
fn mutated_tsv_never_panics() {
    let folder = tempfile::tempdir().unwrap();
    let mut random = XorShift(0x5eed_2eec);
    for round in 0..400 {
        let mut bytes = b"#separator \\x09\n".to_vec();
        bytes.extend(mutate(&CONCATENATED.as_bytes()[16..], &mut random));
        let path = folder.path().join("mutated.log");
        std::fs::write(&path, &bytes).unwrap();
        let (files, _) = discover(&[path]);
        let (mut events, mut issues) = (Vec::new(), Vec::new());
        let report = read_file(&files[0], &mut |e| events.push(e), &mut |i| issues.push(i))
            .unwrap_or_else(|error| panic!("round {round}: {error}"));
        let lines = bytes.split(|&b| b == b'\n').count() as u64;
        assert!(report.events + report.skipped <= lines, "round {round}");
        assert!(
            issues.iter().all(|i| i.location.starts_with("line ")),
            "round {round}: {issues:?}"
        );
        assert!(
            events.iter().all(|e| e.product == Some("zeek")),
            "round {round}"
        );
    }
}

/// Mutated Zeek JSON lines, both shapes: an event or a reason, never a panic.
#[test]
fn mutated_json_lines_never_panic() {
    let lines = [
        r#"{"_path":"smb_files","ts":"2018-03-24T17:15:54.600639Z","uid":"C6","id.orig_h":"10.128.0.214","id.resp_p":445,"action":"SMB::FILE_OPEN","name":"\\svcctl","times.modified":"2018-03-24T17:19:18.111192Z"}"#,
        r#"{"@stream":"dns","@system":"nsm","ts":1588316619.797806,"uid":"C1","id_orig_h":"10.0.1.5","id_resp_p":53,"answers":["a","b"],"TTLs":[60.0],"rejected":false}"#,
        r#"{"ts":1521911720.5,"uid":"C1","id":{"orig_h":"10.0.0.1","resp_p":22}}"#,
    ];
    let mut random = XorShift(0xdead_beef);
    let (mut events, mut reasons) = (0, 0);
    for round in 0..3000 {
        let bytes = mutate(lines[round % lines.len()].as_bytes(), &mut random);
        let text = String::from_utf8_lossy(&bytes);
        match parse_json_line(&text, Arc::from("all.json"), Position::Line(1)) {
            Ok(_) => events += 1,
            Err(reason) => {
                assert!(!reason.is_empty());
                reasons += 1;
            }
        }
    }
    assert!(
        events > 100 && reasons > 100,
        "{events} events, {reasons} reasons"
    );
}
