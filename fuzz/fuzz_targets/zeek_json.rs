//! Zeek JSON logs (one log per file, or JSON-streaming with `@stream`)
//! through the exfiltration assessment's reader, and each line through the
//! hunt's JSON line reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_event::{Event, Position};
use vigil_exfil::read::{self, NetworkFormat, ZeekLog};
use vigil_exfil::NetworkLog;
use vigil_sources::{parse_json_line_mapped, Mappings};

fuzz_target!(|data: &[u8]| {
    let path = vigil_fuzz::scratch("dns.log");
    std::fs::write(&path, data).expect("the scratch file can be written");
    let mut log = NetworkLog::default();
    if let Ok(Some(format)) = read::classify(&path, None) {
        let _ = read::read(&path, &format, &mut log);
    }
    let kind = [
        ZeekLog::Conn,
        ZeekLog::Dns,
        ZeekLog::Ssl,
        ZeekLog::Http,
        ZeekLog::Files,
    ][data.first().map_or(0, |b| *b as usize % 5)];
    let _ = read::read(&path, &NetworkFormat::ZeekJson(kind), &mut log);
    let _ = read::read(&path, &NetworkFormat::ZeekStreaming, &mut log);
    let mut event = Event::new("fuzz");
    for line in String::from_utf8_lossy(data).lines() {
        let _ = parse_json_line_mapped(line, Position::Line(1), Mappings::none(), &mut event);
    }
});
