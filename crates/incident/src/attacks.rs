//! Credential attacks read from authentication events: password spraying
//! and guessing (failed logons 4625, Kerberos pre-authentication failures
//! 4771, refused tickets 4768, NTLM validation failures 4776), Kerberoasting
//! (4769 service tickets with RC4) and AS-REP roasting (4768 without
//! pre-authentication).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use vigil_event::{Event, FieldValue, Level};

use crate::facts::{EventRef, Evidence, Facts};
use crate::findings::{self, Finding};
use crate::incident::{AffectedHost, CredentialAttack, CredentialAttackKind};
use crate::movement::Resolver;
use crate::names;

/// A failed authentication.
#[derive(Debug, Clone, Serialize)]
pub struct LogonFailure {
    pub time: DateTime<Utc>,
    /// Where it was logged.
    pub host: String,
    pub account: String,
    pub source_ip: Option<String>,
    pub source_workstation: Option<String>,
    /// The person whose process asked (a local `LogonUser`), not the system.
    pub subject: Option<String>,
    /// The name tried is no account at all (user enumeration).
    pub unknown_account: bool,
    pub event: EventRef,
}

/// A Kerberos ticket issued by a domain controller.
#[derive(Debug, Clone, Serialize)]
pub struct TicketIssued {
    pub time: DateTime<Utc>,
    /// The domain controller that issued it.
    pub host: String,
    /// 4768: a logon ticket (TGT) for `account`; 4769: a service ticket
    /// `account` asked for.
    pub service_ticket: bool,
    pub account: String,
    /// 4769: the service account the ticket is for.
    pub service: Option<String>,
    pub encryption: Option<i64>,
    /// 4768: 0 when the account needs no pre-authentication.
    pub pre_auth: Option<i64>,
    pub source_ip: Option<String>,
    pub event: EventRef,
}

/// Credentials given explicitly for a logon (4648), on the machine where
/// they were typed or passed: many accounts tried by one session there is a
/// spray run from it (`LogonUser` in a loop), whatever the results.
#[derive(Debug, Clone, Serialize)]
pub struct ExplicitAttempt {
    pub time: DateTime<Utc>,
    pub host: String,
    pub subject: String,
    pub session: Option<String>,
    pub account: String,
    pub event: EventRef,
}

/// Failures from one source this close together belong to one attack.
const BURST_GAP: i64 = 10 * 60;
/// A spray: at least this many accounts failing from one source within [`WINDOW`].
const SPRAY_ACCOUNTS: usize = 5;
/// Guessing: at least this many failures of one account from one source in a burst…
const GUESSES: u64 = 10;
/// …or this many within [`FAST`] seconds, faster than anyone types.
const FAST_GUESSES: usize = 5;
const FAST: i64 = 5;
/// Statuses that say the name tried is no account: Kerberos
/// `KDC_ERR_C_PRINCIPAL_UNKNOWN`, NTLM `STATUS_NO_SUCH_USER`.
const UNKNOWN_ACCOUNT: &[i64] = &[0x6, 0xc0000064];
/// Kerberoasting for sure: RC4 service tickets for at least this many services at once.
const ROASTED_SERVICES: usize = 3;
/// The window of a spray or a roasting run.
const WINDOW: i64 = 10 * 60;
/// Events kept per attack, to point at.
const SAMPLE: usize = 20;
/// RC4 and its export variant: the encryption types a password cracker wants.
const WEAK_ENCRYPTION: &[i64] = &[0x17, 0x18];

fn text<'a>(event: &'a Event, name: &str) -> Option<&'a str> {
    event
        .get(name)
        .and_then(FieldValue::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "-")
}

fn int(event: &Event, name: &str) -> Option<i64> {
    event.get(name).and_then(FieldValue::as_i64)
}

/// Reads a failed authentication (4625, 4771, 4776, a refused 4768).
pub fn read_failure(
    event: &Event,
    id: i64,
    host: &str,
    time: DateTime<Utc>,
) -> Option<LogonFailure> {
    let status = int(event, "Status").unwrap_or(0);
    let failed = match id {
        4625 | 4771 => true,
        4768 | 4776 => status != 0,
        _ => false,
    };
    if !failed {
        return None;
    }
    // 4771 names the domain only in the service (`krbtgt/OFFSEC.LAN`).
    let domain = text(event, "TargetDomainName").or_else(|| {
        text(event, "ServiceName")
            .and_then(|s| s.split_once('/'))
            .map(|(_, d)| d)
    });
    let account = text(event, "TargetUserName").and_then(|n| names::account(domain, n))?;
    let source_workstation = text(event, "WorkstationName")
        .or_else(|| text(event, "Workstation"))
        .and_then(names::host_name);
    let sub_status = int(event, "SubStatus").unwrap_or(0);
    let subject = text(event, "SubjectUserName")
        .and_then(|n| names::account(text(event, "SubjectDomainName"), n))
        .filter(|s| !names::is_machine(s) && !names::is_builtin(s));
    Some(LogonFailure {
        time,
        host: host.to_string(),
        account,
        source_ip: text(event, "IpAddress").and_then(names::address),
        source_workstation,
        subject,
        unknown_account: UNKNOWN_ACCOUNT.contains(&status) || UNKNOWN_ACCOUNT.contains(&sub_status),
        event: EventRef::of(event),
    })
}

