//! Zeek tab-separated logs through both readers: the hunt's (events of
//! product `zeek`) and the exfiltration assessment's (flows, DNS, TLS, HTTP,
//! files), the latter after classifying the file as `vigil exfil` does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_exfil::read::{self, NetworkFormat, ZeekLog};
use vigil_exfil::NetworkLog;
use vigil_sources::Format;

fuzz_target!(|data: &[u8]| {
    vigil_fuzz::read_as(Format::ZeekTsv, "conn.log", data);
    let path = vigil_fuzz::scratch("conn.log");
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
    let _ = read::read(&path, &NetworkFormat::ZeekTsv(kind), &mut log);
});
