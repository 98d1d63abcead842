//! `vigil watch`'s syslog over TCP: a stream cut into messages (octet counting
//! and newline framing mixed), each message parsed as a syslog line.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use vigil_sources::{parse_syslog_line, SyslogContext};

fuzz_target!(|data: &[u8]| {
    let mut stream = data;
    let written_by = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    let mut context = SyslogContext::new("fuzz", written_by);
    while let Ok(Some(message)) = vigil_watch::next_syslog_frame(&mut stream) {
        let _ = parse_syslog_line(&message, &mut context);
    }
});
