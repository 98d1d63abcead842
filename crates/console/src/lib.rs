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
//! Security: loopback only unless remote access is asked for; a token
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
//! };
//! vigil_console::serve(settings, |started| println!("{}", started.url)).unwrap();
//! ```

mod access;
mod alerts;
mod cases;
mod evidence;
mod filters;
mod http;
mod incidents;
mod ledger;
mod pages;
mod routes;
pub mod timeline;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

use anyhow::Context;

pub use ledger::{open as open_store, prepare as prepare_store};

#[derive(Debug, Clone)]
pub struct Settings {
    pub store: PathBuf,
    pub cases: Vec<PathBuf>,
    pub listen: SocketAddr,
    /// Serve on an address other than loopback.
    pub allow_remote: bool,
}

/// What the console tells the one who started it.
pub struct Started {
    pub url: String,
    /// The access token, at the first start on a store only.
    pub token: Option<String>,
}

/// Refuses an address other than loopback unless remote access was asked for.
pub fn check_listen(listen: SocketAddr, allow_remote: bool) -> anyhow::Result<()> {
    if !listen.ip().is_loopback() && !allow_remote {
        anyhow::bail!(
            "refusing to listen on {listen}: it is not a loopback address, and the console \
             shows evidence and changes triage. Use --listen 127.0.0.1:PORT, or add \
             --allow-remote if other machines must reach it (then put TLS in front of it)"
        );
    }
    Ok(())
}

/// Serves until the process ends; `ready` is called once listening.
pub fn serve(settings: Settings, ready: impl FnOnce(&Started)) -> anyhow::Result<()> {
    check_listen(settings.listen, settings.allow_remote)?;
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
    let console = routes::Console::new(
        settings.store,
        settings.cases,
        access,
        bound,
        settings.allow_remote,
    );
    ready(&Started {
        url: format!("http://{bound}/"),
        token,
    });
    http::serve(listener, move |request, peer| console.handle(request, peer));
    Ok(())
}
