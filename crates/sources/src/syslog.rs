//! Plain-text syslog: `/var/log/auth.log`, `syslog`, `messages`, `secure`, and
//! lines as a syslog daemon receives them.
//!
//! [`parse_syslog_line`](crate::parse_syslog_line) takes one line apart without any I/O, so that a file reader
//! and a network listener share it. It reads, after an optional `<PRI>`:
//!
//! * BSD syslog (RFC 3164) as rsyslog and syslog-ng write files:
//!   `Mmm dd hh:mm:ss host program[pid]: message`, also `program:` without a
//!   pid and lines with no program tag at all (all of it is the message);
//! * the same with an RFC 3339 timestamp first, as rsyslog's high-precision
//!   template writes it: `2024-03-01T10:00:00.123456+01:00 host prog[pid]: msg`;
//! * RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`, `-` for a
//!   missing value.
//!
//! Times are read as UTC when the line gives no zone, which every RFC 3164
//! line is: a responder with logs of hosts on local time must shift them. RFC
//! 3164 lines have no year either; [`SyslogContext`] infers it from when the
//! lines were written by (a file's modification time), and follows the year
//! across a December → January roll-over within a file.
//!
//! Every line becomes an event of product `linux` with these fields, named as
//! Windows events name the same things so that a rule or a correlation can
//! group both:
//!
//! | field | what |
//! |---|---|
//! | `Computer` | the host name |
//! | `Channel` | the program that logged the line (`sshd`, `CRON`, `kernel`; `-` when the line names none). Sigma's `service` is resolved to programs through the logsource table (`vigil-sigma`'s `data/linux.yml`), as Windows services are resolved to channels |
//! | `ProcessId` | the pid in `program[pid]` or RFC 5424's PROCID |
//! | `Facility`, `Severity` | from `<PRI>`, by their `syslog.h` names (`authpriv`, `info`) |
//! | `MsgId` | RFC 5424's MSGID |
//! | `SDID.name` | each RFC 5424 structured-data parameter, e.g. `origin.ip` |
//! | `Message` | the free text after the tag: what Sigma keyword rules search |
//!
//! Authentication messages add the fields of the `auth` module's docs
//! (`TargetUserName`, `IpAddress`, `IpPort`, `Outcome`, …); audit records
//! forwarded by audispd add theirs (`type`, `a0`, `name`, …; see the `auditd`
//! module).
//!
//! A line whose message is an event's XML (`sysmon: <Event><System>…`, as
//! Sysmon for Linux logs) is that event instead, read as a file of Windows
//! event XML reads it: Sysmon for Linux's fields by their names (`Image`,
//! `CommandLine`, `ParentImage`, `User`, …), `Channel`
//! `Linux-Sysmon/Operational`, product `linux`, so that SigmaHQ's Linux
//! `process_creation`, `network_connection` and `file_event` rules meet the
//! fields they test. Its XML not well-formed, the line is skipped and named.
//!
//! Everything else read as syslog is taken to be Linux: network devices' syslog
//! would be matched by `product: linux` rules too, and by nothing else.

mod auth;
mod header;
mod rfc5424;
mod year;

use std::fs;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use vigil_event::{Event, FieldValue, Position};

use crate::report::Emitter;
use crate::{lines, InputFile, SourceError};

pub use year::SyslogContext;

