//! Zeek's conn, dns, ssl, http and files logs, tab-separated or JSON, one log
//! per file or all in one JSON-streaming file.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, BufRead};
use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};
use vigil_sources::zeek_dotted_name;

use super::fields::{parse_address, Fields, Row};
use super::{lines, origin, InputSummary, Issue, NetworkLog, ZeekLog};
use crate::record::{Action, DnsQuery, FileTransfer, Flow, HttpRequest, TlsSession};

/// Which log a JSON record belongs to: its `_path`, else the file's name,
/// else the fields only that log has.
pub(super) fn json_kind(object: &Map<String, Value>, path: &Path) -> Option<ZeekLog> {
    if let Some(p) = object.get("_path").and_then(Value::as_str) {
        return ZeekLog::from_path(p);
    }
    let zeek_shaped = object.contains_key("id.orig_h")
        || object.contains_key("id_orig_h")
        || object.get("id").is_some_and(Value::is_object)
        || object.contains_key("uid")
        || object.contains_key("fuid");
    if !zeek_shaped {
        return None;
    }
    let stem = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split(['.', '_', '-']).next())
        .unwrap_or("");
    if let Some(log) = ZeekLog::from_path(stem) {
        return Some(log);
    }
    let has = |k: &str| object.contains_key(k);
    if has("conn_state") || has("orig_bytes") || has("history") {
        Some(ZeekLog::Conn)
    } else if has("query") || has("qtype_name") {
        Some(ZeekLog::Dns)
    } else if has("server_name") || has("cipher") {
        Some(ZeekLog::Ssl)
    } else if has("method") || has("uri") {
        Some(ZeekLog::Http)
    } else if has("tx_hosts") || has("seen_bytes") {
        Some(ZeekLog::Files)
    } else {
        None
    }
}

/// Reads JSON records of the log `kind`, or, when it is `None`, of the log
/// each names in `@stream` (or `_path`); records of other logs are counted
/// in [`InputSummary::other`].
pub(super) fn read_json(
    reader: &mut dyn BufRead,
    kind: Option<ZeekLog>,
    file: &Arc<str>,
    log: &mut NetworkLog,
    summary: &mut InputSummary,
) -> io::Result<()> {
    lines(reader, |number, line| {
        let result = match line {
            Ok(line) if line.trim().is_empty() => return true,
            Ok(line) => read_json_line(line, kind, file, number, log, summary),
            Err(reason) => Err(reason),
        };
        if let Err(message) = result {
            skipped(file, number, message, log, summary);
        }
        true
    })
}

/// One line of a Zeek JSON log, added to `log` when it is of a log read.
fn read_json_line(
    line: &str,
    kind: Option<ZeekLog>,
    file: &Arc<str>,
    number: u64,
    log: &mut NetworkLog,
    summary: &mut InputSummary,
) -> Result<(), String> {
    match serde_json::from_str::<Map<String, Value>>(line) {
        Ok(object) => match kind.or_else(|| stream_of(&object)) {
            Some(kind) => add(&dotted(object), kind, file, number, log, summary),
            None if named_log(&object).is_some() => {
                summary.other += 1;
                Ok(())
            }
            None => Err("names no log: no @stream or _path".to_string()),
        },
        Err(e) => Err(format!("not a JSON object: {e}")),
    }
}

/// The log a record of a file of all logs names.
fn named_log(object: &Map<String, Value>) -> Option<&str> {
    ["@stream", "_path"]
        .iter()
        .find_map(|key| object.get(*key).and_then(Value::as_str))
}

/// The log a record names, if the assessment reads it.
fn stream_of(object: &Map<String, Value>) -> Option<ZeekLog> {
    named_log(object).and_then(ZeekLog::from_path)
}

/// The record with the JSON-streaming shape's names of nested fields
/// (`id_orig_h`) made Zeek's own (`id.orig_h`), as hunt reads them.
fn dotted(object: Map<String, Value>) -> Map<String, Value> {
    if !object.keys().any(|key| zeek_dotted_name(key).is_some()) {
        return object;
    }
    object
        .into_iter()
        .map(|(key, value)| match zeek_dotted_name(&key) {
            Some(dotted) => (dotted.to_string(), value),
            None => (key, value),
        })
        .collect()
}

