//! Finding the readable evidence among the files and folders a user names.
//!
//! Inside folders, files are picked by name (case does not matter):
//!
//! * `.evtx` is EVTX; `.json`, `.jsonl` and `.ndjson` are JSON lines;
//! * `auth.log`, `secure`, `syslog`, `messages` and `kern.log` are syslog
//!   (JSON lines if their first non-blank character is `{`, as rsyslog can
//!   write them): read even when their first line is damaged, since every bad
//!   line is reported;
//! * `audit.log` is auditd's log;
//! * `.xml` is Windows event XML when its start holds an `<Event>` or
//!   `<Events>` element (in UTF-8 or UTF-16), and ignored otherwise: a
//!   collection holds many XML files that are not logs;
//! * any other `.log` is JSON lines when its first non-blank character is `{`
//!   (Zeek and most JSON loggers), Zeek TSV when its first line starts with
//!   `#separator`, Windows event XML when it starts with XML, auditd's when
//!   its first non-blank line is an audit record (`type=… msg=audit(`),
//!   syslog when that line is syslog (see the `syslog`
//!   module), and reported, not silently dropped, when it is none of these.
//!
//! Each name may carry a rotation suffix (`.1`, `-20240301`) and then `.gz`:
//! `auth.log.2.gz`, `messages-20240301`, `audit.log.1`. Other files in folders are ignored,
//! since a collection holds much that is not a log. A file named directly is
//! read whatever its name when its content says what it is (the EVTX magic, a
//! first `{`, a first `#separator`, a first `<Event`, `<Events` or `<?xml`, a
//! first line that is an audit record or syslog), and reported when it does not.
//!
//! A `._name` file in a folder is the macOS resource fork (AppleDouble
//! metadata) that copying from a Mac leaves beside `name`, whatever its
//! extension says: it is reported once, not read line by line as garbage.
//!
//! Symbolic links are followed; a link back to a folder already being walked
//! is not walked again, and a file reached by two paths is read once.

use std::collections::HashSet;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use walkdir::WalkDir;

use crate::{IssueKind, SourceIssue};

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A Windows event log.
    Evtx,
    /// One JSON object per line.
    JsonLines,
    /// Plain-text syslog, RFC 3164 or RFC 5424, one record per line.
    Syslog,
    /// The Linux audit daemon's log, one record per line, joined into events.
    Auditd,
    /// Windows events as XML `<Event>` elements (`wevtutil`, Splunk's
    /// `XmlWinEventLog`), however many to a line.
    WindowsXml,
    /// Zeek's tab-separated log, its first line `#separator`.
    ZeekTsv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Evtx => "EVTX",
            Format::JsonLines => "JSON lines",
            Format::Syslog => "syslog",
            Format::Auditd => "auditd",
            Format::WindowsXml => "Windows event XML",
            Format::ZeekTsv => "Zeek TSV",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file to read, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    pub format: Format,
    /// Whether the file is gzip-compressed.
    pub gzip: bool,
    /// Size on disk in bytes (compressed size for gzip files).
    pub size: u64,
}

/// How much of a file is looked at to tell its format from its content.
const SNIFF_BYTES: u64 = 64 << 10;

const EVTX_MAGIC: &[u8] = b"ElfFile\0";

const GZIP_MAGIC: &[u8] = b"\x1f\x8b";

/// The names syslog daemons give their files, without rotation suffix.
const SYSLOG_NAMES: [&str; 5] = ["auth.log", "secure", "syslog", "messages", "kern.log"];

/// The name auditd gives its log, without rotation suffix.
const AUDITD_NAME: &str = "audit.log";

/// What the name says about a file.
enum Kind {
    Known(Format),
    /// A syslog file's name: syslog unless the content says otherwise.
    SyslogName,
    /// `.log`: JSON lines, auditd or syslog if the content says so.
    TextLog,
    /// `.xml`: Windows event XML if the content says so, else not a log.
    Xml,
    Unknown,
}

