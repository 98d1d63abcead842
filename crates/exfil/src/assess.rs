//! The assessment: outbound volume per host and destination against the
//! host's own baseline and its role's, first-seen destinations, beaconing,
//! long connections, DNS tunnelling and staging, weighed into a verdict per
//! host and for the estate, with the evidence and the gaps.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use ipnet::IpNet;
use serde::Serialize;
use vigil_incident::Inventory;

use crate::dns::{self, DomainProfile, TunnelThresholds};
use crate::host::{HostEvidence, Staging};
use crate::read::{InputSummary, NetworkLog};
use crate::record::{Action, Flow, Origin};
use crate::stats;

/// The span the assessment looks at, and the hosts the incident reached.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub window: Option<Window>,
    /// Host names (as incidents name them: `FS-01`).
    pub hosts: Vec<String>,
    /// Where the window and hosts came from, in words.
    pub basis: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    fn contains(&self, t: DateTime<Utc>) -> bool {
        t >= self.start && t <= self.end
    }
}

/// Thresholds; the defaults are what the documentation describes.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Networks inside the estate; empty means the private, loopback,
    /// link-local and shared (CGNAT) ranges.
    pub internal: Vec<IpNet>,
    /// A destination must receive at least this much in the window to count.
    pub min_destination_bytes: u64,
    /// A day is anomalous above median + `spread` × max(MAD, 25% of median, `floor_bytes`).
    pub spread: f64,
    pub floor_bytes: u64,
    /// The daily bar for a host with neither its own baseline nor role peers.
    pub absolute_daily_bytes: u64,
    /// How long before the egress staging still links to it.
    pub staging_lead: Duration,
    pub beacon_min_connections: usize,
    /// Median absolute deviation of the intervals over their median.
    pub beacon_max_jitter: f64,
    pub beacon_max_size_variation: f64,
    pub long_connection_seconds: f64,
    /// The baseline reaches back at most this far before the window.
    pub baseline_days: i64,
    pub tunnel: TunnelThresholds,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            internal: Vec::new(),
            min_destination_bytes: 100_000_000,
            spread: 5.0,
            floor_bytes: 50_000_000,
            absolute_daily_bytes: 1_000_000_000,
            staging_lead: Duration::hours(48),
            beacon_min_connections: 8,
            beacon_max_jitter: 0.15,
            beacon_max_size_variation: 0.3,
            long_connection_seconds: 3600.0,
            baseline_days: 30,
            tunnel: TunnelThresholds::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    NoEvidence,
    CannotBeAssessed,
    Suspected,
    Likely,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::NoEvidence => "no evidence of exfiltration",
            Verdict::CannotBeAssessed => "cannot be assessed",
            Verdict::Suspected => "suspected",
            Verdict::Likely => "likely",
        }
    }
}

/// An amount of data with its bounds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Volume {
    pub estimate: u64,
    pub lower: u64,
    pub upper: u64,
}

impl Volume {
    fn add(self, other: Volume) -> Volume {
        Volume {
            estimate: self.estimate + other.estimate,
            lower: self.lower + other.lower,
            upper: self.upper + other.upper,
        }
    }
}

/// A process that made connections to a destination, per the host's own log.
#[derive(Debug, Clone, Serialize)]
pub struct Process {
    pub image: String,
    pub user: Option<String>,
    pub connections: usize,
}

/// Data sent from one host to one outside address in the window.
#[derive(Debug, Clone, Serialize)]
pub struct Egress {
    pub destination: IpAddr,
    /// Names the address was looked up by or connected to as.
    pub names: Vec<String>,
    pub bytes: u64,
    pub volume: Volume,
    pub flows: usize,
    /// Flows without a byte count.
    pub flows_without_bytes: usize,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub ports: Vec<u16>,
    pub first_seen_for_host: bool,
    pub first_seen_for_estate: bool,
    /// The most the host sent there on one day of the baseline.
    pub baseline_daily_max: u64,
    pub processes: Vec<Process>,
    /// What the sensors saw of the content: HTTP request bodies and files
    /// carried to the destination (Zeek http and files logs).
    pub content: Vec<String>,
    pub evidence: Vec<Origin>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Beacon {
    pub destination: IpAddr,
    pub port: Option<u16>,
    pub connections: usize,
    pub period_seconds: f64,
    pub jitter: f64,
    pub size_variation: f64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LongConnection {
    pub destination: IpAddr,
    pub port: Option<u16>,
    pub time: DateTime<Utc>,
    pub seconds: f64,
    pub bytes_out: Option<u64>,
    pub evidence: Origin,
}

/// The host's normal outbound volume.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    /// Days of sensor data before the window.
    pub days: usize,
    pub median_daily: Option<u64>,
    /// The daily volume above which a day is anomalous, and what it rests on.
    pub upper_daily: u64,
    pub basis: String,
    /// The most a host of the same role sent on one baseline day.
    pub role_daily_max: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HostAssessment {
    pub host: String,
    pub addresses: Vec<IpAddr>,
    pub role: Option<String>,
    pub in_scope: bool,
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    /// Bytes the host sent outside in the window.
    pub window_bytes: u64,
    pub baseline: Option<Baseline>,
    /// Days of the window above the baseline.
    pub anomalous_days: Vec<(NaiveDate, u64)>,
    pub egress: Vec<Egress>,
    pub staging: Vec<Staging>,
    /// Staging events not listed (only the first few are).
    pub staging_more: usize,
    pub beacons: Vec<Beacon>,
    pub long_connections: Vec<LongConnection>,
    pub dns_tunnels: Vec<String>,
}

/// An outside address first contacted in the window by a host that normally
/// talks to few.
#[derive(Debug, Clone, Serialize)]
pub struct RareDestination {
    pub host: String,
    pub destination: IpAddr,
    pub names: Vec<String>,
    pub bytes: u64,
    pub first: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub verdict: Verdict,
    pub summary: String,
    pub window: Option<Window>,
    pub window_basis: String,
    pub baseline: Option<Window>,
    pub estimated_volume: Option<Volume>,
    pub hosts: Vec<HostAssessment>,
    pub rare_destinations: Vec<RareDestination>,
    pub dns_tunnels: Vec<DomainProfile>,
    pub gaps: Vec<String>,
    pub notes: Vec<String>,
    pub inputs: Vec<InputSummary>,
    pub flows: usize,
    pub duplicate_flows: usize,
    pub dns_queries: usize,
    /// Registered domains the DNS-tunnelling check profiled.
    pub dns_domains: usize,
    pub unreadable_records: usize,
}

/// One flow seen from the estate's side.
struct Outbound<'a> {
    local: IpAddr,
    remote: IpAddr,
    /// Bytes that left the estate.
    bytes: Option<u64>,
    /// Whether the inside host opened the connection.
    initiated: bool,
    flow: &'a Flow,
}

impl Outbound<'_> {
    fn remote_port(&self) -> Option<u16> {
        if self.initiated {
            self.flow.dst_port
        } else {
            self.flow.src_port
        }
    }
}

