//! What reading a file produced besides events: the parts skipped or suspect, and the tally.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use vigil_event::{Event, Position};

use crate::Mappings;

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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReport {
    /// Events delivered.
    pub events: u64,
    /// Issues of kind [`IssueKind::Skipped`]: parts (a line, a record, a chunk,
    /// the rest of a file) whose events are missing.
    pub skipped: u64,
    /// Issues of kind [`IssueKind::Suspect`]: parts read despite a failed check.
    pub suspect: u64,
    /// The events delivered by kind, in the order each kind was first met.
    pub kinds: Vec<KindCount>,
    /// The first event whose product is unknown (a shape no reader
    /// recognised): where it is and the names of its first fields, so a
    /// user can see what was not understood and describe it in a mapping.
    pub unknown_example: Option<String>,
}

/// How many events of one kind — shape, product and channel — a file gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindCount {
    /// The shape the records came in ([`Event::shape`]).
    pub shape: Option<&'static str>,
    pub product: Option<&'static str>,
    /// The log within the product (the event's `Channel`).
    pub channel: Option<String>,
    pub events: u64,
}

/// How many field names an unknown event's example shows.
const EXAMPLE_FIELDS: usize = 12;

impl FileReport {
    /// Counts an event under its kind. Consecutive events are mostly of one
    /// kind, so the last kind counted is tried first.
    fn tally(&mut self, event: &Event) {
        let channel = event.channel();
        let same = |kind: &KindCount| {
            kind.shape == event.shape
                && kind.product == event.product
                && kind.channel.as_deref() == channel
        };
        if let Some(last) = self.kinds.last_mut().filter(|kind| same(kind)) {
            last.events += 1;
        } else if let Some(kind) = self.kinds.iter_mut().find(|kind| same(kind)) {
            kind.events += 1;
        } else {
            self.kinds.push(KindCount {
                shape: event.shape,
                product: event.product,
                channel: channel.map(str::to_string),
                events: 1,
            });
        }
        if event.product.is_none() && self.unknown_example.is_none() {
            let names: Vec<&str> = event
                .fields()
                .map(|(name, _)| name)
                .take(EXAMPLE_FIELDS)
                .collect();
            let more = if event.len() > EXAMPLE_FIELDS {
                ", …"
            } else {
                ""
            };
            self.unknown_example = Some(format!(
                "{} {}: fields {}{more}",
                event.source,
                event.position,
                names.join(", ")
            ));
        }
    }
}

/// The most fields a record may have. Log records have tens, a few hundred at
/// most; one built with a million would cost every rule a million lookups.
pub const MAX_FIELDS: usize = 65_536;

/// Why `event` is not taken, when it has more than [`MAX_FIELDS`] fields:
/// every reader, and the watcher's line intake, refuse it with this.
pub fn too_many_fields(event: &Event) -> Option<String> {
    (event.len() > MAX_FIELDS).then(|| {
        format!(
            "record has {} fields, more than the {MAX_FIELDS} Vigil reads in one record; skipped",
            event.len()
        )
    })
}

/// Hands events and issues to the caller as a reader finds them, and counts them.
pub(crate) struct Emitter<'a> {
    path: &'a Path,
    /// Shared by every event of the file, so naming the source costs no copy.
    pub(crate) source: Arc<str>,
    on_event: &'a mut dyn FnMut(Event),
    on_issue: &'a mut dyn FnMut(SourceIssue),
    pub(crate) report: FileReport,
    /// The shapes the user described, tried on JSON records first.
    pub(crate) mappings: &'a Mappings,
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
            mappings: Mappings::none(),
        }
    }

    /// Tries the shapes of `mappings` on JSON records before Vigil's own.
    pub(crate) fn with_mappings(mut self, mappings: &'a Mappings) -> Self {
        self.mappings = mappings;
        self
    }

    pub(crate) fn path(&self) -> &Path {
        self.path
    }

    pub(crate) fn event(&mut self, event: Event) {
        if let Some(reason) = too_many_fields(&event) {
            let location = match event.position {
                Position::Record(id) => format!("record {id}"),
                Position::Line(line) => format!("line {line}"),
                Position::Unknown => String::new(),
            };
            self.skipped(location, reason);
            return;
        }
        self.report.events += 1;
        self.report.tally(&event);
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

    /// Events are counted by shape, product and channel, and the first one
    /// of no product is shown by its place and field names.
    #[test]
    fn events_are_counted_by_kind() {
        let mut report = FileReport::default();
        let event = |shape, product, channel: Option<&str>, line| {
            let mut event = Event::new("x.jsonl");
            event.shape = Some(shape);
            event.product = product;
            event.position = vigil_event::Position::Line(line);
            if let Some(channel) = channel {
                event.insert("Channel", channel.into());
            }
            event.insert("cookie", "1".into());
            event
        };
        for (line, (shape, product, channel)) in (1..).zip([
            ("Zeek JSON", Some("zeek"), Some("dns")),
            ("Zeek JSON", Some("zeek"), Some("dns")),
            ("JSON of an unknown shape", None, None),
            ("Zeek JSON", Some("zeek"), Some("conn")),
            ("Zeek JSON", Some("zeek"), Some("dns")),
            ("JSON of an unknown shape", None, None),
        ]) {
            report.tally(&event(shape, product, channel, line));
        }
        let counts: Vec<_> = (report.kinds.iter())
            .map(|k| (k.product, k.channel.as_deref(), k.events))
            .collect();
        assert_eq!(
            counts,
            [
                (Some("zeek"), Some("dns"), 3),
                (None, None, 2),
                (Some("zeek"), Some("conn"), 1)
            ]
        );
        assert_eq!(
            report.unknown_example.as_deref(),
            Some("x.jsonl line 3: fields cookie")
        );
    }

    #[test]
    fn display_names_file_location_and_reason() {
        let issue = SourceIssue::new("a.evtx", "chunk 3", "bad magic", IssueKind::Skipped);
        assert_eq!(issue.to_string(), "a.evtx: chunk 3: bad magic");
        let whole = SourceIssue::new("a.evtx", "", "truncated", IssueKind::Skipped);
        assert_eq!(whole.to_string(), "a.evtx: truncated");
    }
}
