//! Shared helpers for tests that read `../shared` (or `$VIGIL_SHARED`).

use std::path::PathBuf;

/// The shared data folder, or `None` (after saying what is missing) when it
/// is absent outside CI. Under `CI=true` a missing folder fails the test.
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
