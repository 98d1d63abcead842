//! `vigil incidents` end to end, through the binary: on simulated estates
//! against their ground truth, and on real attack recordings whose events
//! were read by hand.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn real_incident_in(folder: &str, file: &str, extra: &[&str]) -> Option<Value> {
    common::incidents_of_recording(folder, file, extra)
}

fn vigil(args: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .output()
        .expect("the vigil binary runs");
    assert!(
        output.status.success(),
        "vigil {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("written")).expect("JSON")
}

/// Precision and recall of `found` against `truth`.
fn score(found: &BTreeSet<String>, truth: &BTreeSet<String>) -> (f64, f64) {
    let hits = found.intersection(truth).count() as f64;
    let precision = if found.is_empty() {
        1.0
    } else {
        hits / found.len() as f64
    };
    let recall = if truth.is_empty() {
        1.0
    } else {
        hits / truth.len() as f64
    };
    (precision, recall)
}

fn strings(v: &Value, pointer: &str, field: Option<&str>) -> BTreeSet<String> {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| match field {
                    Some(f) => i[f].as_str(),
                    None => i.as_str(),
                })
                .map(str::to_lowercase)
                .collect()
        })
        .unwrap_or_default()
}

/// Hops as (from, to, account, unix time). The simulator's time is when the
/// hop took effect on the target, Vigil's the first event of it (a connection
/// a few seconds earlier): times are compared within a minute.
fn hops(v: &Value, pointer: &str) -> Vec<(String, String, String, i64)> {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|e| {
                    let time = chrono::DateTime::parse_from_rfc3339(e["time"].as_str().unwrap())
                        .unwrap()
                        .timestamp();
                    (
                        e["from"].as_str().unwrap().to_string(),
                        e["to"].as_str().unwrap().to_string(),
                        e["account"].as_str().unwrap_or("").to_lowercase(),
                        time,
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn hop_score(
    found: &[(String, String, String, i64)],
    truth: &[(String, String, String, i64)],
) -> (f64, f64) {
    let same = |a: &(String, String, String, i64), b: &(String, String, String, i64)| {
        a.0 == b.0 && a.1 == b.1 && a.2 == b.2 && (a.3 - b.3).abs() <= 60
    };
    let precision = found
        .iter()
        .filter(|f| truth.iter().any(|t| same(f, t)))
        .count() as f64
        / found.len().max(1) as f64;
    let recall = truth
        .iter()
        .filter(|t| found.iter().any(|f| same(f, t)))
        .count() as f64
        / truth.len().max(1) as f64;
    (precision, recall)
}

/// Simulates an estate and runs `vigil incidents` on it: the truth and the
/// report, as JSON.
fn simulated_report(dir: &Path, seed: u64, hosts: usize, days: u32) -> (Value, Value) {
    let sim = dir.join(format!("sim-{seed}-{hosts}"));
    let sim_s = sim.to_str().unwrap();
    vigil(&[
        "simulate",
        "--out",
        sim_s,
        "--seed",
        &seed.to_string(),
        "--hosts",
        &hosts.to_string(),
        "--days",
        &days.to_string(),
    ]);
    let out = sim.join("report");
    vigil(&[
        "incidents",
        &format!("{sim_s}/windows"),
        "--inventory",
        &format!("{sim_s}/inventory.yaml"),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    let markdown = std::fs::read_to_string(out.join("incidents.md")).unwrap();
    assert!(markdown.contains("Patient zero"));
    (
        read_json(&sim.join("truth.json")),
        read_json(&out.join("incidents.json")),
    )
}

/// The hop of the report that is the truth's `hop`: same hosts and account,
/// within a minute.
fn found_hop<'a>(report: &'a Value, hop: &Value) -> Option<&'a Value> {
    let time = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v["time"].as_str().unwrap())
            .unwrap()
            .timestamp()
    };
    report["incidents"][0]["lateral_movement"]
        .as_array()?
        .iter()
        .find(|e| {
            e["from"] == hop["from"]
                && e["to"] == hop["to"]
                && e["account"].as_str().map(str::to_lowercase)
                    == hop["account"].as_str().map(str::to_lowercase)
                && (time(e) - time(hop)).abs() <= 60
        })
}

/// The simulator's intrusion (phishing, LSASS dump, RDP, PsExec, WinRM, WMI
/// with a backdoor account, exfiltration, ransomware pushed to more hosts)
/// at several seeds and two estate sizes: the hosts in scope, the hops and
/// the attacker's accounts match the truth.
#[test]
fn simulated_intrusions_are_scoped_as_the_truth_says() {
    let dir = tempfile::tempdir().unwrap();
    println!(
        "| seed | hosts | hosts P / R | hops P / R | attacker accounts P / R | patient zero | WMI hop found as |"
    );
    for (seed, hosts, days) in [(1, 12, 5), (7, 12, 5), (42, 12, 5), (7, 40, 3)] {
        let (truth, report) = simulated_report(dir.path(), seed, hosts, days);
        assert_eq!(
            report["incidents"].as_array().unwrap().len(),
            1,
            "one campaign, one incident (seed {seed})"
        );
        let (hp, hr) = score(
            &strings(&report, "/incidents/0/hosts", Some("host")),
            &strings(&truth, "/compromised_hosts", Some("host")),
        );
        let (ep, er) = hop_score(
            &hops(&report, "/incidents/0/lateral_movement"),
            &hops(&truth, "/lateral_movement"),
        );
        let (ap, ar) = score(
            &strings(&report, "/incidents/0/attacker_accounts", None),
            &strings(&truth, "/attacker_accounts", Some("account")),
        );
        let zero = report
            .pointer("/incidents/0/patient_zero/host")
            .and_then(Value::as_str);
        let wmi = truth["lateral_movement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["method"] == "wmi")
            .expect("the simulated attack moves by WMI");
        let wmi_found = found_hop(&report, wmi);
        println!(
            "| {seed} | {hosts} | {hp:.2} / {hr:.2} | {ep:.2} / {er:.2} | {ap:.2} / {ar:.2} | {} | {} |",
            zero == truth["patient_zero"].as_str(),
            wmi_found
                .and_then(|h| h["method"].as_str())
                .unwrap_or("not found")
        );
        assert_eq!(hr, 1.0, "every compromised host in scope (seed {seed})");
        assert_eq!(hp, 1.0, "hosts precision (seed {seed})");
        assert_eq!(er, 1.0, "every hop found (seed {seed})");
        assert_eq!(ep, 1.0, "hops precision (seed {seed})");
        assert_eq!(ar, 1.0, "every attacker account (seed {seed})");
        assert_eq!(ap, 1.0, "attacker accounts precision (seed {seed})");
        assert!(wmi_found.is_some(), "the WMI hop {wmi} (seed {seed})");
        assert_eq!(
            zero,
            truth["patient_zero"].as_str(),
            "patient zero (seed {seed})"
        );
    }
}

/// What the simulated WMI hop and backdoor account must become once Vigil
/// names WMI and lists account changes: the hop's method is `wmi`, and the
/// backdoor is among the incident's account changes, created and added to
/// Domain Admins.
#[test]
fn simulated_wmi_hop_and_backdoor_account_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (truth, report) = simulated_report(dir.path(), 7, 12, 5);
    let wmi = truth["lateral_movement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["method"] == "wmi")
        .expect("the simulated attack moves by WMI");
    let found = found_hop(&report, wmi).expect("the WMI hop is found");
    assert_eq!(found["method"], "wmi", "{found}");

    let changes = report["incidents"][0]["account_changes"]
        .as_array()
        .expect("the incident lists account changes");
    // Accounts compared by name: a group change may name its member by the
    // directory's distinguished name or SID rather than DOMAIN\name.
    let name = |account: &str| {
        account
            .rsplit('\\')
            .next()
            .unwrap_or(account)
            .to_lowercase()
    };
    let backdoors = truth["backdoor_accounts"].as_array().unwrap();
    assert!(!backdoors.is_empty());
    for backdoor in backdoors {
        let account = name(backdoor["account"].as_str().unwrap());
        let of = |kind: &str| {
            changes.iter().find(|c| {
                c["account"].as_str().map(name).as_deref() == Some(account.as_str())
                    && c["change"] == kind
            })
        };
        let created = of("created").unwrap_or_else(|| panic!("{account} created: {changes:?}"));
        assert_eq!(created["host"], backdoor["host"]);
        let promoted = of("added_to_group")
            .unwrap_or_else(|| panic!("{account} added to a group: {changes:?}"));
        assert_eq!(promoted["group"], backdoor["group"]);
    }

    // Code run on the domain controller puts every domain secret at risk.
    let domain_wide = report["incidents"][0]["credentials"]["domain_wide"]
        .as_array()
        .unwrap();
    assert_eq!(domain_wide.len(), 1, "{domain_wide:?}");
    let step = domain_wide[0].as_str().unwrap();
    assert!(
        step.contains("domain controller DC-01") && step.contains("krbtgt"),
        "{step}"
    );

    // The report a person reads shows the hop's method with the records that
    // prove it, and what to do with the backdoor.
    let markdown = std::fs::read_to_string(
        dir.path()
            .join("sim-7-12")
            .join("report")
            .join("incidents.md"),
    )
    .unwrap();
    let hop_row = markdown
        .lines()
        .find(|l| l.contains("| wmi |"))
        .unwrap_or_else(|| panic!("a wmi hop row: {markdown}"));
    assert!(
        hop_row.contains("DC-01.jsonl event ") && hop_row.contains(" record "),
        "{hop_row}"
    );
    assert!(markdown.contains("### Accounts the attacker changed"));
    let backdoor = name(backdoors[0]["account"].as_str().unwrap());
    let created_row = markdown
        .lines()
        .find(|l| l.to_lowercase().contains(&backdoor) && l.contains("| created |"))
        .unwrap_or_else(|| panic!("a row for {backdoor} created: {markdown}"));
    assert!(created_row.contains("disable"), "{created_row}");
}

/// The same estate without the intrusion: background work only, including
/// administrators' RDP sessions and service-account logons, gives no incident.
#[test]
fn a_quiet_estate_has_no_incident() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("quiet");
    let sim_s = sim.to_str().unwrap();
    vigil(&["simulate", "--out", sim_s, "--seed", "7", "--no-attack"]);
    let out = sim.join("report");
    vigil(&[
        "incidents",
        &format!("{sim_s}/windows"),
        "--inventory",
        &format!("{sim_s}/inventory.yaml"),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    let report = read_json(&out.join("incidents.json"));
    assert!(
        report["detections"].as_u64().unwrap() > 0,
        "there is background noise"
    );
    assert_eq!(report["incidents"].as_array().unwrap().len(), 0);
}

fn real_incident(file: &str, extra: &[&str]) -> Option<Value> {
    real_incident_in(
        "corpus/evtx/EVTX-to-MITRE-Attack/TA0008-Lateral Movement",
        file,
        extra,
    )
}

/// PsExec against SRVDEFENDER01. Read in the events (records 349321–349343):
/// five 4624 type-3 Kerberos logons of OFFSEC.LAN\admmig from 10.23.42.22
/// (no workstation name) at 09:40:32, then 4697 by admmig installing
/// PSEXESVC (%SystemRoot%\PSEXESVC.exe); the 5145 "First Time Seen Remote
/// Named Pipe" detections (high) are the PsExec pipes. So: one hop
/// 10.23.42.22 → SRVDEFENDER01 by service as OFFSEC\admmig, the address
/// (unknown to any inventory) where the attacker came from.
#[test]
fn psexec_recording_gives_the_hop_and_account() {
    let Some(report) = real_incident(
        "T1021.002-SMB Windows Admin Shares/ID4688,4697,5140-5145 PSexec remote execution + admin share.evtx",
        &[],
    ) else {
        return;
    };
    let incident = &report["incidents"][0];
    let hop = &incident["lateral_movement"][0];
    assert_eq!(hop["from"], "10.23.42.22");
    assert_eq!(hop["to"], "SRVDEFENDER01");
    assert_eq!(hop["method"], "service");
    assert_eq!(hop["account"], "OFFSEC\\admmig");
    assert_eq!(incident["lateral_movement"].as_array().unwrap().len(), 1);
    assert_eq!(
        incident["attacker_accounts"],
        serde_json::json!(["OFFSEC\\admmig"])
    );
    assert_eq!(incident["patient_zero"]["host"], "10.23.42.22");
    assert_eq!(
        incident["credentials"]["accounts"][0]["account"],
        "OFFSEC\\admmig"
    );
}

/// `net use` with other credentials on FS03. Read in the events: 4688
/// (record 469061) admmig runs `net use m: \\fs03vuln\c$ /USER:offsec\hack1`,
/// then 4648 (record 469062) with TargetUserName hack1 / OFFSEC.LAN and
/// TargetServerName fs03vuln.offsec.lan. Its detections are medium at most,
/// so the incident starts at --seed-level medium: hop FS03 → FS03VULN with
/// explicit credentials of OFFSEC\hack1; both admmig and hack1 to rotate.
#[test]
fn net_use_recording_gives_the_explicit_credential_hop() {
    let Some(report) = real_incident(
        "T1021.002-SMB Windows Admin Shares/ID4688-4648 Lateral movement with net use.evtx",
        &["--seed-level", "medium"],
    ) else {
        return;
    };
    let incident = &report["incidents"][0];
    let hop = &incident["lateral_movement"][0];
    assert_eq!(hop["from"], "FS03");
    assert_eq!(hop["to"], "FS03VULN");
    assert_eq!(hop["method"], "explicit_credentials");
    assert_eq!(hop["account"], "OFFSEC\\hack1");
    let hosts = strings(incident, "/hosts", Some("host"));
    assert_eq!(
        hosts,
        ["fs03", "fs03vuln"].iter().map(|s| s.to_string()).collect()
    );
    let accounts = strings(incident, "/attacker_accounts", None);
    assert!(accounts.contains("offsec\\hack1") && accounts.contains("offsec\\admmig"));
}

/// DCSync with Mimikatz against ROOTDC1. Read in the events: 4624 type 3
/// (Kerberos) of OFFSEC.LAN\admmig from 10.23.23.9 at 12:02:34–37, the last
/// one opening session 0x11b8c741; then three 4662 (records 24485745–47) by
/// admmig in that session with the replication rights
/// {1131f6aa-…} and {1131f6ad-…} in Properties. The detections are medium.
/// So: admmig came from 10.23.23.9, replicated the directory, and every
/// domain secret (krbtgt included) must be considered stolen.
#[test]
fn dcsync_recording_calls_for_a_domain_wide_reset() {
    let Some(report) = real_incident_in(
        "corpus/evtx/EVTX-to-MITRE-Attack/TA0006-Credential Access",
        "T1003-Credential dumping/ID4662-DCsync attack using Mimikatz.evtx",
        &["--seed-level", "medium"],
    ) else {
        return;
    };
    let incident = &report["incidents"][0];
    let hop = &incident["lateral_movement"][0];
    assert_eq!(hop["from"], "10.23.23.9");
    assert_eq!(hop["to"], "ROOTDC1");
    assert_eq!(hop["account"], "OFFSEC\\admmig");
    let domain_wide = incident["credentials"]["domain_wide"].as_array().unwrap();
    assert_eq!(domain_wide.len(), 1, "one DCSync by one account on one DC");
    assert!(domain_wide[0].as_str().unwrap().contains("krbtgt"));
    assert_eq!(
        incident["credentials"]["accounts"][0]["account"],
        "OFFSEC\\admmig"
    );
    assert_eq!(incident["credentials"]["accounts"][0]["urgency"], 1);
}

/// One Windows event in the JSON shape `evtx_dump` writes.
fn evtx_json(
    computer: &str,
    channel: &str,
    id: u32,
    time: &str,
    record: u64,
    data: Value,
) -> String {
    serde_json::json!({"Event": {
        "System": {
            "EventID": id,
            "Channel": channel,
            "Computer": computer,
            "TimeCreated": {"#attributes": {"SystemTime": time}},
            "EventRecordID": record,
        },
        "EventData": data,
    }})
    .to_string()
}

/// `--clock-skew` through the binary. Written from the documented fields:
/// WS-1 gives explicit credentials of CLINIC\adm for SRV-1 (4648, by WS-1's
/// clock at 09:30:00) and nothing else; SRV-1, whose clock is a second
/// behind, deletes shadow copies at 09:29:59. With the default tolerance the
/// hop explains SRV-1's detection and WS-1 is where the attacker came from;
/// with `--clock-skew 0` the timestamps are taken at their word.
#[test]
fn clock_skew_decides_patient_zero_between_a_hop_and_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let explicit = evtx_json(
        "WS-1.clinic.example",
        "Security",
        4648,
        "2026-03-03T09:30:00.000000Z",
        1,
        serde_json::json!({
            "SubjectUserName": "bob",
            "SubjectDomainName": "CLINIC",
            "SubjectLogonId": "0x1111",
            "TargetUserName": "adm",
            "TargetDomainName": "CLINIC",
            "TargetServerName": "SRV-1",
            "TargetInfo": "SRV-1",
            "ProcessName": "C:\\Windows\\System32\\cmd.exe",
        }),
    );
    let shadows = evtx_json(
        "SRV-1.clinic.example",
        "Microsoft-Windows-Sysmon/Operational",
        1,
        "2026-03-03T09:29:59.000000Z",
        1,
        serde_json::json!({
            "ProcessGuid": "{AAAAAAAA-0000-0000-0000-000000000001}",
            "Image": "C:\\Windows\\System32\\vssadmin.exe",
            "CommandLine": "vssadmin delete shadows /all /quiet",
            "User": "CLINIC\\adm",
            "LogonId": "0x2222",
            "ParentImage": "C:\\Windows\\System32\\cmd.exe",
        }),
    );
    std::fs::write(dir.path().join("WS-1.jsonl"), explicit + "\n").unwrap();
    std::fs::write(dir.path().join("SRV-1.jsonl"), shadows + "\n").unwrap();
    let zero = |extra: &[&str]| {
        let out = dir.path().join(format!("report{}", extra.len()));
        let mut args = vec![
            "incidents",
            dir.path().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ];
        args.extend_from_slice(extra);
        vigil(&args);
        let report = read_json(&out.join("incidents.json"));
        let pz = &report["incidents"][0]["patient_zero"];
        (
            pz["host"].as_str().unwrap().to_string(),
            pz["reasoning"].as_str().unwrap().to_string(),
        )
    };
    let (host, reasoning) = zero(&[]);
    assert_eq!(host, "WS-1", "{reasoning}");
    assert!(
        reasoning.contains("within the 5 s tolerance for clocks of different hosts"),
        "{reasoning}"
    );
    let (host, reasoning) = zero(&["--clock-skew", "0"]);
    assert_eq!(host, "SRV-1", "{reasoning}");
    let (host, _) = zero(&["--clock-skew", "0.5"]);
    assert_eq!(host, "SRV-1", "half a second does not cover the second");

    let refused = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["incidents", dir.path().to_str().unwrap(), "--clock-skew=-1"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr)
        .contains("'-1' is not between 0 and 86400 seconds"));
}
