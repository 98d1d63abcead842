//! Timestamps as network sensors and firewalls write them.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

/// Reads a timestamp: epoch seconds with or without a fraction (or
/// milliseconds, microseconds, nanoseconds when the integer is too large for
/// seconds), RFC 3339, or `YYYY-MM-DD HH:MM:SS[.f]` / `YYYY/MM/DD HH:MM:SS`
/// taken as UTC.
pub fn parse(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim().trim_matches('"');
    if raw.is_empty() {
        return None;
    }
    if raw.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return epoch(raw);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = raw.trim_end_matches('Z');
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, format) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    None
}

/// A date and a time of day in separate columns (FortiGate's `date`, `time`).
pub fn parse_split(date: &str, time: &str) -> Option<DateTime<Utc>> {
    parse(&format!(
        "{} {}",
        date.trim_matches('"'),
        time.trim_matches('"')
    ))
}

fn epoch(raw: &str) -> Option<DateTime<Utc>> {
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty() || fraction.contains('.') {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    if fraction.is_empty() {
        // Integer: pick the unit that lands between 1990 and 2100.
        let micros = match whole {
            w if w < 5_000_000_000 => w.checked_mul(1_000_000)?,
            w if w < 5_000_000_000_000 => w.checked_mul(1_000)?,
            w if w < 5_000_000_000_000_000 => w,
            w => w / 1_000,
        };
        return Utc.timestamp_micros(micros).single();
    }
    let digits: String = fraction.chars().chain("000000".chars()).take(6).collect();
    let micros: i64 = digits.parse().ok()?;
    Utc.timestamp_micros(whole.checked_mul(1_000_000)?.checked_add(micros)?)
        .single()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(t: Option<DateTime<Utc>>) -> String {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            .unwrap_or_default()
    }

    #[test]
    fn the_shapes_sensors_write() {
        let expect = "2018-03-24T17:15:20.865716Z";
        assert_eq!(iso(parse("1521911720.865716")), expect);
        assert_eq!(iso(parse("2018-03-24T17:15:20.865716Z")), expect);
        assert_eq!(iso(parse("2018-03-24 17:15:20.865716")), expect);
        assert_eq!(iso(parse("1521911720")), "2018-03-24T17:15:20.000000Z");
        assert_eq!(iso(parse("1521911720865")), "2018-03-24T17:15:20.865000Z");
        assert_eq!(
            iso(parse("1521911720865716000")),
            "2018-03-24T17:15:20.865716Z"
        );
        assert_eq!(
            iso(parse("2026/01/02 10:15:32")),
            "2026-01-02T10:15:32.000000Z"
        );
        assert_eq!(
            iso(parse_split("2019-08-20", "16:57:50")),
            "2019-08-20T16:57:50.000000Z"
        );
        assert_eq!(
            iso(parse("2024-05-01T10:00:00+02:00")),
            "2024-05-01T08:00:00.000000Z"
        );
        for bad in ["", "-", "yesterday", "1.2.3", "99999999999999999999999"] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
