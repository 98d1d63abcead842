//! Account changes read from Security events — accounts created (4720),
//! enabled (4722), passwords reset (4723/4724), members added to groups
//! (4728/4732/4756) — which of them belong to an incident, and what to do
//! about each.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use vigil_event::{Event, FieldValue, Level};

use crate::facts::{EventRef, Evidence};
use crate::findings;
use crate::incident::{AccountChange, AccountChangeKind, AffectedHost};
use crate::names;

/// One account change as logged.
#[derive(Debug, Clone, Serialize)]
pub struct AccountChangeEvent {
    pub time: DateTime<Utc>,
    pub host: String,
    pub change: AccountChangeKind,
    /// The account changed (for group changes, the member), or its SID when
    /// the event gives no name.
    pub account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The group is one whose members administer hosts or the domain.
    pub privileged: bool,
    /// The account that made the change.
    pub by: Option<String>,
    /// The logon session it was made in.
    pub by_session: Option<String>,
    /// 4723: the account changed its own password (only telling when the
    /// account is the attacker's).
    pub own_password: bool,
    pub event: EventRef,
}

/// Well-known groups whose members control hosts or the domain, by the
/// last part of their SID: BUILTIN (S-1-5-32-…) and domain RIDs.
const BUILTIN_PRIVILEGED: &[&str] = &[
    "544", // Administrators
    "548", // Account Operators
    "549", // Server Operators
    "550", // Print Operators
    "551", // Backup Operators
    "555", // Remote Desktop Users
    "562", // Distributed COM Users
    "578", // Hyper-V Administrators
    "580", // Remote Management Users
];
const DOMAIN_PRIVILEGED: &[&str] = &[
    "512", // Domain Admins
    "516", // Domain Controllers
    "518", // Schema Admins
    "519", // Enterprise Admins
    "520", // Group Policy Creator Owners
    "526", // Key Admins
    "527", // Enterprise Key Admins
];
/// Privileged groups without a fixed RID (DnsAdmins, Exchange's), and the
/// well-known ones by name for events that give no SID.
const PRIVILEGED_NAMES: &[&str] = &[
    "administrators",
    "domain admins",
    "enterprise admins",
    "schema admins",
    "account operators",
    "backup operators",
    "server operators",
    "print operators",
    "remote desktop users",
    "remote management users",
    "distributed com users",
    "hyper-v administrators",
    "group policy creator owners",
    "key admins",
    "enterprise key admins",
    "dnsadmins",
    "exchange trusted subsystem",
    "exchange windows permissions",
    "organization management",
    "exchange organization administrators",
];

/// Whether a group (by SID or name) gives its members control of hosts or the domain.
pub fn is_privileged_group(sid: Option<&str>, name: Option<&str>) -> bool {
    if let Some(sid) = sid.map(str::to_ascii_uppercase) {
        if let Some(rid) = sid.strip_prefix("S-1-5-32-") {
            if BUILTIN_PRIVILEGED.contains(&rid) {
                return true;
            }
        }
        if sid.starts_with("S-1-5-21-") {
            let rid = sid.rsplit('-').next().unwrap_or("");
            if DOMAIN_PRIVILEGED.contains(&rid) {
                return true;
            }
        }
    }
    name.map(|n| names::user_part(n).trim().to_ascii_lowercase())
        .is_some_and(|n| PRIVILEGED_NAMES.contains(&n.as_str()) || n.starts_with("exchange "))
}

fn text<'a>(event: &'a Event, name: &str) -> Option<&'a str> {
    event
        .get(name)
        .and_then(FieldValue::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "-")
}

/// The member of a group change: its name from the directory's DN
/// (`CN=name,…,DC=offsec,DC=lan`), else its SID.
fn member(event: &Event) -> Option<String> {
    if let Some(dn) = text(event, "MemberName") {
        let mut cn = None;
        let mut domain = None;
        // Commas escaped inside a name (`CN=Smith\, John`) are not separators.
        let parts = dn.replace("\\,", "\u{1}");
        for part in parts.split(',') {
            let part = part.trim().replace('\u{1}', ",");
            if let Some(v) = part
                .strip_prefix("CN=")
                .or_else(|| part.strip_prefix("cn="))
            {
                cn.get_or_insert(v.to_string());
            } else if let Some(v) = part
                .strip_prefix("DC=")
                .or_else(|| part.strip_prefix("dc="))
            {
                domain.get_or_insert(v.to_string());
            }
        }
        if let Some(cn) = cn {
            return names::account(domain.as_deref(), &cn);
        }
        return names::account(None, dn);
    }
    text(event, "MemberSid").map(str::to_string)
}

