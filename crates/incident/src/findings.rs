//! Vigil's own findings — account changes, credential attacks, DCSync —
//! turned into evidence, so that they start or join incidents like the
//! rules' detections even when no rule of a high level fired.

use chrono::{DateTime, Utc};
use vigil_event::{Detection, Level};

use crate::facts::{EventRef, Evidence, Facts};
use crate::inventory::Inventory;
use crate::movement::Resolver;
use crate::names;
use crate::{account_flags, accounts, attacks, credentials};

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
    new.extend(
        facts
            .accounts_weakened
            .iter()
            .filter_map(account_flags::evidence),
    );
    new.extend(credentials::dcsync_evidence(facts));
    facts.evidence.extend(new);
    facts.credential_attacks = found;
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use vigil_event::{Event, FieldValue};

    use super::*;
    use crate::{build, CredentialAttackKind, Options};

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).unwrap() + Duration::seconds(seconds)
    }

    fn event(host: &str, id: i64, seconds: i64, record: i64, fields: &[(&str, &str)]) -> Event {
        let mut e = Event::new("Security.evtx");
        e.timestamp = Some(at(seconds));
        e.insert("EventID", FieldValue::Int(id));
        e.insert("EventRecordID", FieldValue::Int(record));
        e.insert("Channel", FieldValue::from("Security"));
        e.insert(
            "Computer",
            FieldValue::from(format!("{host}.clinic.example").as_str()),
        );
        for (k, v) in fields {
            e.insert(*k, FieldValue::from(*v));
        }
        e
    }

    const BY_ADMIN: [(&str, &str); 3] = [
        ("SubjectUserName", "admin"),
        ("SubjectDomainName", "CLINIC"),
        ("SubjectLogonId", "0x5a1"),
    ];

    /// `wmic /node:WS-2 process call create "net user backdoor … /add"`
    /// then `net localgroup administrators backdoor /add`, written from the
    /// documented sequence (no recording has it): on WS-2 a type-3 logon of
    /// CLINIC\admin from WS-1 (10.0.0.11) opens session 0x5a1; in that
    /// session 4720 creates WS-2\backdoor, 4722 enables it, 4732 adds its
    /// SID to Administrators. No rule fired, yet it is an incident: the
    /// account changes are the evidence, the session leads back to WS-1;
    /// enabling the account is part of creating it.
    #[test]
    fn a_local_account_created_over_wmi_is_an_incident_without_any_rule() {
        let mut facts = Facts::new();
        let logon = event(
            "WS-2",
            4624,
            0,
            1,
            &[
                ("TargetUserName", "admin"),
                ("TargetDomainName", "CLINIC"),
                ("TargetLogonId", "0x5a1"),
                ("LogonType", "3"),
                ("IpAddress", "10.0.0.11"),
                ("WorkstationName", "WS-1"),
            ],
        );
        facts.observe(&logon, &[]);
        let sid = ("TargetSid", "S-1-5-21-7-7-7-1001");
        let mut created = BY_ADMIN.to_vec();
        created.extend([
            ("TargetUserName", "backdoor"),
            ("TargetDomainName", "WS-2"),
            sid,
        ]);
        facts.observe(&event("WS-2", 4720, 2, 2, &created), &[]);
        facts.observe(&event("WS-2", 4722, 2, 3, &created), &[]);
        let mut added = BY_ADMIN.to_vec();
        added.extend([
            ("MemberName", "-"),
            ("MemberSid", "S-1-5-21-7-7-7-1001"),
            ("TargetUserName", "Administrators"),
            ("TargetDomainName", "Builtin"),
            ("TargetSid", "S-1-5-32-544"),
        ]);
        facts.observe(&event("WS-2", 4732, 5, 4, &added), &[]);
        let incidents = build(facts, None, &Options::default());
        assert_eq!(incidents.len(), 1);
        let incident = &incidents[0];
        let changes: Vec<(&str, &str, Option<&str>)> = incident
            .account_changes
            .iter()
            .map(|c| (c.account.as_str(), c.change.as_str(), c.group.as_deref()))
            .collect();
        assert_eq!(
            changes,
            vec![
                ("WS-2\\backdoor", "created", None),
                ("WS-2\\backdoor", "added_to_group", Some("Administrators")),
            ]
        );
        assert_eq!(
            incident.account_changes[1].action,
            "remove from Administrators"
        );
        // Enabling it is part of `net user /add`: one change, both events.
        let records: Vec<Option<u64>> = incident.account_changes[0]
            .events
            .iter()
            .map(|e| e.record)
            .collect();
        assert_eq!(records, vec![Some(2), Some(3)]);
        let backdoor = incident
            .credentials
            .accounts
            .iter()
            .find(|a| a.account == "WS-2\\backdoor")
            .expect("the new account is to act on");
        assert_eq!(backdoor.urgency, 1);
        assert!(backdoor.reasons[0].contains("disable, then delete"));
        assert_eq!(
            incident.attacker_accounts,
            vec!["CLINIC\\admin".to_string()]
        );
        let hop = &incident.lateral_movement[0];
        assert_eq!((hop.from.as_str(), hop.to.as_str()), ("WS-1", "WS-2"));
        // Vigil's findings are marked, so the hunt's detections are not double counted.
        assert!(incident.detections.iter().all(|d| d.finding));
    }

    fn failure(seconds: i64, record: i64, user: &str) -> Event {
        event(
            "DC-1",
            4771,
            seconds,
            record,
            &[
                ("TargetUserName", user),
                ("ServiceName", "krbtgt/CLINIC.EXAMPLE"),
                ("Status", "0x18"),
                ("IpAddress", "::ffff:10.0.0.66"),
            ],
        )
    }

    /// A spray from 10.0.0.66 against six accounts within a second, logged
    /// on the domain controller (4771), then a logon of one of them from
    /// the same address: that account's password is known to the attacker.
    /// A single mistyped password elsewhere is no attack.
    #[test]
    fn a_spray_puts_its_source_in_scope_and_a_guessed_account_first() {
        let mut facts = Facts::new();
        let users = ["amy", "bob", "cat", "dan", "eve", "fay"];
        for (i, user) in users.iter().enumerate() {
            facts.observe(&failure(0, i as i64, user), &[]);
        }
        facts.observe(&failure(3600, 99, "zed"), &[]);
        let logon = event(
            "FS-1",
            4624,
            30,
            100,
            &[
                ("TargetUserName", "eve"),
                ("TargetDomainName", "CLINIC"),
                ("TargetLogonId", "0x77"),
                ("LogonType", "3"),
                ("IpAddress", "10.0.0.66"),
            ],
        );
        facts.observe(&logon, &[]);
        let incidents = build(facts, None, &Options::default());
        assert_eq!(incidents.len(), 1);
        let incident = &incidents[0];
        assert_eq!(incident.credential_attacks.len(), 1);
        let spray = &incident.credential_attacks[0];
        assert_eq!(spray.kind, CredentialAttackKind::PasswordSpray);
        assert_eq!(spray.source.as_deref(), Some("10.0.0.66"));
        assert_eq!(spray.host, "DC-1");
        assert_eq!(spray.targets.len(), 6);
        assert_eq!(spray.attempts, 6);
        let hosts: Vec<&str> = incident.hosts.iter().map(|h| h.host.as_str()).collect();
        assert_eq!(
            hosts,
            vec!["10.0.0.66"],
            "the controller is not compromised by a spray"
        );
        let first = &incident.credentials.accounts[0];
        assert_eq!((first.account.as_str(), first.urgency), ("CLINIC\\eve", 1));
        assert!(incident
            .credentials
            .accounts
            .iter()
            .any(|a| a.account == "CLINIC\\amy" && a.urgency == 3));
        assert!(incident.credentials.domain_wide.is_empty());
    }

    /// Damaged or hostile field values (any text, numbers, missing fields,
    /// odd times) through every reader of this module and the build: no panic.
    #[test]
    fn arbitrary_field_values_never_panic() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        const IDS: &[i64] = &[
            4624, 4625, 4648, 4662, 4720, 4722, 4723, 4724, 4728, 4732, 4738, 4741, 4756, 4768,
            4769, 4771, 4776,
        ];
        const FIELDS: &[&str] = &[
            "SubjectUserName",
            "SubjectDomainName",
            "SubjectLogonId",
            "TargetUserName",
            "TargetDomainName",
            "TargetSid",
            "MemberName",
            "MemberSid",
            "IpAddress",
            "WorkstationName",
            "Workstation",
            "Status",
            "SubStatus",
            "ServiceName",
            "TicketEncryptionType",
            "PreAuthType",
            "ObjectServer",
            "Properties",
            "LogonType",
            "TargetLogonId",
            "UserAccountControl",
        ];
        const VALUES: &[&str] = &[
            "",
            "-",
            ".",
            "\\",
            "@",
            "CN=,DC=",
            "CN=a\\,",
            "0x",
            "0xffffffffffffffffff",
            "::ffff:",
            "S-1-5-32-",
            "krbtgt/",
            "a$",
            "0",
            "0x17",
            "0x6",
            "10.0.0.1",
            "{1131f6aa-9c07-11d1-f79f-00c04fc2dcd2}",
            "DS",
            "%%2096",
            "\u{0}\u{ffff}",
        ];
        let mut facts = Facts::new();
        // The last representable time only through this module's readers:
        // the grouping in build.rs adds its gaps to times unchecked.
        let mut extreme = Facts::new();
        for n in 0..3000 {
            let id = IDS[(next() % IDS.len() as u64) as usize];
            let seconds = (next() % 4000) as i64 - 2000;
            let mut e = event(
                ["DC-1", "WS-1", "10.0.0.9"][(next() % 3) as usize],
                id,
                seconds,
                n,
                &[],
            );
            let at_the_end = next() % 50 == 0;
            for _ in 0..(next() % 12) {
                let field = FIELDS[(next() % FIELDS.len() as u64) as usize];
                match next() % 3 {
                    0 => e.insert(field, FieldValue::Int(next() as i64)),
                    _ => e.insert(
                        field,
                        FieldValue::from(VALUES[(next() % VALUES.len() as u64) as usize]),
                    ),
                }
            }
            if at_the_end {
                e.timestamp = Some(DateTime::<Utc>::MAX_UTC);
                extreme.observe(&e, &[]);
            } else {
                facts.observe(&e, &[]);
            }
        }
        add(&mut extreme, None);
        let none = std::collections::BTreeSet::new();
        let _ = attacks::in_incident(&extreme.credential_attacks, &[], &none);
        let _ = build(facts, None, &Options::default());
    }
}
