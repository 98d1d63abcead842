//! What an incident says: its severity and time span, the hosts in scope and
//! why, how the attacker moved, and which credentials to rotate.

use chrono::{DateTime, Utc};
use serde::Serialize;
use vigil_event::Level;

use crate::facts::EventRef;
use crate::movement::Edge;

#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub id: usize,
    pub severity: Level,
    pub first_evidence: DateTime<Utc>,
    pub last_evidence: DateTime<Utc>,
    /// ATT&CK tactics from the rules' tags, in the order they were first seen.
    pub tactics: Vec<String>,
    pub summary: String,
    pub patient_zero: Option<PatientZero>,
    pub hosts: Vec<AffectedHost>,
    pub lateral_movement: Vec<Edge>,
    /// Accounts seen acting for the attacker.
    pub attacker_accounts: Vec<String>,
    pub credentials: CredentialExposure,
    /// Accounts the attacker created, enabled, reset or put in groups: to
    /// disable or remove, not just rotate.
    pub account_changes: Vec<AccountChange>,
    /// Password spraying, guessing and ticket roasting by the attacker.
    pub credential_attacks: Vec<CredentialAttack>,
    pub detections: Vec<DetectionRef>,
}

/// What happened to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountChangeKind {
    Created,
    Enabled,
    PasswordReset,
    AddedToGroup,
}

impl AccountChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountChangeKind::Created => "created",
            AccountChangeKind::Enabled => "enabled",
            AccountChangeKind::PasswordReset => "password_reset",
            AccountChangeKind::AddedToGroup => "added_to_group",
        }
    }
}

/// An account change made by the attacker, and what to do about it.
#[derive(Debug, Clone, Serialize)]
pub struct AccountChange {
    pub account: String,
    pub change: AccountChangeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Who made the change.
    pub by: Option<String>,
    /// Where it was logged.
    pub host: String,
    pub time: DateTime<Utc>,
    /// What to do, in words.
    pub action: String,
    pub events: Vec<EventRef>,
}

/// A way of stealing passwords by trying them or by cracking tickets offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialAttackKind {
    /// One source, many accounts, few passwords each.
    PasswordSpray,
    /// One source, one account, many passwords.
    PasswordGuessing,
    /// Service tickets with weak encryption requested for offline cracking.
    Kerberoasting,
    /// Logon tickets of accounts without pre-authentication, for offline cracking.
    AsrepRoasting,
}

impl CredentialAttackKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialAttackKind::PasswordSpray => "password_spray",
            CredentialAttackKind::PasswordGuessing => "password_guessing",
            CredentialAttackKind::Kerberoasting => "kerberoasting",
            CredentialAttackKind::AsrepRoasting => "asrep_roasting",
        }
    }
}

/// Password attempts or ticket requests from one source, seen as one attack.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialAttack {
    pub kind: CredentialAttackKind,
    /// The host or address it came from.
    pub source: Option<String>,
    /// Who ran it, when known.
    pub account: Option<String>,
    /// Where it was logged.
    pub host: String,
    pub targets: Vec<String>,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub attempts: u64,
    /// A sample of the events, at most 20.
    pub events: Vec<EventRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PatientZero {
    pub host: String,
    pub reasoning: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AffectedHost {
    pub host: String,
    pub role: Option<String>,
    pub first_evidence: DateTime<Utc>,
    pub last_evidence: DateTime<Utc>,
    /// Rule titles that fired on the host, most severe first.
    pub detections: Vec<String>,
    /// The lateral-movement hops into the host, in words.
    pub reached_by: Vec<String>,
    /// For a host in scope only as where the attacker came from: the hop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// One detection of the incident, enough to find it in the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct DetectionRef {
    pub time: DateTime<Utc>,
    pub host: String,
    pub rule_title: String,
    pub level: Level,
    pub record_id: Option<u64>,
    pub source: String,
    /// Vigil's own finding (an account change, a credential attack) rather
    /// than a rule's detection: not counted among the hunt's detections.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub finding: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CredentialExposure {
    /// Actions that reach beyond single accounts (krbtgt, all domain accounts).
    pub domain_wide: Vec<String>,
    /// People and service accounts to rotate, most urgent first.
    pub accounts: Vec<AccountToRotate>,
    /// Computer accounts (`HOST$`) seen on compromised hosts: reset by rejoining
    /// or rebuilding the hosts.
    pub machine_accounts: Vec<AccountToRotate>,
    /// What this list cannot see.
    pub not_covered: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountToRotate {
    pub account: String,
    /// 1 is most urgent.
    pub urgency: u8,
    pub reasons: Vec<String>,
    pub hosts: Vec<String>,
    pub first_seen: DateTime<Utc>,
}