struct Context<'a> {
    settings: &'a Settings,
    inventory: Option<&'a Inventory>,
    hosts: &'a HostEvidence,
}

impl Context<'_> {
    fn internal(&self, ip: IpAddr) -> bool {
        if !self.settings.internal.is_empty() {
            return self.settings.internal.iter().any(|n| n.contains(&ip));
        }
        match ip {
            IpAddr::V4(v4) => {
                v4.is_private()
                    || v4.is_loopback()
                    || v4.is_link_local()
                    || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
            }
            IpAddr::V6(v6) => {
                v6.is_loopback()
                    || (v6.segments()[0] & 0xfe00) == 0xfc00
                    || (v6.segments()[0] & 0xffc0) == 0xfe80
            }
        }
    }

    /// The host an inside address belongs to: the inventory's, else the one
    /// whose own events used it, else the address itself.
    fn host_of(&self, ip: IpAddr) -> String {
        let text = ip.to_string();
        if let Some(host) = self.inventory.and_then(|i| i.host_of(&text)) {
            return host;
        }
        if let Some(host) = self.hosts.addresses.get(&ip).and_then(|h| h.iter().next()) {
            return host.clone();
        }
        text
    }

    fn addresses_of(&self, host: &str) -> Vec<IpAddr> {
        let mut ips: BTreeSet<IpAddr> = BTreeSet::new();
        if let Some(asset) = self.inventory.and_then(|i| i.asset(host)) {
            ips.extend(asset.ips.iter().filter_map(|ip| ip.parse::<IpAddr>().ok()));
        }
        for (ip, hosts) in &self.hosts.addresses {
            if hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
                ips.insert(*ip);
            }
        }
        if let Ok(ip) = host.parse::<IpAddr>() {
            ips.insert(ip);
        }
        ips.into_iter().collect()
    }

    fn role(&self, host: &str) -> Option<String> {
        self.inventory.and_then(|i| i.role(host)).map(String::from)
    }
}

/// Removes the same connection reported by two sensors (a flow export and
/// Zeek, say): same addresses and ports, starts within two seconds. Keeps the
/// record with byte counts. Returns the flows kept and how many were dropped.
pub fn deduplicate(flows: &[Flow]) -> (Vec<&Flow>, usize) {
    let mut order: Vec<&Flow> = flows.iter().collect();
    order.sort_by(|a, b| {
        (a.src, a.src_port, a.dst, a.dst_port, a.time)
            .cmp(&(b.src, b.src_port, b.dst, b.dst_port, b.time))
    });
    let mut kept: Vec<&Flow> = Vec::with_capacity(order.len());
    let mut dropped = 0;
    for f in order {
        if let Some(last) = kept.last_mut() {
            let same = last.src == f.src
                && last.dst == f.dst
                && last.src_port.is_some()
                && last.src_port == f.src_port
                && last.dst_port == f.dst_port
                && (f.time - last.time).num_milliseconds().abs() <= 2000;
            if same {
                dropped += 1;
                if last.bytes_out.is_none() && f.bytes_out.is_some() {
                    *last = f;
                }
                continue;
            }
        }
        kept.push(f);
    }
    kept.sort_by_key(|f| f.time);
    (kept, dropped)
}

fn day(t: DateTime<Utc>) -> NaiveDate {
    t.date_naive()
}

/// Bytes in a readable unit.
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{bytes} B")
    }
}

/// Per-host figures gathered in one pass over the flows.
#[derive(Default)]
struct HostFlows<'a> {
    baseline_daily: BTreeMap<NaiveDate, u64>,
    baseline_destinations: BTreeMap<IpAddr, BTreeMap<NaiveDate, u64>>,
    window_daily: BTreeMap<NaiveDate, u64>,
    window: BTreeMap<IpAddr, Vec<Outbound<'a>>>,
    window_records: usize,
    window_bytes: u64,
}

