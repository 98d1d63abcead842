//! Windows events in the JSON shapes collectors write are the events their
//! EVTX records are: real records from the EVTX corpus, written as
//! Winlogbeat 6, Winlogbeat 8 (ECS), NXLog via Logstash and Wazuh write them
//! (see `shapes/`), read back and hunted with SigmaHQ's Windows rules, raise
//! the same detections as the EVTX files; the Mordor recordings (NXLog and
//! Winlogbeat 6 JSON) raise what the same records in evtx_dump's shape do.
//!
//! The rules and the corpus live outside the repository, in `../shared` next
//! to the workspace, or wherever `VIGIL_SHARED` points.

mod shapes;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;
use vigil_event::{Event, FieldValue};
use vigil_sigma::{RuleSet, RuleSetBuilder, RuleSetOptions};
use vigil_sources::{discover, read_file, Format, InputFile, SourceIssue};

use shapes::Record;

fn shared(part: &str) -> Option<PathBuf> {
    vigil_testdata::shared_dir(part)
}

/// SigmaHQ's `rules/windows`, built once for every test of this file.
fn windows_rules() -> Option<&'static RuleSet> {
    static RULES: OnceLock<Option<RuleSet>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
            builder.add_path(&shared("sigma/rules/windows")?);
            let (rules, report) = builder.build();
            assert!(report.rules > 1500, "{} rules", report.rules);
            Some(rules)
        })
        .as_ref()
}

fn read(file: &InputFile) -> (Vec<Event>, Vec<SourceIssue>) {
    let (mut events, mut issues) = (Vec::new(), Vec::new());
    read_file(file, &mut |e| events.push(e), &mut |i| issues.push(i))
        .unwrap_or_else(|error| panic!("{error}"));
    (events, issues)
}

fn json_file(path: &Path) -> InputFile {
    InputFile {
        path: path.to_path_buf(),
        format: Format::JsonLines,
        gzip: path.extension().is_some_and(|e| e == "gz"),
        size: 0,
    }
}

/// A detection by what identifies it whatever the shape: the rule, the
/// record (its number, or its place in its file) and the host.
type Found = (String, String, String);

fn detections(
    rules: &RuleSet,
    events: &[Event],
    place: impl Fn(&Event) -> String,
) -> BTreeSet<Found> {
    let mut found = BTreeSet::new();
    let mut out = Vec::new();
    for event in events {
        out.clear();
        rules.detect(event, &mut out);
        for detection in &out {
            found.insert((
                detection.rule_id.to_string(),
                place(event),
                detection.computer.clone().unwrap_or_default(),
            ));
        }
    }
    found
}

/// A record's number and the file it came from.
fn record_place(event: &Event) -> String {
    let file = Path::new(&*event.source).file_name().unwrap_or_default();
    let file = file.to_string_lossy();
    format!(
        "{file} #{}",
        event.record_id().map_or("-".into(), |id| id.to_string())
    )
}

/// The corpus EVTX files the shape tests take their records from: every
/// file of these folders.
const EVTX_FOLDERS: [&str; 3] = ["DeepBlueCLI", "EVTX-to-MITRE-Attack", "YamatoSecurity"];

/// Every EVTX record of the corpus folders, by file.
fn evtx_records() -> Option<Vec<(PathBuf, Vec<Event>)>> {
    let mut files = Vec::new();
    for folder in EVTX_FOLDERS {
        let (found, _) = discover(&[shared(&format!("corpus/evtx/{folder}"))?]);
        for file in found.into_iter().filter(|f| f.format == Format::Evtx) {
            let (events, _) = read(&file);
            files.push((file.path.clone(), events));
        }
    }
    Some(files)
}

