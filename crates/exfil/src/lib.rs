//! Exfiltration assessment: was data taken, how much, from where to where —
//! and what the answer rests on and cannot see.
//!
//! Read the network evidence with [`read::classify`] and [`read::read`] (Zeek
//! conn/dns/ssl/http/files logs, firewall and flow exports through a
//! [`FlowMapping`]), gather host evidence from Windows events with a
//! [`HostEvidence`] (which process made a connection; archive tools and
//! archives on the hosts), then [`assess`] them over an incident's window and
//! hosts:
//!
//! * outbound volume per inside host and outside destination, against the
//!   host's own daily baseline before the window (median and median absolute
//!   deviation) and against what hosts of its role send;
//! * destinations first seen in the window, for the host and for the estate;
//! * beaconing (regular intervals, uniform sizes) and long connections;
//! * DNS tunnelling (many long, high-entropy names under one domain; TXT volume);
//! * staging: archive tools and archives written on a host before its
//!   anomalous egress.
//!
//! The [`Verdict`] is *likely* when staging and anomalous egress meet on one
//! host, *suspected* for anomalous egress (or a DNS tunnel) without proof of
//! content, *no evidence* when the flow records of every host in scope were
//! there and nothing stood out, and *cannot be assessed* for hosts whose flow
//! records are missing — never "no evidence" for those.

pub mod assess;
pub mod dns;
pub mod host;
pub mod mapping;
pub mod read;
pub mod record;
mod report;
mod stats;
pub mod time;

pub use assess::{assess, Assessment, Scope, Settings, Verdict, Volume, Window};
pub use host::HostEvidence;
pub use mapping::FlowMapping;
pub use read::{classify, NetworkFormat, NetworkLog};
pub use report::text;
