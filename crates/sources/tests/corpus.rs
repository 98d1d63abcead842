//! Reads the shared evidence corpus: every EVTX sample, the deliberately
//! damaged ones, and the Zeek JSON logs. Each file must complete, damage must
//! surface as issues, and the real records must flatten to the names rules use.
//!
//! The corpus lives outside the repository, in `../shared` next to the
//! workspace, or wherever `VIGIL_SHARED` points.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use vigil_event::{Event, FieldValue};
use vigil_sources::{discover, read_file, FileReport, Format, InputFile, IssueKind, SourceIssue};

/// The shared data folder's `corpus/{part}`, or `None` when it is absent outside CI.
fn corpus(part: &str) -> Option<PathBuf> {
    vigil_testdata::shared_dir(&format!("corpus/{part}"))
}

struct Outcome {
    report: FileReport,
    events: Vec<Event>,
    issues: Vec<SourceIssue>,
}

fn read(file: &InputFile) -> Outcome {
    let (mut events, mut issues) = (Vec::new(), Vec::new());
    let report = read_file(file, &mut |e| events.push(e), &mut |i| issues.push(i))
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(report.events, events.len() as u64);
    let skipped = issues
        .iter()
        .filter(|i| i.kind == IssueKind::Skipped)
        .count();
    assert_eq!(report.skipped, skipped as u64);
    assert_eq!(report.suspect, (issues.len() - skipped) as u64);
    Outcome {
        report,
        events,
        issues,
    }
}

fn evtx_files(folder: &Path) -> Vec<InputFile> {
    let (files, issues) = discover(&[folder.to_path_buf()]);
    assert!(issues.is_empty(), "{issues:?}");
    files
        .into_iter()
        .filter(|f| f.format == Format::Evtx)
        .collect()
}

fn named<'a>(outcomes: &'a BTreeMap<String, Outcome>, name: &str) -> &'a Outcome {
    outcomes
        .get(name)
        .unwrap_or_else(|| panic!("{name} is not in the corpus"))
}

#[test]
fn every_evtx_sample_is_read() {
    let Some(folder) = corpus("evtx") else {
        return;
    };
    let files = evtx_files(&folder);
    assert!(files.len() > 250, "only {} EVTX files found", files.len());
    let mut total = FileReport::default();
    let mut windows = 0u64;
    let mut timed = 0u64;
    for file in &files {
        let outcome = read(file);
        for issue in &outcome.issues {
            eprintln!("issue: {issue}");
        }
        total.events += outcome.report.events;
        total.skipped += outcome.report.skipped;
        total.suspect += outcome.report.suspect;
        for event in &outcome.events {
            windows += u64::from(event.product == Some("windows") && event.event_id().is_some());
            timed += u64::from(event.timestamp.is_some());
        }
    }
    eprintln!(
        "corpus/evtx: {} files, {} events, {} skipped, {} suspect",
        files.len(),
        total.events,
        total.skipped,
        total.suspect
    );
    assert!(total.events > 8_000, "only {} events read", total.events);
    assert_eq!(
        windows, total.events,
        "every record is a Windows event with an EventID"
    );
    assert_eq!(timed, total.events, "every record has a time");
}

#[test]
fn real_records_flatten_to_rule_names() {
    let Some(folder) = corpus("evtx/DeepBlueCLI") else {
        return;
    };
    let file = |name: &str| InputFile {
        path: folder.join(name),
        format: Format::Evtx,
        gzip: false,
        size: 0,
    };
    let system = read(&file("metasploit-psexec-native-target-system.evtx"));
    let install = system
        .events
        .iter()
        .find(|e| e.record_id() == Some(8623))
        .expect("record 8623");
    assert_eq!(install.get("EventID"), Some(&FieldValue::Int(7045)));
    assert_eq!(
        install.get("EventID_Qualifiers"),
        Some(&FieldValue::Int(16384))
    );
    assert_eq!(install.provider(), Some("Service Control Manager"));
    assert_eq!(install.channel(), Some("System"));
    assert_eq!(install.computer(), Some("IE10Win7"));
    assert_eq!(
        install.get("ServiceName"),
        Some(&FieldValue::from("KgXItsbKgTJzdzwl"))
    );
    assert_eq!(
        install.get("Execution_ProcessID"),
        Some(&FieldValue::Int(488))
    );
    assert_eq!(
        install.timestamp.map(|t| t.to_rfc3339()).as_deref(),
        Some("2016-09-21T03:41:02.542968700+00:00")
    );

    let cleared = system
        .events
        .iter()
        .find(|e| e.event_id() == Some(104))
        .expect("a log-cleared record");
    assert_eq!(
        cleared.get("SubjectUserName"),
        Some(&FieldValue::from("IEUser"))
    );
    assert_eq!(cleared.channel(), Some("System"));
}

