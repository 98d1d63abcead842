//! Account settings that make a password easy to take (4738): Kerberos
//! pre-authentication turned off (AS-REP roasting), no password required,
//! reversible encryption, DES only — what an attacker sets on an account
//! to come back through it.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use vigil_event::{Event, FieldValue, Level};

use crate::facts::{EventRef, Evidence};
use crate::findings::{self, Finding};
use crate::incident::AffectedHost;
use crate::names;

/// The message codes of 4738's UserAccountControl for settings turned on,
/// and what each means for the password.
const WEAKENING: &[(&str, &str)] = &[
    (
        "%%2096",
        "Kerberos pre-authentication turned off (its password can be cracked offline from any AS-REP)",
    ),
    ("%%2082", "no password required"),
    (
        "%%2091",
        "password stored with reversible encryption",
    ),
    ("%%2095", "only DES Kerberos keys, which crack in hours"),
];

/// An account's settings weakened (4738).
#[derive(Debug, Clone, Serialize)]
pub struct AccountWeakened {
    pub time: DateTime<Utc>,
    pub host: String,
    pub account: String,
    /// What was turned on, in words.
    pub settings: Vec<&'static str>,
    pub by: Option<String>,
    pub by_session: Option<String>,
    pub event: EventRef,
}

fn text<'a>(event: &'a Event, name: &str) -> Option<&'a str> {
    event
        .get(name)
        .and_then(FieldValue::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "-")
}

/// Reads a 4738 that turns on a weakening setting.
pub fn read(event: &Event, host: &str, time: DateTime<Utc>) -> Option<AccountWeakened> {
    let control = text(event, "UserAccountControl")?;
    let settings: Vec<&'static str> = WEAKENING
        .iter()
        .filter(|(code, _)| control.contains(code))
        .map(|(_, what)| *what)
        .collect();
    if settings.is_empty() {
        return None;
    }
    Some(AccountWeakened {
        time,
        host: host.to_string(),
        account: text(event, "TargetUserName")
            .and_then(|n| names::account(text(event, "TargetDomainName"), n))?,
        settings,
        by: text(event, "SubjectUserName")
            .and_then(|n| names::account(text(event, "SubjectDomainName"), n)),
        by_session: text(event, "SubjectLogonId")
            .map(str::to_ascii_lowercase)
            .filter(|l| !names::is_shared_session(l)),
        event: EventRef::of(event),
    })
}

/// The change as evidence: medium, as administrators set these for old
/// applications too; it joins the attacker's session.
pub(crate) fn evidence(w: &AccountWeakened) -> Option<Evidence> {
    let by =
        w.by.as_deref()
            .filter(|b| !names::is_machine(b) && !names::is_builtin(b))?;
    Some(findings::evidence(
        Finding {
            rule_id: "vigil-account-weakened",
            title: format!("{} weakened by {by}: {}", w.account, w.settings.join(", ")),
            level: Level::Medium,
            tags: &[
                "attack.persistence",
                "attack.credential_access",
                "attack.t1098",
            ],
        },
        &w.event,
        &w.host,
        &w.host,
        w.time,
        vec![by.to_string()],
        w.by_session.clone(),
    ))
}

/// Why a weakened account of the incident is to act on, with where and
/// when: by the attacker, in the attacker's session, or on a host in scope
/// while it was compromised.
pub(crate) fn in_incident<'a>(
    weakened: &'a [AccountWeakened],
    hosts: &[AffectedHost],
    attacker: &BTreeSet<String>,
    sessions: &HashSet<(&str, &str)>,
) -> Vec<(&'a AccountWeakened, String)> {
    weakened
        .iter()
        .filter(|w| {
            w.by.as_deref().is_some_and(|b| attacker.contains(b))
                || w.by_session
                    .as_deref()
                    .is_some_and(|s| sessions.contains(&(w.host.as_str(), s)))
                || hosts.iter().any(|h| {
                    h.host == w.host && w.time >= h.first_evidence && w.time <= h.last_evidence
                })
        })
        .map(|w| {
            let reason = format!(
                "{} by {} on {} at {}: turn it back, then rotate the password",
                w.settings.join(", "),
                w.by.as_deref().unwrap_or("an unknown account"),
                w.host,
                w.time.format("%Y-%m-%d %H:%M:%S")
            );
            (w, reason)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn change(control: &str) -> Event {
        let mut e = Event::new("dc.evtx");
        e.insert("EventID", FieldValue::Int(4738));
        e.insert("TargetUserName", FieldValue::from("hack1"));
        e.insert("TargetDomainName", FieldValue::from("OFFSEC"));
        e.insert("SubjectUserName", FieldValue::from("admmig"));
        e.insert("SubjectDomainName", FieldValue::from("OFFSEC"));
        e.insert("UserAccountControl", FieldValue::from(control));
        e
    }

    #[test]
    fn pre_authentication_turned_off_is_read_and_turned_back_on_is_not() {
        let t = Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).unwrap();
        let w = read(&change("\r\n\t\t%%2096"), "DC1", t).unwrap();
        assert_eq!(w.account, "OFFSEC\\hack1");
        assert!(w.settings[0].starts_with("Kerberos pre-authentication turned off"));
        assert_eq!(evidence(&w).unwrap().detection.level, Level::Medium);
        // %%2064: 'Don't Require Preauth' - Disabled, pre-authentication back on.
        assert!(read(&change("\r\n\t\t%%2064"), "DC1", t).is_none());
    }
}
