//! Where Vigil's tests find the shared reference data — the SigmaHQ rules,
//! the Sigma specification's cases, EVTX, Zeek and Linux log corpora — which
//! is kept outside the repository: in `../shared` beside the workspace, or
//! wherever `VIGIL_SHARED` points.
//!
//! A test that needs the data calls [`shared_dir`]; when the data is
//! missing it is skipped with a message, except under `CI=true`, where a
//! missing folder fails it.

pub mod pki;

pub use pki::exchange;

use std::path::PathBuf;

/// The path `sub` inside the shared data folder, or `None` (after saying
/// what is missing) when it is absent outside CI.
///
/// # Panics
///
/// Under `CI=true`, when the path does not exist.
pub fn shared_dir(sub: &str) -> Option<PathBuf> {
    let root = std::env::var_os("VIGIL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let path = root.join(sub);
    if path.exists() {
        return Some(path);
    }
    let message = format!(
        "test data missing: {} (set VIGIL_SHARED to the shared data folder)",
        path.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message}");
    }
    eprintln!("skipping: {message}");
    None
}
