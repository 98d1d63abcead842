//! `vigil hunt` end to end, through the binary: inputs, rules, timeline,
//! summary and exit codes.

use std::path::Path;
use std::process::Output;

mod common;

use common::{stderr, vigil};

/// One Security 4688 event in the evtx_dump JSON shape.
fn process_event(record: u64, time: &str, command_line: &str) -> String {
    serde_json::json!({"Event": {
        "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
            "EventID": 4688,
            "TimeCreated": {"#attributes": {"SystemTime": time}},
            "EventRecordID": record,
            "Channel": "Security",
            "Computer": "WS-01.clinic.example",
        },
        "EventData": {
            "NewProcessName": "C:\\Windows\\System32\\vssadmin.exe",
            "CommandLine": command_line,
            "SubjectUserName": "alice",
        },
    }})
    .to_string()
}

const RULE: &str = r#"
title: Shadow copies deleted
id: 5f0c1f63-7d1c-4a55-9a51-2f1f0f0c0a01
status: test
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\vssadmin.exe'
        CommandLine|contains|all: ['delete', 'shadows']
    condition: selection
level: high
tags: [attack.impact, attack.t1490]
"#;

fn write_case(dir: &Path) {
    std::fs::create_dir_all(dir.join("logs/nested")).unwrap();
    std::fs::write(dir.join("rule.yml"), RULE).unwrap();
    let lines = [
        process_event(
            7,
            "2026-03-04T10:00:05Z",
            "vssadmin delete shadows /all /quiet",
        ),
        "{\"Event\": truncated".to_string(),
        process_event(3, "2026-03-04T09:00:00Z", "vssadmin list shadows"),
        process_event(
            5,
            "2026-03-04T09:30:00Z",
            "VSSADMIN.EXE Delete Shadows /For=C:",
        ),
    ];
    std::fs::write(dir.join("logs/nested/ws01.jsonl"), lines.join("\n")).unwrap();
}

#[test]
fn detections_are_written_in_time_order_with_their_evidence() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path());
    let timeline = dir.path().join("timeline.jsonl");
    let output = vigil(&[
        "hunt",
        dir.path().join("logs").to_str().unwrap(),
        "--rules",
        dir.path().join("rule.yml").to_str().unwrap(),
        "--format",
        "jsonl",
        "--output",
        timeline.to_str().unwrap(),
    ]);
    let summary = stderr(&output);
    assert!(output.status.success(), "{summary}");
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&timeline)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["record_id"], 5);
    assert_eq!(rows[1]["record_id"], 7);
    assert_eq!(rows[0]["timestamp"], "2026-03-04T09:30:00Z");
    assert_eq!(rows[0]["computer"], "WS-01.clinic.example");
    assert_eq!(rows[0]["channel"], "Security");
    assert_eq!(rows[0]["event_id"], 4688);
    assert_eq!(rows[0]["rule_title"], "Shadow copies deleted");
    assert_eq!(rows[0]["rule_id"], "5f0c1f63-7d1c-4a55-9a51-2f1f0f0c0a01");
    assert_eq!(rows[0]["level"], "high");
    assert_eq!(rows[0]["tags"][1], "attack.t1490");
    assert_eq!(
        rows[0]["details"]["CommandLine"],
        "VSSADMIN.EXE Delete Shadows /For=C:"
    );
    assert!(rows[0]["source"].as_str().unwrap().ends_with("ws01.jsonl"));
    // The broken line is named, and the lines after it were still read.
    assert!(summary.contains("ws01.jsonl: line 2"), "{summary}");
    assert!(summary.contains("events:     3"), "{summary}");
    assert!(summary.contains("1 loaded"), "{summary}");
}

#[test]
fn csv_has_a_header_and_min_level_filters() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path());
    let rules = dir.path().join("rule.yml");
    let logs = dir.path().join("logs");
    let csv = vigil(&[
        "hunt",
        logs.to_str().unwrap(),
        "-r",
        rules.to_str().unwrap(),
        "-q",
    ]);
    assert!(csv.status.success());
    let text = String::from_utf8(csv.stdout).unwrap();
    let mut lines = text.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("timestamp,computer,channel,event_id"));
    assert_eq!(lines.count(), 2);
    assert!(csv.stderr.is_empty(), "-q prints nothing on stderr");

    let critical = vigil(&[
        "hunt",
        logs.to_str().unwrap(),
        "-r",
        rules.to_str().unwrap(),
        "-q",
        "--min-level",
        "critical",
    ]);
    assert!(critical.status.success());
    assert_eq!(
        String::from_utf8(critical.stdout).unwrap().lines().count(),
        1
    );
}

