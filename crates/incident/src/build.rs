//! Grouping detections into incidents and scoping each one.
//!
//! Detections at or above the seed level are joined when they share an
//! entity: a process or its parent (ProcessGuid), a logon session (host and
//! LogonId), a file hash, an internet address, or the same host within
//! `host_gap` of each other; and across hosts when a lateral-movement hop
//! leads from one to the other. Lower-level detections only join through a
//! shared process or session, so that background noise stays out. Work is
//! linear in detections plus events, apart from sorting by time.
//!
//! Clocks of different hosts differ by seconds, so wherever the order of
//! events on two hosts decides something (which came first, a hop or its
//! target's first detection; where a hop leads), times within
//! `clock_skew` of each other are taken as simultaneous. A hop's time may
//! come from either end's events, so comparisons between a hop and a host's
//! evidence count as across hosts.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use vigil_event::Level;

use crate::facts::{Evidence, Facts};
use crate::incident::{AffectedHost, DetectionRef, Incident, PatientZero};
use crate::inventory::Inventory;
use crate::movement::{self, Edge, Resolver};
use crate::names;
use crate::{credentials, findings};

#[derive(Debug, Clone)]
pub struct Options {
    /// Detections at or above this level start incidents.
    pub seed_level: Level,
    /// Two detections on one host this close in time belong together.
    pub host_gap: Duration,
    /// How far the clocks of two hosts may differ: events on different
    /// hosts this close in time are simultaneous, their order no evidence.
    pub clock_skew: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            seed_level: Level::High,
            host_gap: Duration::hours(24),
            clock_skew: Duration::seconds(5),
        }
    }
}

struct Groups {
    parent: Vec<usize>,
}

impl Groups {
    fn new(n: usize) -> Groups {
        Groups {
            parent: (0..n).collect(),
        }
    }
    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }
    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.parent[a.max(b)] = a.min(b);
        }
    }
}

#[derive(Hash, PartialEq, Eq)]
enum Key<'a> {
    Process(&'a str, &'a str),
    Session(&'a str, &'a str),
    Hash(&'a str),
    Address(&'a str),
}

/// A file hash or an internet address joins detections at most this far
/// apart: a campaign's payload and its C2 recur within days, while the same
/// tool weeks later is evidence of nothing shared.
const ENTITY_GAP_DAYS: i64 = 7;

impl Key<'_> {
    /// Whether two detections `apart` in time, sharing this key, belong together.
    fn joins(&self, apart: Duration) -> bool {
        match self {
            Key::Process(..) | Key::Session(..) => true,
            Key::Hash(_) | Key::Address(_) => apart <= Duration::days(ENTITY_GAP_DAYS),
        }
    }
}

fn keys(e: &Evidence) -> Vec<Key<'_>> {
    let mut keys = Vec::new();
    for guid in [&e.process_guid, &e.parent_guid].into_iter().flatten() {
        keys.push(Key::Process(&e.host, guid));
    }
    if let Some(session) = &e.logon_id {
        keys.push(Key::Session(&e.host, session));
    }
    keys.extend(e.hashes.iter().map(|h| Key::Hash(h)));
    keys.extend(e.external_ips.iter().map(|ip| Key::Address(ip)));
    keys
}

