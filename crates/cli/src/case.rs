//! `vigil case`: the whole investigation of a set of evidence written into
//! one case folder — timeline, incidents, exfiltration assessment,
//! containment plan, notification clocks and the evidence manifest — and
//! `vigil case --verify` to check the evidence still matches its manifest.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use vigil_exfil::{Assessment, HostEvidence, Settings};
use vigil_incident::{Inventory, Options, Report};
use vigil_respond::manifest::{FileState, Manifest};
use vigil_respond::{Awareness, Clock, ContainmentPlan, Content, Lang};
use vigil_timeline::{write_timeline, TimelineFormat};

use crate::args::{CaseArgs, RuleArgs};
use crate::summary::HuntSummary;

/// What `notification.json` holds: the clocks and what a notification to the
/// authority must say.
#[derive(Serialize)]
struct Notification<'a> {
    now: chrono::DateTime<Utc>,
    awareness: Option<&'a Awareness>,
    clocks: &'a [Clock],
    gdpr_art33_contents: &'a [Content],
}

pub fn run(args: &CaseArgs) -> anyhow::Result<ExitCode> {
    if let Some(case) = &args.verify {
        return verify(case);
    }
    let Some(out) = &args.out else {
        anyhow::bail!("give --out CASE (the case folder to write) or --verify CASE");
    };
    let started = Instant::now();
    let aware_at = args
        .aware_at
        .as_deref()
        .map(|t| {
            vigil_exfil::time::parse(t)
                .ok_or_else(|| anyhow::anyhow!("--aware-at {t}: not a time (use RFC 3339)"))
        })
        .transpose()?;

    // The evidence is hashed before it is analysed: the manifest records it
    // as it was read.
    let mut manifest = evidence_manifest(&args.paths, args.inventory.as_deref(), &args.rules, out);
    let loaded = crate::ruleset::load(&args.rules)?;
    if loaded.rules.is_empty() {
        anyhow::bail!("no rule could be loaded; nothing to hunt with");
    }
    let inventory = args.inventory.as_deref().map(Inventory::load).transpose()?;
    let (network_files, problems) = crate::exfil::network_files(&args.paths, None);
    let network_paths: BTreeSet<&Path> = network_files.iter().map(|(p, _)| p.as_path()).collect();
    let network = crate::exfil::read_network(&network_files);
    let (files, issues) = vigil_sources::discover(&args.paths);
    let host_files: Vec<_> = files
        .into_iter()
        .filter(|f| !network_paths.contains(f.path.as_path()))
        .filter(|f| !is_case_output(&f.path, out))
        .collect();
    if network_files.is_empty() && host_files.is_empty() {
        anyhow::bail!(
            "no host events or network evidence under {}",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the case folder {}", out.display()))?;
    let progress = !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut summary = HuntSummary::new(&loaded);
    summary.issues.extend(issues);
    let (mut sweep, facts, host_evidence) = if host_files.is_empty() {
        (
            crate::hunt::Sweep {
                detections: Vec::new(),
                summary,
            },
            vigil_incident::Facts::new(),
            HostEvidence::new(),
        )
    } else {
        crate::incidents::sweep_gathering(&host_files, &loaded, args.threads, progress, summary)?
    };
    // Each host log's first and last event, as the network logs' are recorded below.
    for (source, (first, last)) in facts.file_spans() {
        manifest.set_range(Path::new(source), first, last);
    }
    let options = Options {
        seed_level: args.seed_level,
        clock_skew: args.clock.clock_skew,
        ..Options::default()
    };
    let report =
        crate::incidents::report(facts, sweep.detections.len(), inventory.as_ref(), &options);
    crate::incidents::write_report(out, &report, &vigil_incident::markdown(&report))?;
    for (name, format) in [
        ("timeline.csv", TimelineFormat::Csv),
        ("timeline.jsonl", TimelineFormat::Jsonl),
    ] {
        let path = out.join(name);
        let mut writer = BufWriter::new(
            File::create(&path).with_context(|| format!("cannot write {}", path.display()))?,
        );
        write_timeline(&mut sweep.detections, format, &mut writer)?;
        writer
            .flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
    }

    let scope = crate::exfil::scope(&report, None, None, &[])?;
    let assessment = vigil_exfil::assess(
        &network,
        &host_evidence,
        inventory.as_ref(),
        &scope,
        &Settings::default(),
    );
    crate::exfil::write(out, &assessment, &vigil_exfil::text(&assessment))?;

    let concluded = conclude(
        out,
        &report,
        &assessment,
        inventory.as_ref(),
        aware_at,
        manifest,
        args.lang.into(),
    )?;
    println!("Case folder: {}", out.display());
    println!(
        "Report: {} (open in a browser; also report.md)",
        out.join("report.html").display()
    );
    println!(
        "Incidents: {}; data taken: {}",
        report.incidents.len(),
        assessment.verdict.as_str()
    );
    print_plan(&concluded.plan, 4);
    for clock in &concluded.clocks {
        println!(
            "Clock {}: {}{}",
            clock.law,
            match clock.deadline {
                Some(d) => format!("due {} UTC", d.format("%Y-%m-%d %H:%M")),
                None => "no fixed deadline".into(),
            },
            if clock.overdue() { " — OVERDUE" } else { "" }
        );
    }
    let unreadable = concluded
        .evidence
        .iter()
        .filter(|e| e.problem.is_some())
        .count();
    println!(
        "Evidence: {} file(s) hashed into {}{}",
        concluded.evidence.len() - unreadable,
        concluded.manifest.display(),
        if unreadable > 0 {
            format!("; {unreadable} could not be read (listed there)")
        } else {
            String::new()
        }
    );
    if !args.quiet {
        for p in &problems {
            eprintln!("skipped: {p}");
        }
        for issue in sweep.summary.issues.iter().take(20) {
            eprintln!("skipped: {issue}");
        }
        eprintln!("{:.2} s", started.elapsed().as_secs_f64());
    }
    Ok(ExitCode::SUCCESS)
}

/// The files a case folder is made of.
const OUTPUTS: &[&str] = &[
    "timeline.csv",
    "timeline.jsonl",
    "incidents.json",
    "incidents.md",
    "exfiltration.json",
    "exfiltration.md",
    "containment.json",
    "notification.json",
    "manifest.json",
    "report.md",
    "report.html",
];

/// Whether `path` is one of the case's own files (a case folder may sit
/// under the evidence, or hold it, as the demo's does).
fn is_case_output(path: &Path, out: &Path) -> bool {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| OUTPUTS.contains(&n))
        && path.parent().map(absolute) == Some(absolute(out))
}

/// What [`conclude`] wrote.
pub struct Concluded {
    pub plan: ContainmentPlan,
    pub clocks: Vec<Clock>,
    /// Where the manifest went.
    pub manifest: PathBuf,
    pub evidence: Vec<vigil_respond::manifest::EvidenceFile>,
}

/// Every evidence file under `paths` and the inventory hashed, and the
/// rules `rules` loads; a case folder under the evidence is left out.
pub fn evidence_manifest(
    paths: &[PathBuf],
    inventory: Option<&Path>,
    rules: &RuleArgs,
    out: &Path,
) -> Manifest {
    let mut manifest = Manifest::new(
        env!("CARGO_PKG_VERSION"),
        std::env::args().collect(),
        Utc::now(),
    );
    for path in paths {
        manifest.add_evidence_path(path);
    }
    manifest
        .evidence
        .retain(|e| !is_case_output(Path::new(&e.path), out));
    if let Some(inventory) = inventory {
        manifest.add_evidence(inventory, None);
    }
    if rules.rules.is_empty() || rules.builtin {
        for rule in vigil_rules::builtin() {
            manifest.add_rule_text(&format!("builtin/{}", rule.name), rule.text);
        }
    }
    for path in &rules.rules {
        manifest.add_rule_path(path);
    }
    manifest
}

/// Writes what follows from the incidents and the exfiltration assessment
/// into the case folder: containment.json, notification.json (clocks and
/// the GDPR Art. 33(3) contents), manifest.json, and report.md with all of
/// it after the incidents and the exfiltration assessment; report.html is
/// the same as one self-contained page for a browser.
pub fn conclude(
    out: &Path,
    report: &Report,
    assessment: &Assessment,
    inventory: Option<&Inventory>,
    aware_at: Option<DateTime<Utc>>,
    mut manifest: Manifest,
    lang: Lang,
) -> anyhow::Result<Concluded> {
    for input in &assessment.inputs {
        if let (Some(first), Some(last)) = (input.first, input.last) {
            manifest.set_range(Path::new(&*input.file), first, last);
        }
    }
    let account_changes = vigil_respond::attacker_account_changes(&report.incidents);
    let plan = vigil_respond::plan(&vigil_respond::Inputs {
        incidents: &report.incidents,
        assessment: Some(assessment),
        inventory,
        account_changes: &account_changes,
    });
    write_json(&out.join("containment.json"), &plan)?;
    let now = Utc::now();
    let awareness = vigil_respond::awareness(aware_at, &report.incidents);
    let clocks = vigil_respond::clocks(awareness.as_ref(), now);
    let contents =
        vigil_respond::art33_contents(&report.incidents, Some(assessment), Some(&plan), inventory);
    write_json(
        &out.join("notification.json"),
        &Notification {
            now,
            awareness: awareness.as_ref(),
            clocks: &clocks,
            gdpr_art33_contents: &contents,
        },
    )?;
    let path = manifest.write(out)?;
    let mut md = lang
        .words()
        .incident_section(&vigil_incident::markdown(report));
    md.push_str(&format!(
        "\n# {}\n\n```\n{}```\n\n",
        lang.words().data_taken,
        vigil_exfil::text(assessment)
    ));
    md.push_str(&vigil_respond::markdown::containment(&plan, lang));
    md.push_str(&vigil_respond::markdown::notification(
        awareness.as_ref(),
        &clocks,
        &contents,
        lang,
    ));
    md.push_str(&vigil_respond::markdown::customer_notice(
        &plan,
        &report.incidents,
        Some(assessment),
        inventory,
        lang,
    ));
    md.push_str(&vigil_respond::markdown::manifest(&manifest, lang));
    md.push_str(&vigil_respond::markdown::limits(lang));
    let report_path = out.join("report.md");
    std::fs::write(&report_path, md)
        .with_context(|| format!("cannot write {}", report_path.display()))?;
    let html = vigil_respond::html::render(&vigil_respond::html::Case {
        report,
        assessment: Some(assessment),
        plan: &plan,
        awareness: awareness.as_ref(),
        clocks: &clocks,
        contents: &contents,
        manifest: &manifest,
        inventory,
        lang,
    });
    let html_path = out.join("report.html");
    std::fs::write(&html_path, html)
        .with_context(|| format!("cannot write {}", html_path.display()))?;
    Ok(Concluded {
        plan,
        clocks,
        manifest: path,
        evidence: manifest.evidence,
    })
}

/// The plan's summary and its first `steps` steps.
pub fn print_plan(plan: &ContainmentPlan, steps: usize) {
    println!("Containment: {}", plan.summary);
    for step in plan.order.iter().take(steps) {
        println!(
            "  {}. {}: {}",
            step.step,
            step.action,
            step.targets.join(", ")
        );
    }
}

fn write_json(path: &PathBuf, value: &impl Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Re-hashes the case's evidence; exit 0 when every file matches, 1 when not.
fn verify(case: &Path) -> anyhow::Result<ExitCode> {
    let verification = vigil_respond::verify(case)?;
    for f in &verification.files {
        let state = match f.state {
            FileState::Same => "same",
            FileState::Changed => "CHANGED",
            FileState::Missing => "MISSING",
            FileState::Unreadable => "UNREADABLE",
            FileState::NotHashed => "not hashed at analysis",
        };
        println!(
            "{state:<10} {}{}",
            f.path,
            f.problem
                .as_deref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        );
    }
    let bad = verification.files.len()
        - verification.count(FileState::Same)
        - verification.count(FileState::NotHashed);
    if verification.intact() {
        println!(
            "evidence intact: {} file(s) match the manifest",
            verification.count(FileState::Same)
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("evidence NOT intact: {bad} file(s) differ from the manifest");
        Ok(ExitCode::from(1))
    }
}
