//! TLS on a listener: the server's certificate and key from PEM files,
//! optionally a CA whose client certificates senders must present (mutual
//! TLS), and all of it read again on demand (`SIGHUP`) without closing a
//! connection: handshakes after the reload get the new certificate, open
//! connections keep the session they have.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use rustls::crypto::CryptoProvider;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{DistinguishedName, RootCertStore, ServerConfig, ServerConnection, StreamOwned};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};

/// Where a listener's TLS material is on disk.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The server's certificate chain (PEM), its own certificate first.
    pub cert: PathBuf,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// When set, every client must present a certificate issued by one of
    /// these CAs (PEM), and is known by the name on it.
    pub client_ca: Option<PathBuf>,
}

/// How long a client has to finish its handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// A listener's TLS: the configuration every handshake uses, whose
/// certificate and client CAs can be replaced while it serves.
pub struct Tls {
    files: TlsFiles,
    certificate: Arc<CurrentCertificate>,
    clients: Option<Arc<CurrentClientCas>>,
    config: Arc<ServerConfig>,
}

/// A TLS stream over TCP, its handshake done.
pub type TlsStream = StreamOwned<ServerConnection, TcpStream>;

impl Tls {
    /// Reads the files; an error names the file and what is wrong with it.
    pub fn load(files: TlsFiles) -> anyhow::Result<Tls> {
        // ring, which the NATS client already brings: aws-lc-rs would add a
        // C build for post-quantum key exchange.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certificate = Arc::new(CurrentCertificate(RwLock::new(Arc::new(certified_key(
            &files, &provider,
        )?))));
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("TLS: no protocol version available")?;
        let (config, clients) = match &files.client_ca {
            Some(ca) => {
                let clients = Arc::new(CurrentClientCas(RwLock::new(client_verifier(
                    ca, &provider,
                )?)));
                let config = builder
                    .with_client_cert_verifier(clients.clone())
                    .with_cert_resolver(certificate.clone());
                (config, Some(clients))
            }
            None => (
                builder
                    .with_no_client_auth()
                    .with_cert_resolver(certificate.clone()),
                None,
            ),
        };
        Ok(Tls {
            files,
            certificate,
            clients,
            config: Arc::new(config),
        })
    }

    /// Reads the certificate, key and client CAs again. On an error the
    /// ones in use stay in use.
    pub fn reload(&self) -> anyhow::Result<()> {
        let provider = self.config.crypto_provider().clone();
        let key = certified_key(&self.files, &provider)?;
        let verifier = match (&self.files.client_ca, &self.clients) {
            (Some(ca), Some(_)) => Some(client_verifier(ca, &provider)?),
            _ => None,
        };
        *self
            .certificate
            .0
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(key);
        if let (Some(verifier), Some(clients)) = (verifier, &self.clients) {
            *clients.0.write().unwrap_or_else(|e| e.into_inner()) = verifier;
        }
        Ok(())
    }

    /// Whether senders must present a client certificate.
    pub fn verifies_clients(&self) -> bool {
        self.clients.is_some()
    }

    pub fn files(&self) -> &TlsFiles {
        &self.files
    }

    /// Completes a handshake on `tcp`; the stream and, with mutual TLS,
    /// the name on the client's certificate.
    pub fn accept(&self, tcp: TcpStream) -> std::io::Result<(TlsStream, Option<Arc<str>>)> {
        let previous = tcp.read_timeout()?;
        tcp.set_read_timeout(Some(HANDSHAKE))?;
        let connection =
            ServerConnection::new(self.config.clone()).map_err(std::io::Error::other)?;
        let mut stream = StreamOwned::new(connection, tcp);
        while stream.conn.is_handshaking() {
            stream.conn.complete_io(&mut stream.sock)?;
        }
        stream.sock.set_read_timeout(previous)?;
        let name = stream
            .conn
            .peer_certificates()
            .and_then(|chain| chain.first())
            .map(|cert| certificate_name(cert.as_ref()).into());
        Ok((stream, name))
    }
}