/// Builds the incidents from everything gathered, most severe first.
pub fn build(mut facts: Facts, inventory: Option<&Inventory>, options: &Options) -> Vec<Incident> {
    findings::add(&mut facts, inventory);
    facts.evidence.sort_by_key(|e| e.time);
    let resolver = Resolver::new(&facts, inventory);
    let all_edges = movement::edges(&facts, &resolver);
    let graph = Graph::new(&all_edges);
    let evidence = &facts.evidence;
    let seeds: Vec<usize> = (0..evidence.len())
        .filter(|&i| evidence[i].detection.level >= options.seed_level)
        .collect();
    let mut groups = Groups::new(evidence.len());
    let mut owner: HashMap<Key, usize> = HashMap::new();
    let mut last_on_host: HashMap<&str, usize> = HashMap::new();
    // Seeds per host, by time, for the hop rule below.
    let mut on_host: HashMap<&str, Vec<usize>> = HashMap::new();
    for &i in &seeds {
        let e = &evidence[i];
        for key in keys(e) {
            match owner.get(&key) {
                Some(&j) if key.joins(e.time - evidence[j].time) => {
                    groups.join(i, j);
                    if matches!(key, Key::Hash(_) | Key::Address(_)) {
                        owner.insert(key, i);
                    }
                }
                // A file hash or an address seen again long after is a new
                // thread: the same tool in another campaign, not this one.
                Some(_) if matches!(key, Key::Hash(_) | Key::Address(_)) => {
                    owner.insert(key, i);
                }
                Some(_) => {}
                None => {
                    owner.insert(key, i);
                }
            }
        }
        if let Some(&j) = last_on_host.get(e.host.as_str()) {
            if e.time - evidence[j].time <= options.host_gap {
                groups.join(i, j);
            }
        }
        last_on_host.insert(&e.host, i);
        on_host.entry(&e.host).or_default().push(i);
    }
    // Hops between hosts with seeds join their groups.
    for edge in &all_edges {
        let (Some(src), Some(dst)) = (
            on_host.get(edge.from.as_str()),
            on_host.get(edge.to.as_str()),
        ) else {
            continue;
        };
        // The hop's time and the hosts' detections may be read from
        // different clocks: the windows are widened by the skew.
        let margin = Duration::minutes(1) + options.clock_skew;
        let before = src.partition_point(|&i| evidence[i].time <= edge.time + margin);
        let Some(&s) = before.checked_sub(1).map(|b| &src[b]) else {
            continue;
        };
        let after = dst.partition_point(|&i| evidence[i].time < edge.time - margin);
        let Some(&d) = dst.get(after) else {
            continue;
        };
        if edge.strong {
            if evidence[d].time - edge.time <= options.host_gap + options.clock_skew {
                groups.join(s, d);
            }
            continue;
        }
        // An ordinary logon or SMB connection joins only through the session
        // it opened or the process that made it.
        let through = edge
            .sessions
            .iter()
            .find_map(|l| owner.get(&Key::Session(&edge.to, l)))
            .or_else(|| {
                edge.processes
                    .iter()
                    .find_map(|p| owner.get(&Key::Process(&edge.from, p)))
            });
        if let Some(&j) = through {
            groups.join(s, j);
        }
    }
    // Lower-level detections join through a shared process or session only.
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &i in &seeds {
        let root = groups.find(i);
        members.entry(root).or_default().push(i);
    }
    for (i, e) in evidence.iter().enumerate() {
        if e.detection.level >= options.seed_level {
            continue;
        }
        let joined = keys(e)
            .into_iter()
            .filter(|k| matches!(k, Key::Process(..) | Key::Session(..)))
            .find_map(|k| owner.get(&k).copied());
        if let Some(j) = joined {
            let root = groups.find(j);
            members.entry(root).or_default().push(i);
        }
    }
    let mut incidents: Vec<Incident> = members
        .into_values()
        .map(|mut list| {
            list.sort_by_key(|&i| evidence[i].time);
            scope(&list, evidence, &graph, &facts, inventory, options)
        })
        .collect();
    incidents.sort_by(|a, b| {
        (b.severity, b.hosts.len(), a.first_evidence).cmp(&(
            a.severity,
            a.hosts.len(),
            b.first_evidence,
        ))
    });
    for (n, incident) in incidents.iter_mut().enumerate() {
        incident.id = n + 1;
    }
    incidents
}

/// Whether a hop into a host in scope from one outside it is how the
/// attacker arrived: remote administration just before the host's first
/// evidence (within the clock skew), or a session the attacker then worked in.
fn arrives(edge: &Edge, dst: &Span, sessions: &HashSet<(&str, &str)>, skew: Duration) -> bool {
    let in_session = edge
        .sessions
        .iter()
        .any(|l| sessions.contains(&(edge.to.as_str(), l.as_str())));
    let just_before = edge.strong
        && edge.time >= dst.first - Duration::minutes(10) - skew
        && edge.time <= dst.first + Duration::minutes(1) + skew;
    in_session || just_before
}

