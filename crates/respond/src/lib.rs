//! Responding to an incident: what to cut off and what that costs the
//! business, the deadlines to inform the authorities, and the record of the
//! evidence the findings rest on.
//!
//! * [`plan`] turns the incidents, the exfiltration assessment and the
//!   asset inventory into a [`ContainmentPlan`]: per host in scope isolate,
//!   restrict or watch; accounts to disable, reset or rotate with the
//!   domain-wide steps; outside destinations to block; the business services
//!   each action takes down, against the naive plan; and the order to act in.
//! * [`clocks()`] sets the notification clocks (GDPR, revDSG, NIS2) from the
//!   moment of awareness; [`art33_contents`] says how much of a GDPR
//!   notification the evidence fills.
//! * [`Manifest`] records every evidence file's SHA-256; [`verify`] checks
//!   them again.
//! * [`markdown`] writes all of it, and a draft notice for customers, for a
//!   reader who is not a security engineer; [`html`] writes the same as one
//!   self-contained page with a timeline and a movement graph.
//!
//! ```
//! use vigil_incident::Inventory;
//! use vigil_respond::{plan, Inputs};
//!
//! let inventory = Inventory::parse("hosts:\n  - {name: DC-01, services: [authentication]}\n").unwrap();
//! let plan = plan(&Inputs { inventory: Some(&inventory), ..Inputs::default() });
//! assert!(plan.hosts.is_empty()); // no incident, nothing to contain
//! assert_eq!(plan.impact.unwrap().up, ["authentication"]);
//! ```

mod accounts;
pub mod clocks;
mod containment;
pub mod html;
mod impact;
pub mod lang;
pub mod manifest;
pub mod markdown;
mod network;
pub mod notice;
mod notification;
mod order;
pub mod sentences;

pub use accounts::{
    attacker_account_changes, AccountAction, AccountStep, AccountToDisable, DomainStep,
    MAX_TICKET_HOURS,
};
pub use clocks::{awareness, clocks, Awareness, Clock, ClockState};
pub use containment::{
    plan, Action, Alternative, ContainmentPlan, HostAction, Inputs, Restriction,
};
pub use impact::{Estate, Impact, ServiceEffect};
pub use lang::Lang;
pub use manifest::{verify, FileCheck, FileState, Manifest, Verification};
pub use network::{Block, BlockKind};
pub use notification::{art33_contents, Content, Fill};
pub use order::Step;
