//! What the network sensors saw, in one shape whatever wrote it: connections
//! with their byte counts, name lookups, TLS server names, HTTP requests and
//! files carried over the wire.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Where a record was read: enough to find it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: Arc<str>,
    /// Counting from 1.
    pub line: u64,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} line {}", self.file, self.line)
    }
}

/// Whether the firewall let a connection through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Allowed,
    Blocked,
    /// The record does not say (Zeek saw it on the wire, so it passed).
    Unknown,
}

/// One connection, from its originator's side.
#[derive(Debug, Clone, Serialize)]
pub struct Flow {
    pub time: DateTime<Utc>,
    pub src: IpAddr,
    pub src_port: Option<u16>,
    pub dst: IpAddr,
    pub dst_port: Option<u16>,
    /// `tcp`, `udp`, `icmp`, … lower case.
    pub proto: Option<Box<str>>,
    /// Application protocol as the sensor guessed it (`ssl`, `dns`, …).
    pub service: Option<Box<str>>,
    /// Bytes the originator sent; `None` when the record has no count.
    pub bytes_out: Option<u64>,
    /// Bytes the responder sent back.
    pub bytes_in: Option<u64>,
    pub packets_out: Option<u64>,
    pub packets_in: Option<u64>,
    /// Seconds.
    pub duration: Option<f64>,
    pub action: Action,
    pub origin: Origin,
}

impl Flow {
    /// When the connection ended, as far as the record tells.
    pub fn end(&self) -> DateTime<Utc> {
        match self.duration {
            Some(d) if d.is_finite() && d > 0.0 => {
                self.time + chrono::Duration::microseconds((d * 1e6) as i64)
            }
            _ => self.time,
        }
    }
}

/// One DNS question and, when there was one, its answer.
#[derive(Debug, Clone, Serialize)]
pub struct DnsQuery {
    pub time: DateTime<Utc>,
    pub client: IpAddr,
    pub query: Box<str>,
    /// `A`, `TXT`, `NULL`, … as named by the sensor; `None` when unknown.
    pub qtype: Option<Box<str>>,
    /// Addresses and names in the answer.
    pub answers: Vec<Box<str>>,
    pub origin: Origin,
}

/// The server name a TLS client asked for (Zeek `ssl.log`).
#[derive(Debug, Clone, Serialize)]
pub struct TlsSession {
    pub time: DateTime<Utc>,
    pub client: IpAddr,
    pub server: IpAddr,
    pub server_name: Box<str>,
    pub origin: Origin,
}

/// An HTTP request with the size of what the client sent (Zeek `http.log`).
#[derive(Debug, Clone, Serialize)]
pub struct HttpRequest {
    pub time: DateTime<Utc>,
    pub client: IpAddr,
    pub server: IpAddr,
    pub method: Option<Box<str>>,
    pub host: Option<Box<str>>,
    pub uri: Option<Box<str>>,
    pub request_body_len: Option<u64>,
    pub origin: Origin,
}

/// A file the sensor saw carried between hosts (Zeek `files.log`).
#[derive(Debug, Clone, Serialize)]
pub struct FileTransfer {
    pub time: DateTime<Utc>,
    pub senders: Vec<IpAddr>,
    pub receivers: Vec<IpAddr>,
    pub bytes: Option<u64>,
    pub mime_type: Option<Box<str>>,
    pub filename: Option<Box<str>>,
    pub origin: Origin,
}