/// Whether a hop into a host comes before the host's first evidence, as far
/// as clocks of different hosts can tell: the evidence is earlier than the
/// hop by at most `skew`, or later.
fn hop_precedes(hop: DateTime<Utc>, first: DateTime<Utc>, skew: Duration) -> bool {
    hop < first || (skew > Duration::zero() && hop - first <= skew)
}

/// Records that `edge` explains the first evidence of its target `span`:
/// the host's first detection is no longer attacker activity of its own.
fn reached_first(edge: &Edge, span: &mut Span) {
    // A hop at the very time of the detection is usually the same event seen
    // twice (a service install); only a hop the clocks put later needs saying.
    if edge.time > span.first {
        if let Some(detection) = span.first_detection {
            span.within_skew = Some(Tolerated {
                detection,
                hop: hop(edge),
                lead: edge.time - span.first,
            });
        }
    }
    span.first = span.first.min(edge.time);
    span.first_detection = None;
}

/// Puts the source of an arriving hop in scope, as where the attacker came from.
fn arrival(edge: &Edge, spans: &mut BTreeMap<String, Span>, skew: Duration) {
    if let Some(dst) = spans.get_mut(&edge.to) {
        dst.reached_by.push(hop(edge));
        if hop_precedes(edge.time, dst.first, skew) {
            reached_first(edge, dst);
        }
    }
    spans.insert(
        edge.from.clone(),
        Span {
            first: edge.time,
            last: edge.time,
            first_detection: None,
            reached_by: Vec::new(),
            within_skew: None,
            origin: Some(format!(
                "source of the {} hop into {} at {}",
                edge.method.as_str(),
                edge.to,
                edge.time.format("%Y-%m-%d %H:%M:%S")
            )),
        },
    );
}

fn hop(edge: &Edge) -> String {
    format!(
        "{} from {} at {} as {}",
        edge.method.as_str(),
        edge.from,
        edge.time.format("%Y-%m-%d %H:%M:%S"),
        edge.account.as_deref().unwrap_or("an unknown account")
    )
}

/// The hops, oldest first (an edge's index orders it in time), indexed by
/// source and by target host.
struct Graph<'a> {
    edges: &'a [Edge],
    from: HashMap<&'a str, Vec<usize>>,
    to: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Graph<'a> {
    fn new(edges: &'a [Edge]) -> Graph<'a> {
        let mut from: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut to: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, e) in edges.iter().enumerate() {
            from.entry(e.from.as_str()).or_default().push(i);
            to.entry(e.to.as_str()).or_default().push(i);
        }
        Graph { edges, from, to }
    }

    fn out_of(&self, host: &str) -> impl Iterator<Item = usize> + '_ {
        self.from.get(host).into_iter().flatten().copied()
    }

    fn into(&self, host: &str) -> impl Iterator<Item = usize> + '_ {
        self.to.get(host).into_iter().flatten().copied()
    }
}

/// Per host in scope: first and last evidence, and whether the first came from a detection.
struct Span {
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    first_detection: Option<usize>,
    reached_by: Vec<String>,
    /// A first detection taken as after the hop that reached the host only
    /// because the two are within the clock skew.
    within_skew: Option<Tolerated>,
    /// Why a host without detections of its own is in scope as a source.
    origin: Option<String>,
}

/// A host's first detection that came, by the clocks, slightly before the
/// hop that explains it.
struct Tolerated {
    detection: usize,
    /// The hop, in words.
    hop: String,
    /// How much earlier the detection's clock said it was.
    lead: Duration,
}

