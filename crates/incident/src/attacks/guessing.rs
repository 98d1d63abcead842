//! Password spraying and guessing: failed authentications from one source,
//! to many accounts (a spray) or many times to one (guessing), and explicit
//! credentials of many accounts tried from one session.

use std::collections::BTreeMap;

use chrono::Duration;

use super::{
    attack_of, attempts, bursts, key, logged_on, most_within_window, source_of, targets,
    ExplicitAttempt, LogonFailure, WINDOW,
};
use crate::facts::{EventRef, Facts};
use crate::incident::{CredentialAttack, CredentialAttackKind};
use crate::movement::Resolver;
use crate::names;

/// Failures from one source this close together belong to one attack.
const BURST_GAP: i64 = 10 * 60;
/// A spray: at least this many accounts failing from one source within [`WINDOW`].
const SPRAY_ACCOUNTS: usize = 5;
/// Guessing: at least this many failures of one account from one source in a burst…
pub(super) const GUESSES: u64 = 10;
/// …or this many within [`FAST`] seconds, faster than anyone types.
const FAST_GUESSES: usize = 5;
const FAST: i64 = 5;

/// The one person behind every attempt of a run, when the events name one.
fn one_subject(run: &[&LogonFailure]) -> Option<String> {
    let first = run.first()?.subject.clone()?;
    run.iter()
        .all(|f| f.subject.as_deref() == Some(first.as_str()))
        .then_some(first)
}

/// Password spraying and guessing, per source.
pub(super) fn failures(facts: &Facts, resolver: &Resolver) -> Vec<CredentialAttack> {
    let mut by_source: BTreeMap<(Option<String>, String), Vec<&LogonFailure>> = BTreeMap::new();
    for f in &facts.failures {
        if names::is_machine(&f.account) || names::is_builtin(&f.account) {
            continue;
        }
        let source = source_of(
            f.source_ip.as_ref(),
            f.source_workstation.as_ref(),
            resolver,
        );
        // Without a source, attempts on one host are one source's.
        let local = if source.is_none() {
            f.host.clone()
        } else {
            String::new()
        };
        by_source.entry((source, local)).or_default().push(f);
    }
    let mut attacks = Vec::new();
    for ((source, _), mut list) in by_source {
        list.sort_by_key(|f| f.time);
        for run in bursts(&list, |f| f.time, BURST_GAP) {
            let times = (run[0].time, run[run.len() - 1].time);
            let host = logged_on(run.iter().map(|f| f.host.as_str()));
            if most_within_window(run, |f| f.time, |f| key(&f.account), WINDOW) >= SPRAY_ACCOUNTS {
                let events: Vec<&EventRef> = run.iter().map(|f| &f.event).collect();
                // Names that are no account need no rotating.
                let real = run.iter().filter(|f| !f.unknown_account);
                attacks.push(attack_of(
                    CredentialAttackKind::PasswordSpray,
                    source.clone(),
                    one_subject(run),
                    host,
                    targets(real.map(|f| f.account.as_str())),
                    &events,
                    times,
                ));
                continue;
            }
            let mut per_account: BTreeMap<String, Vec<&LogonFailure>> = BTreeMap::new();
            for f in run {
                per_account.entry(key(&f.account)).or_default().push(f);
            }
            for tries in per_account.into_values() {
                let events: Vec<&EventRef> = tries.iter().map(|f| &f.event).collect();
                let fast = tries
                    .windows(FAST_GUESSES)
                    .any(|w| w[FAST_GUESSES - 1].time - w[0].time <= Duration::seconds(FAST));
                if attempts(&events) < GUESSES && !fast {
                    continue;
                }
                attacks.push(attack_of(
                    CredentialAttackKind::PasswordGuessing,
                    source.clone(),
                    one_subject(&tries),
                    logged_on(tries.iter().map(|f| f.host.as_str())),
                    vec![tries[0].account.clone()],
                    &events,
                    (tries[0].time, tries[tries.len() - 1].time),
                ));
            }
        }
    }
    attacks
}

/// Sprays run from a host with explicit credentials: one account in one
/// session trying many others.
pub(super) fn explicit_sprays(facts: &Facts) -> Vec<CredentialAttack> {
    let mut by_session: BTreeMap<(&str, &str, Option<&str>), Vec<&ExplicitAttempt>> =
        BTreeMap::new();
    for a in &facts.explicit_attempts {
        by_session
            .entry((&a.host, &a.subject, a.session.as_deref()))
            .or_default()
            .push(a);
    }
    let mut attacks = Vec::new();
    for ((host, subject, _), mut list) in by_session {
        list.sort_by_key(|a| a.time);
        for run in bursts(&list, |a| a.time, BURST_GAP) {
            if most_within_window(run, |a| a.time, |a| key(&a.account), WINDOW) < SPRAY_ACCOUNTS {
                continue;
            }
            let events: Vec<&EventRef> = run.iter().map(|a| &a.event).collect();
            attacks.push(attack_of(
                CredentialAttackKind::PasswordSpray,
                Some(host.to_string()),
                Some(subject.to_string()),
                host.to_string(),
                targets(run.iter().map(|a| a.account.as_str())),
                &events,
                (run[0].time, run[run.len() - 1].time),
            ));
        }
    }
    attacks
}
