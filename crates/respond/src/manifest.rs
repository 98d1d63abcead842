//! The evidence manifest: every input file with its size, SHA-256 and time
//! range, the rules with their hashes, Vigil's version and the command line
//! — so the analysis can be repeated and defended, and [`verify`] can tell
//! whether the evidence is still what was analysed.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifest's file name in a case folder.
pub const FILE_NAME: &str = "manifest.json";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub vigil_version: String,
    pub command_line: Vec<String>,
    pub created: DateTime<Utc>,
    pub evidence: Vec<EvidenceFile>,
    pub rules: Rules,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EvidenceFile {
    /// Absolute when it could be made so, else as given.
    pub path: String,
    pub size: Option<u64>,
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_event: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_event: Option<DateTime<Utc>>,
    /// Why it could not be hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Rules {
    pub files: Vec<RuleFile>,
    /// SHA-256 over the sorted lines `sha256  name` of every rule: one value
    /// that names the ruleset.
    pub combined_sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RuleFile {
    pub name: String,
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The SHA-256 (lower-case hex, as `sha256sum` prints it) and size of a
/// file, read in blocks: never the whole file in memory.
pub fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((hex(&hasher.finalize()), size))
}

pub fn hash_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(digest.len() * 2);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

impl Manifest {
    pub fn new(vigil_version: &str, command_line: Vec<String>, created: DateTime<Utc>) -> Manifest {
        Manifest {
            vigil_version: vigil_version.to_string(),
            command_line,
            created,
            evidence: Vec::new(),
            rules: Rules::default(),
        }
    }

    /// Hashes one evidence file; one that cannot be read is listed with why.
    pub fn add_evidence(&mut self, path: &Path, range: Option<(DateTime<Utc>, DateTime<Utc>)>) {
        let (sha256, size, problem) = match hash_file(path) {
            Ok((sha, size)) => (Some(sha), Some(size), None),
            Err(e) => (None, None, Some(format!("cannot read: {e}"))),
        };
        self.evidence.push(EvidenceFile {
            path: absolute(path),
            size,
            sha256,
            first_event: range.map(|r| r.0),
            last_event: range.map(|r| r.1),
            problem,
        });
    }

    /// Every file under `path` (the file itself, or a folder's files,
    /// recursively, in name order), without time ranges.
    pub fn add_evidence_path(&mut self, path: &Path) {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        walk(path, &mut files, &mut problems);
        for f in files {
            self.add_evidence(&f, None);
        }
        for (p, why) in problems {
            self.evidence.push(EvidenceFile {
                path: absolute(&p),
                size: None,
                sha256: None,
                first_event: None,
                last_event: None,
                problem: Some(why),
            });
        }
    }

    /// Sets an evidence file's time range (the first and last event read from it).
    pub fn set_range(&mut self, path: &Path, first: DateTime<Utc>, last: DateTime<Utc>) {
        let wanted = absolute(path);
        if let Some(e) = self.evidence.iter_mut().find(|e| e.path == wanted) {
            e.first_event = Some(first);
            e.last_event = Some(last);
        }
    }

    pub fn add_rule_file(&mut self, path: &Path) {
        self.push_rule_file(path);
        self.combine();
    }

    fn push_rule_file(&mut self, path: &Path) {
        let (sha256, problem) = match hash_file(path) {
            Ok((sha, _)) => (Some(sha), None),
            Err(e) => (None, Some(format!("cannot read: {e}"))),
        };
        self.rules.files.push(RuleFile {
            name: absolute(path),
            sha256,
            problem,
        });
    }

    /// Every Sigma rule file (`.yml`, `.yaml`) under `path`, or `path` itself if a file.
    pub fn add_rule_path(&mut self, path: &Path) {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        walk(path, &mut files, &mut problems);
        let is_rule = |f: &Path| {
            f == path
                || f.extension().is_some_and(|e| {
                    e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml")
                })
        };
        for f in files.iter().filter(|f| is_rule(f)) {
            self.push_rule_file(f);
        }
        for (p, why) in problems {
            self.rules.files.push(RuleFile {
                name: absolute(&p),
                sha256: None,
                problem: Some(why),
            });
        }
        self.combine();
    }

    /// A rule that is not a file (a built-in one), by its name and text.
    pub fn add_rule_text(&mut self, name: &str, text: &str) {
        self.rules.files.push(RuleFile {
            name: name.to_string(),
            sha256: Some(hash_bytes(text.as_bytes())),
            problem: None,
        });
        self.combine();
    }

    fn combine(&mut self) {
        let mut lines: Vec<String> = self
            .rules
            .files
            .iter()
            .map(|r| format!("{}  {}\n", r.sha256.as_deref().unwrap_or("-"), r.name))
            .collect();
        lines.sort();
        self.rules.combined_sha256 = hash_bytes(lines.concat().as_bytes());
    }

    pub fn write(&self, case: &Path) -> Result<PathBuf, ManifestError> {
        let path = case.join(FILE_NAME);
        let text = serde_json::to_string_pretty(self).map_err(|e| ManifestError::Invalid {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        std::fs::write(&path, text).map_err(|source| ManifestError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Ok(path)
    }

    pub fn load(case: &Path) -> Result<Manifest, ManifestError> {
        let path = case.join(FILE_NAME);
        let text = std::fs::read_to_string(&path).map_err(|source| ManifestError::Io {
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| ManifestError::Invalid {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }
}

/// Files under `path`, sorted by name; what cannot be listed goes to `problems`.
fn walk(path: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<(PathBuf, String)>) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            problems.push((path.to_path_buf(), format!("cannot read: {e}")));
            return;
        }
    };
    if !meta.is_dir() {
        files.push(path.to_path_buf());
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push((path.to_path_buf(), format!("cannot list: {e}")));
            return;
        }
    };
    let mut children: Vec<PathBuf> = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => children.push(e.path()),
            Err(e) => problems.push((path.to_path_buf(), format!("cannot list: {e}"))),
        }
    }
    children.sort();
    for child in children {
        walk(&child, files, problems);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read or write {path}")]
    Io { path: String, source: io::Error },
    #[error("{path} is not a Vigil manifest: {message}")]
    Invalid { path: String, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    /// Same size and SHA-256 as when analysed.
    Same,
    Changed,
    Missing,
    /// There, but cannot be read now.
    Unreadable,
    /// It could not be read when the manifest was made: nothing to compare.
    NotHashed,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileCheck {
    pub path: String,
    pub state: FileState,
    pub expected: Option<String>,
    pub found: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub files: Vec<FileCheck>,
}

impl Verification {
    /// Whether every file hashed at analysis is still the same.
    pub fn intact(&self) -> bool {
        self.files
            .iter()
            .all(|f| matches!(f.state, FileState::Same | FileState::NotHashed))
    }

    pub fn count(&self, state: FileState) -> usize {
        self.files.iter().filter(|f| f.state == state).count()
    }
}

/// Re-hashes the evidence listed in the case's manifest, file by file.
pub fn verify(case: &Path) -> Result<Verification, ManifestError> {
    let manifest = Manifest::load(case)?;
    Ok(check(&manifest))
}

/// Compares the files on disk with a manifest.
pub fn check(manifest: &Manifest) -> Verification {
    let files = manifest
        .evidence
        .iter()
        .map(|e| {
            let path = Path::new(&e.path);
            let (state, found, problem) = match (&e.sha256, hash_file(path)) {
                (None, _) => (FileState::NotHashed, None, e.problem.clone()),
                (Some(_), Err(err)) if err.kind() == io::ErrorKind::NotFound => {
                    (FileState::Missing, None, Some(err.to_string()))
                }
                (Some(_), Err(err)) => (FileState::Unreadable, None, Some(err.to_string())),
                (Some(want), Ok((got, size))) => {
                    let same = *want == got && e.size.is_none_or(|s| s == size);
                    (
                        if same {
                            FileState::Same
                        } else {
                            FileState::Changed
                        },
                        Some(got),
                        None,
                    )
                }
            };
            FileCheck {
                path: e.path.clone(),
                state,
                expected: e.sha256.clone(),
                found,
                problem,
            }
        })
        .collect();
    Verification { files }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        assert_eq!(
            hash_bytes(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hash_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn combined_rule_hash_does_not_depend_on_order() {
        let now = Utc::now();
        let mut a = Manifest::new("0", vec![], now);
        a.add_rule_text("a.yml", "one");
        a.add_rule_text("b.yml", "two");
        let mut b = Manifest::new("0", vec![], now);
        b.add_rule_text("b.yml", "two");
        b.add_rule_text("a.yml", "one");
        assert_eq!(a.rules.combined_sha256, b.rules.combined_sha256);
        let mut c = Manifest::new("0", vec![], now);
        c.add_rule_text("a.yml", "one");
        c.add_rule_text("b.yml", "two!");
        assert_ne!(a.rules.combined_sha256, c.rules.combined_sha256);
    }
}
