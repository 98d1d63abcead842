//! `vigil exfil`: sort the inputs into network evidence and host events, build
//! the incidents from the host events to find the window and the hosts in
//! scope, and assess exfiltration over them.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use vigil_exfil::{HostEvidence, Settings};
use vigil_incident::{Inventory, Options};

use vigil_investigate::{gather, network, outputs, HuntSummary};

use crate::args::ExfilArgs;

pub fn run(args: &ExfilArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mapping = network::flow_mapping(args.flow_mapping.as_deref())?;
    let mut settings = Settings::default();
    for cidr in &args.internal {
        settings
            .internal
            .push(cidr.parse().with_context(|| {
                format!("--internal {cidr}: not a network (e.g. 10.20.0.0/16)")
            })?);
    }
    let inventory = args.inventory.as_deref().map(Inventory::load).transpose()?;

    let (network_files, problems) = network::network_files(&args.paths, mapping.as_ref());
    let network_paths: BTreeSet<&Path> = network_files.iter().map(|(p, _)| p.as_path()).collect();
    let net = network::read_network(&network_files);

    let loaded = vigil_investigate::load(&args.rules.spec())?;
    let (files, issues) = vigil_sources::discover(&args.paths);
    let host_files: Vec<_> = files
        .into_iter()
        .filter(|f| !network_paths.contains(f.path.as_path()))
        .collect();
    if network_files.is_empty() && host_files.is_empty() {
        let mut reasons = problems.clone();
        reasons.extend(issues.iter().map(|i| i.to_string()));
        anyhow::bail!(
            "no network evidence or host events under {}{}",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            if reasons.is_empty() {
                String::new()
            } else {
                format!(": {}", reasons.join("; "))
            }
        );
    }
    let options = Options {
        clock_skew: args.clock.clock_skew,
        ..Options::default()
    };
    let (report, host_evidence, host_events) = if host_files.is_empty() {
        (
            gather::report(
                vigil_incident::Facts::new(),
                0,
                inventory.as_ref(),
                &options,
            ),
            HostEvidence::new(),
            0,
        )
    } else {
        let mut summary = HuntSummary::new(&loaded);
        summary.issues.extend(issues);
        let (sweep, facts, host) =
            gather::sweep_gathering(&host_files, &loaded, args.threads, false, summary)?;
        let events = sweep.summary.events;
        (
            gather::report(facts, sweep.detections.len(), inventory.as_ref(), &options),
            host,
            events,
        )
    };
    let scope = network::scope(
        &report,
        args.since.as_deref(),
        args.until.as_deref(),
        &args.hosts,
    )?;
    let assessment =
        vigil_exfil::assess(&net, &host_evidence, inventory.as_ref(), &scope, &settings);
    let text = vigil_exfil::text(&assessment);
    if let Some(out) = &args.out {
        outputs::write_exfiltration(out, &assessment, &text)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&assessment)?);
    } else {
        print!("{text}");
    }
    if !args.quiet {
        for p in &problems {
            eprintln!("skipped: {p}");
        }
        for issue in net.issues.iter().take(20) {
            eprintln!("skipped: {issue}");
        }
        if net.issues.len() > 20 {
            eprintln!(
                "… and {} more unreadable network records",
                net.issues.len() - 20
            );
        }
        eprintln!(
            "{} network file(s), {} flow record(s), {} DNS queries; {} host file(s), {} host events, {} incident(s); {:.2} s",
            network_files.len(),
            net.flows.len(),
            net.dns.len(),
            host_files.len(),
            host_events,
            report.incidents.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}
