//! SigmaHQ regression cases: for each case, the SigmaHQ ruleset run over the
//! case's EVTX file must make the case's rule fire (as often as
//! `match_count` says where it says: exactly, except for the cases in
//! `MORE_THAN_COUNTED`, whose files hold more genuine matches).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use vigil_sigma::{RuleSet, RuleSetBuilder, RuleSetOptions};

/// Cases whose file holds more events the rule matches than its `match_count`
/// says; each extra match was checked by hand against the rule.
const MORE_THAN_COUNTED: &[(&str, &str)] = &[
    (
        "0b9ad457-2554-44c1-82c2-d56a99c42377",
        "three Sysmon 11 writes of AnyDesk user.conf (.new and a ~RF….TMP temporary copy)",
    ),
    (
        "8fbf3271-1ef6-4e94-8210-03c2317947f6",
        "procdump64.exe, procdump64a.exe and procdump.exe are all dropped",
    ),
    (
        "45e112d0-7759-4c2a-aa36-9f8fb79d3393",
        "the zone is set for https, http and * of the same domain",
    ),
];

struct Case {
    info: PathBuf,
    rule_id: String,
    title: String,
    evtx: Option<PathBuf>,
    match_count: Option<usize>,
}

fn cases(root: &Path) -> Vec<Case> {
    let mut infos: Vec<PathBuf> = walk(root)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "info.yml"))
        .collect();
    infos.sort();
    infos
        .into_iter()
        .map(|info| {
            let text = std::fs::read_to_string(&info).unwrap();
            let doc: yaml_serde::Value = yaml_serde::from_str(&text).unwrap();
            let meta = &doc["rule_metadata"][0];
            let test = doc.get("regression_tests_info").and_then(|t| t.get(0));
            let evtx = test
                .and_then(|t| t.get("path"))
                .and_then(|p| p.as_str())
                .and_then(|p| Path::new(p).file_name())
                .map(|name| info.parent().unwrap().join(name));
            Case {
                rule_id: meta["id"].as_str().unwrap_or_default().to_string(),
                title: meta["title"].as_str().unwrap_or_default().to_string(),
                match_count: test
                    .and_then(|t| t.get("match_count"))
                    .and_then(|c| c.as_u64())
                    .map(|c| c as usize),
                evtx,
                info,
            }
        })
        .collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn sigmahq_rules(sigma: &Path) -> RuleSet {
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

fn detections_by_rule(rules: &RuleSet, file: &Path) -> HashMap<String, usize> {
    let (inputs, issues) = vigil_sources::discover(&[file.to_path_buf()]);
    assert!(issues.is_empty(), "{issues:?}");
    let mut counts = HashMap::new();
    for input in &inputs {
        let mut detections = Vec::new();
        vigil_sources::read_file(
            input,
            &mut |e| rules.detect(&e, &mut detections),
            &mut |_| {},
        )
        .unwrap();
        for d in detections {
            *counts.entry(d.rule_id.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

#[test]
fn sigmahq_regression_cases_fire() {
    let (Some(root), Some(sigma)) = (
        vigil_testdata::shared_dir("conformance/sigma-regression"),
        vigil_testdata::shared_dir("sigma"),
    ) else {
        return;
    };
    let rules = sigmahq_rules(&sigma);
    let cases = cases(&root);
    let mut passed = 0;
    let mut misses = Vec::new();
    let mut skipped = 0;
    for case in &cases {
        let Some(evtx) = &case.evtx else {
            eprintln!(
                "skipping {}: the case has no test file (its test is commented out)",
                case.info.display()
            );
            skipped += 1;
            continue;
        };
        let counts = detections_by_rule(&rules, evtx);
        let fired = counts.get(&case.rule_id).copied().unwrap_or(0);
        let ok = match case.match_count {
            Some(expected) if MORE_THAN_COUNTED.iter().any(|(id, _)| *id == case.rule_id) => {
                fired >= expected
            }
            Some(expected) => fired == expected,
            None => fired > 0,
        };
        if ok {
            passed += 1;
        } else {
            misses.push(format!(
                "{} ({}): fired {fired}, expected {}",
                case.title,
                case.rule_id,
                case.match_count.map_or("≥1".to_string(), |c| c.to_string())
            ));
        }
    }
    eprintln!(
        "conformance: {passed} of {} cases pass, {skipped} skipped",
        cases.len() - skipped
    );
    for miss in &misses {
        eprintln!("  miss: {miss}");
    }
    assert!(
        misses.is_empty(),
        "{} regression cases missed",
        misses.len()
    );
}
