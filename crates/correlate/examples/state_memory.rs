//! How much memory the correlation state takes per group: fills an engine
//! with N distinct groups (one failed logon each) and prints the process's
//! resident memory before and after, from `/proc/self/status`.
//!
//! ```sh
//! cargo run --release -p vigil-correlate --example state_memory -- 1000000
//! ```
//!
//! Figures are in `benches/RESULTS.md`.

#[path = "../benches/workload/mod.rs"]
mod workload;

use vigil_correlate::{Engine, Limits};

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let groups: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let (rules, set) = workload::rules();
    let mut engine = Engine::new(
        &set,
        Limits {
            max_groups_per_rule: groups,
            ..Limits::default()
        },
    );
    let (mut base, mut out) = (Vec::new(), Vec::new());
    let before = resident_kib();
    for i in 0..groups {
        let event = workload::failed_logon(i, i, chrono::Duration::milliseconds(1));
        base.clear();
        rules.detect(&event, &mut base);
        for detection in &base {
            engine.observe(&event, detection, &mut out);
        }
    }
    let after = resident_kib();
    let stats = engine.stats();
    println!(
        "{} groups held, {} events: resident {:.1} MB → {:.1} MB, {:.0} bytes per group",
        stats.groups,
        stats.events,
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        (after.saturating_sub(before) * 1024) as f64 / stats.groups.max(1) as f64
    );
}
