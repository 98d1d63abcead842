//! Network evidence: which files are flows, DNS or proxy logs (told by
//! their content), read in parallel into one log; and the window and hosts
//! the exfiltration assessment looks at.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::Duration;
use rayon::prelude::*;
use vigil_exfil::read::{self, NetworkLog};
use vigil_exfil::{FlowMapping, NetworkFormat, Scope, Window};
use vigil_incident::Report;

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