#[test]
fn damaged_samples_give_issues_not_panics() {
    let Some(folder) = corpus("evtx-robustness") else {
        return;
    };
    let mut outcomes = BTreeMap::new();
    for file in evtx_files(&folder) {
        let outcome = read(&file);
        let name = file.path.file_name().unwrap().to_string_lossy().to_string();
        eprintln!(
            "{name}: {} events, {} skipped, {} suspect",
            outcome.report.events, outcome.report.skipped, outcome.report.suspect
        );
        for issue in &outcome.issues {
            eprintln!("  {:?} {}: {}", issue.kind, issue.location, issue.reason);
        }
        outcomes.insert(name, outcome);
    }
    assert!(outcomes.len() >= 20);

    let bad_magic = named(&outcomes, "sample_with_a_bad_chunk_magic.evtx");
    assert!(bad_magic.report.events > 200);
    assert!(bad_magic
        .issues
        .iter()
        .any(|i| i.kind == IssueKind::Skipped && i.location.starts_with("chunk ")));

    let sysmon = named(&outcomes, "sysmon.evtx");
    assert!(sysmon.report.skipped >= 4 && sysmon.report.events > 300);

    let zero_size = named(&outcomes, "sample-with-zero-data-size-event.evtx");
    assert_eq!(zero_size.report.skipped, 1);

    let shadow = named(
        &outcomes,
        "2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx",
    );
    assert!(shadow
        .issues
        .iter()
        .any(|i| i.location.starts_with("record ")));

    // A chunk whose checksum fails is still read, and flagged.
    let string_cache = named(&outcomes, "security_bad_string_cache.evtx");
    let intact = named(&outcomes, "security.evtx");
    assert_eq!(string_cache.report.events, intact.report.events);
    assert!(string_cache
        .issues
        .iter()
        .any(|i| i.kind == IssueKind::Suspect && i.location == "chunk 0"));
    assert!(intact.issues.is_empty());
}

#[test]
fn altered_copies_of_a_real_log_are_read_as_far_as_they_go() {
    let Some(folder) = corpus("evtx-robustness") else {
        return;
    };
    let original = std::fs::read(folder.join("security.evtx")).unwrap();
    let plain = read(&InputFile {
        path: folder.join("security.evtx"),
        format: Format::Evtx,
        gzip: false,
        size: 0,
    });
    let scratch = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8], gzip: bool| {
        let path = scratch.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        InputFile {
            path,
            format: Format::Evtx,
            gzip,
            size: bytes.len() as u64,
        }
    };

    // Gzip changes nothing read.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&original).unwrap();
    let compressed = encoder.finish().unwrap();
    let gzipped = read(&write("security.evtx.gz", &compressed, true));
    assert_eq!(gzipped.report, plain.report);
    let fields = |e: &Event| format!("{:?}", e.fields().collect::<Vec<_>>());
    assert_eq!(fields(&gzipped.events[100]), fields(&plain.events[100]));

    // A cut gzip stream keeps the records before the cut and says so.
    let cut = read(&write(
        "cut.evtx.gz",
        &compressed[..compressed.len() / 2],
        true,
    ));
    assert!(cut.report.events > 0 && cut.report.events < plain.report.events);
    assert!(cut.issues.iter().any(|i| i.reason.contains("gzip stream")));

    // A file cut in the middle of a chunk: the whole chunks before it are read.
    let cut_at = 4096 + 5 * 65536 + 1000;
    let truncated = read(&write("truncated.evtx", &original[..cut_at], false));
    assert!(truncated.report.events > 0 && truncated.report.events < plain.report.events);

    // A flipped byte inside a record: its chunk is flagged, reading goes on.
    let mut flipped = original.clone();
    flipped[4096 + 3 * 65536 + 20_000] ^= 0x55;
    let altered = read(&write("altered.evtx", &flipped, false));
    assert!(altered
        .issues
        .iter()
        .any(|i| i.kind == IssueKind::Suspect && i.location == "chunk 3"));
    assert!(altered.report.events + 5 >= plain.report.events);
}

#[test]
fn zeek_json_logs_are_read() {
    let Some(folder) = corpus("zeek") else {
        return;
    };
    let (files, issues) = discover(std::slice::from_ref(&folder));
    assert!(issues.is_empty(), "{issues:?}");
    assert!(files.len() >= 30);
    let mut events = 0;
    for file in &files {
        assert!(file.gzip && file.format == Format::JsonLines);
        let outcome = read(file);
        assert!(outcome.issues.is_empty(), "{:?}", outcome.issues);
        assert!(outcome
            .events
            .iter()
            .all(|e| e.timestamp.is_some() || e.get("ts").is_none()));
        events += outcome.report.events;
    }
    eprintln!("corpus/zeek: {} files, {events} events", files.len());
    assert!(events > 1000);
}
