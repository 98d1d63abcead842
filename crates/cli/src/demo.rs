//! `vigil simulate` and `vigil demo`: a simulated telemedicine provider's
//! logs with an intrusion in them, and the whole pipeline run on them.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Utc};
use vigil_event::{Detection, Level};
use vigil_simulate::{Config, DNS_SUFFIX};
use vigil_timeline::{write_timeline, TimelineFormat};

use vigil_investigate::{case, gather, network, outputs, HuntSummary, RuleSpec};

use crate::args::{DemoArgs, SimulateArgs, SimulationArgs};
use vigil_incident::{Incident, Inventory, Options};
use vigil_simulate::Truth;

pub fn simulate(args: &SimulateArgs) -> anyhow::Result<ExitCode> {
    let config = config(&args.simulation);
    let started = Instant::now();
    let summary = vigil_simulate::generate(&config, &args.out)
        .with_context(|| format!("cannot simulate into {}", args.out.display()))?;
    eprintln!(
        "simulated {} hosts over {} days: {} records in {} files ({:.1} MB) in {:.1} s under {}",
        config.hosts.max(vigil_simulate::MIN_HOSTS),
        config.days,
        summary.events,
        summary.files.len(),
        summary.bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn config(args: &SimulationArgs) -> Config {
    Config {
        seed: args.seed,
        hosts: args.hosts,
        days: args.days,
        rate: args.rate,
        attack: !args.no_attack,
        ..Config::default()
    }
}

pub fn demo(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let out = match &args.out {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("vigil-demo-{}", std::process::id())),
    };
    println!("Vigil demo: a telemedicine provider's estate, with an intrusion hidden in a week of normal work.\n");
    let simulation = vigil_simulate::generate(&config(&args.simulation), &out)
        .with_context(|| format!("cannot simulate into {}", out.display()))?;
    println!(
        "1. Simulated {} Windows events and network records ({:.1} MB) into {}",
        simulation.events,
        simulation.bytes as f64 / 1e6,
        out.display()
    );

    let started = Instant::now();
    let loaded = vigil_investigate::load(&RuleSpec::default())?;
    let (files, issues) = vigil_sources::discover(&[out.join("windows"), out.join("network")]);
    let mut summary = HuntSummary::new(&loaded);
    summary.issues.extend(issues);
    let (mut sweep, facts, host_evidence) =
        gather::sweep_gathering(&files, &loaded, None, false, summary)?;
    let timeline = out.join("timeline.csv");
    let mut writer = BufWriter::new(
        File::create(&timeline).with_context(|| format!("cannot write {}", timeline.display()))?,
    );
    write_timeline(&mut sweep.detections, TimelineFormat::Csv, &mut writer)?;
    writer.flush()?;
    println!(
        "2. Hunted {} events from {} files with {} built-in rules in {:.2} s: {} detections, timeline in {}",
        sweep.summary.events,
        sweep.summary.files,
        loaded.report.rules,
        started.elapsed().as_secs_f64(),
        sweep.detections.len(),
        timeline.display()
    );
    for issue in &sweep.summary.issues {
        println!("   skipped: {issue}");
    }

    println!("\n3. Where to look first — hosts by their most severe detections:\n");
    print_hosts(&sweep.detections);

    let truth = &simulation.truth;
    let flagged: Vec<String> = hosts(&sweep.detections, Level::High).into_keys().collect();
    let compromised: Vec<&str> = truth
        .compromised_hosts
        .iter()
        .map(|h| h.host.as_str())
        .collect();
    let found = compromised
        .iter()
        .filter(|h| flagged.iter().any(|f| f == *h))
        .count();
    println!(
        "\n4. Against the simulation's ground truth ({}): the attack touched {} hosts; {} of them have high or critical detections; {} hosts with such detections were not attacked.",
        out.join("truth.json").display(),
        compromised.len(),
        found,
        flagged
            .iter()
            .filter(|f| !compromised.contains(&f.as_str()))
            .count()
    );
    if let Some(zero) = &truth.patient_zero {
        println!("   Patient zero in the truth: {zero}.");
    }

    let inventory = Inventory::load(&out.join("inventory.yaml"))?;
    let report = gather::report(
        facts,
        sweep.detections.len(),
        Some(&inventory),
        &Options::default(),
    );
    outputs::write_incidents(&out, &report, &vigil_incident::markdown(&report))?;
    println!(
        "\n5. Incidents: {} (report in {} and incidents.md)",
        report.incidents.len(),
        out.join("incidents.json").display()
    );
    if let Some(incident) = report.incidents.first() {
        print_incident(incident, truth);
    }

    let started = Instant::now();
    let (network_files, _) = network::network_files(&[out.join("network")], None);
    let network = network::read_network(&network_files);
    let scope = network::scope(&report, None, None, &[])?;
    let assessment = vigil_exfil::assess(
        &network,
        &host_evidence,
        Some(&inventory),
        &scope,
        &vigil_exfil::Settings::default(),
    );
    let text = vigil_exfil::text(&assessment);
    outputs::write_exfiltration(&out, &assessment, &text)?;
    println!(
        "\n6. Was patient data taken? {} flow records and {} DNS queries weighed in {:.2} s (full assessment in {}):\n",
        network.flows.len(),
        network.dns.len(),
        started.elapsed().as_secs_f64(),
        out.join("exfiltration.md").display()
    );
    println!("   Verdict: {}", assessment.verdict.as_str());
    println!("   {}", assessment.summary);
    for t in &truth.exfiltration {
        let found = assessment
            .hosts
            .iter()
            .filter(|h| h.host == t.source_host)
            .flat_map(|h| &h.egress)
            .find(|e| e.destination.to_string() == t.destination_ip);
        match found {
            Some(e) => println!(
                "   The truth: {} sent {} bytes to {} ({}); found {} bytes ({:+.2}%).",
                t.source_host,
                t.bytes,
                t.destination_ip,
                t.destination_hostname,
                e.bytes,
                (e.bytes as f64 - t.bytes as f64) / t.bytes as f64 * 100.0
            ),
            None => println!(
                "   The truth: {} sent {} bytes to {} ({}); not found.",
                t.source_host, t.bytes, t.destination_ip, t.destination_hostname
            ),
        }
    }
    for gap in &assessment.gaps {
        println!("   Cannot see: {gap}");
    }
    let manifest = case::evidence_manifest(
        &[out.join("windows"), out.join("network")],
        Some(&out.join("inventory.yaml")),
        &RuleSpec::default(),
        &out,
        std::env::args().collect(),
    );
    let concluded = case::conclude(
        &out,
        &report,
        &assessment,
        Some(&inventory),
        None,
        manifest,
        vigil_respond::Lang::En,
    )?;
    println!(
        "\n7. The case folder {}: containment.json, notification.json (the authorities' clocks) and manifest.json (the evidence's SHA-256).\n",
        out.display()
    );
    crate::case::print_plan(&concluded.plan, 4, vigil_respond::Lang::En);
    println!(
        "\nNext: vigil case {}/windows {}/network --inventory {}/inventory.yaml --out CASE",
        out.display(),
        out.display(),
        out.display()
    );
    println!(
        "      vigil incidents {}/windows --inventory {}/inventory.yaml --out DIR",
        out.display(),
        out.display()
    );
    println!(
        "      vigil exfil {} --inventory {}/inventory.yaml",
        out.display(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Short host name: the computer name without the estate's DNS suffix.
fn short(computer: &str) -> String {
    computer
        .strip_suffix(DNS_SUFFIX)
        .unwrap_or(computer)
        .trim_end_matches('.')
        .to_string()
}

/// Per host at or above `min`: the detections, in time order.
fn hosts(detections: &[Detection], min: Level) -> BTreeMap<String, Vec<&Detection>> {
    let mut by_host: BTreeMap<String, Vec<&Detection>> = BTreeMap::new();
    for d in detections.iter().filter(|d| d.level >= min) {
        let host = d.computer.as_deref().map_or("(unknown)".to_string(), short);
        by_host.entry(host).or_default().push(d);
    }
    by_host
}

fn print_hosts(detections: &[Detection]) {
    let by_host = hosts(detections, Level::Medium);
    let days: Vec<String> = {
        let mut days: Vec<String> = detections
            .iter()
            .filter_map(|d| d.timestamp.map(day))
            .collect();
        days.sort();
        days.dedup();
        days
    };
    let mut rows: Vec<(&String, &Vec<&Detection>)> = by_host.iter().collect();
    rows.sort_by_key(|(host, found)| {
        let worst = found.iter().map(|d| d.level).max();
        (
            std::cmp::Reverse(worst),
            std::cmp::Reverse(found.len()),
            *host,
        )
    });
    if rows.is_empty() {
        println!("   no medium, high or critical detections.");
        return;
    }
    print!("   {:<12} {:<9}", "host", "worst");
    for d in &days {
        print!(" {:>6}", &d[5..]);
    }
    println!("   first evidence        top rules");
    for (host, found) in rows {
        let worst = found.iter().map(|d| d.level).max().unwrap_or(Level::Medium);
        print!("   {:<12} {:<9}", host, worst.as_str());
        for day_name in &days {
            let n = found
                .iter()
                .filter(|d| d.timestamp.map(day).as_deref() == Some(day_name.as_str()))
                .count();
            if n == 0 {
                print!(" {:>6}", "·");
            } else {
                print!(" {n:>6}");
            }
        }
        let first = found
            .iter()
            .filter(|d| d.level == worst)
            .filter_map(|d| d.timestamp)
            .min()
            .map_or("-".to_string(), |t| t.format("%m-%d %H:%M").to_string());
        let mut titles: BTreeMap<&str, usize> = BTreeMap::new();
        for d in found.iter().filter(|d| d.level == worst) {
            *titles.entry(&d.rule_title).or_default() += 1;
        }
        let mut titles: Vec<(&str, usize)> = titles.into_iter().collect();
        titles.sort_by_key(|(t, n)| (std::cmp::Reverse(*n), *t));
        let top: Vec<&str> = titles.iter().take(2).map(|(t, _)| *t).collect();
        println!("   {first:<21} {}", top.join("; "));
    }
    println!("\n   (columns: detections at medium or above per day, UTC)");
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// The first incident in a few lines, each checked against the truth.
fn print_incident(incident: &Incident, truth: &Truth) {
    println!("   {}", incident.summary);
    if let Some(pz) = &incident.patient_zero {
        let agrees = truth.patient_zero.as_deref() == Some(pz.host.as_str());
        println!(
            "   Patient zero: {} ({}; the truth {})",
            pz.host,
            pz.reasoning,
            if agrees { "agrees" } else { "disagrees" }
        );
    }
    let scoped: Vec<&str> = incident.hosts.iter().map(|h| h.host.as_str()).collect();
    let compromised: Vec<&str> = truth
        .compromised_hosts
        .iter()
        .map(|h| h.host.as_str())
        .collect();
    println!(
        "   Hosts in scope: {} — {} of the {} compromised hosts, {} not compromised",
        scoped.join(", "),
        compromised.iter().filter(|h| scoped.contains(h)).count(),
        compromised.len(),
        scoped.iter().filter(|h| !compromised.contains(h)).count()
    );
    println!("   Lateral movement:");
    for e in &incident.lateral_movement {
        let true_hop = truth.lateral_movement.iter().any(|t| {
            t.from == e.from && t.to == e.to && (t.time - e.time).num_seconds().abs() <= 60
        });
        println!(
            "     {}  {} -> {}  {}  as {}{}",
            e.time.format("%Y-%m-%d %H:%M"),
            e.from,
            e.to,
            e.method.as_str(),
            e.account.as_deref().unwrap_or("?"),
            if true_hop { "" } else { "  (not in the truth)" }
        );
    }
    let found = truth
        .lateral_movement
        .iter()
        .filter(|t| {
            incident.lateral_movement.iter().any(|e| {
                t.from == e.from && t.to == e.to && (t.time - e.time).num_seconds().abs() <= 60
            })
        })
        .count();
    println!(
        "     ({found} of the {} hops in the truth)",
        truth.lateral_movement.len()
    );
    println!("   Accounts to rotate, most urgent first:");
    for a in incident.credentials.accounts.iter().take(8) {
        let attacker = truth
            .attacker_accounts
            .iter()
            .any(|t| t.account.eq_ignore_ascii_case(&a.account));
        println!(
            "     [{}] {}{} — {}",
            a.urgency,
            a.account,
            if attacker {
                " (attacker-used in the truth)"
            } else {
                ""
            },
            a.reasons.first().map(String::as_str).unwrap_or("")
        );
    }
    for d in &incident.credentials.domain_wide {
        println!("     domain-wide: {d}");
    }
    for b in &truth.backdoor_accounts {
        println!(
            "   Backdoor account in the truth: {} created on {} at {} by {}{}",
            b.account,
            b.host,
            b.time.format("%Y-%m-%d %H:%M"),
            b.created_by,
            b.group
                .as_deref()
                .map(|g| format!(", added to {g}"))
                .unwrap_or_default()
        );
    }
}
