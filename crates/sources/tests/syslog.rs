//! Reads the shared Linux corpus (loghub's samples: 2,000 lines of an OpenSSH
//! server's auth log under brute force, 2,000 lines of an old Red Hat
//! `/var/log/messages`). Every line must become an event at its line number,
//! and the fields taken from the text must agree with counts the test takes
//! from the raw lines by plain substring search; the literal numbers were
//! also checked by hand with `grep -c` (given with each).
//!
//! The corpus lives outside the repository, in `../shared` next to the
//! workspace, or wherever `VIGIL_SHARED` points.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use vigil_event::{Event, FieldValue, Position};
use vigil_sources::{discover, read_file, Format, InputFile};

/// The shared data folder's `corpus/{part}`, or `None` when it is absent outside CI.
fn corpus(part: &str) -> Option<PathBuf> {
    vigil_testdata::shared_dir(&format!("corpus/{part}"))
}

/// A corpus file read whole: its events by line, and its raw lines.
struct Read {
    file: InputFile,
    events: Vec<Event>,
    lines: Vec<String>,
}

fn read(name: &str) -> Option<Read> {
    let folder = corpus("linux")?;
    let (files, issues) = discover(&[folder]);
    assert!(issues.is_empty(), "{issues:?}");
    let file = files
        .into_iter()
        .find(|file| file.path.ends_with(name))
        .unwrap_or_else(|| panic!("{name} was not discovered"));
    assert_eq!(
        file.format,
        Format::Syslog,
        "a .log whose first line is syslog"
    );
    let (mut events, mut issues) = (Vec::new(), Vec::new());
    let report = read_file(&file, &mut |e| events.push(e), &mut |i| issues.push(i)).unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(report.events, events.len() as u64);
    let lines = std::fs::read_to_string(&file.path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    Some(Read {
        file,
        events,
        lines,
    })
}

fn text<'e>(event: &'e Event, name: &str) -> Option<&'e str> {
    event.get(name).and_then(FieldValue::as_str)
}

/// Every line is an event at its own line number, of product linux, with the
/// host and a program, in one year at or before the file was written.
fn every_line_is_an_event(read: &Read, host: &str) {
    assert_eq!(read.lines.len(), 2000);
    assert_eq!(read.events.len(), read.lines.len());
    for (index, (event, line)) in read.events.iter().zip(&read.lines).enumerate() {
        assert_eq!(event.position, Position::Line(index as u64 + 1));
        assert_eq!(event.product, Some("linux"));
        assert_eq!(event.computer(), Some(host), "{line}");
        assert!(event.channel().is_some(), "{line}");
        let message = text(event, "Message").unwrap();
        assert!(line.trim_end().ends_with(message.trim_end()), "{line}");
    }
    let written = std::fs::metadata(&read.file.path)
        .unwrap()
        .modified()
        .map(DateTime::<Utc>::from)
        .unwrap();
    let times: Vec<_> = read.events.iter().map(|e| e.timestamp.unwrap()).collect();
    // Both samples lie within one calendar year (December; June–July), so no
    // roll-over: one year, the latest that puts them before the file's time.
    assert!(times.iter().all(|t| t.date_naive().format("%Y").to_string()
        == times[0].date_naive().format("%Y").to_string()));
    assert!(*times.last().unwrap() <= written + Duration::days(1));
    assert!(times[0] > written - Duration::days(366));
}