fn scope(
    list: &[usize],
    evidence: &[Evidence],
    graph: &Graph,
    facts: &Facts,
    inventory: Option<&Inventory>,
    options: &Options,
) -> Incident {
    let skew = options.clock_skew;
    let mut spans: BTreeMap<String, Span> = BTreeMap::new();
    for &i in list {
        let e = &evidence[i];
        let span = spans.entry(e.host.clone()).or_insert(Span {
            first: e.time,
            last: e.time,
            first_detection: Some(i),
            reached_by: Vec::new(),
            within_skew: None,
            origin: None,
        });
        span.last = span.last.max(e.time);
    }
    // Sessions and processes of the incident's seeds, per host.
    let mut sessions: HashSet<(&str, &str)> = HashSet::new();
    let mut processes: HashSet<(&str, &str)> = HashSet::new();
    for &i in list {
        let e = &evidence[i];
        if e.detection.level < options.seed_level {
            continue;
        }
        if let Some(l) = &e.logon_id {
            sessions.insert((&e.host, l));
        }
        for g in [&e.process_guid, &e.parent_guid].into_iter().flatten() {
            processes.insert((&e.host, g));
        }
    }
    let end = list
        .iter()
        .map(|&i| evidence[i].time)
        .max()
        .expect("non-empty")
        + options.host_gap;
    // Hops out of hosts already in scope, in time order; a hop's target joins
    // the scope, and hops out of it count from then on.
    // Only hops out of hosts in scope are looked at, so the work per
    // incident follows its own hosts, not the whole graph.
    let mut edges = Vec::new();
    let mut queue: BinaryHeap<Reverse<usize>> = spans
        .keys()
        .flat_map(|h| graph.out_of(h))
        .map(Reverse)
        .collect();
    let mut queued: HashSet<String> = spans.keys().cloned().collect();
    while let Some(Reverse(index)) = queue.pop() {
        let edge = &graph.edges[index];
        if edge.time > end {
            break;
        }
        if !queued.contains(&edge.to) {
            queued.insert(edge.to.clone());
            queue.extend(
                graph
                    .out_of(&edge.to)
                    .filter(|&i| graph.edges[i].time >= edge.time - skew)
                    .map(Reverse),
            );
        }
        let Some(src) = spans.get(&edge.from) else {
            continue;
        };
        // A hop out of a host well before the attacker was on it is not theirs.
        if edge.time + Duration::minutes(1) + skew < src.first {
            continue;
        }
        let followed = edge
            .sessions
            .iter()
            .any(|l| sessions.contains(&(edge.to.as_str(), l.as_str())))
            || edge
                .processes
                .iter()
                .any(|p| processes.contains(&(edge.from.as_str(), p.as_str())));
        if !(edge.strong || followed) {
            continue;
        }
        let how = hop(edge);
        let span = spans.entry(edge.to.clone()).or_insert(Span {
            first: edge.time,
            last: edge.time,
            first_detection: None,
            reached_by: Vec::new(),
            within_skew: None,
            origin: None,
        });
        if hop_precedes(edge.time, span.first, skew) {
            reached_first(edge, span);
        }
        span.last = span.last.max(edge.time);
        span.reached_by.push(how);
        edges.push(edge.clone());
    }
    // Hosts with detections that no hop explains: look for where the
    // attacker came from, just before their first evidence.
    let entries: Vec<String> = spans
        .iter()
        .filter(|(_, s)| s.reached_by.is_empty() && s.first_detection.is_some())
        .map(|(h, _)| h.clone())
        .collect();
    for host in entries {
        let arriving = graph
            .into(&host)
            .map(|i| &graph.edges[i])
            .filter(|e| !spans.contains_key(&e.from))
            .filter(|e| arrives(e, &spans[&host], &sessions, skew))
            .max_by_key(|e| e.time);
        if let Some(edge) = arriving {
            arrival(edge, &mut spans, skew);
            edges.push(edge.clone());
        }
    }
    edges.sort_by_key(|e| e.time);
    let first_evidence = spans.values().map(|s| s.first).min().expect("non-empty");
    let last_evidence = spans.values().map(|s| s.last).max().expect("non-empty");
    let severity = list
        .iter()
        .map(|&i| evidence[i].detection.level)
        .max()
        .unwrap_or_default();
    let mut tactics: Vec<String> = Vec::new();
    for &i in list {
        for tag in evidence[i].detection.tags.iter() {
            if let Some(t) = tactic(tag) {
                if !tactics.iter().any(|x| x == t) {
                    tactics.push(t.to_string());
                }
            }
        }
    }
    let patient_zero = patient_zero(&spans, &edges, evidence, skew);
    let mut attacker: BTreeSet<String> = BTreeSet::new();
    for edge in &edges {
        if let Some(a) = &edge.account {
            if !names::is_builtin(a) && !names::is_machine(a) {
                attacker.insert(a.clone());
            }
        }
    }
    for &i in list {
        if evidence[i].detection.level >= options.seed_level {
            attacker.extend(evidence[i].accounts.iter().cloned());
        }
    }
    let hosts: Vec<AffectedHost> = {
        let mut hosts: Vec<AffectedHost> = spans
            .iter()
            .map(|(host, span)| {
                let mut rules: Vec<(Level, String)> = list
                    .iter()
                    .filter(|&&i| evidence[i].host == *host)
                    .map(|&i| {
                        (
                            evidence[i].detection.level,
                            evidence[i].detection.rule_title.to_string(),
                        )
                    })
                    .collect();
                rules.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                rules.dedup_by(|a, b| a.1 == b.1);
                AffectedHost {
                    host: host.clone(),
                    role: inventory
                        .and_then(|i| i.role(host))
                        .map(str::to_string)
                        .or_else(|| facts.controllers.recognised_role(host)),
                    first_evidence: span.first,
                    last_evidence: span.last,
                    detections: rules.into_iter().map(|r| r.1).collect(),
                    reached_by: span.reached_by.clone(),
                    origin: span.origin.clone(),
                }
            })
            .collect();
        hosts.sort_by_key(|h| h.first_evidence);
        hosts
    };
    let assessment =
        credentials::exposure(&hosts, &edges, &attacker, list, evidence, facts, inventory);
    let summary = summary(
        &hosts,
        &edges,
        &attacker,
        &patient_zero,
        &tactics,
        &assessment.credentials,
    );
    let detections = list
        .iter()
        .map(|&i| {
            let e = &evidence[i];
            DetectionRef {
                time: e.time,
                host: e.host.clone(),
                rule_title: e.detection.rule_title.to_string(),
                level: e.detection.level,
                record_id: e.detection.record_id,
                source: e.detection.source.to_string(),
                finding: findings::is_finding(&e.detection),
            }
        })
        .collect();
    Incident {
        id: 0,
        severity,
        first_evidence,
        last_evidence,
        tactics,
        summary,
        patient_zero,
        hosts,
        lateral_movement: edges,
        attacker_accounts: attacker.into_iter().collect(),
        credentials: assessment.credentials,
        account_changes: assessment.account_changes,
        credential_attacks: assessment.credential_attacks,
        detections,
    }
}