/// Reads a use of explicit credentials (4648) by a person for another account.
pub fn read_explicit(event: &Event, host: &str, time: DateTime<Utc>) -> Option<ExplicitAttempt> {
    let subject = text(event, "SubjectUserName")
        .and_then(|n| names::account(text(event, "SubjectDomainName"), n))
        .filter(|s| !names::is_machine(s) && !names::is_builtin(s))?;
    let account = text(event, "TargetUserName")
        .and_then(|n| names::account(text(event, "TargetDomainName"), n))
        .filter(|a| !names::is_machine(a) && !names::is_builtin(a) && key(a) != key(&subject))?;
    Some(ExplicitAttempt {
        time,
        host: host.to_string(),
        subject,
        session: text(event, "SubjectLogonId").map(str::to_ascii_lowercase),
        account,
        event: EventRef::of(event),
    })
}

/// Reads a ticket issued (4768, 4769 with status 0).
pub fn read_ticket(
    event: &Event,
    id: i64,
    host: &str,
    time: DateTime<Utc>,
) -> Option<TicketIssued> {
    if !matches!(id, 4768 | 4769) || int(event, "Status").unwrap_or(0) != 0 {
        return None;
    }
    let account = text(event, "TargetUserName")
        .and_then(|n| names::account(text(event, "TargetDomainName"), n))?;
    Some(TicketIssued {
        time,
        host: host.to_string(),
        service_ticket: id == 4769,
        account,
        service: text(event, "ServiceName").map(str::to_string),
        encryption: int(event, "TicketEncryptionType"),
        pre_auth: int(event, "PreAuthType"),
        source_ip: text(event, "IpAddress").and_then(names::address),
        event: EventRef::of(event),
    })
}

/// The host or address an attempt came from: the address resolved to a
/// host, else the bare address, else the name the client gave — attack
/// tools make up a new workstation name for every attempt, the address stays.
fn source_of(ip: Option<&String>, ws: Option<&String>, resolver: &Resolver) -> Option<String> {
    ip.and_then(|ip| resolver.host_of(ip))
        .or_else(|| ip.cloned())
        .or_else(|| ws.cloned())
}

/// The name of an account to compare across logs that spell domains differently.
fn key(account: &str) -> String {
    names::user_part(account).to_ascii_lowercase()
}

/// All credential attacks the events show, oldest first.
pub(crate) fn find(facts: &Facts, resolver: &Resolver) -> Vec<CredentialAttack> {
    let mut attacks = failures(facts, resolver);
    attacks.extend(explicit_sprays(facts));
    attacks.extend(roasting(facts, resolver));
    attacks.sort_by_key(|a| a.first);
    attacks
}

/// Splits time-ordered items into runs no more than `gap` seconds apart.
fn bursts<T>(items: &[T], time: impl Fn(&T) -> DateTime<Utc>, gap: i64) -> Vec<&[T]> {
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..=items.len() {
        if i == items.len() || time(&items[i]) - time(&items[i - 1]) > Duration::seconds(gap) {
            if start < i {
                runs.push(&items[start..i]);
            }
            start = i;
        }
    }
    runs
}

/// The most distinct accounts seen within `window` seconds anywhere in a run.
fn most_within_window<T>(
    run: &[T],
    time: impl Fn(&T) -> DateTime<Utc>,
    who: impl Fn(&T) -> String,
    window: i64,
) -> usize {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut best = 0;
    let mut start = 0;
    for item in run {
        *counts.entry(who(item)).or_default() += 1;
        while time(item) - time(&run[start]) > Duration::seconds(window) {
            let k = who(&run[start]);
            if let Some(n) = counts.get_mut(&k) {
                *n -= 1;
                if *n == 0 {
                    counts.remove(&k);
                }
            }
            start += 1;
        }
        best = best.max(counts.len());
    }
    best
}

