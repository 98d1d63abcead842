//! The asset inventory YAML (`--inventory`), parsed and asked about hosts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_incident::Inventory;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(inventory) = Inventory::parse(text) {
        for host in ["DC-01", "dc-01", ""] {
            let _ = inventory.is_domain_controller(host);
        }
        let _ = inventory.host_of("10.0.0.1");
    }
});