/// The name a client certificate is known by: its subject's common name,
/// else its first DNS name, else the start of its SHA-256 fingerprint.
pub fn certificate_name(der: &[u8]) -> String {
    use sha2::Digest;
    if let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) {
        let common = cert
            .subject()
            .iter_common_name()
            .find_map(|cn| cn.as_str().ok().map(str::to_string));
        let dns = || {
            cert.subject_alternative_name()
                .ok()
                .flatten()
                .and_then(|san| {
                    san.value.general_names.iter().find_map(|name| match name {
                        x509_parser::extensions::GeneralName::DNSName(dns) => Some(dns.to_string()),
                        _ => None,
                    })
                })
        };
        if let Some(name) = common.or_else(dns).filter(|n| !n.is_empty()) {
            return crate::auth::printable_name(&name);
        }
    }
    let digest = sha2::Sha256::digest(der);
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

fn certified_key(files: &TlsFiles, provider: &CryptoProvider) -> anyhow::Result<CertifiedKey> {
    let chain = certificates(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| pem_error(&files.key, "a private key", e))?;
    CertifiedKey::from_der(chain, key, provider).map_err(|e| {
        anyhow::anyhow!(
            "{} and {}: the key does not fit the certificate ({e})",
            files.cert.display(),
            files.key.display()
        )
    })
}

fn certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(path, "certificates", e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, "certificates", e))?;
    if chain.is_empty() {
        anyhow::bail!(
            "{}: no certificate in the file (PEM expected)",
            path.display()
        );
    }
    Ok(chain)
}

fn client_verifier(
    ca: &Path,
    provider: &Arc<CryptoProvider>,
) -> anyhow::Result<Arc<dyn ClientCertVerifier>> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(ca)? {
        roots
            .add(cert)
            .with_context(|| format!("{}: not a usable CA certificate", ca.display()))?;
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .with_context(|| format!("{}: cannot verify clients with these CAs", ca.display()))
}

fn pem_error(path: &Path, what: &str, error: rustls_pki_types::pem::Error) -> anyhow::Error {
    match error {
        rustls_pki_types::pem::Error::Io(io) => {
            anyhow::anyhow!("cannot read {}: {io}", path.display())
        }
        rustls_pki_types::pem::Error::NoItemsFound => {
            anyhow::anyhow!("{}: no {what} found (PEM expected)", path.display())
        }
        other => anyhow::anyhow!("{}: not readable as {what}: {other:?}", path.display()),
    }
}

/// The certificate every new handshake gets.
#[derive(Debug)]
struct CurrentCertificate(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for CurrentCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.read().unwrap_or_else(|e| e.into_inner()).clone())
    }
}

/// The client CAs every new handshake is verified against. It names no CA
/// to the client (an empty hint list): clients then send the certificate
/// they were given, which is what collectors do.
#[derive(Debug)]
struct CurrentClientCas(RwLock<Arc<dyn ClientCertVerifier>>);

impl CurrentClientCas {
    fn current(&self) -> Arc<dyn ClientCertVerifier> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl ClientCertVerifier for CurrentClientCas {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.current()
            .verify_client_cert(end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.current().verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.current().verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.current().supported_verify_schemes()
    }
}

/// A connection, in clear or over TLS.
pub enum Connection {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
}

impl Connection {
    /// Ends the connection politely: TLS says `close_notify` first.
    pub fn finish(&mut self) {
        if let Connection::Tls(stream) = self {
            stream.conn.send_close_notify();
            let _ = stream.flush();
        }
    }
}

impl Read for Connection {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Connection::Plain(s) => s.read(buf),
            Connection::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Connection {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Connection::Plain(s) => s.write(buf),
            Connection::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Connection::Plain(s) => s.flush(),
            Connection::Tls(s) => s.flush(),
        }
    }
}
