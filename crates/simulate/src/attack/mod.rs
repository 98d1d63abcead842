//! The intrusion: planned once from the seed, then handed out hour by hour to
//! be written with the background.
//!
//! A doctor opens a phishing attachment; an implant beacons to its C2 server;
//! the attacker looks around, dumps LSASS and finds a domain admin's
//! credentials, moves to the file server (RDP), the database server (PsExec)
//! and the portal's app server (WinRM), creates a backdoor domain admin on
//! the domain controller through WMI, packs the patient documents into a
//! password-protected archive and uploads it. Days later (the second wave) it
//! stops the backup agent, deletes shadow copies and the backup catalog,
//! disables recovery, pushes a locker to more hosts and encrypts them.
//!
//! Its events are few next to the background (the beacon is the most, one per
//! interval for at most a few days), so the whole attack is generated up front.

mod backdoor;
mod first_wave;
mod second_wave;

use std::collections::BTreeMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::activity::{Output, Proc, Scene};
use crate::clock::{self, Micros, DAY, HOUR, MINUTE};
use crate::estate::{Account, Estate, Role};
use crate::network::{DnsQuery, Flow};
use crate::random::{self, label};
use crate::truth::{
    AccountUse, AttackStep, BackdoorAccount, CompromisedHost, Exfiltration, LateralMovement, Method,
};
use crate::windows::WinEvent;
use crate::Config;

/// The attack's events, waiting to be written, and what is known about it.
pub(crate) struct Attack {
    /// Per host, in reverse time order so the next one is popped off the end.
    events: Vec<Vec<WinEvent>>,
    flows: Vec<Flow>,
    dns: Vec<DnsQuery>,
    pub patient_zero: Option<String>,
    pub compromised: Vec<CompromisedHost>,
    /// Per host index: the window during which it was compromised.
    pub windows: BTreeMap<usize, (Micros, Micros)>,
    pub accounts: Vec<AccountUse>,
    pub lateral: Vec<LateralMovement>,
    pub backdoors: Vec<BackdoorAccount>,
    pub exfiltration: Vec<Exfiltration>,
    pub encrypted: Vec<String>,
    pub steps: Vec<AttackStep>,
}

impl Attack {
    /// No attack: background only.
    pub(crate) fn none(hosts: usize) -> Attack {
        Attack {
            events: vec![Vec::new(); hosts],
            flows: Vec::new(),
            dns: Vec::new(),
            patient_zero: None,
            compromised: Vec::new(),
            windows: BTreeMap::new(),
            accounts: Vec::new(),
            lateral: Vec::new(),
            backdoors: Vec::new(),
            exfiltration: Vec::new(),
            encrypted: Vec::new(),
            steps: Vec::new(),
        }
    }

    pub(crate) fn plan(config: &Config, estate: &Estate) -> Attack {
        let start = config.start.timestamp_micros();
        let mut attacker = Attacker::new(config.seed, estate, start, config.days);
        first_wave::run(&mut attacker);
        second_wave::run(&mut attacker);
        // Drawn last, so that the rest of the story is the same for a seed
        // with or without it; in time it belongs to the first wave.
        backdoor::run(&mut attacker);
        attacker.finish()
    }

    /// Moves the host's attack events before `until` into `out`.
    pub(crate) fn take_events(&mut self, host: usize, until: Micros, out: &mut Vec<WinEvent>) {
        let queue = &mut self.events[host];
        while queue.last().is_some_and(|e| e.time < until) {
            out.extend(queue.pop());
        }
    }

    /// Moves the attack's network records before `until` into the hour's lists.
    pub(crate) fn take_network(
        &mut self,
        until: Micros,
        flows: &mut Vec<Flow>,
        dns: &mut Vec<DnsQuery>,
    ) {
        while self.flows.last().is_some_and(|f| f.time < until) {
            flows.extend(self.flows.pop());
        }
        while self.dns.last().is_some_and(|d| d.time < until) {
            dns.extend(self.dns.pop());
        }
    }
}

/// The external infrastructure of the attacker.
pub(crate) struct Infrastructure {
    pub c2_ip: String,
    pub c2_domain: String,
    pub drop_ip: String,
    pub drop_domain: String,
}

/// The attacker at work: who and what it has, and what it has left behind.
pub(crate) struct Attacker<'a> {
    pub estate: &'a Estate,
    pub rng: ChaCha8Rng,
    /// Malicious output per host; decides each host's compromise window.
    pub malicious: Vec<Output>,
    /// Benign events the story needs (the admin's support session on patient zero).
    pub setup: Vec<Output>,
    pub infra: Infrastructure,
    pub patient_zero: usize,
    pub victim: Account,
    pub admin: Account,
    /// The implant's process on patient zero.
    pub implant: Option<Proc>,
    /// The shell on patient zero the attacker works from in the first wave.
    pub shell: Option<Proc>,
    /// When the first wave starts and the second wave starts.
    pub first: Micros,
    pub second: Micros,
    /// The last moment of the simulation.
    pub end: Micros,
    pub accounts: Vec<AccountUse>,
    pub lateral: Vec<LateralMovement>,
    pub backdoors: Vec<BackdoorAccount>,
    pub exfiltration: Vec<Exfiltration>,
    pub encrypted: Vec<String>,
    pub steps: Vec<AttackStep>,
}

