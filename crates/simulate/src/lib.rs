//! A deterministic simulator of one fictional healthcare operator — a
//! telemedicine provider — writing its logs for a few days, with an intrusion
//! in them and the ground truth of that intrusion.
//!
//! The same [`Config`] always gives byte-identical output: every random draw
//! comes from ChaCha8 streams derived from the seed, and nothing reads the
//! clock. Output is generated hour by hour and written as it is made, so memory
//! stays bounded however many hosts and days are asked for.
//!
//! ```no_run
//! let config = vigil_simulate::Config { hosts: 20, days: 3, ..Default::default() };
//! let summary = vigil_simulate::generate(&config, std::path::Path::new("sim"))?;
//! println!("{} events in {} files", summary.events, summary.files.len());
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! # The estate
//!
//! Seven servers — `DC-01` (domain controller and DNS), `FS-01` (patient
//! documents), `DB-01` (patient records database), `APP-01` (patient portal),
//! `API-01` (video consultation and mobile app back-end), `VOIP-01`
//! (telephony), `BK-01` (backup) — and workstations: doctors' (`WS-DOC-nn`) and
//! the call centre's (`WS-CC-nn`), two doctors for every call-centre seat.
//! At least [`MIN_HOSTS`] hosts are simulated. The domain is `CLINIC`, host
//! names end in `.clinic.example`, addresses are in 10.20.0.0/16;
//! administrators connect from a VPN pool in 10.20.250.0/24. Times are UTC and
//! office hours are 07:00–18:00 UTC on weekdays.
//!
//! # Output layout
//!
//! * `inventory.yaml` — the asset inventory: `domain`, `dns_suffix`, and
//!   `hosts`, a list of `{name, fqdn, role, ips, services, depends_on,
//!   primary_user?}`. `role` is one of `domain_controller`, `file_server`,
//!   `database_server`, `app_server`, `api_server`, `telephony`,
//!   `backup_server`, `doctor_workstation`, `call_centre_workstation`;
//!   `services` are business services ("patient portal", "telephony", …);
//!   `depends_on` names the hosts a host cannot work without.
//! * `windows/<HOST>.jsonl` — the host's Windows events, one per line in the
//!   JSON shape `evtx_dump` writes (`{"Event":{"#attributes":…,"System":…,
//!   "EventData":…}}`), in time order: Sysmon (1, 3, 10, 11, 22), Security
//!   (4624, 4625, 4634, 4648, 4672, 4688, 4697, 4698, 4720, 4722, 4724,
//!   4728), System (7036, 7045) and PowerShell (4104). `EventRecordID`
//!   counts from 1 per host and channel.
//! * `network/flows.csv` — connections seen by the network sensor (perimeter
//!   and server traffic), header
//!   `ts,src_ip,src_port,dst_ip,dst_port,proto,bytes_out,bytes_in,packets_out,packets_in,duration,action`;
//!   `ts` is RFC 3339 UTC, `duration` in seconds, bytes from the originator's side.
//! * `network/conn.jsonl` — the same connections as Zeek `conn.log` JSON
//!   (dotted keys: `ts` as epoch seconds, `uid`, `id.orig_h`, `id.orig_p`,
//!   `id.resp_h`, `id.resp_p`, `proto`, `service`, `duration`, `orig_bytes`,
//!   `resp_bytes`, `conn_state`, `orig_pkts`, `resp_pkts`).
//! * `network/dns.jsonl` — DNS queries as Zeek `dns.log` JSON (`query`,
//!   `qtype_name`, `answers`, `rcode_name`, …).
//! * `truth.json` — the [`Truth`], on one line so that a tool sweeping the whole
//!   folder as JSON lines reads it as one (non-Windows) record.
//!
//! Network files are in time order of connection start.
//!
//! # The intrusion
//!
//! With [`Config::attack`] set (the default), a phishing attachment on a
//! doctor's workstation starts it on the second day (the first if there is only
//! one); the second wave, with the encryption, follows three days later, or on
//! the last day if the simulation is shorter. The steps are described in
//! [`Truth::steps`]; the attack module's docs tell the story.

mod activity;
mod attack;
mod background;
mod clock;
mod directory;
mod estate;
mod internet;
mod network;
mod random;
mod truth;
mod windows;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

pub use estate::{Role, DNS_SUFFIX, DOMAIN, MIN_HOSTS};
pub use network::FLOWS_HEADER;
pub use truth::{
    AccountUse, AttackStep, BackdoorAccount, CompromisedHost, Exfiltration, ExposedAccount,
    LateralMovement, Method, Truth,
};

use activity::Output;
use attack::Attack;
use clock::{Micros, HOUR};
use estate::Estate;
use network::NetworkLog;
use windows::{HostLog, Log};

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub seed: u64,
    /// Number of hosts; at least [`MIN_HOSTS`] are simulated.
    pub hosts: usize,
    pub days: u32,
    /// Mean Windows events per host per hour (busier in office hours).
    pub rate: u32,
    /// When the simulation starts; the first hour begins here.
    pub start: DateTime<Utc>,
    /// Whether the intrusion happens; without it, only benign background.
    pub attack: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            seed: 7,
            hosts: 12,
            days: 5,
            rate: 60,
            start: Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap(),
            attack: true,
        }
    }
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Every file written, in a fixed order.
    pub files: Vec<PathBuf>,
    /// Windows events and network records written.
    pub events: u64,
    pub bytes: u64,
    pub truth: Truth,
}

