//! Simulates into a folder and reports volume and speed:
//! `cargo run --release -p vigil-simulate --example simulate -- OUT [HOSTS DAYS RATE SEED]`.

use std::path::PathBuf;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = PathBuf::from(args.first().map(String::as_str).unwrap_or("sim"));
    let number = |i: usize, default: u64| -> anyhow::Result<u64> {
        Ok(match args.get(i) {
            Some(text) => text.parse()?,
            None => default,
        })
    };
    let defaults = vigil_simulate::Config::default();
    let config = vigil_simulate::Config {
        hosts: number(1, defaults.hosts as u64)? as usize,
        days: number(2, u64::from(defaults.days))? as u32,
        rate: number(3, u64::from(defaults.rate))? as u32,
        seed: number(4, defaults.seed)?,
        ..defaults
    };
    let started = Instant::now();
    let summary = vigil_simulate::generate(&config, &out)?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} events/records, {:.1} MB in {} files, {seconds:.2} s ({:.0} events/s)",
        summary.events,
        summary.bytes as f64 / 1e6,
        summary.files.len(),
        summary.events as f64 / seconds
    );
    Ok(())
}
