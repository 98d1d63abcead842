//! The `vigil` command: parses arguments and hands each subcommand to its module.

/// jemalloc, not the system's allocator: matching allocates and frees small
/// strings for every event, and under glibc's malloc that cost about a sixth
/// of `vigil watch`'s time (bench/WATCH.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod args;
mod bench;
mod bench_http;
mod bench_watch;
mod case;
mod demo;
mod exfil;
mod hunt;
mod incidents;
mod serve;
mod ship;
mod watch;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Hunt(hunt) => hunt::run(&hunt),
        args::Command::Bench(bench) => bench::run(&bench),
        args::Command::BenchWatch(bench) => bench_watch::run(&bench),
        args::Command::Incidents(incidents) => incidents::run(&incidents),
        args::Command::Exfil(exfil) => exfil::run(&exfil),
        args::Command::Case(case) => case::run(&case),
        args::Command::Simulate(simulate) => demo::simulate(&simulate),
        args::Command::Demo(demo) => demo::demo(&demo),
        args::Command::Watch(watch) if watch.fleet.nats.is_some() => ship::watch(&watch),
        args::Command::Watch(watch) => watch::run(&watch),
        args::Command::Serve(serve) => serve::run(&serve),
        args::Command::Ship(ship) => ship::run(&ship),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("vigil: error: {error:#}");
            ExitCode::from(2)
        }
    }
}
