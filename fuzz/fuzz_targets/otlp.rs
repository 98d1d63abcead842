//! `POST /v1/logs`: an OpenTelemetry logs export in protobuf and in JSON,
//! each record then turned into the line the watcher reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_otlp::{decode, Encoding};

fuzz_target!(|data: &[u8]| {
    for encoding in [Encoding::Protobuf, Encoding::Json] {
        if let Ok(records) = decode(data, encoding) {
            for record in records.iter().take(256) {
                let _ = record.line();
            }
        }
    }
});
