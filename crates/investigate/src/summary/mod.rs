//! The end-of-run summary on stderr: what was read, what was skipped and why.

mod coverage;

use std::collections::BTreeMap;
use std::time::Duration;

use vigil_correlate::Stats;
use vigil_sources::{IssueKind, SourceIssue};

use crate::ruleset::Loaded;
pub use coverage::Coverage;

/// How many skipped parts are listed one by one before only counting.
const LISTED_ISSUES: usize = 20;

pub struct HuntSummary {
    pub rule_files: usize,
    pub rules: usize,
    pub filters: usize,
    pub refused: Vec<String>,
    /// Correlation rules loaded, and those refused (with file and reason).
    pub correlations: usize,
    pub refused_correlations: Vec<String>,
    /// Base detections not reported because they only feed correlations.
    pub held_back: usize,
    pub correlation_detections: usize,
    pub correlation_stats: Option<Stats>,
    pub files: usize,
    pub unreadable_files: usize,
    pub bytes: u64,
    pub events: u64,
    pub detections: usize,
    /// Sorted runs the timeline went through on disk (0: sorted in memory).
    pub sort_runs: usize,
    /// Sorted runs the detections held for correlation went through on disk.
    pub held_runs: usize,
    pub issues: Vec<SourceIssue>,
    /// What was read by shape and kind, and the rules that met none of it.
    pub coverage: Coverage,
}

impl HuntSummary {
    pub fn new(loaded: &Loaded) -> Self {
        let report = &loaded.report;
        HuntSummary {
            rule_files: report.files,
            rules: report.rules,
            filters: report.filters,
            refused: report.failed.iter().map(ToString::to_string).collect(),
            correlations: loaded.correlations.len(),
            refused_correlations: loaded
                .correlation_errors
                .iter()
                .map(ToString::to_string)
                .collect(),
            held_back: 0,
            correlation_detections: 0,
            correlation_stats: None,
            files: 0,
            unreadable_files: 0,
            bytes: 0,
            events: 0,
            detections: 0,
            sort_runs: 0,
            held_runs: 0,
            issues: Vec::new(),
            coverage: Coverage::default(),
        }
    }

    pub fn print(&self, elapsed: Duration) {
        eprintln!("── vigil hunt summary ──");
        eprintln!(
            "rules:      {} loaded from {} files, {} refused, {} filters, {} correlation rules ({} refused)",
            self.rules,
            self.rule_files,
            self.refused.len(),
            self.filters,
            self.correlations,
            self.refused_correlations.len()
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
        for refused in self.refused_correlations.iter().take(LISTED_ISSUES) {
            eprintln!("  refused: {refused}");
        }
        eprintln!(
            "inputs:     {} files ({:.1} MB), {} unreadable",
            self.files,
            self.bytes as f64 / 1e6,
            self.unreadable_files
        );
        eprintln!("events:     {}", self.events);
        self.coverage.print();
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
        if self.sort_runs > 0 {
            eprintln!(
                "detections: {} (sorted through {} run{} on disk)",
                self.detections,
                self.sort_runs,
                if self.sort_runs == 1 { "" } else { "s" }
            );
        } else {
            eprintln!("detections: {}", self.detections);
        }
        if let Some(stats) = &self.correlation_stats {
            self.print_correlation(stats);
        }
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

impl HuntSummary {
    fn print_correlation(&self, stats: &Stats) {
        eprintln!(
            "correlation: {} detections from {} rules; {} base detections held back (they only feed correlations)",
            self.correlation_detections, self.correlations, self.held_back
        );
        if self.held_runs > 0 {
            eprintln!(
                "  the detections feeding correlations were sorted through {} run{} on disk",
                self.held_runs,
                if self.held_runs == 1 { "" } else { "s" }
            );
        }
        if stats.untimed > 0 || stats.missing_fields > 0 {
            eprintln!(
                "  not counted: {} detections without a time, {} lacking a group-by or aggregated field",
                stats.untimed, stats.missing_fields
            );
        }
        for rule in &stats.rules {
            if rule.evicted_groups > 0 || rule.dropped_events > 0 {
                eprintln!(
                    "  limit reached: '{}' dropped {} groups and {} events (raise --correlation-groups to keep more)",
                    rule.title, rule.evicted_groups, rule.dropped_events
                );
            }
        }
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
