//! Incidents built live from what watch stored: the events behind the
//! stored detections are read again from the files watch followed and go
//! through `vigil_incident` with their detections, then through
//! `vigil_exfil` for what the hosts' own events say of data leaving (the
//! store holds no network evidence, and the assessment says so), and
//! `vigil_respond` for the containment plan and the notification clocks.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use vigil_event::Detection;
use vigil_exfil::{Assessment, HostEvidence, Settings};
use vigil_incident::{Facts, Options, Report};
use vigil_respond::{Awareness, Clock, ContainmentPlan};

use crate::evidence::{detection, event_of_line, followed_files};

/// Detections read at most (the newest): the live view of a store that
/// holds millions is about what happens now.
const MAX_DETECTIONS: i64 = 200_000;
/// Lines read from each followed file at most.
const MAX_LINES: u64 = 2_000_000;

/// The incidents as of one state of the store.
pub struct Built {
    /// The last detection the build saw: it is built again when watch stores more.
    pub last_seq: i64,
    pub report: Report,
    /// Was data taken, as far as the hosts' events tell.
    pub assessment: Assessment,
    pub plan: ContainmentPlan,
    pub awareness: Option<Awareness>,
    pub clocks: Vec<Clock>,
    pub built_at: DateTime<Utc>,
}

/// What identifies the event a detection was raised on.
type EventKey = (Option<String>, Option<u64>, Option<i64>, Option<i64>);

fn key_of(d: &Detection) -> EventKey {
    (
        d.computer.clone(),
        d.record_id,
        d.event_id,
        d.timestamp.map(|t| t.timestamp_millis()),
    )
}

pub fn build(db: &Connection) -> anyhow::Result<Built> {
    let last_seq = crate::alerts::last_seq(db)?;
    let mut query = db.prepare("SELECT json FROM detections WHERE seq > ?1 - ?2 ORDER BY seq")?;
    let stored: Vec<Detection> = query
        .query_map([last_seq, MAX_DETECTIONS], |r| r.get::<_, String>(0))?
        .filter_map(Result::ok)
        .filter_map(|json| serde_json::from_str(&json).ok())
        .filter_map(|json: serde_json::Value| detection(&json))
        .collect();
    let count = stored.len();
    // Per file, the detections by the event they were raised on.
    let mut by_file: HashMap<Arc<str>, HashMap<EventKey, Vec<Detection>>> = HashMap::new();
    for d in stored {
        by_file
            .entry(d.source.clone())
            .or_default()
            .entry(key_of(&d))
            .or_default()
            .push(d);
    }
    let mut facts = Facts::new();
    let mut host = HostEvidence::new();
    for file in followed_files(db)? {
        let Ok(handle) = std::fs::File::open(&file) else {
            continue;
        };
        let mut wanted = by_file.remove(file.as_str()).unwrap_or_default();
        let mut of_file = Facts::new();
        for (at, line) in BufReader::new(handle).lines().enumerate() {
            let number = at as u64 + 1;
            if number > MAX_LINES {
                break;
            }
            let Ok(text) = line else { continue };
            let Some(event) = event_of_line(&text, &file, number) else {
                continue;
            };
            let key = (
                event.computer().map(str::to_string),
                event.record_id(),
                event.event_id(),
                event.timestamp.map(|t| t.timestamp_millis()),
            );
            let found = wanted.remove(&key).unwrap_or_default();
            host.observe(&event);
            of_file.observe(&event, &found);
        }
        // Detections whose event was not found again (correlations over
        // many events, a file rotated away) still place their host and time.
        for d in wanted.into_values().flatten() {
            of_file.add_detection(&d);
        }
        facts.merge(of_file);
    }
    for d in by_file
        .into_values()
        .flat_map(|m| m.into_values())
        .flatten()
    {
        facts.add_detection(&d);
    }
    let events = facts.events;
    let incidents = vigil_incident::build(facts, None, &Options::default());
    let attached = incidents
        .iter()
        .flat_map(|i| &i.detections)
        .filter(|d| !d.finding)
        .count();
    let report = Report {
        events,
        detections: count,
        unattached_detections: count.saturating_sub(attached),
        incidents,
    };
    let scope = vigil_investigate::network::scope(&report, None, None, &[])?;
    let assessment = vigil_exfil::assess(
        &Default::default(),
        &host,
        None,
        &scope,
        &Settings::default(),
    );
    let changes = vigil_respond::attacker_account_changes(&report.incidents);
    let plan = vigil_respond::plan(&vigil_respond::Inputs {
        incidents: &report.incidents,
        assessment: Some(&assessment),
        inventory: None,
        account_changes: &changes,
    });
    let now = Utc::now();
    let awareness = vigil_respond::awareness(None, &report.incidents);
    let clocks = vigil_respond::clocks(awareness.as_ref(), now);
    Ok(Built {
        last_seq,
        report,
        assessment,
        plan,
        awareness,
        clocks,
        built_at: now,
    })
}

/// What an incident's triage is kept under: its earliest detection, which
/// stays the same as the incident grows with later evidence (its number
/// may not, when an earlier incident appears).
pub fn triage_key(incident: &vigil_incident::Incident) -> String {
    use sha2::{Digest, Sha256};
    let first = incident.detections.iter().min_by_key(|d| d.time);
    let identity = match first {
        Some(d) => format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{:?}",
            d.time.to_rfc3339(),
            d.host,
            d.rule_title,
            d.source,
            d.record_id
        ),
        None => incident.first_evidence.to_rfc3339(),
    };
    Sha256::digest(identity.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
