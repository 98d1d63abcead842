//! `vigil serve`: the web console over the watch store and case folders.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The store `vigil watch` writes (created if missing).
    #[arg(long, value_name = "FILE", default_value = "vigil-watch.db")]
    pub store: PathBuf,

    /// A case folder written by `vigil case` (repeatable).
    #[arg(long = "case", value_name = "DIR")]
    pub cases: Vec<PathBuf>,

    /// Address to serve on; port 0 takes a free one.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8750")]
    pub listen: SocketAddr,

    /// Allow an address other than loopback (with --tls-cert and --tls-key, or --insecure-listen).
    #[arg(long)]
    pub allow_remote: bool,

    #[command(flatten)]
    pub tls: crate::args::TlsArgs,
}

pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let settings = vigil_console::Settings {
        store: args.store.clone(),
        cases: args.cases.clone(),
        listen: args.listen,
        allow_remote: args.allow_remote,
        tls: args.tls.files(),
        insecure_listen: args.tls.insecure_listen,
    };
    vigil_console::serve(settings, |started| {
        println!("Vigil console: {}", started.url);
        match &started.token {
            Some(token) => println!(
                "Access token (shown this once; only its SHA-256 is kept in the store): {token}"
            ),
            None => println!(
                "Log in with the access token shown when the console first started on this store."
            ),
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
