//! Which shared entities join detections into one incident, and for how long.

use chrono::{DateTime, Duration, TimeZone, Utc};
use vigil_event::{Detection, Event, FieldValue, Level};

use crate::{build, Facts, Options};

fn at(days: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).unwrap() + Duration::days(days)
}

/// A Sysmon process creation on `host`, `days` after the start, of `image`
/// with `hash`, raising one high detection.
fn observe(facts: &mut Facts, host: &str, days: i64, image: &str, hash: &str) {
    let mut e = Event::new("sysmon.evtx");
    e.timestamp = Some(at(days));
    e.insert("EventID", FieldValue::Int(1));
    e.insert("Computer", FieldValue::from(host));
    e.insert(
        "Channel",
        FieldValue::from("Microsoft-Windows-Sysmon/Operational"),
    );
    e.insert("Image", FieldValue::from(image));
    e.insert(
        "Hashes",
        FieldValue::from(format!("SHA256={hash}").as_str()),
    );
    let mut detection = high("Suspicious tool");
    detection.timestamp = e.timestamp;
    detection.computer = Some(host.to_string());
    facts.observe(&e, &[detection]);
}

fn high(title: &str) -> Detection {
    Detection {
        timestamp: None,
        computer: None,
        channel: None,
        event_id: Some(1),
        record_id: None,
        rule_id: "r".into(),
        rule_title: title.into(),
        level: Level::High,
        tags: Vec::<String>::new().into(),
        source: "sysmon.evtx".into(),
        details: Vec::new(),
    }
}

#[test]
fn a_dropped_payload_on_two_hosts_is_one_incident() {
    let mut facts = Facts::new();
    observe(
        &mut facts,
        "WS-1",
        0,
        "C:\\Users\\bob\\AppData\\x.exe",
        "AB12",
    );
    observe(&mut facts, "WS-2", 2, "C:\\ProgramData\\x.exe", "AB12");
    let incidents = build(facts, None, &Options::default());
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].hosts.len(), 2);
}

/// powershell.exe hashes the same on every machine of a build: sharing it
/// links nothing.
#[test]
fn the_hash_of_a_system_binary_joins_nothing() {
    let mut facts = Facts::new();
    let image = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
    observe(&mut facts, "WS-1", 0, image, "CD34");
    observe(&mut facts, "WS-2", 2, image, "CD34");
    let incidents = build(facts, None, &Options::default());
    assert_eq!(incidents.len(), 2);
}

/// The same tool a month later is another campaign; a week-long chain of
/// sightings stays one.
#[test]
fn a_shared_hash_joins_only_within_days() {
    let mut facts = Facts::new();
    observe(&mut facts, "WS-1", 0, "C:\\Temp\\tool.exe", "EF56");
    observe(&mut facts, "WS-2", 5, "C:\\Temp\\tool.exe", "EF56");
    observe(&mut facts, "WS-3", 10, "C:\\Temp\\tool.exe", "EF56");
    observe(&mut facts, "WS-4", 40, "C:\\Temp\\tool.exe", "EF56");
    let incidents = build(facts, None, &Options::default());
    assert_eq!(incidents.len(), 2);
    let hosts = |i: usize| incidents[i].hosts.len();
    assert_eq!((hosts(0), hosts(1)), (3, 1));
}

/// A forged time at the calendar's end, on an event that raised a detection
/// and on a logon, must not stop incident building; the event is left out of
/// the timeline of incidents, the others still build.
#[test]
fn a_time_at_the_calendars_end_is_left_out() {
    let mut facts = Facts::new();
    observe(&mut facts, "WS-1", 0, "C:\\Temp\\tool.exe", "AB12");
    for time in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
        let mut e = Event::new("forged.evtx");
        e.timestamp = Some(time);
        e.insert("EventID", FieldValue::Int(4624));
        e.insert("Computer", FieldValue::from("WS-2"));
        e.insert("Channel", FieldValue::from("Security"));
        e.insert("TargetUserName", FieldValue::from("bob"));
        e.insert("LogonType", FieldValue::Int(3));
        e.insert("IpAddress", FieldValue::from("10.0.0.1"));
        let mut detection = high("Forged");
        detection.timestamp = Some(time);
        detection.computer = Some("WS-2".into());
        facts.observe(&e, std::slice::from_ref(&detection));
        facts.add_detection(&detection);
    }
    let incidents = build(facts, None, &Options::default());
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].hosts[0].host, "WS-1");
}