/// Reads an account change from a Security event, if it is one.
pub fn read(event: &Event, id: i64, host: &str, time: DateTime<Utc>) -> Option<AccountChangeEvent> {
    let change = match id {
        4720 => AccountChangeKind::Created,
        4722 => AccountChangeKind::Enabled,
        4723 | 4724 => AccountChangeKind::PasswordReset,
        4728 | 4732 | 4756 => AccountChangeKind::AddedToGroup,
        _ => return None,
    };
    let by = text(event, "SubjectUserName")
        .and_then(|n| names::account(text(event, "SubjectDomainName"), n));
    let by_session = text(event, "SubjectLogonId")
        .map(str::to_ascii_lowercase)
        .filter(|l| !names::is_shared_session(l));
    let target = text(event, "TargetUserName")
        .and_then(|n| names::account(text(event, "TargetDomainName"), n));
    let target_sid = text(event, "TargetSid").map(str::to_string);
    let (account, account_sid, group, privileged) = if change == AccountChangeKind::AddedToGroup {
        let group = text(event, "TargetUserName").map(str::to_string);
        let privileged = is_privileged_group(target_sid.as_deref(), group.as_deref());
        (
            member(event)?,
            text(event, "MemberSid").map(str::to_string),
            group,
            privileged,
        )
    } else {
        (target?, target_sid, None, false)
    };
    let own_password = id == 4723
        && by
            .as_deref()
            .is_some_and(|b| names::user_part(b).eq_ignore_ascii_case(names::user_part(&account)));
    Some(AccountChangeEvent {
        time,
        host: host.to_string(),
        change,
        account,
        account_sid,
        group,
        privileged,
        by,
        by_session,
        own_password,
        event: EventRef::of(event),
    })
}

/// Names for the SIDs the account changes give, so that a member added by
/// SID alone (local groups) is named as the account created just before.
fn sid_names(changes: &[AccountChangeEvent]) -> BTreeMap<String, String> {
    changes
        .iter()
        .filter(|c| c.change != AccountChangeKind::AddedToGroup)
        .filter_map(|c| {
            Some((
                c.account_sid.clone()?.to_ascii_uppercase(),
                c.account.clone(),
            ))
        })
        .collect()
}

/// Gives group members known only by SID the name another change gave them.
pub(crate) fn name_members(changes: &mut [AccountChangeEvent]) {
    let known = sid_names(changes);
    for c in changes.iter_mut() {
        if c.change == AccountChangeKind::AddedToGroup && c.account.starts_with("S-1-") {
            if let Some(name) = known.get(&c.account.to_ascii_uppercase()) {
                c.account = name.clone();
            }
        }
    }
}

/// Whether the change was made by a person or service account (not the
/// machine itself or a built-in identity).
fn by_person(c: &AccountChangeEvent) -> bool {
    c.by.as_deref()
        .is_some_and(|b| !names::is_machine(b) && !names::is_builtin(b))
}

/// The account change as evidence that can start or join an incident: its
/// level says how suspicious the change is on its own.
pub(crate) fn evidence(c: &AccountChangeEvent) -> Option<Evidence> {
    let target_sid = c.account_sid.as_deref().unwrap_or("");
    let builtin_account = target_sid.ends_with("-501") || target_sid.ends_with("-503");
    let by = c.by.as_deref().unwrap_or("an unknown account");
    let (rule_id, title, level, tags): (&str, String, Level, &[&str]) = match c.change {
        AccountChangeKind::Created => (
            "vigil-account-created",
            format!("Account {} created by {by}", c.account),
            if by_person(c) {
                Level::High
            } else {
                Level::Medium
            },
            &["attack.persistence", "attack.t1136"],
        ),
        AccountChangeKind::AddedToGroup if c.privileged => (
            "vigil-account-added-to-privileged-group",
            format!(
                "{} added to privileged group {} by {by}",
                c.account,
                c.group.as_deref().unwrap_or("?")
            ),
            Level::High,
            &[
                "attack.persistence",
                "attack.privilege_escalation",
                "attack.t1098",
            ],
        ),
        // Ordinary groups (Users, Domain Users) give nothing to take back.
        AccountChangeKind::AddedToGroup => return None,
        AccountChangeKind::Enabled => (
            "vigil-account-enabled",
            format!("Account {} enabled by {by}", c.account),
            if builtin_account {
                Level::High
            } else {
                Level::Medium
            },
            &["attack.persistence", "attack.t1078"],
        ),
        AccountChangeKind::PasswordReset if c.own_password => return None,
        AccountChangeKind::PasswordReset => (
            "vigil-account-password-reset",
            format!("Password of {} reset by {by}", c.account),
            Level::Medium,
            &["attack.persistence", "attack.t1098"],
        ),
    };
    let level = match (by_person(c), c.change) {
        (true, _) => level,
        // The system itself making an administrator is what a command run
        // as SYSTEM (a service, PsExec -s) does, and what setup does.
        (false, AccountChangeKind::Created) => Level::Medium,
        (false, AccountChangeKind::AddedToGroup) if c.privileged => Level::Medium,
        // Otherwise the system managing accounts (group policy, installers).
        (false, _) => return None,
    };
    let accounts = c.by.iter().filter(|_| by_person(c)).cloned().collect();
    Some(findings::evidence(
        findings::Finding {
            rule_id,
            title,
            level,
            tags,
        },
        &c.event,
        &c.host,
        &c.host,
        c.time,
        accounts,
        c.by_session.clone(),
    ))
}