/// Why a line is not syslog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyslogError {
    #[error("blank line")]
    Blank,
    #[error("priority <{0}> is not a number from 0 to 191")]
    Priority(String),
    #[error("no timestamp at the start of the line: expected `Mmm dd hh:mm:ss`, an RFC 3339 time or an RFC 5424 header")]
    NoTimestamp,
    #[error("timestamp {0:?} is not a valid date and time")]
    BadTimestamp(String),
    #[error("nothing follows the timestamp: expected a host name")]
    NoHost,
    #[error("RFC 5424 header ends before its {0}")]
    Truncated(&'static str),
    #[error("RFC 5424 structured data is malformed: {0}")]
    StructuredData(&'static str),
    #[error("the line's event XML (Sysmon for Linux) is not well-formed: {0}; skipped")]
    EventXml(String),
}

/// Parses one line (without its line ending) into an event of product
/// `linux` from `context`'s source, or says why it is not syslog.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use vigil_sources::{parse_syslog_line, SyslogContext};
///
/// let written_by = Utc.with_ymd_and_hms(2024, 3, 2, 0, 0, 0).unwrap();
/// let mut context = SyslogContext::new("auth.log", written_by);
/// let event = parse_syslog_line(
///     "Mar  1 10:00:00 web1 sshd[42]: Failed password for root from 203.0.113.9 port 50022 ssh2",
///     &mut context,
/// )?;
/// assert_eq!(event.computer(), Some("web1"));
/// assert_eq!(event.channel(), Some("sshd"));
/// assert_eq!(event.get("TargetUserName").and_then(|v| v.as_str()), Some("root"));
/// assert_eq!(event.get("IpAddress").and_then(|v| v.as_str()), Some("203.0.113.9"));
/// assert_eq!(event.get("Outcome").and_then(|v| v.as_str()), Some("failure"));
/// assert_eq!(event.timestamp.unwrap().to_rfc3339(), "2024-03-01T10:00:00+00:00");
/// # Ok::<(), vigil_sources::SyslogError>(())
/// ```
pub fn parse_line(line: &str, context: &mut SyslogContext) -> Result<Event, SyslogError> {
    if line.trim().is_empty() {
        return Err(SyslogError::Blank);
    }
    let (priority, rest) = header::priority(line)?;
    // RFC 5424 always has a priority; a version right after it tells the layout.
    let record = match priority.and_then(|_| rfc5424::strip_version(rest)) {
        Some(after_version) => rfc5424::parse(after_version)?,
        None => header::parse_bsd(rest, context)?,
    };
    if let Some(xml) = event_xml(record.message) {
        return xml_event(xml, &record, context.source());
    }
    Ok(record.into_event(priority, context.source()))
}

/// The message, when it is an event's XML: `<Event>…`, as Sysmon for Linux
/// logs its events.
fn event_xml(message: &str) -> Option<&str> {
    let xml = message.trim();
    let rest = xml.strip_prefix("<Event")?;
    rest.starts_with([' ', '>', '\t']).then_some(xml)
}

/// The event a syslog line's event XML is, exactly as the same record read
/// from a file of XML: Sysmon for Linux's of product `linux` and Channel
/// `Linux-Sysmon/Operational`. The line's host and time stand in for the
/// record's own only when it has none.
fn xml_event(xml: &str, record: &Record, source: Arc<str>) -> Result<Event, SyslogError> {
    let mut event = Event::new(source);
    crate::winxml::flatten_record(xml, &mut event)
        .map_err(|error| SyslogError::EventXml(error.to_string()))?;
    event.shape = Some(if event.product == Some("linux") {
        crate::winxml::SYSMON_FOR_LINUX_SHAPE
    } else {
        crate::winxml::SHAPE
    });
    if event.computer().is_none() {
        if let Some(host) = record.host {
            event.insert("Computer", FieldValue::from(host));
        }
    }
    event.timestamp = event.timestamp.or(record.timestamp);
    Ok(event)
}

/// A line taken apart, before it becomes an event.
#[derive(Debug, Default)]
struct Record<'a> {
    timestamp: Option<DateTime<Utc>>,
    host: Option<&'a str>,
    program: Option<&'a str>,
    /// A PAM module named in the tag, as in `sshd(pam_unix)[42]:`.
    module: Option<&'a str>,
    pid: Option<&'a str>,
    msg_id: Option<&'a str>,
    structured: Vec<(String, String)>,
    message: &'a str,
}

