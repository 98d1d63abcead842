//! The containment plan: per host in scope isolate, restrict or watch; the
//! accounts to disable, reset or rotate; the outside destinations to block;
//! what it all costs the business, against the naive plan; and the order
//! to do it in.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use vigil_exfil::Assessment;
use vigil_incident::{Incident, Inventory};

use crate::accounts::{self, AccountAction, AccountToDisable, DomainStep};
use crate::impact::{Estate, Impact};
use crate::network::{self, Block};
use crate::order::{self, Step};

/// What a plan is made from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    pub incidents: &'a [Incident],
    pub assessment: Option<&'a Assessment>,
    pub inventory: Option<&'a Inventory>,
    /// Accounts the attacker created or changed.
    pub account_changes: &'a [AccountToDisable],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Cut off from the network (a workstation, or a server nothing needs).
    Isolate,
    /// Keep only the service traffic its dependants need; cut remote
    /// administration and the internet.
    Restrict,
    /// Touched, no attacker activity on it: keep it under watch.
    Watch,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Isolate => "isolate",
            Action::Restrict => "restrict",
            Action::Watch => "watch",
        }
    }
}

/// What a restricted server keeps and loses.
#[derive(Debug, Clone, Serialize)]
pub struct Restriction {
    /// The hosts that need it, and may still reach it.
    pub allow_from: Vec<String>,
    /// Their addresses, for the firewall rule.
    pub allow_addresses: Vec<String>,
    /// The services they reach it for.
    pub services: Vec<String>,
    /// What is cut.
    pub cut: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HostAction {
    pub host: String,
    pub action: Action,
    pub role: Option<String>,
    pub first_evidence: DateTime<Utc>,
    pub last_evidence: DateTime<Utc>,
    pub why: String,
    /// Detections on the host and the hops into it, in words (a few).
    pub evidence: Vec<String>,
    pub incidents: Vec<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restriction: Option<Restriction>,
    /// Services this action alone takes down.
    pub takes_down: Vec<String>,
    /// Services this action alone degrades.
    pub degrades: Vec<String>,
}

/// Another way to contain, for comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Alternative {
    pub name: String,
    pub isolated: Vec<String>,
    pub impact: Impact,
    /// Services this alternative takes down that the plan keeps working.
    pub saved: Vec<String>,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContainmentPlan {
    pub summary: String,
    pub hosts: Vec<HostAction>,
    pub accounts: Vec<AccountAction>,
    pub domain_wide: Vec<DomainStep>,
    pub network: Vec<Block>,
    /// The plan's cost, when an inventory says what hosts are for.
    pub impact: Option<Impact>,
    /// The naive plans, and what the plan saves against each.
    pub alternatives: Vec<Alternative>,
    pub order: Vec<Step>,
    /// What the plan cannot see.
    pub limits: Vec<String>,
}

/// Cut off from the host of a restricted server, whoever asks.
const CUT: &[&str] = &[
    "SMB (TCP 445, 139) except what its dependants need",
    "RDP (TCP 3389)",
    "WinRM (TCP 5985, 5986)",
    "RPC (TCP 135 and the dynamic RPC ports) except what its dependants need",
    "the internet, both ways",
];

/// Evidence lines listed per host.
const EVIDENCE_PER_HOST: usize = 6;

/// A host in scope, gathered over all incidents.
struct Scoped {
    role: Option<String>,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    detections: Vec<String>,
    reached_by: Vec<String>,
    origin: Vec<String>,
    /// Whether a hop into it showed remote administration (a service, a
    /// task, WinRM, RDP, explicit credentials) rather than a bare logon.
    strongly_reached: bool,
    incidents: Vec<usize>,
}

impl Scoped {
    /// Attacker activity on the host itself: a detection, or remote
    /// administration into it. A bare network logon from a compromised host
    /// only touches it.
    fn acted_on(&self) -> bool {
        !self.detections.is_empty() || self.strongly_reached
    }
}

pub fn plan(inputs: &Inputs) -> ContainmentPlan {
    let estate = inputs.inventory.map(Estate::new);
    let scope = gather(inputs.incidents);
    let compromised: BTreeSet<&str> = scope
        .iter()
        .filter(|(_, s)| s.acted_on())
        .map(|(h, _)| h.as_str())
        .collect();
    let workstation = |host: &str, s: &Scoped| {
        estate.as_ref().is_some_and(|e| e.is_workstation(host))
            || s.role
                .as_deref()
                .is_some_and(|r| r.to_ascii_lowercase().contains("workstation"))
    };
    // Workstations are cut off whatever else happens; a server is restricted
    // when a host that stays up needs it.
    let isolated_workstations: BTreeSet<&str> = scope
        .iter()
        .filter(|(h, s)| compromised.contains(h.as_str()) && workstation(h, s))
        .map(|(h, _)| h.as_str())
        .collect();
    let mut hosts = Vec::new();
    for (host, s) in &scope {
        let mut evidence: Vec<String> = s
            .detections
            .iter()
            .map(|d| format!("detection: {d}"))
            .collect();
        evidence.extend(s.reached_by.iter().map(|r| format!("reached: {r}")));
        evidence.extend(s.origin.iter().map(|o| format!("source of: {o}")));
        evidence.truncate(EVIDENCE_PER_HOST);
        let (action, why, restriction) = if !compromised.contains(host.as_str()) {
            (Action::Watch, watch_reason(host, estate.as_ref()), None)
        } else if isolated_workstations.contains(host.as_str()) {
            (
                Action::Isolate,
                "a workstation with attacker activity: nothing needs it, cut it off".to_string(),
                None,
            )
        } else {
            server_action(host, s, estate.as_ref(), &isolated_workstations)
        };
        let (takes_down, degrades) = match (&estate, action) {
            (Some(e), Action::Isolate) => names_of(&e.impact([host.as_str()], [])),
            (Some(e), Action::Restrict) => names_of(&e.impact([], [host.as_str()])),
            _ => (Vec::new(), Vec::new()),
        };
        hosts.push(HostAction {
            host: host.clone(),
            action,
            role: s.role.clone(),
            first_evidence: s.first,
            last_evidence: s.last,
            why,
            evidence,
            incidents: s.incidents.clone(),
            restriction,
            takes_down,
            degrades,
        });
    }
    hosts.sort_by_key(|h| (h.action, h.first_evidence));

    let accounts = accounts::account_actions(inputs.incidents, inputs.account_changes);
    let domain_wide = accounts::domain_steps(inputs.incidents);
    let network = inputs.assessment.map(network::blocks).unwrap_or_default();
    let impact = estate.as_ref().map(|e| {
        e.impact(
            hosts
                .iter()
                .filter(|h| h.action == Action::Isolate)
                .map(|h| h.host.as_str()),
            hosts
                .iter()
                .filter(|h| h.action == Action::Restrict)
                .map(|h| h.host.as_str()),
        )
    });
    let alternatives = match (&estate, &impact) {
        (Some(e), Some(i)) => alternatives(e, &scope, i),
        _ => Vec::new(),
    };
    let order = order::steps(&hosts, &accounts, &domain_wide, &network);
    let mut limits = Vec::new();
    if estate.is_none() {
        limits.push("no inventory: which hosts need which, and the business services each carries, are unknown — servers are isolated rather than restricted, and the impact is not computed; give --inventory".into());
    }
    if let Some(e) = &estate {
        let unknown: Vec<&str> = hosts
            .iter()
            .filter(|h| !e.knows(&h.host))
            // A bare address is not expected in an inventory of names.
            .filter(|h| h.host.parse::<std::net::IpAddr>().is_err())
            .map(|h| h.host.as_str())
            .collect();
        if !unknown.is_empty() {
            limits.push(format!(
                "not in the inventory: {} — what they carry and who needs them is unknown",
                unknown.join(", ")
            ));
        }
    }
    if inputs.assessment.is_none() {
        limits.push(
            "no exfiltration assessment: outside destinations to block are not listed".into(),
        );
    }
    let summary = summarise(&hosts, &accounts, &network, impact.as_ref(), &alternatives);
    ContainmentPlan {
        summary,
        hosts,
        accounts,
        domain_wide,
        network,
        impact,
        alternatives,
        order,
        limits,
    }
}

/// Every host of every incident, merged by name.
fn gather(incidents: &[Incident]) -> BTreeMap<String, Scoped> {
    let mut scope: BTreeMap<String, Scoped> = BTreeMap::new();
    for incident in incidents {
        for h in &incident.hosts {
            let s = scope.entry(h.host.clone()).or_insert_with(|| Scoped {
                role: h.role.clone(),
                first: h.first_evidence,
                last: h.last_evidence,
                detections: Vec::new(),
                reached_by: Vec::new(),
                origin: Vec::new(),
                strongly_reached: false,
                incidents: Vec::new(),
            });
            s.first = s.first.min(h.first_evidence);
            s.last = s.last.max(h.last_evidence);
            extend_unique(&mut s.detections, &h.detections);
            extend_unique(&mut s.reached_by, &h.reached_by);
            extend_unique(&mut s.origin, h.origin.as_slice());
            s.strongly_reached |= incident
                .lateral_movement
                .iter()
                .any(|e| e.to == h.host && e.strong);
            if !s.incidents.contains(&incident.id) {
                s.incidents.push(incident.id);
            }
        }
    }
    scope
}

fn extend_unique(into: &mut Vec<String>, from: &[String]) {
    for item in from {
        if !into.contains(item) {
            into.push(item.clone());
        }
    }
}

fn watch_reason(host: &str, estate: Option<&Estate>) -> String {
    let address = host.parse::<std::net::IpAddr>().is_ok();
    if address && !estate.is_some_and(|e| e.knows(host)) {
        format!("only seen as the source address {host} of a hop, with no attacker activity on it: find the machine behind the address; block it at the VPN or firewall if it is not one of yours")
    } else {
        "touched (the source of a hop, or an ordinary network logon into it), no attacker activity on it: watch its logons and connections".into()
    }
}

fn server_action(
    host: &str,
    s: &Scoped,
    estate: Option<&Estate>,
    isolated: &BTreeSet<&str>,
) -> (Action, String, Option<Restriction>) {
    let Some(estate) = estate else {
        return (
            Action::Isolate,
            "attacker activity on it; with no inventory, what needs it is unknown: check before cutting it off".into(),
            None,
        );
    };
    let dependants: Vec<&str> = estate
        .dependants_of(host)
        .filter(|d| !isolated.contains(d))
        .collect();
    if dependants.is_empty() {
        return (
            Action::Isolate,
            if estate.knows(host) {
                "attacker activity on it, and no host of the inventory needs it: cut it off".into()
            } else {
                "attacker activity on it; not in the inventory, so nothing is known to need it: cut it off".into()
            },
            None,
        );
    }
    let services = estate.services_of(host).to_vec();
    let note = s
        .role
        .as_deref()
        .or(estate.role(host))
        .filter(|r| r.contains("domain_controller"))
        .map(|_| {
            "a domain controller: its dependants need Kerberos (88), LDAP (389, 636), DNS (53) and, for logons and group policy, SMB and RPC to it — allow those from the estate's hosts only, and cut them from the VPN pool and any host in scope".to_string()
        });
    let mut allow_addresses = Vec::new();
    for d in &dependants {
        allow_addresses.extend(estate.addresses_of(d).iter().cloned());
    }
    (
        Action::Restrict,
        format!(
            "attacker activity on it, but {} need{} it ({}): keep their service traffic, cut remote administration and the internet",
            dependants.join(", "),
            if dependants.len() == 1 { "s" } else { "" },
            if services.is_empty() {
                "services not named in the inventory".to_string()
            } else {
                services.join(", ")
            }
        ),
        Some(Restriction {
            allow_from: dependants.iter().map(|d| d.to_string()).collect(),
            allow_addresses,
            services,
            cut: CUT.iter().map(|c| c.to_string()).collect(),
            note,
        }),
    )
}

fn names_of(impact: &Impact) -> (Vec<String>, Vec<String>) {
    (
        impact.down.iter().map(|s| s.service.clone()).collect(),
        impact.degraded.iter().map(|s| s.service.clone()).collect(),
    )
}

/// The naive plans: every host with a detection isolated, and every host
/// of the network segments (/24) those are in.
fn alternatives(
    estate: &Estate,
    scope: &BTreeMap<String, Scoped>,
    plan: &Impact,
) -> Vec<Alternative> {
    let detected: BTreeSet<&str> = scope
        .iter()
        .filter(|(_, s)| !s.detections.is_empty())
        .map(|(h, _)| h.as_str())
        .collect();
    let segments: BTreeSet<String> = detected
        .iter()
        .flat_map(|h| estate.addresses_of(h))
        .filter_map(|a| segment(a))
        .collect();
    let in_segments: BTreeSet<&str> = estate
        .hosts()
        .filter(|h| {
            estate
                .addresses_of(h)
                .iter()
                .filter_map(|a| segment(a))
                .any(|s| segments.contains(&s))
        })
        .chain(detected.iter().copied())
        .collect();
    let mut out = vec![compare(
        "isolate every host with a detection",
        estate,
        &detected,
        plan,
    )];
    if !segments.is_empty() && in_segments != detected {
        out.push(compare(
            &format!(
                "isolate every host of the affected network segments ({})",
                segments.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
            estate,
            &in_segments,
            plan,
        ));
    }
    out
}

/// An IPv4 address's /24.
fn segment(address: &str) -> Option<String> {
    let ip: std::net::Ipv4Addr = address.parse().ok()?;
    let [a, b, c, _] = ip.octets();
    Some(format!("{a}.{b}.{c}.0/24"))
}

fn compare(name: &str, estate: &Estate, isolated: &BTreeSet<&str>, plan: &Impact) -> Alternative {
    let impact = estate.impact(isolated.iter().copied(), []);
    let plan_down: BTreeSet<&str> = plan.down_names().into_iter().collect();
    let saved: Vec<String> = impact
        .down
        .iter()
        .filter(|s| !plan_down.contains(s.service.as_str()))
        .map(|s| s.service.clone())
        .collect();
    let summary = format!(
        "{name}: {} host(s) cut off, {} unable to work; down: {}{}",
        isolated.len(),
        impact.unavailable.len(),
        list_or_none(&impact.down_names()),
        if saved.is_empty() {
            " — the plan takes down as much".to_string()
        } else {
            format!(" — the plan keeps {} running", in_words(&saved))
        }
    );
    Alternative {
        name: name.to_string(),
        isolated: isolated.iter().map(|h| h.to_string()).collect(),
        impact,
        saved,
        summary,
    }
}

/// `a, b and c`.
fn in_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "nothing".into()
    } else {
        items.join(", ")
    }
}

