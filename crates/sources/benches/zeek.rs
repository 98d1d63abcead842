//! The cost of one Zeek record read into an event, in each shape Zeek
//! writes: JSON (`_path`), JSON streaming (`@stream`, `id_orig_h`) and
//! tab-separated under its headers.
//!
//! The same 20,000 records (conn and dns, alternating) are written in each
//! shape into a temporary folder, then read with `read_file`. Results and
//! the machine they were taken on are in `benches/RESULTS.md`.

use std::fmt::Write as _;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vigil_sources::{discover, read_file};

const RECORDS: u64 = 20_000;

/// One record as its fields: `(name, Zeek type, TSV text, JSON text)`.
type Record = Vec<(&'static str, &'static str, String, String)>;

/// The fields every log of one connection starts with: its time, uid,
/// endpoints and protocol.
fn connection(i: u64, resp_p: &str, proto: &str) -> Record {
    let ts = format!("{}.{:06}", 1588316619 + i, i % 1_000_000);
    vec![
        ("ts", "time", ts.clone(), ts),
        (
            "uid",
            "string",
            format!("C{i:017}"),
            format!("\"C{i:017}\""),
        ),
        (
            "id.orig_h",
            "addr",
            format!("10.0.1.{}", i % 250),
            format!("\"10.0.1.{}\"", i % 250),
        ),
        (
            "id.orig_p",
            "port",
            (49152 + i % 16000).to_string(),
            (49152 + i % 16000).to_string(),
        ),
        (
            "id.resp_h",
            "addr",
            "10.0.0.4".into(),
            "\"10.0.0.4\"".into(),
        ),
        ("id.resp_p", "port", resp_p.into(), resp_p.into()),
        ("proto", "enum", proto.into(), format!("\"{proto}\"")),
    ]
}

fn conn(i: u64) -> Record {
    let mut record = connection(i, "445", "tcp");
    record.extend([
        ("service", "string", "smb".into(), "\"smb\"".into()),
        ("duration", "interval", "0.064170".into(), "0.06417".into()),
        (
            "orig_bytes",
            "count",
            (i * 7 % 90000).to_string(),
            (i * 7 % 90000).to_string(),
        ),
        (
            "resp_bytes",
            "count",
            (i * 3 % 50000).to_string(),
            (i * 3 % 50000).to_string(),
        ),
        ("conn_state", "string", "SF".into(), "\"SF\"".into()),
        (
            "history",
            "string",
            "ShADadfF".into(),
            "\"ShADadfF\"".into(),
        ),
        (
            "tunnel_parents",
            "set[string]",
            "(empty)".into(),
            "[]".into(),
        ),
    ]);
    record
}

fn dns(i: u64) -> Record {
    let query = format!("host{}.dmevals.local", i % 500);
    let mut record = connection(i, "53", "udp");
    record.extend([
        ("query", "string", query.clone(), format!("\"{query}\"")),
        ("qtype_name", "string", "A".into(), "\"A\"".into()),
        ("rcode", "count", "0".into(), "0".into()),
        ("Z", "count", "0".into(), "0".into()),
        (
            "answers",
            "vector[string]",
            "10.0.2.7,10.0.2.8".into(),
            "[\"10.0.2.7\",\"10.0.2.8\"]".into(),
        ),
        (
            "TTLs",
            "vector[interval]",
            "600.0,600.0".into(),
            "[600.0,600.0]".into(),
        ),
        ("rejected", "bool", "F".into(), "false".into()),
    ]);
    record
}

fn json_line(out: &mut String, head: &str, record: &Record, streaming: bool) {
    out.push('{');
    out.push_str(head);
    for (name, _, _, json) in record {
        let name = match streaming {
            true => name.replacen('.', "_", 1),
            false => name.to_string(),
        };
        let _ = write!(out, ",\"{name}\":{json}");
    }
    out.push_str("}\n");
}

fn write_shapes(folder: &Path) {
    let (mut json, mut streaming) = (String::new(), String::new());
    let (mut conn_tsv, mut dns_tsv) = (String::new(), String::new());
    for i in 0..RECORDS {
        let (log, record) = match i % 2 {
            0 => ("conn", conn(i)),
            _ => ("dns", dns(i)),
        };
        json_line(&mut json, &format!("\"_path\":\"{log}\""), &record, false);
        let head = format!("\"@stream\":\"{log}\",\"@system\":\"nsm\",\"@proc\":\"zeek\"");
        json_line(&mut streaming, &head, &record, true);
        let tsv = if log == "conn" {
            &mut conn_tsv
        } else {
            &mut dns_tsv
        };
        if tsv.is_empty() {
            let column = |pick: fn(&(&str, &str, String, String)) -> String| {
                record.iter().map(pick).collect::<Vec<_>>().join("\t")
            };
            let _ = write!(
                tsv,
                "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t{log}\n#fields\t{}\n#types\t{}\n",
                column(|f| f.0.to_string()),
                column(|f| f.1.to_string()),
            );
        }
        let values: Vec<&str> = record.iter().map(|f| f.2.as_str()).collect();
        tsv.push_str(&values.join("\t"));
        tsv.push('\n');
    }
    std::fs::write(folder.join("json/all.json"), json).unwrap();
    std::fs::write(folder.join("streaming/all.log"), streaming).unwrap();
    std::fs::write(folder.join("tsv/all.log"), conn_tsv + &dns_tsv).unwrap();
}

fn count_events(folder: &Path) -> u64 {
    let (files, _) = discover(&[folder.to_path_buf()]);
    let mut events = 0;
    for file in &files {
        read_file(file, &mut |_| events += 1, &mut |issue| panic!("{issue}")).unwrap();
    }
    events
}

fn zeek(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    for shape in ["json", "streaming", "tsv"] {
        std::fs::create_dir(dir.path().join(shape)).unwrap();
    }
    write_shapes(dir.path());
    let mut group = c.benchmark_group("zeek");
    group.throughput(Throughput::Elements(RECORDS));
    group.sample_size(20);
    for shape in ["json", "streaming", "tsv"] {
        let folder = dir.path().join(shape);
        assert_eq!(count_events(&folder), RECORDS);
        group.bench_function(shape, |b| b.iter(|| count_events(&folder)));
    }
    group.finish();
}

criterion_group!(benches, zeek);
criterion_main!(benches);
