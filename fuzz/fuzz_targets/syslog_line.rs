//! Syslog lines (RFC 3164, RFC 5424; sshd, PAM, sudo, Sysmon for Linux XML)
//! through the line parser shared by `hunt` and `watch`, several lines per
//! input so the year inference carries state between them.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use vigil_sources::{parse_syslog_line, SyslogContext};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let written_by = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    let mut context = SyslogContext::new("fuzz", written_by);
    for line in text.lines() {
        let _ = parse_syslog_line(line, &mut context);
    }
});
