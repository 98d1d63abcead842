//! `vigil exfil` end to end on simulated estates with known truth: the
//! exfiltrating host, destination and volume are found; the background's
//! nightly offsite backups, video consultations and cloud traffic are not
//! flagged; without the flow records the verdict is "cannot be assessed".

mod common;

use std::path::Path;

use serde_json::Value;

fn vigil(args: &[&str]) -> String {
    let output = common::vigil(args);
    assert!(
        output.status.success(),
        "vigil {args:?} failed: {}",
        common::stderr(&output)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn simulate(dir: &Path, seed: u64, hosts: usize, days: u32, attack: bool) -> String {
    let sim = dir.join(format!("sim-{seed}-{hosts}-{days}-{attack}"));
    let sim_s = sim.to_str().unwrap().to_string();
    let (seed, hosts, days) = (seed.to_string(), hosts.to_string(), days.to_string());
    let mut args = vec![
        "simulate", "--out", &sim_s, "--seed", &seed, "--hosts", &hosts, "--days", &days,
    ];
    if !attack {
        args.push("--no-attack");
    }
    vigil(&args);
    sim_s
}

fn exfil(sim: &str) -> Value {
    let out = vigil(&[
        "exfil",
        sim,
        "--inventory",
        &format!("{sim}/inventory.yaml"),
        "--json",
        "-q",
    ]);
    serde_json::from_str(&out).unwrap()
}

fn truth(sim: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{sim}/truth.json")).unwrap()).unwrap()
}

fn hosts_with(a: &Value, verdicts: &[&str]) -> Vec<String> {
    a["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| verdicts.contains(&h["verdict"].as_str().unwrap()))
        .map(|h| h["host"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_exfiltrating_host_destination_and_volume_are_found() {
    let dir = tempfile::tempdir().unwrap();
    println!("| seed | hosts | days | truth | found | volume error | other hosts flagged |");
    for (seed, hosts, days) in [(1, 12, 5), (7, 12, 5), (42, 12, 5), (7, 40, 3)] {
        let sim = simulate(dir.path(), seed, hosts, days, true);
        let a = exfil(&sim);
        let t = &truth(&sim)["exfiltration"][0];
        let (source, destination) = (
            t["source_host"].as_str().unwrap(),
            t["destination_ip"].as_str().unwrap(),
        );
        let true_bytes = t["bytes"].as_u64().unwrap() as f64;
        assert_eq!(a["verdict"], "likely", "seed {seed}: {}", a["summary"]);
        let flagged = hosts_with(&a, &["likely", "suspected"]);
        assert_eq!(
            flagged,
            [source],
            "seed {seed}: only the source host is flagged"
        );
        let host = a["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["host"] == source)
            .unwrap();
        let egress = &host["egress"].as_array().unwrap();
        assert_eq!(egress.len(), 1, "seed {seed}: one destination");
        assert_eq!(egress[0]["destination"], destination, "seed {seed}");
        let found = egress[0]["bytes"].as_u64().unwrap() as f64;
        let error = (found - true_bytes).abs() / true_bytes;
        assert!(
            error <= 0.10,
            "seed {seed}: {found} bytes found, {true_bytes} sent"
        );
        let volume = &a["estimated_volume"];
        assert!(volume["lower"].as_u64().unwrap() as f64 <= true_bytes * 1.0001);
        assert!(volume["upper"].as_u64().unwrap() as f64 >= true_bytes * 0.9999);
        // The tool that sent it, from the host's own connection log.
        let process = egress[0]["processes"][0]["image"].as_str().unwrap_or("");
        assert!(
            process.ends_with("rclone.exe") || process.ends_with("curl.exe"),
            "seed {seed}: {process}"
        );
        assert!(
            !host["staging"].as_array().unwrap().is_empty(),
            "seed {seed}: staging listed"
        );
        println!(
            "| {seed} | {hosts} | {days} | {source} → {destination}, {true_bytes:.0} B | {} → {}, {found:.0} B | {:.4}% | none |",
            host["host"].as_str().unwrap(),
            egress[0]["destination"].as_str().unwrap(),
            error * 100.0
        );
    }
}

#[test]
fn a_quiet_estate_shows_no_evidence_and_its_backups_are_not_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let sim = simulate(dir.path(), 7, 12, 5, false);
    let a = exfil(&sim);
    assert_eq!(a["verdict"], "no_evidence", "{}", a["summary"]);
    assert!(hosts_with(&a, &["likely", "suspected"]).is_empty());
    assert!(a["window_basis"]
        .as_str()
        .unwrap()
        .contains("no incident window"));
    // The nightly offsite upload is tens of GB, every night: in BK-01's baseline.
    let text = vigil(&[
        "exfil",
        &sim,
        "--inventory",
        &format!("{sim}/inventory.yaml"),
        "-q",
    ]);
    assert!(
        text.starts_with("Verdict: NO EVIDENCE OF EXFILTRATION"),
        "{text}"
    );
}

#[test]
fn without_flow_records_the_verdict_is_cannot_be_assessed() {
    let dir = tempfile::tempdir().unwrap();
    let sim = simulate(dir.path(), 7, 12, 5, true);
    let source = truth(&sim)["exfiltration"][0]["source_ip"]
        .as_str()
        .unwrap()
        .to_string();
    let source_host = truth(&sim)["exfiltration"][0]["source_host"]
        .as_str()
        .unwrap()
        .to_string();

    // Only the source host's flow records missing: that host cannot be
    // assessed, and neither can the estate.
    for file in ["flows.csv", "conn.jsonl"] {
        let path = format!("{sim}/network/{file}");
        let text = std::fs::read_to_string(&path).unwrap();
        let kept: String = text
            .lines()
            .filter(|l| {
                !l.contains(&format!("\"{source}\"")) && !l.contains(&format!(",{source},"))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(kept.len() < text.len());
        std::fs::write(&path, kept).unwrap();
    }
    let a = exfil(&sim);
    assert_eq!(a["verdict"], "cannot_be_assessed", "{}", a["summary"]);
    assert_eq!(
        hosts_with(&a, &["cannot_be_assessed"]),
        std::slice::from_ref(&source_host)
    );
    assert!(hosts_with(&a, &["likely", "suspected"]).is_empty());
    let gaps = a["gaps"].to_string();
    assert!(
        gaps.contains("no flow records for 1 of") && gaps.contains(&source_host),
        "{gaps}"
    );

    // No flow records at all.
    std::fs::remove_file(format!("{sim}/network/flows.csv")).unwrap();
    std::fs::remove_file(format!("{sim}/network/conn.jsonl")).unwrap();
    let a = exfil(&sim);
    assert_eq!(a["verdict"], "cannot_be_assessed", "{}", a["summary"]);
    assert!(
        a["gaps"][0]
            .as_str()
            .unwrap()
            .starts_with("no flow records"),
        "{}",
        a["gaps"]
    );
    assert!(a["summary"]
        .as_str()
        .unwrap()
        .contains("cannot be assessed"));
}

#[test]
fn nothing_readable_is_an_error_naming_the_path() {
    let output = common::vigil(&["exfil", "/nonexistent-evidence", "-q"]);
    assert!(!output.status.success());
    let message = common::stderr(&output);
    assert!(
        message.contains("no network evidence or host events under /nonexistent-evidence"),
        "{message}"
    );
}
