//! What reading a file produced besides events: the parts skipped or suspect, and the tally.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use vigil_event::Event;

/// A part of an input that was not read, or was read but may not be what was
/// written. Reading always goes on past it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceIssue {
    pub file: PathBuf,
    /// Where in the file: `chunk 3`, `record 1234`, `line 17`, … or empty when
    /// the issue is about the whole file.
    pub location: String,
    pub reason: String,
    pub kind: IssueKind,
}

/// Whether events were lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueKind {
    /// The part could not be read: whatever events it held are missing.
    Skipped,
    /// The part was read, but fails an integrity check (an EVTX checksum): its
    /// events may be damaged or altered.
    Suspect,
}

impl SourceIssue {
    pub fn new(
        file: impl Into<PathBuf>,
        location: impl Into<String>,
        reason: impl Into<String>,
        kind: IssueKind,
    ) -> Self {
        SourceIssue {
            file: file.into(),
            location: location.into(),
            reason: reason.into(),
            kind,
        }
    }
}

impl fmt::Display for SourceIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file.display())?;
        if !self.location.is_empty() {
            write!(f, "{}: ", self.location)?;
        }
        f.write_str(&self.reason)
    }
}

/// How reading one file went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileReport {
    /// Events delivered.
    pub events: u64,
    /// Issues of kind [`IssueKind::Skipped`]: parts (a line, a record, a chunk,
    /// the rest of a file) whose events are missing.
    pub skipped: u64,
    /// Issues of kind [`IssueKind::Suspect`]: parts read despite a failed check.
    pub suspect: u64,
}

/// Hands events and issues to the caller as a reader finds them, and counts them.
pub(crate) struct Emitter<'a> {
    path: &'a Path,
    /// Shared by every event of the file, so naming the source costs no copy.
    pub(crate) source: Arc<str>,
    on_event: &'a mut dyn FnMut(Event),
    on_issue: &'a mut dyn FnMut(SourceIssue),
    pub(crate) report: FileReport,
}

impl<'a> Emitter<'a> {
    pub(crate) fn new(
        path: &'a Path,
        on_event: &'a mut dyn FnMut(Event),
        on_issue: &'a mut dyn FnMut(SourceIssue),
    ) -> Self {
        Emitter {
            path,
            source: path.display().to_string().into(),
            on_event,
            on_issue,
            report: FileReport::default(),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.path
    }

    pub(crate) fn event(&mut self, event: Event) {
        self.report.events += 1;
        (self.on_event)(event);
    }

    pub(crate) fn skipped(&mut self, location: impl Into<String>, reason: impl Into<String>) {
        self.report.skipped += 1;
        self.issue(location.into(), reason.into(), IssueKind::Skipped);
    }

    pub(crate) fn suspect(&mut self, location: impl Into<String>, reason: impl Into<String>) {
        self.report.suspect += 1;
        self.issue(location.into(), reason.into(), IssueKind::Suspect);
    }

    fn issue(&mut self, location: String, reason: String, kind: IssueKind) {
        (self.on_issue)(SourceIssue {
            file: self.path.to_path_buf(),
            location,
            reason,
            kind,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_location_and_reason() {
        let issue = SourceIssue::new("a.evtx", "chunk 3", "bad magic", IssueKind::Skipped);
        assert_eq!(issue.to_string(), "a.evtx: chunk 3: bad magic");
        let whole = SourceIssue::new("a.evtx", "", "truncated", IssueKind::Skipped);
        assert_eq!(whole.to_string(), "a.evtx: truncated");
    }
}
