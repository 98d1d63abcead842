//! The year RFC 3164 leaves out, inferred from when the lines were written by
//! and followed across New Year within a file.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

/// A month going back by more than this many months from one line to the
/// next is a new year (December → January); going forward by more is a late
/// line from the year before (January → December).
const ROLL_OVER_MONTHS: u32 = 6;

/// What a run of lines has in common: where they come from, when they were
/// written by, and the year reached so far. One context reads one file or one
/// stream, in order.
#[derive(Debug, Clone)]
pub struct SyslogContext {
    source: Arc<str>,
    written_by: DateTime<Utc>,
    /// The year and month of the last dated line, once there is one.
    current: Option<(i32, u32)>,
}

impl SyslogContext {
    /// A context for lines from `source` (the events' source name) written at
    /// or before `written_by`: a file's modification time, or now for lines
    /// arriving live.
    ///
    /// The first RFC 3164 line gets the year of `written_by`, or the year
    /// before when that would put it more than a day after `written_by` (the
    /// slack allows for hosts that log in local time). Each later line keeps
    /// the year unless its month went back by more than six months, which is
    /// a new year.
    pub fn new(source: impl Into<Arc<str>>, written_by: DateTime<Utc>) -> Self {
        SyslogContext {
            source: source.into(),
            written_by,
            current: None,
        }
    }

    pub fn source(&self) -> Arc<str> {
        self.source.clone()
    }

    /// The date of a line that gives only its month and day, or `None` when
    /// there is no such day in the inferred year.
    pub(super) fn date(&mut self, month: u32, day: u32) -> Option<NaiveDate> {
        let year = match self.current {
            None => self.first_year(month, day),
            Some((year, last)) if month + ROLL_OVER_MONTHS < last => year + 1,
            Some((year, last)) if month > last + ROLL_OVER_MONTHS => {
                // A straggler from last year does not move the year back.
                return NaiveDate::from_ymd_opt(year - 1, month, day);
            }
            Some((year, _)) => year,
        };
        let date = NaiveDate::from_ymd_opt(year, month, day)?;
        self.current = Some((year, month));
        Some(date)
    }

    /// Notes the date of a line that gave its year, for the lines after it.
    pub(super) fn saw(&mut self, date: NaiveDate) {
        self.current = Some((date.year(), date.month()));
    }

    fn first_year(&self, month: u32, day: u32) -> i32 {
        let year = self.written_by.year();
        let latest = (self.written_by + Duration::days(1)).date_naive();
        // February 29th is compared as the 28th: the year it falls in is decided below.
        match NaiveDate::from_ymd_opt(year, month, day.min(28)) {
            Some(date) if date > latest => year - 1,
            _ => year,
        }
    }
}

/// `Jan` … `Dec` (any case) as 1 … 12.
pub(super) fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let index = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name))?;
    Some(index as u32 + 1)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn context(year: i32, month: u32, day: u32) -> SyslogContext {
        SyslogContext::new(
            "t",
            Utc.with_ymd_and_hms(year, month, day, 12, 0, 0).unwrap(),
        )
    }

    fn ymd(date: Option<NaiveDate>) -> (i32, u32, u32) {
        let date = date.unwrap();
        (date.year(), date.month(), date.day())
    }

    #[test]
    fn the_first_line_takes_the_year_that_puts_it_before_the_file_was_written() {
        assert_eq!(ymd(context(2024, 6, 1).date(3, 1)), (2024, 3, 1));
        assert_eq!(ymd(context(2024, 6, 1).date(6, 2)), (2024, 6, 2));
        assert_eq!(ymd(context(2024, 6, 1).date(6, 3)), (2023, 6, 3));
        assert_eq!(ymd(context(2024, 1, 5).date(12, 10)), (2023, 12, 10));
    }

    #[test]
    fn december_to_january_is_a_new_year() {
        let mut context = context(2024, 1, 5);
        assert_eq!(ymd(context.date(12, 30)), (2023, 12, 30));
        assert_eq!(ymd(context.date(12, 31)), (2023, 12, 31));
        assert_eq!(ymd(context.date(1, 1)), (2024, 1, 1));
        // A late line from December is last year's, and the year stays.
        assert_eq!(ymd(context.date(12, 31)), (2023, 12, 31));
        assert_eq!(ymd(context.date(1, 2)), (2024, 1, 2));
        // Small steps back (out-of-order lines) are the same year.
        assert_eq!(ymd(context.date(3, 1)), (2024, 3, 1));
        assert_eq!(ymd(context.date(2, 28)), (2024, 2, 28));
    }

    #[test]
    fn a_dated_line_sets_the_year_for_the_next() {
        let mut context = context(2024, 6, 1);
        context.saw(NaiveDate::from_ymd_opt(2019, 12, 31).unwrap());
        assert_eq!(ymd(context.date(1, 1)), (2020, 1, 1));
    }

    #[test]
    fn february_29th_exists_only_in_leap_years() {
        assert_eq!(ymd(context(2024, 6, 1).date(2, 29)), (2024, 2, 29));
        assert_eq!(context(2023, 6, 1).date(2, 29), None);
    }

    #[test]
    fn month_names() {
        assert_eq!(month_number("Jan"), Some(1));
        assert_eq!(month_number("DEC"), Some(12));
        assert_eq!(month_number("Foo"), None);
    }
}
