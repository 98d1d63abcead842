//! `vigil case` over a simulated intrusion: the case folder's files, the
//! containment plan, the manifest against `sha256sum`, and `--verify`
//! finding a changed byte and a missing file.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .output()
        .expect("the vigil binary runs")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn sha256sum(path: &str) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

#[test]
fn a_case_folder_holds_the_plan_and_a_manifest_that_verify_checks() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let sim_s = sim.to_str().unwrap();
    assert!(vigil(&["simulate", "--out", sim_s, "--seed", "7"])
        .status
        .success());
    let case = dir.path().join("case");
    let case_s = case.to_str().unwrap();
    let missing = dir.path().join("no-such.evtx");
    let out = vigil(&[
        "case",
        &format!("{sim_s}/windows"),
        &format!("{sim_s}/network"),
        missing.to_str().unwrap(),
        "--inventory",
        &format!("{sim_s}/inventory.yaml"),
        "--aware-at",
        "2026-03-04T08:00:00Z",
        "--out",
        case_s,
        "-q",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [
        "timeline.csv",
        "timeline.jsonl",
        "incidents.json",
        "exfiltration.json",
        "containment.json",
        "notification.json",
        "manifest.json",
        "report.md",
        "report.html",
    ] {
        assert!(case.join(file).is_file(), "{file} written");
    }
    let report = std::fs::read_to_string(case.join("report.md")).unwrap();
    for section in [
        "## Containment plan",
        "### In this order",
        "### What it costs",
        "## Notification clocks",
        "(GDPR Art. 33(3))",
        "## Notice for customers (draft)",
        "- If you use authentication, call centre, consultations, name resolution, patient documents, patient portal, patient records: change that password",
        "## Evidence manifest",
    ] {
        assert!(report.contains(section), "{section} in report.md");
    }
    assert!(report.contains("**Stays up:** backup, mobile app, telephony, video consultation"));
    assert!(stdout.contains("telephony"), "{stdout}");

    let plan = read_json(&case.join("containment.json"));
    let truth = read_json(&sim.join("truth.json"));
    let action = |host: &str| {
        plan["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["host"] == host)
            .map(|h| h["action"].as_str().unwrap().to_string())
    };
    for h in truth["compromised_hosts"].as_array().unwrap() {
        let a = action(h["host"].as_str().unwrap());
        assert!(
            matches!(a.as_deref(), Some("isolate" | "restrict")),
            "{h}: {a:?}"
        );
    }
    let down: Vec<&str> = plan["impact"]["down"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert!(!down.contains(&"telephony"));

    let clocks = read_json(&case.join("notification.json"));
    assert_eq!(clocks["clocks"][0]["deadline"], "2026-03-07T08:00:00Z");

    let manifest = read_json(&case.join("manifest.json"));
    let evidence = manifest["evidence"].as_array().unwrap();
    assert_eq!(
        evidence.len(),
        12 + 3 + 1 + 1,
        "12 hosts, 3 network files, the inventory, the missing file"
    );
    for e in evidence {
        let path = e["path"].as_str().unwrap();
        if path.ends_with("no-such.evtx") {
            assert!(e["sha256"].is_null());
            assert!(e["problem"].as_str().unwrap().contains("cannot read"));
        } else {
            assert_eq!(e["sha256"].as_str().unwrap(), sha256sum(path), "{path}");
        }
    }
    let flows = evidence
        .iter()
        .find(|e| e["path"].as_str().unwrap().ends_with("flows.csv"))
        .unwrap();
    assert!(flows["first_event"].is_string() && flows["last_event"].is_string());
    // A host log's time range is its events' first and last.
    let dc = evidence
        .iter()
        .find(|e| e["path"].as_str().unwrap().ends_with("DC-01.jsonl"))
        .unwrap();
    let (first, last) = (
        dc["first_event"].as_str().expect("first event of DC-01"),
        dc["last_event"].as_str().expect("last event of DC-01"),
    );
    assert!(first < last && first.starts_with("2026-"), "{first} {last}");
    assert_eq!(
        manifest["rules"]["combined_sha256"].as_str().unwrap().len(),
        64
    );

    let verified = vigil(&["case", "--verify", case_s]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );

    // One byte of one host's log changed, the DNS log gone.
    let host_log = sim.join("windows/DC-01.jsonl");
    let mut bytes = std::fs::read(&host_log).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    std::fs::write(&host_log, bytes).unwrap();
    std::fs::remove_file(sim.join("network/dns.jsonl")).unwrap();
    let verified = vigil(&["case", "--verify", case_s]);
    let text = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(verified.status.code(), Some(1), "{text}");
    let line = |name: &str| text.lines().find(|l| l.contains(name)).unwrap().to_string();
    assert!(line("DC-01.jsonl").starts_with("CHANGED"), "{text}");
    assert!(line("dns.jsonl").starts_with("MISSING"), "{text}");
    assert!(line("FS-01.jsonl").starts_with("same"), "{text}");
    assert!(text.contains("NOT intact: 2 file(s)"), "{text}");
}

/// `vigil demo` ends with the case folder and the plan's first steps, and
/// the folder's manifest verifies.
#[test]
fn the_demo_ends_with_a_case_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = vigil(&["demo", "--out", dir.path().to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let tail = &text[text.find("7. The case folder").expect("the case step")..];
    assert!(tail.contains("Containment: Isolate"), "{tail}");
    assert!(tail.contains("  1. block the outside addresses"), "{tail}");
    for file in ["containment.json", "notification.json", "manifest.json"] {
        assert!(dir.path().join(file).is_file(), "{file}");
    }
    let verified = vigil(&["case", "--verify", dir.path().to_str().unwrap()]);
    assert!(verified.status.success());
}
