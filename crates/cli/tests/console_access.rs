//! `vigil serve`'s access rules through the binary: no token, no data; a
//! change from another site is refused even with the session cookie; the
//! token is kept only as its hash; a non-loopback address needs
//! `--allow-remote`, and TLS unless `--insecure-listen`; over TLS the
//! cookie is `Secure` and a certificate replaced on disk is served after
//! `SIGHUP`.

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

#[test]
fn remote_access_needs_tls_and_the_console_serves_it_with_reload() {
    use vigil_testdata::exchange;
    use vigil_testdata::pki::{connect, served_certificate, Pki};

    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("watch.db");
    let refused = vigil()
        .args(["serve", "--store"])
        .arg(&store)
        .args(["--listen", "0.0.0.0:0", "--allow-remote"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("not encrypted") && stderr.contains("--tls-cert"),
        "{stderr}"
    );

    let pki = Pki::new(dir.path());
    let server = pki.server("server");
    let tls = [
        "--tls-cert",
        server.cert.to_str().unwrap(),
        "--tls-key",
        server.key.to_str().unwrap(),
    ];
    let serve = Serve::start(&store, &tls);
    assert!(serve.url.starts_with("https://"), "{}", serve.url);
    let port: u16 = serve.addr.rsplit(':').next().unwrap().parse().unwrap();
    let token = serve.token.clone().unwrap();

    let mut stream = connect(pki.client_config(None), port).unwrap();
    let origin = format!("https://{}", serve.addr);
    let host = serve.addr.clone();
    let body = format!("token={token}&who=tester");
    let (status, headers, _) = exchange(
        &mut stream,
        "POST",
        "/login",
        &[
            ("Host", &host),
            ("Origin", &origin),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 303);
    let cookie = headers
        .iter()
        .find(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    let session = cookie.split(';').next().unwrap().to_string();
    let mut stream = connect(pki.client_config(None), port).unwrap();
    let (status, _, _) = exchange(
        &mut stream,
        "GET",
        "/api/now",
        &[("Host", &host), ("Cookie", &session)],
        b"",
    )
    .unwrap();
    assert_eq!(status, 200);
    // Clear text to the TLS port gets no page.
    let plain = http(&serve.addr, "GET", "/login", &[], "");
    assert_eq!(plain.status, 0, "{}", plain.head);

    let before = served_certificate(&connect(pki.client_config(None), port).unwrap());
    let renewed = pki.server("renewed");
    std::fs::copy(&renewed.cert, &server.cert).unwrap();
    std::fs::copy(&renewed.key, &server.key).unwrap();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &serve.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = served_certificate(&connect(pki.client_config(None), port).unwrap());
        if now != before {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the certificate was not reloaded"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    serve.stop();
}
