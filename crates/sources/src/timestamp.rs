//! Reading an event's time from the ways logs write it.

use chrono::{DateTime, NaiveDateTime, Utc};
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