/// The host that logged most of the events.
fn logged_on<'a>(hosts: impl Iterator<Item = &'a str>) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for h in hosts {
        *counts.entry(h).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(h, n)| (*n, std::cmp::Reverse(*h)))
        .map(|(h, _)| h.to_string())
        .unwrap_or_default()
}

/// Attempts behind a set of events: one NTLM attempt can be logged twice
/// (4776 and 4625), so of those two the more frequent counts; Kerberos
/// failures (4768, 4771) and other events count each.
fn attempts(events: &[&EventRef]) -> u64 {
    let mut by_id: HashMap<Option<i64>, u64> = HashMap::new();
    for e in events {
        *by_id.entry(e.event_id).or_default() += 1;
    }
    let ntlm = |id: i64| by_id.get(&Some(id)).copied().unwrap_or(0);
    let rest: u64 = by_id
        .iter()
        .filter(|(id, _)| !matches!(id, Some(4625 | 4776)))
        .map(|(_, n)| n)
        .sum();
    rest + ntlm(4625).max(ntlm(4776))
}

/// The one person behind every attempt of a run, when the events name one.
fn one_subject(run: &[&LogonFailure]) -> Option<String> {
    let first = run.first()?.subject.clone()?;
    run.iter()
        .all(|f| f.subject.as_deref() == Some(first.as_str()))
        .then_some(first)
}

/// Targets in the order first seen, one spelling each.
fn targets<'a>(accounts: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for a in accounts {
        if !seen.iter().any(|s| key(s) == key(a)) {
            seen.push(a.to_string());
        }
    }
    seen
}

fn attack_of(
    kind: CredentialAttackKind,
    source: Option<String>,
    account: Option<String>,
    host: String,
    targets: Vec<String>,
    events: &[&EventRef],
    times: (DateTime<Utc>, DateTime<Utc>),
) -> CredentialAttack {
    CredentialAttack {
        kind,
        source,
        account,
        host,
        targets,
        first: times.0,
        last: times.1,
        attempts: attempts(events),
        events: events.iter().take(SAMPLE).map(|e| (*e).clone()).collect(),
    }
}

