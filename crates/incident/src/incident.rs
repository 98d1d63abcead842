//! What an incident says: its severity and time span, the hosts in scope and
//! why, how the attacker moved, and which credentials to rotate.

use chrono::{DateTime, Utc};
use serde::Serialize;
use vigil_event::Level;

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
    pub detections: Vec<DetectionRef>,
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
