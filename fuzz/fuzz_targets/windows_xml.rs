//! Windows event XML files (wevtutil, Splunk XmlWinEventLog) through Vigil's reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_sources::Format;

fuzz_target!(|data: &[u8]| {
    vigil_fuzz::read_as(Format::WindowsXml, "events.xml", data);
});
