//! auditd's log read into events, one per audit event: records joined by
//! serial across interleaving, values decoded, SigmaHQ's auditd rules firing
//! on the events written for them and not on their neighbours, damage
//! reported, memory bounded.
//!
//! The fixture lines follow the record layout of auditd's documentation
//! (`auditd.conf(5)`, `ausearch(8)`) and are written by the test.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use vigil_event::{Event, FieldValue, Position};
use vigil_sigma::{RuleSet, RuleSetBuilder, RuleSetOptions};
use vigil_sources::{discover, read_file, FileReport, Format, IssueKind, SourceIssue};

/// `chmod 777 "/tmp/my script"` as root (serial 101), interleaved with a
/// failed login (102); then writes to /etc/ld.so.preload (104) and to its
/// neighbour /etc/ld.so.conf (105); `personality(ADDR_NO_RANDOMIZE)` (106)
/// and `personality(0)` (107); firewalld and cron stopped (108, 109);
/// `memfd_create` by ecasound, enriched (110); wget under the audit key
/// `susp_activity` (111); `ls -l` (112).
const AUDIT_LOG: &str = concat!(
    // 1
    "type=SYSCALL msg=audit(1700000000.100:101): arch=c000003e syscall=59 success=yes exit=0 a0=55d0c4a1b2c0 a1=55d0c4a1b300 a2=55d0c4a1b320 a3=0 items=2 ppid=4120 pid=4188 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"chmod\" exe=\"/usr/bin/chmod\" subj=unconfined key=\"perm_mod\"\n",
    "type=EXECVE msg=audit(1700000000.100:101): argc=3 a0=\"chmod\" a1=\"777\" a2=2F746D702F6D7920736372697074\n",
    // 3
    "type=USER_LOGIN msg=audit(1700000000.120:102): pid=4200 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='op=login acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=? addr=203.0.113.9 terminal=sshd res=failed'\n",
    "type=CWD msg=audit(1700000000.100:101): cwd=\"/root\"\n",
    "type=PATH msg=audit(1700000000.100:101): item=0 name=\"/usr/bin/chmod\" inode=1234 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0\n",
    "type=PATH msg=audit(1700000000.100:101): item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=5678 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0\n",
    "type=PROCTITLE msg=audit(1700000000.100:101): proctitle=63686D6F6400373737002F746D702F6D7920736372697074\n",
    "type=EOE msg=audit(1700000000.100:101): \n",
    // 9
    "type=SYSCALL msg=audit(1700000001.000:104): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=5612 a2=241 a3=1b6 items=2 ppid=4120 pid=4190 auid=1000 uid=0 gid=0 euid=0 tty=pts0 ses=3 comm=\"bash\" exe=\"/usr/bin/bash\" key=\"preload\"\n",
    "type=CWD msg=audit(1700000001.000:104): cwd=\"/root\"\n",
    "type=PATH msg=audit(1700000001.000:104): item=0 name=\"/etc/\" inode=2 dev=08:01 mode=040755 nametype=PARENT\n",
    "type=PATH msg=audit(1700000001.000:104): item=1 name=\"/etc/ld.so.preload\" inode=99 dev=08:01 mode=0100644 nametype=CREATE\n",
    "type=PROCTITLE msg=audit(1700000001.000:104): proctitle=\"bash\"\n",
    "type=EOE msg=audit(1700000001.000:104): \n",
    // 15
    "type=SYSCALL msg=audit(1700000002.000:105): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=5612 a2=241 a3=1b6 items=2 ppid=4120 pid=4191 auid=1000 uid=0 comm=\"bash\" exe=\"/usr/bin/bash\" key=(null)\n",
    "type=PATH msg=audit(1700000002.000:105): item=0 name=\"/etc/\" nametype=PARENT\n",
    "type=PATH msg=audit(1700000002.000:105): item=1 name=\"/etc/ld.so.conf\" nametype=NORMAL\n",
    "type=EOE msg=audit(1700000002.000:105): \n",
    // 19
    "type=SYSCALL msg=audit(1700000003.000:106): arch=c000003e syscall=135 success=yes exit=0 a0=40000 a1=0 a2=0 a3=0 items=0 ppid=4120 pid=4192 auid=1000 uid=1000 comm=\"setarch\" exe=\"/usr/bin/setarch\" key=(null)\n",
    "type=PROCTITLE msg=audit(1700000003.000:106): proctitle=73657461726368007838365F3634002D52\n",
    "type=EOE msg=audit(1700000003.000:106): \n",
    // 22
    "type=SYSCALL msg=audit(1700000004.000:107): arch=c000003e syscall=135 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 ppid=4120 pid=4193 auid=1000 uid=1000 comm=\"setarch\" exe=\"/usr/bin/setarch\" key=(null)\n",
    "type=EOE msg=audit(1700000004.000:107): \n",
    // 24
    "type=SERVICE_STOP msg=audit(1700000005.000:108): pid=1 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:init_t:s0 msg='unit=firewalld comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" hostname=? addr=? terminal=? res=success'\x1dUID=\"root\" AUID=\"unset\"\n",
    "type=SERVICE_STOP msg=audit(1700000006.000:109): pid=1 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:init_t:s0 msg='unit=cron comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" hostname=? addr=? terminal=? res=success'\x1dUID=\"root\" AUID=\"unset\"\n",
    // 26
    "type=SYSCALL msg=audit(1700000007.000:110): arch=c000003e syscall=319 success=yes exit=3 a0=7f4a1c a1=1 a2=0 a3=0 items=0 ppid=900 pid=4194 auid=1001 uid=1001 comm=\"ecasound\" exe=\"/usr/bin/ecasound\" key=(null)\x1dARCH=x86_64 SYSCALL=memfd_create AUID=\"alice\" UID=\"alice\"\n",
    "type=EOE msg=audit(1700000007.000:110): \n",
    // 28
    "type=SYSCALL msg=audit(1700000008.000:111): arch=c000003e syscall=59 success=yes exit=0 items=2 ppid=4120 pid=4195 auid=1000 uid=1000 comm=\"wget\" exe=\"/usr/bin/wget\" key=\"susp_activity\"\n",
    "type=EXECVE msg=audit(1700000008.000:111): argc=2 a0=\"wget\" a1=\"http://203.0.113.9/x\"\n",
    "type=EOE msg=audit(1700000008.000:111): \n",
    // 31
    "type=SYSCALL msg=audit(1700000009.000:112): arch=c000003e syscall=59 success=yes exit=0 items=2 ppid=4120 pid=4196 auid=1000 uid=1000 comm=\"ls\" exe=\"/usr/bin/ls\" key=(null)\n",
    "type=EXECVE msg=audit(1700000009.000:112): argc=2 a0=\"ls\" a1=\"-l\"\n",
    "type=EOE msg=audit(1700000009.000:112): \n",
);