/// Writes every EVTX record in a shape, one file per EVTX file, reads the
/// files back and checks that each event is its record's, and that the
/// rules find what they find in the EVTX files.
/// `lossy` names, for a collector that drops or changes values, the rules
/// that may fire on its records where they do not on the EVTX ones, and the
/// field whose value it changed: each such detection must be on a record
/// whose field holds a value the collector changes (see `changes`).
fn shape_round_trip(
    shape: &str,
    write: fn(&Record) -> Value,
    lossy: &[(&str, &str)],
    changes: fn(&FieldValue) -> bool,
    not_carried: &[&str],
    case_only: &[&str],
) {
    let (Some(rules), Some(corpus)) = (windows_rules(), evtx_records()) else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let (mut evtx_events, mut shape_events) = (Vec::new(), Vec::new());
    let mut differing = std::collections::BTreeMap::new();
    for (index, (path, events)) in corpus.into_iter().enumerate() {
        let stem = path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .replace('.', "_");
        let out = folder.path().join(format!("{stem}.{index}.json"));
        let mut text = Vec::new();
        for event in &events {
            serde_json::to_writer(&mut text, &write(&Record::from_event(event))).unwrap();
            text.push(b'\n');
        }
        std::fs::File::create(&out)
            .unwrap()
            .write_all(&text)
            .unwrap();
        let (read_back, issues) = read(&json_file(&out));
        assert!(issues.is_empty(), "{shape}: {issues:?}");
        assert_eq!(read_back.len(), events.len(), "{shape}: {}", path.display());
        for (original, copy) in events.iter().zip(&read_back) {
            assert_same_record(original, copy, shape);
            for name in differing_fields(original, copy, changes, not_carried, case_only) {
                *differing.entry(name).or_insert(0) += 1;
            }
        }
        // The shape's events name the EVTX file, so places compare.
        evtx_events.extend(events);
        let source: std::sync::Arc<str> = path.to_string_lossy().into();
        shape_events.extend(read_back.into_iter().map(|mut event| {
            event.source = source.clone();
            event
        }));
    }
    assert!(
        differing.is_empty(),
        "{shape}: fields not read back as EVTX has them: {differing:?}"
    );
    let expected = detections(rules, &evtx_events, record_place);
    let found = detections(rules, &shape_events, record_place);
    eprintln!(
        "{shape}: {} events, {} detections from EVTX",
        evtx_events.len(),
        expected.len()
    );
    assert!(expected.len() > 500, "{}", expected.len());
    let missing: Vec<_> = expected.difference(&found).collect();
    let mut extra: Vec<_> = found.difference(&expected).collect();
    let explained = |(rule, place, _): &&Found| {
        let Some((_, field)) = lossy.iter().find(|(id, _)| id == rule) else {
            return false;
        };
        let record = evtx_events.iter().find(|e| record_place(e) == *place);
        record.and_then(|e| e.get(field)).is_some_and(changes)
    };
    let lost = extra.len();
    extra.retain(|found| !explained(found));
    eprintln!(
        "{shape}: {} detections explained by values the collector drops",
        lost - extra.len()
    );
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{shape}: missing {} {missing:#?}\nextra {} {extra:#?}",
        missing.len(),
        extra.len()
    );
}

/// The fields that identify a record, and its time, are the EVTX record's.
fn assert_same_record(original: &Event, copy: &Event, shape: &str) {
    for name in ["Computer", "Channel", "Provider_Name", "EventID"] {
        assert_eq!(
            original.get(name).map(|v| v.to_string()),
            copy.get(name).map(|v| v.to_string()),
            "{shape}: {name} of {}",
            record_place(original)
        );
    }
    assert_eq!(copy.event_id(), original.event_id());
    assert_eq!(copy.record_id(), original.record_id());
    assert_eq!(copy.product, Some("windows"));
    let (Some(a), Some(b)) = (original.timestamp, copy.timestamp) else {
        panic!("{shape}: no time for {}", record_place(original));
    };
    assert!(
        (a - b).num_milliseconds().abs() < 1000,
        "{shape}: {a} ≠ {b} for {}",
        record_place(original)
    );
}

