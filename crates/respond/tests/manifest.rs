//! The evidence manifest against the system's `sha256sum`, and `verify`
//! over changed, missing and damaged evidence.

use std::path::Path;
use std::process::Command;

use chrono::Utc;
use vigil_respond::manifest::{self, FileState, Manifest};

fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum runs");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Deterministic bytes, larger than one read block so the streaming matters.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn hashes_equal_sha256sum_and_a_changed_byte_is_found() {
    let evidence = tempfile::tempdir().unwrap();
    let case = tempfile::tempdir().unwrap();
    let nested = evidence.path().join("hosts/fs-01");
    std::fs::create_dir_all(&nested).unwrap();
    let files = [
        (evidence.path().join("empty.log"), Vec::new()),
        (evidence.path().join("small.jsonl"), b"{\"a\":1}\n".to_vec()),
        (nested.join("Security.evtx"), bytes(7, 200_003)),
    ];
    for (path, content) in &files {
        std::fs::write(path, content).unwrap();
    }
    let mut m = Manifest::new("0.1.0", vec!["vigil".into(), "case".into()], Utc::now());
    m.add_evidence_path(evidence.path());
    m.add_evidence_path(&evidence.path().join("not-there.evtx"));
    m.add_rule_text("builtin/windows/lsass.yml", "title: x\n");
    let first = "2026-03-02T08:00:00Z".parse().unwrap();
    let last = "2026-03-06T18:00:00Z".parse().unwrap();
    m.set_range(&files[2].0, first, last);

    assert_eq!(m.evidence.len(), 4, "{:?}", m.evidence);
    for (path, content) in &files {
        let listed = m
            .evidence
            .iter()
            .find(|e| Path::new(&e.path) == path.as_path())
            .expect("listed");
        assert_eq!(listed.sha256.as_deref(), Some(sha256sum(path).as_str()));
        assert_eq!(listed.size, Some(content.len() as u64));
    }
    let fs = m
        .evidence
        .iter()
        .find(|e| e.path.ends_with("Security.evtx"))
        .unwrap();
    assert_eq!((fs.first_event, fs.last_event), (Some(first), Some(last)));
    let missing = m
        .evidence
        .iter()
        .find(|e| e.path.ends_with("not-there.evtx"))
        .unwrap();
    assert!(
        missing.sha256.is_none() && missing.problem.as_deref().unwrap().contains("cannot read")
    );
    assert_eq!(m.rules.files.len(), 1);
    assert_eq!(m.rules.combined_sha256.len(), 64);

    m.write(case.path()).unwrap();
    assert_eq!(Manifest::load(case.path()).unwrap(), m);
    let v = manifest::verify(case.path()).unwrap();
    assert!(v.intact(), "{:?}", v.files);
    assert_eq!(v.count(FileState::Same), 3);
    assert_eq!(v.count(FileState::NotHashed), 1);

    // One byte flipped in the middle of the large file, another file gone.
    let mut changed = files[2].1.clone();
    changed[100_000] ^= 1;
    std::fs::write(&files[2].0, &changed).unwrap();
    std::fs::remove_file(&files[1].0).unwrap();
    let v = manifest::verify(case.path()).unwrap();
    assert!(!v.intact());
    let state = |suffix: &str| {
        v.files
            .iter()
            .find(|f| f.path.ends_with(suffix))
            .unwrap()
            .state
    };
    assert_eq!(state("Security.evtx"), FileState::Changed);
    assert_eq!(state("small.jsonl"), FileState::Missing);
    assert_eq!(state("empty.log"), FileState::Same);
    let check = v
        .files
        .iter()
        .find(|f| f.path.ends_with("Security.evtx"))
        .unwrap();
    assert_eq!(
        check.found.as_deref(),
        Some(sha256sum(&files[2].0).as_str())
    );
}

#[test]
fn a_damaged_or_absent_manifest_is_an_error_naming_it_never_a_panic() {
    let case = tempfile::tempdir().unwrap();
    let err = manifest::verify(case.path()).unwrap_err().to_string();
    assert!(err.contains("manifest.json"), "{err}");
    let mut m = Manifest::new("0.1.0", vec![], Utc::now());
    m.add_rule_text("r", "t");
    let good = serde_json::to_vec(&m).unwrap();
    for round in 0..300u64 {
        let noise = bytes(round + 1, 8);
        let mut text = good.clone();
        match round % 3 {
            0 => text.truncate(noise[0] as usize % good.len()),
            1 => {
                let at = (noise[1] as usize * 131 + noise[2] as usize) % good.len();
                text[at] = noise[3];
            }
            _ => text = bytes(round, 64 + noise[4] as usize),
        }
        std::fs::write(case.path().join("manifest.json"), &text).unwrap();
        if let Err(e) = manifest::verify(case.path()) {
            assert!(e.to_string().contains("manifest.json"));
        }
    }
}
