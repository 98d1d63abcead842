//! The case folders given with `--case`: each one's report (served as it
//! is, in a sandbox), its evidence manifest and whether the evidence still
//! matches it. Case folders are only read.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use vigil_respond::html::escape;
use vigil_respond::manifest::{FileState, Manifest};

/// The policy a case's report is served under: its own inline styles and
/// images, no script at all, in a sandbox, framed only by the console.
pub const REPORT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
     frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox";

/// The report of case `n` (counting from 0), read as it is.
pub fn report(cases: &[PathBuf], n: usize) -> Option<Vec<u8>> {
    std::fs::read(cases.get(n)?.join("report.html")).ok()
}

fn state_name(state: FileState) -> &'static str {
    match state {
        FileState::Same => "same",
        FileState::Changed => "CHANGED",
        FileState::Missing => "MISSING",
        FileState::Unreadable => "UNREADABLE",
        FileState::NotHashed => "not hashed at analysis",
    }
}

fn case_section(n: usize, case: &Path) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<section class=\"case\" id=\"case-{n}\"><h2>{}</h2>",
        escape(&case.display().to_string())
    );
    if case.join("report.html").is_file() {
        let _ = write!(
            b,
            "<p><a href=\"/cases/{n}/report.html\" target=\"_blank\" rel=\"noopener\">Open report.html</a> \
             (served as written, in a sandbox without script)</p>\
             <iframe class=\"report\" sandbox src=\"/cases/{n}/report.html\" title=\"case report\"></iframe>"
        );
    } else {
        b.push_str("<p class=\"error\">No report.html in this folder.</p>");
    }
    match Manifest::load(case) {
        Ok(manifest) => {
            let _ = write!(
                b,
                "<h3>Manifest</h3><p>Written by Vigil {} at {}: {} evidence file(s).</p>",
                escape(&manifest.vigil_version),
                manifest.created.format("%Y-%m-%d %H:%M UTC"),
                manifest.evidence.len()
            );
            let verification = vigil_respond::manifest::check(&manifest);
            let _ = write!(
                b,
                "<h3>Verification</h3><p class=\"verdict {}\">{}</p>",
                if verification.intact() { "ok" } else { "bad" },
                if verification.intact() {
                    "evidence intact: every file matches the manifest"
                } else {
                    "EVIDENCE CHANGED OR MISSING"
                }
            );
            b.push_str("<table><tr><th>State</th><th>File</th><th>SHA-256 at analysis</th></tr>");
            for f in &verification.files {
                let _ = write!(
                    b,
                    "<tr><td>{}</td><td>{}</td><td class=\"hash\">{}</td></tr>",
                    state_name(f.state),
                    escape(&f.path),
                    escape(f.expected.as_deref().unwrap_or("—"))
                );
            }
            b.push_str("</table>");
        }
        Err(error) => {
            let _ = write!(
                b,
                "<p class=\"error\">No readable manifest: {}</p>",
                escape(&error.to_string())
            );
        }
    }
    b.push_str("</section>");
    b
}

pub fn page(cases: &[PathBuf]) -> String {
    let mut body = String::from("<h1>Cases</h1>");
    if cases.is_empty() {
        body.push_str("<p>No case folder: start <code>vigil serve --case DIR</code> with folders written by <code>vigil case</code>.</p>");
    }
    for (n, case) in cases.iter().enumerate() {
        body.push_str(&case_section(n, case));
    }
    crate::pages::layout("cases", "", "Cases", &body)
}
