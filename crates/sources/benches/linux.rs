//! Per-event cost of reading Linux logs: auditd's log (records joined into
//! events), journald's JSON export, and, for scale, auth.log's syslog lines.
//!
//! The inputs are written once to a temporary folder, outside the timed
//! loop; each iteration reads a whole file through `read_file`, as `vigil
//! hunt` does. Results and the machine they were taken on are in
//! `benches/RESULTS.md`.

use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vigil_sources::{discover, read_file, InputFile};

/// Events per file.
const EVENTS: usize = 20_000;

/// One execve event as auditd logs it: seven records, one of them hex, the
/// events interleaved two by two.
fn audit_log() -> String {
    let mut text = String::new();
    for pair in 0..EVENTS / 2 {
        let serials = [pair * 2, pair * 2 + 1];
        let stamp = |serial: usize| format!("msg=audit(1700000000.{:03}:{serial})", serial % 1000);
        for serial in serials {
            text += &format!(
                "type=SYSCALL {}: arch=c000003e syscall=59 success=yes exit=0 a0=55d0c4a1b2c0 a1=55d0c4a1b300 a2=55d0c4a1b320 a3=0 items=2 ppid=4120 pid={serial} auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"chmod\" exe=\"/usr/bin/chmod\" subj=unconfined key=\"perm_mod\"\n",
                stamp(serial)
            );
        }
        for serial in serials {
            let s = stamp(serial);
            text += &format!(
                "type=EXECVE {s}: argc=3 a0=\"chmod\" a1=\"755\" a2=2F746D702F6D7920736372697074\n"
            );
            text += &format!("type=CWD {s}: cwd=\"/root\"\n");
            text += &format!("type=PATH {s}: item=0 name=\"/usr/bin/chmod\" inode=1234 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0\n");
            text += &format!("type=PATH {s}: item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=5678 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0\n");
            text += &format!(
                "type=PROCTITLE {s}: proctitle=63686D6F6400373535002F746D702F6D7920736372697074\n"
            );
            text += &format!("type=EOE {s}: \n");
        }
    }
    text
}

/// sshd's failed passwords as `journalctl -o json` writes them.
fn journal() -> String {
    (0..EVENTS)
        .map(|n| {
            let micros = 1_700_000_000_000_000u64 + n as u64 * 1000;
            format!(
                concat!(
                    r#"{{"__CURSOR":"s=0a1b;i={n:x};b=9f;m=1;t={micros:x};x=1","__REALTIME_TIMESTAMP":"{micros}","#,
                    r#""__MONOTONIC_TIMESTAMP":"81234567","_BOOT_ID":"9f2c","_TRANSPORT":"syslog","PRIORITY":"6","#,
                    r#""SYSLOG_FACILITY":"10","SYSLOG_IDENTIFIER":"sshd","SYSLOG_PID":"4242","_PID":"4242","#,
                    r#""_UID":"0","_COMM":"sshd","_HOSTNAME":"web1","_SYSTEMD_UNIT":"ssh.service","#,
                    r#""MESSAGE":"Failed password for invalid user admin{n} from 203.0.113.9 port 50022 ssh2"}}"#,
                    "\n"
                ),
                n = n,
                micros = micros
            )
        })
        .collect()
}

/// The same messages as auth.log lines.
fn auth_log() -> String {
    (0..EVENTS)
        .map(|n| {
            format!(
                "Nov 14 22:{:02}:{:02} web1 sshd[4242]: Failed password for invalid user admin{n} from 203.0.113.9 port 50022 ssh2\n",
                n / 60 % 60,
                n % 60
            )
        })
        .collect()
}

fn input(folder: &Path, name: &str, text: &str) -> InputFile {
    let path = folder.join(name);
    std::fs::write(&path, text).unwrap();
    let (mut files, issues) = discover(&[path]);
    assert!(issues.is_empty(), "{issues:?}");
    files.remove(0)
}

fn reading(c: &mut Criterion) {
    let folder = tempfile::tempdir().unwrap();
    let inputs = [
        ("auditd", input(folder.path(), "audit.log", &audit_log())),
        ("journald", input(folder.path(), "journal.json", &journal())),
        ("syslog", input(folder.path(), "auth.log", &auth_log())),
    ];
    let mut group = c.benchmark_group("read");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(EVENTS as u64));
    for (name, file) in &inputs {
        group.bench_function(*name, |b| {
            b.iter(|| {
                let mut events = 0usize;
                read_file(file, &mut |_| events += 1, &mut |issue| panic!("{issue}")).unwrap();
                assert_eq!(events, EVENTS);
                events
            })
        });
    }
    group.finish();
}

criterion_group!(benches, reading);
criterion_main!(benches);
