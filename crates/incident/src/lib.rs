//! Incidents: detections and the events around them turned into attack
//! campaigns, with the hosts in scope, how the attacker moved and which
//! credentials to rotate.
//!
//! Besides the rules' detections, Vigil's own findings are evidence: account
//! changes (accounts created, enabled, reset, made administrators), credential
//! attacks (spraying, guessing, Kerberoasting, AS-REP roasting) and DCSync;
//! domain controllers are recognised from their own events when no inventory
//! names them.
//!
//! Feed every event (with the detections it raised) to a [`Facts`], one per
//! input file, merge them, and [`build`] the incidents ([`hops`] gives every
//! lateral-movement hop the events show, each named by its [`Method`] and
//! with the events that prove it):
//!
//! ```
//! use vigil_event::{Event, FieldValue};
//! use vigil_incident::{build, Facts, Options};
//!
//! let mut facts = Facts::new();
//! let mut event = Event::new("Security.evtx");
//! event.insert("EventID", FieldValue::Int(4624));
//! event.insert("Computer", FieldValue::from("fs-01.clinic.example"));
//! facts.observe(&event, &[]);
//! let incidents = build(facts, None, &Options::default());
//! assert!(incidents.is_empty()); // no detection, no incident
//! ```

mod account_flags;
mod accounts;
mod attacks;
mod build;
mod commands;
mod controllers;
mod credentials;
mod facts;
mod findings;
#[cfg(test)]
mod grouping_tests;
mod incident;
mod inventory;
mod methods;
mod movement;
pub mod names;
mod operational;
mod processes;
mod report;
#[cfg(test)]
mod tests;

pub use account_flags::AccountWeakened;
pub use accounts::{is_privileged_group, AccountChangeEvent};
pub use attacks::{ExplicitAttempt, LogonFailure, TicketIssued};
pub use build::{build, tactic, Options};
pub use commands::RemoteCommand;
pub use controllers::Controllers;
pub use facts::{
    AdminConnection, EventRef, Evidence, ExplicitLogon, Facts, FileSpan, Logon, Replication,
    ServiceInstall, ShareAccess, TaskChange, TaskChangeKind,
};
pub use findings::{is_finding, FINDING_PREFIX};
pub use incident::{
    AccountChange, AccountChangeKind, AccountToRotate, AffectedHost, CredentialAttack,
    CredentialAttackKind, CredentialExposure, DetectionRef, Incident, PatientZero,
};
pub use inventory::{Asset, Inventory, InventoryError};
pub use movement::{hops, Edge, Method};
pub use operational::{ActivityKind, RemoteActivity};
pub use processes::{ProcessRole, ProcessStart};
pub use report::{markdown, markdown_with, Report};
