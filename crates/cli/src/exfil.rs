//! `vigil exfil`: sort the inputs into network evidence and host events, build
//! the incidents from the host events to find the window and the hosts in
//! scope, and assess exfiltration over them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use chrono::Duration;
use rayon::prelude::*;
use vigil_exfil::read::{self, NetworkLog};
use vigil_exfil::{Assessment, FlowMapping, HostEvidence, NetworkFormat, Scope, Settings, Window};
use vigil_incident::{Inventory, Options, Report};

use crate::args::ExfilArgs;
use crate::summary::HuntSummary;

/// The mapping named on the command line: a ready one or a YAML file.
pub fn flow_mapping(spec: Option<&str>) -> anyhow::Result<Option<FlowMapping>> {
    let Some(spec) = spec else { return Ok(None) };
    if let Some(m) = FlowMapping::preset(spec) {
        return Ok(Some(m));
    }
    let text = std::fs::read_to_string(spec).with_context(|| {
        format!("--flow-mapping {spec}: neither vigil, fortigate, paloalto nor a readable file")
    })?;
    FlowMapping::parse(&text)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("--flow-mapping {spec}: {e}"))
}

/// Every file under `paths` that is network evidence, with its format.
pub fn network_files(
    paths: &[PathBuf],
    mapping: Option<&FlowMapping>,
) -> (Vec<(PathBuf, NetworkFormat)>, Vec<String>) {
    let mut candidates = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        for entry in walkdir::WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name()
        {
            match entry {
                Ok(e) if e.file_type().is_file() => candidates.push(e.into_path()),
                Ok(_) => {}
                Err(e) => problems.push(format!("{}: {e}", path.display())),
            }
        }
    }
    let classified: Vec<_> = candidates
        .par_iter()
        .filter(|p| !is_evtx(p))
        .map(|p| (p.clone(), read::classify(p, mapping)))
        .collect();
    let mut found = Vec::new();
    for (path, result) in classified {
        match result {
            Ok(Some(format)) => found.push((path, format)),
            Ok(None) => {}
            Err(e) => problems.push(format!("{}: cannot read: {e}", path.display())),
        }
    }
    (found, problems)
}

fn is_evtx(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    name.ends_with(".evtx") || name.ends_with(".evtx.gz")
}

/// Reads the network files, in parallel, into one log.
pub fn read_network(files: &[(PathBuf, NetworkFormat)]) -> NetworkLog {
    let logs: Vec<NetworkLog> = files
        .par_iter()
        .map(|(path, format)| {
            let mut log = NetworkLog::default();
            if let Err(e) = read::read(path, format, &mut log) {
                log.issues.push(read::Issue {
                    file: path.display().to_string().into(),
                    line: None,
                    message: format!("cannot read: {e}"),
                });
            }
            log
        })
        .collect();
    let mut all = NetworkLog::default();
    for log in logs {
        all.merge(log);
    }
    all
}

/// The window and hosts to assess: given on the command line, else the
/// incidents' span (an hour before the first evidence to a day after the
/// last) and hosts.
pub fn scope(
    report: &Report,
    since: Option<&str>,
    until: Option<&str>,
    extra_hosts: &[String],
) -> anyhow::Result<Scope> {
    let parse = |flag: &str, t: &str| {
        vigil_exfil::time::parse(t)
            .ok_or_else(|| anyhow::anyhow!("{flag} {t}: not a time (use RFC 3339)"))
    };
    let mut hosts: BTreeSet<String> = extra_hosts.iter().map(|h| h.to_ascii_uppercase()).collect();
    for incident in &report.incidents {
        hosts.extend(incident.hosts.iter().map(|h| h.host.clone()));
    }
    let first = report.incidents.iter().map(|i| i.first_evidence).min();
    let last = report.incidents.iter().map(|i| i.last_evidence).max();
    let (window, basis) = match (since, until, first, last) {
        (Some(s), Some(u), _, _) => (
            Some(Window {
                start: parse("--since", s)?,
                end: parse("--until", u)?,
            }),
            "the window given".to_string(),
        ),
        (s, u, Some(first), Some(last)) => (
            Some(Window {
                start: s
                    .map(|s| parse("--since", s))
                    .transpose()?
                    .unwrap_or(first - Duration::hours(1)),
                end: u
                    .map(|u| parse("--until", u))
                    .transpose()?
                    .unwrap_or(last + Duration::days(1)),
            }),
            format!(
                "{} incident(s) from {} to {} UTC, from an hour before to a day after",
                report.incidents.len(),
                first.format("%Y-%m-%d %H:%M"),
                last.format("%Y-%m-%d %H:%M")
            ),
        ),
        (Some(_), None, _, _) | (None, Some(_), _, _) => {
            anyhow::bail!("give both --since and --until, or neither (there are no incidents to take the other from)")
        }
        _ => (None, String::new()),
    };
    if let Some(w) = window {
        if w.end <= w.start {
            anyhow::bail!("the window ends before it starts");
        }
    }
    Ok(Scope {
        window,
        hosts: hosts.into_iter().collect(),
        basis,
    })
}

pub fn run(args: &ExfilArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mapping = flow_mapping(args.flow_mapping.as_deref())?;
    let mut settings = Settings::default();
    for cidr in &args.internal {
        settings
            .internal
            .push(cidr.parse().with_context(|| {
                format!("--internal {cidr}: not a network (e.g. 10.20.0.0/16)")
            })?);
    }
    let inventory = args.inventory.as_deref().map(Inventory::load).transpose()?;

    let (network_files, problems) = network_files(&args.paths, mapping.as_ref());
    let network_paths: BTreeSet<&Path> = network_files.iter().map(|(p, _)| p.as_path()).collect();
    let net = read_network(&network_files);

    let loaded = crate::ruleset::load(&args.rules)?;
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
            crate::incidents::report(
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
            crate::incidents::sweep_gathering(&host_files, &loaded, args.threads, false, summary)?;
        let events = sweep.summary.events;
        (
            crate::incidents::report(facts, sweep.detections.len(), inventory.as_ref(), &options),
            host,
            events,
        )
    };
    let scope = scope(
        &report,
        args.since.as_deref(),
        args.until.as_deref(),
        &args.hosts,
    )?;
    let assessment =
        vigil_exfil::assess(&net, &host_evidence, inventory.as_ref(), &scope, &settings);
    let text = vigil_exfil::text(&assessment);
    if let Some(out) = &args.out {
        write(out, &assessment, &text)?;
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

/// Writes exfiltration.json and exfiltration.md into `out`.
pub fn write(out: &Path, assessment: &Assessment, text: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    let json = out.join("exfiltration.json");
    std::fs::write(&json, serde_json::to_string_pretty(assessment)?)
        .with_context(|| format!("cannot write {}", json.display()))?;
    let md = out.join("exfiltration.md");
    std::fs::write(
        &md,
        format!("# Exfiltration assessment\n\n```\n{text}```\n"),
    )
    .with_context(|| format!("cannot write {}", md.display()))?;
    Ok(())
}
