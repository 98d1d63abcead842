//! Sigma correlation YAML over a fixed pair of detection rules: the input is
//! appended to them as further documents, so the correlations it holds can
//! name rules that exist and run over their detections.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vigil_correlate::{CorrelationSet, Engine, Limits};
use vigil_sigma::RuleSetBuilder;

const BASE: &str = "title: Failed logon
id: 5d0b7f38-0000-4000-8000-000000000001
name: failed_logon
logsource: { product: windows, service: security }
detection:
    selection: { EventID: 4625 }
    condition: selection
---
title: Process start
id: 5d0b7f38-0000-4000-8000-000000000002
name: process_start
logsource: { product: windows, service: security }
detection:
    selection: { EventID: 4688 }
    condition: selection
---
";

fuzz_target!(
    // The built-in logsource tables are read once, before inputs are timed.
    init: {
        vigil_fuzz::rule_options();
    },
    |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut builder = RuleSetBuilder::new(vigil_fuzz::rule_options());
    builder.add_text(Path::new("correlation.yml"), &format!("{BASE}{text}"));
    let (rules, report) = builder.build();
    let metas: Vec<_> = rules.rules().iter().map(|r| (*r.meta).clone()).collect();
    let (set, _) = CorrelationSet::build(&report.correlations, &metas);
    let mut engine = Engine::new(&set, Limits::default());
    let (mut base, mut fired) = (Vec::new(), Vec::new());
    for round in 0..3 {
        for mut event in vigil_fuzz::sample_events() {
            event.timestamp = event
                .timestamp
                .map(|t| t + chrono::Duration::seconds(round * 45));
            base.clear();
            rules.detect(&event, &mut base);
            for detection in &base {
                engine.observe(&event, detection, &mut fired);
            }
        }
    }
    engine.finish(&mut fired);
    let _ = engine.stats();
    }
);