#[test]
fn openssh_auth_log() {
    let Some(read) = read("OpenSSH_2k.log") else {
        return;
    };
    every_line_is_an_event(&read, "LabSZ");
    assert!(read.events.iter().all(|e| e.channel() == Some("sshd")));
    assert_eq!(
        read.events[0]
            .timestamp
            .unwrap()
            .format("%m-%d %H:%M:%S")
            .to_string(),
        "12-10 06:55:46"
    );

    // Failed password, including 2 lines `message repeated 5 times: [ Failed
    // password …]`: grep -c 'Failed password' gives 520.
    let failed_password = |line: &str| line.contains("Failed password for ");
    let expected = read.lines.iter().filter(|l| failed_password(l)).count();
    assert_eq!(expected, 520);
    let mut per_ip: BTreeMap<&str, usize> = BTreeMap::new();
    for (event, line) in read.events.iter().zip(&read.lines) {
        let is_failed_password = text(event, "Outcome") == Some("failure")
            && text(event, "AuthMethod") == Some("password");
        assert_eq!(is_failed_password, failed_password(line), "{line}");
        if !is_failed_password {
            continue;
        }
        // The user is the word(s) between `for [invalid user ]` and ` from `.
        let after_for = line.split_once("Failed password for ").unwrap().1;
        let after_for = after_for.strip_prefix("invalid user ").unwrap_or(after_for);
        let (user, rest) = after_for.rsplit_once(" from ").unwrap();
        let ip = rest.split(' ').next().unwrap();
        assert_eq!(text(event, "TargetUserName"), Some(user), "{line}");
        assert_eq!(text(event, "IpAddress"), Some(ip), "{line}");
        assert!(ip.parse::<IpAddr>().is_ok());
        assert!(matches!(event.get("IpPort"), Some(FieldValue::Int(_))));
        *per_ip.entry(ip).or_default() += 1;
    }
    // What a brute-force correlation grouped by IpAddress sees: 23 sources,
    // the busiest with 286 failures (grep 'Failed password' | grep -c
    // 'from 183.62.140.253').
    assert_eq!(per_ip.len(), 23);
    assert_eq!(per_ip["183.62.140.253"], 286);
    let repeated: Vec<_> = read
        .events
        .iter()
        .filter_map(|e| e.get("RepeatCount"))
        .collect();
    assert_eq!(repeated, [&FieldValue::Int(5), &FieldValue::Int(5)]);

    // Outcomes by the message forms that give them. By hand: `Failed ` 524
    // (520 password, 4 none) + PAM's `authentication failure;` 494 = 1018;
    // `Invalid user ` 113; `Accepted ` 1; `Received disconnect from` 468 (47
    // of them logged as `error: Received disconnect …`); `Connection closed
    // by` 34.
    let outcome_of = |line: &str| {
        let message = line.split_once("]: ").unwrap().1;
        let message = message.strip_prefix("error: ").unwrap_or(message);
        if message.contains("Failed ") || message.contains("): authentication failure;") {
            Some("failure")
        } else if message.starts_with("Invalid user ") {
            Some("invalid_user")
        } else if message.starts_with("Accepted ") {
            Some("success")
        } else if message.starts_with("Received disconnect from ") {
            Some("disconnected")
        } else if message.starts_with("Connection closed by ") {
            Some("closed")
        } else {
            None
        }
    };
    let mut counted: BTreeMap<&str, usize> = BTreeMap::new();
    for (event, line) in read.events.iter().zip(&read.lines) {
        assert_eq!(text(event, "Outcome"), outcome_of(line), "{line}");
        if let Some(outcome) = text(event, "Outcome") {
            *counted.entry(outcome).or_default() += 1;
            assert!(
                event.get("IpAddress").is_some() || event.get("RemoteHost").is_some(),
                "every outcome names its client: {line}"
            );
        }
    }
    assert_eq!(
        counted.into_iter().collect::<Vec<_>>(),
        [
            ("closed", 34),
            ("disconnected", 468),
            ("failure", 1018),
            ("invalid_user", 113),
            ("success", 1),
        ]
    );
    let accepted = read
        .events
        .iter()
        .find(|e| text(e, "Outcome") == Some("success"))
        .unwrap();
    assert_eq!(text(accepted, "TargetUserName"), Some("fztu"));
}

#[test]
fn red_hat_messages() {
    let Some(read) = read("Linux_2k.log") else {
        return;
    };
    every_line_is_an_event(&read, "combo");

    // Programs by tag, `sshd(pam_unix)` counted as sshd (awk '{print $5}' |
    // sort | uniq -c): ftpd 916, sshd 677, su 172, kernel 76, klogind 46.
    let mut programs: BTreeMap<&str, usize> = BTreeMap::new();
    for event in &read.events {
        *programs.entry(event.channel().unwrap()).or_default() += 1;
    }
    assert_eq!(programs["ftpd"], 916);
    assert_eq!(programs["sshd"], 677);
    assert_eq!(programs["su"], 172);
    assert_eq!(programs["kernel"], 76);
    assert_eq!(programs["klogind"], 46);
    // 8 lines have no tag: line 899, `combo  -- root[2421]: ROOT LOGIN ON
    // tty2`, and 7 of sysklogd's own `combo syslogd 1.4.1: restart.` (a space
    // in the would-be tag).
    assert_eq!(programs["-"], 8);
    assert_eq!(read.events[898].channel(), Some("-"));
    assert_eq!(
        text(&read.events[898], "Message"),
        Some("-- root[2421]: ROOT LOGIN ON tty2")
    );

    // PAM failures in the old `sshd(pam_unix)[pid]:` layout: 490 lines
    // (489 sshd, 1 gdm). Their rhost is an address in 300, a host name in 189
    // and empty in 1; 372 name the user.
    let (mut failures, mut by_address, mut by_name, mut users) = (0, 0, 0, 0);
    for (event, line) in read.events.iter().zip(&read.lines) {
        let pam_failure = line.contains("(pam_unix)[") && line.contains("authentication failure;");
        assert_eq!(
            text(event, "Outcome") == Some("failure"),
            pam_failure,
            "{line}"
        );
        if !pam_failure {
            continue;
        }
        failures += 1;
        assert_eq!(text(event, "PamModule"), Some("pam_unix"));
        let rhost = line
            .split("rhost=")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        if rhost.parse::<IpAddr>().is_ok() {
            by_address += 1;
            assert_eq!(text(event, "IpAddress"), Some(rhost));
        } else if !rhost.is_empty() {
            by_name += 1;
            assert_eq!(text(event, "RemoteHost"), Some(rhost));
        }
        if let Some(user) = line.split(" user=").nth(1) {
            users += 1;
            assert_eq!(text(event, "TargetUserName"), Some(user.trim_end()));
        }
    }
    assert_eq!((failures, by_address, by_name, users), (490, 300, 189, 372));
}
