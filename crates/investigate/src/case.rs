//! A case: the whole investigation of a set of evidence written into one
//! folder — timeline, incidents, exfiltration assessment, containment plan,
//! notification clocks, the evidence manifest and the report in Markdown
//! and as one self-contained HTML page.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use vigil_exfil::{Assessment, HostEvidence, Settings};
use vigil_incident::{Facts, Inventory, Options, Report};
use vigil_respond::manifest::Manifest;
use vigil_respond::{Awareness, Clock, ContainmentPlan, Content, Lang};
use vigil_timeline::{write_timeline, TimelineFormat};

use crate::outputs::{write_exfiltration, write_incidents, write_json};
use crate::ruleset::RuleSpec;
use crate::summary::HuntSummary;
use crate::sweep::Sweep;

/// What `notification.json` holds: the clocks and what a notification to the
/// authority must say.
#[derive(Serialize)]
pub struct Notification<'a> {
    pub now: chrono::DateTime<Utc>,
    pub awareness: Option<&'a Awareness>,
    pub clocks: &'a [Clock],
    pub gdpr_art33_contents: &'a [Content],
}

/// What a case is made from, and how.
pub struct CaseRequest<'a> {
    /// Evidence files and folders.
    pub paths: &'a [PathBuf],
    /// The asset inventory, if there is one.
    pub inventory: Option<&'a Path>,
    pub rules: &'a RuleSpec,
    /// The case folder.
    pub out: &'a Path,
    /// When the operator became aware of the breach; else the first high or
    /// critical detection.
    pub aware_at: Option<DateTime<Utc>>,
    pub options: Options,
    pub lang: Lang,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Show a progress bar.
    pub progress: bool,
    /// The command line recorded in the manifest.
    pub command: Vec<String>,
}

/// A case as written: what was found and where it went.
pub struct Case {
    pub report: Report,
    pub assessment: Assessment,
    pub concluded: Concluded,
    pub summary: HuntSummary,
    /// Network evidence that could not be read or told apart.
    pub problems: Vec<String>,
}

/// Investigates the evidence in one pass and writes the case folder.
pub fn write_case(request: &CaseRequest) -> anyhow::Result<Case> {
    let out = request.out;
    // The evidence is hashed before it is analysed: the manifest records it
    // as it was read.
    let mut manifest = evidence_manifest(
        request.paths,
        request.inventory,
        request.rules,
        out,
        request.command.clone(),
    );
    let loaded = crate::ruleset::load(request.rules)?;
    if loaded.rules.is_empty() {
        anyhow::bail!("no rule could be loaded; nothing to hunt with");
    }
    let inventory = request.inventory.map(Inventory::load).transpose()?;
    let (network_files, problems) = crate::network::network_files(request.paths, None);
    let network_paths: BTreeSet<&Path> = network_files.iter().map(|(p, _)| p.as_path()).collect();
    let network = crate::network::read_network(&network_files);
    let (files, issues) = vigil_sources::discover(request.paths);
    let host_files: Vec<_> = files
        .into_iter()
        .filter(|f| !network_paths.contains(f.path.as_path()))
        .filter(|f| !is_case_output(&f.path, out))
        .collect();
    if network_files.is_empty() && host_files.is_empty() {
        anyhow::bail!(
            "no host events or network evidence under {}",
            request
                .paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the case folder {}", out.display()))?;
    let mut summary = HuntSummary::new(&loaded);
    summary.issues.extend(issues);
    let (mut sweep, facts, host_evidence) = if host_files.is_empty() {
        (
            Sweep {
                detections: Vec::new(),
                summary,
            },
            Facts::new(),
            HostEvidence::new(),
        )
    } else {
        crate::gather::sweep_gathering(
            &host_files,
            &loaded,
            request.threads,
            request.progress,
            summary,
        )?
    };
    // Each host log's first and last event, as the network logs' are recorded below.
    for (source, (first, last)) in facts.file_spans() {
        manifest.set_range(Path::new(source), first, last);
    }
    let report = crate::gather::report(
        facts,
        sweep.detections.len(),
        inventory.as_ref(),
        &request.options,
    );
    write_incidents(out, &report, &vigil_incident::markdown(&report))?;
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

    let scope = crate::network::scope(&report, None, None, &[])?;
    let assessment = vigil_exfil::assess(
        &network,
        &host_evidence,
        inventory.as_ref(),
        &scope,
        &Settings::default(),
    );
    write_exfiltration(out, &assessment, &vigil_exfil::text(&assessment))?;

    let concluded = conclude(
        out,
        &report,
        &assessment,
        inventory.as_ref(),
        request.aware_at,
        manifest,
        request.lang,
    )?;
    Ok(Case {
        report,
        assessment,
        concluded,
        summary: sweep.summary,
        problems,
    })
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
pub fn is_case_output(path: &Path, out: &Path) -> bool {
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
    rules: &RuleSpec,
    out: &Path,
    command: Vec<String>,
) -> Manifest {
    let mut manifest = Manifest::new(env!("CARGO_PKG_VERSION"), command, Utc::now());
    for path in paths {
        manifest.add_evidence_path(path);
    }
    manifest
        .evidence
        .retain(|e| !is_case_output(Path::new(&e.path), out));
    if let Some(inventory) = inventory {
        manifest.add_evidence(inventory, None);
    }
    if rules.uses_builtin() {
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
        .incident_section(&vigil_incident::markdown_with(report, &|i| {
            vigil_respond::sentences::incident_summary(i, lang)
        }));
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
