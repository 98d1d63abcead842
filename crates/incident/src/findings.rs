//! Vigil's own findings — account changes, credential attacks, DCSync —
//! turned into evidence, so that they start or join incidents like the
//! rules' detections even when no rule of a high level fired.

use chrono::{DateTime, Utc};
use vigil_event::{Detection, Level};

use crate::facts::{EventRef, Evidence, Facts};
use crate::inventory::Inventory;
use crate::movement::Resolver;
use crate::names;
use crate::{accounts, attacks, credentials};

/// Rule ids of Vigil's own findings start with this, so that they are not
/// counted among the hunt's detections.
pub const FINDING_PREFIX: &str = "vigil-";

/// Whether a detection is one of Vigil's own findings rather than a rule's.
pub fn is_finding(detection: &Detection) -> bool {
    detection.rule_id.starts_with(FINDING_PREFIX)
}

/// What a finding says, as a rule would.
pub(crate) struct Finding<'a> {
    pub rule_id: &'a str,
    pub title: String,
    pub level: Level,
    pub tags: &'a [&'a str],
}

/// Evidence of a finding read from `event` (logged on `logged_on`), put on
/// `host` — where the attacker was, which for an attack against a domain
/// controller is the source rather than the controller.
pub(crate) fn evidence(
    finding: Finding,
    event: &EventRef,
    logged_on: &str,
    host: &str,
    time: DateTime<Utc>,
    accounts: Vec<String>,
    logon_id: Option<String>,
) -> Evidence {
    Evidence {
        detection: Detection {
            timestamp: Some(time),
            computer: Some(logged_on.to_string()),
            channel: Some("Security".into()),
            event_id: event.event_id,
            record_id: event.record,
            rule_id: finding.rule_id.into(),
            rule_title: finding.title.into(),
            level: finding.level,
            tags: finding
                .tags
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .into(),
            source: event.source.as_str().into(),
            details: Vec::new(),
        },
        host: host.to_string(),
        time,
        accounts,
        logon_id: logon_id.filter(|l| !names::is_shared_session(l)),
        process_guid: None,
        parent_guid: None,
        hashes: Vec::new(),
        external_ips: Vec::new(),
    }
}

/// Reads the findings out of everything gathered: names group members,
/// finds the credential attacks (kept in `facts.credential_attacks`) and adds
/// the evidence of every finding to `facts.evidence`.
pub(crate) fn add(facts: &mut Facts, inventory: Option<&Inventory>) {
    accounts::name_members(&mut facts.account_changes);
    let found = {
        let resolver = Resolver::new(facts, inventory);
        attacks::find(facts, &resolver)
    };
    let mut new: Vec<Evidence> = facts
        .account_changes
        .iter()
        .filter_map(accounts::evidence)
        .collect();
    for attack in &found {
        // A member attacked is in scope; a domain controller only when the
        // rules saw the attack there too (every logon goes through it).
        let seen_by_rules = facts.evidence.iter().any(|e| {
            e.host == attack.host
                && e.time >= attack.first
                && e.time <= attack.last
                && attack
                    .events
                    .iter()
                    .any(|r| r.event_id == e.detection.event_id)
        });
        let on_target = seen_by_rules
            || !facts
                .controllers
                .is_domain_controller(&attack.host, inventory);
        new.extend(attacks::evidence(attack, on_target));
    }
    new.extend(credentials::dcsync_evidence(facts));
    facts.evidence.extend(new);
    facts.credential_attacks = found;
}