/// What to do about a change, in words.
fn action(c: &AccountChangeEvent) -> String {
    match c.change {
        AccountChangeKind::Created => "disable, then delete after evidence is kept".into(),
        AccountChangeKind::AddedToGroup => {
            format!("remove from {}", c.group.as_deref().unwrap_or("the group"))
        }
        AccountChangeKind::PasswordReset => "reset again and check who used it".into(),
        AccountChangeKind::Enabled => "disable".into(),
    }
}

/// Why the account is on the list of accounts to act on.
pub(crate) fn reason(c: &AccountChange) -> String {
    let what = match c.change {
        AccountChangeKind::Created => "created".to_string(),
        AccountChangeKind::Enabled => "enabled".to_string(),
        AccountChangeKind::PasswordReset => "password reset".to_string(),
        AccountChangeKind::AddedToGroup => {
            format!("added to {}", c.group.as_deref().unwrap_or("a group"))
        }
    };
    format!(
        "{what} by {} on {} at {}: {}",
        c.by.as_deref().unwrap_or("an unknown account"),
        c.host,
        c.time.format("%Y-%m-%d %H:%M:%S"),
        c.action
    )
}

/// The account changes that belong to an incident: made by an attacker
/// account, in an attacker's logon session, or on a host in scope while it
/// was compromised.
pub(crate) fn in_incident(
    changes: &[AccountChangeEvent],
    hosts: &[AffectedHost],
    attacker: &BTreeSet<String>,
    sessions: &HashSet<(&str, &str)>,
) -> Vec<AccountChange> {
    let mut found: Vec<AccountChange> = Vec::new();
    for c in changes {
        let by_attacker = c.by.as_deref().is_some_and(|b| attacker.contains(b));
        let in_session = c
            .by_session
            .as_deref()
            .is_some_and(|s| sessions.contains(&(c.host.as_str(), s)));
        let on_host = hosts
            .iter()
            .any(|h| h.host == c.host && c.time >= h.first_evidence && c.time <= h.last_evidence);
        let ordinary_group = c.change == AccountChangeKind::AddedToGroup && !c.privileged;
        if (c.own_password && !by_attacker) || ordinary_group {
            continue;
        }
        if !(by_attacker || in_session || on_host) {
            continue;
        }
        // The same change logged twice (a forwarded copy) is one change.
        if let Some(same) = found.iter_mut().find(|f| {
            f.account == c.account
                && f.change == c.change
                && f.group == c.group
                && f.host == c.host
                && (f.time - c.time).num_seconds().abs() <= 2
        }) {
            if !same.events.contains(&c.event) {
                same.events.push(c.event.clone());
            }
            continue;
        }
        found.push(AccountChange {
            account: c.account.clone(),
            change: c.change,
            group: c.group.clone(),
            by: c.by.clone(),
            host: c.host.clone(),
            time: c.time,
            action: action(c),
            events: vec![c.event.clone()],
        });
    }
    found.sort_by(|a, b| (a.time, &a.account).cmp(&(b.time, &b.account)));
    fold_into_creations(found)
}

