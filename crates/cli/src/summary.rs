//! The end-of-run summary on stderr: what was read, what was skipped and why.

use std::collections::BTreeMap;
use std::time::Duration;

use vigil_sigma::LoadReport;
use vigil_sources::{IssueKind, SourceIssue};

/// How many skipped parts are listed one by one before only counting.
const LISTED_ISSUES: usize = 20;

pub struct HuntSummary {
    pub rule_files: usize,
    pub rules: usize,
    pub filters: usize,
    pub refused: Vec<String>,
    pub correlations: Vec<String>,
    pub files: usize,
    pub unreadable_files: usize,
    pub bytes: u64,
    pub events: u64,
    pub detections: usize,
    pub issues: Vec<SourceIssue>,
}

impl HuntSummary {
    pub fn new(report: &LoadReport) -> Self {
        HuntSummary {
            rule_files: report.files,
            rules: report.rules,
            filters: report.filters,
            refused: report.failed.iter().map(ToString::to_string).collect(),
            correlations: report
                .correlations
                .iter()
                .map(|(path, c)| format!("{}: '{}' ({})", path.display(), c.title, c.kind))
                .collect(),
            files: 0,
            unreadable_files: 0,
            bytes: 0,
            events: 0,
            detections: 0,
            issues: Vec::new(),
        }
    }

    pub fn print(&self, elapsed: Duration) {
        eprintln!("── vigil hunt summary ──");
        eprintln!(
            "rules:      {} loaded from {} files, {} refused, {} filters, {} correlation rules not evaluated yet",
            self.rules,
            self.rule_files,
            self.refused.len(),
            self.filters,
            self.correlations.len()
        );
        for refused in self.refused.iter().take(LISTED_ISSUES) {
            eprintln!("  refused: {refused}");
        }
        if self.refused.len() > LISTED_ISSUES {
            eprintln!(
                "  … and {} more refused rules",
                self.refused.len() - LISTED_ISSUES
            );
        }
        for c in self.correlations.iter().take(5) {
            eprintln!("  not evaluated yet: {c}");
        }
        eprintln!(
            "inputs:     {} files ({:.1} MB), {} unreadable",
            self.files,
            self.bytes as f64 / 1e6,
            self.unreadable_files
        );
        eprintln!("events:     {}", self.events);
        let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
        for issue in &self.issues {
            *by_reason.entry(reason_kind(&issue.reason)).or_default() += 1;
        }
        let suspect = self
            .issues
            .iter()
            .filter(|i| i.kind == IssueKind::Suspect)
            .count();
        eprintln!(
            "issues:     {} parts skipped (events lost), {} read despite a failed checksum",
            self.issues.len() - suspect,
            suspect
        );
        for (reason, count) in &by_reason {
            eprintln!("  {count} × {reason}");
        }
        for issue in self.issues.iter().take(LISTED_ISSUES) {
            eprintln!("  {issue}");
        }
        if self.issues.len() > LISTED_ISSUES {
            eprintln!("  … and {} more", self.issues.len() - LISTED_ISSUES);
        }
        eprintln!("detections: {}", self.detections);
        let secs = elapsed.as_secs_f64();
        eprintln!(
            "elapsed:    {:.2} s ({:.0} events/s)",
            secs,
            if secs > 0.0 {
                self.events as f64 / secs
            } else {
                0.0
            }
        );
    }
}

/// The kind of a reason, for counting: its text up to the first detail
/// (an offset, a quoted value, a colon).
fn reason_kind(reason: &str) -> String {
    let mut text = reason;
    while let Some(rest) = text.strip_prefix("Offset ") {
        text = rest.split_once(": ").map_or(rest, |(_, after)| after);
    }
    let kind = text
        .split([':', '(', '`', ';'])
        .next()
        .unwrap_or(text)
        .trim();
    kind.chars().take(80).collect()
}