/// The fields of an EVTX record that its copy lacks under that exact name,
/// or holds with another text, other than the values the collector changes
/// and the fields it does not carry.
fn differing_fields(
    original: &Event,
    copy: &Event,
    changes: fn(&FieldValue) -> bool,
    not_carried: &[&str],
    case_only: &[&str],
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut differing = Vec::new();
    for (name, value) in original.fields() {
        // A second field of a name (a cleared log's `Channel`) is looked up
        // by the first's name, and so never.
        if seen.contains(&name) || not_carried.contains(&name) || changes(value) {
            continue;
        }
        seen.push(name);
        let in_copy = (copy.fields().find(|(other, _)| *other == name)).or_else(|| {
            case_only
                .contains(&name)
                .then(|| copy.get(name).map(|v| (name, v)))
                .flatten()
        });
        let same = in_copy.is_some_and(|(_, other)| {
            shapes::text(other) == shapes::text(value)
                || shapes::unnamed(other) == shapes::unnamed(value)
                || (name == "Data" && shapes::text(other) == shapes::unnamed(value).join(", "))
        });
        if !same {
            differing.push(name.to_string());
        }
    }
    differing
}

/// Whether a value is one a collector keeps as it is.
fn never(_: &FieldValue) -> bool {
    false
}

/// What Winlogbeat writes as display names (`level: Information`), or not
/// at all.
const WINLOGBEAT_NOT_CARRIED: [&str; 7] = [
    "EventID_Qualifiers",
    "Level",
    "Task",
    "Opcode",
    "Keywords",
    "TimeCreated_SystemTime",
    "Provider_EventSourceName",
];

#[test]
fn winlogbeat6_documents_raise_what_evtx_raises() {
    shape_round_trip(
        "Winlogbeat 6",
        shapes::winlogbeat6::write,
        &[],
        never,
        &WINLOGBEAT_NOT_CARRIED,
        &[],
    );
}

#[test]
fn ecs_documents_raise_what_evtx_raises() {
    shape_round_trip(
        "Winlogbeat 8 (ECS)",
        shapes::ecs::write,
        &[],
        never,
        &WINLOGBEAT_NOT_CARRIED,
        &[],
    );
}

#[test]
fn nxlog_records_raise_what_evtx_raises() {
    shape_round_trip(
        "NXLog via Logstash",
        shapes::nxlog::write,
        &[],
        never,
        &[
            "EventID_Qualifiers",
            "TimeCreated_SystemTime",
            "Level",
            "Provider_EventSourceName",
        ],
        &[],
    );
}

/// Wazuh drops `-` values and trims trailing white space, which no reader
/// can give back: rules that filter on `IpAddress: '-'` then fire on the
/// logons whose source was `-`, and rules that ask for an exact value fire
/// where the record's had a trailing space (4624's `LogonProcessName` is
/// `NtLmSsp `). Every other detection is the EVTX file's, and none is lost.
#[test]
fn wazuh_alerts_raise_what_evtx_raises() {
    let lossy = [
        // Successful external remote SMB logon: `filter IpAddress: '-'`.
        ("78d5cab4-557e-454f-9fb9-a222bd0d5edc", "IpAddress"),
        // Failed logon from a public IP: `filter IpAddress|contains: '-'`.
        ("f88e112a-21aa-44bd-9b01-6ee2a2bbbed1", "IpAddress"),
        // Pass the hash: `LogonProcessName: 'NtLmSsp'`, written `NtLmSsp `.
        ("8eef149c-bd26-49f2-9e5a-9b00e3af499b", "LogonProcessName"),
        // Browser download: `CommandLine|endswith: '.exe'`, before a space.
        ("94771a71-ba41-4b6e-a757-b531372eaab6", "CommandLine"),
    ];
    shape_round_trip(
        "Wazuh",
        shapes::wazuh::write,
        &lossy,
        wazuh_changes,
        &[
            "EventID_Qualifiers",
            "Correlation_ActivityID",
            "Correlation_RelatedActivityID",
        ],
        // Spelled lower-case by one provider and upper-case by another.
        &[
            "name",
            "number",
            "payload",
            "process",
            "processId",
            "string",
            "url",
            "BinaryData",
            "BinaryDataSize",
            "Param1",
            "Param2",
            "Param3",
            "Param4",
        ],
    );
}

