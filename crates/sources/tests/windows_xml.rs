//! Windows event XML in the shapes it is collected in — Splunk's
//! XmlWinEventLog raw events, a Splunk JSON export with `_raw`, `wevtutil qe
//! /f:xml` output — read into the same events as the EVTX records it was
//! rendered from, and hunted into the same detections.
//!
//! The XML is what the `evtx` crate renders, which is the XML Windows itself
//! gives `wevtutil` and Splunk. The corpus and rules live outside the
//! repository, in `../shared` next to the workspace, or wherever
//! `VIGIL_SHARED` points.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use evtx::{EvtxParser, ParserSettings};
use vigil_event::{Event, FieldValue};
use vigil_sigma::{RuleSet, RuleSetBuilder, RuleSetOptions};
use vigil_sources::{discover, read_file, Format, InputFile, SourceIssue};

fn shared(part: &str) -> Option<PathBuf> {
    vigil_testdata::shared_dir(part)
}

/// The events and issues of one file.
fn read(file: &InputFile) -> (Vec<Event>, Vec<SourceIssue>) {
    let (mut events, mut issues) = (Vec::new(), Vec::new());
    read_file(file, &mut |e| events.push(e), &mut |i| issues.push(i)).unwrap();
    (events, issues)
}

/// Every record of an EVTX file as the XML Windows renders it, without the
/// XML declaration the renderer puts before each.
fn xml_records(path: &Path) -> Vec<String> {
    let mut parser = EvtxParser::from_path(path)
        .unwrap()
        .with_configuration(ParserSettings::new().num_threads(1).indent(false));
    parser
        .records()
        .filter_map(Result::ok)
        .map(|record| {
            let xml = record.data;
            match xml.find("?>") {
                Some(end) if xml.starts_with("<?xml") => xml[end + 2..].trim_start().to_string(),
                _ => xml,
            }
        })
        .collect()
}

/// The three shapes of the same records: Splunk raw (one per line), a Splunk
/// JSON export (both the search and the REST form), wevtutil (back to back
/// in an `<Events>` wrapper).
fn write_shapes(records: &[String], folder: &Path, stem: &str) {
    let raw: String = records.iter().map(|xml| format!("{xml}\n")).collect();
    std::fs::write(folder.join(format!("{stem}.splunk.xml")), raw).unwrap();
    let mut json = String::new();
    for (n, xml) in records.iter().enumerate() {
        let line = if n % 2 == 0 {
            serde_json::json!({"_raw": xml, "host": "splunk-fwd", "sourcetype": "XmlWinEventLog", "_time": "x"})
        } else {
            serde_json::json!({"preview": false, "result": {"_raw": xml, "host": "splunk-fwd"}})
        };
        writeln!(json, "{line}").unwrap();
    }
    std::fs::write(folder.join(format!("{stem}.splunk.json")), json).unwrap();
    let wevtutil = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<Events>{}</Events>\r\n",
        records.concat()
    );
    std::fs::write(folder.join(format!("{stem}.wevtutil.xml")), wevtutil).unwrap();
}

/// A value as text, as rules compare it: a number and its digits are one.
fn text(value: &FieldValue) -> String {
    match value {
        FieldValue::Null => "(null)".to_string(),
        FieldValue::List(items) => items.iter().map(text).collect::<Vec<_>>().join("|"),
        other => other.to_string(),
    }
}

fn fields(event: &Event) -> Vec<(String, String)> {
    event
        .fields()
        .map(|(name, value)| (name.to_string(), text(value)))
        .collect()
}

/// Whether two events have the same fields. A number beyond `i64` is a
/// float in the EVTX rendering, so its last digits are lost there and kept
/// in the XML: the XML's text need only read as the same float.
fn same_fields(xml: &Event, evtx: &Event) -> bool {
    let (a, b): (Vec<_>, Vec<_>) = (xml.fields().collect(), evtx.fields().collect());
    a.len() == b.len()
        && a.iter().zip(&b).all(|((name_a, a), (name_b, b))| {
            name_a == name_b
                && match (a, b) {
                    (FieldValue::Str(text), FieldValue::Float(float)) => {
                        text.parse::<f64>().ok() == Some(*float)
                    }
                    _ => text(a) == text(b),
                }
        })
}

/// The fields where two events differ, for a failure's message.
fn differences(xml: &Event, evtx: &Event) -> String {
    let (a, b) = (fields(xml), fields(evtx));
    let only_a: Vec<_> = a.iter().filter(|f| !b.contains(f)).collect();
    let only_b: Vec<_> = b.iter().filter(|f| !a.contains(f)).collect();
    format!(
        "xml only: {only_a:?}\n  evtx only: {only_b:?}\n  {:?} {:?} {:?} / {:?} {:?} {:?}",
        xml.timestamp,
        xml.product,
        xml.record_id(),
        evtx.timestamp,
        evtx.product,
        evtx.record_id()
    )
}

/// Whether every record of an EVTX file could be rendered to XML, and says
/// its EventRecordID: a record without one is numbered by its EVTX header,
/// which XML does not carry (one file of the corpus has such records).
fn renders_whole(events: &[Event], records: &[String]) -> bool {
    records.len() == events.len()
        && events.iter().all(|event| {
            event
                .get("EventRecordID")
                .and_then(FieldValue::as_i64)
                .is_some()
        })
}

