//! `--mapping`: a JSON shape Vigil does not know, described by the user,
//! gives the same detections as the EVTX records it was written from; not
//! described, it meets no product's rules and the summary says so.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Map, Value};
use vigil_event::Event;
use vigil_sources::{discover, read_file, Format};

mod common;

use common::{stderr, vigil};

/// The EVTX fields the made-up shape keeps in its own header object.
const HEADER: [&str; 6] = [
    "Computer",
    "Channel",
    "EventID",
    "EventRecordID",
    "Provider_Name",
    "TimeCreated_SystemTime",
];

/// Two fields the shape keeps under names of its own, which the mapping
/// renames back.
const RENAMED: [(&str, &str); 2] = [("CommandLine", "cmd"), ("Image", "exe")];

const MAPPING: &str = r#"
shapes:
  - name: Acme EDR
    when:
      has: [acme.host]
      equals: {acme.vendor: acme}
    product: windows
    channel_from: acme.log
    host: acme.host
    time: acme.ts
    record_id: acme.seq
    event_id: acme.code
    provider: acme.source
    fields:
      proc.cmd: CommandLine
      proc.exe: Image
"#;

/// A Windows event as the made-up "Acme EDR" writes it: a header object,
/// two fields under names of its own, the rest at the top level.
fn acme_line(event: &Event) -> String {
    let text = |name: &str| event.get(name).map(|v| v.to_json()).unwrap_or(Value::Null);
    let mut root = Map::new();
    root.insert(
        "acme".into(),
        json!({
            "vendor": "acme",
            "host": text("Computer"),
            "log": text("Channel"),
            "code": text("EventID").to_string(),
            "seq": text("EventRecordID"),
            "source": text("Provider_Name"),
            "ts": event.timestamp.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)),
        }),
    );
    let mut proc = Map::new();
    for (name, value) in event.fields() {
        if HEADER.contains(&name) || root.contains_key(name) {
            continue;
        }
        match RENAMED.iter().find(|(evtx, _)| *evtx == name) {
            Some((_, own)) => {
                proc.insert((*own).into(), value.to_json());
            }
            None => {
                root.insert(name.into(), value.to_json());
            }
        }
    }
    root.insert("proc".into(), Value::Object(proc));
    Value::Object(root).to_string()
}

/// The detections of a JSON-lines timeline as (rule id, record id, computer).
fn detections(timeline: &Path) -> BTreeSet<(String, u64, String)> {
    let text = std::fs::read_to_string(timeline).unwrap();
    text.lines()
        .map(|line| {
            let d: Value = serde_json::from_str(line).unwrap();
            let field = |name: &str| d[name].as_str().unwrap_or_default().to_string();
            (
                field("rule_id"),
                d["record_id"].as_u64().unwrap_or(0),
                field("computer"),
            )
        })
        .collect()
}

#[test]
fn a_described_shape_hunts_as_the_evtx_it_came_from() {
    let (Some(evtx), Some(rules)) = (
        vigil_testdata::shared_dir("corpus/evtx/EVTX-to-MITRE-Attack"),
        vigil_testdata::shared_dir("sigma/rules/windows"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = discover(std::slice::from_ref(&evtx));
    let mut lines = String::new();
    for file in files.iter().filter(|f| f.format == Format::Evtx) {
        read_file(
            file,
            &mut |event| {
                writeln!(lines, "{}", acme_line(&event)).unwrap();
            },
            &mut |_| {},
        )
        .unwrap();
    }
    let acme = dir.path().join("acme.jsonl");
    std::fs::write(&acme, &lines).unwrap();
    let mapping = dir.path().join("acme.yml");
    std::fs::write(&mapping, MAPPING).unwrap();
    let timeline = |name: &str| dir.path().join(name);
    let rules = rules.to_str().unwrap();
    let hunt = |input: &Path, out: &str, extra: &[&str]| {
        let out = timeline(out);
        let mut args = vec!["hunt", input.to_str().unwrap(), "--rules", rules];
        args.extend(["--format", "jsonl", "-o", out.to_str().unwrap()]);
        args.extend(extra);
        let output = vigil(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        (detections(&out), stderr(&output))
    };
    let (from_evtx, _) = hunt(&evtx, "evtx.jsonl", &[]);
    let (mapped, _) = hunt(
        &acme,
        "mapped.jsonl",
        &["--mapping", mapping.to_str().unwrap()],
    );
    assert!(from_evtx.len() > 100, "only {} detections", from_evtx.len());
    assert_eq!(
        from_evtx.difference(&mapped).collect::<Vec<_>>(),
        Vec::<&(String, u64, String)>::new(),
        "missed through the mapping"
    );
    assert_eq!(
        mapped.difference(&from_evtx).collect::<Vec<_>>(),
        Vec::<&(String, u64, String)>::new(),
        "found only through the mapping"
    );

    // Without the mapping, the shape is unknown: no Windows rule meets it,
    // and the summary says how many events there were and how to map them.
    let (unmapped, summary) = hunt(&acme, "unmapped.jsonl", &[]);
    assert!(unmapped.is_empty(), "{unmapped:?}");
    let events = lines.lines().count();
    assert!(
        summary.contains(&format!("{events} events of a shape Vigil does not know")),
        "{summary}"
    );
    assert!(
        summary.contains("acme.jsonl line 1: fields acme.vendor"),
        "{summary}"
    );
    assert!(summary.contains("--mapping FILE"), "{summary}");
}

#[test]
fn a_mapping_that_cannot_be_read_stops_the_run_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("bad.yml");
    std::fs::write(&mapping, "shapes:\n  - name: x\n    when: {}\n").unwrap();
    let input = dir.path().join("x.jsonl");
    std::fs::write(&input, "{\"a\":1}\n").unwrap();
    let output = vigil(&[
        "hunt",
        input.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(text.contains("bad.yml"), "{text}");
    assert!(text.contains("`when` must say"), "{text}");
}
