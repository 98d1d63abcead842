//! Vigil's investigation of collected evidence, shared by `vigil hunt`,
//! `incidents`, `exfil` and `case`, and by whatever else runs it (the web
//! console, distributed workers):
//!
//! * [`ruleset`]: the rules, correlations and JSON-shape mappings a run
//!   detects with, loaded from what the user named;
//! * [`sweep`]: every file read and matched in parallel, detections handed
//!   to a sink, every event shown to an observer, correlations at the end;
//! * [`gather`]: the sweep that also gathers the facts incidents are built
//!   from, and the incidents built;
//! * [`network`]: flows, DNS and proxy logs found and read, and the window
//!   and hosts the exfiltration assessment looks at;
//! * [`case`]: all of it written into one case folder;
//! * [`summary`]: what was read, skipped and matched, for the operator.

pub mod case;
pub mod correlation;
pub mod gather;
pub mod network;
pub mod outputs;
pub mod ruleset;
pub mod summary;
pub mod sweep;

pub use ruleset::{load, Loaded, RuleSpec};
pub use summary::HuntSummary;
pub use sweep::{DetectionSink, EventObserver, Inputs, Sweep};
