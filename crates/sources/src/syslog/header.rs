//! The parts of a syslog line before its message: `<PRI>`, the BSD timestamp
//! or an RFC 3339 one, the host and the program tag.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::year::{month_number, SyslogContext};
use super::{excerpt, Record, SyslogError};

const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

const SEVERITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// The longest program tag taken as one: longer words are message text.
const MAX_TAG: usize = 64;

pub(super) fn facility(priority: u8) -> &'static str {
    FACILITIES[usize::from(priority >> 3).min(FACILITIES.len() - 1)]
}

pub(super) fn severity(priority: u8) -> &'static str {
    SEVERITIES[usize::from(priority & 7)]
}

/// Splits off a leading `<PRI>`, if the line has one.
pub(super) fn priority(line: &str) -> Result<(Option<u8>, &str), SyslogError> {
    let Some(rest) = line.strip_prefix('<') else {
        return Ok((None, line));
    };
    let digits = rest.split('>').next().unwrap_or_default();
    let closed = rest.len() > digits.len();
    let value = digits.parse::<u8>().ok().filter(|&p| {
        closed && digits.len() <= 3 && digits.bytes().all(|b| b.is_ascii_digit()) && p <= 191
    });
    match value {
        Some(p) => Ok((Some(p), &rest[digits.len() + 1..])),
        None => Err(SyslogError::Priority(excerpt(digits, 8))),
    }
}

/// A line in the BSD layout: a timestamp (`Mmm dd hh:mm:ss` or RFC 3339),
/// the host, then `program[pid]: message`.
pub(super) fn parse_bsd<'a>(
    text: &'a str,
    context: &mut SyslogContext,
) -> Result<Record<'a>, SyslogError> {
    let (timestamp, rest) = match bsd_timestamp(text, context)? {
        Some(found) => found,
        None => rfc3339_timestamp(text, context)?,
    };
    let rest = rest.trim_start_matches(' ');
    if rest.is_empty() {
        return Err(SyslogError::NoHost);
    }
    let word = rest.split(' ').next().unwrap_or_default();
    // A tag ends in `:`, a host name does not: a line with a tag right after
    // the timestamp was written without a host.
    let (host, rest) = if word.ends_with(':') {
        (None, rest)
    } else {
        (Some(word), rest[word.len()..].trim_start_matches(' '))
    };
    let mut record = Record {
        timestamp: Some(timestamp),
        host,
        message: rest,
        ..Record::default()
    };
    tag(rest, &mut record);
    Ok(record)
}

/// `Mmm dd hh:mm:ss` (the day space-padded or not, an optional fraction), or
/// `None` when the line does not start with a month name.
fn bsd_timestamp<'a>(
    text: &'a str,
    context: &mut SyslogContext,
) -> Result<Option<(DateTime<Utc>, &'a str)>, SyslogError> {
    let Some(month) = text.get(..3).and_then(month_number) else {
        return Ok(None);
    };
    let after_month = &text[3..];
    let day_start = after_month.trim_start_matches(' ');
    if day_start.len() == after_month.len() {
        return Err(SyslogError::NoTimestamp);
    }
    let day_digits = day_start.bytes().take_while(u8::is_ascii_digit).count();
    let after_day = &day_start[day_digits..];
    let time_start = after_day.trim_start_matches(' ');
    let time_len = time_start
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b':' || *b == b'.')
        .count();
    let written = &text[..text.len() - time_start.len() + time_len];
    let bad = || SyslogError::BadTimestamp(excerpt(written, 40));
    if day_digits == 0 || day_digits > 2 || time_start.len() == after_day.len() {
        return Err(bad());
    }
    let day: u32 = day_start[..day_digits].parse().map_err(|_| bad())?;
    let time = chrono::NaiveTime::parse_from_str(&time_start[..time_len], "%H:%M:%S%.f")
        .map_err(|_| bad())?;
    let date = context.date(month, day).ok_or_else(bad)?;
    let rest = &time_start[time_len..];
    Ok(Some((date.and_time(time).and_utc(), rest)))
}

/// An RFC 3339 time up to the first space; without a zone it is UTC.
fn rfc3339_timestamp<'a>(
    text: &'a str,
    context: &mut SyslogContext,
) -> Result<(DateTime<Utc>, &'a str), SyslogError> {
    let word = text.split(' ').next().unwrap_or_default();
    let bytes = word.as_bytes();
    let dated = bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[7] == b'-';
    if !dated {
        return Err(SyslogError::NoTimestamp);
    }
    let time = parse_rfc3339(word).ok_or_else(|| SyslogError::BadTimestamp(excerpt(word, 40)))?;
    context.saw(time.date_naive());
    Ok((time, &text[word.len()..]))
}

/// RFC 3339 with or without a zone (then UTC), `T` between date and time.
pub(super) fn parse_rfc3339(word: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(word) {
        return Some(time.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(word, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

/// Reads `program[pid]: ` or `program: ` at the start of `text` into the
/// record; leaves the record's message as all of `text` when there is none.
fn tag<'a>(text: &'a str, record: &mut Record<'a>) {
    let name_len = text
        .bytes()
        .take_while(|b| !matches!(b, b' ' | b'[' | b':'))
        .count();
    if name_len == 0 || name_len > MAX_TAG {
        return;
    }
    let name = &text[..name_len];
    let after_name = &text[name_len..];
    let (pid, after_tag) = if let Some(bracketed) = after_name.strip_prefix('[') {
        let Some((pid, after)) = bracketed.split_once(']') else {
            return;
        };
        match after.strip_prefix(':') {
            Some(after) => (Some(pid), after),
            None => return,
        }
    } else if let Some(after) = after_name.strip_prefix(':') {
        (None, after)
    } else {
        return;
    };
    let (program, module) = match name.strip_suffix(')').and_then(|n| n.split_once("(pam_")) {
        Some((program, _)) if !program.is_empty() => {
            (program, Some(&name[program.len() + 1..name.len() - 1]))
        }
        _ => (name, None),
    };
    record.program = Some(program);
    record.module = module;
    record.pid = pid;
    record.message = after_tag.strip_prefix(' ').unwrap_or(after_tag);
}
