//! Credential exposure: which accounts to rotate after an incident, why, and
//! in what order.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use vigil_event::Level;

use crate::facts::{Evidence, Facts};
use crate::findings::{self, Finding};
use crate::incident::{
    AccountChange, AccountToRotate, AffectedHost, CredentialAttack, CredentialAttackKind,
    CredentialExposure,
};
use crate::inventory::Inventory;
use crate::movement::{Edge, Resolver};
use crate::{account_flags, accounts, attacks, names};

/// Events a domain controller logs about other hosts' authentications:
/// a rule firing on them says nothing about the controller's own secrets.
const AUTHENTICATION: &[i64] = &[4624, 4625, 4648, 4768, 4769, 4771, 4776];

/// Logon types that leave reusable secrets in the host's memory:
/// interactive, unlock, runas /netonly, RDP, cached interactive.
const SECRETS_IN_MEMORY: &[i64] = &[2, 7, 9, 10, 11];

fn logon_kind(logon_type: i64) -> &'static str {
    match logon_type {
        2 => "interactive logon (type 2)",
        7 => "unlock (type 7)",
        9 => "new-credentials logon (type 9)",
        10 => "RDP logon (type 10)",
        11 => "cached interactive logon (type 11)",
        _ => "logon",
    }
}

struct Entry {
    urgency: u8,
    reasons: Vec<String>,
    hosts: BTreeSet<String>,
    first_seen: DateTime<Utc>,
}

#[derive(Default)]
struct Ledger {
    entries: BTreeMap<String, Entry>,
}

impl Ledger {
    fn add(&mut self, account: &str, urgency: u8, reason: String, host: &str, time: DateTime<Utc>) {
        let entry = self.entries.entry(account.to_string()).or_insert(Entry {
            urgency,
            reasons: Vec::new(),
            hosts: BTreeSet::new(),
            first_seen: time,
        });
        entry.urgency = entry.urgency.min(urgency);
        entry.first_seen = entry.first_seen.min(time);
        entry.hosts.insert(host.to_string());
        if !entry.reasons.contains(&reason) && entry.reasons.len() < 4 {
            entry.reasons.push(reason);
        }
    }
}

/// What an incident means for accounts: the credentials to rotate, the
/// account changes to undo and the credential attacks behind them.
pub(crate) struct Assessment {
    pub credentials: CredentialExposure,
    pub account_changes: Vec<AccountChange>,
    pub credential_attacks: Vec<CredentialAttack>,
}