fn wazuh_changes(value: &FieldValue) -> bool {
    shapes::unnamed(value)
        .iter()
        .any(|text| text == "-" || text == "(NULL)" || text.is_empty() || text.trim_end() != text)
}

/// How many lines of each Mordor file are hunted in both shapes: enough for
/// every kind of record in them, few enough for a debug build.
const MORDOR_HUNTED_LINES: usize = 1500;

/// Every line of the Mordor recordings (NXLog via Logstash, the
/// Security-Datasets flat form, Winlogbeat 6) is a Windows event with its
/// computer, and its record number wherever the line carries one; the macOS
/// resource forks among them (`._*`, gzip of AppleDouble bytes) are
/// reported, not read; and the first lines of every file, rewritten in
/// evtx_dump's shape by a writer that knows each collector's own keys,
/// raise the same detections.
#[test]
fn mordor_recordings_are_windows_events_that_raise_what_evtx_dump_raises() {
    let (Some(rules), Some(folder)) = (windows_rules(), shared("corpus/mordor")) else {
        return;
    };
    let (files, issues) = discover(&[folder]);
    let forks = issues.len();
    for issue in &issues {
        let name = issue.file.file_name().unwrap().to_string_lossy();
        assert!(name.starts_with("._"), "{issue}");
        assert!(issue.reason.contains("resource fork"), "{issue}");
    }
    let (mut lines, mut numbered) = (0, 0);
    let (mut sysmon_timed, mut sysmon_off) = (0, 0);
    let mut by_shape = std::collections::BTreeMap::new();
    let (mut expected, mut found) = (BTreeSet::new(), BTreeSet::new());
    let out = tempfile::tempdir().unwrap();
    for file in &files {
        let name = file.path.file_name().unwrap().to_string_lossy().to_string();
        let (events, issues) = read(file);
        assert!(issues.is_empty(), "{name}: {issues:?}");
        let raw = raw_lines(&file.path);
        assert_eq!(events.len(), raw.len(), "{name}");
        for (event, line) in events.iter().zip(&raw) {
            lines += 1;
            *by_shape.entry(event.shape.unwrap_or("?")).or_insert(0) += 1;
            assert_eq!(event.product, Some("windows"), "{name} {}", event.position);
            assert!(event.computer().is_some(), "{name} {}", event.position);
            assert!(event.event_id().is_some(), "{name} {}", event.position);
            if line.contains_key("RecordNumber") || line.contains_key("record_number") {
                numbered += 1;
                assert!(event.record_id().is_some(), "{name} {}", event.position);
            }
            // NXLog's local EventTime made UTC by Logstash's offset agrees
            // with Sysmon's own UTC time of the event: to 2 s, or for a
            // network connection (3), whose UtcTime is the connection's and
            // which Sysmon batches (up to 10 s later in these recordings, and
            // once 2.4 s earlier), from 3 s before to 15 s after.
            if line.contains_key("SourceModuleType") {
                if let Some(utc) = line.get("UtcTime").and_then(Value::as_str) {
                    let utc = chrono::NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M:%S%.f")
                        .unwrap()
                        .and_utc();
                    let time = event.timestamp.unwrap();
                    let late = (time - utc).num_milliseconds();
                    let fits = match event.event_id() {
                        Some(3) => (-3000..=15_000).contains(&late),
                        _ => late.abs() <= 2000,
                    };
                    sysmon_timed += 1;
                    sysmon_off += usize::from(!fits);
                }
            }
        }
        let hunted = MORDOR_HUNTED_LINES.min(raw.len());
        let rewritten = out.path().join(format!("{name}.jsonl"));
        let mut text = Vec::new();
        for line in raw.into_iter().take(hunted) {
            let evtx_dump = if line.contains_key("event_id") {
                shapes::evtx_dump::from_winlogbeat6(line)
            } else {
                shapes::evtx_dump::from_nxlog(line)
            };
            serde_json::to_writer(&mut text, &evtx_dump).unwrap();
            text.push(b'\n');
        }
        std::fs::write(&rewritten, text).unwrap();
        let (copies, issues) = read(&json_file(&rewritten));
        assert!(issues.is_empty(), "{issues:?}");
        assert!(copies.iter().all(|e| e.shape == Some("evtx_dump JSON")));
        let place = |event: &Event| format!("{name} {}", event.position);
        expected.extend(detections(rules, &copies, place));
        found.extend(detections(rules, &events[..hunted], place));
    }
    eprintln!(
        "mordor: {lines} lines {by_shape:?}, {numbered} with a record number, {forks} resource forks, {} detections",
        expected.len()
    );
    eprintln!("mordor: {sysmon_off} of {sysmon_timed} NXLog Sysmon times off UtcTime");
    assert!(sysmon_timed > 20_000, "{sysmon_timed}");
    assert_eq!(sysmon_off, 0);
    assert_eq!(forks, 12);
    assert!(lines > 200_000, "{lines}");
    assert_eq!(by_shape.get("evtx_dump JSON"), None);
    assert!(expected.len() > 100, "{}", expected.len());
    let missing: Vec<_> = expected.difference(&found).collect();
    let extra: Vec<_> = found.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {} {missing:#?}\nextra {} {extra:#?}",
        missing.len(),
        extra.len()
    );
}

