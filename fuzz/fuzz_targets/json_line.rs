//! One JSON line through the shape-detecting entry point `vigil hunt` and
//! `vigil watch` use for every line (evtx_dump, Winlogbeat 6/7/8, ECS, NXLog,
//! Wazuh, journald, Zeek, Splunk, any object).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_event::{Event, Position};
use vigil_sources::{parse_json_line_mapped, Mappings};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut event = Event::new("fuzz");
    let _ = parse_json_line_mapped(text, Position::Line(1), Mappings::none(), &mut event);
});