/// Walks `paths` (files and folders, recursively) and returns the files that
/// can be read, sorted by path, and an issue for every path that could not be
/// looked at or is not in a readable format.
pub fn discover(paths: &[PathBuf]) -> (Vec<InputFile>, Vec<SourceIssue>) {
    let mut found = Vec::new();
    let mut issues = Vec::new();
    for path in paths {
        match fs::metadata(path) {
            Err(error) => issues.push(skipped(path, format!("cannot read: {error}"))),
            Ok(meta) if meta.is_dir() => walk(path, &mut found, &mut issues),
            Ok(meta) => named_file(path, meta.len(), &mut found, &mut issues),
        }
    }
    found.sort_by(|a: &InputFile, b| a.path.cmp(&b.path));
    let mut seen = HashSet::new();
    found.retain(|file| seen.insert(fs::canonicalize(&file.path).unwrap_or(file.path.clone())));
    issues.sort_by(|a, b| a.file.cmp(&b.file));
    (found, issues)
}

fn walk(folder: &Path, found: &mut Vec<InputFile>, issues: &mut Vec<SourceIssue>) {
    for entry in WalkDir::new(folder).follow_links(true) {
        let entry = match entry {
            Ok(entry) => entry,
            // Everything past the loop was walked already: nothing is missed.
            Err(error) if error.loop_ancestor().is_some() => continue,
            Err(error) => {
                let path = error.path().unwrap_or(folder).to_path_buf();
                let reason = match error.io_error() {
                    Some(io) => format!("cannot read: {io}"),
                    None => format!("cannot read: {error}"),
                };
                issues.push(skipped(&path, reason));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        if is_resource_fork(path) {
            issues.push(skipped(path, RESOURCE_FORK));
            continue;
        }
        let size = entry.metadata().map(|meta| meta.len()).unwrap_or(0);
        let (kind, gzip) = kind_by_name(path);
        let format = match kind {
            Kind::Known(format) => format,
            Kind::Unknown => continue,
            Kind::Xml => match sniff(path, gzip) {
                Ok(Some(Format::WindowsXml)) => Format::WindowsXml,
                Ok(_) => continue,
                Err(error) => {
                    issues.push(skipped(path, format!("cannot read: {error}")));
                    continue;
                }
            },
            Kind::SyslogName => match sniff(path, gzip) {
                Ok(format) => format.unwrap_or(Format::Syslog),
                Err(error) => {
                    issues.push(skipped(path, format!("cannot read: {error}")));
                    continue;
                }
            },
            Kind::TextLog => match sniff(path, gzip) {
                Ok(Some(format)) => format,
                Ok(None) => {
                    issues.push(skipped(
                        path,
                        "plain-text log, not read: its first line is neither JSON, Zeek TSV, XML, an audit record nor syslog",
                    ));
                    continue;
                }
                Err(error) => {
                    issues.push(skipped(path, format!("cannot read: {error}")));
                    continue;
                }
            },
        };
        found.push(InputFile {
            path: path.to_path_buf(),
            format,
            gzip,
            size,
        });
    }
}

/// A file the user named: its extension if known, else its content, decides.
fn named_file(path: &Path, size: u64, found: &mut Vec<InputFile>, issues: &mut Vec<SourceIssue>) {
    let (kind, mut gzip) = kind_by_name(path);
    let format = match kind {
        Kind::Known(format) => Ok(Some(format)),
        Kind::SyslogName => sniff(path, gzip).map(|format| format.or(Some(Format::Syslog))),
        Kind::TextLog | Kind::Xml | Kind::Unknown => {
            if !gzip && starts_with(path, GZIP_MAGIC).unwrap_or(false) {
                gzip = true;
            }
            sniff(path, gzip)
        }
    };
    match format {
        Ok(Some(format)) => found.push(InputFile {
            path: path.to_path_buf(),
            format,
            gzip,
            size,
        }),
        Ok(None) => issues.push(skipped(
            path,
            "not a readable format: expected an EVTX log, JSON lines, a Zeek TSV log, Windows event XML, an audit log or syslog (.evtx, .json, .jsonl, .ndjson, .xml, .log, audit.log, auth.log, messages, …, optionally .gz)",
        )),
        Err(error) => issues.push(skipped(path, format!("cannot read: {error}"))),
    }
}

/// The kind of file its name says, and whether it ends in `.gz`.
fn kind_by_name(path: &Path) -> (Kind, bool) {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let (name, gzip) = match name.strip_suffix(".gz") {
        Some(inner) => (inner, true),
        None => (name.as_str(), false),
    };
    let name = without_rotation(name);
    if SYSLOG_NAMES.contains(&name) {
        return (Kind::SyslogName, gzip);
    }
    if name == AUDITD_NAME {
        return (Kind::Known(Format::Auditd), gzip);
    }
    let kind = match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("evtx") => Kind::Known(Format::Evtx),
        Some("json" | "jsonl" | "ndjson") => Kind::Known(Format::JsonLines),
        Some("log") => Kind::TextLog,
        Some("xml") => Kind::Xml,
        _ => Kind::Unknown,
    };
    (kind, gzip)
}

/// The name before logrotate's suffix: `.1` (numbered) or `-20240301` (dated).
fn without_rotation(name: &str) -> &str {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some((base, number)) = name.rsplit_once('.') {
        if all_digits(number) && !base.is_empty() {
            return base;
        }
    }
    if let Some((base, date)) = name.rsplit_once('-') {
        if date.len() == 8 && all_digits(date) && !base.is_empty() {
            return base;
        }
    }
    name
}

/// The format the start of the file's content shows, if any.
fn sniff(path: &Path, gzip: bool) -> io::Result<Option<Format>> {
    let file = File::open(path)?;
    let mut head = Vec::new();
    if gzip {
        MultiGzDecoder::new(file)
            .take(SNIFF_BYTES)
            .read_to_end(&mut head)?;
    } else {
        file.take(SNIFF_BYTES).read_to_end(&mut head)?;
    }
    if head.starts_with(EVTX_MAGIC) {
        return Ok(Some(Format::Evtx));
    }
    if is_event_xml(&head) {
        return Ok(Some(Format::WindowsXml));
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        return Ok(Some(Format::JsonLines));
    }
    if text.starts_with(b"#separator") {
        return Ok(Some(Format::ZeekTsv));
    }
    // `ausearch` separates events by `----` lines, one of them first.
    let first_line = text
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .find(|line| !line.iter().all(u8::is_ascii_whitespace) && *line != b"----");
    let Some(first_line) = first_line else {
        return Ok(None);
    };
    if is_audit_record(first_line) {
        return Ok(Some(Format::Auditd));
    }
    let syslog = crate::syslog::looks_like_syslog(&String::from_utf8_lossy(first_line));
    Ok(syslog.then_some(Format::Syslog))
}

/// Whether a line starts as an audit record: `type=` (or `node=` when
/// auditd names its host) and, further on, `msg=audit(`.
fn is_audit_record(line: &[u8]) -> bool {
    let starts = line.starts_with(b"type=") || line.starts_with(b"node=");
    starts && line.windows(10).any(|window| window == b"msg=audit(")
}

/// Whether a file's first bytes are XML holding Windows events: after a
/// byte order mark and white space, `<?xml`, `<Events` or `<Event`; for
/// `<?xml`, an `<Event` must follow within the bytes looked at. UTF-16 (with
/// its mark) is looked at as the ASCII it holds.
fn is_event_xml(head: &[u8]) -> bool {
    let ascii: Vec<u8>;
    let text = match head {
        [0xFF, 0xFE, rest @ ..] => {
            ascii = rest
                .chunks_exact(2)
                .filter(|p| p[1] == 0)
                .map(|p| p[0])
                .collect();
            &ascii[..]
        }
        [0xFE, 0xFF, rest @ ..] => {
            ascii = rest
                .chunks_exact(2)
                .filter(|p| p[0] == 0)
                .map(|p| p[1])
                .collect();
            &ascii[..]
        }
        _ => head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head),
    };
    let text = text.trim_ascii_start();
    let event_tag = |text: &[u8]| {
        memchr::memmem::find_iter(text, b"<Event").any(|at| {
            matches!(
                text.get(at + 6),
                Some(b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/' | b's')
            )
        })
    };
    if text.starts_with(b"<?xml") {
        return event_tag(text);
    }
    text.starts_with(b"<Event") && event_tag(&text[..text.len().min(8)])
}

fn starts_with(path: &Path, magic: &[u8]) -> io::Result<bool> {
    let mut head = Vec::new();
    File::open(path)?
        .take(magic.len() as u64)
        .read_to_end(&mut head)?;
    Ok(head == magic)
}

/// Why a `._name` file is not read.
const RESOURCE_FORK: &str =
    "a macOS resource fork (AppleDouble metadata copied beside the real file), not a log";

/// Whether a file is the `._name` a Mac writes beside `name` on a volume
/// without resource forks.
fn is_resource_fork(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.len() > 2 && name.starts_with("._"))
}

