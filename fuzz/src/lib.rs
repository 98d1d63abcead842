//! What the fuzz targets share: a fuzz input as an evidence file on disk, and
//! a few events of each product for rules to be matched against.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use chrono::{TimeZone, Utc};
use vigil_event::{Event, FieldValue};
use vigil_sigma::RuleSetOptions;
use vigil_sources::{read_file, Format, InputFile};

/// The rule set options with the built-in logsource tables, read once: reading
/// them is most of the work of building a small rule set.
pub fn rule_options() -> RuleSetOptions {
    static OPTIONS: OnceLock<RuleSetOptions> = OnceLock::new();
    OPTIONS.get_or_init(RuleSetOptions::default).clone()
}

/// Where a target writes its input: one file per process and target, in
/// memory when `/dev/shm` exists, so writing it costs no disk.
pub fn scratch(name: &str) -> PathBuf {
    let shm = std::path::Path::new("/dev/shm");
    let folder = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    folder.join(format!("vigil-fuzz-{}-{name}", std::process::id()))
}

/// Reads `data` as a file of `format` through Vigil's own reader, as `hunt`
/// does; returns the events read.
pub fn read_as(format: Format, name: &str, data: &[u8]) -> Vec<Event> {
    let path = scratch(name);
    std::fs::write(&path, data).expect("the scratch file can be written");
    let file = InputFile {
        path,
        format,
        gzip: false,
        size: data.len() as u64,
    };
    let mut events = Vec::new();
    let _ = read_file(&file, &mut |event| events.push(event), &mut |_| {});
    events
}

/// A Windows process start, a failed logon, a syslog sshd line and a Zeek
/// DNS record: enough products and channels for rules of every logsource.
pub fn sample_events() -> Vec<Event> {
    let time = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    let source: Arc<str> = Arc::from("fuzz");
    let mut events = Vec::new();
    let fields: [(&str, Option<&str>, &[(&str, FieldValue)]); 4] = [
        (
            "windows",
            Some("Security"),
            &[
                ("EventID", FieldValue::Int(4688)),
                (
                    "NewProcessName",
                    FieldValue::from(r"C:\Windows\System32\whoami.exe"),
                ),
                ("CommandLine", FieldValue::from("whoami /all")),
                ("SubjectUserName", FieldValue::from("alice")),
            ],
        ),
        (
            "windows",
            Some("Security"),
            &[
                ("EventID", FieldValue::Int(4625)),
                ("TargetUserName", FieldValue::from("bob")),
                ("IpAddress", FieldValue::from("10.0.0.7")),
            ],
        ),
        (
            "linux",
            Some("sshd"),
            &[
                ("program", FieldValue::from("sshd")),
                (
                    "message",
                    FieldValue::from("Failed password for root from 10.0.0.9 port 22 ssh2"),
                ),
            ],
        ),
        (
            "zeek",
            Some("dns"),
            &[
                ("query", FieldValue::from("aaaa.example.com")),
                ("id.orig_h", FieldValue::from("10.0.0.5")),
                ("qtype_name", FieldValue::from("TXT")),
            ],
        ),
    ];
    for (n, (product, channel, fields)) in fields.into_iter().enumerate() {
        let mut event = Event::new(source.clone());
        event.product = Some(product);
        event.timestamp = Some(time + chrono::Duration::seconds(n as i64 * 30));
        if let Some(channel) = channel {
            event.insert("Channel", FieldValue::from(channel));
        }
        for (name, value) in fields {
            event.insert(*name, value.clone());
        }
        events.push(event);
    }
    events
}
