//! Reading network evidence: Zeek logs (tab-separated with their `#fields`
//! header, JSON lines, or the JSON-streaming shape that holds every log in
//! one file) and firewall or flow exports (CSV with or without a
//! header, JSON lines, FortiGate `key=value` lines) through a
//! [`FlowMapping`].
//!
//! [`classify`] looks at a file's first lines and says what it holds, or that
//! it is not network evidence; [`read`] reads it into a [`NetworkLog`]. A bad
//! line is an [`Issue`] naming the file and line, and reading goes on.
//! Plain or gzip-compressed, whatever the file is called.

mod fields;
mod flows;
mod zeek;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use flate2::read::MultiGzDecoder;
use serde::Serialize;

pub(crate) use fields::parse_address;

use crate::mapping::FlowMapping;
use crate::record::{DnsQuery, FileTransfer, Flow, HttpRequest, Origin, TlsSession};

/// The Zeek logs the assessment reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZeekLog {
    Conn,
    Dns,
    Ssl,
    Http,
    Files,
}

impl ZeekLog {
    fn from_path(path: &str) -> Option<ZeekLog> {
        Some(match path {
            "conn" => ZeekLog::Conn,
            "dns" => ZeekLog::Dns,
            "ssl" => ZeekLog::Ssl,
            "http" => ZeekLog::Http,
            "files" => ZeekLog::Files,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ZeekLog::Conn => "conn",
            ZeekLog::Dns => "dns",
            ZeekLog::Ssl => "ssl",
            ZeekLog::Http => "http",
            ZeekLog::Files => "files",
        }
    }
}

/// How a flow export is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowLayout {
    /// Comma-separated; the first line names the columns unless `header` is false.
    Csv {
        header: bool,
    },
    JsonLines,
    /// `key=value` pairs, values optionally double-quoted (FortiOS).
    KeyValue,
}

/// What a network evidence file holds.
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkFormat {
    ZeekTsv(ZeekLog),
    ZeekJson(ZeekLog),
    /// Every log in one file, each record naming its own in `@stream`.
    ZeekStreaming,
    Flows(FlowLayout, Box<FlowMapping>),
}

impl NetworkFormat {
    pub fn describe(&self) -> String {
        match self {
            NetworkFormat::ZeekTsv(log) => format!("Zeek {}.log (TSV)", log.as_str()),
            NetworkFormat::ZeekJson(log) => format!("Zeek {}.log (JSON)", log.as_str()),
            NetworkFormat::ZeekStreaming => "Zeek logs (JSON streaming)".to_string(),
            NetworkFormat::Flows(layout, mapping) => {
                let layout = match layout {
                    FlowLayout::Csv { header: true } => "CSV",
                    FlowLayout::Csv { header: false } => "CSV without header",
                    FlowLayout::JsonLines => "JSON lines",
                    FlowLayout::KeyValue => "key=value lines",
                };
                format!("flow records ({layout}, {} mapping)", mapping.name)
            }
        }
    }
}

/// A line that could not be read, or a file that could not be opened.
#[derive(Debug, Clone, Serialize)]
pub struct Issue {
    pub file: Arc<str>,
    /// `None` for the file as a whole.
    pub line: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} line {}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// What was read from one network file.
#[derive(Debug, Clone, Serialize)]
pub struct InputSummary {
    pub file: Arc<str>,
    pub format: String,
    pub records: u64,
    pub skipped: u64,
    /// Records of logs the assessment does not weigh (`weird`, `x509`, …),
    /// read past in a file that holds every log.
    #[serde(skip_serializing_if = "is_zero")]
    pub other: u64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
}

/// Everything read from the network evidence.
#[derive(Debug, Default)]
pub struct NetworkLog {
    pub flows: Vec<Flow>,
    pub dns: Vec<DnsQuery>,
    pub tls: Vec<TlsSession>,
    pub http: Vec<HttpRequest>,
    pub files: Vec<FileTransfer>,
    pub inputs: Vec<InputSummary>,
    pub issues: Vec<Issue>,
}

impl NetworkLog {
    /// Adds what another log read (another file's, read in parallel).
    pub fn merge(&mut self, other: NetworkLog) {
        self.flows.extend(other.flows);
        self.dns.extend(other.dns);
        self.tls.extend(other.tls);
        self.http.extend(other.http);
        self.files.extend(other.files);
        self.inputs.extend(other.inputs);
        self.issues.extend(other.issues);
    }
}

/// Opens a file, decompressing gzip whatever its name.
fn open(path: &Path) -> io::Result<Box<dyn BufRead>> {
    let mut file = File::open(path)?;
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic)?;
    let file = File::open(path)?;
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(BufReader::with_capacity(
            256 << 10,
            MultiGzDecoder::new(file),
        )))
    } else {
        Ok(Box::new(BufReader::with_capacity(256 << 10, file)))
    }
}

/// The longest line read: a longer one is skipped, and reported, without
/// being held, so a file without newlines cannot exhaust memory.
const MAX_LINE: usize = 16 << 20;

/// Calls `each` with every line (without its end) and its number, or the
/// reason it was skipped (longer than [`MAX_LINE`]); a line that is not UTF-8
/// is read with replacement characters.
fn lines(
    reader: &mut dyn BufRead,
    each: impl FnMut(u64, Result<&str, String>) -> bool,
) -> io::Result<()> {
    lines_within(reader, MAX_LINE, each)
}

