//! The files an investigation writes: incidents and the exfiltration
//! assessment, each as JSON for tools and Markdown for people.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use vigil_exfil::Assessment;
use vigil_incident::Report;

/// Writes incidents.json and incidents.md into `out`.
pub fn write_incidents(out: &Path, report: &Report, markdown: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    let json = out.join("incidents.json");
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(&json, text).with_context(|| format!("cannot write {}", json.display()))?;
    let md = out.join("incidents.md");
    std::fs::write(&md, markdown).with_context(|| format!("cannot write {}", md.display()))?;
    Ok(())
}

/// Writes exfiltration.json and exfiltration.md into `out`.
pub fn write_exfiltration(out: &Path, assessment: &Assessment, text: &str) -> anyhow::Result<()> {
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

/// `value` as indented JSON into `path`.
pub fn write_json(path: &Path, value: &impl Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