/// The EVTX files of the corpus.
fn corpus_files() -> Option<Vec<InputFile>> {
    let folder = shared("corpus/evtx")?;
    let (files, _) = discover(&[folder]);
    Some(
        files
            .into_iter()
            .filter(|f| f.format == Format::Evtx)
            .collect(),
    )
}

/// Every record of every corpus EVTX file, written in the three shapes and
/// read back, gives the event its EVTX record gives: the same fields in the
/// same order with the same text, the same time, product and record ID.
#[test]
fn every_corpus_record_as_xml_is_the_event_of_its_evtx_record() {
    let Some(files) = corpus_files() else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let (mut compared, mut differing, mut left_out) = (0u64, Vec::new(), Vec::new());
    for (n, file) in files.iter().enumerate() {
        let (expected, _) = read(file);
        let records = xml_records(&file.path);
        if !renders_whole(&expected, &records) {
            left_out.push(file.path.display().to_string());
            continue;
        }
        let stem = format!("f{n}");
        write_shapes(&records, folder.path(), &stem);
        for shape in ["splunk.xml", "splunk.json", "wevtutil.xml"] {
            let path = folder.path().join(format!("{stem}.{shape}"));
            let (found, _) = discover(std::slice::from_ref(&path));
            assert_eq!(found.len(), 1, "{}", path.display());
            let (events, issues) = read(&found[0]);
            assert!(issues.is_empty(), "{}: {issues:?}", file.path.display());
            assert_eq!(events.len(), expected.len(), "{}", file.path.display());
            for (xml, evtx) in events.iter().zip(&expected) {
                compared += 1;
                let same = same_fields(xml, evtx)
                    && xml.timestamp == evtx.timestamp
                    && xml.product == evtx.product
                    && xml.record_id() == evtx.record_id();
                if !same && differing.len() < 12 {
                    differing.push(format!(
                        "{} record {:?} as {shape}:\n  {}",
                        file.path.display(),
                        evtx.record_id(),
                        differences(xml, evtx)
                    ));
                }
            }
        }
    }
    eprintln!("{compared} events compared; files left out: {left_out:?}");
    assert!(left_out.len() <= 3, "{left_out:?}");
    assert!(compared > 3 * 8_000, "only {compared} events compared");
    assert!(differing.is_empty(), "{}", differing.join("\n"));
}

fn windows_rules() -> Option<RuleSet> {
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_path(&shared("sigma/rules/windows")?);
    let (rules, report) = builder.build();
    assert!(report.rules > 2_000, "{} rules", report.rules);
    Some(rules)
}

/// `(rule id, record id, host)` of every detection in `events`.
fn detections(
    rules: &RuleSet,
    events: &[Event],
) -> BTreeSet<(String, Option<u64>, Option<String>)> {
    let mut found = BTreeSet::new();
    let mut out = Vec::new();
    for event in events {
        out.clear();
        rules.detect(event, &mut out);
        for detection in &out {
            found.insert((
                detection.rule_id.to_string(),
                detection.record_id,
                detection.computer.clone(),
            ));
        }
    }
    found
}

/// SigmaHQ's Windows rules find in the XML shapes exactly what they find in
/// the EVTX files: every detection, nothing more. Over the DeepBlueCLI and
/// EVTX-to-MITRE-Attack samples (most of the corpus's attacks).
#[test]
fn sigmahq_rules_find_the_same_in_xml_as_in_evtx() {
    let (Some(rules), Some(files)) = (windows_rules(), corpus_files()) else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let (mut evtx_events, mut shapes) = (Vec::new(), [Vec::new(), Vec::new(), Vec::new()]);
    for (n, file) in files.iter().enumerate() {
        let path = file.path.to_string_lossy();
        if !(path.contains("DeepBlueCLI") || path.contains("EVTX-to-MITRE-Attack")) {
            continue;
        }
        let (events, _) = read(file);
        let records = xml_records(&file.path);
        if !renders_whole(&events, &records) {
            continue;
        }
        evtx_events.extend(events);
        let stem = format!("f{n}");
        write_shapes(&records, folder.path(), &stem);
        for (shape, into) in ["splunk.xml", "splunk.json", "wevtutil.xml"]
            .iter()
            .zip(&mut shapes)
        {
            let (found, _) = discover(&[folder.path().join(format!("{stem}.{shape}"))]);
            into.extend(read(&found[0]).0);
        }
    }
    let expected = detections(&rules, &evtx_events);
    eprintln!(
        "{} events, {} detections",
        evtx_events.len(),
        expected.len()
    );
    assert!(expected.len() > 1_000, "{} detections", expected.len());
    for (shape, events) in ["Splunk raw", "Splunk JSON", "wevtutil"]
        .iter()
        .zip(&shapes)
    {
        let found = detections(&rules, events);
        let missing: Vec<_> = expected.difference(&found).take(5).collect();
        let extra: Vec<_> = found.difference(&expected).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{shape}: missing {missing:?}, extra {extra:?}"
        );
    }
}