fn skipped(path: &Path, reason: impl Into<String>) -> SourceIssue {
    SourceIssue::new(path, "", reason, IssueKind::Skipped)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::GzEncoder;
    use flate2::Compression;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn relative(root: &Path, files: &[InputFile]) -> Vec<(String, Format, bool)> {
        files
            .iter()
            .map(|file| {
                let path = file.path.strip_prefix(root).unwrap();
                (path.display().to_string(), file.format, file.gzip)
            })
            .collect()
    }

    #[test]
    fn folders_are_walked_and_files_picked_by_extension() {
        let folder = tempfile::tempdir().unwrap();
        let root = folder.path();
        let write = |name: &str, bytes: &[u8]| {
            let path = root.join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, bytes).unwrap();
        };
        write("b/Security.EVTX", b"ElfFile\0");
        write("a/conn.jsonl", b"{}\n");
        write("a/dns.log", b"\n  {\"ts\":1}\n");
        write(
            "a/app.log",
            b"Starting up\nJan  1 00:00:00 host sshd[1]: Accepted\n",
        );
        write("a/http.log.gz", &gzip(b"{\"ts\":1}\n"));
        write("a/x.ndjson.gz", &gzip(b"{}\n"));
        write("a/notes.txt", b"{}");
        write("c/deep/er/events.json", b"{}");
        write(
            "log/auth.log",
            b"\nJan  1 00:00:00 host sshd[1]: Accepted\n",
        );
        write(
            "log/auth.log.2.gz",
            &gzip(b"Jan  1 00:00:00 host sshd[1]: x\n"),
        );
        write("log/daemon.log.1", b"<30>1 - host app - - - started\n");
        write("log/MESSAGES-20240301", b"damaged first line\n");
        write("log/secure", b"{\"message\":\"x\"}\n");
        write("log/syslog.conf", b"*.* /var/log/syslog\n");
        write(
            "log/audit/audit.log",
            b"damaged\ntype=EOE msg=audit(1.2:3): \n",
        );
        write(
            "log/audit/audit.log.1.gz",
            &gzip(b"type=EOE msg=audit(1.2:3): \n"),
        );
        write(
            "a/host-audit.log",
            b"node=h type=USER_LOGIN msg=audit(1.2:3): pid=1\n",
        );
        write("zeek/conn.log", b"#separator \\x09\n#path\tconn\n");
        write(
            "zeek/dns.09:00:00-10:00:00.log.gz",
            &gzip(b"#separator \\x09\n"),
        );
        let (files, issues) = discover(&[root.to_path_buf()]);
        let jsonl = Format::JsonLines;
        let syslog = Format::Syslog;
        let auditd = Format::Auditd;
        assert_eq!(
            relative(root, &files),
            [
                ("a/conn.jsonl".to_string(), jsonl, false),
                ("a/dns.log".to_string(), jsonl, false),
                ("a/host-audit.log".to_string(), auditd, false),
                ("a/http.log.gz".to_string(), jsonl, true),
                ("a/x.ndjson.gz".to_string(), jsonl, true),
                ("b/Security.EVTX".to_string(), Format::Evtx, false),
                ("c/deep/er/events.json".to_string(), jsonl, false),
                ("log/MESSAGES-20240301".to_string(), syslog, false),
                ("log/audit/audit.log".to_string(), auditd, false),
                ("log/audit/audit.log.1.gz".to_string(), auditd, true),
                ("log/auth.log".to_string(), syslog, false),
                ("log/auth.log.2.gz".to_string(), syslog, true),
                ("log/daemon.log.1".to_string(), syslog, false),
                ("log/secure".to_string(), jsonl, false),
                ("zeek/conn.log".to_string(), Format::ZeekTsv, false),
                (
                    "zeek/dns.09:00:00-10:00:00.log.gz".to_string(),
                    Format::ZeekTsv,
                    true
                ),
            ]
        );
        assert_eq!(files[0].size, 3);
        assert_eq!(issues.len(), 1);
        assert!(issues[0].file.ends_with("a/app.log"));
        assert!(issues[0].reason.starts_with("plain-text log"));
    }

    /// `.xml` files are read when they hold Windows events, in UTF-8 or
    /// UTF-16, and left alone otherwise; a `.log` of XML events is read too.
    #[test]
    fn event_xml_is_known_by_its_content() {
        let folder = tempfile::tempdir().unwrap();
        let root = folder.path();
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "<Event><System/></Event>"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        fs::write(
            root.join("wevtutil.xml"),
            "<Event xmlns='x'><System/></Event>",
        )
        .unwrap();
        fs::write(root.join("ps.xml"), utf16).unwrap();
        fs::write(
            root.join("wrapped.xml.gz"),
            gzip(b"<?xml version='1.0'?>\n<Events><Event>"),
        )
        .unwrap();
        fs::write(root.join("splunk.log"), "<Event><System/></Event>\n").unwrap();
        fs::write(
            root.join("manifest.xml"),
            "<?xml version='1.0'?><assembly><EventData/></assembly>",
        )
        .unwrap();
        fs::write(root.join("task.xml"), "<Task><Actions/></Task>").unwrap();
        let (files, issues) = discover(&[root.to_path_buf()]);
        assert!(issues.is_empty(), "{issues:?}");
        let xml = Format::WindowsXml;
        assert_eq!(
            relative(root, &files),
            [
                ("ps.xml".to_string(), xml, false),
                ("splunk.log".to_string(), xml, false),
                ("wevtutil.xml".to_string(), xml, false),
                ("wrapped.xml.gz".to_string(), xml, true),
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn resource_forks_are_reported_not_read() {
        let folder = tempfile::tempdir().unwrap();
        let root = folder.path();
        fs::write(root.join("security.json"), "{}\n").unwrap();
        fs::write(root.join("._security.json"), b"\x00\x05\x16\x07Mac OS X").unwrap();
        fs::write(root.join("._"), "{}\n").unwrap();
        let (files, issues) = discover(&[root.to_path_buf()]);
        let names: Vec<_> = files.iter().map(|f| f.path.file_name().unwrap()).collect();
        assert_eq!(names, ["security.json"]);
        assert_eq!(issues.len(), 1);
        assert!(issues[0].file.ends_with("._security.json"));
        assert!(issues[0].reason.contains("resource fork"), "{}", issues[0]);
    }

    #[test]
    fn links_are_followed_once_and_loops_not_at_all() {
        let folder = tempfile::tempdir().unwrap();
        let root = folder.path();
        fs::create_dir(root.join("logs")).unwrap();
        fs::write(root.join("logs/a.evtx"), b"").unwrap();
        std::os::unix::fs::symlink(root, root.join("logs/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("logs/a.evtx"), root.join("b.evtx")).unwrap();
        let (files, issues) = discover(&[root.to_path_buf(), root.join("logs/a.evtx")]);
        assert_eq!(
            relative(root, &files),
            [("b.evtx".to_string(), Format::Evtx, false)]
        );
        assert!(issues.is_empty(), "{issues:?}");
    }

    #[test]
    fn named_files_are_known_by_content_when_the_name_does_not_say() {
        let folder = tempfile::tempdir().unwrap();
        let root = folder.path();
        fs::write(root.join("Security"), b"ElfFile\0rest").unwrap();
        fs::write(root.join("export"), gzip(b"\xEF\xBB\xBF{\"a\":1}\n")).unwrap();
        fs::write(root.join("readme"), b"hello").unwrap();
        fs::write(root.join("router"), b"<13>Mar  1 10:00:00 r1 x: y\n").unwrap();
        fs::write(
            root.join("ausearch.txt"),
            b"----\ntype=PROCTITLE msg=audit(03/28/2013 14:36:03.243:24287) : proctitle=id\n",
        )
        .unwrap();
        let named: Vec<_> = [
            "Security",
            "export",
            "readme",
            "missing.evtx",
            "router",
            "ausearch.txt",
        ]
        .iter()
        .map(|name| root.join(name))
        .collect();
        let (files, issues) = discover(&named);
        assert_eq!(
            relative(root, &files),
            [
                ("Security".to_string(), Format::Evtx, false),
                ("ausearch.txt".to_string(), Format::Auditd, false),
                ("export".to_string(), Format::JsonLines, true),
                ("router".to_string(), Format::Syslog, false),
            ]
        );
        let reasons: Vec<_> = issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].contains("missing.evtx: cannot read"));
        assert!(reasons[1].contains("readme: not a readable format"));
    }
}
