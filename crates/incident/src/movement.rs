//! The lateral-movement graph: host → host hops built from the events of
//! both ends (see `methods` for how each method is recognised), merged per
//! hop and named by the most specific method, with addresses resolved to
//! hosts through the inventory and what the hosts' own events say about
//! their addresses.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::facts::{EventRef, Facts};
use crate::inventory::Inventory;
use crate::methods;
use crate::names;

/// How an account reached another host, most specific first: when several
/// events show one hop, the first method in this order names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A service installed remotely (PsExec, SMBExec, Impacket, Cobalt
    /// Strike): 7045/4697 in or right after a network logon from the source.
    Service,
    /// A process started by `WmiPrvSE.exe` in a network logon session, a
    /// WMI client's operations in WMI-Activity, `wmic /node:` on the source.
    Wmi,
    /// A COM server (`mmc.exe -Embedding`, Office, `DllHost.exe /Processid:`)
    /// or `explorer.exe` starting a process in a network logon session.
    Dcom,
    /// `wsmprovhost.exe` in a network logon session, WinRM shells (91), a
    /// connection to 5985/5986, `Invoke-Command -ComputerName` on the source.
    Winrm,
    Rdp,
    /// A scheduled task created or updated remotely (the task scheduler's
    /// pipe, or a task changed in or right after a network logon from the source).
    ScheduledTask,
    /// A file written to `C$`/`ADMIN$` from the source, then run on the host.
    SmbCopy,
    ExplicitCredentials,
    NetworkLogon,
    /// An admin share or the service control pipe opened with no execution seen.
    Smb,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Service => "service",
            Method::Wmi => "wmi",
            Method::Dcom => "dcom",
            Method::Winrm => "winrm",
            Method::Rdp => "rdp",
            Method::ScheduledTask => "scheduled_task",
            Method::SmbCopy => "smb_copy",
            Method::ExplicitCredentials => "explicit_credentials",
            Method::NetworkLogon => "network_logon",
            Method::Smb => "smb",
        }
    }

    /// Remote execution or an interactive session, rather than an ordinary
    /// network logon or file access.
    pub fn is_remote_execution(self) -> bool {
        !matches!(self, Method::NetworkLogon | Method::Smb)
    }
}

/// One observation of a hop, before observations of the same hop are merged.
#[derive(Debug, Clone)]
pub(crate) struct Sighting {
    pub time: DateTime<Utc>,
    pub from: String,
    pub to: String,
    pub account: Option<String>,
    pub method: Method,
    /// Seen on the destination (a logon, a service) rather than the source.
    pub destination_side: bool,
    /// The logon session it opened on the destination.
    pub session: Option<String>,
    /// The process on the source that made the connection.
    pub process: Option<String>,
    pub note: String,
    /// The events it was read from.
    pub events: Vec<EventRef>,
}

/// A hop between two hosts: one or more events within a couple of minutes.
#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub time: DateTime<Utc>,
    pub account: Option<String>,
    pub method: Method,
    /// Remote execution or an interactive session (see
    /// [`Method::is_remote_execution`]) rather than an ordinary network logon.
    pub strong: bool,
    /// The events it was built from, in words, each naming the host that logged it.
    pub evidence: Vec<String>,
    /// The events it was built from, file and record: those that prove the
    /// method first, at most 50.
    pub events: Vec<EventRef>,
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

/// At most this many events are named per hop.
const EVENTS_KEPT: usize = 50;

/// Sightings of one hop this close together (seconds) are one edge.
pub(crate) const MERGE: i64 = 120;

/// All hops the events show, oldest first, whether or not an incident
/// includes them.
pub fn hops(facts: &Facts, inventory: Option<&Inventory>) -> Vec<Edge> {
    edges(facts, &Resolver::new(facts, inventory))
}

/// All hops the events show, oldest first. Sorting aside, one pass over the facts.
pub fn edges(facts: &Facts, resolver: &Resolver) -> Vec<Edge> {
    let mut sightings = Vec::new();
    methods::destination(facts, resolver, &mut sightings);
    methods::source(facts, resolver, &mut sightings);
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
        .filter(|s| {
            s.account
                .as_deref()
                .is_some_and(|a| !names::is_machine(a) && !names::is_builtin(a))
        })
        // The credential the destination saw first, then what the source ran as.
        .min_by_key(|s| (!s.destination_side, s.method))
        .or_else(|| group.iter().find(|s| s.account.is_some()))
        .and_then(|s| s.account.clone());
    let strong = group.iter().any(|s| s.method.is_remote_execution());
    // The events that prove the method first; a hop of a thousand share
    // accesses keeps the first of them only.
    let mut ranked: Vec<&Sighting> = group.iter().collect();
    ranked.sort_by_key(|s| (s.method, !s.destination_side, s.time));
    let mut seen = HashSet::new();
    let events: Vec<EventRef> = ranked
        .iter()
        .flat_map(|s| &s.events)
        .filter(|e| seen.insert((e.source.as_str(), e.record, e.line)))
        .take(EVENTS_KEPT)
        .cloned()
        .collect();
    Edge {
        from: best.from.clone(),
        to: best.to.clone(),
        time: best.time,
        account,
        method: best.method,
        strong,
        evidence: group.iter().map(|s| s.note.clone()).collect(),
        events,
        sessions: distinct(group.iter().filter_map(|s| s.session.clone())),
        processes: distinct(group.iter().filter_map(|s| s.process.clone())),
    }
}

/// The values, each once, in their first order.
fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for v in values {
        if seen.insert(v.clone()) {
            out.push(v);
        }
    }
    out
}
