//! Per-event cost of reading Windows event XML (a wevtutil file) against
//! reading evtx_dump JSON lines of the same records, through `read_file`.
//!
//! The records are those of one corpus EVTX file (the largest log of the
//! DeepBlueCLI samples), rendered by the `evtx` crate to both shapes.
//! Figures are in `benches/RESULTS.md`.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use evtx::{EvtxParser, ParserSettings};
use vigil_sources::{discover, read_file};

const SAMPLE: &str = "corpus/evtx/DeepBlueCLI/smb-password-guessing-security.evtx";

fn write_shapes(evtx: &Path, folder: &Path) -> u64 {
    let settings = ParserSettings::new().num_threads(1).indent(false);
    let mut parser = EvtxParser::from_path(evtx)
        .unwrap()
        .with_configuration(settings.clone());
    let mut xml = String::new();
    let mut records = 0;
    for record in parser.records().flatten() {
        let data = record.data;
        let body = data
            .find("?>")
            .map_or(&data[..], |end| data[end + 2..].trim_start());
        xml.push_str(body);
        records += 1;
    }
    std::fs::write(folder.join("records.xml"), xml).unwrap();
    let mut parser = EvtxParser::from_path(evtx)
        .unwrap()
        .with_configuration(settings);
    let json: String = parser
        .records_json()
        .flatten()
        .map(|r| r.data + "\n")
        .collect();
    std::fs::write(folder.join("records.jsonl"), json).unwrap();
    records
}

fn bench(c: &mut Criterion) {
    let Some(evtx) = vigil_testdata::shared_dir(SAMPLE) else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let records = write_shapes(&evtx, folder.path());
    for name in ["records.jsonl", "records.xml"] {
        let bytes = std::fs::metadata(folder.path().join(name)).unwrap().len();
        eprintln!("{name}: {records} records, {bytes} bytes");
    }
    let mut group = c.benchmark_group("windows_events");
    group.throughput(Throughput::Elements(records));
    for name in ["records.jsonl", "records.xml"] {
        let (files, _) = discover(&[folder.path().join(name)]);
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut events = 0u64;
                read_file(&files[0], &mut |_| events += 1, &mut |_| {}).unwrap();
                assert_eq!(events, records);
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
