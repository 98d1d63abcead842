//! The specification's example correlations
//! (`sigma-spec/tests/schema/correlation/`) load, and behave as their
//! descriptions say.

mod harness;
use std::path::Path;

use harness::{detail, event, load, run};
use vigil_correlate::{CorrelationSet, Kind};
use vigil_sigma::document::{parse_documents, Document};
use vigil_sigma::RuleMeta;

#[test]
fn every_spec_example_loads() {
    let Some(dir) = vigil_testdata::shared_dir("sigma-spec/tests/schema/correlation") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 8,
        "expected the eight examples, found {files:?}"
    );
    let mut kinds = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut correlations = Vec::new();
        for doc in parse_documents(&text, &path) {
            match doc {
                Ok(Document::Correlation(c)) => correlations.push((path.clone(), c)),
                other => panic!("{}: {other:?}", path.display()),
            }
        }
        // The examples name rules that live elsewhere: stand them in.
        let stand_ins: Vec<RuleMeta> = correlations
            .iter()
            .flat_map(|(_, c)| c.definition.rules.iter())
            .map(|r| RuleMeta {
                id: format!("id-{r}"),
                title: r.clone(),
                name: Some(r.clone()),
                ..RuleMeta::default()
            })
            .collect();
        let (set, errors) = CorrelationSet::build(&correlations, &stand_ins);
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        assert_eq!(set.len(), 1, "{}", path.display());
        kinds.push(correlations[0].1.kind.clone());
    }
    for kind in [
        "event_count",
        "value_count",
        "temporal",
        "temporal_ordered",
        "value_sum",
        "value_avg",
        "value_percentile",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "no example of {kind}");
    }
    assert_eq!(Kind::EventCount.as_str(), "event_count");
}

#[test]
fn the_event_count_example_fires_at_one_hundred_failed_logins_an_hour() {
    let Some(dir) = vigil_testdata::shared_dir("sigma-spec/tests/schema/correlation") else {
        return;
    };
    let correlation = std::fs::read_to_string(dir.join("event_count.yml")).unwrap();
    let base = "title: Failed logon\nid: 5638f7c0-ac70-491d-8465-2a65075e0d86\ndetection: { sel: { EventID: 4625 }, condition: sel }\n";
    let loaded = load(&[
        ("failed.yml", base),
        ("event_count.yml", correlation.as_str()),
    ]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let logon = |s: i64| event(s, &[("EventID", "4625"), ("ComputerName", "srv1")]);
    // 100 in 3600 s, starting mid-hour: fires once.
    let hundred: Vec<_> = (0..100).map(|i| logon(1800 + i * 36)).collect();
    let fired = run(&loaded, &hundred);
    assert_eq!(fired.len(), 1);
    assert_eq!(detail(&fired[0], "ComputerName"), Some("srv1"));
    assert_eq!(detail(&fired[0], "event_count"), Some("100"));
    // 99: does not.
    assert!(run(&loaded, &hundred[..99]).is_empty());
    // 100 over 3601 s: does not.
    let slow: Vec<_> = (0..100)
        .map(|i| logon(if i == 99 { 3601 } else { i * 36 }))
        .collect();
    assert!(run(&loaded, &slow).is_empty());
}

#[test]
fn the_correlation_document_keeps_what_was_written() {
    let text = "title: t\nid: i\nname: n\nlevel: high\ntags: [attack.t1110]\ncorrelation:\n  type: value_count\n  rules: [a, b]\n  group-by: [Computer]\n  timespan: 1h\n  condition: { field: [User, Domain], gte: 3, lt: 10 }\n  aliases: { host: { a: Computer, b: Hostname } }\n  generate: true\n";
    let docs = parse_documents(text, Path::new("x.yml"));
    let Ok(Document::Correlation(rule)) = &docs[0] else {
        panic!("{docs:?}")
    };
    let c = &rule.definition;
    assert_eq!(c.name.as_deref(), Some("n"));
    assert_eq!(c.level, Some(vigil_event::Level::High));
    assert_eq!(c.tags, ["attack.t1110"]);
    assert_eq!(c.rules, ["a", "b"]);
    assert_eq!(c.group_by, ["Computer"]);
    assert_eq!(c.timespan.as_deref(), Some("1h"));
    assert_eq!(c.fields, ["User", "Domain"]);
    assert_eq!(
        c.condition,
        [
            ("gte".to_string(), "3".to_string()),
            ("lt".into(), "10".into())
        ]
    );
    assert_eq!(c.aliases[0].0, "host");
    assert_eq!(c.aliases[0].1[1], ("b".to_string(), "Hostname".to_string()));
    assert!(c.generate);
}
