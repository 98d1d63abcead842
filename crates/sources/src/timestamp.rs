//! Reading an event's time from the ways logs write it.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use vigil_event::FieldValue;

/// Epoch numbers at or above this are taken as milliseconds: as seconds they
/// would be past the year 5000.
const MILLIS_FROM: f64 = 1e11;

/// The instant a field value names: RFC 3339 text, text without a zone (taken
/// as UTC, as Sysmon's `UtcTime` is), or seconds since the epoch (Zeek's `ts`).
pub(crate) fn parse(value: &FieldValue) -> Option<DateTime<Utc>> {
    match value {
        FieldValue::Str(text) => parse_text(text),
        FieldValue::Int(n) => from_epoch(*n as f64),
        FieldValue::Float(x) => from_epoch(*x),
        _ => None,
    }
}

fn parse_text(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    windows_system_time(text).or_else(|| any_text(text))
}

/// [`parse_text`] of a trimmed text, by the general parsers.
fn any_text(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive.and_utc());
        }
    }
    text.parse::<f64>().ok().and_then(from_epoch)
}

/// The shape every rendered Windows record's `SystemTime` has,
/// `2026-03-02T00:00:20.915052Z` (one to nine digits of fraction, or none),
/// read without the general parser; any other text, or a time that shape
/// cannot hold (a leap second), is left to it.
fn windows_system_time(text: &str) -> Option<DateTime<Utc>> {
    let zoneless = text.as_bytes().strip_suffix(b"Z")?;
    plain_time(zoneless, b'T').map(|time| time.and_utc())
}

/// A time written `2020-06-09 22:50:54.123` with `between` between the date
/// and the time (one to nine digits of fraction, or none), read without the
/// general parser: what chrono's `%Y-%m-%d %H:%M:%S%.f` reads it as. Any
/// other text, or a time that shape cannot hold (a leap second), is `None`,
/// and left to the general parser.
pub(crate) fn plain_time(bytes: &[u8], between: u8) -> Option<NaiveDateTime> {
    let (whole, fraction) = bytes.split_at_checked(19)?;
    let digits = |range: std::ops::Range<usize>| decimal(whole.get(range)?);
    let punctuation = [(4, b'-'), (7, b'-'), (10, between), (13, b':'), (16, b':')];
    if punctuation.iter().any(|&(at, byte)| whole[at] != byte) {
        return None;
    }
    let nanos = match fraction {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            decimal(digits)? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)?;
    date.and_hms_nano_opt(digits(11..13)?, digits(14..16)?, digits(17..19)?, nanos)
}

/// The number a few ASCII digits (nine at most) spell, if they are all
/// digits.
fn decimal(digits: &[u8]) -> Option<u32> {
    (digits.iter().all(u8::is_ascii_digit))
        .then(|| digits.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0')))
}

fn from_epoch(seconds: f64) -> Option<DateTime<Utc>> {
    if !seconds.is_finite() {
        return None;
    }
    let seconds = if seconds.abs() >= MILLIS_FROM {
        seconds / 1000.0
    } else {
        seconds
    };
    // A double near today's epoch holds about a microsecond of precision; finer
    // digits are noise, so the fraction is rounded to microseconds.
    let mut whole = seconds.floor() as i64;
    let mut micros = ((seconds - seconds.floor()) * 1e6).round() as u32;
    if micros >= 1_000_000 {
        whole += 1;
        micros -= 1_000_000;
    }
    DateTime::from_timestamp(whole, micros * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the quick reading takes, it reads as chrono's format does.
    #[test]
    fn plain_times_read_as_chrono_reads_them() {
        for text in [
            "2020-06-09 22:50:54",
            "2020-06-09 22:50:54.1",
            "2020-06-09 22:50:54.123456789",
            "2020-06-09 22:50:54.1234567891",
            "2020-02-30 22:50:54",
            "2016-12-31 23:59:60",
            "2020-06-09 24:00:00",
            "2020-06-09 22:50:5x",
            "2020-06-09T22:50:54",
            "20-06-09 22:50:54",
            "2020-06-09 22:50:54.",
        ] {
            let chrono = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").ok();
            if let Some(quick) = plain_time(text.as_bytes(), b' ') {
                assert_eq!(Some(quick), chrono, "{text}");
            }
        }
        assert!(plain_time(b"2020-06-09 22:50:54.5", b' ').is_some());
    }

    fn text(s: &str) -> Option<String> {
        parse(&FieldValue::from(s)).map(|t| t.to_rfc3339())
    }

    #[test]
    fn windows_system_time_keeps_its_precision() {
        assert_eq!(
            text("2016-09-21T03:40:41.8652343Z").as_deref(),
            Some("2016-09-21T03:40:41.865234300+00:00")
        );
    }

    /// The short way with Windows times gives what the general parser
    /// gives, for every length of fraction, and leaves what it cannot take.
    #[test]
    fn windows_times_read_as_the_general_parser_reads_them() {
        let general = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        };
        let mut texts = vec![
            "2016-09-21T03:40:41Z".to_string(),
            "2024-02-29T23:59:59.999999999Z".to_string(),
            "2023-02-29T00:00:00Z".to_string(),
            "2016-12-31T23:59:60Z".to_string(),
            "2016-09-21T24:00:00Z".to_string(),
            "2016-09-21T03:40:41.Z".to_string(),
            "2016-09-21T03:40:41.1234567890Z".to_string(),
            "2016-09-21 03:40:41Z".to_string(),
            "2016-09-21T03:40:41z".to_string(),
            "2016-9-21T03:40:41.5Z".to_string(),
            "+016-09-21T03:40:41Z".to_string(),
            "2016-09-21T03:40:41.86a2343Z".to_string(),
        ];
        for digits in 1..=9 {
            texts.push(format!("2016-09-21T03:40:41.{}Z", &"8652343219"[..digits]));
        }
        for text in &texts {
            let short = windows_system_time(text);
            if short.is_some() {
                assert_eq!(short, general(text), "{text}");
            }
            assert_eq!(parse_text(text), any_text(text), "{text}");
        }
        assert!(windows_system_time("2016-09-21T03:40:41.8652343Z").is_some());
        assert!(windows_system_time("2016-12-31T23:59:60Z").is_none());
    }

    #[test]
    fn zoneless_text_is_utc() {
        assert_eq!(
            text("2021-12-04 21:19:16.741").as_deref(),
            Some("2021-12-04T21:19:16.741+00:00")
        );
        assert_eq!(
            text("2021-12-04T21:19:16").as_deref(),
            Some("2021-12-04T21:19:16+00:00")
        );
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        assert_eq!(
            text("2021-12-04T23:19:16+02:00").as_deref(),
            Some("2021-12-04T21:19:16+00:00")
        );
    }

    #[test]
    fn epoch_seconds_and_milliseconds() {
        let zeek = parse(&FieldValue::Float(1521911720.865716)).unwrap();
        assert_eq!(zeek.timestamp(), 1521911720);
        assert_eq!(zeek.timestamp_subsec_micros(), 865716);
        let millis = parse(&FieldValue::Int(1521911720865)).unwrap();
        assert_eq!(millis.timestamp_millis(), 1521911720865);
        assert_eq!(text("1521911720").map(|_| ()), Some(()));
    }

    #[test]
    fn nonsense_is_no_time() {
        assert_eq!(text("yesterday"), None);
        assert_eq!(parse(&FieldValue::Bool(true)), None);
        assert_eq!(parse(&FieldValue::Float(f64::NAN)), None);
    }
}