/// Weighs the evidence. `net` and `hosts` are everything read; `scope` narrows it.
pub fn assess(
    net: &NetworkLog,
    hosts: &HostEvidence,
    inventory: Option<&Inventory>,
    scope: &Scope,
    settings: &Settings,
) -> Assessment {
    let cx = Context {
        settings,
        inventory,
        hosts,
    };
    let (flows, duplicate_flows) = deduplicate(&net.flows);
    let mut gaps = Vec::new();
    let mut notes = Vec::new();

    let span = flows
        .first()
        .map(|f| f.time)
        .zip(flows.iter().map(|f| f.time).max());
    let (window, window_basis) = match (scope.window, span) {
        (Some(w), _) => (Some(w), scope.basis.clone()),
        (None, Some((start, end))) => {
            let lead = Duration::days(1).max((end - start) / 3);
            if end - start >= Duration::days(2) {
                (
                    Some(Window {
                        start: start + lead,
                        end,
                    }),
                    format!(
                        "no incident window given: the last two thirds of the flow records, against the first {} h as baseline",
                        lead.num_hours()
                    ),
                )
            } else {
                (
                    Some(Window { start, end }),
                    "no incident window given and under two days of flow records: all of them, without a baseline".into(),
                )
            }
        }
        (None, None) => (None, "no flow records and no incident window".into()),
    };
    let baseline = window.and_then(|w| {
        let start = span.map(|s| s.0)?;
        let from = start.max(w.start - Duration::days(settings.baseline_days));
        (from < w.start).then_some(Window {
            start: from,
            end: w.start,
        })
    });

    // Days the sensors were reporting at all, before the window.
    let sensor_days: BTreeSet<NaiveDate> = baseline
        .map(|b| {
            flows
                .iter()
                .filter(|f| f.time >= b.start && f.time < b.end)
                .map(|f| day(f.time))
                .collect()
        })
        .unwrap_or_default();

    // One pass: each flow seen from the inside host's side.
    let mut per_host: BTreeMap<String, HostFlows> = BTreeMap::new();
    let mut estate_seen: BTreeSet<IpAddr> = BTreeSet::new();
    let mut covered: BTreeMap<String, usize> = BTreeMap::new();
    let mut blocked: BTreeMap<(String, IpAddr), usize> = BTreeMap::new();
    let mut without_bytes = 0usize;
    let mut host_names: BTreeMap<IpAddr, String> = BTreeMap::new();
    let mut name_of = |ip: IpAddr| -> String {
        host_names
            .entry(ip)
            .or_insert_with(|| cx.host_of(ip))
            .clone()
    };
    for f in &flows {
        let (src_in, dst_in) = (cx.internal(f.src), cx.internal(f.dst));
        let in_window = window.is_some_and(|w| w.contains(f.time));
        if in_window {
            if src_in {
                *covered.entry(name_of(f.src)).or_default() += 1;
            }
            if dst_in {
                *covered.entry(name_of(f.dst)).or_default() += 1;
            }
        }
        let out = match (src_in, dst_in) {
            (true, false) => Outbound {
                local: f.src,
                remote: f.dst,
                bytes: f.bytes_out,
                initiated: true,
                flow: f,
            },
            (false, true) => Outbound {
                local: f.dst,
                remote: f.src,
                bytes: f.bytes_in,
                initiated: false,
                flow: f,
            },
            _ => continue,
        };
        let host = name_of(out.local);
        if f.action == Action::Blocked {
            if in_window && out.initiated {
                *blocked.entry((host, out.remote)).or_default() += 1;
            }
            continue;
        }
        let bytes = out.bytes.unwrap_or(0);
        let entry = per_host.entry(host).or_default();
        if baseline.is_some_and(|b| f.time >= b.start && f.time < b.end) {
            estate_seen.insert(out.remote);
            *entry.baseline_daily.entry(day(f.time)).or_default() += bytes;
            *entry
                .baseline_destinations
                .entry(out.remote)
                .or_default()
                .entry(day(f.time))
                .or_default() += bytes;
        } else if in_window {
            if out.bytes.is_none() {
                without_bytes += 1;
            }
            entry.window_records += 1;
            entry.window_bytes += bytes;
            *entry.window_daily.entry(day(f.time)).or_default() += bytes;
            entry.window.entry(out.remote).or_default().push(out);
        }
    }

    // Each role's busiest baseline day, for hosts without a baseline of their own.
    let mut role_max: BTreeMap<String, u64> = BTreeMap::new();
    for (host, hf) in &per_host {
        if let Some(role) = cx.role(host) {
            let max = hf.baseline_daily.values().copied().max().unwrap_or(0);
            let entry = role_max.entry(role).or_default();
            *entry = (*entry).max(max);
        }
    }

    let names_of = |ip: IpAddr| -> Vec<String> {
        let mut names: BTreeSet<String> = hosts.resolved.get(&ip).cloned().unwrap_or_default();
        for t in net.tls.iter().filter(|t| t.server == ip) {
            names.insert(t.server_name.to_ascii_lowercase());
            if names.len() > 5 {
                break;
            }
        }
        for c in hosts.connections.iter().filter(|c| c.dst == ip) {
            if let Some(n) = &c.dst_name {
                names.insert(n.to_ascii_lowercase());
            }
            if names.len() > 5 {
                break;
            }
        }
        names.into_iter().take(5).collect()
    };

    let in_scope: BTreeSet<String> = scope.hosts.iter().map(|h| h.to_ascii_uppercase()).collect();
    let mut assessed: Vec<HostAssessment> = Vec::new();
    let mut rare: Vec<RareDestination> = Vec::new();

    let dns_in_window: Vec<_> = net
        .dns
        .iter()
        .filter(|q| window.is_none_or(|w| w.contains(q.time)))
        .cloned()
        .collect();
    let profiles = dns::profile(&dns_in_window, &settings.tunnel);
    let dns_domains = profiles.len();
    let tunnels: Vec<DomainProfile> = profiles.into_iter().filter(|p| p.tunnel).collect();

    let mut all_hosts: BTreeSet<String> = per_host.keys().cloned().collect();
    all_hosts.extend(in_scope.iter().cloned());
    for host in &all_hosts {
        let empty = HostFlows::default();
        let hf = per_host.get(host).unwrap_or(&empty);
        let role = cx.role(host);
        let days = sensor_days.len();
        let daily: Vec<f64> = sensor_days
            .iter()
            .map(|d| hf.baseline_daily.get(d).copied().unwrap_or(0) as f64)
            .collect();
        let role_daily_max = role.as_ref().and_then(|r| role_max.get(r)).copied();
        let floor = settings.floor_bytes as f64;
        let (upper, median, basis) = match (stats::median(&daily), stats::mad(&daily)) {
            (Some(m), Some(spread)) => {
                let scale = spread.max(0.25 * m).max(floor);
                (
                    m + settings.spread * scale,
                    Some(m as u64),
                    format!(
                        "its own {days} baseline day(s): median {}/day",
                        human(m as u64)
                    ),
                )
            }
            _ => match role_daily_max {
                Some(r) if r > 0 => (
                    r as f64 * 1.5 + floor,
                    None,
                    format!(
                        "no baseline of its own; hosts of its role sent at most {}/day",
                        human(r)
                    ),
                ),
                _ => (
                    settings.absolute_daily_bytes as f64,
                    None,
                    format!(
                        "no baseline of its own or of its role: a fixed {}/day",
                        human(settings.absolute_daily_bytes)
                    ),
                ),
            },
        };
        let upper = upper as u64;
        let anomalous_days: Vec<(NaiveDate, u64)> = hf
            .window_daily
            .iter()
            .filter(|(_, b)| **b > upper)
            .map(|(d, b)| (*d, *b))
            .collect();
        let anomalous_set: BTreeSet<NaiveDate> = anomalous_days.iter().map(|(d, _)| *d).collect();

        // Destinations that took the anomalous volume.
        let mut egress = Vec::new();
        for (remote, outs) in &hf.window {
            let bytes: u64 = outs.iter().filter_map(|o| o.bytes).sum();
            let baseline_days = hf.baseline_destinations.get(remote);
            let first_seen_for_host = baseline_days.is_none();
            let baseline_daily_max = baseline_days
                .map(|d| d.values().copied().max().unwrap_or(0))
                .unwrap_or(0);
            let on_anomalous_day = outs
                .iter()
                .any(|o| anomalous_set.contains(&day(o.flow.time)));
            let above_own = bytes > 3 * baseline_daily_max + settings.min_destination_bytes;
            let big = bytes >= settings.min_destination_bytes;
            let first = outs.iter().map(|o| o.flow.time).min().unwrap_or_default();
            let last = outs.iter().map(|o| o.flow.end()).max().unwrap_or_default();
            let first_seen_for_estate = !estate_seen.contains(remote);
            if !(on_anomalous_day && big && (first_seen_for_host || above_own)) {
                // Not part of an anomaly; a first contact may still be worth listing.
                if first_seen_for_estate
                    && bytes >= 10_000_000
                    && hf.baseline_destinations.len() <= 50
                    && baseline.is_some()
                {
                    rare.push(RareDestination {
                        host: host.clone(),
                        destination: *remote,
                        names: names_of(*remote),
                        bytes,
                        first,
                    });
                }
                continue;
            }
            let without = outs.iter().filter(|o| o.bytes.is_none()).count();
            let known: Vec<f64> = outs
                .iter()
                .filter_map(|o| o.bytes)
                .map(|b| b as f64)
                .collect();
            let typical = stats::median(&known).unwrap_or(0.0) as u64;
            let contacted_days: BTreeSet<NaiveDate> =
                outs.iter().map(|o| day(o.flow.time)).collect();
            let normal = baseline_daily_max * contacted_days.len() as u64;
            let volume = Volume {
                estimate: bytes,
                // Transport and TLS framing is a few per cent of the bytes on the wire.
                lower: (bytes.saturating_sub(normal) as f64 * 0.97) as u64,
                upper: bytes + without as u64 * typical,
            };
            let mut ports: Vec<u16> = outs.iter().filter_map(Outbound::remote_port).collect();
            ports.sort_unstable();
            ports.dedup();
            let local: Vec<IpAddr> = cx.addresses_of(host);
            let processes = attribute(hosts, host, &local, *remote, first, last);
            let content = content(net, &local, *remote, first, last);
            let reason = format!(
                "{} to {} in {} connection(s), {}; the host's daily bar is {} ({})",
                human(bytes),
                remote,
                outs.len(),
                if first_seen_for_host {
                    "a destination it never used before the window".to_string()
                } else {
                    format!(
                        "more than 3× its busiest baseline day there ({})",
                        human(baseline_daily_max)
                    )
                },
                human(upper),
                basis
            );
            egress.push(Egress {
                destination: *remote,
                names: names_of(*remote),
                bytes,
                volume,
                flows: outs.len(),
                flows_without_bytes: without,
                first,
                last,
                ports,
                first_seen_for_host,
                first_seen_for_estate,
                baseline_daily_max,
                processes,
                content,
                evidence: outs.iter().take(5).map(|o| o.flow.origin.clone()).collect(),
                reason,
            });
        }
        egress.sort_by_key(|e| std::cmp::Reverse(e.bytes));

        let staging_span = window.map(|w| Window {
            start: w.start - settings.staging_lead,
            end: w.end,
        });
        let mut staging: Vec<Staging> = hosts
            .staging
            .iter()
            .filter(|s| s.host.eq_ignore_ascii_case(host))
            .filter(|s| staging_span.is_none_or(|w| w.contains(s.time)))
            .cloned()
            .collect();
        staging.sort_by(|a, b| a.time.cmp(&b.time).then(a.detail.cmp(&b.detail)));
        // Sysmon 1 and Security 4688 log the same process start.
        staging.dedup_by(|a, b| a.time == b.time && a.kind == b.kind && a.detail == b.detail);

        let beacons = beacons(hf, settings);
        let long_connections: Vec<LongConnection> = hf
            .window
            .iter()
            .filter(|(remote, _)| !hf.baseline_destinations.contains_key(remote))
            .flat_map(|(remote, outs)| {
                outs.iter()
                    .filter(|o| o.initiated)
                    .filter(|o| {
                        o.flow
                            .duration
                            .is_some_and(|d| d >= settings.long_connection_seconds)
                    })
                    .map(|o| LongConnection {
                        destination: *remote,
                        port: o.flow.dst_port,
                        time: o.flow.time,
                        seconds: o.flow.duration.unwrap_or(0.0),
                        bytes_out: o.flow.bytes_out,
                        evidence: o.flow.origin.clone(),
                    })
            })
            .collect();

        let addresses = cx.addresses_of(host);
        let dns_tunnels: Vec<String> = tunnels
            .iter()
            .filter(|t| {
                t.clients
                    .iter()
                    .any(|c| addresses.contains(c) || name_of(*c) == *host)
            })
            .map(|t| t.domain.clone())
            .collect();

        let mut reasons = Vec::new();
        let is_scoped = in_scope.contains(&host.to_ascii_uppercase());
        let coverage = covered.get(host).copied().unwrap_or(0);
        let linked: Vec<&Egress> = egress
            .iter()
            .filter(|e| {
                staging
                    .iter()
                    .any(|s| s.time <= e.last && e.first - s.time <= settings.staging_lead)
            })
            .collect();
        let verdict = if !linked.is_empty() {
            for e in &linked {
                let first_staging = staging.first().map(|s| s.time).unwrap_or(e.first);
                reasons.push(format!(
                    "data packed on the host ({} staging event(s) from {}) and {} sent to {}{} from {} to {}",
                    staging.len(),
                    first_staging.format("%Y-%m-%d %H:%M"),
                    human(e.bytes),
                    e.destination,
                    e.names.first().map(|n| format!(" ({n})")).unwrap_or_default(),
                    e.first.format("%Y-%m-%d %H:%M"),
                    e.last.format("%H:%M UTC")
                ));
            }
            Verdict::Likely
        } else if !egress.is_empty() || !dns_tunnels.is_empty() {
            for e in &egress {
                reasons.push(format!("anomalous egress: {}", e.reason));
            }
            for d in &dns_tunnels {
                reasons.push(format!("DNS tunnelling suspected under {d}"));
            }
            if staging.is_empty() {
                reasons.push("no staging seen on the host (no proof of what was sent)".into());
            }
            Verdict::Suspected
        } else if is_scoped && coverage == 0 {
            reasons.push(if addresses.is_empty() {
                "no address known for the host: flow records cannot be tied to it (an inventory with its addresses, or its own connection events, would)".to_string()
            } else {
                format!(
                    "no flow records for its address(es) {} in the window",
                    addresses
                        .iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
            Verdict::CannotBeAssessed
        } else {
            if is_scoped {
                reasons.push(format!(
                    "{} flow record(s) in the window, {} sent outside, within its baseline",
                    coverage,
                    human(hf.window_bytes)
                ));
            }
            Verdict::NoEvidence
        };
        for ((h, remote), n) in &blocked {
            if h == host {
                notes.push(format!(
                    "{host}: {n} blocked connection(s) to {remote} in the window"
                ));
            }
        }
        if !beacons.is_empty() {
            reasons.push(format!(
                "regular connections (beaconing) to {}",
                beacons
                    .iter()
                    .map(|b| format!("{} every {:.0} s", b.destination, b.period_seconds))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let listed = is_scoped
            || verdict >= Verdict::Suspected
            || !beacons.is_empty()
            || !long_connections.is_empty();
        if !listed {
            continue;
        }
        if verdict < Verdict::Suspected && !staging.is_empty() {
            // Packing without anomalous egress: routine archiving, not listed one by one.
            reasons.push(format!(
                "{} archive event(s) on the host (e.g. {}), not followed by anomalous egress",
                staging.len(),
                staging[0].detail
            ));
            staging.clear();
        }
        let staging_more = staging.len().saturating_sub(10);
        staging.truncate(10);
        assessed.push(HostAssessment {
            host: host.clone(),
            addresses,
            role,
            in_scope: is_scoped,
            verdict,
            reasons,
            window_bytes: hf.window_bytes,
            baseline: Some(Baseline {
                days,
                median_daily: median,
                upper_daily: upper,
                basis,
                role_daily_max,
            }),
            anomalous_days,
            egress,
            staging,
            staging_more,
            beacons,
            long_connections,
            dns_tunnels,
        });
    }
    assessed.sort_by(|a, b| b.verdict.cmp(&a.verdict).then(a.host.cmp(&b.host)));

    // Gaps: what the verdict cannot see.
    if net.flows.is_empty() {
        gaps.push(
            "no flow records (firewall, NetFlow or Zeek conn): outbound volume cannot be measured"
                .into(),
        );
    }
    let uncovered: Vec<&str> = assessed
        .iter()
        .filter(|h| h.verdict == Verdict::CannotBeAssessed)
        .map(|h| h.host.as_str())
        .collect();
    if !uncovered.is_empty() {
        gaps.push(format!(
            "no flow records for {} of {} host(s) in scope: {}",
            uncovered.len(),
            in_scope.len(),
            uncovered.join(", ")
        ));
    }
    if net.dns.is_empty() {
        gaps.push("no DNS logs: DNS tunnelling not assessed".into());
    }
    if net.http.is_empty() && net.files.is_empty() {
        gaps.push("no TLS inspection or file extraction (Zeek http/files): volumes come from byte counts; what was sent cannot be seen".into());
    }
    let unlogged: Vec<&str> = in_scope
        .iter()
        .filter(|h| {
            !hosts
                .connection_logging
                .iter()
                .any(|l| l.eq_ignore_ascii_case(h))
        })
        .map(String::as_str)
        .collect();
    if !unlogged.is_empty() {
        gaps.push(format!(
            "no connection logging (Sysmon 3 / WFP 5156) on {}: connections there cannot be tied to processes",
            unlogged.join(", ")
        ));
    }
    if without_bytes > 0 {
        gaps.push(format!(
            "{without_bytes} flow record(s) in the window without byte counts: counted in the upper bounds only"
        ));
    }
    match (&baseline, sensor_days.len()) {
        (None, _) if !net.flows.is_empty() => gaps.push(
            "no flow records before the window: no host has a baseline; role comparisons and a fixed bar used".into(),
        ),
        (Some(_), n) if n < 3 => gaps.push(format!(
            "only {n} day(s) of flow records before the window: baselines are thin"
        )),
        _ => {}
    }

    let verdict = if net.flows.is_empty() && tunnels.is_empty() {
        Verdict::CannotBeAssessed
    } else {
        assessed
            .iter()
            .map(|h| h.verdict)
            .max()
            .unwrap_or(Verdict::NoEvidence)
    };
    let mut volume: Option<Volume> = None;
    for h in assessed.iter().filter(|h| h.verdict >= Verdict::Suspected) {
        for e in &h.egress {
            volume = Some(volume.map_or(e.volume, |v| v.add(e.volume)));
        }
    }
    for t in tunnels.iter() {
        let chars = t.name_characters;
        let v = Volume {
            estimate: chars * 5 / 8,
            lower: chars / 2,
            upper: chars * 3 / 4,
        };
        volume = Some(volume.map_or(v, |x| x.add(v)));
    }
    let summary = summarise(verdict, &assessed, volume, &uncovered);
    Assessment {
        verdict,
        summary,
        window,
        window_basis,
        baseline,
        estimated_volume: volume,
        hosts: assessed,
        rare_destinations: rare,
        dns_tunnels: tunnels,
        gaps,
        notes,
        inputs: net.inputs.clone(),
        flows: net.flows.len(),
        duplicate_flows,
        dns_queries: net.dns.len(),
        dns_domains,
        unreadable_records: net.issues.len(),
    }
}

/// The processes that connected from `host` to `remote` around the transfer.
fn attribute(
    hosts: &HostEvidence,
    host: &str,
    addresses: &[IpAddr],
    remote: IpAddr,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
) -> Vec<Process> {
    let slack = Duration::minutes(5);
    let mut by: BTreeMap<(String, Option<String>), usize> = BTreeMap::new();
    for c in &hosts.connections {
        let ours =
            c.host.eq_ignore_ascii_case(host) || c.src.is_some_and(|s| addresses.contains(&s));
        if ours && c.dst == remote && c.time >= first - slack && c.time <= last + slack {
            *by.entry((c.image.clone(), c.user.clone())).or_default() += 1;
        }
    }
    let mut processes: Vec<Process> = by
        .into_iter()
        .map(|((image, user), connections)| Process {
            image,
            user,
            connections,
        })
        .collect();
    processes.sort_by_key(|p| std::cmp::Reverse(p.connections));
    processes
}

/// HTTP uploads and files seen going from the host's addresses to `remote`
/// between `first` and `last` (with a few minutes' slack).
fn content(
    net: &NetworkLog,
    local: &[IpAddr],
    remote: IpAddr,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
) -> Vec<String> {
    let slack = Duration::minutes(5);
    let during = |t: DateTime<Utc>| t >= first - slack && t <= last + slack;
    let mut found = Vec::new();
    let uploads: Vec<_> = net
        .http
        .iter()
        .filter(|h| h.server == remote && local.contains(&h.client) && during(h.time))
        .filter(|h| h.request_body_len.unwrap_or(0) > 0)
        .collect();
    if !uploads.is_empty() {
        let bytes: u64 = uploads.iter().filter_map(|h| h.request_body_len).sum();
        let first = uploads[0];
        found.push(format!(
            "{} HTTP request(s) with bodies, {} in all, e.g. {} {}{} ({})",
            uploads.len(),
            human(bytes),
            first.method.as_deref().unwrap_or("?"),
            first.host.as_deref().unwrap_or(""),
            first.uri.as_deref().unwrap_or(""),
            first.origin
        ));
    }
    for f in net
        .files
        .iter()
        .filter(|f| f.receivers.contains(&remote) && f.senders.iter().any(|s| local.contains(s)))
        .filter(|f| during(f.time))
        .take(10)
    {
        found.push(format!(
            "file {} ({}, {}) ({})",
            f.filename.as_deref().unwrap_or("(unnamed)"),
            f.mime_type.as_deref().unwrap_or("type unknown"),
            f.bytes.map(human).unwrap_or_else(|| "size unknown".into()),
            f.origin
        ));
    }
    found
}

/// Regular connections with uniform sizes to destinations new to the host.
fn beacons(hf: &HostFlows, settings: &Settings) -> Vec<Beacon> {
    let mut found = Vec::new();
    for (remote, outs) in &hf.window {
        if hf.baseline_destinations.contains_key(remote) {
            continue;
        }
        let mut by_port: BTreeMap<Option<u16>, Vec<&Outbound>> = BTreeMap::new();
        for o in outs.iter().filter(|o| o.initiated) {
            by_port.entry(o.flow.dst_port).or_default().push(o);
        }
        for (port, mut conns) in by_port {
            if conns.len() < settings.beacon_min_connections {
                continue;
            }
            conns.sort_by_key(|o| o.flow.time);
            let intervals: Vec<f64> = conns
                .windows(2)
                .map(|w| (w[1].flow.time - w[0].flow.time).num_milliseconds() as f64 / 1000.0)
                .collect();
            let Some(period) = stats::median(&intervals).filter(|p| *p >= 5.0) else {
                continue;
            };
            let deviation: Vec<f64> = intervals.iter().map(|i| (i - period).abs()).collect();
            let jitter = stats::median(&deviation).unwrap_or(f64::MAX) / period;
            let sizes: Vec<f64> = conns
                .iter()
                .filter_map(|o| o.flow.bytes_out)
                .map(|b| b as f64)
                .collect();
            let size_variation = stats::coefficient_of_variation(&sizes).unwrap_or(0.0);
            if jitter <= settings.beacon_max_jitter
                && size_variation <= settings.beacon_max_size_variation
            {
                found.push(Beacon {
                    destination: *remote,
                    port,
                    connections: conns.len(),
                    period_seconds: period,
                    jitter,
                    size_variation,
                    first: conns[0].flow.time,
                    last: conns[conns.len() - 1].flow.time,
                });
            }
        }
    }
    found
}

fn summarise(
    verdict: Verdict,
    hosts: &[HostAssessment],
    volume: Option<Volume>,
    uncovered: &[&str],
) -> String {
    let volume_text = volume
        .map(|v| {
            format!(
                "{} (between {} and {})",
                human(v.estimate),
                human(v.lower),
                human(v.upper)
            )
        })
        .unwrap_or_default();
    let mut text = match verdict {
        Verdict::Likely | Verdict::Suspected => {
            let lines: Vec<String> = hosts
                .iter()
                .filter(|h| h.verdict == verdict)
                .map(|h| {
                    let to: Vec<String> = h
                        .egress
                        .iter()
                        .map(|e| {
                            format!(
                                "{} to {}{}",
                                human(e.bytes),
                                e.destination,
                                e.names
                                    .first()
                                    .map(|n| format!(" ({n})"))
                                    .unwrap_or_default()
                            )
                        })
                        .chain(
                            h.dns_tunnels
                                .iter()
                                .map(|d| format!("DNS tunnel under {d}")),
                        )
                        .collect();
                    format!("{} {}", h.host, to.join(", "))
                })
                .collect();
            format!(
                "Exfiltration {}: {}; estimated {}.",
                verdict.as_str(),
                lines.join("; "),
                volume_text
            )
        }
        Verdict::CannotBeAssessed => {
            "Exfiltration cannot be assessed: the logs needed to see it are missing.".into()
        }
        Verdict::NoEvidence => {
            "No evidence of exfiltration in the flow records of the hosts assessed.".into()
        }
    };
    if !uncovered.is_empty() && verdict != Verdict::CannotBeAssessed {
        text.push_str(&format!(
            " Cannot be assessed for {} (no flow records).",
            uncovered.join(", ")
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;

    use super::*;
    use crate::host::StagingKind;
    use crate::record::DnsQuery;

    fn at(day: u32, hour: u32, second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
            + Duration::seconds(i64::from(second))
    }

    fn flow(time: DateTime<Utc>, src: &str, dst: &str, bytes_out: u64, line: u64) -> Flow {
        Flow {
            time,
            src: src.parse().unwrap(),
            src_port: Some(40000 + (line % 20000) as u16),
            dst: dst.parse().unwrap(),
            dst_port: Some(443),
            proto: Some("tcp".into()),
            service: None,
            bytes_out: Some(bytes_out),
            bytes_in: Some(1000),
            packets_out: None,
            packets_in: None,
            duration: Some(10.0),
            action: Action::Unknown,
            origin: Origin {
                file: Arc::from("flows.csv"),
                line,
            },
        }
    }

    /// Seven quiet days for a file server (10.0.0.5) and a backup server
    /// (10.0.0.9, 20 GB offsite every night), then the window on day 8.
    fn estate() -> NetworkLog {
        let mut log = NetworkLog::default();
        let mut line = 0;
        for day in 1..=8 {
            for hour in [9, 13, 17] {
                line += 1;
                log.flows.push(flow(
                    at(day, hour, 0),
                    "10.0.0.5",
                    "13.107.4.50",
                    2_000_000,
                    line,
                ));
            }
            for chunk in 0..10 {
                line += 1;
                log.flows.push(flow(
                    at(day, 3, chunk * 300),
                    "10.0.0.9",
                    "185.48.80.20",
                    2_000_000_000,
                    line,
                ));
            }
        }
        log
    }

    fn window() -> Scope {
        Scope {
            window: Some(Window {
                start: at(8, 0, 0),
                end: at(8, 23, 0),
            }),
            hosts: vec!["10.0.0.5".into(), "10.0.0.9".into()],
            basis: "test".into(),
        }
    }

    fn host<'a>(a: &'a Assessment, name: &str) -> &'a HostAssessment {
        a.hosts.iter().find(|h| h.host == name).unwrap()
    }

    #[test]
    fn a_quiet_window_is_no_evidence_and_the_nightly_backup_is_normal() {
        let a = assess(
            &estate(),
            &HostEvidence::new(),
            None,
            &window(),
            &Settings::default(),
        );
        assert_eq!(a.verdict, Verdict::NoEvidence, "{}", a.summary);
        assert_eq!(host(&a, "10.0.0.9").verdict, Verdict::NoEvidence);
        assert_eq!(host(&a, "10.0.0.9").baseline.as_ref().unwrap().days, 7);
    }

    #[test]
    fn a_burst_to_a_new_destination_is_suspected_and_with_staging_likely() {
        let mut net = estate();
        for i in 0..12 {
            net.flows.push(flow(
                at(8, 14, i * 600),
                "10.0.0.5",
                "198.51.100.7",
                400_000_000,
                1000 + u64::from(i),
            ));
        }
        let a = assess(
            &net,
            &HostEvidence::new(),
            None,
            &window(),
            &Settings::default(),
        );
        assert_eq!(a.verdict, Verdict::Suspected, "{}", a.summary);
        let fs = host(&a, "10.0.0.5");
        assert_eq!(fs.egress.len(), 1);
        assert_eq!(fs.egress[0].bytes, 4_800_000_000);
        assert!(fs.egress[0].first_seen_for_host && fs.egress[0].first_seen_for_estate);
        assert_eq!(host(&a, "10.0.0.9").verdict, Verdict::NoEvidence);

        let mut hosts = HostEvidence::new();
        hosts.staging.push(Staging {
            time: at(8, 13, 0),
            host: "10.0.0.5".into(),
            kind: StagingKind::ArchiveWritten,
            image: "C:\\x\\7za.exe".into(),
            detail: "C:\\x\\p.7z.001".into(),
            user: None,
            source: "FS.evtx record 9".into(),
        });
        let a = assess(&net, &hosts, None, &window(), &Settings::default());
        assert_eq!(a.verdict, Verdict::Likely, "{}", a.summary);
        assert_eq!(a.estimated_volume.unwrap().estimate, 4_800_000_000);

        // Staging after the transfer does not explain it.
        hosts.staging[0].time = at(8, 22, 0);
        let a = assess(&net, &hosts, None, &window(), &Settings::default());
        assert_eq!(a.verdict, Verdict::Suspected);
    }

    #[test]
    fn the_same_connection_from_two_sensors_counts_once() {
        let mut net = estate();
        let original = net.flows.len();
        let copies: Vec<Flow> = net
            .flows
            .iter()
            .map(|f| Flow {
                time: f.time + Duration::milliseconds(400),
                ..f.clone()
            })
            .collect();
        net.flows.extend(copies);
        let (kept, dropped) = deduplicate(&net.flows);
        assert_eq!((kept.len(), dropped), (original, original));
    }

    #[test]
    fn a_regular_small_connection_is_a_beacon() {
        let mut net = estate();
        for i in 0..40 {
            net.flows.push(flow(
                at(8, 1, i * 60 + (i % 3)),
                "10.0.0.5",
                "203.0.113.20",
                1500,
                2000 + u64::from(i),
            ));
        }
        let a = assess(
            &net,
            &HostEvidence::new(),
            None,
            &window(),
            &Settings::default(),
        );
        let fs = host(&a, "10.0.0.5");
        assert_eq!(fs.beacons.len(), 1);
        assert!((fs.beacons[0].period_seconds - 60.0).abs() <= 2.0);
        assert_eq!(
            fs.verdict,
            Verdict::NoEvidence,
            "a beacon alone is not exfiltration"
        );
    }

    #[test]
    fn a_host_in_scope_without_flow_records_cannot_be_assessed() {
        let mut scope = window();
        scope.hosts.push("10.0.0.77".into());
        let a = assess(
            &estate(),
            &HostEvidence::new(),
            None,
            &scope,
            &Settings::default(),
        );
        assert_eq!(a.verdict, Verdict::CannotBeAssessed);
        assert_eq!(host(&a, "10.0.0.77").verdict, Verdict::CannotBeAssessed);
        assert!(
            a.gaps.iter().any(|g| g.contains("10.0.0.77")),
            "{:?}",
            a.gaps
        );
    }

    #[test]
    fn a_dns_tunnel_makes_its_client_suspected() {
        let mut net = estate();
        for i in 0..60u32 {
            net.dns.push(DnsQuery {
                time: at(8, 2, i),
                client: "10.0.0.5".parse().unwrap(),
                query: format!(
                    "{:032x}{:x}.t.tunnel-example.net",
                    u128::from(i).wrapping_mul(0x9e3779b97f4a7c15f39cc0605cedc835),
                    i
                )
                .into(),
                qtype: Some("TXT".into()),
                answers: vec![],
                origin: Origin {
                    file: Arc::from("dns.log"),
                    line: u64::from(i),
                },
            });
        }
        let a = assess(
            &net,
            &HostEvidence::new(),
            None,
            &window(),
            &Settings::default(),
        );
        assert_eq!(a.verdict, Verdict::Suspected, "{}", a.summary);
        assert_eq!(host(&a, "10.0.0.5").dns_tunnels, ["tunnel-example.net"]);
    }
}

#[cfg(test)]
mod content_tests {
    use std::sync::Arc;

    use super::*;
    use crate::record::{FileTransfer, HttpRequest};

    #[test]
    fn uploads_and_files_to_the_destination_are_listed() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let origin = Origin {
            file: Arc::from("http.log"),
            line: 3,
        };
        let (me, them) = ("10.0.0.5".parse().unwrap(), "198.51.100.7".parse().unwrap());
        let mut net = NetworkLog::default();
        net.http.push(HttpRequest {
            time: t,
            client: me,
            server: them,
            method: Some("PUT".into()),
            host: Some("drop.example".into()),
            uri: Some("/u/p.7z.001".into()),
            request_body_len: Some(1_000_000_000),
            origin: origin.clone(),
        });
        net.files.push(FileTransfer {
            time: t,
            senders: vec![me],
            receivers: vec![them],
            bytes: Some(1_000_000_000),
            mime_type: Some("application/x-7z-compressed".into()),
            filename: Some("p.7z.001".into()),
            origin,
        });
        let found = content(&net, &[me], them, t, t);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with(
            "1 HTTP request(s) with bodies, 1.00 GB in all, e.g. PUT drop.example/u/p.7z.001"
        ));
        assert!(found[1].contains("p.7z.001 (application/x-7z-compressed, 1.00 GB)"));
        assert!(content(&net, &[me], "203.0.113.1".parse().unwrap(), t, t).is_empty());
    }
}
