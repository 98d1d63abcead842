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

/// The hop used by the clock-skew tests: at 09:30:00 by WS-1's clock, WS-1
/// gives explicit credentials of CLINIC\adm for SRV-1 (4648, read on the
/// source). SRV-1's first detection is `target_lead` seconds earlier by its
/// own clock; WS-1 has a detection of its own `source_lead` seconds before
/// the hop, when given.
fn skewed_hop(source_lead: Option<i64>, target_lead: i64) -> Facts {
    let hop = at(30);
    let mut facts = Facts::new();
    if let Some(lead) = source_lead {
        let mut phish = event(
            "WS-1",
            1,
            0,
            &[("User", "CLINIC\\bob"), ("ProcessGuid", "{g1}")],
        );
        phish.timestamp = Some(hop - Duration::seconds(lead));
        facts.observe(
            &phish,
            &[detection("Office starts a script host", Level::High, &[])],
        );
    }
    let mut explicit = event(
        "WS-1",
        4648,
        0,
        &[
            ("SubjectUserName", "bob"),
            ("SubjectDomainName", "CLINIC"),
            ("TargetUserName", "adm"),
            ("TargetDomainName", "CLINIC"),
            ("TargetServerName", "SRV-1.clinic.example"),
        ],
    );
    explicit.timestamp = Some(hop);
    facts.observe(&explicit, &[]);
    let mut work = event(
        "SRV-1",
        1,
        0,
        &[("User", "CLINIC\\adm"), ("ProcessGuid", "{g2}")],
    );
    work.timestamp = Some(hop - Duration::seconds(target_lead));
    facts.observe(
        &work,
        &[detection("Shadow copies deleted", Level::Critical, &[])],
    );
    facts
}

fn skew(seconds: i64) -> Options {
    Options {
        clock_skew: Duration::seconds(seconds),
        ..Options::default()
    }
}

#[test]
fn a_detection_a_second_before_the_hop_into_its_host_is_explained_by_the_hop() {
    // The source has earlier evidence of its own: it stays patient zero and
    // the reasoning says why the target's earlier-looking detection is not
    // a start of its own.
    let incidents = build(skewed_hop(Some(60), 1), None, &skew(5));
    assert_eq!(incidents.len(), 1);
    let pz = incidents[0].patient_zero.as_ref().unwrap();
    assert_eq!(pz.host, "WS-1");
    assert!(
        pz.reasoning
            .contains("SRV-1's first detection \"Shadow copies deleted\" at 2026-03-03 09:29:59 UTC is 1 s before the hop"),
        "{}",
        pz.reasoning
    );
    assert!(pz
        .reasoning
        .contains("within the 5 s tolerance for clocks of different hosts"));
    let srv = incidents[0]
        .hosts
        .iter()
        .find(|h| h.host == "SRV-1")
        .unwrap();
    assert_eq!(srv.reached_by.len(), 1);
    assert!(srv.reached_by[0].starts_with("explicit_credentials from WS-1"));

    // The source's logs show only the hop: it is still where the attacker
    // came from, not the target whose clock runs a second behind.
    let incidents = build(skewed_hop(None, 1), None, &skew(5));
    let pz = incidents[0].patient_zero.as_ref().unwrap();
    assert_eq!(pz.host, "WS-1", "{}", pz.reasoning);
    assert!(pz.reasoning.starts_with(
        "the attacker came from it: source of the explicit_credentials hop into SRV-1"
    ));
    assert!(pz
        .reasoning
        .contains("is 1 s before the hop that reached it"));
    let hop = &incidents[0].lateral_movement[0];
    assert_eq!((hop.from.as_str(), hop.to.as_str()), ("WS-1", "SRV-1"));
}

#[test]
fn without_a_clock_skew_the_clocks_are_taken_at_their_word() {
    let incidents = build(skewed_hop(None, 1), None, &skew(0));
    let pz = incidents[0].patient_zero.as_ref().unwrap();
    assert_eq!(pz.host, "SRV-1", "{}", pz.reasoning);
    assert!(pz
        .reasoning
        .contains("comes 1 s after it, more than the 0 s tolerance"));
    let incidents = build(skewed_hop(Some(60), 1), None, &skew(0));
    let pz = incidents[0].patient_zero.as_ref().unwrap();
    assert_eq!(pz.host, "WS-1");
    assert!(!pz.reasoning.contains("SRV-1"), "{}", pz.reasoning);
}

#[test]
fn a_detection_earlier_than_the_skew_allows_is_a_start_of_its_own() {
    // 30 s before the hop is more than clocks differ: the target's detection
    // is not explained by the hop.
    let incidents = build(skewed_hop(None, 30), None, &skew(5));
    let pz = incidents[0].patient_zero.as_ref().unwrap();
    assert_eq!(pz.host, "SRV-1");
    assert!(
        pz.reasoning.contains(
            "the explicit_credentials hop from WS-1 at 2026-03-03 09:30:00 UTC comes 30 s after it, more than the 5 s tolerance for clocks of different hosts"
        ),
        "{}",
        pz.reasoning
    );
    // With earlier evidence on the source, the source is patient zero by
    // its own detection, and nothing is said of SRV-1's.
    let incidents = build(skewed_hop(Some(60), 30), None, &skew(5));
    let pz = incidents[0].patient_zero.as_ref().unwrap();
    assert_eq!(pz.host, "WS-1");
    assert!(!pz.reasoning.contains("SRV-1"), "{}", pz.reasoning);
}

#[test]
fn starts_on_two_hosts_within_the_skew_are_said_to_be_undecided() {
    // WS-7, talking to the same C2 address as SRV-1 after the hop, has a
    // detection 3 s before the hop out of WS-1: both could be first.
    let mut facts = skewed_hop(None, 1);
    let c2 = |host: &str, seconds: i64, guid: &str| {
        let mut e = event(
            host,
            3,
            0,
            &[
                ("User", "CLINIC\\adm"),
                ("ProcessGuid", guid),
                ("DestinationIp", "203.0.113.9"),
            ],
        );
        e.timestamp = Some(at(30) + Duration::seconds(seconds));
        e
    };
    for (host, seconds, guid) in [("WS-7", -3, "{g7}"), ("SRV-1", 10, "{g2}")] {
        facts.observe(
            &c2(host, seconds, guid),
            &[detection("Beacon to a known C2 address", Level::High, &[])],
        );
    }
    let incidents = build(facts, None, &skew(5));
    let main = &incidents[0];
    let hosts: Vec<&str> = main.hosts.iter().map(|h| h.host.as_str()).collect();
    assert_eq!(hosts, ["WS-7", "SRV-1", "WS-1"]);
    let pz = main.patient_zero.as_ref().unwrap();
    assert_eq!(pz.host, "WS-7");
    assert!(
        pz.reasoning.contains(
            "WS-1's first evidence at 2026-03-03 09:30:00 UTC is 3 s after it, within the 5 s tolerance for clocks of different hosts: which came first the clocks cannot tell"
        ),
        "{}",
        pz.reasoning
    );
}
