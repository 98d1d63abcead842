//! Loading the whole SigmaHQ ruleset: every rule loads or is refused with a
//! reason we accept.

use vigil_sigma::{RuleSetBuilder, RuleSetOptions};

#[test]
fn every_sigmahq_rule_loads_or_is_explained() {
    let Some(sigma) = vigil_testdata::shared_dir("sigma") else {
        return;
    };
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
    let (rules, report) = builder.build();
    for failure in &report.failed {
        eprintln!("refused: {failure}");
    }
    eprintln!(
        "files {} rules {} filters {} correlations {} refused {}",
        report.files,
        report.rules,
        report.filters,
        report.correlations.len(),
        report.failed.len()
    );
    assert!(rules.len() > 3000, "only {} rules loaded", rules.len());
    // The only acceptable refusals are rules whose `expand` placeholders need
    // values from the user.
    for failure in &report.failed {
        assert!(
            failure
                .reason
                .contains("has no values; supply them with --placeholder"),
            "refused for another reason: {failure}"
        );
    }
    assert!(
        report.failed.len() <= 5,
        "{} rules refused",
        report.failed.len()
    );
}

#[test]
fn placeholder_rules_are_refused_without_values_and_load_with_them() {
    let Some(dir) = vigil_testdata::shared_dir("sigma/rules-placeholder") else {
        return;
    };
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_path(&dir);
    let (_, report) = builder.build();
    assert!(!report.failed.is_empty());
    for failure in &report.failed {
        assert!(
            failure.reason.contains("--placeholder"),
            "unexpected refusal: {failure}"
        );
    }
}
