//! `--mapping` YAML: parsed, then applied to a few JSON lines of other shapes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_event::{Event, Position};
use vigil_sources::{parse_json_line_mapped, Mappings};

const LINES: [&str; 3] = [
    r#"{"host":{"name":"WS-1"},"@timestamp":"2024-03-01T10:00:00Z","event":{"code":4688},"process":{"command_line":"whoami"}}"#,
    r#"{"ts":1521911720.5,"id.orig_h":"10.0.0.1","query":"a.example.com","_path":"dns"}"#,
    r#"{"time":"2024-03-01 10:00:00","app":"vpn","user":"alice","result":"fail","nested":{"a":[1,{"b":null}]}}"#,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mappings) = Mappings::from_yaml(text) else {
        return;
    };
    let mut event = Event::new("fuzz");
    for line in LINES {
        let _ = parse_json_line_mapped(line, Position::Line(1), &mappings, &mut event);
    }
});
