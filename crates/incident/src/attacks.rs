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

mod guessing;
mod roasting;

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

/// Statuses that say the name tried is no account: Kerberos
/// `KDC_ERR_C_PRINCIPAL_UNKNOWN`, NTLM `STATUS_NO_SUCH_USER`.
const UNKNOWN_ACCOUNT: &[i64] = &[0x6, 0xc0000064];
/// The window of a spray or a roasting run.
const WINDOW: i64 = 10 * 60;
/// Events kept per attack, to point at.
const SAMPLE: usize = 20;

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
    let mut attacks = guessing::failures(facts, resolver);
    attacks.extend(guessing::explicit_sprays(facts));
    attacks.extend(roasting::roasting(facts, resolver));
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
            if a.attempts >= 2 * guessing::GUESSES { Level::High } else { Level::Medium },
            &["attack.credential_access", "attack.t1110.001"],
        ),
        CredentialAttackKind::Kerberoasting => (
            "vigil-kerberoasting",
            format!(
                "Kerberoasting: RC4 service tickets for {n} service account{plural} requested by {} from {from} (issued by {})",
                a.account.as_deref().unwrap_or("?"),
                a.host
            ),
            if n >= roasting::ROASTED_SERVICES { Level::High } else { Level::Medium },
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