struct Read {
    report: FileReport,
    events: Vec<Event>,
    issues: Vec<SourceIssue>,
}

fn read(path: &Path) -> Read {
    let (files, problems) = discover(&[path.to_path_buf()]);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(files[0].format, Format::Auditd);
    let (mut events, mut issues) = (Vec::new(), Vec::new());
    let report = read_file(&files[0], &mut |e| events.push(e), &mut |i| issues.push(i)).unwrap();
    Read {
        report,
        events,
        issues,
    }
}

fn write(folder: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = folder.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn text(event: &Event, name: &str) -> String {
    event.get(name).map(|v| v.to_string()).unwrap_or_default()
}

fn list(items: &[&str]) -> FieldValue {
    FieldValue::List(items.iter().map(|item| FieldValue::from(*item)).collect())
}

/// The event whose first record is at `line`.
fn at(events: &[Event], line: u64) -> &Event {
    events
        .iter()
        .find(|event| event.position == Position::Line(line))
        .unwrap_or_else(|| panic!("no event at line {line}"))
}

#[test]
fn records_of_one_serial_become_one_event() {
    let folder = tempfile::tempdir().unwrap();
    let read = read(&write(folder.path(), "audit.log", AUDIT_LOG.as_bytes()));
    assert!(read.issues.is_empty(), "{:?}", read.issues);
    assert_eq!(read.report.events, 11);
    let lines: Vec<_> = read.events.iter().map(|e| e.position).collect();
    // Each event is handed on at its EOE; the login, which has none, when
    // the file ends.
    assert_eq!(
        lines,
        [1, 9, 15, 19, 22, 26, 28, 31, 3, 24, 25].map(Position::Line)
    );

    let chmod = at(&read.events, 1);
    assert_eq!(chmod.product, Some("linux"));
    assert_eq!(chmod.shape, Some("auditd"));
    assert_eq!(chmod.channel(), Some("auditd"));
    assert_eq!(
        chmod.timestamp.unwrap().to_rfc3339(),
        "2023-11-14T22:13:20.100+00:00"
    );
    assert_eq!(
        chmod.get("type"),
        Some(&list(&[
            "SYSCALL",
            "EXECVE",
            "CWD",
            "PATH",
            "PATH",
            "PROCTITLE"
        ]))
    );
    assert_eq!(chmod.get("a0"), Some(&list(&["55d0c4a1b2c0", "chmod"])));
    assert_eq!(chmod.get("a1"), Some(&list(&["55d0c4a1b300", "777"])));
    assert_eq!(
        chmod.get("a2"),
        Some(&list(&["55d0c4a1b320", "/tmp/my script"]))
    );
    assert_eq!(
        chmod.get("name"),
        Some(&list(&["/usr/bin/chmod", "/lib64/ld-linux-x86-64.so.2"]))
    );
    assert_eq!(text(chmod, "proctitle"), "chmod 777 /tmp/my script");
    assert_eq!(text(chmod, "cwd"), "/root");
    assert_eq!(text(chmod, "exe"), "/usr/bin/chmod");
    assert_eq!(text(chmod, "key"), "perm_mod");
    assert_eq!(text(chmod, "SYSCALL"), "execve");

    let login = at(&read.events, 3);
    assert_eq!(text(login, "type"), "USER_LOGIN");
    assert_eq!(text(login, "acct"), "root");
    assert_eq!(text(login, "addr"), "203.0.113.9");
    assert_eq!(text(login, "res"), "failed");

    let firewall = at(&read.events, 24);
    assert_eq!(text(firewall, "unit"), "firewalld");
    assert_eq!(text(firewall, "UID"), "root");
    assert_eq!(text(firewall, "uid"), "0");

    let setarch = at(&read.events, 19);
    assert_eq!(text(setarch, "SYSCALL"), "personality");
    assert_eq!(text(setarch, "proctitle"), "setarch x86_64 -R");
}

/// `(line, rule title)` of every detection of SigmaHQ's Linux rules,
/// checking that the prefilter changes nothing.
fn detections(rules: &RuleSet, events: &[Event]) -> BTreeSet<(u64, String)> {
    let mut found = BTreeSet::new();
    for event in events {
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        rules.detect(event, &mut fast);
        rules.detect_unindexed(event, &mut slow);
        let titles: Vec<String> = fast.iter().map(|d| d.rule_title.to_string()).collect();
        let unindexed: Vec<String> = slow.iter().map(|d| d.rule_title.to_string()).collect();
        assert_eq!(titles, unindexed);
        let Position::Line(line) = event.position else {
            panic!("a line");
        };
        found.extend(titles.into_iter().map(|title| (line, title)));
    }
    found
}

fn linux_rules() -> Option<RuleSet> {
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_path(&vigil_testdata::shared_dir("sigma/rules/linux")?);
    let (rules, report) = builder.build();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    Some(rules)
}

/// Every detection of all of SigmaHQ's Linux rules (auditd's, the builtin
/// syslog keyword rules, process_creation's) on the fixture: the auditd
/// rules each event was written for, and nothing on the neighbours (the
/// ld.so.conf write, `personality(0)`, cron stopped, `ls -l`, the login).
#[test]
fn sigmahq_auditd_rules_fire_on_their_events_only() {
    let Some(rules) = linux_rules() else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let read = read(&write(folder.path(), "audit.log", AUDIT_LOG.as_bytes()));
    let expected: BTreeSet<(u64, String)> = [
        // lnx_auditd_susp_cmds.yml (`a0: chmod`, `a1: 777`).
        (1, "Suspicious Commands Linux"),
        // lnx_auditd_file_or_folder_permissions.yml (`a0|contains: chmod`).
        (1, "File or Folder Permissions Change"),
        // lnx_auditd_ld_so_preload_mod.yml (`type: PATH`, `name`).
        (9, "Modification of ld.so.preload"),
        // lnx_ldso_preload_injection.yml: a product-wide keyword rule.
        (9, "Code Injection by ld.so Preload"),
        // lnx_auditd_disable_aslr_protection.yml (`SYSCALL: personality`,
        // `a0: 40000`), the name found from the raw number 135.
        (19, "ASLR Disabled Via Sysctl or Direct Syscall - Linux"),
        // lnx_auditd_disable_system_firewall.yml (`unit` inside `msg='…'`).
        (24, "Disable System Firewall"),
        // lnx_auditd_audio_capture.yml (enriched `SYSCALL: memfd_create`).
        (26, "Audio Capture"),
        // lnx_auditd_susp_c2_commands.yml (`key: susp_activity`).
        (28, "Suspicious C2 Activities"),
    ]
    .into_iter()
    .map(|(line, title)| (line, title.to_string()))
    .collect();
    assert_eq!(detections(&rules, &read.events), expected);
}

/// The same action logged without EOE records and with the records of two
/// events interleaved still joins; a gzip rotation reads the same.
#[test]
fn interleaving_without_eoe_and_gzip_join_the_same() {
    let folder = tempfile::tempdir().unwrap();
    let without_eoe: String = AUDIT_LOG
        .lines()
        .filter(|line| !line.starts_with("type=EOE"))
        .map(|line| format!("{line}\n"))
        .collect();
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(without_eoe.as_bytes()).unwrap();
    let path = write(folder.path(), "audit.log.1.gz", &encoder.finish().unwrap());
    let read = read(&path);
    assert!(read.issues.is_empty(), "{:?}", read.issues);
    assert_eq!(read.events.len(), 11);
    let chmod = &read.events[0];
    assert_eq!(chmod.position, Position::Line(1));
    assert_eq!(
        chmod.get("type"),
        Some(&list(&[
            "SYSCALL",
            "EXECVE",
            "CWD",
            "PATH",
            "PATH",
            "PROCTITLE"
        ]))
    );
    let login = &read.events[1];
    assert_eq!(login.position, Position::Line(3));
}

#[test]
fn node_names_the_computer_and_ausearch_output_reads() {
    let folder = tempfile::tempdir().unwrap();
    let text = concat!(
        "----\n",
        "node=web1 type=PROCTITLE msg=audit(11/14/2023 22:13:20.100:101) : proctitle=chmod 777 /tmp/my script\n",
        "node=web1 type=EXECVE msg=audit(11/14/2023 22:13:20.100:101) : argc=3 a0=chmod a1=777 a2=/tmp/x\n",
        "node=web1 type=SYSCALL msg=audit(11/14/2023 22:13:20.100:101) : arch=x86_64 syscall=execve success=yes exit=0 items=2 auid=alice uid=root comm=chmod exe=/usr/bin/chmod key=(null)\n",
        "----\n",
        "node=web1 type=USER_LOGIN msg=audit(11/14/2023 22:13:20.120:102) : pid=4200 uid=root auid=unset msg='op=login acct=root exe=/usr/sbin/sshd hostname=? addr=203.0.113.9 terminal=sshd res=failed'\n",
    );
    let read = read(&write(folder.path(), "ausearch.txt", text.as_bytes()));
    assert!(read.issues.is_empty(), "{:?}", read.issues);
    assert_eq!(read.events.len(), 2);
    let chmod = &read.events[0];
    assert_eq!(chmod.computer(), Some("web1"));
    assert_eq!(text_of(chmod, "proctitle"), "chmod 777 /tmp/my script");
    assert_eq!(chmod.get("a1"), Some(&FieldValue::from("777")));
    assert_eq!(text_of(chmod, "SYSCALL"), "execve");
    assert_eq!(
        chmod.timestamp.unwrap().to_rfc3339(),
        "2023-11-14T22:13:20.100+00:00"
    );
    assert_eq!(text_of(&read.events[1], "acct"), "root");
}

fn text_of(event: &Event, name: &str) -> String {
    text(event, name)
}

#[test]
fn damaged_lines_are_reported_with_their_line_and_reading_goes_on() {
    let folder = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"type=SYSCALL arch=c000003e syscall=59 comm=\"x\"\n");
    bytes.extend_from_slice(
        b"type=EXECVE msg=audit(1700000000.100:7): argc=2 a0=\"cat\" a1=2F6574632F7\n",
    );
    bytes.extend_from_slice(
        b"type=SYSCALL msg=audit(1700000000.100:7): arch=c000003e syscall=59 comm=\"ca\n",
    );
    bytes.extend_from_slice(b"type=PATH msg=audit(1700000000.1\n");
    bytes.extend_from_slice(b"type=CWD msg=audit(1700000000.100:7): cwd=\"/h\xffme\"\n");
    bytes.extend_from_slice(b"type=PATH msg=audit(soon:7): name=\"/x\"\n");
    bytes.extend_from_slice(b"type=EOE msg=audit(1700000000.100:7): \n");
    let read = read(&write(folder.path(), "audit.log", &bytes));
    let issues: Vec<_> = read
        .issues
        .iter()
        .map(|i| (i.location.as_str(), i.kind, i.reason.as_str()))
        .collect();
    assert_eq!(
        issues,
        [
            (
                "line 1",
                IssueKind::Skipped,
                "not an audit record: no `msg=audit(time:serial)`"
            ),
            (
                "line 2",
                IssueKind::Suspect,
                "a1 is neither quoted nor hex (\"2F6574632F7\"); kept as written"
            ),
            (
                "line 3",
                IssueKind::Suspect,
                "the line ends inside the quoted value of comm: it is cut short"
            ),
            (
                "line 4",
                IssueKind::Skipped,
                "not an audit record: `msg=audit(` is not closed by `)`: the line is cut short"
            ),
            (
                "line 5",
                IssueKind::Suspect,
                "not valid UTF-8 at byte 46; read with invalid bytes replaced by U+FFFD"
            ),
            (
                "line 6",
                IssueKind::Skipped,
                "not an audit record: \"soon:7\" is not `seconds.millis:serial`"
            ),
        ]
    );
    assert!(read.issues[0].to_string().contains("audit.log: line 1: "));
    assert_eq!((read.report.skipped, read.report.suspect), (3, 3));
    assert_eq!(read.events.len(), 1);
    let event = &read.events[0];
    assert_eq!(event.position, Position::Line(2));
    assert_eq!(event.get("a1"), Some(&FieldValue::from("2F6574632F7")));
    assert_eq!(text(event, "comm"), "ca");
    assert_eq!(text(event, "cwd"), "/h\u{FFFD}me");
}

