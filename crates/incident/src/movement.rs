//! The lateral-movement graph: host → host hops built from the events
//! themselves (logons, remote service installs, explicit credentials,
//! connections to admin ports), with addresses resolved to hosts through the
//! inventory and what the hosts' own events say about their addresses.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::facts::Facts;
use crate::inventory::Inventory;
use crate::names;

/// How an account reached another host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A service installed right after a network logon from the source (PsExec and kin).
    SmbPsexec,
    /// A scheduled task created remotely (the task scheduler's pipe, or a
    /// task right after a network logon from the source).
    ScheduledTask,
    Winrm,
    Rdp,
    ExplicitCredentials,
    NetworkLogon,
    Smb,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::SmbPsexec => "smb_psexec",
            Method::ScheduledTask => "scheduled_task",
            Method::Winrm => "winrm",
            Method::Rdp => "rdp",
            Method::ExplicitCredentials => "explicit_credentials",
            Method::NetworkLogon => "network_logon",
            Method::Smb => "smb",
        }
    }
}

/// One observation of a hop, before observations of the same hop are merged.
#[derive(Debug, Clone)]
struct Sighting {
    time: DateTime<Utc>,
    from: String,
    to: String,
    account: Option<String>,
    method: Method,
    /// Seen on the destination (a logon, a service) rather than the source.
    destination_side: bool,
    /// The logon session it opened on the destination.
    session: Option<String>,
    /// The process on the source that made the connection.
    process: Option<String>,
    note: String,
}

/// A hop between two hosts: one or more events within a couple of minutes.
#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub time: DateTime<Utc>,
    pub account: Option<String>,
    pub method: Method,
    /// Remote-administration evidence (RDP, WinRM, a remote service install,
    /// explicit credentials for the target) rather than an ordinary network logon.
    pub strong: bool,
    /// The events it was built from, in words.
    pub evidence: Vec<String>,
    /// Logon sessions it opened on the destination (LogonId).
    #[serde(skip)]
    pub sessions: Vec<String>,
    /// Processes on the source that made it (ProcessGuid).
    #[serde(skip)]
    pub processes: Vec<String>,
}

/// Maps addresses to hosts: the inventory first, then what the events say.
pub struct Resolver<'a> {
    inventory: Option<&'a Inventory>,
    learned: &'a BTreeMap<String, Vec<String>>,
}

impl<'a> Resolver<'a> {
    pub fn new(facts: &'a Facts, inventory: Option<&'a Inventory>) -> Resolver<'a> {
        Resolver {
            inventory,
            learned: &facts.addresses,
        }
    }

    pub fn host_of(&self, ip: &str) -> Option<String> {
        if let Some(host) = self.inventory.and_then(|i| i.host_of(ip)) {
            return Some(host);
        }
        match self.learned.get(ip).map(Vec::as_slice) {
            Some([only]) => Some(only.clone()),
            _ => None,
        }
    }
}

/// Sightings of one hop this close together (seconds) are one edge.
const MERGE: i64 = 120;

/// A network logon on a host: when, from which host, which account.
type NetworkLogon = (DateTime<Utc>, String, String);

