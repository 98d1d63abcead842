//! Correlation rules in `vigil hunt`: events of many files merged in time
//! order, the built-in correlation pack, `generate`, the state limit, and
//! results that do not depend on file order or thread count.

use std::path::Path;
use std::process::Output;

mod common;

use common::{stderr, vigil};

/// The timeline's JSON lines.
fn timeline(output: &Output) -> Vec<serde_json::Value> {
    assert!(output.status.success(), "{}", stderr(output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

fn titled<'t>(timeline: &'t [serde_json::Value], title: &str) -> Vec<&'t serde_json::Value> {
    timeline
        .iter()
        .filter(|d| d["rule_title"] == title)
        .collect()
}

/// A failed network logon (4625, type 3) in the evtx_dump JSON shape.
fn failed_logon(record: u64, second: u32, user: &str, computer: &str) -> String {
    serde_json::json!({"Event": {
        "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
            "EventID": 4625,
            "TimeCreated": {"#attributes": {
                "SystemTime": format!("2026-03-02T10:{:02}:{:02}Z", second / 60, second % 60)
            }},
            "EventRecordID": record,
            "Channel": "Security",
            "Computer": computer,
        },
        "EventData": {
            "TargetUserName": user,
            "LogonType": 3,
            "IpAddress": "10.20.10.66",
            "Status": "0xc000006d",
        },
    }})
    .to_string()
}

/// Failed logons for `user` alternating between two hosts' files, `gap`
/// seconds apart, starting at 10:00:00.
fn write_burst(dir: &Path, user: &str, count: u32, gap: u32) {
    let mut files = [String::new(), String::new()];
    for i in 0..count {
        let (host, file) = if i % 2 == 0 {
            ("FS-01.clinic.example", 0)
        } else {
            ("DB-01.clinic.example", 1)
        };
        files[file].push_str(&failed_logon(u64::from(i) + 1, i * gap, user, host));
        files[file].push('\n');
    }
    std::fs::create_dir_all(dir.join("fs")).unwrap();
    std::fs::create_dir_all(dir.join("db")).unwrap();
    std::fs::write(dir.join("fs/security.jsonl"), &files[0]).unwrap();
    std::fs::write(dir.join("db/security.jsonl"), &files[1]).unwrap();
}

fn hunt(dir: &Path, extra: &[&str]) -> Output {
    let fs = dir.join("fs");
    let db = dir.join("db");
    let mut args = vec![
        "hunt",
        fs.to_str().unwrap(),
        db.to_str().unwrap(),
        "--format",
        "jsonl",
    ];
    args.extend_from_slice(extra);
    vigil(&args)
}

#[test]
fn a_burst_split_across_two_hosts_files_is_counted_whole() {
    let dir = tempfile::tempdir().unwrap();
    // Ten failures for one account within 4.5 minutes, five in each file:
    // neither file alone reaches the built-in pack's threshold of ten.
    write_burst(dir.path(), "frank", 10, 30);
    let output = hunt(dir.path(), &[]);
    let found = timeline(&output);
    let fired = titled(&found, "Password guessing against one account");
    assert_eq!(fired.len(), 1, "{found:#?}");
    let details = &fired[0]["details"];
    assert_eq!(details["TargetUserName"], "frank");
    assert_eq!(details["event_count"], "10");
    assert_eq!(details["window_start"], "2026-03-02T10:00:00Z");
    assert_eq!(details["window_end"], "2026-03-02T10:04:30Z");
    assert_eq!(details["record_count"], "10");
    // The failures themselves only feed correlations: not in the timeline.
    assert!(titled(&found, "Failed Windows logon").is_empty());
    assert!(stderr(&output).contains("base detections held back"));
}

#[test]
fn one_failure_short_or_one_second_too_slow_does_not_fire() {
    let dir = tempfile::tempdir().unwrap();
    write_burst(dir.path(), "frank", 9, 30);
    let found = timeline(&hunt(dir.path(), &[]));
    assert!(titled(&found, "Password guessing against one account").is_empty());

    // Ten failures, but the first and the tenth are 10 min 1 s apart.
    let dir = tempfile::tempdir().unwrap();
    write_burst(dir.path(), "frank", 10, 67);
    let found = timeline(&hunt(dir.path(), &[]));
    assert!(titled(&found, "Password guessing against one account").is_empty());
    // … while 10 min exactly is still one window (bounds included).
    let dir = tempfile::tempdir().unwrap();
    write_burst(dir.path(), "frank", 11, 60);
    let found = timeline(&hunt(dir.path(), &[]));
    assert_eq!(
        titled(&found, "Password guessing against one account").len(),
        1
    );
}

