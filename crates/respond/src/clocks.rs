//! Notification clocks: the deadlines to inform authorities that start when
//! the breach becomes known — GDPR Art. 33, the Swiss revDSG Art. 24 and
//! NIS2 Art. 23 — and whether each is still open at a given moment.

use chrono::{DateTime, Duration, Months, Utc};
use serde::Serialize;
use vigil_event::Level;
use vigil_incident::Incident;

/// When the operator became aware of the breach, and on what basis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Awareness {
    pub time: DateTime<Utc>,
    pub basis: String,
}

/// The moment of awareness: the one given, else the first high or critical
/// detection of the incidents (the earliest the operator could have known).
pub fn awareness(given: Option<DateTime<Utc>>, incidents: &[Incident]) -> Option<Awareness> {
    if let Some(time) = given {
        return Some(Awareness {
            time,
            basis: "the time of awareness given".into(),
        });
    }
    incidents
        .iter()
        .flat_map(|i| &i.detections)
        .filter(|d| d.level >= Level::High)
        .min_by_key(|d| d.time)
        .map(|d| Awareness {
            time: d.time,
            basis: format!(
                "the first high or critical detection: \"{}\" on {} (the earliest the operator could have known; give the real moment of awareness if it was later)",
                d.rule_title, d.host
            ),
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// The deadline is still ahead.
    Open,
    /// The deadline has passed.
    Overdue,
    /// No fixed deadline: as soon as possible.
    AsSoonAsPossible,
    /// No moment of awareness: the clock cannot be set.
    NotStarted,
}

#[derive(Debug, Clone, Serialize)]
pub struct Clock {
    /// The provision ("GDPR Art. 33").
    pub law: String,
    /// What is due, to whom.
    pub duty: String,
    /// The deadline, when the law sets one and awareness is known.
    pub deadline: Option<DateTime<Utc>>,
    pub state: ClockState,
    /// Whole hours left (negative: overdue by), when there is a deadline.
    pub hours_left: Option<i64>,
    /// When it applies and what it asks, in words.
    pub text: String,
}

impl Clock {
    /// The clock's state in words: "open, 12 h left", "overdue by 3 h".
    pub fn state_in_words(&self) -> String {
        match self.state {
            ClockState::Open => format!("open, {} h left", self.hours_left.unwrap_or(0)),
            ClockState::Overdue => format!("overdue by {} h", -self.hours_left.unwrap_or(0)),
            ClockState::AsSoonAsPossible => "as soon as possible".into(),
            ClockState::NotStarted => "not set".into(),
        }
    }

    pub fn overdue(&self) -> bool {
        self.state == ClockState::Overdue
    }
}

/// The clocks at `now`. Pure: the same awareness and moment give the same clocks.
pub fn clocks(awareness: Option<&Awareness>, now: DateTime<Utc>) -> Vec<Clock> {
    let start = awareness.map(|a| a.time);
    let timed = |law: &str, duty: &str, deadline: Option<DateTime<Utc>>, text: String| {
        let (state, hours_left) = match deadline {
            None => (ClockState::NotStarted, None),
            Some(d) if now <= d => (ClockState::Open, Some((d - now).num_hours())),
            Some(d) => (ClockState::Overdue, Some(-(now - d).num_hours())),
        };
        Clock {
            law: law.into(),
            duty: duty.into(),
            deadline,
            state,
            hours_left,
            text,
        }
    };
    let after = |hours: i64| start.map(|s| s + Duration::hours(hours));
    let notification = after(72);
    let final_report = notification.and_then(|n| n.checked_add_months(Months::new(1)));
    let since = start.map(|s| (now - s).num_hours());
    vec![
        timed(
            "GDPR Art. 33",
            "notify the competent data-protection supervisory authority",
            after(72),
            "without undue delay and, where feasible, within 72 hours of becoming aware of a personal-data breach, unless it is unlikely to result in a risk to people's rights and freedoms; a later notification must give the reasons for the delay. Art. 33(3): the nature of the breach (categories and approximate number of data subjects and of records), the data-protection officer's contact, the likely consequences, the measures taken or proposed; Art. 33(4): in phases if not all is known yet".into(),
        ),
        Clock {
            law: "Swiss revDSG Art. 24".into(),
            duty: "report to the Federal Data Protection and Information Commissioner (FDPIC)".into(),
            deadline: None,
            state: if start.is_some() {
                ClockState::AsSoonAsPossible
            } else {
                ClockState::NotStarted
            },
            hours_left: None,
            text: format!(
                "as soon as possible, when the breach is likely to lead to a high risk to the personality or fundamental rights of the people concerned (health data weighs heavily); inform those people too when it is needed for their protection or the FDPIC asks{}",
                match since {
                    Some(h) if h > 0 => format!(". {h} hour(s) have passed since awareness"),
                    _ => String::new(),
                }
            ),
        },
        timed(
            "NIS2 Art. 23(4)(a)",
            "early warning to the CSIRT or competent authority",
            after(24),
            "within 24 hours of becoming aware of a significant incident (applies to essential and important entities; health-care providers are in Annex I): whether it is suspected to be caused by unlawful or malicious acts and could have a cross-border impact".into(),
        ),
        timed(
            "NIS2 Art. 23(4)(b)",
            "incident notification to the CSIRT or competent authority",
            notification,
            "within 72 hours of becoming aware: updates the early warning with an initial assessment — severity, impact and, where available, indicators of compromise".into(),
        ),
        timed(
            "NIS2 Art. 23(4)(d)",
            "final report",
            final_report,
            "no later than one month after the incident notification (the deadline shown assumes it is sent on its last day): a detailed description, severity and impact, the threat or root cause, mitigation applied and ongoing, cross-border impact".into(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn aware(s: &str) -> Awareness {
        Awareness {
            time: at(s),
            basis: "test".into(),
        }
    }

    #[test]
    fn within_a_day_every_deadline_is_open() {
        let a = aware("2026-03-02T08:00:00Z");
        let c = clocks(Some(&a), at("2026-03-02T20:00:00Z"));
        assert_eq!(c[0].deadline, Some(at("2026-03-05T08:00:00Z")));
        assert_eq!(c[0].state, ClockState::Open);
        assert_eq!(c[0].hours_left, Some(60));
        assert_eq!(c[1].state, ClockState::AsSoonAsPossible);
        assert!(c[1].text.contains("12 hour(s) have passed"));
        assert_eq!(c[2].deadline, Some(at("2026-03-03T08:00:00Z")));
        assert_eq!(c[2].hours_left, Some(12));
        assert_eq!(c[4].deadline, Some(at("2026-04-05T08:00:00Z")));
        assert!(c.iter().all(|c| !c.overdue()));
    }

    #[test]
    fn after_two_days_the_early_warning_is_overdue_and_the_rest_open() {
        let a = aware("2026-03-02T08:00:00Z");
        let c = clocks(Some(&a), at("2026-03-04T08:00:00Z"));
        let overdue: Vec<&str> = c
            .iter()
            .filter(|c| c.overdue())
            .map(|c| c.law.as_str())
            .collect();
        assert_eq!(overdue, ["NIS2 Art. 23(4)(a)"]);
        assert_eq!(c[2].hours_left, Some(-24));
        assert_eq!(c[0].hours_left, Some(24));
    }

    #[test]
    fn on_the_deadline_it_is_met_one_second_after_it_is_overdue() {
        let a = aware("2026-03-02T08:00:00Z");
        assert_eq!(
            clocks(Some(&a), at("2026-03-05T08:00:00Z"))[0].state,
            ClockState::Open
        );
        assert_eq!(
            clocks(Some(&a), at("2026-03-05T08:00:01Z"))[0].state,
            ClockState::Overdue
        );
        let late = clocks(Some(&a), at("2026-05-01T00:00:00Z"));
        assert!(late
            .iter()
            .filter(|c| c.deadline.is_some())
            .all(Clock::overdue));
    }

    #[test]
    fn without_awareness_no_clock_is_set() {
        let c = clocks(None, at("2026-03-04T08:00:00Z"));
        assert_eq!(c.len(), 5);
        assert!(c
            .iter()
            .all(|c| c.state == ClockState::NotStarted && c.deadline.is_none()));
        assert!(awareness(None, &[]).is_none());
        let given = awareness(Some(at("2026-03-02T08:00:00Z")), &[]).unwrap();
        assert_eq!(given.time, at("2026-03-02T08:00:00Z"));
    }
}