fn summarise(
    hosts: &[HostAction],
    accounts: &[AccountAction],
    network: &[Block],
    impact: Option<&Impact>,
    alternatives: &[Alternative],
) -> String {
    let count = |a: Action| hosts.iter().filter(|h| h.action == a).count();
    let steps = |s: accounts::AccountStep, machine: bool| {
        accounts
            .iter()
            .filter(|a| a.action == s && a.machine_account == machine)
            .count()
    };
    let mut text = format!(
        "Isolate {} host(s), restrict {}, watch {}; disable {} account(s), reset {}, rotate {} (and {} computer account(s) when their hosts are rebuilt); block {} outside destination(s).",
        count(Action::Isolate),
        count(Action::Restrict),
        count(Action::Watch),
        steps(accounts::AccountStep::Disable, false),
        steps(accounts::AccountStep::Reset, false),
        steps(accounts::AccountStep::Rotate, false),
        steps(accounts::AccountStep::Rotate, true),
        network.len()
    );
    if let Some(i) = impact {
        text.push_str(&format!(
            " Down: {}. Degraded: {}. Stays up: {}.",
            list_or_none(&i.down_names()),
            list_or_none(&i.degraded_names()),
            list_or_none(&i.up.iter().map(String::as_str).collect::<Vec<_>>())
        ));
    }
    for a in alternatives.iter().filter(|a| !a.saved.is_empty()) {
        text.push_str(&format!(
            " Against \"{}\", {} stay{} up.",
            a.name,
            in_words(&a.saved),
            if a.saved.len() == 1 { "s" } else { "" }
        ));
    }
    text
}