/// Zeek's own format: `#`-lines describe the columns, then one record per line.
pub(super) fn read_tsv(
    reader: &mut dyn BufRead,
    kind: ZeekLog,
    file: &Arc<str>,
    log: &mut NetworkLog,
    summary: &mut InputSummary,
) -> io::Result<()> {
    let mut separator = "\t".to_string();
    let mut set_separator = ',';
    let mut columns: HashMap<String, usize> = HashMap::new();
    lines(reader, |number, line| {
        let line = match line {
            Ok(line) => line,
            Err(reason) => {
                skipped(file, number, reason, log, summary);
                return true;
            }
        };
        if let Some(directive) = line.strip_prefix('#') {
            let (name, rest) = directive.split_once([' ', '\t']).unwrap_or((directive, ""));
            match name {
                "separator" => separator = unescape(rest.trim()).into_owned(),
                "set_separator" => {
                    set_separator = rest
                        .trim_start_matches(&*separator)
                        .chars()
                        .next()
                        .unwrap_or(',')
                }
                "fields" => {
                    columns = rest
                        .split(&*separator)
                        .enumerate()
                        .map(|(i, f)| (f.to_string(), i))
                        .collect();
                }
                _ => {}
            }
            return true;
        }
        if line.is_empty() {
            return true;
        }
        let result = if columns.is_empty() {
            Err("a record before the #fields line".to_string())
        } else {
            let values: Vec<Cow<str>> = line.split(&*separator).map(unescape).collect();
            let row = Row {
                columns: &columns,
                values: &values,
                set_separator,
            };
            add(&row, kind, file, number, log, summary)
        };
        if let Err(message) = result {
            skipped(file, number, message, log, summary);
        }
        true
    })
}

/// Counts a line that was not read and says why.
fn skipped(
    file: &Arc<str>,
    number: u64,
    message: String,
    log: &mut NetworkLog,
    summary: &mut InputSummary,
) {
    summary.skipped += 1;
    log.issues.push(Issue {
        file: file.clone(),
        line: Some(number),
        message,
    });
}

/// Zeek escapes bytes as `\xHH`.
fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains("\\x") {
        return Cow::Borrowed(text);
    }
    let mut bytes = Vec::with_capacity(text.len());
    let raw = text.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && raw.get(i + 1) == Some(&b'x') && i + 4 <= raw.len() {
            if let Some(b) = std::str::from_utf8(&raw[i + 2..i + 4])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                bytes.push(b);
                i += 4;
                continue;
            }
        }
        bytes.push(raw[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())
}

fn add(
    fields: &dyn Fields,
    kind: ZeekLog,
    file: &Arc<str>,
    line: u64,
    log: &mut NetworkLog,
    summary: &mut InputSummary,
) -> Result<(), String> {
    let time = fields
        .text("ts")
        .ok_or("no ts")
        .and_then(|t| crate::time::parse(&t).ok_or("ts is not a time"))
        .map_err(String::from)?;
    let origin = origin(file, line);
    match kind {
        ZeekLog::Conn => log.flows.push(Flow {
            time,
            src: fields.address("id.orig_h")?,
            src_port: fields.port("id.orig_p")?,
            dst: fields.address("id.resp_h")?,
            dst_port: fields.port("id.resp_p")?,
            proto: fields.text("proto").map(|p| p.to_ascii_lowercase().into()),
            service: fields.text("service").map(|s| s.into()),
            bytes_out: fields.number("orig_bytes")?,
            bytes_in: fields.number("resp_bytes")?,
            packets_out: fields.number("orig_pkts")?,
            packets_in: fields.number("resp_pkts")?,
            duration: fields.seconds("duration")?,
            action: Action::Unknown,
            origin,
        }),
        ZeekLog::Dns => {
            let Some(query) = fields.text("query") else {
                // A response without its question (or a malformed packet): nothing to weigh.
                summary.saw(time);
                return Ok(());
            };
            log.dns.push(DnsQuery {
                time,
                client: fields.address("id.orig_h")?,
                query: query.into(),
                qtype: fields.text("qtype_name").map(|q| q.into()),
                answers: fields
                    .items("answers")
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                origin,
            })
        }
        ZeekLog::Ssl => {
            if let Some(name) = fields.text("server_name") {
                log.tls.push(TlsSession {
                    time,
                    client: fields.address("id.orig_h")?,
                    server: fields.address("id.resp_h")?,
                    server_name: name.into(),
                    origin,
                });
            }
        }
        ZeekLog::Http => log.http.push(HttpRequest {
            time,
            client: fields.address("id.orig_h")?,
            server: fields.address("id.resp_h")?,
            method: fields.text("method").map(|m| m.into()),
            host: fields.text("host").map(|h| h.into()),
            uri: fields.text("uri").map(|u| u.into()),
            request_body_len: fields.number("request_body_len")?,
            origin,
        }),
        ZeekLog::Files => {
            let hosts = |key: &str| -> Vec<_> {
                fields
                    .items(key)
                    .iter()
                    .filter_map(|h| parse_address(h))
                    .collect()
            };
            log.files.push(FileTransfer {
                time,
                senders: hosts("tx_hosts"),
                receivers: hosts("rx_hosts"),
                bytes: fields.number("seen_bytes")?,
                mime_type: fields.text("mime_type").map(|m| m.into()),
                filename: fields.text("filename").map(|f| f.into()),
                origin,
            })
        }
    }
    summary.saw(time);
    Ok(())
}
