//! Shipping events into the intake stream: one message per line (one event
//! of any line-based shape `vigil watch` reads), with the file and line in
//! headers, publish acknowledgements awaited, and a bounded number of
//! publishes in flight (back-pressure: reading waits for the server).

use std::collections::VecDeque;
use std::io::BufRead;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_nats::jetstream::context::{Publish, PublishAckFuture};
use async_nats::HeaderMap;
use bytes::Bytes;

use crate::link::{self, Names};
use crate::worker::{LINE, SOURCE};

#[derive(Debug, Clone)]
pub struct ShipConfig {
    pub url: String,
    pub names: Names,
    /// Publishes awaiting their acknowledgement at most.
    pub in_flight: usize,
    /// Events per second at most (None: as fast as the server takes them).
    pub rate: Option<f64>,
}

/// One input to ship: its name (the `Vigil-Source` header, which becomes
/// the events' source, as a file's path is in `hunt`) and its lines.
pub struct Input {
    pub name: String,
    pub lines: Box<dyn BufRead + Send>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct ShipCounts {
    pub events: u64,
    pub bytes: u64,
    /// Lines that were not UTF-8 (skipped and reported).
    pub unreadable: u64,
}

/// Publishes every non-blank line of the inputs, in order; returns once
/// every publish is acknowledged.
pub fn ship(config: &ShipConfig, inputs: Vec<Input>) -> anyhow::Result<ShipCounts> {
    let runtime = link::runtime()?;
    runtime.block_on(async {
        let js = link::connect(&config.url).await?;
        link::intake(&js, &config.names).await?;
        let mut counts = ShipCounts::default();
        let mut in_flight: VecDeque<PublishAckFuture> = VecDeque::new();
        let started = Instant::now();
        for mut input in inputs {
            let mut number = 0u64;
            let mut buffer = Vec::new();
            loop {
                buffer.clear();
                let read = input
                    .lines
                    .read_until(b'\n', &mut buffer)
                    .with_context(|| format!("cannot read {}", input.name))?;
                if read == 0 {
                    break;
                }
                number += 1;
                let Ok(text) = std::str::from_utf8(&buffer) else {
                    counts.unreadable += 1;
                    eprintln!("{}:{number}: skipped: not UTF-8", input.name);
                    continue;
                };
                let text = text.trim_end_matches(['\n', '\r']);
                if text.trim().is_empty() {
                    continue;
                }
                if let Some(rate) = config.rate {
                    let due = Duration::from_secs_f64(counts.events as f64 / rate);
                    if let Some(wait) = due.checked_sub(started.elapsed()) {
                        tokio::time::sleep(wait).await;
                    }
                }
                let mut headers = HeaderMap::new();
                headers.insert(SOURCE, input.name.as_str());
                headers.insert(LINE, number.to_string().as_str());
                // A resend of the same line (a retried run) within the
                // stream's duplicate window is kept once.
                let id = format!("{}:{number}:{:016x}", input.name, fnv(text.as_bytes()));
                headers.insert(SENT, sent_now().as_str());
                while in_flight.len() >= config.in_flight.max(1) {
                    if let Some(ack) = in_flight.pop_front() {
                        ack.await
                            .context("an event was not acknowledged by the stream")?;
                    }
                }
                in_flight.push_back(
                    js.send_publish(
                        config.names.events.clone(),
                        Publish::build()
                            .headers(headers)
                            .message_id(id)
                            .payload(Bytes::copy_from_slice(text.as_bytes())),
                    )
                    .await
                    .context("cannot publish an event")?,
                );
                counts.events += 1;
                counts.bytes += text.len() as u64;
            }
        }
        for ack in in_flight {
            ack.await
                .context("an event was not acknowledged by the stream")?;
        }
        Ok(counts)
    })
}

/// When an event was shipped (Unix microseconds), for end-to-end latency.
pub const SENT: &str = "Vigil-Sent-Us";

pub(crate) fn sent_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    now.as_micros().to_string()
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
