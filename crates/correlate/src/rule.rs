//! One correlation rule, checked: its type, window, condition and fields.

use std::path::PathBuf;
use std::sync::Arc;

use vigil_event::Level;
use vigil_sigma::CorrelationRule;

use crate::condition::Condition;

/// The seven correlation types of the Sigma specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
    ValueSum,
    ValueAvg,
    ValuePercentile,
}

impl Kind {
    fn parse(text: &str) -> Result<Kind, String> {
        Ok(match text {
            "event_count" => Kind::EventCount,
            "value_count" => Kind::ValueCount,
            "temporal" => Kind::Temporal,
            "temporal_ordered" => Kind::TemporalOrdered,
            "value_sum" => Kind::ValueSum,
            "value_avg" => Kind::ValueAvg,
            "value_percentile" => Kind::ValuePercentile,
            other => {
                return Err(format!(
                    "unknown correlation type '{other}': expected event_count, value_count, \
                     temporal, temporal_ordered, value_sum, value_avg or value_percentile"
                ))
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::EventCount => "event_count",
            Kind::ValueCount => "value_count",
            Kind::Temporal => "temporal",
            Kind::TemporalOrdered => "temporal_ordered",
            Kind::ValueSum => "value_sum",
            Kind::ValueAvg => "value_avg",
            Kind::ValuePercentile => "value_percentile",
        }
    }

    /// The types that aggregate `condition.field`.
    fn needs_field(self) -> bool {
        matches!(
            self,
            Kind::ValueCount | Kind::ValueSum | Kind::ValueAvg | Kind::ValuePercentile
        )
    }

    pub fn is_temporal(self) -> bool {
        matches!(self, Kind::Temporal | Kind::TemporalOrdered)
    }
}

/// When a group's condition is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decide {
    /// On every arrival, over the sliding window that ends at that event.
    /// Used when the condition can only become true by events arriving
    /// (lower bounds: `gt`/`gte`) and for the temporal types.
    OnArrival,
    /// Once, when the group's window closes: the window opens at the group's
    /// first event and closes `timespan` later. Used for conditions that an
    /// arriving event can make false again (`lt`, `lte`, `eq`, `neq`, ranges)
    /// and for `value_percentile`, whose shares need the whole window.
    OnClose,
}

/// What another rule contributes to a correlation: which rule it is, and
/// where its events carry the group-by values.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    /// The reference as written in `rules`.
    pub reference: String,
    pub source: Source,
    /// For each group-by name, the field to read in this rule's events
    /// (the alias's field for this rule, or the group-by name itself).
    pub group_fields: Vec<String>,
}

/// The rule a slot refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// A detection rule, by its index in the base rules given to the build.
    Base(usize),
    /// Another correlation, by its index in the set.
    Correlation(usize),
}

/// A correlation rule ready to evaluate.
#[derive(Debug, Clone)]
pub(crate) struct Correlation {
    pub path: PathBuf,
    /// What its detections carry as `rule_id`: the id, else the name, else the title.
    pub rule_id: Arc<str>,
    pub title: Arc<str>,
    pub level: Level,
    pub tags: Arc<[String]>,
    pub kind: Kind,
    pub timespan_ms: i64,
    pub condition: Condition,
    pub decide: Decide,
    pub group_by: Vec<String>,
    pub fields: Vec<String>,
    pub slots: Vec<Slot>,
    pub generate: bool,
    /// Whether its detections are output (false when it only feeds another
    /// correlation that does not ask for `generate`).
    pub emit: bool,
    /// The group-by position that holds the host, if any.
    pub host_group: Option<usize>,
    /// How many recent events a group keeps at most (before the engine's cap).
    pub keep: usize,
}

/// Reads a timespan such as `90s`, `10m`, `1h`, `2d`, `1w`, `1M` (30 days)
/// or `1y` (365 days), in milliseconds.
pub fn parse_timespan(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let unit_at = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("timespan '{text}' has no unit: use s, m, h, d, w, M or y"))?;
    let (number, unit) = text.split_at(unit_at);
    let number: i64 = number
        .parse()
        .map_err(|_| format!("timespan '{text}' must be a number followed by a unit, e.g. 10m"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "M" => 30 * 86_400,
        "y" => 365 * 86_400,
        other => {
            return Err(format!(
                "timespan '{text}' has unknown unit '{other}': use s, m, h, d, w, M or y"
            ))
        }
    };
    if number == 0 {
        return Err(format!("timespan '{text}' must be longer than zero"));
    }
    match number.checked_mul(seconds * 1000) {
        Some(ms) if ms <= LONGEST_TIMESPAN_MS => Ok(ms),
        _ => Err(format!("timespan '{text}' is longer than 100 years")),
    }
}

