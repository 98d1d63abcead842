//! Vigil's web console (`vigil serve`): the page the security person keeps
//! open over the store `vigil watch` writes, and over case folders written
//! by `vigil case`.
//!
//! * **Now**: open alerts by severity, host and rule, updated live by
//!   server-sent events as watch stores them.
//! * **Incidents**: built from what watch stored, through `vigil_incident`
//!   and `vigil_respond`: scope, patient zero, the movement graph, accounts,
//!   the containment plan and the notification clocks.
//! * **Timeline**: every detection, filtered, paged by key (never by offset).
//! * **Event**: the raw record behind a detection, with its file and line.
//! * **Cases**: each case folder's report, manifest and verification.
//! * **Triage**: acknowledge, assign, comment, close; false positives become
//!   Sigma filters that watch applies once accepted. All in the store, with
//!   who did what and when.
//!
//! Security: loopback only unless remote access is asked for, and then
//! over TLS (`--tls-cert`, `--tls-key`, reloaded on `SIGHUP`) unless
//! `--insecure-listen`; a token
//! (shown once, kept as its SHA-256) exchanged for an HttpOnly, SameSite
//! session cookie; CSRF token and same-origin checks on every change; a
//! strict Content-Security-Policy; evidence is set as text in the browser or
//! escaped here, never markup.
//!
//! ```no_run
//! let settings = vigil_console::Settings {
//!     store: "vigil-watch.db".into(),
//!     cases: vec![],
//!     listen: "127.0.0.1:8750".parse().unwrap(),
//!     allow_remote: false,
//!     tls: None,
//!     insecure_listen: false,
//! };
//! vigil_console::serve(settings, |started| println!("{}", started.url)).unwrap();
//! ```

mod access;
mod alerts;
mod cases;
mod evidence;
mod filters;
mod incidents;
mod ledger;
mod pages;
mod routes;
pub mod timeline;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use vigil_net::http::Options;
use vigil_net::{Protection, Tls, TlsFiles};

pub use ledger::{open as open_store, prepare as prepare_store};

#[derive(Debug, Clone)]
pub struct Settings {
    pub store: PathBuf,
    pub cases: Vec<PathBuf>,
    pub listen: SocketAddr,
    /// Serve on an address other than loopback.
    pub allow_remote: bool,
    /// Serve over TLS with this certificate and key (and, with a client
    /// CA, only to browsers holding a client certificate).
    pub tls: Option<TlsFiles>,
    /// Serve beyond loopback without TLS.
    pub insecure_listen: bool,
}

/// What the console tells the one who started it.
pub struct Started {
    pub url: String,
    /// The access token, at the first start on a store only.
    pub token: Option<String>,
}

/// Refuses an address other than loopback unless remote access was asked
/// for, and then without TLS unless `insecure_listen`.
pub fn check_listen(
    listen: SocketAddr,
    allow_remote: bool,
    tls: bool,
    insecure_listen: bool,
) -> anyhow::Result<()> {
    if !listen.ip().is_loopback() && !allow_remote {
        anyhow::bail!(
            "refusing to listen on {listen}: it is not a loopback address, and the console \
             shows evidence and changes triage. Use --listen 127.0.0.1:PORT, or add \
             --allow-remote with --tls-cert and --tls-key if other machines must reach it"
        );
    }
    // Everyone logs in, so the console is authenticated; what remains is
    // whether the session cookie and the evidence cross the network in clear.
    let protection = Protection {
        encrypted: tls,
        authenticated: true,
    };
    vigil_net::exposure::check(
        "the console",
        listen,
        protection,
        insecure_listen,
        "--tls-cert and --tls-key",
    )
    .map_err(|reason| anyhow::anyhow!(reason))
}

/// Serves until the process ends; `ready` is called once listening.
pub fn serve(settings: Settings, ready: impl FnOnce(&Started)) -> anyhow::Result<()> {
    let tls = settings
        .tls
        .clone()
        .map(Tls::load)
        .transpose()?
        .map(Arc::new);
    check_listen(
        settings.listen,
        settings.allow_remote,
        tls.is_some(),
        settings.insecure_listen,
    )?;
    for case in &settings.cases {
        anyhow::ensure!(
            case.is_dir(),
            "--case {}: not a folder (give a folder written by vigil case)",
            case.display()
        );
    }
    let db = ledger::open(&settings.store)?;
    ledger::prepare(&db)?;
    let (access, token) = access::Access::load_or_create(&db)?;
    drop(db);
    let listener = TcpListener::bind(settings.listen)
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let bound = listener.local_addr()?;
    if let Some(tls) = &tls {
        reload_on_hangup(tls.clone())?;
    }
    let console = routes::Console::new(
        settings.store,
        settings.cases,
        access,
        bound,
        settings.allow_remote,
        tls.is_some(),
    );
    let scheme = if tls.is_some() { "https" } else { "http" };
    ready(&Started {
        url: format!("{scheme}://{bound}/"),
        token,
    });
    let options = Options {
        headers: routes::security_headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        ..Options::default()
    };
    vigil_net::http::serve(listener, tls, options, move |request, _peer| {
        console.handle(request)
    });
    Ok(())
}

/// Reads the certificate and key again on each `SIGHUP`; a failure is
/// reported and the certificate in use stays.
fn reload_on_hangup(tls: Arc<Tls>) -> anyhow::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGHUP])
        .context("cannot install the reload signal handler")?;
    std::thread::spawn(move || {
        for _ in signals.forever() {
            match tls.reload() {
                Ok(()) => eprintln!(
                    "TLS certificate reloaded from {}",
                    tls.files().cert.display()
                ),
                Err(error) => eprintln!(
                    "TLS certificate not reloaded, the previous stays in force: {error:#}"
                ),
            }
        }
    });
    Ok(())
}