pub(crate) fn exposure(
    hosts: &[AffectedHost],
    edges: &[Edge],
    attacker: &BTreeSet<String>,
    list: &[usize],
    evidence: &[Evidence],
    facts: &Facts,
    inventory: Option<&Inventory>,
) -> Assessment {
    let scope: HashMap<&str, &AffectedHost> = hosts.iter().map(|h| (h.host.as_str(), h)).collect();
    let mut ledger = Ledger::default();
    let sessions: HashSet<(&str, &str)> = list
        .iter()
        .map(|&i| &evidence[i])
        .filter_map(|e| Some((e.host.as_str(), e.logon_id.as_deref()?)))
        .collect();
    let account_changes = accounts::in_incident(&facts.account_changes, hosts, attacker, &sessions);
    for change in &account_changes {
        ledger.add(
            &change.account,
            1,
            accounts::reason(change),
            &change.host,
            change.time,
        );
    }
    for (w, reason) in
        account_flags::in_incident(&facts.accounts_weakened, hosts, attacker, &sessions)
    {
        ledger.add(&w.account, 1, reason, &w.host, w.time);
    }
    let credential_attacks = attacks::in_incident(&facts.credential_attacks, hosts, attacker);
    let resolver = Resolver::new(facts, inventory);
    for attack in &credential_attacks {
        targeted(&mut ledger, attack, facts, &resolver);
    }
    for edge in edges {
        if let Some(account) = &edge.account {
            ledger.add(
                account,
                1,
                format!(
                    "used by the attacker: {} from {} to {} at {}",
                    edge.method.as_str(),
                    edge.from,
                    edge.to,
                    edge.time.format("%Y-%m-%d %H:%M")
                ),
                &edge.to,
                edge.time,
            );
        }
    }
    for &i in list {
        let e = &evidence[i];
        for account in &e.accounts {
            if attacker.contains(account) {
                ledger.add(
                    account,
                    1,
                    format!(
                        "acting in attacker activity on {}: {}",
                        e.host, e.detection.rule_title
                    ),
                    &e.host,
                    e.time,
                );
            }
        }
    }
    let privileged: BTreeSet<(&str, &str)> = facts
        .privileged_sessions
        .iter()
        .map(|(h, s)| (h.as_str(), s.as_str()))
        .collect();
    for logon in &facts.logons {
        let Some(host) = scope.get(logon.host.as_str()) else {
            continue;
        };
        if names::is_builtin(&logon.account) {
            continue;
        }
        let in_window = logon.time >= host.first_evidence && logon.time <= host.last_evidence;
        if logon.logon_type == 5 {
            ledger.add(
                &logon.account,
                3,
                format!(
                    "service account: a service runs as it on compromised host {}",
                    logon.host
                ),
                &logon.host,
                logon.time,
            );
        } else if in_window && SECRETS_IN_MEMORY.contains(&logon.logon_type) {
            let is_privileged = logon
                .logon_id
                .as_deref()
                .is_some_and(|s| privileged.contains(&(logon.host.as_str(), s)));
            ledger.add(
                &logon.account,
                if is_privileged { 2 } else { 3 },
                format!(
                    "{} on {} at {} while it was compromised: its secrets were in memory there{}",
                    logon_kind(logon.logon_type),
                    logon.host,
                    logon.time.format("%Y-%m-%d %H:%M"),
                    if is_privileged {
                        " (privileged session)"
                    } else {
                        ""
                    }
                ),
                &logon.host,
                logon.time,
            );
        }
    }
    for service in &facts.services {
        if let (Some(account), true) = (&service.run_as, scope.contains_key(service.host.as_str()))
        {
            ledger.add(
                account,
                3,
                format!(
                    "service account: service {} on compromised host {} runs as it",
                    service.service, service.host
                ),
                &service.host,
                service.time,
            );
        }
    }
    let mut domain_wide = Vec::new();
    // Vigil's own findings, and rules on the authentication events a
    // controller logs for the whole domain, are weighed apart: an attack logged on a domain
    // controller (a spray, a roasted ticket) is not theft of its secrets.
    let dumped_on_dc = list
        .iter()
        .map(|&i| &evidence[i])
        .filter(|e| !findings::is_finding(&e.detection))
        .filter(|e| {
            !e.detection
                .event_id
                .is_some_and(|id| AUTHENTICATION.contains(&id))
        })
        .filter(|e| {
            e.detection.tags.iter().any(|t| {
                crate::build::tactic(t) == Some("credential_access")
                    || t.starts_with("attack.t1003")
            })
        })
        .find_map(|e| Some((e, facts.controllers.role(&e.host, inventory)?)));
    let dumped_on_dc = dumped_on_dc.map(|(e, role)| {
        let what = format!(
            "credential theft on domain controller {} (\"{}\" at {}; {}): reset the krbtgt account twice (with replication in between) and rotate all domain accounts",
            e.host,
            e.detection.rule_title,
            e.time.format("%Y-%m-%d %H:%M"),
            role.because()
        );
        (e.host.as_str(), what)
    });
    let (first, last) = (
        hosts.iter().map(|h| h.first_evidence).min(),
        hosts.iter().map(|h| h.last_evidence).max(),
    );
    let mut replicated: BTreeSet<(&str, &str)> = BTreeSet::new();
    for r in &facts.dcsync {
        let (time, host, account) = (&r.time, &r.host, &r.account);
        if replicated.contains(&(host.as_str(), account.as_str())) {
            continue;
        }
        let within = first
            .zip(last)
            .is_some_and(|(f, l)| *time >= f && *time <= l);
        if within && (attacker.contains(account) || scope.contains_key(host.as_str())) {
            // Only a domain controller logs directory replication; say how
            // this one is known to be one.
            let role = facts
                .controllers
                .role(host, inventory)
                .map(|r| format!(" ({host}: {})", r.because()))
                .unwrap_or_default();
            domain_wide.push(format!(
                "DCSync by {account} seen on {host} at {} ({}){role}: every domain secret can be read this way — reset the krbtgt account twice and rotate all domain accounts",
                time.format("%Y-%m-%d %H:%M"),
                r.event
            ));
            ledger.add(
                account,
                1,
                "performed DCSync (directory replication)".into(),
                host,
                *time,
            );
            replicated.insert((host, account));
        }
    }
    // DCSync already says what theft on that controller calls for.
    if let Some((host, what)) = dumped_on_dc {
        if !replicated.iter().any(|(h, _)| *h == host) {
            domain_wide.push(what);
        }
    }
    // An attacker who ran code on a domain controller could read the
    // directory's database, krbtgt's key with it, whether or not a rule saw
    // the theft itself.
    if domain_wide.is_empty() {
        let on_dc = edges.iter().filter(|e| e.strong).find_map(|e| {
            let role = facts.controllers.role(&e.to, inventory)?;
            Some((e, role))
        });
        if let Some((edge, role)) = on_dc {
            domain_wide.push(format!(
                "the attacker ran code on domain controller {} ({} from {} as {} at {}; {}): its directory database, krbtgt's key included, must be taken as read — reset the krbtgt account twice (with replication in between) and rotate all domain accounts",
                edge.to,
                edge.method.as_str(),
                edge.from,
                edge.account.as_deref().unwrap_or("an unknown account"),
                edge.time.format("%Y-%m-%d %H:%M"),
                role.because()
            ));
        }
    }
    let mut accounts = Vec::new();
    let mut machine_accounts = Vec::new();
    for (account, entry) in ledger.entries {
        let item = AccountToRotate {
            account: account.clone(),
            urgency: entry.urgency,
            reasons: entry.reasons,
            hosts: entry.hosts.into_iter().collect(),
            first_seen: entry.first_seen,
        };
        if names::is_machine(&account) {
            machine_accounts.push(item);
        } else {
            accounts.push(item);
        }
    }
    accounts.sort_by_key(|a| (a.urgency, a.first_seen));
    let domain = inventory.and_then(|i| i.domain.clone());
    // Hosts known only by an address have no computer account to name.
    for host in hosts
        .iter()
        .filter(|h| h.host.parse::<std::net::IpAddr>().is_err())
    {
        let name = match &domain {
            Some(d) => format!("{d}\\{}$", host.host),
            None => format!("{}$", host.host),
        };
        if !machine_accounts
            .iter()
            .any(|m| m.account.eq_ignore_ascii_case(&name))
        {
            machine_accounts.push(AccountToRotate {
                account: name,
                urgency: 3,
                reasons: vec![format!("computer account of compromised host {}: reset it when the host is rebuilt or rejoined", host.host)],
                hosts: vec![host.host.clone()],
                first_seen: host.first_evidence,
            });
        }
    }
    let credentials = CredentialExposure {
        domain_wide,
        accounts,
        machine_accounts,
        not_covered: vec![
            "local accounts and application passwords stored on compromised hosts (practice software, databases, browsers, connectors) are not in Windows logon events: rotate them for every host in scope".into(),
            "accounts whose logons were not in the evidence given (hosts without logs, expired logs)".into(),
            "keys, certificates and tokens read from disk (SSH keys, API tokens, web.config secrets)".into(),
        ],
    };
    Assessment {
        credentials,
        account_changes,
        credential_attacks,
    }
}

