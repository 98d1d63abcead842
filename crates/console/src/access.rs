//! Who may use the console: the access token (printed once, kept as its
//! SHA-256 in the store), the sessions it is exchanged for, and the checks
//! every state-changing request passes (CSRF token and same origin).

use std::collections::HashMap;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use vigil_net::http::Request;

pub const COOKIE: &str = "vigil_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A logged-in browser.
#[derive(Clone)]
pub struct Session {
    /// The name given at login, recorded with every change.
    pub who: String,
    pub csrf: String,
}

pub struct Access {
    token_sha256: String,
    /// By the SHA-256 of the session id, so a memory dump holds no cookie.
    sessions: Mutex<HashMap<String, Session>>,
}

fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 256 bits from the operating system's generator, in hex.
fn secret() -> String {
    hex(&rand::random::<[u8; 32]>())
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Access {
    /// Loads the token's hash from the store, or makes a token at the first
    /// start: then the token itself is returned, to be shown once.
    pub fn load_or_create(db: &Connection) -> anyhow::Result<(Access, Option<String>)> {
        let stored: Option<String> = db
            .query_row(
                "SELECT sha256 FROM console_access WHERE name = 'token'",
                [],
                |row| row.get(0),
            )
            .optional()?;
        let (hash, fresh) = match stored {
            Some(hash) => (hash, None),
            None => {
                let token = secret();
                let hash = sha256_hex(&token);
                db.execute(
                    "INSERT INTO console_access (name, sha256, created) VALUES ('token', ?1, ?2)",
                    params![hash, crate::ledger::now()],
                )?;
                (hash, Some(token))
            }
        };
        Ok((
            Access {
                token_sha256: hash,
                sessions: Mutex::new(HashMap::new()),
            },
            fresh,
        ))
    }

    pub fn token_matches(&self, token: &str) -> bool {
        same(&sha256_hex(token.trim()), &self.token_sha256)
    }

    /// A new session for whoever gave the token; returns the cookie value.
    pub fn open_session(&self, who: &str) -> String {
        let id = secret();
        let session = Session {
            who: who.to_string(),
            csrf: secret(),
        };
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.insert(sha256_hex(&id), session);
        }
        id
    }

    pub fn close_session(&self, request: &Request) {
        if let (Some(id), Ok(mut sessions)) = (request.cookie(COOKIE), self.sessions.lock()) {
            sessions.remove(&sha256_hex(id));
        }
    }

    /// The request's session: its cookie, or the token itself as a bearer
    /// (for scripts; such a request has no CSRF exposure, having no cookie).
    pub fn session(&self, request: &Request) -> Option<Session> {
        if let Some(id) = request.cookie(COOKIE) {
            let sessions = self.sessions.lock().ok()?;
            return sessions.get(&sha256_hex(id)).cloned();
        }
        let bearer = request.header("authorization")?.strip_prefix("Bearer ")?;
        self.token_matches(bearer).then(|| Session {
            who: "token".into(),
            csrf: String::new(),
        })
    }
}

/// Whether a state-changing request comes from the console's own pages:
/// the browser says so (`Sec-Fetch-Site: same-origin`, `Origin` equal to the
/// host asked for under `scheme`), at least one of the two is there, and
/// none says otherwise.
pub fn same_origin(request: &Request, scheme: &str) -> bool {
    let site = request.header("sec-fetch-site");
    let origin = request.header("origin");
    if site.is_none() && origin.is_none() {
        return false;
    }
    if site.is_some_and(|s| s != "same-origin") {
        return false;
    }
    match (origin, request.header("host")) {
        (Some(origin), Some(host)) => origin == format!("{scheme}://{host}"),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

/// Whether a state-changing request carries its session's CSRF token (a
/// bearer request has none and needs none: no browser sends it by itself).
pub fn csrf_ok(request: &Request, session: &Session) -> bool {
    if session.csrf.is_empty() {
        return request.cookie(COOKIE).is_none();
    }
    request
        .header(CSRF_HEADER)
        .is_some_and(|given| same(given, &session.csrf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        Request {
            method: "POST".into(),
            path: "/".into(),
            query: vec![],
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: vec![],
        }
    }

    #[test]
    fn the_token_is_kept_only_as_its_hash_and_shown_once() {
        let db = Connection::open_in_memory().unwrap();
        crate::ledger::prepare(&db).unwrap();
        let (access, token) = Access::load_or_create(&db).unwrap();
        let token = token.expect("a new token at the first start");
        let stored: String = db
            .query_row("SELECT sha256 FROM console_access", [], |r| r.get(0))
            .unwrap();
        assert_ne!(stored, token);
        assert_eq!(stored, sha256_hex(&token));
        assert!(access.token_matches(&token));
        assert!(!access.token_matches("nope"));
        let (again, shown) = Access::load_or_create(&db).unwrap();
        assert!(shown.is_none());
        assert!(again.token_matches(&token));
    }

    #[test]
    fn cross_site_requests_are_told_apart() {
        let host = ("Host", "127.0.0.1:8080");
        assert!(same_origin(
            &request(&[
                host,
                ("Origin", "http://127.0.0.1:8080"),
                ("Sec-Fetch-Site", "same-origin")
            ]),
            "http"
        ));
        assert!(!same_origin(&request(&[host]), "http"));
        assert!(!same_origin(
            &request(&[host, ("Origin", "http://evil.example")]),
            "http"
        ));
        assert!(!same_origin(
            &request(&[
                host,
                ("Origin", "http://127.0.0.1:8080"),
                ("Sec-Fetch-Site", "cross-site")
            ]),
            "http"
        ));
    }
}
