//! What the engine reports when a rule matches.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A rule's severity, in Sigma's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "informational" | "info" => Ok(Level::Informational),
            "low" => Ok(Level::Low),
            "medium" => Ok(Level::Medium),
            "high" => Ok(Level::High),
            "critical" => Ok(Level::Critical),
            other => Err(format!(
                "unknown level '{other}': expected informational, low, medium, high or critical"
            )),
        }
    }
}

/// One rule matching one event: a line of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    pub timestamp: Option<DateTime<Utc>>,
    pub computer: Option<String>,
    pub channel: Option<String>,
    pub event_id: Option<i64>,
    pub record_id: Option<u64>,
    pub rule_id: Arc<str>,
    pub rule_title: Arc<str>,
    pub level: Level,
    pub tags: Arc<[String]>,
    /// The input file the event came from.
    pub source: Arc<str>,
    /// The fields the rule looked at, with the event's values.
    pub details: Vec<(String, String)>,
}
