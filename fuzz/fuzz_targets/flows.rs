//! Flow exports (Vigil CSV, FortiGate key=value, PAN-OS CSV with and without
//! header, JSON lines) through `vigil exfil`'s classifier and reader, and
//! through each ready mapping whatever the classifier says.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_exfil::read::{self, FlowLayout, NetworkFormat};
use vigil_exfil::{FlowMapping, NetworkLog};

fuzz_target!(|data: &[u8]| {
    let path = vigil_fuzz::scratch("flows.csv");
    std::fs::write(&path, data).expect("the scratch file can be written");
    let mut log = NetworkLog::default();
    if let Ok(Some(format)) = read::classify(&path, None) {
        let _ = read::read(&path, &format, &mut log);
    }
    let choice = data.first().map_or(0, |b| *b as usize);
    let mapping = match choice % 3 {
        0 => FlowMapping::vigil(),
        1 => FlowMapping::fortigate(),
        _ => FlowMapping::paloalto(),
    };
    let layout = match (choice / 3) % 4 {
        0 => FlowLayout::Csv { header: true },
        1 => FlowLayout::Csv { header: false },
        2 => FlowLayout::KeyValue,
        _ => FlowLayout::JsonLines,
    };
    let _ = read::read(
        &path,
        &NetworkFormat::Flows(layout, Box::new(mapping)),
        &mut log,
    );
});