/// `net user NAME PASSWORD /add` logs the account enabled and its password
/// set right after creating it: parts of the creation, not changes of their own.
fn fold_into_creations(changes: Vec<AccountChange>) -> Vec<AccountChange> {
    let mut kept: Vec<AccountChange> = Vec::new();
    for c in changes {
        let part_of = matches!(
            c.change,
            AccountChangeKind::Enabled | AccountChangeKind::PasswordReset
        );
        let creation = kept.iter_mut().find(|k| {
            part_of
                && k.change == AccountChangeKind::Created
                && k.account == c.account
                && k.host == c.host
                && c.time >= k.time
                && (c.time - k.time).num_seconds() <= 60
        });
        match creation {
            Some(k) => k.events.extend(c.events),
            None => kept.push(c),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(id: i64, fields: &[(&str, &str)]) -> Event {
        let mut e = Event::new("Security.evtx");
        e.insert("EventID", FieldValue::Int(id));
        e.insert("EventRecordID", FieldValue::Int(77));
        for (k, v) in fields {
            e.insert(*k, FieldValue::from(*v));
        }
        e
    }

    fn time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).unwrap()
    }

    #[test]
    fn privileged_groups_by_sid_and_name() {
        assert!(is_privileged_group(Some("S-1-5-32-544"), None));
        assert!(is_privileged_group(
            Some("S-1-5-21-1-2-3-512"),
            Some("Admins du domaine")
        ));
        assert!(is_privileged_group(
            Some("S-1-5-21-1-2-3-1102"),
            Some("DnsAdmins")
        ));
        assert!(is_privileged_group(
            None,
            Some("OFFSEC\\Exchange Trusted Subsystem")
        ));
        assert!(!is_privileged_group(
            Some("S-1-5-21-1-2-3-513"),
            Some("Domain Users")
        ));
        assert!(!is_privileged_group(Some("S-1-5-32-545"), Some("Users")));
    }

    #[test]
    fn a_member_added_by_sid_is_named_as_the_account_created() {
        let created = event(
            4720,
            &[
                ("SubjectUserName", "admmig"),
                ("SubjectDomainName", "OFFSEC"),
                ("SubjectLogonId", "0x1d2f3"),
                ("TargetUserName", "backdoor"),
                ("TargetDomainName", "WS01"),
                ("TargetSid", "S-1-5-21-9-9-9-1001"),
            ],
        );
        let added = event(
            4732,
            &[
                ("SubjectUserName", "admmig"),
                ("SubjectDomainName", "OFFSEC"),
                ("SubjectLogonId", "0x1d2f3"),
                ("MemberName", "-"),
                ("MemberSid", "S-1-5-21-9-9-9-1001"),
                ("TargetUserName", "Administrators"),
                ("TargetDomainName", "Builtin"),
                ("TargetSid", "S-1-5-32-544"),
            ],
        );
        let mut changes = vec![
            read(&created, 4720, "WS01", time()).unwrap(),
            read(&added, 4732, "WS01", time()).unwrap(),
        ];
        name_members(&mut changes);
        assert_eq!(changes[1].account, "WS01\\backdoor");
        assert!(changes[1].privileged);
        assert_eq!(changes[1].by_session.as_deref(), Some("0x1d2f3"));
        let e = evidence(&changes[1]).unwrap();
        assert_eq!(e.detection.level, Level::High);
        assert_eq!(e.accounts, vec!["OFFSEC\\admmig".to_string()]);
        assert_eq!(e.detection.record_id, Some(77));
        assert_eq!(evidence(&changes[0]).unwrap().detection.level, Level::High);
    }

    #[test]
    fn a_domain_member_is_named_from_its_distinguished_name() {
        let added = event(
            4728,
            &[
                ("SubjectUserName", "admmig"),
                ("SubjectDomainName", "OFFSEC"),
                ("MemberName", "CN=Smith\\, John,OU=Users,DC=offsec,DC=lan"),
                ("MemberSid", "S-1-5-21-1-2-3-1200"),
                ("TargetUserName", "Domain Admins"),
                ("TargetSid", "S-1-5-21-1-2-3-512"),
            ],
        );
        let c = read(&added, 4728, "DC1", time()).unwrap();
        assert_eq!(c.account, "OFFSEC\\Smith, John");
        assert_eq!(c.group.as_deref(), Some("Domain Admins"));
        assert!(c.privileged);
    }

    #[test]
    fn changes_by_the_system_itself_are_not_evidence() {
        let enabled = event(
            4722,
            &[
                ("SubjectUserName", "WS01$"),
                ("SubjectDomainName", "OFFSEC"),
                ("TargetUserName", "defaultuser0"),
                ("TargetDomainName", "WS01"),
            ],
        );
        let c = read(&enabled, 4722, "WS01", time()).unwrap();
        assert!(evidence(&c).is_none());
        let own = event(
            4723,
            &[
                ("SubjectUserName", "bob"),
                ("SubjectDomainName", "OFFSEC"),
                ("TargetUserName", "bob"),
                ("TargetDomainName", "OFFSEC"),
            ],
        );
        let c = read(&own, 4723, "DC1", time()).unwrap();
        assert!(c.own_password && evidence(&c).is_none());
    }
}
