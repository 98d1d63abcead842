//! The connection to NATS: a runtime, a JetStream context, and the streams
//! a fleet uses, created when missing.

use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer, stream, Context};

/// Names of the streams and subjects of one fleet, derived from the intake
/// stream's name.
#[derive(Debug, Clone)]
pub struct Names {
    pub stream: String,
    /// The subject events are published to (and the worker's filter, when given).
    pub events: String,
    pub subject_given: bool,
    pub correlation_stream: String,
    pub detections_stream: String,
    pub detections: String,
}

impl Names {
    pub fn new(stream: &str, subject: Option<&str>) -> Names {
        Names {
            stream: stream.to_string(),
            events: subject.map_or_else(|| format!("vigil.{stream}.events"), str::to_string),
            subject_given: subject.is_some(),
            correlation_stream: format!("{stream}_CORRELATION"),
            detections_stream: format!("{stream}_DETECTIONS"),
            detections: format!("vigil.{stream}.detections"),
        }
    }

    pub fn partition(&self, partition: u32) -> String {
        format!("vigil.{}.correlation.{partition}", self.stream)
    }
}

/// How long a redelivered copy of a detection or projection is still
/// recognised by its message id.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(3600);

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("vigil-nats")
        .enable_all()
        .build()
        .context("cannot start the NATS client's runtime")
}

pub(crate) async fn connect(url: &str) -> anyhow::Result<Context> {
    let client = async_nats::ConnectOptions::new()
        .name("vigil")
        .connect(url)
        .await
        .with_context(|| format!("cannot connect to NATS at {url}"))?;
    Ok(jetstream::new(client))
}

/// The intake stream; created with the events subject when missing.
pub(crate) async fn intake(js: &Context, names: &Names) -> anyhow::Result<stream::Stream> {
    js.get_or_create_stream(stream::Config {
        name: names.stream.clone(),
        subjects: vec![names.events.clone()],
        duplicate_window: Duration::from_secs(120),
        ..Default::default()
    })
    .await
    .with_context(|| format!("cannot open or create the stream {}", names.stream))
}

/// The partitioned stream of correlation inputs and the detections stream.
pub(crate) async fn outputs(js: &Context, names: &Names) -> anyhow::Result<stream::Stream> {
    js.get_or_create_stream(stream::Config {
        name: names.detections_stream.clone(),
        subjects: vec![names.detections.clone()],
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    })
    .await
    .with_context(|| {
        format!(
            "cannot open or create the stream {}",
            names.detections_stream
        )
    })?;
    js.get_or_create_stream(stream::Config {
        name: names.correlation_stream.clone(),
        subjects: vec![format!("vigil.{}.correlation.*", names.stream)],
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    })
    .await
    .with_context(|| {
        format!(
            "cannot open or create the stream {}",
            names.correlation_stream
        )
    })
}

/// A durable pull consumer with explicit acknowledgements.
pub(crate) async fn durable(
    stream: &stream::Stream,
    name: &str,
    filter: Option<String>,
    ack_wait: Duration,
) -> anyhow::Result<consumer::PullConsumer> {
    stream
        .get_or_create_consumer(
            name,
            consumer::pull::Config {
                durable_name: Some(name.to_string()),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait,
                max_ack_pending: 100_000,
                filter_subject: filter.unwrap_or_default(),
                ..Default::default()
            },
        )
        .await
        .with_context(|| format!("cannot open or create the consumer {name}"))
}
