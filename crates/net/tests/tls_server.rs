//! The HTTP server over TLS: client certificates checked and named, a
//! certificate replaced on disk served after a reload while an open
//! connection goes on, keep-alive across requests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

use vigil_net::http::{self, Options, Response};
use vigil_net::{Tls, TlsFiles};
use vigil_testdata::pki::{connect, served_certificate, Pki};

/// Starts a server that answers every request with the client's
/// certificate name; its port.
fn start(tls: Arc<Tls>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let options = Options {
        keep_alive: true,
        ..Options::default()
    };
    std::thread::spawn(move || {
        http::serve(listener, Some(tls), options, |request, peer| {
            let name = peer.certificate.as_deref().unwrap_or("-").to_string();
            Response::text(200, &format!("{} {name}", request.path))
        });
    });
    port
}

/// Sends one GET on an open connection; the answer's body.
fn get(stream: &mut (impl Read + Write), path: &str) -> std::io::Result<String> {
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
    stream.flush()?;
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    let mut status = String::new();
    reader.read_line(&mut status)?;
    if !status.starts_with("HTTP/1.1 200") {
        return Err(std::io::Error::other(format!("answered {status:?}")));
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            break;
        }
        if let Some(n) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = n.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(String::from_utf8(body).unwrap())
}

#[test]
fn client_certificates_are_required_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let server = pki.server("server");
    let tls = Tls::load(TlsFiles {
        cert: server.cert,
        key: server.key,
        client_ca: Some(pki.ca()),
    })
    .unwrap();
    assert!(tls.verifies_clients());
    let port = start(Arc::new(tls));

    let clinic = pki.client("clinic-a");
    let mut stream = connect(pki.client_config(Some(&clinic)), port).unwrap();
    assert_eq!(get(&mut stream, "/one").unwrap(), "/one clinic-a");
    // Keep-alive: a second request on the same connection.
    assert_eq!(get(&mut stream, "/two").unwrap(), "/two clinic-a");

    // Without a certificate the server ends the handshake; under TLS 1.3
    // the client learns it at its first read.
    let refused = connect(pki.client_config(None), port).and_then(|mut s| get(&mut s, "/x"));
    assert!(refused.is_err(), "{refused:?}");

    // A certificate from another CA is refused too.
    let other_dir = tempfile::tempdir().unwrap();
    let other = Pki::new(other_dir.path());
    let stranger = other.client("stranger");
    let mut config = (*pki.client_config(None)).clone();
    config.client_auth_cert_resolver = other
        .client_config(Some(&stranger))
        .client_auth_cert_resolver
        .clone();
    let refused = connect(Arc::new(config), port).and_then(|mut s| get(&mut s, "/x"));
    assert!(refused.is_err(), "{refused:?}");
}

#[test]
fn a_certificate_replaced_on_disk_is_served_after_a_reload_and_open_connections_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let first = pki.server("server");
    let tls = Arc::new(
        Tls::load(TlsFiles {
            cert: first.cert.clone(),
            key: first.key.clone(),
            client_ca: None,
        })
        .unwrap(),
    );
    let port = start(tls.clone());
    // A new client configuration for each connection: a shared one would
    // resume the first session, which carries the first certificate.
    let config = || pki.client_config(None);
    let mut open = connect(config(), port).unwrap();
    let before = served_certificate(&open);
    assert_eq!(get(&mut open, "/a").unwrap(), "/a -");

    // A broken file is refused and the certificate in use stays.
    std::fs::write(&first.cert, "not a certificate").unwrap();
    let error = tls.reload().unwrap_err().to_string();
    assert!(error.contains("server.pem"), "{error}");
    assert_eq!(
        served_certificate(&connect(config(), port).unwrap()),
        before
    );

    // The renewed certificate is written over the old files.
    let renewed = pki.server("renewed");
    std::fs::copy(&renewed.cert, &first.cert).unwrap();
    std::fs::copy(&renewed.key, &first.key).unwrap();
    tls.reload().unwrap();
    let mut fresh = connect(config(), port).unwrap();
    let after = served_certificate(&fresh);
    assert_ne!(after, before);
    assert_eq!(after, served_certificate_of(&renewed.cert));
    assert_eq!(get(&mut fresh, "/b").unwrap(), "/b -");
    // The connection opened before the reload still works.
    assert_eq!(get(&mut open, "/c").unwrap(), "/c -");
}

fn served_certificate_of(pem: &std::path::Path) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_file(pem)
        .unwrap()
        .as_ref()
        .to_vec()
}

#[test]
fn a_key_that_does_not_fit_its_certificate_is_refused_with_both_files_named() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let a = pki.server("a");
    let b = pki.server("b");
    let error = Tls::load(TlsFiles {
        cert: a.cert,
        key: b.key,
        client_ca: None,
    })
    .err()
    .unwrap()
    .to_string();
    assert!(
        error.contains("a.pem") && error.contains("b.key") && error.contains("does not fit"),
        "{error}"
    );
    let missing = Tls::load(TlsFiles {
        cert: dir.path().join("none.pem"),
        key: a.key,
        client_ca: None,
    })
    .err()
    .unwrap()
    .to_string();
    assert!(missing.contains("none.pem"), "{missing}");
}