fn lines_within(
    reader: &mut dyn BufRead,
    max_line: usize,
    mut each: impl FnMut(u64, Result<&str, String>) -> bool,
) -> io::Result<()> {
    let mut buffer = Vec::with_capacity(1024);
    let mut number = 0u64;
    loop {
        buffer.clear();
        if reader
            .take(max_line as u64 + 1)
            .read_until(b'\n', &mut buffer)?
            == 0
        {
            return Ok(());
        }
        number += 1;
        if buffer.len() > max_line && buffer.last() != Some(&b'\n') {
            vigil_sources::skip_line(reader)?;
            let reason = format!("line longer than {} MiB; skipped", max_line >> 20);
            if !each(number, Err(reason)) {
                return Ok(());
            }
            continue;
        }
        while matches!(buffer.last(), Some(b'\n' | b'\r')) {
            buffer.pop();
        }
        let keep_going = match std::str::from_utf8(&buffer) {
            Ok(line) => each(number, Ok(line)),
            Err(_) => each(number, Ok(&String::from_utf8_lossy(&buffer))),
        };
        if !keep_going {
            return Ok(());
        }
    }
}

/// What `path` holds, judged from its first lines; `None` when it is not
/// network evidence Vigil reads (Windows events, syslog, other Zeek logs).
/// `mapping` is used for flow exports whose columns it names.
pub fn classify(path: &Path, mapping: Option<&FlowMapping>) -> io::Result<Option<NetworkFormat>> {
    let mut reader = open(path)?;
    let mut head: Vec<String> = Vec::new();
    lines(&mut *reader, |_, line| {
        let Ok(line) = line else {
            return true;
        };
        if !line.trim().is_empty() {
            head.push(line.to_string());
        }
        head.len() < 12
    })?;
    Ok(classify_lines(&head, path, mapping))
}

fn classify_lines(
    head: &[String],
    path: &Path,
    mapping: Option<&FlowMapping>,
) -> Option<NetworkFormat> {
    let first = head.first()?;
    if first.starts_with("#separator") {
        let log = head
            .iter()
            .find_map(|l| l.strip_prefix("#path"))
            .and_then(|p| ZeekLog::from_path(p.trim()))?;
        return Some(NetworkFormat::ZeekTsv(log));
    }
    if first.trim_start().starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(first).ok()?;
        let object = value.as_object()?;
        if object.contains_key("@stream") {
            return Some(NetworkFormat::ZeekStreaming);
        }
        if let Some(log) = zeek::json_kind(object, path) {
            return Some(NetworkFormat::ZeekJson(log));
        }
        if object.contains_key("id.orig_h") || object.contains_key("_path") {
            return None; // another Zeek log
        }
        let keys: Vec<String> = object.keys().cloned().collect();
        return flows::mapping_for(&keys, mapping)
            .map(|m| NetworkFormat::Flows(FlowLayout::JsonLines, Box::new(m)));
    }
    if first.contains("srcip=") && first.contains("dstip=") {
        let keys: Vec<String> = flows::key_values(first)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        return flows::mapping_for(&keys, mapping)
            .map(|m| NetworkFormat::Flows(FlowLayout::KeyValue, Box::new(m)));
    }
    let header = flows::csv_fields(first)?;
    if let Some(m) = flows::mapping_for(&header, mapping) {
        return Some(NetworkFormat::Flows(
            FlowLayout::Csv { header: true },
            Box::new(m),
        ));
    }
    // PAN-OS syslog CSV: no header, the log type in the fourth column.
    if header.get(3).map(String::as_str) == Some("TRAFFIC") {
        let m = mapping.cloned().unwrap_or_else(FlowMapping::paloalto);
        return Some(NetworkFormat::Flows(
            FlowLayout::Csv { header: false },
            Box::new(m),
        ));
    }
    None
}

/// Reads one file of the given format into `log`. Only a file that cannot be
/// opened or read is an error; bad lines are issues.
pub fn read(path: &Path, format: &NetworkFormat, log: &mut NetworkLog) -> io::Result<()> {
    let name: Arc<str> = Arc::from(path.display().to_string());
    let mut reader = open(path)?;
    let mut summary = InputSummary {
        file: name.clone(),
        format: format.describe(),
        records: 0,
        skipped: 0,
        other: 0,
        first: None,
        last: None,
    };
    let result = match format {
        NetworkFormat::ZeekTsv(kind) => {
            zeek::read_tsv(&mut *reader, *kind, &name, log, &mut summary)
        }
        NetworkFormat::ZeekJson(kind) => {
            zeek::read_json(&mut *reader, Some(*kind), &name, log, &mut summary)
        }
        NetworkFormat::ZeekStreaming => {
            zeek::read_json(&mut *reader, None, &name, log, &mut summary)
        }
        NetworkFormat::Flows(layout, mapping) => {
            flows::read(&mut *reader, *layout, mapping, &name, log, &mut summary)
        }
    };
    if let Err(e) = result {
        // Keep what was read before the failure (a truncated gzip, say).
        log.issues.push(Issue {
            file: name.clone(),
            line: None,
            message: format!("reading stopped: {e}"),
        });
    }
    log.inputs.push(summary);
    Ok(())
}

impl InputSummary {
    fn saw(&mut self, time: DateTime<Utc>) {
        self.records += 1;
        self.first = Some(self.first.map_or(time, |f| f.min(time)));
        self.last = Some(self.last.map_or(time, |l| l.max(time)));
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn origin(file: &Arc<str>, line: u64) -> Origin {
    Origin {
        file: file.clone(),
        line,
    }
}

#[cfg(test)]
mod tests;
