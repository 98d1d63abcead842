//! Vigil's network listeners, shared by the watcher's intakes (HTTP, OTLP,
//! syslog) and the console: a small HTTP/1.1 server ([`http`]), TLS with
//! certificate reload and client certificates ([`tls`]), senders' bearer
//! tokens ([`auth`]), per-sender rate limits ([`limit`]), and the rule that
//! an input listens beyond loopback only encrypted and authenticated
//! ([`exposure`]).

pub mod auth;
pub mod exposure;
pub mod http;
pub mod limit;
pub mod tls;

pub use auth::Tokens;
pub use exposure::Protection;
pub use limit::RateLimit;
pub use tls::{Tls, TlsFiles};