/// The JSON objects of a gzip-compressed JSON-lines file.
fn raw_lines(path: &Path) -> Vec<serde_json::Map<String, Value>> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).unwrap();
    let reader = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file));
    reader
        .lines()
        .map(|line| line.unwrap())
        .filter(|line| !line.trim().is_empty())
        .map(|line| match serde_json::from_str(&line) {
            Ok(Value::Object(map)) => map,
            other => panic!("{}: {other:?}", path.display()),
        })
        .collect()
}

/// Windows Defender names its data with spaces (`New Value`, `Source
/// Name`); SigmaHQ's Defender rules spell them `NewValue`, `SourceName`.
/// Read from EVTX, the exclusion added in the corpus's 5007 record raises
/// "Windows Defender Exclusions Added", which asks for `NewValue`.
#[test]
fn defender_fields_answer_to_the_names_rules_use() {
    let (Some(rules), Some(folder)) = (
        windows_rules(),
        shared("corpus/evtx/EVTX-to-MITRE-Attack/TA0005-Defense Evasion"),
    ) else {
        return;
    };
    let (files, _) = discover(&[folder]);
    let file = files
        .iter()
        .find(|f| {
            f.path
                .ends_with("ID5007-Defender threat exclusion (native).evtx")
        })
        .expect("the Defender 5007 sample");
    let (events, _) = read(file);
    let with_new_value = events
        .iter()
        .filter(|e| e.get("NewValue").is_some())
        .count();
    assert!(with_new_value > 0);
    for event in events.iter().filter(|e| e.get("New Value").is_some()) {
        assert_eq!(event.get("NewValue"), event.get("New Value"));
        assert_eq!(event.get("New_Value"), event.get("New Value"));
    }
    let found = detections(rules, &events, record_place);
    let exclusion = "1321dc4e-a1fe-481d-a016-52c45f0c8b4f";
    assert!(
        found.iter().any(|(rule, _, _)| rule == exclusion),
        "{found:?}"
    );
}
