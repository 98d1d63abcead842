//! The HTTP sender of `vigil bench-watch`: NDJSON requests on one
//! keep-alive connection, as a collector sends them, in clear or over TLS
//! with a bearer token; each answer is awaited (the watcher answers after
//! its commit).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use rustls_pki_types::{CertificateDer, ServerName};

/// What a TLS run gives the watcher: a self-signed certificate for
/// `localhost`, its key, and a tokens file naming one sender.
pub struct Credentials {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
    pub tokens: std::path::PathBuf,
    token: String,
    root: CertificateDer<'static>,
}

impl Credentials {
    /// Makes them in `scratch`.
    pub fn make(scratch: &Path) -> anyhow::Result<Credentials> {
        let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
            .context("cannot make a certificate")?;
        let token: String = {
            use rand::Rng;
            let mut rng = rand::rng();
            (0..32)
                .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
                .collect()
        };
        let credentials = Credentials {
            cert: scratch.join("bench.pem"),
            key: scratch.join("bench.key"),
            tokens: scratch.join("tokens"),
            root: issued.cert.der().clone(),
            token,
        };
        std::fs::write(&credentials.cert, issued.cert.pem())?;
        std::fs::write(&credentials.key, issued.key_pair.serialize_pem())?;
        std::fs::write(
            &credentials.tokens,
            format!("bench {}\n", credentials.token),
        )?;
        Ok(credentials)
    }
}

/// A connection to the watcher's endpoint, opened again when it closes.
pub struct Sender {
    port: u16,
    tls: Option<(Arc<ClientConfig>, String)>,
    connection: Option<BufReader<Box<dyn ReadWrite>>>,
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

impl Sender {
    pub fn new(port: u16, credentials: Option<&Credentials>) -> anyhow::Result<Sender> {
        let tls = match credentials {
            Some(credentials) => {
                let mut roots = RootCertStore::empty();
                roots.add(credentials.root.clone())?;
                #[allow(deprecated)]
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let config = ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()?
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                Some((Arc::new(config), credentials.token.clone()))
            }
            None => None,
        };
        Ok(Sender {
            port,
            tls,
            connection: None,
        })
    }

    fn connect(&self) -> anyhow::Result<Box<dyn ReadWrite>> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port))?;
        tcp.set_nodelay(true)?;
        Ok(match &self.tls {
            Some((config, _)) => {
                let name = ServerName::try_from("localhost")?;
                let connection = ClientConnection::new(config.clone(), name)?;
                Box::new(StreamOwned::new(connection, tcp))
            }
            None => Box::new(tcp),
        })
    }

    /// One NDJSON request; `Ok` once it is answered 200.
    pub fn post(&mut self, chunk: &[String]) -> anyhow::Result<()> {
        let body = chunk.join("\n");
        let mut head = format!(
            "POST /events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some((_, token)) = &self.tls {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        head.push_str("\r\n");
        let connection = match self.connection.take() {
            Some(connection) => connection,
            None => BufReader::new(self.connect()?),
        };
        let mut connection = connection;
        connection.get_mut().write_all(head.as_bytes())?;
        connection.get_mut().write_all(body.as_bytes())?;
        connection.get_mut().flush()?;
        let (status, close) = read_answer(&mut connection)?;
        anyhow::ensure!(status == 200, "the endpoint answered {status}");
        if !close {
            self.connection = Some(connection);
        }
        Ok(())
    }
}

/// An answer's status and whether the server closes the connection; its
/// body is read and dropped.
fn read_answer(reader: &mut impl BufRead) -> anyhow::Result<(u16, bool)> {
    let mut status = String::new();
    reader.read_line(&mut status)?;
    let code = status
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("no status in {status:?}"))?;
    let (mut length, mut close) = (0usize, false);
    loop {
        let mut line = String::new();
        anyhow::ensure!(reader.read_line(&mut line)? > 0, "the answer was cut short");
        let line = line.trim_end().to_ascii_lowercase();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("content-length:") {
            length = n.trim().parse()?;
        }
        close |= line == "connection: close";
    }
    std::io::copy(&mut reader.take(length as u64), &mut std::io::sink())?;
    Ok((code, close))
}
