//! The same configuration gives byte-identical output; another seed does not.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

fn digests(out: &Path, config: &vigil_simulate::Config) -> BTreeMap<String, String> {
    let summary = vigil_simulate::generate(config, out).unwrap();
    summary
        .files
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).unwrap();
            let name = path.strip_prefix(out).unwrap().display().to_string();
            (name, format!("{:x}", Sha256::digest(&bytes)))
        })
        .collect()
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let config = common::small(11, true);
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let first = digests(a.path(), &config);
    let second = digests(b.path(), &config);
    assert_eq!(first, second);
    assert!(first.len() >= 10 + 5, "{first:?}");

    let other = digests(c.path(), &vigil_simulate::Config { seed: 12, ..config });
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        other.keys().collect::<Vec<_>>()
    );
    for (name, digest) in &first {
        if name != "inventory.yaml" {
            assert_ne!(digest, &other[name], "{name} did not change with the seed");
        }
    }
}