/// Puts the accounts a credential attack aimed at on the ledger: the ones
/// whose password the attacker may now know first.
fn targeted(ledger: &mut Ledger, attack: &CredentialAttack, facts: &Facts, resolver: &Resolver) {
    let from = attack.source.as_deref().unwrap_or("an unknown source");
    let at = attack.first.format("%Y-%m-%d %H:%M:%S");
    let by = attack.account.as_deref().unwrap_or("an unknown account");
    let (urgency, reason) = match attack.kind {
        CredentialAttackKind::PasswordSpray => (3, format!("password sprayed from {from} at {at}")),
        CredentialAttackKind::PasswordGuessing => (
            2,
            format!("password guessed from {from} at {at} ({} attempts)", attack.attempts),
        ),
        CredentialAttackKind::Kerberoasting => (
            2,
            format!("service ticket requested with RC4 by {by} from {from} at {at}: offline cracking of its password is possible"),
        ),
        CredentialAttackKind::AsrepRoasting => (
            2,
            format!("logon ticket issued without pre-authentication to {from} at {at}: offline cracking of its password is possible; require pre-authentication"),
        ),
    };
    for target in &attack.targets {
        ledger.add(target, urgency, reason.clone(), &attack.host, attack.first);
    }
    for (account, time, host) in attacks::logged_on_after(attack, facts, resolver) {
        ledger.add(
            &account,
            1,
            format!(
                "logged on from {from} at {} right after its password was {}: the attacker has it",
                time.format("%Y-%m-%d %H:%M:%S"),
                if attack.kind == CredentialAttackKind::PasswordSpray {
                    "sprayed"
                } else {
                    "attacked"
                }
            ),
            &host,
            time,
        );
    }
}

/// DCSync by a user account as evidence on the domain controller, in the
/// session that asked, so that it starts an incident and its session leads
/// back to where the attacker came from.
pub(crate) fn dcsync_evidence(facts: &Facts) -> Vec<Evidence> {
    let mut seen: BTreeSet<(&str, &str, Option<&str>)> = BTreeSet::new();
    let mut found = Vec::new();
    for r in &facts.dcsync {
        // Azure AD Connect's sync account replicates by design.
        if names::user_part(&r.account)
            .to_ascii_uppercase()
            .starts_with("MSOL_")
        {
            continue;
        }
        if !seen.insert((&r.host, &r.account, r.logon_id.as_deref())) {
            continue;
        }
        found.push(findings::evidence(
            Finding {
                rule_id: "vigil-dcsync",
                title: format!(
                    "DCSync: directory replication requested by {} on {}",
                    r.account, r.host
                ),
                level: Level::High,
                tags: &["attack.credential_access", "attack.t1003.006"],
            },
            &r.event,
            &r.host,
            &r.host,
            r.time,
            vec![r.account.clone()],
            r.logon_id.clone(),
        ));
    }
    found
}
