//! The ground truth agrees with the inventory and with the network records.

mod common;

use std::collections::BTreeSet;

use vigil_simulate::{Method, Truth};

#[test]
fn truth_matches_inventory_flows_and_file() {
    let out = tempfile::tempdir().unwrap();
    let summary = vigil_simulate::generate(&common::small(5, true), out.path()).unwrap();
    let truth = summary.truth;

    let written: Truth =
        serde_json::from_slice(&std::fs::read(out.path().join("truth.json")).unwrap()).unwrap();
    assert_eq!(written, truth);

    let inventory = std::fs::read_to_string(out.path().join("inventory.yaml")).unwrap();
    let hosts: BTreeSet<&str> = inventory
        .lines()
        .filter_map(|line| line.strip_prefix("  - name: "))
        .collect();
    assert!(hosts.len() >= 10);

    let zero = truth.patient_zero.as_deref().unwrap();
    assert!(hosts.contains(zero));
    assert!(truth.compromised_hosts.iter().any(|c| c.host == zero));
    for host in &truth.compromised_hosts {
        assert!(
            hosts.contains(host.host.as_str()),
            "{} not in the inventory",
            host.host
        );
        assert!(host.first_malicious <= host.last_malicious);
        assert!(out
            .path()
            .join("windows")
            .join(format!("{}.jsonl", host.host))
            .exists());
    }
    let compromised: BTreeSet<&str> = truth
        .compromised_hosts
        .iter()
        .map(|c| c.host.as_str())
        .collect();
    for edge in &truth.lateral_movement {
        assert!(
            compromised.contains(edge.from.as_str()) && compromised.contains(edge.to.as_str()),
            "{edge:?}"
        );
    }
    for method in [Method::Rdp, Method::SmbPsexec, Method::Winrm, Method::Wmi] {
        assert!(
            truth.lateral_movement.iter().any(|e| e.method == method),
            "no {method:?} edge"
        );
    }
    // The backdoor: created on the domain controller by an account the
    // attacker used, its 4720 there in the creator's session, and put in
    // Domain Admins (4728).
    assert_eq!(truth.backdoor_accounts.len(), 1);
    let backdoor = &truth.backdoor_accounts[0];
    assert_eq!(backdoor.host, "DC-01");
    assert_eq!(backdoor.group.as_deref(), Some("Domain Admins"));
    assert!(truth
        .attacker_accounts
        .iter()
        .any(|a| a.account == backdoor.created_by));
    assert!(!truth
        .attacker_accounts
        .iter()
        .any(|a| a.account == backdoor.account));
    let dc = std::fs::read_to_string(out.path().join("windows/DC-01.jsonl")).unwrap();
    let (_, name) = backdoor.account.split_once('\\').unwrap();
    let (_, creator) = backdoor.created_by.split_once('\\').unwrap();
    let events: Vec<serde_json::Value> = dc
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|e: &serde_json::Value| {
            e["Event"]["EventData"]["TargetUserName"] == name
                || e["Event"]["EventData"]["MemberSid"].is_string()
        })
        .collect();
    let ids: Vec<u64> = events
        .iter()
        .map(|e| e["Event"]["System"]["EventID"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [4720, 4722, 4724, 4728]);
    assert!(events
        .iter()
        .all(|e| e["Event"]["EventData"]["SubjectUserName"] == creator));
    let wmi = truth
        .lateral_movement
        .iter()
        .find(|e| e.method == Method::Wmi)
        .unwrap();
    assert_eq!(wmi.to, "DC-01");
    // The payload runs under WmiPrvSE in the network logon from the source.
    assert!(dc.contains("\"ParentImage\":\"C:\\\\Windows\\\\System32\\\\wbem\\\\WmiPrvSE.exe\""));
    for host in &truth.encrypted_hosts {
        assert!(compromised.contains(host.as_str()));
    }
    for step in &truth.steps {
        assert!(compromised.contains(step.host.as_str()), "{step:?}");
    }
    assert!(truth
        .exposed_accounts
        .iter()
        .all(|e| compromised.contains(e.host.as_str())));
    assert!(!truth.attacker_accounts.is_empty());

    // The exfiltration's bytes are exactly those of its flow records.
    assert_eq!(truth.exfiltration.len(), 1);
    let exfil = &truth.exfiltration[0];
    let mut reader = csv::Reader::from_path(out.path().join("network/flows.csv")).unwrap();
    assert_eq!(
        reader
            .headers()
            .unwrap()
            .iter()
            .collect::<Vec<_>>()
            .join(","),
        vigil_simulate::FLOWS_HEADER
    );
    let mut sum = 0u64;
    let mut last_ts = String::new();
    for record in reader.records() {
        let record = record.unwrap();
        assert!(record[0] >= *last_ts, "flows out of time order");
        last_ts = record[0].to_string();
        if record[1] == exfil.source_ip && record[3] == exfil.destination_ip {
            sum += record[6].parse::<u64>().unwrap();
        }
    }
    assert_eq!(sum, exfil.bytes);
    assert!(exfil.bytes > 1_000_000_000);
}

#[test]
fn without_the_attack_the_truth_is_empty() {
    let out = tempfile::tempdir().unwrap();
    let summary = vigil_simulate::generate(&common::small(5, false), out.path()).unwrap();
    assert!(summary.truth.patient_zero.is_none());
    assert!(summary.truth.steps.is_empty() && summary.truth.compromised_hosts.is_empty());
}
