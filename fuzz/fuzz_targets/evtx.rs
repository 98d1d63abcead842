//! EVTX files through Vigil's reader (`read_file`), as `vigil hunt` reads them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_sources::Format;

fuzz_target!(
    // The reader catches panics inside the `evtx` crate and reports them as
    // skipped records; libFuzzer's hook would abort on them before the catch.
    // A panic that escapes Vigil still aborts (libfuzzer-sys checks the return).
    init: std::panic::set_hook(Box::new(|_| {})),
    |data: &[u8]| {
        vigil_fuzz::read_as(Format::Evtx, "input.evtx", data);
    }
);
