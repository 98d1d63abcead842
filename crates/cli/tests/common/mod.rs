//! Running the `vigil` binary from the integration tests.

use std::process::{Command, Output};

/// Runs `vigil` with `args` and waits for it.
pub fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .output()
        .expect("the vigil binary runs")
}

/// What a run wrote on stderr (the summary, the issues).
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `vigil incidents` with SigmaHQ's rules and no inventory on one
/// recording `file` under the shared `folder`, and reads its
/// `incidents.json`; `None` when the shared data is not there.
// Each test binary compiles this module; not all of them hunt recordings.
#[allow(dead_code)]
pub fn incidents_of_recording(
    folder: &str,
    file: &str,
    extra: &[&str],
) -> Option<serde_json::Value> {
    let dir = vigil_testdata::shared_dir(folder)?;
    let rules = vigil_testdata::shared_dir("sigma/rules")?;
    let out = tempfile::tempdir().unwrap();
    let path = dir.join(file);
    let mut args = vec![
        "incidents",
        path.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
        "-q",
    ];
    args.extend_from_slice(extra);
    let output = vigil(&args);
    assert!(
        output.status.success(),
        "vigil {args:?} failed: {}",
        stderr(&output)
    );
    let text = std::fs::read_to_string(out.path().join("incidents.json")).expect("written");
    Some(serde_json::from_str(&text).expect("JSON"))
}
