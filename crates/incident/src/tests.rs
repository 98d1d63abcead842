//! Incident building over small hand-made event sets.

use chrono::{DateTime, Duration, TimeZone, Utc};
use vigil_event::{Detection, Event, FieldValue, Level};

use crate::{build, Facts, Options};

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn event(host: &str, id: i64, minutes: i64, fields: &[(&str, &str)]) -> Event {
    let mut e = Event::new("test.evtx");
    e.timestamp = Some(at(minutes));
    e.insert("EventID", FieldValue::Int(id));
    e.insert(
        "Computer",
        FieldValue::from(format!("{host}.clinic.example").as_str()),
    );
    e.insert(
        "Channel",
        FieldValue::from(if id < 100 {
            "Microsoft-Windows-Sysmon/Operational"
        } else {
            "Security"
        }),
    );
    for (k, v) in fields {
        e.insert(*k, FieldValue::from(*v));
    }
    e
}

fn detection(title: &str, level: Level, tags: &[&str]) -> Detection {
    Detection {
        timestamp: None,
        computer: None,
        channel: None,
        event_id: None,
        record_id: None,
        rule_id: title.into(),
        rule_title: title.into(),
        level,
        tags: tags
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .into(),
        source: "test.evtx".into(),
        details: Vec::new(),
    }
}

/// A phished workstation, an RDP hop to a server with a stolen admin
/// account, attacker work in that session; an unrelated alert days later on
/// another workstation; and a medium-level admin logon elsewhere.
fn campaign() -> Facts {
    let mut facts = Facts::new();
    let phish = event(
        "WS-1",
        1,
        0,
        &[
            ("User", "CLINIC\\bob"),
            ("ProcessGuid", "{g1}"),
            ("LogonId", "0x1111"),
        ],
    );
    facts.observe(
        &phish,
        &[detection(
            "Office starts a script host",
            Level::High,
            &["attack.execution"],
        )],
    );
    let own_address = event(
        "WS-1",
        3,
        1,
        &[
            ("SourceIp", "10.0.0.5"),
            ("DestinationIp", "203.0.113.9"),
            ("DestinationPort", "443"),
        ],
    );
    facts.observe(&own_address, &[]);
    let rdp = event(
        "SRV-1",
        4624,
        30,
        &[
            ("TargetUserName", "adm"),
            ("TargetDomainName", "CLINIC"),
            ("TargetLogonId", "0x2222"),
            ("LogonType", "10"),
            ("IpAddress", "10.0.0.5"),
            ("WorkstationName", "WS-1"),
        ],
    );
    facts.observe(&rdp, &[]);
    let helpdesk = event(
        "SRV-1",
        4624,
        40,
        &[
            ("TargetUserName", "carol"),
            ("TargetDomainName", "CLINIC"),
            ("TargetLogonId", "0x3333"),
            ("LogonType", "2"),
        ],
    );
    facts.observe(&helpdesk, &[]);
    let work = event(
        "SRV-1",
        1,
        45,
        &[
            ("User", "CLINIC\\adm"),
            ("ProcessGuid", "{g2}"),
            ("LogonId", "0x2222"),
        ],
    );
    facts.observe(
        &work,
        &[detection(
            "Shadow copies deleted",
            Level::Critical,
            &["attack.impact"],
        )],
    );
    let later = event(
        "WS-9",
        1,
        60 * 24 * 7,
        &[("User", "CLINIC\\dave"), ("ProcessGuid", "{g9}")],
    );
    facts.observe(
        &later,
        &[detection(
            "Encoded PowerShell",
            Level::High,
            &["attack.execution"],
        )],
    );
    let admin = event(
        "SRV-2",
        4624,
        50,
        &[
            ("TargetUserName", "adm2"),
            ("LogonType", "10"),
            ("TargetLogonId", "0x4444"),
        ],
    );
    facts.observe(
        &admin,
        &[detection(
            "Admin RDP logon",
            Level::Medium,
            &["attack.lateral_movement"],
        )],
    );
    facts
}

#[test]
fn one_campaign_one_incident_and_noise_stays_out() {
    let incidents = build(campaign(), None, &Options::default());
    assert_eq!(incidents.len(), 2, "the campaign and the unrelated alert");
    let main = &incidents[0];
    let hosts: Vec<&str> = main.hosts.iter().map(|h| h.host.as_str()).collect();
    assert_eq!(hosts, ["WS-1", "SRV-1"]);
    assert_eq!(main.severity, Level::Critical);
    assert_eq!(main.tactics, ["execution", "impact"]);
    assert_eq!(main.patient_zero.as_ref().unwrap().host, "WS-1");
    let hop = &main.lateral_movement[0];
    assert_eq!((hop.from.as_str(), hop.to.as_str()), ("WS-1", "SRV-1"));
    assert_eq!(hop.account.as_deref(), Some("CLINIC\\adm"));
    assert_eq!(main.attacker_accounts, ["CLINIC\\adm", "CLINIC\\bob"]);
    assert!(incidents
        .iter()
        .all(|i| i.hosts.iter().all(|h| h.host != "SRV-2")));
}

#[test]
fn credentials_are_ordered_by_urgency_with_machines_apart() {
    let incidents = build(campaign(), None, &Options::default());
    let c = &incidents[0].credentials;
    let order: Vec<(&str, u8)> = c
        .accounts
        .iter()
        .map(|a| (a.account.as_str(), a.urgency))
        .collect();
    // carol logged on interactively to SRV-1 while it was compromised.
    assert_eq!(
        order,
        [("CLINIC\\bob", 1), ("CLINIC\\adm", 1), ("CLINIC\\carol", 3)]
    );
    assert!(c.machine_accounts.iter().all(|m| m.account.ends_with('$')));
    assert!(c.domain_wide.is_empty());
    assert!(!c.not_covered.is_empty());
}

#[test]
fn remote_task_scheduler_pipe_is_a_hop() {
    let mut facts = Facts::new();
    let phish = event(
        "WS-1",
        1,
        0,
        &[("User", "CLINIC\\bob"), ("ProcessGuid", "{g1}")],
    );
    facts.observe(
        &phish,
        &[detection("Office starts a script host", Level::High, &[])],
    );
    let own = event(
        "WS-1",
        3,
        1,
        &[
            ("SourceIp", "10.0.0.5"),
            ("DestinationIp", "10.0.0.9"),
            ("DestinationPort", "53"),
        ],
    );
    facts.observe(&own, &[]);
    let pipe = event(
        "SRV-1",
        5145,
        20,
        &[
            ("SubjectUserName", "adm"),
            ("SubjectDomainName", "CLINIC"),
            ("SubjectLogonId", "0x77"),
            ("IpAddress", "10.0.0.5"),
            ("ShareName", "\\\\*\\IPC$"),
            ("RelativeTargetName", "atsvc"),
        ],
    );
    facts.observe(&pipe, &[]);
    let incidents = build(facts, None, &Options::default());
    let hop = &incidents[0].lateral_movement[0];
    assert_eq!((hop.from.as_str(), hop.to.as_str()), ("WS-1", "SRV-1"));
    assert_eq!(hop.method, crate::Method::ScheduledTask);
    assert_eq!(hop.account.as_deref(), Some("CLINIC\\adm"));
    assert!(incidents[0].hosts.iter().any(|h| h.host == "SRV-1"));
}