impl Record<'_> {
    fn into_event(self, priority: Option<u8>, source: Arc<str>) -> Event {
        let mut event = Event::new(source);
        event.product = Some("linux");
        event.shape = Some("syslog");
        event.timestamp = self.timestamp;
        if let Some(host) = self.host {
            event.insert("Computer", FieldValue::from(host));
        }
        event.insert("Channel", FieldValue::from(self.program.unwrap_or("-")));
        if let Some(pid) = self.pid {
            let value = match pid.parse::<i64>() {
                Ok(number) => FieldValue::Int(number),
                Err(_) => FieldValue::from(pid),
            };
            event.insert("ProcessId", value);
        }
        if let Some(priority) = priority {
            event.insert("Facility", FieldValue::from(header::facility(priority)));
            event.insert("Severity", FieldValue::from(header::severity(priority)));
        }
        if let Some(msg_id) = self.msg_id {
            event.insert("MsgId", FieldValue::from(msg_id));
        }
        for (name, value) in self.structured {
            event.insert(name, FieldValue::from(value));
        }
        event.insert("Message", FieldValue::from(self.message));
        auth::add_fields(self.program, self.module, self.message, &mut event);
        crate::auditd::add_record_fields(self.message, &mut event);
        event
    }
}

/// The name of syslog facility `code` (`authpriv` for 10), for a source
/// that gives it as a number apart from the line (journald).
pub(crate) fn facility_name(code: u8) -> Option<&'static str> {
    (code < 24).then(|| header::facility(code << 3))
}

/// The name of syslog severity `code` (`info` for 6).
pub(crate) fn severity_name(code: u8) -> Option<&'static str> {
    (code < 8).then(|| header::severity(code))
}

/// Adds the fields taken from the message of `program` (sshd's, PAM's and
/// sudo's logons; see the `auth` module), as for a syslog line: another
/// source of the same messages (journald) gives rules the same fields.
pub(crate) fn add_message_fields(program: Option<&str>, message: &str, event: &mut Event) {
    auth::add_fields(program, None, message, event);
}

/// Whether a line (the first of a file, say) is syslog.
pub(crate) fn looks_like_syslog(line: &str) -> bool {
    let mut context = SyslogContext::new("", Utc::now());
    // A line whose event XML is damaged is still a syslog line.
    matches!(
        parse_line(line, &mut context),
        Ok(_) | Err(SyslogError::EventXml(_))
    )
}

pub(crate) fn read(file: &InputFile, out: &mut Emitter) -> Result<(), SourceError> {
    // A file is written up to its modification time: RFC 3164's missing year
    // is the one that puts the lines at or before it.
    let written_by = fs::metadata(&file.path)
        .and_then(|meta| meta.modified())
        .map(DateTime::<Utc>::from)
        .unwrap_or_else(|_| Utc::now());
    let mut context = SyslogContext::new(out.source.clone(), written_by);
    lines::read(file, "syslog", out, &mut |bytes, number, out| {
        read_line(bytes, number, &mut context, out)
    })
}

fn read_line(bytes: &[u8], number: u64, context: &mut SyslogContext, out: &mut Emitter) {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let location = || format!("line {number}");
    let text = String::from_utf8_lossy(bytes);
    if let Err(error) = std::str::from_utf8(bytes) {
        out.suspect(
            location(),
            format!(
                "not valid UTF-8 at byte {}; read with invalid bytes replaced by U+FFFD",
                error.valid_up_to() + 1
            ),
        );
    }
    match parse_line(&text, context) {
        Ok(mut event) => {
            event.position = Position::Line(number);
            out.event(event);
        }
        Err(error @ SyslogError::EventXml(_)) => out.skipped(location(), error.to_string()),
        Err(error) => out.skipped(location(), format!("not syslog: {error}")),
    }
}

