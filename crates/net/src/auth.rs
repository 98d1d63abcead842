//! Senders' bearer tokens, read from a file the operator writes: one sender
//! a line, its name and its token (`clinic-a  3f9c…`), `#` starting a
//! comment. Only the tokens' SHA-256 digests are kept in memory; the name
//! of the sender a token belongs to is recorded on every event it sends.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};

/// A token shorter than this is refused: it could be guessed.
pub const MIN_TOKEN: usize = 16;
/// A sender's name is at most this long.
const MAX_NAME: usize = 64;

/// The senders a listener accepts, by token; read again on [`Tokens::reload`].
pub struct Tokens {
    path: PathBuf,
    by_digest: RwLock<HashMap<[u8; 32], Arc<str>>>,
}

impl Tokens {
    /// Reads the file; an error names the file and line.
    pub fn load(path: &Path) -> anyhow::Result<Tokens> {
        let by_digest = read(path)?;
        Ok(Tokens {
            path: path.to_path_buf(),
            by_digest: RwLock::new(by_digest),
        })
    }

    /// Reads the file again; on an error the tokens in use stay in use.
    /// The number of senders now accepted.
    pub fn reload(&self) -> anyhow::Result<usize> {
        let fresh = read(&self.path)?;
        let senders = fresh.len();
        *self.by_digest.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(senders)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sender an `Authorization` header names, if its token is known.
    pub fn sender(&self, authorization: Option<&str>) -> Option<Arc<str>> {
        let (scheme, token) = authorization?.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let digest: [u8; 32] = Sha256::digest(token.trim().as_bytes()).into();
        self.by_digest
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&digest)
            .cloned()
    }
}

fn read(path: &Path) -> anyhow::Result<HashMap<[u8; 32], Arc<str>>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read the tokens file {}: {e}", path.display()))?;
    parse(&text).map_err(|(line, reason)| anyhow::anyhow!("{}:{line}: {reason}", path.display()))
}

/// The tokens of a file's text by digest; an error gives the line and why.
pub fn parse(text: &str) -> Result<HashMap<[u8; 32], Arc<str>>, (usize, String)> {
    let mut by_digest = HashMap::new();
    let mut names = std::collections::HashSet::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(name), Some(token), None) = (words.next(), words.next(), words.next()) else {
            return Err((number, "expected a sender's name and its token".into()));
        };
        if name.len() > MAX_NAME
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))
        {
            return Err((
                number,
                format!("a sender's name is 1 to {MAX_NAME} letters, digits, '.', '_', '-' or '@'"),
            ));
        }
        if token.len() < MIN_TOKEN {
            return Err((
                number,
                format!("the token of '{name}' is shorter than {MIN_TOKEN} characters"),
            ));
        }
        if !names.insert(name.to_string()) {
            return Err((number, format!("'{name}' is named twice")));
        }
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if by_digest.insert(digest, Arc::from(name)).is_some() {
            return Err((number, "this token is already another sender's".into()));
        }
    }
    if by_digest.is_empty() {
        return Err((0, "no sender in the file: no one could send".into()));
    }
    Ok(by_digest)
}

/// A name from a certificate, kept to what is safe in a log line, a
/// metric label and a page: printable ASCII, at most 64 characters.
pub fn printable_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .filter(|c| !matches!(c, '"' | '\\' | '<' | '>' | '&' | '\''))
        .take(MAX_NAME)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_sender_and_nothing_else_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        std::fs::write(
            &path,
            "# senders\nclinic-a  0123456789abcdef0123\n\nlab.b fedcba9876543210fedc # lab\n",
        )
        .unwrap();
        let tokens = Tokens::load(&path).unwrap();
        assert_eq!(
            tokens
                .sender(Some("Bearer 0123456789abcdef0123"))
                .as_deref(),
            Some("clinic-a")
        );
        assert_eq!(
            tokens
                .sender(Some("bearer fedcba9876543210fedc"))
                .as_deref(),
            Some("lab.b")
        );
        assert_eq!(tokens.sender(Some("Bearer 0123456789abcdef012")), None);
        assert_eq!(tokens.sender(Some("Basic 0123456789abcdef0123")), None);
        assert_eq!(tokens.sender(None), None);
        // A reload takes the new file; a broken one leaves the old in force.
        std::fs::write(&path, "clinic-c 11112222333344445555\n").unwrap();
        assert_eq!(tokens.reload().unwrap(), 1);
        assert_eq!(tokens.sender(Some("Bearer 0123456789abcdef0123")), None);
        std::fs::write(&path, "clinic-d short\n").unwrap();
        let error = tokens.reload().unwrap_err().to_string();
        assert!(
            error.ends_with("tokens:1: the token of 'clinic-d' is shorter than 16 characters"),
            "{error}"
        );
        assert_eq!(
            tokens
                .sender(Some("Bearer 11112222333344445555"))
                .as_deref(),
            Some("clinic-c")
        );
    }

    #[test]
    fn a_broken_tokens_file_is_refused_with_its_line() {
        let cases = [
            ("a 0123456789abcdef0123 extra\n", 1),
            ("ok 0123456789abcdef0123\na<b> 1123456789abcdef0123\n", 2),
            ("a 0123456789abcdef0123\na 1123456789abcdef0123\n", 2),
            ("a 0123456789abcdef0123\nb 0123456789abcdef0123\n", 2),
            ("# nothing\n", 0),
        ];
        for (text, line) in cases {
            assert_eq!(parse(text).unwrap_err().0, line, "{text}");
        }
    }

    #[test]
    fn names_from_certificates_lose_what_could_be_markup() {
        assert_eq!(printable_name("<script>x\n"), "scriptx");
        assert_eq!(printable_name(&"a".repeat(100)).len(), 64);
    }
}