/// All hops the events show, oldest first. Sorting aside, one pass over the facts.
pub fn edges(facts: &Facts, resolver: &Resolver) -> Vec<Edge> {
    let mut sightings = Vec::new();
    // The source host by address, then by the name it gave, then the bare
    // address: an unknown machine is still a node of the graph.
    let source = |ip: Option<&String>, ws: Option<&String>| -> Option<String> {
        ip.and_then(|ip| resolver.host_of(ip))
            .or_else(|| ws.cloned())
            .or_else(|| ip.cloned())
    };
    // Network logons per destination host, by time, to pair with service installs.
    let mut network: BTreeMap<&str, Vec<NetworkLogon>> = BTreeMap::new();
    for logon in &facts.logons {
        let method = match logon.logon_type {
            10 => Method::Rdp,
            3 => Method::NetworkLogon,
            _ => continue,
        };
        let Some(from) = source(logon.source_ip.as_ref(), logon.source_workstation.as_ref()) else {
            continue;
        };
        if from == logon.host {
            continue;
        }
        if method == Method::NetworkLogon {
            network.entry(&logon.host).or_default().push((
                logon.time,
                from.clone(),
                logon.account.clone(),
            ));
        }
        sightings.push(Sighting {
            time: logon.time,
            from,
            to: logon.host.clone(),
            account: Some(logon.account.clone()),
            method,
            destination_side: true,
            session: logon.logon_id.clone(),
            process: None,
            note: format!(
                "4624 logon type {} of {} on {}",
                logon.logon_type, logon.account, logon.host
            ),
        });
    }
    for list in network.values_mut() {
        list.sort_by_key(|l| l.0);
    }
    for service in &facts.services {
        let Some(list) = network.get(service.host.as_str()) else {
            continue;
        };
        // The network logon that brought the service: the last one from
        // another host at most two minutes before the install.
        let end = list.partition_point(|l| l.0 <= service.time);
        let found = list[..end]
            .iter()
            .rev()
            .take_while(|l| service.time - l.0 <= Duration::seconds(MERGE))
            .find(|l| !names::is_machine(&l.2));
        if let Some((_, from, account)) = found {
            sightings.push(Sighting {
                time: service.time,
                from: from.clone(),
                to: service.host.clone(),
                account: Some(account.clone()),
                method: Method::SmbPsexec,
                destination_side: true,
                session: None,
                process: None,
                note: format!(
                    "service {} ({}) installed on {} after a network logon of {account} from {from}",
                    service.service, service.image, service.host
                ),
            });
        }
    }
    for task in &facts.tasks {
        let Some(list) = network.get(task.host.as_str()) else {
            continue;
        };
        let end = list.partition_point(|l| l.0 <= task.time);
        let found = list[..end]
            .iter()
            .rev()
            .take_while(|l| task.time - l.0 <= Duration::seconds(MERGE))
            .find(|l| !names::is_machine(&l.2));
        if let Some((_, from, account)) = found {
            sightings.push(Sighting {
                time: task.time,
                from: from.clone(),
                to: task.host.clone(),
                account: Some(account.clone()),
                method: Method::ScheduledTask,
                destination_side: true,
                session: task.logon_id.clone(),
                process: None,
                note: format!(
                    "scheduled task {} created on {} after a network logon of {account} from {from}",
                    task.task, task.host
                ),
            });
        }
    }
    for share in &facts.shares {
        let Some(from) = source(Some(&share.source_ip), None) else {
            continue;
        };
        if from == share.host {
            continue;
        }
        // The pipes of remote task and service control, and writes to the
        // admin shares, are remote administration; other shares are file access.
        let target = share.target.to_ascii_lowercase();
        let admin_share = share.share.to_ascii_uppercase();
        let method = if target == "atsvc" {
            Method::ScheduledTask
        } else if target == "svcctl" {
            Method::SmbPsexec
        } else if admin_share.ends_with("\\ADMIN$") || admin_share.ends_with("\\C$") {
            Method::Smb
        } else {
            Method::NetworkLogon
        };
        sightings.push(Sighting {
            time: share.time,
            from: from.clone(),
            to: share.host.clone(),
            account: share.account.clone(),
            method,
            destination_side: true,
            session: share.logon_id.clone(),
            process: None,
            note: format!(
                "share {} {} opened on {} from {} by {}",
                share.share,
                share.target,
                share.host,
                share.source_ip,
                share.account.as_deref().unwrap_or("?")
            ),
        });
    }
    for explicit in &facts.explicit {
        let Some(to) = explicit.server.clone() else {
            continue;
        };
        if to == explicit.host {
            continue;
        }
        sightings.push(Sighting {
            time: explicit.time,
            from: explicit.host.clone(),
            to,
            account: Some(explicit.account.clone()),
            method: Method::ExplicitCredentials,
            destination_side: false,
            session: None,
            process: None,
            note: format!(
                "4648 explicit credentials of {} on {} for {}",
                explicit.account,
                explicit.host,
                explicit.server.as_deref().unwrap_or("?")
            ),
        });
    }
    for c in &facts.connections {
        let to = c
            .destination_ip
            .as_deref()
            .and_then(|ip| resolver.host_of(ip))
            .or_else(|| c.destination_host.clone());
        let Some(to) = to.filter(|t| *t != c.host) else {
            continue;
        };
        let method = match c.port {
            3389 => Method::Rdp,
            5985 | 5986 => Method::Winrm,
            _ => Method::Smb,
        };
        sightings.push(Sighting {
            time: c.time,
            from: c.host.clone(),
            to,
            account: None,
            method,
            destination_side: false,
            session: None,
            process: c.process_guid.clone(),
            note: format!(
                "Sysmon 3: {} on {} connected to port {}",
                c.image.as_deref().unwrap_or("a process"),
                c.host,
                c.port
            ),
        });
    }
    merge(sightings)
}

fn merge(mut sightings: Vec<Sighting>) -> Vec<Edge> {
    sightings.sort_by(|a, b| (&a.from, &a.to, a.time).cmp(&(&b.from, &b.to, b.time)));
    let mut edges = Vec::new();
    let mut group: Vec<Sighting> = Vec::new();
    for s in sightings {
        let continues = group.last().is_some_and(|last| {
            last.from == s.from && last.to == s.to && s.time - last.time <= Duration::seconds(MERGE)
        });
        if !continues && !group.is_empty() {
            edges.push(edge_of(std::mem::take(&mut group)));
        }
        group.push(s);
    }
    if !group.is_empty() {
        edges.push(edge_of(group));
    }
    edges.sort_by_key(|e| e.time);
    edges
}

fn edge_of(group: Vec<Sighting>) -> Edge {
    let best = group
        .iter()
        .min_by_key(|s| (s.method, !s.destination_side, s.time))
        .expect("non-empty");
    let account = group
        .iter()
        .filter(|s| s.account.as_deref().is_some_and(|a| !names::is_machine(a)))
        .min_by_key(|s| (s.method, !s.destination_side))
        .or_else(|| group.iter().find(|s| s.account.is_some()))
        .and_then(|s| s.account.clone());
    let strong = group.iter().any(|s| {
        matches!(
            s.method,
            Method::SmbPsexec
                | Method::ScheduledTask
                | Method::Winrm
                | Method::Rdp
                | Method::ExplicitCredentials
        )
    });
    Edge {
        from: best.from.clone(),
        to: best.to.clone(),
        time: best.time,
        account,
        method: best.method,
        strong,
        evidence: group.iter().map(|s| s.note.clone()).collect(),
        sessions: group.iter().filter_map(|s| s.session.clone()).collect(),
        processes: group.iter().filter_map(|s| s.process.clone()).collect(),
    }
}
