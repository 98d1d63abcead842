//! `vigil serve`'s access rules through the binary: no token, no data; a
//! change from another site is refused even with the session cookie; the
//! token is kept only as its hash; a non-loopback address needs
//! `--allow-remote`.

mod console_support;

use console_support::{http, login, vigil, Serve};

#[test]
fn requests_without_the_token_are_refused_and_cross_site_changes_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("watch.db");
    let serve = Serve::start(&store, &[]);
    let token = serve
        .token
        .clone()
        .expect("the token is shown at the first start");
    let addr = serve.addr.clone();

    // Every page and API answer 401 without a session.
    for path in [
        "/now",
        "/api/now",
        "/api/timeline",
        "/api/stream",
        "/incidents",
        "/cases",
        "/api/event/1",
    ] {
        let reply = http(&addr, "GET", path, &[], "");
        assert_eq!(reply.status, 401, "{path} without a session");
        assert!(reply
            .header("Content-Security-Policy")
            .unwrap()
            .contains("default-src 'none'"));
        assert_eq!(
            reply.header("X-Content-Type-Options").as_deref(),
            Some("nosniff")
        );
    }
    let wrong = http(
        &addr,
        "GET",
        "/api/now",
        &[("Cookie", "vigil_session=forged")],
        "",
    );
    assert_eq!(wrong.status, 401);
    let origin = format!("http://{addr}");
    let bad_login = http(
        &addr,
        "POST",
        "/login",
        &[
            ("Origin", &origin),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        "token=not-the-token&who=x",
    );
    assert_eq!(bad_login.status, 401);

    let cookie = login(&serve, &token);
    let ok = http(&addr, "GET", "/api/now", &[("Cookie", &cookie)], "");
    assert_eq!(ok.status, 200, "{}", ok.body);
    let session: serde_json::Value =
        serde_json::from_str(&http(&addr, "GET", "/api/session", &[("Cookie", &cookie)], "").body)
            .unwrap();
    let csrf = session["csrf"].as_str().unwrap().to_string();
    assert_eq!(csrf.len(), 64);

    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let body = "action=acknowledge&value=";
    // From another site, with the cookie and even the CSRF token: refused.
    let cross = http(
        &addr,
        "POST",
        "/api/triage/alert/1",
        &[
            ("Cookie", &cookie),
            ("X-CSRF-Token", &csrf),
            ("Origin", "http://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
            form,
        ],
        body,
    );
    assert_eq!(cross.status, 403, "{}", cross.body);
    // Same origin but no CSRF token: refused.
    let no_csrf = http(
        &addr,
        "POST",
        "/api/triage/alert/1",
        &[
            ("Cookie", &cookie),
            ("Origin", &origin),
            ("Sec-Fetch-Site", "same-origin"),
            form,
        ],
        body,
    );
    assert_eq!(no_csrf.status, 403);
    // Neither header that says where it came from: refused.
    let unknown = http(
        &addr,
        "POST",
        "/api/triage/alert/1",
        &[("Cookie", &cookie), ("X-CSRF-Token", &csrf), form],
        body,
    );
    assert_eq!(unknown.status, 403);
    // A request naming another host (DNS rebinding) is refused.
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    use std::io::{Read, Write};
    stream
        .write_all(b"GET /login HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    assert!(raw.starts_with("HTTP/1.1 403"), "{raw}");
    // From the console's own page: accepted, and recorded with who did it.
    let same = http(
        &addr,
        "POST",
        "/api/triage/alert/1",
        &[
            ("Cookie", &cookie),
            ("X-CSRF-Token", &csrf),
            ("Origin", &origin),
            ("Sec-Fetch-Site", "same-origin"),
            form,
        ],
        body,
    );
    assert_eq!(same.status, 200, "{}", same.body);
    serve.stop();

    let db = rusqlite::Connection::open(&store).unwrap();
    let (hash, audit): (String, String) = db
        .query_row(
            "SELECT (SELECT sha256 FROM console_access), (SELECT who || ' ' || action FROM console_audit WHERE action = 'acknowledge')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_ne!(hash, token, "the token itself is not stored");
    assert_eq!(hash.len(), 64);
    assert_eq!(audit, "tester acknowledge");
    let raw = std::fs::read(&store).unwrap();
    assert!(
        !raw.windows(token.len()).any(|w| w == token.as_bytes()),
        "the token appears nowhere in the store"
    );

    // Started again: no new token, the old one still works.
    let again = Serve::start(&store, &[]);
    assert!(again.token.is_none());
    login(&again, &token);
}

#[test]
fn a_non_loopback_address_is_refused_without_allow_remote() {
    let dir = tempfile::tempdir().unwrap();
    let out = vigil()
        .args(["serve", "--store"])
        .arg(dir.path().join("watch.db"))
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not a loopback address") && stderr.contains("--allow-remote"),
        "{stderr}"
    );
}
