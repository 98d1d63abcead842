//! Writes the records of EVTX files in each JSON shape collectors ship them
//! in — evtx_dump, Winlogbeat 6, ECS, NXLog, Wazuh — and as Windows event XML, one folder a shape, so
//! that `vigil hunt` can be timed on the same records in every shape
//! (`bench/hunt_shapes.sh`); evtx_dump's lines are the `evtx` crate's own rendering. The writers are the tests' (`tests/shapes/`).
//!
//! ```sh
//! cargo run --release -p vigil-sources --example write_shapes -- ../shared/corpus/evtx OUT
//! ```

#[path = "../tests/shapes/mod.rs"]
mod shapes;

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use evtx::{EvtxParser, ParserSettings};
use serde_json::Value;
use vigil_event::Event;
use vigil_sources::{discover, read_file, Format};

type Writer = fn(&shapes::Record) -> Value;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out] = args.as_slice() else {
        return Err("usage: write_shapes EVTX_DIR OUT_DIR".into());
    };
    let writers: [(&str, Writer); 4] = [
        ("winlogbeat6", shapes::winlogbeat6::write),
        ("ecs", shapes::ecs::write),
        ("nxlog", shapes::nxlog::write),
        ("wazuh", shapes::wazuh::write),
    ];
    let dump_folder = PathBuf::from(out).join("evtx_dump");
    std::fs::create_dir_all(&dump_folder)?;
    let mut dump = BufWriter::new(std::fs::File::create(dump_folder.join("events.jsonl"))?);
    let xml_folder = PathBuf::from(out).join("xml");
    std::fs::create_dir_all(&xml_folder)?;
    let mut xml = BufWriter::new(std::fs::File::create(xml_folder.join("events.xml"))?);
    let mut files = Vec::new();
    for (name, _) in &writers {
        let folder = PathBuf::from(out).join(name);
        std::fs::create_dir_all(&folder)?;
        let file = std::fs::File::create(folder.join("events.jsonl"))?;
        files.push(BufWriter::new(file));
    }
    let (inputs, _) = discover(&[PathBuf::from(input)]);
    let mut count = 0u64;
    for file in inputs
        .iter()
        .filter(|f| f.format == Format::Evtx && !f.gzip)
    {
        let mut events: Vec<Event> = Vec::new();
        let _ = read_file(file, &mut |e| events.push(e), &mut |_| {});
        // evtx_dump's lines are the evtx crate's own rendering; only files
        // whose every record both readers took, so every shape holds the
        // same records.
        let settings = ParserSettings::new().num_threads(1).indent(false);
        let Ok(parser) = EvtxParser::from_path(&file.path) else {
            continue;
        };
        let rendered: Vec<String> = (parser.with_configuration(settings).records_json())
            .filter_map(Result::ok)
            .map(|record| record.data)
            .collect();
        let settings = ParserSettings::new().num_threads(1).indent(false);
        let Ok(parser) = EvtxParser::from_path(&file.path) else {
            continue;
        };
        let records: Vec<String> = (parser.with_configuration(settings).records())
            .filter_map(Result::ok)
            .map(|record| record.data)
            .collect();
        if rendered.len() != events.len() || records.len() != events.len() {
            continue;
        }
        for line in &rendered {
            writeln!(dump, "{line}")?;
        }
        // As `wevtutil qe LOG /f:xml` writes them: records back to back,
        // each without its XML declaration.
        for record in &records {
            let record = record.trim_start();
            let record = match record.strip_prefix("<?xml") {
                Some(rest) => rest.split_once("?>").map_or(rest, |(_, after)| after),
                None => record,
            };
            writeln!(xml, "{}", record.trim())?;
        }
        for event in &events {
            let record = shapes::Record::from_event(event);
            for ((_, write), out) in writers.iter().zip(&mut files) {
                writeln!(out, "{}", write(&record))?;
            }
            count += 1;
        }
    }
    dump.flush()?;
    xml.flush()?;
    for mut file in files {
        file.flush()?;
    }
    eprintln!(
        "{count} records written in {} shapes to {out}",
        writers.len() + 2
    );
    Ok(())
}
