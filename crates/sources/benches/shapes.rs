//! Windows events per second from each JSON shape collectors write, side by
//! side with evtx_dump's: the same real records, parsed line by line into one
//! reused event as the JSON-lines reader does.
//!
//! The records are the first [`RECORDS`] of the EVTX corpus's
//! `EVTX-to-MITRE-Attack` folder (Security, Sysmon, PowerShell, System, …);
//! evtx_dump's lines are the `evtx` crate's own rendering of them, the other
//! shapes are written by the tests' writers (`tests/shapes/`). Results and
//! the machine they were taken on are in `benches/RESULTS.md`.

#[path = "../tests/shapes/mod.rs"]
mod shapes;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use evtx::{EvtxParser, ParserSettings};
use serde_json::Value;
use vigil_event::{Event, Position};
use vigil_sources::{discover, parse_json_line_into, read_file, Format};

/// How many records each shape parses per iteration.
const RECORDS: usize = 5000;

fn corpus_files() -> Option<Vec<std::path::PathBuf>> {
    let folder = vigil_testdata::shared_dir("corpus/evtx/EVTX-to-MITRE-Attack")?;
    let (files, _) = discover(&[folder]);
    Some(
        files
            .into_iter()
            .filter(|f| f.format == Format::Evtx && !f.gzip)
            .map(|f| f.path)
            .collect(),
    )
}

/// evtx_dump's lines (the `evtx` crate's JSON of each record, unindented),
/// and the events Vigil reads from the same records.
fn records(files: &[std::path::PathBuf]) -> (Vec<String>, Vec<Event>) {
    let (mut lines, mut events) = (Vec::new(), Vec::new());
    for path in files {
        if lines.len() >= RECORDS {
            break;
        }
        let settings = ParserSettings::new().num_threads(1).indent(false);
        let Ok(parser) = EvtxParser::from_path(path) else {
            continue;
        };
        let rendered: Vec<String> = parser
            .with_configuration(settings)
            .records_json()
            .filter_map(Result::ok)
            .map(|record| record.data)
            .collect();
        let file = discover(std::slice::from_ref(path)).0.remove(0);
        let mut read = Vec::new();
        read_file(&file, &mut |e| read.push(e), &mut |_| {}).unwrap();
        // Only files whose every record both readers took, so the lines of
        // each shape are the same records.
        if read.len() == rendered.len() {
            lines.extend(rendered);
            events.extend(read);
        }
    }
    lines.truncate(RECORDS);
    events.truncate(RECORDS);
    (lines, events)
}

fn written(events: &[Event], write: fn(&shapes::Record) -> Value) -> Vec<String> {
    events
        .iter()
        .map(|event| write(&shapes::Record::from_event(event)).to_string())
        .collect()
}

fn parse_all(lines: &[String], event: &mut Event) -> usize {
    let mut windows = 0;
    for line in lines {
        parse_json_line_into(line, Position::Line(1), event).unwrap();
        windows += usize::from(event.product == Some("windows"));
    }
    windows
}

fn shapes_side_by_side(c: &mut Criterion) {
    let Some(files) = corpus_files() else {
        eprintln!("the EVTX corpus is missing: nothing to measure");
        return;
    };
    let (evtx_dump, events) = records(&files);
    let inputs = [
        ("evtx_dump", evtx_dump),
        ("winlogbeat6", written(&events, shapes::winlogbeat6::write)),
        ("ecs", written(&events, shapes::ecs::write)),
        ("nxlog", written(&events, shapes::nxlog::write)),
        ("wazuh", written(&events, shapes::wazuh::write)),
    ];
    let mut group = c.benchmark_group("windows_json_shapes");
    group.sample_size(10);
    group.warm_up_time(std::time::Duration::from_millis(500));
    group.measurement_time(std::time::Duration::from_secs(3));
    for (name, lines) in &inputs {
        let bytes: usize = lines.iter().map(String::len).sum();
        let mut event = Event::new("bench.json");
        assert_eq!(parse_all(lines, &mut event), lines.len(), "{name}");
        // The events' sizes differ by shape: collectors add their own fields.
        let fields: usize = (lines.iter())
            .map(|line| {
                parse_json_line_into(line, Position::Line(1), &mut event).unwrap();
                event.len()
            })
            .sum();
        eprintln!(
            "{name}: {} records, {bytes} bytes, {:.1} fields an event",
            lines.len(),
            fields as f64 / lines.len() as f64
        );
        group.throughput(Throughput::Elements(lines.len() as u64));
        group.bench_function(*name, |b| b.iter(|| parse_all(lines, &mut event)));
    }
    group.finish();
}

criterion_group!(benches, shapes_side_by_side);
criterion_main!(benches);
