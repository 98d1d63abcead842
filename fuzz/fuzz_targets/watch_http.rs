//! `vigil watch`'s HTTP intake: a POST body split into events (one object, an
//! array, NDJSON), each event then parsed as the watcher parses a line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_event::{Event, Position};
use vigil_sources::{parse_json_line_mapped, Mappings};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(lines) = vigil_watch::split_http_body(body) else {
        return;
    };
    let mut event = Event::new("fuzz");
    for line in lines.iter().take(64) {
        let _ = parse_json_line_mapped(line, Position::Line(1), Mappings::none(), &mut event);
    }
});