/// The earliest host whose attacker activity no hop into it explains — its
/// own first detection, or the source the attacker came from — with why,
/// saying where the order rests on the tolerance for clocks of different hosts.
fn patient_zero(
    spans: &BTreeMap<String, Span>,
    edges: &[Edge],
    evidence: &[Evidence],
    skew: Duration,
) -> Option<PatientZero> {
    let candidates: Vec<(&String, &Span)> = spans
        .iter()
        .filter(|(_, s)| s.first_detection.is_some() || s.origin.is_some())
        .collect();
    let &(host, span) = candidates.iter().min_by_key(|(_, s)| s.first)?;
    let tolerance = format!(
        "the {} tolerance for clocks of different hosts",
        seconds(skew)
    );
    let when = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let mut reasoning = match (span.first_detection, &span.origin) {
        (Some(i), _) => {
            let e = &evidence[i];
            let mut text = format!(
                "earliest attacker activity of the incident: \"{}\" at {}; ",
                e.detection.rule_title,
                when(e.time)
            );
            // Hops into it that remain are later than its first detection
            // by more than the skew, or they would have explained it.
            match edges
                .iter()
                .filter(|x| x.to == *host)
                .min_by_key(|x| x.time)
            {
                Some(x) => text.push_str(&format!(
                    "the {} hop from {} at {} comes {} after it, more than {tolerance}",
                    x.method.as_str(),
                    x.from,
                    when(x.time),
                    seconds(x.time - e.time)
                )),
                None => text.push_str(&format!("no lateral-movement hop into {host} precedes it")),
            }
            text
        }
        (None, Some(origin)) => {
            let earliest = spans.values().all(|s| s.first >= span.first);
            format!(
                "the attacker came from it: {origin}{}",
                if earliest {
                    ", the earliest evidence of the incident"
                } else {
                    ""
                }
            )
        }
        (None, None) => unreachable!("filtered"),
    };
    for (other, s) in spans {
        if let Some(t) = &s.within_skew {
            let e = &evidence[t.detection];
            reasoning.push_str(&format!(
                "; {other}'s first detection \"{}\" at {} is {} before the hop that reached it ({}), within {tolerance}: the hop is taken to come first and explains it",
                e.detection.rule_title,
                when(e.time),
                seconds(t.lead),
                t.hop
            ));
        }
    }
    if skew > Duration::zero() {
        for (other, s) in &candidates {
            if *other != host && s.first - span.first <= skew {
                reasoning.push_str(&format!(
                    "; {other}'s first evidence at {} is {} after it, within {tolerance}: which came first the clocks cannot tell",
                    when(s.first),
                    seconds(s.first - span.first)
                ));
            }
        }
    }
    Some(PatientZero {
        host: host.clone(),
        reasoning,
    })
}

