//! auditd logs through Vigil's reader: records parsed and joined by serial.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_sources::Format;

fuzz_target!(|data: &[u8]| {
    vigil_fuzz::read_as(Format::Auditd, "audit.log", data);
});
