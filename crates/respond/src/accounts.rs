//! The accounts part of containment: which accounts to disable (the
//! attacker made them), reset (the attacker used them) or rotate (their
//! secrets were exposed), and the domain-wide steps when the domain's own
//! keys may be in the attacker's hands.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use vigil_incident::{AccountToRotate, Incident};

/// An account change the attacker made (created, enabled, added to a
/// group, password reset), as the incidents' account changes will list it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccountToDisable {
    /// `DOMAIN\name`.
    pub account: String,
    /// What the attacker did, in words ("created", "added to Domain Admins").
    pub change: String,
    /// What to do, in words ("disable", "remove from Domain Admins").
    pub action: String,
    pub host: String,
    pub time: DateTime<Utc>,
    /// The events that show it.
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// The account changes the incidents found the attacker making, as the
/// plan takes them.
pub fn attacker_account_changes(incidents: &[Incident]) -> Vec<AccountToDisable> {
    incidents
        .iter()
        .flat_map(|incident| &incident.account_changes)
        .map(|c| AccountToDisable {
            account: c.account.clone(),
            change: match (&c.group, c.change) {
                (Some(group), vigil_incident::AccountChangeKind::AddedToGroup) => {
                    format!("added to {group}")
                }
                (_, kind) => kind.as_str().replace('_', " "),
            },
            action: c.action.clone(),
            host: c.host.clone(),
            time: c.time,
            evidence: c.events.iter().map(ToString::to_string).collect(),
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStep {
    /// Made or changed by the attacker: switch it off.
    Disable,
    /// Used by the attacker: new password now, sessions ended.
    Reset,
    /// Its secrets were where the attacker was: new password.
    Rotate,
}

impl AccountStep {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStep::Disable => "disable",
            AccountStep::Reset => "reset",
            AccountStep::Rotate => "rotate",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountAction {
    pub account: String,
    pub action: AccountStep,
    /// 1 is most urgent.
    pub urgency: u8,
    /// What to do, in words.
    pub instruction: String,
    pub reasons: Vec<String>,
    pub hosts: Vec<String>,
    pub machine_account: bool,
}

/// One of the domain-wide steps, in the order they must be taken.
#[derive(Debug, Clone, Serialize)]
pub struct DomainStep {
    pub action: String,
    pub why: String,
}

/// The Kerberos ticket lifetime Active Directory grants by default: a
/// second krbtgt reset before it has passed also voids legitimate tickets.
pub const MAX_TICKET_HOURS: i64 = 10;

/// Accounts to act on, most drastic and most urgent first.
pub fn account_actions(incidents: &[Incident], changes: &[AccountToDisable]) -> Vec<AccountAction> {
    let mut by_account: BTreeMap<String, AccountAction> = BTreeMap::new();
    let mut add = |account: &str,
                   step: AccountStep,
                   urgency: u8,
                   instruction: String,
                   reasons: &[String],
                   hosts: &[String],
                   machine: bool| {
        let entry = by_account
            .entry(account.to_ascii_uppercase())
            .or_insert_with(|| AccountAction {
                account: account.to_string(),
                action: step,
                urgency,
                instruction: instruction.clone(),
                reasons: Vec::new(),
                hosts: Vec::new(),
                machine_account: machine,
            });
        if step < entry.action {
            entry.action = step;
            entry.instruction = instruction;
        }
        entry.urgency = entry.urgency.min(urgency);
        for r in reasons {
            if !entry.reasons.contains(r) {
                entry.reasons.push(r.clone());
            }
        }
        for h in hosts {
            if !entry.hosts.contains(h) {
                entry.hosts.push(h.clone());
            }
        }
    };
    for c in changes {
        add(
            &c.account,
            AccountStep::Disable,
            1,
            c.action.clone(),
            &[format!(
                "{} by the attacker on {} at {}{}",
                c.change,
                c.host,
                c.time.format("%Y-%m-%d %H:%M UTC"),
                if c.evidence.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", c.evidence.join("; "))
                }
            )],
            std::slice::from_ref(&c.host),
            false,
        );
    }
    for incident in incidents {
        for a in &incident.attacker_accounts {
            add(
                a,
                AccountStep::Reset,
                1,
                reset_instruction(),
                &[format!(
                    "seen acting for the attacker in incident {}",
                    incident.id
                )],
                &[],
                false,
            );
        }
        for a in &incident.credentials.accounts {
            let (step, instruction) = step_of(a);
            add(
                &a.account,
                step,
                a.urgency,
                instruction,
                &a.reasons,
                &a.hosts,
                false,
            );
        }
        for a in &incident.credentials.machine_accounts {
            add(
                &a.account,
                AccountStep::Rotate,
                a.urgency.max(2),
                "reset the computer account when the host is rebuilt or rejoined to the domain"
                    .into(),
                &a.reasons,
                &a.hosts,
                true,
            );
        }
    }
    let mut actions: Vec<AccountAction> = by_account.into_values().collect();
    actions.sort_by(|a, b| {
        (a.action, a.urgency, a.machine_account, &a.account).cmp(&(
            b.action,
            b.urgency,
            b.machine_account,
            &b.account,
        ))
    });
    actions
}

fn reset_instruction() -> String {
    "reset the password now, end its sessions and revoke its tickets and tokens".into()
}

fn step_of(a: &AccountToRotate) -> (AccountStep, String) {
    if a.urgency <= 1 {
        (AccountStep::Reset, reset_instruction())
    } else {
        (
            AccountStep::Rotate,
            "change the password once the hosts it was exposed on are cut off, from a clean machine"
                .into(),
        )
    }
}

/// The domain-wide steps, in order, when an incident calls for them.
pub fn domain_steps(incidents: &[Incident]) -> Vec<DomainStep> {
    let reasons: Vec<&str> = incidents
        .iter()
        .flat_map(|i| &i.credentials.domain_wide)
        .map(String::as_str)
        .collect();
    if reasons.is_empty() {
        return Vec::new();
    }
    vec![
        DomainStep {
            action: "reset the krbtgt account's password (first of two resets)".into(),
            why: format!(
                "the domain's ticket-signing key may be in the attacker's hands, letting it forge tickets for any account: {}",
                reasons.join("; ")
            ),
        },
        DomainStep {
            action: format!(
                "wait until the reset has replicated to every domain controller, and at least {MAX_TICKET_HOURS} hours (the maximum ticket lifetime)"
            ),
            why: "the domain still accepts tickets signed with the previous key; resetting again before they expire voids the legitimate ones too and breaks logons and services".into(),
        },
        DomainStep {
            action: "reset the krbtgt account's password a second time".into(),
            why: "only the second reset retires the key the attacker may hold: the domain keeps the previous one".into(),
        },
        DomainStep {
            action: "rotate the passwords of all domain accounts (people, administrators, services)".into(),
            why: "the attacker may have read every account's secrets from the domain's database".into(),
        },
    ]
}
