//! Firewall and flow exports read through a [`FlowMapping`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, BufRead};
use std::sync::Arc;

use chrono::Duration;

use super::fields::{Fields, Row};
use super::{lines, origin, FlowLayout, InputSummary, Issue, NetworkLog};
use crate::mapping::{normalise, FlowMapping};
use crate::record::{Action, Flow};

/// The mapping for a file whose columns are `keys`: the one given, if its
/// source and destination columns are there, else a ready one that fits.
pub(super) fn mapping_for(keys: &[String], given: Option<&FlowMapping>) -> Option<FlowMapping> {
    let names: Vec<String> = keys.iter().map(|k| normalise(k)).collect();
    let fits = |m: &FlowMapping| {
        let has = |cols: &[String]| cols.iter().any(|c| names.contains(&normalise(c)));
        has(&m.src) && has(&m.dst)
    };
    match given {
        Some(m) if fits(m) => Some(m.clone()),
        _ => FlowMapping::for_header(keys),
    }
}

/// `key=value key2="quoted value"` pairs, keys as written.
pub(super) fn key_values(line: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim();
        // The key is the last word before `=` (syslog prefixes come before the pairs).
        let key = key.rsplit(' ').next().unwrap_or(key).to_string();
        rest = &rest[eq + 1..];
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            value = quoted[..end].to_string();
            rest = quoted.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            value = rest[..end].to_string();
            rest = &rest[end..];
        }
        pairs.push((key, value));
        rest = rest.trim_start();
    }
    pairs
}

/// The fields of one CSV line (quotes honoured); `None` if it is not CSV.
pub(super) fn csv_fields(line: &str) -> Option<Vec<String>> {
    let fields = split_csv(line);
    (fields.len() >= 3).then(|| fields.into_iter().map(Cow::into_owned).collect())
}

/// Splits one line at commas outside double quotes; a quoted field loses its
/// quotes and `""` inside it stands for `"`. A record never spans lines, so
/// an unbalanced quote costs its own line only.
pub(super) fn split_csv(line: &str) -> Vec<Cow<'_, str>> {
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices().peekable();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                if c == '"' {
                    if chars.peek().is_some_and(|(_, n)| *n == '"') {
                        value.push('"');
                        chars.next();
                        continue;
                    }
                    end = i + 1;
                    break;
                }
                value.push(c);
            }
            fields.push(Cow::Owned(value));
            rest = &quoted[end..];
            match rest.find(',') {
                Some(comma) => rest = &rest[comma + 1..],
                None => return fields,
            }
        } else {
            match rest.find(',') {
                Some(comma) => {
                    fields.push(Cow::Borrowed(&rest[..comma]));
                    rest = &rest[comma + 1..];
                }
                None => {
                    fields.push(Cow::Borrowed(rest));
                    return fields;
                }
            }
        }
    }
}

/// The mapping's column lists with names normalised once.
struct Columns {
    time: Vec<String>,
    date: Vec<String>,
    time_of_day: Vec<String>,
    src: Vec<String>,
    src_port: Vec<String>,
    dst: Vec<String>,
    dst_port: Vec<String>,
    proto: Vec<String>,
    bytes_out: Vec<String>,
    bytes_in: Vec<String>,
    packets_out: Vec<String>,
    packets_in: Vec<String>,
    duration: Vec<String>,
    action: Vec<String>,
    record_type: Vec<String>,
    blocked: Vec<String>,
    record_type_is: Vec<String>,
}

