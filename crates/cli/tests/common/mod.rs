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
