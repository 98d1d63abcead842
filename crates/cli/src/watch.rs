//! `vigil watch`: the live detector, with the rules `hunt` uses.

use std::path::PathBuf;
use std::process::ExitCode;

use vigil_correlate::Limits;
use vigil_watch::{Config, Detectors, Output};

use crate::args::WatchArgs;

pub fn run(args: &WatchArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.stdin
            || !args.files.is_empty()
            || args.listen.is_some()
            || args.syslog_udp.is_some()
            || args.syslog_tcp.is_some(),
        "nothing to watch: name files to follow, or give --stdin, --listen, --syslog-udp or --syslog-tcp"
    );
    let load = || -> anyhow::Result<Detectors> {
        let loaded = vigil_investigate::load(&args.rules.spec())?;
        for failure in &loaded.report.failed {
            eprintln!("refused: {failure}");
        }
        for failure in &loaded.correlation_errors {
            eprintln!("refused: {failure}");
        }
        anyhow::ensure!(!loaded.rules.is_empty(), "no rule could be loaded");
        Ok(Detectors {
            mappings: loaded.mappings,
            rules: loaded.rules,
            correlations: loaded.correlations,
        })
    };
    let mut config = Config::new(args.store.clone());
    config.files = args.files.clone();
    config.stdin = args.stdin;
    config.listen = args.listen;
    config.syslog_udp = args.syslog_udp;
    config.syslog_tcp = args.syslog_tcp;
    config.tls = args.tls.files();
    config.tokens = args.tokens.clone();
    config.rate_limit = args.rate_limit;
    config.insecure_listen = args.tls.insecure_listen;
    config.webhook = args.webhook.clone();
    config.output = match (args.no_output, args.output.as_str()) {
        (true, _) => Output::None,
        (false, "-") => Output::Stdout,
        (false, path) => Output::File(PathBuf::from(path)),
    };
    config.batch = args.batch.max(1);
    config.limits = Limits {
        max_groups_per_rule: args.correlation_groups,
        ..Limits::default()
    };
    config.exit_at_end = args.exit_at_end;
    config.threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    vigil_watch::run(&config, &load)?;
    Ok(ExitCode::SUCCESS)
}
