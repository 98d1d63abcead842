//! Sigma rule YAML: loaded, compiled into a rule set (with its prefilter),
//! matched against a few events of each product, and any correlation in it
//! built and run over the detections.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vigil_correlate::{CorrelationSet, Engine, Limits};
use vigil_sigma::RuleSetBuilder;

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
    builder.add_text(Path::new("fuzz.yml"), text);
    let (rules, report) = builder.build();
    let metas: Vec<_> = rules.rules().iter().map(|r| (*r.meta).clone()).collect();
    let (set, _) = CorrelationSet::build(&report.correlations, &metas);
    let mut engine = Engine::new(&set, Limits::default());
    let (mut base, mut fired) = (Vec::new(), Vec::new());
    for event in vigil_fuzz::sample_events() {
        base.clear();
        rules.detect(&event, &mut base);
        rules.detect_unindexed(&event, &mut Vec::new());
        for detection in &base {
            engine.observe(&event, detection, &mut fired);
        }
    }
    engine.finish(&mut fired);
    }
);
