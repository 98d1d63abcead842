//! Credential exposure: which accounts to rotate after an incident, why, and
//! in what order.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use crate::facts::{Evidence, Facts};
use crate::incident::{AccountToRotate, AffectedHost, CredentialExposure};
use crate::inventory::Inventory;
use crate::movement::Edge;
use crate::names;

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

pub(crate) fn exposure(
    hosts: &[AffectedHost],
    edges: &[Edge],
    attacker: &BTreeSet<String>,
    list: &[usize],
    evidence: &[Evidence],
    facts: &Facts,
    inventory: Option<&Inventory>,
) -> CredentialExposure {
    let scope: HashMap<&str, &AffectedHost> = hosts.iter().map(|h| (h.host.as_str(), h)).collect();
    let mut ledger = Ledger::default();
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
    let dumped_on_dc = list.iter().map(|&i| &evidence[i]).find(|e| {
        inventory.is_some_and(|inv| inv.is_domain_controller(&e.host))
            && e.detection.tags.iter().any(|t| {
                crate::build::tactic(t) == Some("credential_access")
                    || t.starts_with("attack.t1003")
            })
    });
    if let Some(e) = dumped_on_dc {
        domain_wide.push(format!(
            "credential theft on domain controller {} (\"{}\" at {}): reset the krbtgt account twice (with replication in between) and rotate all domain accounts",
            e.host,
            e.detection.rule_title,
            e.time.format("%Y-%m-%d %H:%M")
        ));
    }
    let (first, last) = (
        hosts.iter().map(|h| h.first_evidence).min(),
        hosts.iter().map(|h| h.last_evidence).max(),
    );
    let mut replicated: BTreeSet<(&str, &str)> = BTreeSet::new();
    for (time, host, account) in &facts.dcsync {
        if replicated.contains(&(host.as_str(), account.as_str())) {
            continue;
        }
        let within = first
            .zip(last)
            .is_some_and(|(f, l)| *time >= f && *time <= l);
        if within && (attacker.contains(account) || scope.contains_key(host.as_str())) {
            domain_wide.push(format!(
                "DCSync by {account} seen on {host} at {}: reset the krbtgt account twice and rotate all domain accounts",
                time.format("%Y-%m-%d %H:%M")
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
    CredentialExposure {
        domain_wide,
        accounts,
        machine_accounts,
        not_covered: vec![
            "local accounts and application passwords stored on compromised hosts (practice software, databases, browsers, connectors) are not in Windows logon events: rotate them for every host in scope".into(),
            "accounts whose logons were not in the evidence given (hosts without logs, expired logs)".into(),
            "keys, certificates and tokens read from disk (SSH keys, API tokens, web.config secrets)".into(),
        ],
    }
}