/// At most `max` characters of `text`, for quoting in an error.
fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{read_file, Format, SourceIssue};

    fn context() -> SyslogContext {
        SyslogContext::new("test", Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap())
    }

    fn field(event: &Event, name: &str) -> Option<String> {
        event.get(name).map(|value| value.to_string())
    }

    #[test]
    fn bsd_lines_give_host_program_pid_and_message() {
        let event = parse_line(
            "Mar  1 10:00:00 web1 CRON[1234]: (root) CMD (run-parts /etc/cron.hourly)",
            &mut context(),
        )
        .unwrap();
        assert_eq!(event.product, Some("linux"));
        assert_eq!(event.computer(), Some("web1"));
        assert_eq!(event.channel(), Some("CRON"));
        assert_eq!(event.get("ProcessId"), Some(&FieldValue::Int(1234)));
        assert_eq!(
            field(&event, "Message").as_deref(),
            Some("(root) CMD (run-parts /etc/cron.hourly)")
        );
        assert_eq!(
            event.timestamp.unwrap().to_rfc3339(),
            "2024-03-01T10:00:00+00:00"
        );
        assert_eq!(event.get("Facility"), None);
    }

    #[test]
    fn a_program_without_pid_and_a_line_without_tag() {
        let event =
            parse_line("Jun 19 04:08:57 combo cups: cupsd shutdown", &mut context()).unwrap();
        assert_eq!(event.channel(), Some("cups"));
        assert_eq!(event.get("ProcessId"), None);
        assert_eq!(field(&event, "Message").as_deref(), Some("cupsd shutdown"));

        let event = parse_line(
            "Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2",
            &mut context(),
        )
        .unwrap();
        assert_eq!(event.computer(), Some("combo"));
        assert_eq!(event.channel(), Some("-"));
        assert_eq!(
            field(&event, "Message").as_deref(),
            Some("-- root[2421]: ROOT LOGIN ON tty2")
        );
    }

    #[test]
    fn a_pam_module_in_the_tag_is_split_from_the_program() {
        let event = parse_line(
            "Jun 14 15:16:02 combo su(pam_unix)[19937]: session opened for user news by (uid=0)",
            &mut context(),
        )
        .unwrap();
        assert_eq!(event.channel(), Some("su"));
        assert_eq!(field(&event, "PamModule").as_deref(), Some("pam_unix"));
        assert_eq!(event.get("ProcessId"), Some(&FieldValue::Int(19937)));
    }

    #[test]
    fn a_line_without_host_starts_with_its_tag() {
        let event =
            parse_line("Mar  1 10:00:00 sshd[7]: Server listening", &mut context()).unwrap();
        assert_eq!(event.computer(), None);
        assert_eq!(event.channel(), Some("sshd"));
    }

    #[test]
    fn priority_gives_facility_and_severity() {
        let event = parse_line(
            "<38>Mar  1 10:00:00 web1 sshd[7]: Server listening",
            &mut context(),
        )
        .unwrap();
        assert_eq!(field(&event, "Facility").as_deref(), Some("auth"));
        assert_eq!(field(&event, "Severity").as_deref(), Some("info"));
        let event = parse_line("<86>Mar  1 10:00:00 h sudo: x", &mut context()).unwrap();
        assert_eq!(field(&event, "Facility").as_deref(), Some("authpriv"));
        let event = parse_line("<191>Mar  1 10:00:00 h p: x", &mut context()).unwrap();
        assert_eq!(field(&event, "Facility").as_deref(), Some("local7"));
        assert_eq!(field(&event, "Severity").as_deref(), Some("debug"));
        for bad in ["<192>Mar  1 10:00:00 h p: x", "<x>Mar", "<>", "<1234>"] {
            assert!(
                matches!(
                    parse_line(bad, &mut context()),
                    Err(SyslogError::Priority(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn rfc3339_timestamps_keep_their_zone_and_precision() {
        let event = parse_line(
            "2024-03-01T10:00:00.123456+01:00 web1 sshd[42]: Accepted publickey for alice from 10.0.0.5 port 50000 ssh2",
            &mut context(),
        )
        .unwrap();
        assert_eq!(
            event.timestamp.unwrap().to_rfc3339(),
            "2024-03-01T09:00:00.123456+00:00"
        );
        assert_eq!(event.computer(), Some("web1"));
        assert_eq!(field(&event, "Outcome").as_deref(), Some("success"));
        let zoneless = parse_line("2024-03-01T10:00:00 web1 p: x", &mut context()).unwrap();
        assert_eq!(
            zoneless.timestamp.unwrap().to_rfc3339(),
            "2024-03-01T10:00:00+00:00"
        );
    }

    #[test]
    fn what_is_not_syslog_says_why() {
        let cases: [(&str, SyslogError); 5] = [
            ("   ", SyslogError::Blank),
            ("hello world", SyslogError::NoTimestamp),
            ("{\"a\":1}", SyslogError::NoTimestamp),
            (
                "Feb 30 10:00:00 h p: x",
                SyslogError::BadTimestamp("Feb 30 10:00:00".into()),
            ),
            ("Mar  1 10:00:00", SyslogError::NoHost),
        ];
        for (line, expected) in cases {
            assert_eq!(
                parse_line(line, &mut context()).unwrap_err(),
                expected,
                "{line}"
            );
        }
        assert!(matches!(
            parse_line("2024-13-01T10:00:00Z h p: x", &mut context()),
            Err(SyslogError::BadTimestamp(_))
        ));
        assert!(matches!(
            parse_line("Mar  1 25:00:00 h p: x", &mut context()),
            Err(SyslogError::BadTimestamp(_))
        ));
    }

    #[test]
    fn no_input_panics() {
        let mut context = context();
        let samples = [
            "<",
            "<1",
            "<1>",
            "<1>1",
            "<1>1 ",
            "<1>1 - - - - -",
            "<1>1 - - - - - [",
            "<1>1 - - - - - [a",
            "<1>1 - - - - - [a b=\"",
            "<1>1 - - - - - [a b=\"\\",
            "Mar",
            "Mar ",
            "Mar 1",
            "Mar 1 ",
            "Mar 1 1",
            "Mar 99 10:00:00 h",
            "Mar 1 10:00:00 h p[",
            "Mar 1 10:00:00 h p[1",
            "Mar 1 10:00:00 h p(",
            "Mar 1 10:00:00 h p(pam_x)",
            "Mar 1 10:00:00 h :",
            "ünï 1 10:00:00",
            "Mar 1 10:00:00 h sshd: Failed password for",
            "Mar 1 10:00:00 h sshd: Failed password for  from ",
            "Mar 1 10:00:00 h sshd: Connection closed by",
            "Mar 1 10:00:00 h sshd: Invalid user ",
            "Mar 1 10:00:00 h sshd: message repeated 3 times: [",
            "Mar 1 10:00:00 h p: pam_x(",
            "Mar 1 10:00:00 h p: pam_unix(a:b): authentication failure; rhost=",
            "2024-",
            "2024-03-01T",
            "\u{feff}",
            "\u{0}\u{0}",
        ];
        for line in samples {
            let _ = parse_line(line, &mut context);
        }
        // Every prefix of a rich line, cut at any character.
        let rich = "<13>1 2024-03-01T10:00:00.5Z h app 9 ID [a@1 k=\"v\\\"\\]\"][b c=\"d\"] \u{feff}Disconnected from invalid user é 10.0.0.1 port 22 [preauth]";
        for (end, _) in rich.char_indices() {
            let _ = parse_line(&rich[..end], &mut context);
        }
        let long = format!(
            "Mar  1 10:00:00 h sshd[1]: {}",
            "Failed password for ".repeat(50_000)
        );
        assert!(parse_line(&long, &mut context).is_ok());
    }

    #[test]
    fn files_report_bad_lines_by_number_and_read_on() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("auth.log");
        let text = b"Mar  1 10:00:00 h sshd[1]: one\r\n\nnot syslog\nMar  1 10:00:01 h sshd[1]: caf\xe9\nMar  1 10:00:02 h sshd[1]: three";
        fs::write(&path, text).unwrap();
        let file = InputFile {
            path,
            format: Format::Syslog,
            gzip: false,
            size: text.len() as u64,
        };
        let (mut events, mut issues) = (Vec::new(), Vec::new());
        let report = read_file(&file, &mut |e| events.push(e), &mut |i: SourceIssue| {
            issues.push(format!("{}: {}", i.location, i.reason))
        })
        .unwrap();
        assert_eq!((report.events, report.skipped, report.suspect), (3, 1, 1));
        let lines: Vec<_> = events.iter().map(|e| e.position).collect();
        assert_eq!(lines, [1, 4, 5].map(Position::Line));
        assert_eq!(field(&events[0], "Message").as_deref(), Some("one"));
        assert_eq!(field(&events[1], "Message").as_deref(), Some("caf\u{fffd}"));
        assert_eq!(
            issues,
            [
                "line 3: not syslog: no timestamp at the start of the line: expected `Mmm dd hh:mm:ss`, an RFC 3339 time or an RFC 5424 header",
                "line 4: not valid UTF-8 at byte 31; read with invalid bytes replaced by U+FFFD",
            ]
        );
    }
}