/// 200,000 serials none of which ends: all become events, and the joiner
/// holds a window of them, not the file (its unit tests check the bound).
#[test]
fn a_flood_of_unfinished_serials_is_read_whole() {
    let folder = tempfile::tempdir().unwrap();
    let text: String = (0..200_000)
        .map(|serial| {
            format!("type=SYSCALL msg=audit(1700000000.000:{serial}): arch=c000003e syscall=2\n")
        })
        .collect();
    let read = read(&write(folder.path(), "audit.log", text.as_bytes()));
    assert!(read.issues.is_empty());
    assert_eq!(read.events.len(), 200_000);
    assert_eq!(read.events[199_999].position, Position::Line(200_000));
    assert_eq!(text_of(&read.events[5], "SYSCALL"), "open");
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

/// Lines of the fixture truncated, with bytes replaced, inserted and
/// deleted, read as a file: nothing panics, events never outnumber lines,
/// and something (events or issues) comes of every file.
#[test]
fn mutated_lines_never_panic() {
    let folder = tempfile::tempdir().unwrap();
    let lines: Vec<&[u8]> = AUDIT_LOG.lines().map(str::as_bytes).collect();
    let mut next = numbers(0x5eed_a0d1);
    let special = b"=\"' ():.\x1d\x01\xff0aF-[]";
    for round in 0..40 {
        let mut bytes = Vec::new();
        for _ in 0..200 {
            let mut line = lines[next(lines.len())].to_vec();
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
            bytes.extend_from_slice(&line);
            bytes.push(b'\n');
        }
        let path = write(folder.path(), &format!("audit.log.{round}"), &bytes);
        let read = read(&path);
        assert!(read.report.events <= 200, "round {round}");
        assert!(
            read.report.events + read.report.skipped > 0,
            "round {round}"
        );
    }
}

/// Audit records forwarded to syslog are events of their own, one a record,
/// with the record's fields: the auditd rules fire on them when audispd
/// forwarded them, not when another program logged such text.
#[test]
fn records_forwarded_to_syslog_are_read_one_by_one() {
    let Some(rules) = linux_rules() else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let lines = concat!(
        "Nov 14 22:13:20 web1 audisp-syslog: type=EXECVE msg=audit(1700000000.100:101): argc=3 a0=\"chmod\" a1=\"777\" a2=2F746D702F78\n",
        "Nov 14 22:13:21 web1 audispd: node=web1 type=PATH msg=audit(1700000001.000:104): item=1 name=\"/etc/ld.so.preload\" nametype=CREATE\n",
        "Nov 14 22:13:22 web1 myapp[7]: type=EXECVE msg=audit(1700000002.000:105): argc=3 a0=\"chmod\" a1=\"777\" a2=\"/x\"\n",
        "Nov 14 22:13:23 web1 sshd[8]: Server listening on 0.0.0.0 port 22.\n",
    );
    let path = write(folder.path(), "messages", lines.as_bytes());
    let (files, _) = discover(&[path]);
    assert_eq!(files[0].format, Format::Syslog);
    let mut events = Vec::new();
    read_file(&files[0], &mut |e| events.push(e), &mut |i| panic!("{i}")).unwrap();
    assert_eq!(events[0].channel(), Some("audisp-syslog"));
    assert_eq!(text(&events[0], "type"), "EXECVE");
    assert_eq!(text(&events[0], "a2"), "/tmp/x");
    assert_eq!(text(&events[1], "name"), "/etc/ld.so.preload");
    assert_eq!(events[3].get("type"), None);
    let expected: BTreeSet<(u64, String)> = [
        (1, "Suspicious Commands Linux"),
        (1, "File or Folder Permissions Change"),
        (2, "Modification of ld.so.preload"),
        (2, "Code Injection by ld.so Preload"),
    ]
    .into_iter()
    .map(|(line, title)| (line, title.to_string()))
    .collect();
    assert_eq!(detections(&rules, &events), expected);
}
