//! Simulated time: microseconds since the Unix epoch, and the ways logs write it.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// A point in simulated time, in microseconds since the Unix epoch (UTC).
pub(crate) type Micros = i64;

pub(crate) const SECOND: Micros = 1_000_000;
pub(crate) const MINUTE: Micros = 60 * SECOND;
pub(crate) const HOUR: Micros = 60 * MINUTE;
pub(crate) const DAY: Micros = 24 * HOUR;

pub(crate) fn to_datetime(t: Micros) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t).expect("simulated times are in range")
}

/// `2026-03-02T08:00:01.123456Z`: Windows `SystemTime`, flows' `ts`.
pub(crate) fn iso(t: Micros) -> String {
    let d = to_datetime(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second(),
        t.rem_euclid(SECOND)
    )
}

/// `2026-03-02 08:00:01.123`: Sysmon's `UtcTime`.
pub(crate) fn sysmon(t: Micros) -> String {
    let d = to_datetime(t);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second(),
        t.rem_euclid(SECOND) / 1000
    )
}

/// Seconds since the epoch with microseconds: Zeek's `ts`.
pub(crate) fn epoch(t: Micros) -> String {
    format!("{}.{:06}", t.div_euclid(SECOND), t.rem_euclid(SECOND))
}

/// RFC 3339 with microseconds, as the ground truth records times.
pub(crate) fn rfc3339(t: Micros) -> DateTime<Utc> {
    to_datetime(t)
}