#[test]
fn an_invalid_rule_is_named_and_the_others_still_run() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path());
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("good.yml"), RULE).unwrap();
    std::fs::write(
        rules.join("broken.yml"),
        "title: broken\nlogsource: {product: windows}\ndetection:\n  sel: {a: b}\n  condition: sel and missing\n",
    )
    .unwrap();
    let output = vigil(&[
        "hunt",
        dir.path().join("logs").to_str().unwrap(),
        "-r",
        rules.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    let summary = stderr(&output);
    assert!(output.status.success(), "{summary}");
    assert!(summary.contains("1 refused"), "{summary}");
    assert!(summary.contains("broken.yml"), "{summary}");
    assert_eq!(String::from_utf8(output.stdout).unwrap().lines().count(), 2);
}

#[test]
fn nothing_to_read_or_no_rules_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path());
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let no_files = vigil(&[
        "hunt",
        empty.to_str().unwrap(),
        "-r",
        dir.path().join("rule.yml").to_str().unwrap(),
    ]);
    assert!(!no_files.status.success());
    assert!(stderr(&no_files).contains("no readable log files"));

    let no_rules = vigil(&[
        "hunt",
        dir.path().join("logs").to_str().unwrap(),
        "-r",
        empty.to_str().unwrap(),
    ]);
    assert!(!no_rules.status.success());
    assert!(stderr(&no_rules).contains("no rule could be loaded"));
}

/// Hunts a shared corpus with shared rules; `None` when the data is missing.
fn hunt_shared(corpus: &str, rules: &str) -> Option<(Output, String)> {
    let corpus = vigil_testdata::shared_dir(corpus)?;
    let rules = vigil_testdata::shared_dir(rules)?;
    let output = vigil(&[
        "hunt",
        corpus.to_str().unwrap(),
        "-r",
        rules.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    let summary = stderr(&output);
    assert!(output.status.success(), "{summary}");
    Some((output, summary))
}

#[test]
fn damaged_evtx_files_are_reported_and_the_rest_is_read() {
    let Some((output, summary)) = hunt_shared("corpus/evtx-robustness", "sigma/rules/windows")
    else {
        return;
    };
    assert!(
        summary.contains("sample_with_a_bad_chunk_magic.evtx: chunk"),
        "{summary}"
    );
    assert!(summary.contains("the record was skipped"), "{summary}");
    let events: u64 = summary
        .lines()
        .find_map(|l| l.strip_prefix("events:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("the summary counts events");
    assert!(events > 10_000, "{events} events read: {summary}");
    assert!(!output.stdout.is_empty());
}

#[test]
fn the_whole_evtx_corpus_is_hunted() {
    let Some((output, summary)) = hunt_shared("corpus/evtx", "sigma/rules") else {
        return;
    };
    assert!(summary.contains("0 unreadable"), "{summary}");
    let detections = String::from_utf8(output.stdout).unwrap().lines().count();
    assert!(detections > 1_000, "{detections} detections: {summary}");
}

#[test]
fn a_timeline_sorted_through_disk_is_the_one_sorted_in_memory() {
    let (Some(corpus), Some(rules)) = (
        vigil_testdata::shared_dir("corpus/evtx"),
        vigil_testdata::shared_dir("sigma/rules"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let hunt = |name: &str, sort_memory: &str| {
        let out = dir.path().join(name);
        let output = vigil(&[
            "hunt",
            corpus.to_str().unwrap(),
            "-r",
            rules.to_str().unwrap(),
            "--format",
            "csv",
            "--sort-memory",
            sort_memory,
            "-o",
            out.to_str().unwrap(),
        ]);
        let summary = stderr(&output);
        assert!(output.status.success(), "{summary}");
        (std::fs::read(out).unwrap(), summary)
    };
    let (in_memory, summary) = hunt("memory.csv", "100000");
    assert!(!summary.contains("on disk"), "{summary}");
    // No memory at all: every batch of detections becomes a run, and there
    // are enough of them to be merged on the way.
    let (on_disk, summary) = hunt("disk.csv", "0");
    let runs: usize = summary
        .split("sorted through ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the summary counts the runs: {summary}"));
    assert!(runs > 64, "{runs} runs: {summary}");
    assert!(in_memory.len() > 100_000);
    assert!(
        in_memory == on_disk,
        "the timeline sorted through disk differs"
    );
}

#[test]
fn an_unusable_temporary_folder_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path());
    let missing = dir.path().join("no-such-folder");
    let output = vigil(&[
        "hunt",
        dir.path().join("logs").to_str().unwrap(),
        "-r",
        dir.path().join("rule.yml").to_str().unwrap(),
        "--sort-memory",
        "0",
        "--temp-dir",
        missing.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("no-such-folder"), "{message}");
}
