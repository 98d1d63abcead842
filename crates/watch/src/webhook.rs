//! Delivering detections to a webhook: each batch of new detections is
//! POSTed as JSON lines once committed, and retried with growing pauses
//! until the receiver takes it. While it retries, the watcher reads nothing
//! new, so a slow or failing receiver slows intake instead of growing
//! memory. What was delivered is recorded in the store, so after a restart
//! delivery resumes where it stopped. The batch in flight at a crash may be
//! delivered twice; each detection carries its `id` (the store's key, the
//! same for the same detection in every delivery) so that a receiver keeps
//! each alert once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::metrics::Metrics;
use crate::store::Store;

const FIRST_PAUSE: Duration = Duration::from_millis(100);
const LONGEST_PAUSE: Duration = Duration::from_secs(30);
/// Detections per request at most.
const PER_REQUEST: usize = 1_000;

pub struct Webhook {
    url: String,
    agent: ureq::Agent,
}

impl Webhook {
    pub fn new(url: &str) -> Self {
        Webhook {
            url: url.to_string(),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(10))
                .build(),
        }
    }

    /// Delivers every stored detection not yet delivered. Returns early
    /// (leaving the rest for later) only when `stop` is raised.
    pub fn deliver(
        &self,
        store: &Store,
        metrics: &Metrics,
        stop: &AtomicBool,
    ) -> anyhow::Result<()> {
        loop {
            let from = store.meta("webhook_seq")?.unwrap_or(0);
            let pending = store.keyed_detections_after(from, PER_REQUEST)?;
            if pending.is_empty() {
                return Ok(());
            }
            {
                let chunk = &pending[..];
                let body: String = chunk
                    .iter()
                    .map(|(_, key, json)| crate::store::with_id(key, json))
                    .collect();
                let mut pause = FIRST_PAUSE;
                loop {
                    match self
                        .agent
                        .post(&self.url)
                        .set("Content-Type", "application/x-ndjson")
                        .send_string(&body)
                    {
                        Ok(_) => break,
                        Err(error) => {
                            metrics.webhook_failures.fetch_add(1, Ordering::Relaxed);
                            crate::log(
                                "warn",
                                "webhook delivery failed; retrying",
                                &[
                                    ("url", self.url.clone()),
                                    ("reason", error.to_string()),
                                    ("retry_in_ms", pause.as_millis().to_string()),
                                ],
                            );
                            if stop.load(Ordering::SeqCst) {
                                return Ok(());
                            }
                            std::thread::sleep(pause);
                            pause = (pause * 2).min(LONGEST_PAUSE);
                        }
                    }
                }
                if let Some((last, _, _)) = chunk.last() {
                    store.set_meta("webhook_seq", *last)?;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_id_goes_first() {
        assert_eq!(
            crate::store::with_id("ab", r#"{"rule":"x"}"#),
            "{\"id\":\"ab\",\"rule\":\"x\"}\n"
        );
        assert_eq!(crate::store::with_id("ab", "{}"), "{\"id\":\"ab\"}\n");
    }
}