/// Simulates `config` into the folder `out` (created if missing).
pub fn generate(config: &Config, out: &Path) -> anyhow::Result<Summary> {
    anyhow::ensure!(config.days > 0, "days must be at least 1");
    let estate = Estate::new(config.seed, config.hosts);
    let windows_dir = out.join("windows");
    let network_dir = out.join("network");
    for dir in [&windows_dir, &network_dir] {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut files = Vec::new();
    let inventory = out.join("inventory.yaml");
    let text = estate.inventory_yaml();
    fs::write(&inventory, &text)
        .with_context(|| format!("cannot write {}", inventory.display()))?;
    let mut bytes = text.len() as u64;
    files.push(inventory);

    let mut logs = Vec::with_capacity(estate.hosts.len());
    for (i, host) in estate.hosts.iter().enumerate() {
        let path = windows_dir.join(format!("{}.jsonl", host.name));
        let log = HostLog::create(&path, host.fqdn(), i)
            .with_context(|| format!("cannot create {}", path.display()))?;
        logs.push(log);
        files.push(path);
    }
    let (mut network, paths) = NetworkLog::create(&network_dir)
        .with_context(|| format!("cannot create the files in {}", network_dir.display()))?;
    files.extend(paths);

    let mut attack = if config.attack {
        Attack::plan(config, &estate)
    } else {
        Attack::none(estate.hosts.len())
    };
    let mut exposure = Exposure::default();
    let start = config.start.timestamp_micros();
    let mut hour_output = Output::default();
    let (mut flows, mut dns) = (Vec::new(), Vec::new());
    for index in 0..i64::from(config.days) * 24 {
        let hour = background::Hour::new(start + index * HOUR);
        let until = hour.start + HOUR;
        for (host, log) in logs.iter_mut().enumerate() {
            hour_output.events.clear();
            background::simulate(
                &estate,
                host,
                config.seed,
                config.rate,
                &hour,
                &mut hour_output,
            );
            attack.take_events(host, until, &mut hour_output.events);
            // Stable: events at the same instant keep the order they happened in.
            hour_output.events.sort_by_key(|e| e.time);
            let window = attack.windows.get(&host).copied();
            for event in &hour_output.events {
                if let Some(window) = window {
                    exposure.observe(&estate.hosts[host].name, window, event);
                }
                log.write(event).with_context(|| {
                    format!("cannot write the events of {}", estate.hosts[host].name)
                })?;
            }
            flows.append(&mut hour_output.flows);
            dns.append(&mut hour_output.dns);
        }
        attack.take_network(until, &mut flows, &mut dns);
        flows.sort_by_key(|f| f.time);
        dns.sort_by_key(|d| d.time);
        for flow in flows.drain(..) {
            network
                .write_flow(&flow)
                .context("cannot write the flow records")?;
        }
        for query in dns.drain(..) {
            network
                .write_dns(&query)
                .context("cannot write the DNS records")?;
        }
    }
    let mut events = network.records;
    bytes += network.bytes;
    network.finish().context("cannot write the network files")?;
    for log in logs {
        events += log.events;
        bytes += log.bytes;
        log.finish().context("cannot write a Windows event file")?;
    }

    let truth = Truth {
        seed: config.seed,
        config: config.clone(),
        patient_zero: attack.patient_zero,
        compromised_hosts: attack.compromised,
        attacker_accounts: attack.accounts,
        exposed_accounts: exposure.accounts.into_values().collect(),
        lateral_movement: attack.lateral,
        backdoor_accounts: attack.backdoors,
        exfiltration: attack.exfiltration,
        encrypted_hosts: attack.encrypted,
        steps: attack.steps,
    };
    let path = out.join("truth.json");
    let mut text = serde_json::to_string(&truth)?;
    text.push('\n');
    fs::write(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    bytes += text.len() as u64;
    files.push(path);
    Ok(Summary {
        files,
        events,
        bytes,
        truth,
    })
}

/// Interactive and RDP logons on compromised hosts during their compromise:
/// whose credentials the attacker could have taken.
#[derive(Default)]
struct Exposure {
    /// By (account, host): the first such logon.
    accounts: BTreeMap<(String, String), ExposedAccount>,
}

impl Exposure {
    fn observe(&mut self, host: &str, (first, last): (Micros, Micros), event: &windows::WinEvent) {
        if event.log != Log::Security || event.id != 4624 || event.time < first || event.time > last
        {
            return;
        }
        let kind = match event.int("LogonType") {
            Some(2) => "interactive logon (type 2)",
            Some(7) => "unlock (type 7)",
            Some(10) => "RDP logon (type 10)",
            Some(11) => "cached interactive logon (type 11)",
            _ => return,
        };
        let (Some(name), Some(domain)) =
            (event.text("TargetUserName"), event.text("TargetDomainName"))
        else {
            return;
        };
        let account = format!("{domain}\\{name}");
        self.accounts
            .entry((account.clone(), host.to_string()))
            .or_insert_with(|| ExposedAccount {
                account,
                host: host.to_string(),
                time: clock::rfc3339(event.time),
                reason: format!("{kind} on {host} while it was compromised"),
            });
    }
}