/// A duration in seconds, in words ("5 s", "1.5 s").
fn seconds(d: Duration) -> String {
    let ms = d.num_milliseconds();
    if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

const TACTICS: &[&str] = &[
    "reconnaissance",
    "resource_development",
    "initial_access",
    "execution",
    "persistence",
    "privilege_escalation",
    "defense_evasion",
    "credential_access",
    "discovery",
    "lateral_movement",
    "collection",
    "command_and_control",
    "exfiltration",
    "impact",
];

/// The ATT&CK tactic a rule tag names (`attack.lateral_movement`), if any.
pub fn tactic(tag: &str) -> Option<&'static str> {
    let name = tag.strip_prefix("attack.")?.replace('-', "_");
    TACTICS.iter().copied().find(|t| *t == name)
}

fn summary(
    hosts: &[AffectedHost],
    edges: &[Edge],
    attacker: &BTreeSet<String>,
    patient_zero: &Option<PatientZero>,
    tactics: &[String],
    credentials: &crate::incident::CredentialExposure,
) -> String {
    let mut s = format!(
        "{} host{} affected",
        hosts.len(),
        if hosts.len() == 1 { "" } else { "s" }
    );
    if let Some(pz) = patient_zero {
        s.push_str(&format!(", starting on {}", pz.host));
    }
    s.push('.');
    if !edges.is_empty() {
        let targets: BTreeSet<&str> = edges.iter().map(|e| e.to.as_str()).collect();
        s.push_str(&format!(
            " The attacker moved {} time{} to {} other host{}",
            edges.len(),
            if edges.len() == 1 { "" } else { "s" },
            targets.len(),
            if targets.len() == 1 { "" } else { "s" }
        ));
        if !attacker.is_empty() {
            s.push_str(&format!(
                " using {}",
                attacker.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        s.push('.');
    }
    if !tactics.is_empty() {
        s.push_str(&format!(
            " Stages seen: {}.",
            tactics.join(" → ").replace('_', " ")
        ));
    }
    let rotate = credentials.accounts.len();
    if rotate > 0 {
        s.push_str(&format!(
            " {rotate} account{} to rotate.",
            if rotate == 1 { "" } else { "s" }
        ));
    }
    if !credentials.domain_wide.is_empty() {
        s.push_str(
            " Domain-wide credential compromise: reset krbtgt twice and all domain accounts.",
        );
    }
    s
}