/// The longest timespan a correlation may have: far beyond any window worth
/// correlating over, and far enough from `i64::MAX` milliseconds that adding
/// it to an event's time cannot overflow.
const LONGEST_TIMESPAN_MS: i64 = 100 * 365 * 86_400_000;

impl Correlation {
    /// Checks what can be checked without the other rules; references are
    /// resolved by the set.
    pub(crate) fn check(path: PathBuf, rule: &CorrelationRule) -> Result<Correlation, String> {
        let kind = Kind::parse(&rule.kind)?;
        let written = &rule.definition;
        if written.rules.is_empty() {
            return Err("'correlation.rules' names no rule".into());
        }
        let timespan = written
            .timespan
            .as_deref()
            .ok_or("missing 'correlation.timespan'")?;
        let timespan_ms = parse_timespan(timespan)?;
        let condition = match (Condition::parse(&written.condition)?, kind.is_temporal()) {
            (Some(c), _) => c,
            // By default every referenced rule must have matched.
            (None, true) => Condition::at_least(written.rules.len() as f64),
            (None, false) => {
                return Err(format!(
                    "missing 'correlation.condition': {} needs one, e.g. 'gte: 10'",
                    kind.as_str()
                ))
            }
        };
        if kind.needs_field() && written.fields.is_empty() {
            return Err(format!(
                "{} needs 'correlation.condition.field': the field to aggregate",
                kind.as_str()
            ));
        }
        if matches!(
            kind,
            Kind::ValueSum | Kind::ValueAvg | Kind::ValuePercentile
        ) && written.fields.len() > 1
        {
            return Err(format!("{} aggregates exactly one field", kind.as_str()));
        }
        let decide = match kind {
            Kind::Temporal | Kind::TemporalOrdered => Decide::OnArrival,
            Kind::ValuePercentile => Decide::OnClose,
            _ if condition.is_lower_bound() => Decide::OnArrival,
            _ => Decide::OnClose,
        };
        let keep = match (kind, decide) {
            // The n-th most recent event alone tells whether n fell in the window.
            (Kind::EventCount, Decide::OnArrival) => condition.min_count(),
            _ => usize::MAX,
        };
        let rule_id: Arc<str> = if !rule.id.is_empty() {
            rule.id.as_str().into()
        } else {
            written.name.as_deref().unwrap_or(&rule.title).into()
        };
        Ok(Correlation {
            path,
            rule_id,
            title: rule.title.as_str().into(),
            level: written.level.unwrap_or_default(),
            tags: written.tags.clone().into(),
            kind,
            timespan_ms,
            condition,
            decide,
            group_by: written.group_by.clone(),
            fields: written.fields.clone(),
            slots: Vec::new(),
            generate: written.generate,
            emit: true,
            host_group: None,
            keep,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans_cover_every_unit() {
        assert_eq!(parse_timespan("90s"), Ok(90_000));
        assert_eq!(parse_timespan("10m"), Ok(600_000));
        assert_eq!(parse_timespan("1h"), Ok(3_600_000));
        assert_eq!(parse_timespan("2d"), Ok(172_800_000));
        assert_eq!(parse_timespan("1w"), Ok(604_800_000));
        assert_eq!(parse_timespan("1M"), Ok(30 * 86_400_000));
        assert_eq!(parse_timespan("1y"), Ok(365 * 86_400_000));
        assert!(parse_timespan("10").unwrap_err().contains("no unit"));
        assert!(parse_timespan("10x").unwrap_err().contains("unknown unit"));
        assert!(parse_timespan("0s")
            .unwrap_err()
            .contains("longer than zero"));
        assert!(parse_timespan("m").is_err());
    }

    #[test]
    fn lower_bound_counts_are_decided_on_arrival_others_on_close() {
        let mut rule = CorrelationRule {
            kind: "event_count".into(),
            ..Default::default()
        };
        rule.definition.rules = vec!["a".into()];
        rule.definition.timespan = Some("1m".into());
        rule.definition.condition = vec![("gte".into(), "5".into())];
        let c = Correlation::check("x.yml".into(), &rule).unwrap();
        assert_eq!((c.decide, c.keep), (Decide::OnArrival, 5));
        rule.definition.condition = vec![("lt".into(), "5".into())];
        let c = Correlation::check("x.yml".into(), &rule).unwrap();
        assert_eq!(c.decide, Decide::OnClose);
        rule.definition.condition.clear();
        assert!(Correlation::check("x.yml".into(), &rule)
            .unwrap_err()
            .contains("missing 'correlation.condition'"));
        rule.kind = "temporal".into();
        assert!(Correlation::check("x.yml".into(), &rule).is_ok());
        rule.definition.timespan = None;
        assert!(Correlation::check("x.yml".into(), &rule)
            .unwrap_err()
            .contains("timespan"));
    }
}
