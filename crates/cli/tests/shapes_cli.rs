//! One reading layer for every command: the Windows events of a real lab
//! recording as NXLog and Winlogbeat 6 shipped them, streamed into `vigil
//! watch`, raise exactly what `vigil hunt` finds in the same lines, each
//! with its host and record; and no rule of another product fires on them.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

mod common;

use common::{stderr, vigil};

/// The recordings streamed: one NXLog/Logstash export and one Winlogbeat 6
/// export, both with detections.
const RECORDINGS: [&str; 2] = [
    "corpus/mordor/persistence/cmd_userinitmprlogonscript_batch_2020-10-1922471810.json.gz",
    "corpus/mordor/defense_evasion/empire_wdigest_downgrade_2019-05-18201922.json.gz",
];

type Found = BTreeSet<(String, u64, String)>;

/// (rule id, record id, computer) of each JSON detection line.
fn found(text: &str) -> Found {
    text.lines()
        .map(|line| {
            let d: Value = serde_json::from_str(line).unwrap();
            let text = |name: &str| d[name].as_str().unwrap_or_default().to_string();
            (
                text("rule_id"),
                d["record_id"].as_u64().unwrap_or(0),
                text("computer"),
            )
        })
        .collect()
}

#[test]
fn watch_and_hunt_read_collector_json_alike() {
    let Some(rules) = vigil_testdata::shared_dir("sigma/rules") else {
        return;
    };
    let mut lines = String::new();
    for recording in RECORDINGS {
        let Some(path) = vigil_testdata::shared_dir(recording) else {
            return;
        };
        let file = std::fs::File::open(path).unwrap();
        flate2::read::MultiGzDecoder::new(file)
            .read_to_string(&mut lines)
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("recordings.jsonl");
    std::fs::write(&input, &lines).unwrap();
    let rules = rules.to_str().unwrap();

    let timeline = dir.path().join("timeline.jsonl");
    let hunt = vigil(&[
        "hunt",
        input.to_str().unwrap(),
        "--rules",
        rules,
        "--format",
        "jsonl",
        "-o",
        timeline.to_str().unwrap(),
    ]);
    assert!(hunt.status.success(), "{}", stderr(&hunt));
    let summary = stderr(&hunt);
    assert!(summary.contains("NXLog JSON"), "{summary}");
    assert!(summary.contains("Winlogbeat 6"), "{summary}");
    assert!(!summary.contains("shape Vigil does not know"), "{summary}");
    let hunted = found(&std::fs::read_to_string(&timeline).unwrap());
    assert!(hunted.len() >= 5, "{hunted:?}");
    assert!(
        hunted.iter().all(|(_, _, host)| !host.is_empty()),
        "every detection names its host: {hunted:?}"
    );
    // Winlogbeat 6 carries the record number (HR001's events), and so does
    // NXLog (HFDC01's); the Security-Datasets flattening of an NXLog export
    // (WORKSTATION5's) carries none.
    assert!(
        (hunted.iter())
            .filter(|(_, _, host)| !host.starts_with("WORKSTATION5"))
            .all(|(_, record, _)| *record > 0),
        "{hunted:?}"
    );

    let mut watch = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["watch", "--stdin", "--exit-at-end", "--rules", rules])
        .arg("--store")
        .arg(dir.path().join("watch.db"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = watch.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(lines.as_bytes()).unwrap());
    let output = watch.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let watched = found(&String::from_utf8(output.stdout).unwrap());
    assert_eq!(watched, hunted);

    // Nothing of another product: every rule that fired is a Windows rule
    // or one that names no product.
    let texts = walk(Path::new(rules));
    let windows_or_none = |id: &str| {
        let rule = texts
            .iter()
            .find(|text| text.contains(&format!("id: {id}")));
        rule.is_some_and(|text| !text.contains("product:") || text.contains("product: windows"))
    };
    for (id, _, _) in &hunted {
        assert!(windows_or_none(id), "rule {id} is of another product");
    }
}

/// The texts of every rule file under a folder.
fn walk(path: &Path) -> Vec<String> {
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(path).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            texts.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "yml") {
            texts.push(std::fs::read_to_string(path).unwrap());
        }
    }
    texts
}

const SSHD_RULE: &str = r#"
title: sshd password failure
id: 6a0f1d2e-1111-4c3b-9d4e-5f6a7b8c9d01
logsource: {product: linux, service: sshd}
detection:
    keywords: ['Failed password']
    condition: keywords
level: low
"#;

const WHOAMI_RULE: &str = r#"
title: whoami run
id: 6a0f1d2e-2222-4c3b-9d4e-5f6a7b8c9d02
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\whoami.exe'
    condition: selection
level: medium
"#;

/// Lines of a followed file or standard input need not be JSON: a syslog
/// line and a Windows event's XML (Splunk's XmlWinEventLog) are events of
/// their product too, and a line that is none of them is named and skipped.
#[test]
fn watch_reads_syslog_and_event_xml_lines_as_well_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("sshd.yml"), SSHD_RULE).unwrap();
    std::fs::write(rules.join("whoami.yml"), WHOAMI_RULE).unwrap();
    let lines = [
        "Mar  1 10:00:00 web1 sshd[42]: Failed password for root from 203.0.113.9 port 50022 ssh2",
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4688</EventID><TimeCreated SystemTime='2026-03-02T08:00:00.000Z'/><EventRecordID>7</EventRecordID><Channel>Security</Channel><Computer>WS-01</Computer></System><EventData><Data Name='NewProcessName'>C:\\Windows\\System32\\whoami.exe</Data></EventData></Event>",
        "this line is no log at all",
    ];
    let log = dir.path().join("mixed.log");
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["watch", "--exit-at-end", "--rules"])
        .arg(&rules)
        .arg("--store")
        .arg(dir.path().join("watch.db"))
        .arg(&log)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let alerts = String::from_utf8(output.stdout.clone()).unwrap();
    let titles: Vec<(String, String)> = (alerts.lines())
        .map(|line| {
            let d: Value = serde_json::from_str(line).unwrap();
            let text = |name: &str| d[name].as_str().unwrap_or_default().to_string();
            (text("rule_title"), text("computer"))
        })
        .collect();
    assert_eq!(
        titles,
        [
            ("sshd password failure".to_string(), "web1".to_string()),
            ("whoami run".to_string(), "WS-01".to_string()),
        ]
    );
    let log = stderr(&output);
    assert_eq!(log.matches("malformed line skipped").count(), 1, "{log}");
    assert!(
        log.contains("neither JSON, Windows event XML nor syslog"),
        "{log}"
    );
}
