//! Vigil scaled out over NATS JetStream: many `vigil watch` workers, one
//! answer.
//!
//! * **Intake.** Events are messages of one JetStream stream, one event (one
//!   line of any shape `vigil watch` reads) a message, with the file it came
//!   from and its line in the headers `Vigil-Source` and `Vigil-Line`
//!   (`vigil ship` sets them; a shipper that does not gets the stream's name
//!   and sequence instead). Workers share the stream through one durable
//!   pull consumer ([`worker`]). A worker acknowledges a message only after
//!   the event's detections are in its store and published, and the
//!   projections correlations need are published: a worker that dies loses
//!   nothing, its messages go to another worker after the consumer's
//!   `ack_wait`, and detection ids make the second delivery harmless.
//! * **Correlation.** Each correlation ([`units`]) is evaluated apart, its
//!   events spread over partitions by a hash of their group-by values. A
//!   worker publishes an event feeding a correlation to the partition's
//!   subject; a correlator ([`correlator`]) owns partitions, keeps what they
//!   bring in SQLite, and runs them through the engine in hunt's order once
//!   no earlier event can still come ([`correlator`] says how it knows).
//! * **Output.** Detections and correlation detections go to a detections
//!   stream, each with its id as JetStream message id (`Nats-Msg-Id`), so a
//!   detection published twice within the stream's duplicate window is kept
//!   once.
//!
//! Streams and subjects, for an intake stream `NAME` (see [`Names`]):
//! `vigil.NAME.events` (unless the stream has its own subjects),
//! `NAME_CORRELATION` on `vigil.NAME.correlation.<partition>`, and
//! `NAME_DETECTIONS` on `vigil.NAME.detections`.
//!
//! The rest of Vigil calls blocking functions; each owns a small tokio
//! runtime for the official `async-nats` client.
//!
//! ```no_run
//! use vigil_fleet::ship::{ship, Input, ShipConfig};
//! use vigil_fleet::Names;
//!
//! // Two events into the stream EVENTS, as `vigil ship` sends a file's lines.
//! let config = ShipConfig {
//!     url: "nats://127.0.0.1:4222".into(),
//!     names: Names::new("EVENTS", None),
//!     in_flight: 1024,
//!     rate: None,
//! };
//! let lines = std::io::Cursor::new(
//!     b"{\"Event\":{\"System\":{\"EventID\":4625}}}\n{\"Event\":{\"System\":{\"EventID\":4624}}}\n".to_vec(),
//! );
//! let counts = ship(&config, vec![Input { name: "security.jsonl".into(), lines: Box::new(lines) }])?;
//! assert_eq!(counts.events, 2);
//!
//! // What the workers and correlators published since.
//! let detections = vigil_fleet::detections::read_all(&config.url, &config.names)?;
//! # Ok::<(), anyhow::Error>(())
//! ```

pub mod correlator;
pub mod detections;
mod ledger;
mod link;
mod metrics;
pub mod ship;
pub mod units;
pub mod worker;

pub use link::Names;
pub use metrics::FleetMetrics;