#[test]
fn the_result_does_not_depend_on_file_order_or_threads() {
    let dir = tempfile::tempdir().unwrap();
    write_burst(dir.path(), "frank", 25, 7);
    let forward = hunt(dir.path(), &["-j", "1"]);
    let fs = dir.path().join("fs");
    let db = dir.path().join("db");
    let backward = vigil(&[
        "hunt",
        db.to_str().unwrap(),
        fs.to_str().unwrap(),
        "--format",
        "jsonl",
        "-j",
        "2",
    ]);
    assert!(forward.status.success() && backward.status.success());
    assert_eq!(forward.stdout, backward.stdout);
    // Nor on whether the held detections are sorted in memory or on disk.
    let on_disk = hunt(dir.path(), &["--sort-memory", "0"]);
    assert!(on_disk.status.success(), "{}", stderr(&on_disk));
    let summary = stderr(&on_disk);
    assert!(
        summary.contains("feeding correlations were sorted through 2 runs on disk"),
        "{summary}"
    );
    assert_eq!(forward.stdout, on_disk.stdout);
    // 25 failures at gte 10, counting afresh after each: two detections.
    let found = timeline(&forward);
    assert_eq!(
        titled(&found, "Password guessing against one account").len(),
        2
    );
}

#[test]
fn a_flood_of_distinct_keys_is_capped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("fs")).unwrap();
    std::fs::create_dir_all(dir.path().join("db")).unwrap();
    let lines: Vec<String> = (0..20)
        .map(|i| failed_logon(i + 1, i as u32, &format!("user{i}"), "FS-01"))
        .collect();
    std::fs::write(dir.path().join("fs/security.jsonl"), lines.join("\n")).unwrap();
    std::fs::write(dir.path().join("db/security.jsonl"), "").unwrap();
    let output = hunt(dir.path(), &["--correlation-groups", "3"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary = stderr(&output);
    // Twenty accounts, three tracked at a time: seventeen groups dropped.
    assert!(
        summary
            .contains("limit reached: 'Password guessing against one account' dropped 17 groups"),
        "{summary}"
    );
    // Without the cap nothing is dropped and nothing is said.
    let output = hunt(dir.path(), &[]);
    assert!(!stderr(&output).contains("limit reached"));
}

#[test]
fn generate_true_keeps_the_referenced_rule_in_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    write_burst(dir.path(), "frank", 3, 10);
    let rule = dir.path().join("rules.yml");
    std::fs::write(
        &rule,
        r#"
title: Failed logon
id: 9a1d7b8e-1b7e-4c43-9f5e-000000000001
name: failed
logsource: { product: windows, service: security }
detection:
    selection: { EventID: 4625 }
    condition: selection
level: low
---
title: Three failures
id: 9a1d7b8e-1b7e-4c43-9f5e-000000000002
correlation:
    type: event_count
    rules: [failed]
    group-by: [TargetUserName]
    timespan: 1m
    generate: true
    condition: { gte: 3 }
level: medium
"#,
    )
    .unwrap();
    let found = timeline(&hunt(dir.path(), &["--rules", rule.to_str().unwrap()]));
    assert_eq!(titled(&found, "Failed logon").len(), 3);
    assert_eq!(titled(&found, "Three failures").len(), 1);
}

/// Hunts one file of the shared EVTX corpus with the built-in pack.
fn hunt_sample(relative: &str) -> Option<Vec<serde_json::Value>> {
    let file = vigil_testdata::shared_dir(&format!("corpus/evtx/{relative}"))?;
    Some(timeline(&vigil(&[
        "hunt",
        file.to_str().unwrap(),
        "--format",
        "jsonl",
    ])))
}

