//! Vigil's evidence readers: the first stage of the pipeline, turning collected
//! log files into [`Event`]s.
//!
//! [`discover`] finds the readable files among the paths a user names;
//! [`read_file`] reads one, handing each record to the caller as an event.
//! Read, plain or gzip-compressed:
//!
//! * Windows EVTX logs;
//! * JSON-lines files (evtx_dump output; Windows events as Winlogbeat 6, 7/8
//!   and Elastic Agent, NXLog and Wazuh ship them; Zeek; any JSON logger);
//!   fields are named as Sigma rules name them, a Windows event's as its
//!   EVTX record has them (see the `flatten` module's docs);
//! * plain-text syslog (`auth.log`, `syslog`, `messages`, `secure`; RFC 3164
//!   and RFC 5424), as events of product `linux` whose `Channel` is the
//!   logging program, with sshd's, PAM's and sudo's logons taken apart into
//!   fields. [`parse_syslog_line`] reads one line, for a live syslog input as well
//!   (see the `syslog` module's docs for the fields); Sysmon for Linux's
//!   XML events in syslog lines are read as Sysmon's Windows events are;
//! * auditd's log (`audit.log`), the records of one audit event joined into
//!   one event of product `linux` and Channel `auditd` (see the `auditd`
//!   module's docs for how fields repeated across records are kept);
//! * journald's JSON export (`journalctl -o json`), as part of JSON lines,
//!   its entries read into the fields their syslog lines give;
//! * Windows event XML (`wevtutil qe /f:xml`, Splunk's `XmlWinEventLog`, the
//!   `_raw` of a Splunk JSON export), each record the event its EVTX record
//!   gives (see the `winxml` module's docs).
//!   (see the `syslog` module's docs for the fields);
//! * Zeek's logs, tab-separated or JSON (one log per file, or all logs in
//!   one JSON-streaming file), as events of product `zeek` whose `Channel` is
//!   the log (see the `zeek` module's docs).
//!
//! Damaged evidence is the normal case in forensic work, so a reader never
//! stops at a bad record, chunk or line: it reports a [`SourceIssue`] naming the
//! part and reads on. Only a file that cannot be read at all is an error.
//!
//! ```
//! use vigil_sources::{discover, read_file, Format};
//!
//! let folder = tempfile::tempdir()?;
//! std::fs::write(
//!     folder.path().join("conn.jsonl"),
//!     "{\"ts\":1521911720.5,\"id\":{\"orig_h\":\"10.0.0.1\"}}\nnot json\n",
//! )?;
//!
//! let (files, issues) = discover(&[folder.path().to_path_buf()]);
//! assert!(issues.is_empty());
//! assert_eq!(files[0].format, Format::JsonLines);
//!
//! let mut events = Vec::new();
//! let mut problems = Vec::new();
//! let report = read_file(&files[0], &mut |e| events.push(e), &mut |i| problems.push(i))?;
//! assert_eq!((report.events, report.skipped), (1, 1));
//! assert_eq!(events[0].get("id.orig_h").and_then(|v| v.as_str()), Some("10.0.0.1"));
//! assert!(problems[0].to_string().ends_with("line 2: invalid JSON at column 2: expected ident"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod auditd;
mod discover;
mod error;
mod evtx;
mod flatten;
mod inflate;
mod jsonl;
mod lines;
mod mapping;
mod report;
mod syslog;
mod timestamp;
mod winxml;
mod zeek;

use vigil_event::Event;

pub use discover::{discover, Format, InputFile};
pub use error::SourceError;
pub use evtx::render_only;
pub use flatten::canonical_integer;
pub use jsonl::{
    parse_line as parse_json_line, parse_line_into as parse_json_line_into,
    parse_line_mapped as parse_json_line_mapped,
};
pub use lines::skip_line;
pub use mapping::Mappings;
pub use report::{too_many_fields, FileReport, IssueKind, KindCount, SourceIssue, MAX_FIELDS};
pub use syslog::{parse_line as parse_syslog_line, SyslogContext, SyslogError};
pub use winxml::parse_record as parse_event_xml;
pub use zeek::zeek_dotted_name;

/// Reads one file, calling `on_event` for every record read and `on_issue` for
/// every part skipped or suspect.
///
/// Returns an error only when the file cannot be read at all (it cannot be
/// opened, is not EVTX, is not gzip); the error names the file and what to do.
/// Events delivered before a problem stay delivered.
pub fn read_file(
    file: &InputFile,
    on_event: &mut dyn FnMut(Event),
    on_issue: &mut dyn FnMut(SourceIssue),
) -> Result<FileReport, SourceError> {
    read_file_mapped(file, Mappings::none(), on_event, on_issue)
}

/// [`read_file`], trying the shapes the user described in `mappings` on
/// every JSON record before Vigil's own (see the `mapping` module).
pub fn read_file_mapped(
    file: &InputFile,
    mappings: &Mappings,
    on_event: &mut dyn FnMut(Event),
    on_issue: &mut dyn FnMut(SourceIssue),
) -> Result<FileReport, SourceError> {
    let mut out = report::Emitter::new(&file.path, on_event, on_issue).with_mappings(mappings);
    match file.format {
        Format::Evtx => evtx::read(file, &mut out)?,
        Format::JsonLines => jsonl::read(file, &mut out)?,
        Format::Syslog => syslog::read(file, &mut out)?,
        Format::Auditd => auditd::read(file, &mut out)?,
        Format::WindowsXml => winxml::read(file, &mut out)?,
        Format::ZeekTsv => zeek::tsv::read(file, &mut out)?,
    }
    Ok(out.report)
}
