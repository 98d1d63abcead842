//! The matching indexes (channel/EventID routing, literal prefilter) only
//! skip work: over the whole EVTX corpus and the regression cases, with the
//! whole SigmaHQ ruleset, every event gets exactly the detections it gets when
//! every rule in scope is evaluated.

use std::path::Path;

use vigil_sigma::{RuleSet, RuleSetBuilder, RuleSetOptions};

fn all_sigmahq_rules(sigma: &Path) -> RuleSet {
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    for sub in [
        "rules",
        "rules-emerging-threats",
        "rules-threat-hunting",
        "rules-dfir",
        "rules-compliance",
    ] {
        builder.add_path(&sigma.join(sub));
    }
    builder.build().0
}

#[test]
fn indexed_matching_gives_the_same_detections_as_evaluating_every_rule() {
    let (Some(sigma), Some(corpus), Some(cases)) = (
        vigil_testdata::shared_dir("sigma"),
        vigil_testdata::shared_dir("corpus/evtx"),
        vigil_testdata::shared_dir("conformance/sigma-regression"),
    ) else {
        return;
    };
    let rules = all_sigmahq_rules(&sigma);
    let (gated, total) = rules.prefilter_coverage();
    eprintln!("{gated} of {total} rules are gated by the literal prefilter");
    let (files, _) = vigil_sources::discover(&[corpus, cases]);
    let (mut events, mut detections, mut differences) = (0u64, 0usize, Vec::new());
    for file in &files {
        let _ = vigil_sources::read_file(
            file,
            &mut |event| {
                let (mut fast, mut full) = (Vec::new(), Vec::new());
                rules.detect(&event, &mut fast);
                rules.detect_unindexed(&event, &mut full);
                let ids = |d: &[vigil_event::Detection]| {
                    d.iter().map(|d| d.rule_id.to_string()).collect::<Vec<_>>()
                };
                events += 1;
                detections += full.len();
                if ids(&fast) != ids(&full) {
                    differences.push(format!(
                        "{} record {:?}: indexed {:?}, every rule {:?}",
                        file.path.display(),
                        event.record_id(),
                        ids(&fast),
                        ids(&full)
                    ));
                }
            },
            &mut |_| {},
        );
    }
    eprintln!("{events} events, {detections} detections compared");
    assert!(events > 15_000 && detections > 5_000);
    assert!(
        differences.is_empty(),
        "{} events differ:\n{}",
        differences.len(),
        differences[..differences.len().min(20)].join("\n")
    );
}
