//! `vigil incidents`: hunt the inputs while gathering the events around each
//! detection, then group detections into incidents and write the report.

use std::process::ExitCode;
use std::time::Instant;

use vigil_incident::{Inventory, Options};
use vigil_investigate::{gather, outputs};

use crate::args::IncidentsArgs;

pub fn run(args: &IncidentsArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let loaded = vigil_investigate::load(&args.rules.spec())?;
    if loaded.rules.is_empty() {
        anyhow::bail!("no rule could be loaded; nothing to hunt with");
    }
    let inventory = args.inventory.as_deref().map(Inventory::load).transpose()?;
    let options = Options {
        seed_level: args.seed_level,
        clock_skew: args.clock.clock_skew,
        ..Options::default()
    };
    let progress = !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let investigation = gather::investigate(
        &args.paths,
        &loaded,
        inventory.as_ref(),
        &options,
        args.threads,
        progress,
    )?;
    let markdown = vigil_incident::markdown(&investigation.report);
    if let Some(out) = &args.out {
        outputs::write_incidents(out, &investigation.report, &markdown)?;
    }
    print!("{markdown}");
    if !args.quiet {
        investigation.summary.print(started.elapsed());
        let report = &investigation.report;
        let items = report.events + report.detections as u64;
        eprintln!(
            "incident building: {:.3} s for {} events and {} detections ({:.0} ns per event or detection), after a {:.3} s sweep",
            investigation.building.as_secs_f64(),
            report.events,
            report.detections,
            investigation.building.as_nanos() as f64 / items.max(1) as f64,
            investigation.sweep.as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}
