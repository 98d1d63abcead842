//! What a host's WMI-Activity and WinRM operational logs say about its use
//! from elsewhere: WMI operations of a client machine (5858, 5860), permanent
//! WMI event consumers bound (5861, persistence), WinRM shells opened on the
//! host (91).

use chrono::{DateTime, Utc};
use serde::Serialize;
use vigil_event::Event;

use crate::facts::{text, EventRef};
use crate::names;

/// What the operational log recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// A WMI operation (5858) or event subscription (5860) of a client machine.
    WmiClient,
    /// A permanent WMI event consumer bound to a filter (5861): code that
    /// runs again on every matching event.
    WmiConsumer,
    /// A WinRM shell created for a remote client (WinRM/Operational 91).
    WinrmShell,
}

/// One such record.
#[derive(Debug, Clone, Serialize)]
pub struct RemoteActivity {
    pub time: DateTime<Utc>,
    pub host: String,
    pub kind: ActivityKind,
    /// The client machine the log names, when it names one other than the host.
    pub client: Option<String>,
    pub account: Option<String>,
    /// The consumer, query or resource, shortened.
    pub detail: String,
    pub event: EventRef,
}

const DETAIL_KEPT: usize = 200;

fn shortened(s: &str) -> String {
    let mut end = s.len().min(DETAIL_KEPT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The record of a WMI-Activity/Operational event, if it tells of remote
/// use or persistence. 5857 (a provider loaded) says nothing of who asked.
pub fn wmi(event: &Event, id: i64, host: &str, time: DateTime<Utc>) -> Option<RemoteActivity> {
    let (kind, detail_fields): (_, &[&str]) = match id {
        5858 => (ActivityKind::WmiClient, &["Operation"]),
        5860 => (ActivityKind::WmiClient, &["Query"]),
        5861 => (
            ActivityKind::WmiConsumer,
            &["CONSUMER", "Consumer", "Message"],
        ),
        _ => return None,
    };
    // 5858 (Operation_ClientFailure) names the client machine; 5860 does
    // when a remote client subscribed.
    let client = (kind == ActivityKind::WmiClient)
        .then(|| text(event, "ClientMachine").or_else(|| text(event, "MachineName")))
        .flatten()
        .and_then(names::host_name)
        .filter(|c| c != host);
    if kind == ActivityKind::WmiClient && client.is_none() {
        return None;
    }
    let detail = detail_fields
        .iter()
        .find_map(|f| text(event, f))
        .map(shortened)
        .unwrap_or_default();
    Some(RemoteActivity {
        time,
        host: host.to_string(),
        kind,
        client,
        account: text(event, "User").and_then(|u| names::account(None, u)),
        detail,
        event: EventRef::of(event),
    })
}

/// WinRM/Operational 91: a shell created on this host for a client.
pub fn winrm_shell(event: &Event, host: &str, time: DateTime<Utc>) -> RemoteActivity {
    RemoteActivity {
        time,
        host: host.to_string(),
        kind: ActivityKind::WinrmShell,
        client: None,
        account: None,
        detail: text(event, "resourceUri")
            .map(shortened)
            .unwrap_or_default(),
        event: EventRef::of(event),
    }
}
