//! The plan's rules on small hand-made incidents: watch a host that was only
//! a source, restrict a server others need, isolate without an inventory,
//! disable attacker-made accounts first, krbtgt twice with the wait between.

use chrono::{DateTime, Utc};
use vigil_event::Level;
use vigil_incident::{
    AccountToRotate, AffectedHost, CredentialExposure, DetectionRef, Edge, Incident, Inventory,
    Method,
};
use vigil_respond::{plan, AccountStep, AccountToDisable, Action, Inputs};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn host(
    name: &str,
    detections: &[&str],
    reached_by: &[&str],
    origin: Option<&str>,
) -> AffectedHost {
    AffectedHost {
        host: name.into(),
        role: None,
        first_evidence: at("2026-03-02T09:00:00Z"),
        last_evidence: at("2026-03-02T12:00:00Z"),
        detections: detections.iter().map(|d| d.to_string()).collect(),
        reached_by: reached_by.iter().map(|d| d.to_string()).collect(),
        origin: origin.map(str::to_string),
    }
}

fn hop(from: &str, to: &str, strong: bool) -> Edge {
    Edge {
        from: from.into(),
        to: to.into(),
        time: at("2026-03-02T10:00:00Z"),
        account: Some("CLINIC\\adm".into()),
        method: Method::NetworkLogon,
        strong,
        evidence: Vec::new(),
        events: Vec::new(),
        sessions: Vec::new(),
        processes: Vec::new(),
    }
}

fn incident(domain_wide: bool) -> Incident {
    Incident {
        id: 1,
        severity: Level::Critical,
        first_evidence: at("2026-03-02T09:00:00Z"),
        last_evidence: at("2026-03-02T12:00:00Z"),
        tactics: vec!["credential_access".into()],
        summary: String::new(),
        patient_zero: None,
        hosts: vec![
            host("WS-1", &["Office spawns PowerShell"], &[], None),
            host("DB-01", &[], &["rdp from WS-1 as CLINIC\\adm"], None),
            host("10.20.250.7", &[], &[], Some("network_logon to WS-1")),
            host(
                "VOIP-01",
                &[],
                &["network_logon from WS-1 as CLINIC\\adm"],
                None,
            ),
        ],
        lateral_movement: vec![hop("WS-1", "DB-01", true), hop("WS-1", "VOIP-01", false)],
        attacker_accounts: vec!["CLINIC\\adm".into()],
        account_changes: Vec::new(),
        credential_attacks: Vec::new(),
        credentials: CredentialExposure {
            domain_wide: if domain_wide {
                vec!["DCSync by CLINIC\\adm".into()]
            } else {
                Vec::new()
            },
            accounts: vec![AccountToRotate {
                account: "CLINIC\\nurse".into(),
                urgency: 3,
                reasons: vec!["interactive logon on WS-1".into()],
                hosts: vec!["WS-1".into()],
                first_seen: at("2026-03-02T08:00:00Z"),
            }],
            machine_accounts: Vec::new(),
            not_covered: Vec::new(),
        },
        detections: vec![DetectionRef {
            time: at("2026-03-02T09:00:00Z"),
            host: "WS-1".into(),
            rule_title: "Office spawns PowerShell".into(),
            level: Level::High,
            record_id: Some(1),
            source: "WS-1.evtx".into(),
            finding: false,
        }],
    }
}

const INVENTORY: &str = "hosts:
  - {name: WS-1, role: doctor_workstation, ips: [10.20.10.1], services: [consultations], depends_on: [APP-01]}
  - {name: DB-01, role: database_server, ips: [10.20.1.30], services: [patient records]}
  - {name: APP-01, role: app_server, ips: [10.20.2.10], services: [patient portal], depends_on: [DB-01]}
  - {name: VOIP-01, role: telephony, ips: [10.20.1.50], services: [telephony]}
";

#[test]
fn each_host_gets_the_action_its_role_and_evidence_call_for() {
    let inventory = Inventory::parse(INVENTORY).unwrap();
    let incidents = [incident(false)];
    let p = plan(&Inputs {
        incidents: &incidents,
        inventory: Some(&inventory),
        ..Inputs::default()
    });
    let action = |h: &str| p.hosts.iter().find(|x| x.host == h).unwrap().action;
    assert_eq!(action("WS-1"), Action::Isolate);
    assert_eq!(action("DB-01"), Action::Restrict);
    assert_eq!(action("10.20.250.7"), Action::Watch);
    // Only an ordinary network logon into it: touched, not acted on.
    assert_eq!(action("VOIP-01"), Action::Watch);
    let db = p.hosts.iter().find(|x| x.host == "DB-01").unwrap();
    let r = db.restriction.as_ref().unwrap();
    assert_eq!(r.allow_from, ["APP-01"]);
    assert_eq!(r.allow_addresses, ["10.20.2.10"]);
    assert!(r.cut.iter().any(|c| c.starts_with("RDP")));
    let impact = p.impact.as_ref().unwrap();
    assert_eq!(impact.down_names(), ["consultations"]);
    assert_eq!(impact.degraded_names(), ["patient records"]);
    assert_eq!(impact.up, ["patient portal", "telephony"]);
    // Isolating every host with a detection is WS-1 only: as costly. Its
    // segment (10.20.10.0/24) holds nothing else: no second alternative.
    assert_eq!(p.alternatives.len(), 1);
    assert!(p.alternatives[0].saved.is_empty());
    assert_eq!(
        p.limits,
        ["no exfiltration assessment: outside destinations to block are not listed"]
    );
}