impl Columns {
    fn new(m: &FlowMapping) -> Columns {
        let n = |cols: &[String]| cols.iter().map(|c| normalise(c)).collect();
        let lower = |vals: &[String]| vals.iter().map(|v| v.to_ascii_lowercase()).collect();
        Columns {
            time: n(&m.time),
            date: n(&m.date),
            time_of_day: n(&m.time_of_day),
            src: n(&m.src),
            src_port: n(&m.src_port),
            dst: n(&m.dst),
            dst_port: n(&m.dst_port),
            proto: n(&m.proto),
            bytes_out: n(&m.bytes_out),
            bytes_in: n(&m.bytes_in),
            packets_out: n(&m.packets_out),
            packets_in: n(&m.packets_in),
            duration: n(&m.duration),
            action: n(&m.action),
            record_type: n(&m.record_type),
            blocked: lower(&m.blocked),
            record_type_is: lower(&m.record_type_is),
        }
    }
}

fn text<'a>(fields: &'a dyn Fields, keys: &[String]) -> Option<Cow<'a, str>> {
    keys.iter().find_map(|k| fields.text(k))
}

fn count(fields: &dyn Fields, keys: &[String]) -> Result<Option<u64>, String> {
    for k in keys {
        if let Some(v) = fields.number(k)? {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// One flow from a record; `Ok(None)` for a record that is not a flow.
fn flow(
    fields: &dyn Fields,
    c: &Columns,
    origin: crate::record::Origin,
) -> Result<Option<Flow>, String> {
    if let Some(kind) = text(fields, &c.record_type) {
        if !c.record_type_is.is_empty() && !c.record_type_is.contains(&kind.to_ascii_lowercase()) {
            return Ok(None);
        }
    }
    let time = match text(fields, &c.time) {
        Some(t) => crate::time::parse(&t).ok_or_else(|| format!("not a time: {t:?}"))?,
        None => {
            let date = text(fields, &c.date).ok_or("no time column")?;
            let of_day = text(fields, &c.time_of_day).ok_or("no time of day column")?;
            let local = crate::time::parse_split(&date, &of_day)
                .ok_or_else(|| format!("not a date and time: {date:?} {of_day:?}"))?;
            local - offset(fields.text("tz").as_deref())
        }
    };
    let address = |keys: &[String], what: &str| {
        let raw = text(fields, keys).ok_or_else(|| format!("no {what} address"))?;
        super::fields::parse_address(&raw)
            .ok_or_else(|| format!("{what} is not an address: {raw:?}"))
    };
    let port = |keys: &[String]| -> Result<Option<u16>, String> {
        for k in keys {
            if let Some(p) = fields.port(k)? {
                return Ok(Some(p));
            }
        }
        Ok(None)
    };
    let duration = match text(fields, &c.duration) {
        Some(d) => Some(
            d.trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .ok_or_else(|| format!("duration is not seconds: {d:?}"))?,
        ),
        None => None,
    };
    let action = match text(fields, &c.action) {
        Some(a) if c.blocked.contains(&a.to_ascii_lowercase()) => Action::Blocked,
        Some(_) => Action::Allowed,
        None => Action::Unknown,
    };
    Ok(Some(Flow {
        time,
        src: address(&c.src, "source")?,
        src_port: port(&c.src_port)?,
        dst: address(&c.dst, "destination")?,
        dst_port: port(&c.dst_port)?,
        proto: text(fields, &c.proto).map(|p| protocol(&p).into()),
        service: None,
        bytes_out: count(fields, &c.bytes_out)?,
        bytes_in: count(fields, &c.bytes_in)?,
        packets_out: count(fields, &c.packets_out)?,
        packets_in: count(fields, &c.packets_in)?,
        duration,
        action,
        origin,
    }))
}

/// `+0200` / `-05:00` as an offset from UTC; zero when absent or unreadable.
fn offset(tz: Option<&str>) -> Duration {
    let Some(tz) = tz.map(|t| t.trim_matches('"').replace(':', "")) else {
        return Duration::zero();
    };
    let (sign, digits) = match tz.split_at_checked(1) {
        Some(("+", d)) => (1, d.to_string()),
        Some(("-", d)) => (-1, d.to_string()),
        _ => return Duration::zero(),
    };
    if digits.len() != 4 {
        return Duration::zero();
    }
    let (h, m) = (digits[..2].parse::<i64>(), digits[2..].parse::<i64>());
    match (h, m) {
        (Ok(h), Ok(m)) if h <= 14 && m < 60 => Duration::minutes(sign * (h * 60 + m)),
        _ => Duration::zero(),
    }
}

/// IANA protocol numbers the common exports write, as names.
fn protocol(raw: &str) -> String {
    match raw.trim() {
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "ipv6-icmp".into(),
        other => other.to_ascii_lowercase(),
    }
}

struct Sink<'a> {
    columns: Columns,
    file: &'a Arc<str>,
    log: &'a mut NetworkLog,
    summary: &'a mut InputSummary,
}

impl Sink<'_> {
    fn record(&mut self, number: u64, fields: &dyn Fields) {
        match flow(fields, &self.columns, origin(self.file, number)) {
            Ok(Some(f)) => {
                self.summary.saw(f.time);
                self.log.flows.push(f);
            }
            Ok(None) => {}
            Err(message) => self.issue(number, message),
        }
    }

    fn issue(&mut self, number: u64, message: String) {
        self.summary.skipped += 1;
        self.log.issues.push(Issue {
            file: self.file.clone(),
            line: Some(number),
            message,
        });
    }
}

pub(super) fn read(
    reader: &mut dyn BufRead,
    layout: FlowLayout,
    mapping: &FlowMapping,
    file: &Arc<str>,
    log: &mut NetworkLog,
    summary: &mut InputSummary,
) -> io::Result<()> {
    let mut sink = Sink {
        columns: Columns::new(mapping),
        file,
        log,
        summary,
    };
    match layout {
        FlowLayout::Csv { header } => read_csv(reader, header, &mut sink),
        FlowLayout::JsonLines | FlowLayout::KeyValue => {
            let mut columns: HashMap<String, usize> = HashMap::new();
            let mut values: Vec<Cow<str>> = Vec::new();
            lines(reader, |number, line| {
                let line = match line {
                    Ok(line) if line.trim().is_empty() => return true,
                    Ok(line) => line,
                    Err(reason) => {
                        sink.issue(number, reason);
                        return true;
                    }
                };
                let pairs = if layout == FlowLayout::KeyValue {
                    Ok(key_values(line))
                } else {
                    json_pairs(line)
                };
                match pairs {
                    Ok(pairs) => {
                        columns.clear();
                        values.clear();
                        for (i, (k, v)) in pairs.into_iter().enumerate() {
                            columns.insert(normalise(&k), i);
                            values.push(Cow::Owned(v));
                        }
                        let row = Row {
                            columns: &columns,
                            values: &values,
                            set_separator: ',',
                        };
                        sink.record(number, &row);
                    }
                    Err(message) => sink.issue(number, message),
                }
                true
            })
        }
    }
}

fn json_pairs(line: &str) -> Result<Vec<(String, String)>, String> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    Ok(object
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            (k, v)
        })
        .collect())
}

fn read_csv(reader: &mut dyn BufRead, header: bool, sink: &mut Sink) -> io::Result<()> {
    let mut columns: HashMap<String, usize> = HashMap::new();
    let mut first = true;
    let mut positional = 0usize;
    lines(reader, |number, line| {
        let line = match line {
            Ok(line) => line,
            Err(reason) => {
                sink.issue(number, reason);
                return true;
            }
        };
        let values = split_csv(line);
        if std::mem::take(&mut first) && header {
            columns = values
                .iter()
                .enumerate()
                .map(|(i, name)| (normalise(name), i))
                .collect();
            return true;
        }
        // Positional names (`#7`) for exports without a header, or beyond it.
        while positional < values.len() {
            columns
                .entry(format!("#{positional}"))
                .or_insert(positional);
            positional += 1;
        }
        if values.iter().all(|v| v.trim().is_empty()) {
            return true;
        }
        let row = Row {
            columns: &columns,
            values: &values,
            set_separator: ',',
        };
        sink.record(number, &row);
        true
    })
}