/// Counts the events of a file that a one-line selection matches, with a
/// plain detection rule (no correlation involved).
fn count_events(relative: &str, selection: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let rule = dir.path().join("count.yml");
    std::fs::write(
        &rule,
        format!(
            "title: count\nlogsource: {{ product: windows, service: security }}\n\
             detection:\n    selection: {selection}\n    condition: selection\nlevel: low\n"
        ),
    )
    .unwrap();
    let file = vigil_testdata::shared_dir(&format!("corpus/evtx/{relative}")).unwrap();
    let output = vigil(&[
        "hunt",
        file.to_str().unwrap(),
        "--rules",
        rule.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    timeline(&output).len()
}

#[test]
fn smb_password_guessing_sample_is_found() {
    const SAMPLE: &str = "DeepBlueCLI/smb-password-guessing-security.evtx";
    let Some(found) = hunt_sample(SAMPLE) else {
        return;
    };
    let fired = titled(&found, "Password guessing against one account");
    // The whole burst lies within three minutes: each run of ten failures
    // for the account fires once.
    let failures = count_events(SAMPLE, "{ EventID: 4625, TargetUserName: Administrator }");
    assert!(failures >= 10);
    assert_eq!(fired.len(), failures / 10);
    for d in &fired {
        assert_eq!(d["details"]["TargetUserName"], "Administrator");
        assert_eq!(d["details"]["event_count"], "10");
        // Every failure was logged by the one host attacked.
        assert_eq!(d["computer"], "DESKTOP-M5SN04R");
    }
}

#[test]
fn kerbrute_user_enumeration_sample_is_found_as_spraying() {
    const SAMPLE: &str = "EVTX-to-MITRE-Attack/TA0006-Credential Access/T1110.xxx-Brut force/ID4768-4771-Kerberos user enumeration (Kerbrute).evtx";
    let Some(found) = hunt_sample(SAMPLE) else {
        return;
    };
    let fired = titled(&found, "Password spraying against Kerberos");
    assert!(!fired.is_empty(), "{found:#?}");
    let accounts = count_events(SAMPLE, "{ EventID: 4771 }");
    // Each detection names five different accounts from the one address;
    // there cannot be more detections than groups of five failures.
    assert!(fired.len() <= accounts / 5);
    for d in &fired {
        assert_eq!(d["details"]["IpAddress"], "::ffff:10.23.123.11");
        assert_eq!(d["details"]["value_count"], "5");
    }
}

/// Seconds since an arbitrary origin for a syslog time such as
/// `Dec 10 06:55:46`; January follows December (the sample spans New Year).
fn syslog_seconds(line: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = line.split_whitespace();
    let name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == name)? as i64;
    let month = if month == 0 { 12 } else { month };
    let day: i64 = parts.next()?.parse().ok()?;
    let time: Vec<i64> = parts
        .next()?
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    Some((((month * 31 + day) * 24 + time[0]) * 60 + time[1]) * 60 + time[2])
}

#[test]
fn ssh_password_guessing_in_the_openssh_sample_is_found_per_address() {
    let Some(file) = vigil_testdata::shared_dir("corpus/linux/OpenSSH/OpenSSH_2k.log") else {
        return;
    };
    // Independently of the syslog reader: the failures sshd logged, by
    // client address, from the raw text.
    let text = std::fs::read_to_string(&file).unwrap();
    let mut failures: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    for line in text.lines().filter(|l| l.contains(" sshd[")) {
        let message = line.split_once("]: ").map_or("", |(_, m)| m);
        if !(message.starts_with("Failed ") || message.starts_with("Invalid user ")) {
            continue;
        }
        let Some(address) = message.split(" from ").nth(1) else {
            continue;
        };
        let address = address.split_whitespace().next().unwrap().to_string();
        failures
            .entry(address)
            .or_default()
            .push(syslog_seconds(line).unwrap());
    }
    // Addresses with ten failures within five minutes somewhere.
    let mut expected: Vec<&str> = failures
        .iter()
        .filter(|(_, times)| times.windows(10).any(|w| w[9] - w[0] <= 300))
        .map(|(address, _)| address.as_str())
        .collect();
    expected.sort();

    let found = timeline(&vigil(&[
        "hunt",
        file.to_str().unwrap(),
        "--format",
        "jsonl",
    ]));
    let fired = titled(&found, "SSH password guessing from one address");
    let mut flagged: Vec<&str> = fired
        .iter()
        .map(|d| d["details"]["IpAddress"].as_str().unwrap())
        .collect();
    flagged.sort();
    flagged.dedup();
    assert_eq!(flagged, expected);
    assert!(flagged.contains(&"183.62.140.253"));
    for d in &fired {
        assert_eq!(d["details"]["event_count"], "10");
        let address = d["details"]["IpAddress"].as_str().unwrap();
        // Never more detections for an address than runs of ten failures.
        let runs = fired
            .iter()
            .filter(|f| f["details"]["IpAddress"] == address)
            .count();
        assert!(runs <= failures[address].len() / 10);
    }
}

#[test]
fn password_spray_with_explicit_credentials_is_found_and_only_there() {
    const SAMPLE: &str = "DeepBlueCLI/password-spray.evtx";
    let Some(found) = hunt_sample(SAMPLE) else {
        return;
    };
    // The sample: jwrig on DESKTOP-JR78RLP tries the credentials of 42
    // accounts against 172.16.144.128 (294 events 4648 in five minutes).
    let attempts = count_events(SAMPLE, "{ EventID: 4648 }");
    assert_eq!(attempts, 294);
    let fired = titled(&found, "Explicit credentials tried for many accounts");
    assert!(!fired.is_empty());
    assert!(fired.len() <= attempts / 5);
    for d in &fired {
        assert_eq!(d["computer"], "DESKTOP-JR78RLP");
        assert_eq!(d["details"]["SubjectUserName"], "jwrig");
        assert_eq!(d["details"]["value_count"], "5");
    }
    // No other sample of the corpus makes one account use five others'
    // credentials within half an hour.
    let corpus = vigil_testdata::shared_dir("corpus/evtx").unwrap();
    let everything = timeline(&vigil(&[
        "hunt",
        corpus.to_str().unwrap(),
        "--format",
        "jsonl",
    ]));
    let everywhere = titled(&everything, "Explicit credentials tried for many accounts");
    assert_eq!(everywhere.len(), fired.len());
    assert!(everywhere
        .iter()
        .all(|d| d["source"].as_str().unwrap().ends_with(SAMPLE)));
}
