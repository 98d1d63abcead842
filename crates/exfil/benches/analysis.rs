//! Flow records per second through the exfiltration assessment: reading
//! (the simulator's `flows.csv` and Zeek `conn.jsonl`) and the analysis itself
//! (deduplication, baselines, destinations, beaconing, DNS profiling).
//!
//! The input is a simulated estate (40 hosts, 5 days, with the intrusion),
//! generated once into a temporary folder. Results and the machine they were
//! taken on are in `benches/RESULTS.md`.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vigil_exfil::read::{classify, read, NetworkLog};
use vigil_exfil::{assess, HostEvidence, Scope, Settings};

fn load(paths: &[PathBuf]) -> NetworkLog {
    let mut log = NetworkLog::default();
    for path in paths {
        let format = classify(path, None).unwrap().expect("network evidence");
        read(path, &format, &mut log).unwrap();
    }
    log
}

fn analysis(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let config = vigil_simulate::Config {
        hosts: 40,
        days: 5,
        ..Default::default()
    };
    vigil_simulate::generate(&config, dir.path()).unwrap();
    let network = dir.path().join("network");
    let csv = vec![network.join("flows.csv")];
    let zeek = vec![network.join("conn.jsonl"), network.join("dns.jsonl")];
    let all: Vec<PathBuf> = csv.iter().chain(zeek.iter()).cloned().collect();
    let size = |paths: &[PathBuf]| {
        paths
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len())
            .sum::<u64>()
    };

    let mut group = c.benchmark_group("exfil");
    group.sample_size(10);
    group.warm_up_time(std::time::Duration::from_millis(500));
    group.measurement_time(std::time::Duration::from_secs(4));

    let flows = load(&csv).flows.len() as u64;
    eprintln!("flows.csv: {flows} records, {} bytes", size(&csv));
    group.throughput(Throughput::Elements(flows));
    group.bench_function("read_flows_csv", |b| b.iter(|| load(&csv)));

    let zeek_log = load(&zeek);
    eprintln!(
        "conn.jsonl + dns.jsonl: {} flows, {} queries, {} bytes",
        zeek_log.flows.len(),
        zeek_log.dns.len(),
        size(&zeek)
    );
    group.throughput(Throughput::Elements(zeek_log.flows.len() as u64));
    group.bench_function("read_zeek_conn_dns", |b| b.iter(|| load(&zeek)));

    // Both sensors' records: every connection twice, merged by the analysis.
    let net = load(&all);
    let hosts = HostEvidence::new();
    let settings = Settings::default();
    let scope = Scope::default();
    group.throughput(Throughput::Elements(net.flows.len() as u64));
    group.bench_function("assess", |b| {
        b.iter(|| assess(&net, &hosts, None, &scope, &settings))
    });
    group.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);
