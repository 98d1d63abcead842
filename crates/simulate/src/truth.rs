//! The ground truth of a simulation: what the attacker did, where and when,
//! for checking what a detection or scoping tool finds against.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::estate::Role;
use crate::Config;

/// Everything that is known about the simulated intrusion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub seed: u64,
    pub config: Config,
    /// The host the intrusion started on; `None` when the attack was disabled.
    pub patient_zero: Option<String>,
    pub compromised_hosts: Vec<CompromisedHost>,
    /// Accounts the attacker used, with how they got them.
    pub attacker_accounts: Vec<AccountUse>,
    /// Accounts that logged on interactively or over RDP on a compromised host
    /// while it was compromised: their credentials may be in the attacker's hands.
    pub exposed_accounts: Vec<ExposedAccount>,
    pub lateral_movement: Vec<LateralMovement>,
    /// Accounts the attacker created to come back with.
    #[serde(default)]
    pub backdoor_accounts: Vec<BackdoorAccount>,
    pub exfiltration: Vec<Exfiltration>,
    pub encrypted_hosts: Vec<String>,
    /// Every step of the attack, in time order.
    pub steps: Vec<AttackStep>,
}

/// A host the attacker controlled, from the first to the last malicious event on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompromisedHost {
    pub host: String,
    pub role: Role,
    pub first_malicious: DateTime<Utc>,
    pub last_malicious: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountUse {
    /// `DOMAIN\name`.
    pub account: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExposedAccount {
    /// `DOMAIN\name`.
    pub account: String,
    pub host: String,
    /// The first such logon.
    pub time: DateTime<Utc>,
    pub reason: String,
}

/// How the attacker moved from one host to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Rdp,
    SmbPsexec,
    Winrm,
    /// `Win32_Process.Create` on the target (`wmic /node:`).
    Wmi,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LateralMovement {
    pub from: String,
    pub to: String,
    pub time: DateTime<Utc>,
    /// `DOMAIN\name`.
    pub account: String,
    pub method: Method,
}

/// An account the attacker created, and the privileged group it was put in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackdoorAccount {
    /// `DOMAIN\name`.
    pub account: String,
    /// Where it was created: the domain controller for a domain account.
    pub host: String,
    pub time: DateTime<Utc>,
    pub group: Option<String>,
    /// `DOMAIN\name` of the account that created it.
    pub created_by: String,
}

/// Data sent out of the network. `bytes` is the sum of `bytes_out` of the
/// flow records from `source_ip` to `destination_ip` in `network/flows.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exfiltration {
    pub source_host: String,
    pub source_ip: String,
    pub destination_ip: String,
    pub destination_hostname: String,
    pub bytes: u64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// One thing the attacker did, with the event that shows it at `time` on `host`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttackStep {
    pub step: String,
    pub host: String,
    pub time: DateTime<Utc>,
    /// MITRE ATT&CK technique id, e.g. `T1003.001`.
    pub technique: String,
    pub description: String,
}