impl<'a> Attacker<'a> {
    fn new(seed: u64, estate: &'a Estate, start: Micros, days: u32) -> Attacker<'a> {
        let mut rng = random::stream(seed, label::ATTACK, 0, 0);
        let days = i64::from(days.max(1));
        let first_day = days.min(2) - 1;
        let second_day = (first_day + 3).min(days - 1);
        let first = start + first_day * DAY + 9 * HOUR + rng.random_range(0..90 * MINUTE);
        let second = if second_day == first_day {
            start + first_day * DAY + 22 * HOUR + rng.random_range(0..15 * MINUTE)
        } else {
            start + second_day * DAY + 2 * HOUR + rng.random_range(0..60 * MINUTE)
        };
        let doctors: Vec<usize> = (0..estate.hosts.len())
            .filter(|&i| estate.hosts[i].role == Role::DoctorWorkstation)
            .collect();
        let patient_zero = *random::pick(&mut rng, &doctors);
        let victim = estate.hosts[patient_zero]
            .user
            .clone()
            .expect("workstations have a user");
        let admin = random::pick(&mut rng, &estate.admins).clone();
        const WORDS: &[&str] = &[
            "cdn",
            "sync",
            "telemetry",
            "update",
            "static",
            "edge",
            "metrics",
            "assets",
            "cloud",
        ];
        const TLDS: &[&str] = &["top", "xyz", "online", "site"];
        let c2_domain = format!(
            "{}-{}{}.{}",
            random::pick(&mut rng, WORDS),
            random::pick(&mut rng, WORDS),
            rng.random_range(10..99),
            random::pick(&mut rng, TLDS)
        );
        let infra = Infrastructure {
            c2_ip: format!("203.0.113.{}", rng.random_range(10..250)),
            c2_domain,
            drop_ip: format!("198.51.100.{}", rng.random_range(10..250)),
            drop_domain: format!(
                "s3.{}.{}",
                random::letters(&mut rng, 8),
                random::pick(&mut rng, TLDS)
            ),
        };
        let hosts = estate.hosts.len();
        Attacker {
            estate,
            rng,
            malicious: (0..hosts).map(|_| Output::default()).collect(),
            setup: (0..hosts).map(|_| Output::default()).collect(),
            infra,
            patient_zero,
            victim,
            admin,
            implant: None,
            shell: None,
            first,
            second,
            end: start + days * DAY - 1,
            accounts: Vec::new(),
            lateral: Vec::new(),
            backdoors: Vec::new(),
            exfiltration: Vec::new(),
            encrypted: Vec::new(),
            steps: Vec::new(),
        }
    }

    /// The scene of the attacker's work on `host`.
    pub(crate) fn on(&mut self, host: usize) -> Scene<'_> {
        Scene {
            estate: self.estate,
            host: &self.estate.hosts[host],
            rng: &mut self.rng,
            out: &mut self.malicious[host],
        }
    }

    pub(crate) fn host(&self, role: Role) -> usize {
        self.estate
            .index(&self.estate.first(role).name)
            .expect("present")
    }

    pub(crate) fn step(
        &mut self,
        step: &str,
        host: usize,
        time: Micros,
        technique: &str,
        description: String,
    ) {
        self.steps.push(AttackStep {
            step: step.to_string(),
            host: self.estate.hosts[host].name.clone(),
            time: clock::rfc3339(time),
            technique: technique.to_string(),
            description,
        });
    }

    pub(crate) fn moved(&mut self, from: usize, to: usize, time: Micros, method: Method) {
        self.lateral.push(LateralMovement {
            from: self.estate.hosts[from].name.clone(),
            to: self.estate.hosts[to].name.clone(),
            time: clock::rfc3339(time),
            account: self.admin.qualified(),
            method,
        });
    }

    fn finish(self) -> Attack {
        let estate = self.estate;
        let mut windows = BTreeMap::new();
        let mut compromised = Vec::new();
        let mut events = Vec::with_capacity(estate.hosts.len());
        let (mut flows, mut dns) = (Vec::new(), Vec::new());
        for (host, (malicious, setup)) in self.malicious.into_iter().zip(self.setup).enumerate() {
            let first = malicious.events.iter().map(|e| e.time).min();
            let last = malicious.events.iter().map(|e| e.time).max();
            if let (Some(first), Some(last)) = (first, last) {
                windows.insert(host, (first, last));
                compromised.push(CompromisedHost {
                    host: estate.hosts[host].name.clone(),
                    role: estate.hosts[host].role,
                    first_malicious: clock::rfc3339(first),
                    last_malicious: clock::rfc3339(last),
                });
            }
            let mut queue: Vec<WinEvent> =
                malicious.events.into_iter().chain(setup.events).collect();
            queue.sort_by_key(|e| std::cmp::Reverse(e.time));
            events.push(queue);
            flows.extend(malicious.flows.into_iter().chain(setup.flows));
            dns.extend(malicious.dns.into_iter().chain(setup.dns));
        }
        compromised.sort_by_key(|c| c.first_malicious);
        flows.sort_by_key(|f| std::cmp::Reverse(f.time));
        dns.sort_by_key(|d| std::cmp::Reverse(d.time));
        let mut steps = self.steps;
        steps.sort_by_key(|s| s.time);
        let mut lateral = self.lateral;
        lateral.sort_by_key(|l| l.time);
        Attack {
            events,
            flows,
            dns,
            patient_zero: Some(estate.hosts[self.patient_zero].name.clone()),
            compromised,
            windows,
            accounts: self.accounts,
            lateral,
            backdoors: self.backdoors,
            exfiltration: self.exfiltration,
            encrypted: self.encrypted,
            steps,
        }
    }
}