/// Password spraying and guessing, per source.
fn failures(facts: &Facts, resolver: &Resolver) -> Vec<CredentialAttack> {
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
fn explicit_sprays(facts: &Facts) -> Vec<CredentialAttack> {
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

/// Whether a service ticket is one a Kerberoaster wants: RC4, for a user
/// account running a service (not a computer, not krbtgt).
fn roastable(t: &TicketIssued) -> bool {
    t.service_ticket
        && t.encryption.is_some_and(|e| WEAK_ENCRYPTION.contains(&e))
        && t.service
            .as_deref()
            .is_some_and(|s| !s.ends_with('$') && !s.to_ascii_lowercase().starts_with("krbtgt"))
        && !names::is_machine(&t.account)
}

/// Kerberoasting and AS-REP roasting, per requesting account and source.
fn roasting(facts: &Facts, resolver: &Resolver) -> Vec<CredentialAttack> {
    type Requests<'a> =
        BTreeMap<(CredentialAttackKind, Option<String>, Option<String>), Vec<&'a TicketIssued>>;
    let mut groups: Requests = BTreeMap::new();
    for t in &facts.tickets {
        let source = source_of(t.source_ip.as_ref(), None, resolver);
        if roastable(t) {
            groups
                .entry((
                    CredentialAttackKind::Kerberoasting,
                    Some(key(&t.account)),
                    source,
                ))
                .or_default()
                .push(t);
        } else if !t.service_ticket && t.pre_auth == Some(0) && !names::is_machine(&t.account) {
            groups
                .entry((CredentialAttackKind::AsrepRoasting, None, source))
                .or_default()
                .push(t);
        }
    }
    let mut attacks = Vec::new();
    for ((kind, _, source), mut list) in groups {
        list.sort_by_key(|t| t.time);
        for run in bursts(&list, |t| t.time, WINDOW) {
            let events: Vec<&EventRef> = run.iter().map(|t| &t.event).collect();
            let (requester, roasted): (Option<String>, Vec<String>) = match kind {
                CredentialAttackKind::Kerberoasting => (
                    Some(run[0].account.clone()),
                    targets(run.iter().filter_map(|t| t.service.as_deref()))
                        .into_iter()
                        .map(|s| {
                            // The service account lives in the requester's domain.
                            let domain = run[0].account.split_once('\\').map(|(d, _)| d);
                            names::account(domain, &s).unwrap_or(s)
                        })
                        .collect(),
                ),
                _ => (None, targets(run.iter().map(|t| t.account.as_str()))),
            };
            attacks.push(attack_of(
                kind,
                source.clone(),
                requester,
                logged_on(run.iter().map(|t| t.host.as_str())),
                roasted,
                &events,
                (run[0].time, run[run.len() - 1].time),
            ));
        }
    }
    attacks
}

/// The attack as evidence, on the host it came from (where the attacker
/// is), or where it was logged when the source is unknown; and, when
/// `on_target`, on the host that logged it too: the two are joined by the
/// source's address, so that what the rules saw on the target joins them.
pub(crate) fn evidence(a: &CredentialAttack, on_target: bool) -> Vec<Evidence> {
    let from = a.source.as_deref().unwrap_or("an unknown source");
    let n = a.targets.len();
    let plural = if n == 1 { "" } else { "s" };
    let (rule_id, title, level, tags): (&str, String, Level, &[&str]) = match a.kind {
        CredentialAttackKind::PasswordSpray => (
            "vigil-password-spray",
            format!("Password spray from {from} against {n} accounts ({} attempts logged on {})", a.attempts, a.host),
            Level::High,
            &["attack.credential_access", "attack.t1110.003"],
        ),
        CredentialAttackKind::PasswordGuessing => (
            "vigil-password-guessing",
            format!(
                "Password guessing from {from} against {} ({} failed attempts logged on {})",
                a.targets.join(", "),
                a.attempts,
                a.host
            ),
            if a.attempts >= 2 * GUESSES { Level::High } else { Level::Medium },
            &["attack.credential_access", "attack.t1110.001"],
        ),
        CredentialAttackKind::Kerberoasting => (
            "vigil-kerberoasting",
            format!(
                "Kerberoasting: RC4 service tickets for {n} service account{plural} requested by {} from {from} (issued by {})",
                a.account.as_deref().unwrap_or("?"),
                a.host
            ),
            if n >= ROASTED_SERVICES { Level::High } else { Level::Medium },
            &["attack.credential_access", "attack.t1558.003"],
        ),
        CredentialAttackKind::AsrepRoasting => (
            "vigil-asrep-roasting",
            format!(
                "AS-REP roasting: logon tickets without pre-authentication for {} requested from {from} (issued by {})",
                a.targets.join(", "),
                a.host
            ),
            Level::High,
            &["attack.credential_access", "attack.t1558.004"],
        ),
    };
    let Some(event) = a.events.first() else {
        return Vec::new();
    };
    let host = a.source.clone().unwrap_or_else(|| a.host.clone());
    let accounts = a
        .account
        .iter()
        .filter(|x| !names::is_builtin(x) && !names::is_machine(x))
        .cloned()
        .collect();
    let mut e = findings::evidence(
        Finding {
            rule_id,
            title,
            level,
            tags,
        },
        event,
        &a.host,
        &host,
        a.first,
        accounts,
        None,
    );
    // The source's address is the key both ends share (internal addresses
    // are keys only of these findings).
    e.external_ips
        .extend(a.source.as_deref().and_then(names::address));
    let mut found = vec![e.clone()];
    if host != a.host && on_target && !e.external_ips.is_empty() {
        e.host = a.host.clone();
        e.accounts.clear();
        found.push(e);
    }
    found
}

/// The credential attacks that belong to an incident: from a host in scope
/// or by an attacker account, while the incident lasted.
pub(crate) fn in_incident(
    attacks: &[CredentialAttack],
    hosts: &[AffectedHost],
    attacker: &std::collections::BTreeSet<String>,
) -> Vec<CredentialAttack> {
    let (Some(first), Some(last)) = (
        hosts.iter().map(|h| h.first_evidence).min(),
        hosts.iter().map(|h| h.last_evidence).max(),
    ) else {
        return Vec::new();
    };
    attacks
        .iter()
        .filter(|a| a.last >= first && a.first <= last)
        .filter(|a| {
            a.source
                .as_deref()
                .is_some_and(|s| hosts.iter().any(|h| h.host == s))
                || a.account.as_deref().is_some_and(|x| attacker.contains(x))
                || (a.source.is_none() && hosts.iter().any(|h| h.host == a.host))
        })
        .cloned()
        .collect()
}

/// Successful logons of the attack's targets from its source, during it or
/// within half an hour after: passwords the attacker found.
pub(crate) fn logged_on_after(
    attack: &CredentialAttack,
    facts: &Facts,
    resolver: &Resolver,
) -> Vec<(String, DateTime<Utc>, String)> {
    let guessed = matches!(
        attack.kind,
        CredentialAttackKind::PasswordSpray | CredentialAttackKind::PasswordGuessing
    );
    let Some(source) = attack.source.as_deref().filter(|_| guessed) else {
        return Vec::new();
    };
    let until = attack
        .last
        .checked_add_signed(Duration::minutes(30))
        .unwrap_or(attack.last);
    let wanted: Vec<String> = attack.targets.iter().map(|t| key(t)).collect();
    let mut found = Vec::new();
    for l in &facts.logons {
        if l.time < attack.first || l.time > until || !wanted.contains(&key(&l.account)) {
            continue;
        }
        if source_of(
            l.source_ip.as_ref(),
            l.source_workstation.as_ref(),
            resolver,
        )
        .as_deref()
            == Some(source)
        {
            found.push((l.account.clone(), l.time, l.host.clone()));
        }
    }
    for t in &facts.tickets {
        // A ticket without pre-authentication proves no password.
        if t.service_ticket
            || t.pre_auth == Some(0)
            || t.time < attack.first
            || t.time > until
            || !wanted.contains(&key(&t.account))
        {
            continue;
        }
        if source_of(t.source_ip.as_ref(), None, resolver).as_deref() == Some(source) {
            found.push((t.account.clone(), t.time, t.host.clone()));
        }
    }
    found.sort_by_key(|f| f.1);
    let mut seen = Vec::new();
    found.retain(|f| {
        let k = key(&f.0);
        let first = !seen.contains(&k);
        seen.push(k);
        first
    });
    found
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn ticket(seconds: i64, requester: &str, service: &str, encryption: &str) -> Event {
        let mut e = Event::new("dc.evtx");
        e.timestamp =
            Some(Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).unwrap() + Duration::seconds(seconds));
        e.insert("EventID", FieldValue::Int(4769));
        e.insert("EventRecordID", FieldValue::Int(seconds));
        e.insert("Channel", FieldValue::from("Security"));
        e.insert("Computer", FieldValue::from("DC-1.clinic.example"));
        e.insert("TargetUserName", FieldValue::from(requester));
        e.insert("ServiceName", FieldValue::from(service));
        e.insert("TicketEncryptionType", FieldValue::from(encryption));
        e.insert("Status", FieldValue::from("0x0"));
        e.insert("IpAddress", FieldValue::from("::ffff:10.0.0.5"));
        e
    }

    /// Rubeus asking for every SPN at once with RC4: four service accounts in
    /// two seconds is Kerberoasting at high; the same account's AES tickets,
    /// computer accounts and krbtgt are not roastable. Another user's single
    /// RC4 ticket an hour later is reported at medium.
    #[test]
    fn many_rc4_service_tickets_are_kerberoasting() {
        let mut facts = Facts::new();
        let requests = [
            (0, "mallory@CLINIC.EXAMPLE", "svc_sql", "0x17"),
            (0, "mallory@CLINIC.EXAMPLE", "svc_web", "0x17"),
            (1, "mallory@CLINIC.EXAMPLE", "svc_backup", "0x17"),
            (2, "mallory@CLINIC.EXAMPLE", "svc_pacs", "0x18"),
            (2, "mallory@CLINIC.EXAMPLE", "FS-01$", "0x17"),
            (2, "mallory@CLINIC.EXAMPLE", "krbtgt", "0x17"),
            (2, "mallory@CLINIC.EXAMPLE", "svc_files", "0x12"),
            (3600, "bob@CLINIC.EXAMPLE", "svc_sql", "0x17"),
        ];
        for (t, who, service, enc) in requests {
            facts.observe(&ticket(t, who, service, enc), &[]);
        }
        let resolver = Resolver::new(&facts, None);
        let attacks = find(&facts, &resolver);
        assert_eq!(attacks.len(), 2);
        let roast = &attacks[0];
        assert_eq!(roast.kind, CredentialAttackKind::Kerberoasting);
        assert_eq!(roast.account.as_deref(), Some("CLINIC\\mallory"));
        assert_eq!(
            roast.targets,
            ["svc_sql", "svc_web", "svc_backup", "svc_pacs"].map(|s| format!("CLINIC\\{s}"))
        );
        assert_eq!(evidence(roast, false)[0].detection.level, Level::High);
        assert_eq!(evidence(roast, false)[0].host, "10.0.0.5");
        assert_eq!(attacks[1].account.as_deref(), Some("CLINIC\\bob"));
        assert_eq!(
            evidence(&attacks[1], false)[0].detection.level,
            Level::Medium
        );
    }
}