#[test]
fn without_an_inventory_servers_are_isolated_and_the_limit_said() {
    let incidents = [incident(false)];
    let p = plan(&Inputs {
        incidents: &incidents,
        ..Inputs::default()
    });
    assert_eq!(
        p.hosts.iter().find(|x| x.host == "DB-01").unwrap().action,
        Action::Isolate
    );
    assert!(p.impact.is_none());
    assert!(p.limits.iter().any(|l| l.contains("no inventory")));
}

#[test]
fn accounts_and_domain_steps_come_in_order() {
    let inventory = Inventory::parse(INVENTORY).unwrap();
    let incidents = [incident(true)];
    let changes = [AccountToDisable {
        account: "CLINIC\\svc-backup2".into(),
        change: "created".into(),
        action: "disable, then delete once the investigation has it".into(),
        host: "DC-01".into(),
        time: at("2026-03-02T10:00:00Z"),
        evidence: vec!["DC-01.evtx event 4720 record 9".into()],
        kind: None,
    }];
    let p = plan(&Inputs {
        incidents: &incidents,
        inventory: Some(&inventory),
        account_changes: &changes,
        assessment: None,
    });
    let steps: Vec<(&str, AccountStep)> = p
        .accounts
        .iter()
        .map(|a| (a.account.as_str(), a.action))
        .collect();
    assert_eq!(
        steps,
        [
            ("CLINIC\\svc-backup2", AccountStep::Disable),
            ("CLINIC\\adm", AccountStep::Reset),
            ("CLINIC\\nurse", AccountStep::Rotate)
        ]
    );
    assert_eq!(p.domain_wide.len(), 4);
    assert!(p.domain_wide[0].action.contains("krbtgt"));
    assert!(p.domain_wide[1].action.contains("10 hours"));
    assert!(p.domain_wide[2].action.contains("second time"));
    let order: Vec<&str> = p.order.iter().map(|s| s.action.as_str()).collect();
    let pos = |prefix: &str| order.iter().position(|a| a.starts_with(prefix)).unwrap();
    assert!(pos("disable") < pos("reset the accounts"));
    assert!(pos("reset the accounts") < pos("reset the krbtgt account's password (first"));
    assert!(pos("reset the krbtgt account's password (first") < pos("isolate"));
    assert!(pos("isolate") < pos("restrict"));
    assert!(pos("restrict") < pos("rotate the passwords of the exposed"));
    assert!(pos("rotate the passwords of the exposed") < pos("wait"));
    assert!(pos("wait") < pos("reset the krbtgt account's password a second"));
    assert_eq!(
        p.order.iter().map(|s| s.step).collect::<Vec<_>>(),
        (1..=order.len()).collect::<Vec<_>>()
    );
    assert!(p
        .limits
        .iter()
        .any(|l| l.contains("no exfiltration assessment")));
}

#[test]
fn a_compromised_domain_controller_is_restricted_and_everything_stays_up() {
    let inventory = Inventory::parse(
        "hosts:
  - {name: DC-01, role: domain_controller, ips: [10.20.1.10], services: [authentication]}
  - {name: VOIP-01, role: telephony, ips: [10.20.3.10], services: [telephony], depends_on: [DC-01]}
  - {name: API-01, role: api_server, ips: [10.20.2.20], services: [video consultation], depends_on: [DC-01]}
",
    )
    .unwrap();
    let mut incident = incident(true);
    incident.hosts = vec![host("DC-01", &["DCSync"], &[], None)];
    let p = plan(&Inputs {
        incidents: &[incident],
        inventory: Some(&inventory),
        ..Inputs::default()
    });
    let dc = &p.hosts[0];
    assert_eq!(dc.action, Action::Restrict);
    let r = dc.restriction.as_ref().unwrap();
    assert_eq!(r.allow_from, ["API-01", "VOIP-01"]);
    assert!(r.note.as_deref().unwrap().contains("Kerberos"));
    let impact = p.impact.unwrap();
    assert!(impact.down.is_empty());
    assert_eq!(impact.degraded_names(), ["authentication"]);
    assert_eq!(impact.up, ["telephony", "video consultation"]);
    // Isolating it, the naive way, takes everything down.
    let naive = &p.alternatives[0];
    assert_eq!(naive.isolated, ["DC-01"]);
    assert_eq!(
        naive.saved,
        ["authentication", "telephony", "video consultation"]
    );
    assert!(
        p.summary
            .contains("authentication, telephony and video consultation stay up"),
        "{}",
        p.summary
    );
}
