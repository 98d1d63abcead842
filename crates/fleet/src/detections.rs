//! Reading the fleet's output back: every detection published to the
//! detections stream, as the JSON lines `vigil watch` writes (each with its
//! `id`); and how much a consumer still has to do.

use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
use futures::StreamExt;

use crate::link::{self, Names};

/// Every message of the detections stream, oldest first.
pub fn read_all(url: &str, names: &Names) -> anyhow::Result<Vec<String>> {
    let runtime = link::runtime()?;
    runtime.block_on(async {
        let js = link::connect(url).await?;
        let mut stream = js
            .get_stream(&names.detections_stream)
            .await
            .with_context(|| format!("no stream {}", names.detections_stream))?;
        let total = stream.info().await?.state.messages;
        let consumer = stream
            .create_consumer(pull::Config {
                deliver_policy: DeliverPolicy::All,
                ack_policy: AckPolicy::None,
                inactive_threshold: Duration::from_secs(60),
                ..Default::default()
            })
            .await?;
        let mut lines = Vec::with_capacity(total as usize);
        while (lines.len() as u64) < total {
            let mut batch = consumer.fetch().max_messages(10_000).messages().await?;
            let before = lines.len();
            while let Some(message) = batch.next().await {
                let message = message.map_err(|e| anyhow::anyhow!("{e}"))?;
                lines.push(String::from_utf8_lossy(&message.payload).into_owned());
            }
            if lines.len() == before {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Ok(lines)
    })
}

/// Messages of the workers' consumer not yet delivered, and delivered but
/// not yet acknowledged.
pub fn backlog(url: &str, names: &Names, consumer: &str) -> anyhow::Result<(u64, u64)> {
    let runtime = link::runtime()?;
    runtime.block_on(async {
        let js = link::connect(url).await?;
        let stream = js
            .get_stream(&names.stream)
            .await
            .with_context(|| format!("no stream {}", names.stream))?;
        let mut consumer: async_nats::jetstream::consumer::PullConsumer = stream
            .get_consumer(consumer)
            .await
            .map_err(|e| anyhow::anyhow!("no consumer {consumer}: {e}"))?;
        let info = consumer.info().await?;
        Ok((info.num_pending, info.num_ack_pending as u64))
    })
}
