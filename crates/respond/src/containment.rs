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
use crate::lang::Lang;
use crate::network::{self, Block};
use crate::order::{self, Step};
use crate::sentences::Sentence;

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
    /// `cut` and `note`, as each language words them.
    #[serde(skip)]
    pub cut_sentences: Vec<Sentence>,
    #[serde(skip)]
    pub note_sentence: Option<Sentence>,
}

impl Restriction {
    /// What is cut, in `lang`.
    pub fn cut_in(&self, lang: Lang) -> Vec<String> {
        crate::sentences::all_words(&self.cut_sentences, lang)
    }

    /// The note, in `lang`.
    pub fn note_in(&self, lang: Lang) -> Option<String> {
        self.note_sentence.as_ref().map(|n| n.words(lang))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct HostAction {
    pub host: String,
    pub action: Action,
    pub role: Option<String>,
    pub first_evidence: DateTime<Utc>,
    pub last_evidence: DateTime<Utc>,
    pub why: String,
    /// `why`, as each language words it.
    #[serde(skip)]
    pub reason: Sentence,
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
    /// The affected network segments, when the alternative isolates them.
    #[serde(skip)]
    pub segments: Option<Vec<String>>,
}

impl Alternative {
    /// What the alternative does, in `lang`.
    pub fn name_in(&self, lang: Lang) -> String {
        match (&self.segments, lang) {
            (None, Lang::En) => "isolate every host with a detection".into(),
            (None, Lang::De) => "jeden Host mit einer Erkennung isolieren".into(),
            (Some(s), Lang::En) => format!(
                "isolate every host of the affected network segments ({})",
                s.join(", ")
            ),
            (Some(s), Lang::De) => format!(
                "jeden Host der betroffenen Netzsegmente isolieren ({})",
                s.join(", ")
            ),
        }
    }

    /// What it costs against the plan, in `lang`.
    pub fn summary_in(&self, lang: Lang) -> String {
        let down = list_or_none(&self.impact.down_names(), lang);
        let name = self.name_in(lang);
        let (cut, unavailable) = (self.isolated.len(), self.impact.unavailable.len());
        match lang {
            Lang::En => format!(
                "{name}: {cut} host(s) cut off, {unavailable} unable to work; down: {down}{}",
                if self.saved.is_empty() {
                    " — the plan takes down as much".to_string()
                } else {
                    format!(" — the plan keeps {} running", in_words(&self.saved, lang))
                }
            ),
            Lang::De => format!(
                "{name}: {cut} Host(s) getrennt, {unavailable} arbeitsunfähig; ausgefallen: {down}{}",
                if self.saved.is_empty() {
                    " — der Plan legt ebenso viel still".to_string()
                } else {
                    format!(" — der Plan hält {} in Betrieb", in_words(&self.saved, lang))
                }
            ),
        }
    }
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
    /// `limits`, as each language words them.
    #[serde(skip)]
    pub limit_sentences: Vec<Sentence>,
}

impl ContainmentPlan {
    /// The plan in a paragraph, in `lang`.
    pub fn summary_in(&self, lang: Lang) -> String {
        summarise(
            &self.hosts,
            &self.accounts,
            &self.network,
            self.impact.as_ref(),
            &self.alternatives,
            lang,
        )
    }

    /// What the plan cannot see, in `lang`.
    pub fn limits_in(&self, lang: Lang) -> Vec<String> {
        crate::sentences::all_words(&self.limit_sentences, lang)
    }
}

/// Cut off from the host of a restricted server, whoever asks.
const CUT: [Sentence; 5] = [
    Sentence::CutSmb,
    Sentence::CutRdp,
    Sentence::CutWinrm,
    Sentence::CutRpc,
    Sentence::CutInternet,
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
        let (action, reason, restriction) = if !compromised.contains(host.as_str()) {
            (Action::Watch, watch_reason(host, estate.as_ref()), None)
        } else if isolated_workstations.contains(host.as_str()) {
            (Action::Isolate, Sentence::IsolateWorkstation, None)
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
            why: reason.english(),
            reason,
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
    let mut limit_sentences = Vec::new();
    if estate.is_none() {
        limit_sentences.push(Sentence::NoInventory);
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
            limit_sentences.push(Sentence::NotInInventory(
                unknown.iter().map(|h| h.to_string()).collect(),
            ));
        }
    }
    if inputs.assessment.is_none() {
        limit_sentences.push(Sentence::NoAssessment);
    }
    let summary = summarise(
        &hosts,
        &accounts,
        &network,
        impact.as_ref(),
        &alternatives,
        Lang::En,
    );
    ContainmentPlan {
        summary,
        hosts,
        accounts,
        domain_wide,
        network,
        impact,
        alternatives,
        order,
        limits: crate::sentences::all_words(&limit_sentences, Lang::En),
        limit_sentences,
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

fn watch_reason(host: &str, estate: Option<&Estate>) -> Sentence {
    let address = host.parse::<std::net::IpAddr>().is_ok();
    if address && !estate.is_some_and(|e| e.knows(host)) {
        Sentence::WatchAddress(host.to_string())
    } else {
        Sentence::WatchTouched
    }
}

fn server_action(
    host: &str,
    s: &Scoped,
    estate: Option<&Estate>,
    isolated: &BTreeSet<&str>,
) -> (Action, Sentence, Option<Restriction>) {
    let Some(estate) = estate else {
        return (Action::Isolate, Sentence::IsolateWithoutInventory, None);
    };
    let dependants: Vec<&str> = estate
        .dependants_of(host)
        .filter(|d| !isolated.contains(d))
        .collect();
    if dependants.is_empty() {
        return (
            Action::Isolate,
            if estate.knows(host) {
                Sentence::IsolateNothingNeedsIt
            } else {
                Sentence::IsolateNotInInventory
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
        .map(|_| Sentence::DomainControllerNote);
    let mut allow_addresses = Vec::new();
    for d in &dependants {
        allow_addresses.extend(estate.addresses_of(d).iter().cloned());
    }
    (
        Action::Restrict,
        Sentence::Restrict {
            dependants: dependants.iter().map(|d| d.to_string()).collect(),
            services: services.clone(),
        },
        Some(Restriction {
            allow_from: dependants.iter().map(|d| d.to_string()).collect(),
            allow_addresses,
            services,
            cut: CUT.iter().map(Sentence::english).collect(),
            note: note.as_ref().map(Sentence::english),
            cut_sentences: CUT.to_vec(),
            note_sentence: note,
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
    let mut out = vec![compare(None, estate, &detected, plan)];
    if !segments.is_empty() && in_segments != detected {
        out.push(compare(
            Some(segments.iter().cloned().collect()),
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

fn compare(
    segments: Option<Vec<String>>,
    estate: &Estate,
    isolated: &BTreeSet<&str>,
    plan: &Impact,
) -> Alternative {
    let impact = estate.impact(isolated.iter().copied(), []);
    let plan_down: BTreeSet<&str> = plan.down_names().into_iter().collect();
    let saved: Vec<String> = impact
        .down
        .iter()
        .filter(|s| !plan_down.contains(s.service.as_str()))
        .map(|s| s.service.clone())
        .collect();
    let mut alternative = Alternative {
        name: String::new(),
        isolated: isolated.iter().map(|h| h.to_string()).collect(),
        impact,
        saved,
        summary: String::new(),
        segments,
    };
    alternative.name = alternative.name_in(Lang::En);
    alternative.summary = alternative.summary_in(Lang::En);
    alternative
}

/// `a, b and c` / `a, b und c`.
fn in_words(items: &[String], lang: Lang) -> String {
    let and = if lang == Lang::De { "und" } else { "and" };
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} {and} {last}", rest.join(", ")),
    }
}

fn list_or_none(items: &[&str], lang: Lang) -> String {
    match (items.is_empty(), lang) {
        (true, Lang::En) => "nothing".into(),
        (true, Lang::De) => "nichts".into(),
        (false, _) => items.join(", "),
    }
}

fn summarise(
    hosts: &[HostAction],
    accounts: &[AccountAction],
    network: &[Block],
    impact: Option<&Impact>,
    alternatives: &[Alternative],
    lang: Lang,
) -> String {
    let count = |a: Action| hosts.iter().filter(|h| h.action == a).count();
    let steps = |s: accounts::AccountStep, machine: bool| {
        accounts
            .iter()
            .filter(|a| a.action == s && a.machine_account == machine)
            .count()
    };
    let (isolate, restrict, watch) = (
        count(Action::Isolate),
        count(Action::Restrict),
        count(Action::Watch),
    );
    let (disable, reset, rotate, machines) = (
        steps(accounts::AccountStep::Disable, false),
        steps(accounts::AccountStep::Reset, false),
        steps(accounts::AccountStep::Rotate, false),
        steps(accounts::AccountStep::Rotate, true),
    );
    let blocks = network.len();
    let mut text = match lang {
        Lang::En => format!(
            "Isolate {isolate} host(s), restrict {restrict}, watch {watch}; disable {disable} account(s), reset {reset}, rotate {rotate} (and {machines} computer account(s) when their hosts are rebuilt); block {blocks} outside destination(s)."
        ),
        Lang::De => format!(
            "{isolate} Host(s) isolieren, {restrict} einschränken, {watch} beobachten; {disable} Konto/Konten sperren, {reset} zurücksetzen, {rotate} wechseln (und {machines} Computerkonto/-konten beim Neuaufsetzen ihrer Hosts); {blocks} externe(s) Ziel(e) sperren."
        ),
    };
    if let Some(i) = impact {
        let up: Vec<&str> = i.up.iter().map(String::as_str).collect();
        let (down, degraded, up) = (
            list_or_none(&i.down_names(), lang),
            list_or_none(&i.degraded_names(), lang),
            list_or_none(&up, lang),
        );
        text.push_str(&match lang {
            Lang::En => format!(" Down: {down}. Degraded: {degraded}. Stays up: {up}."),
            Lang::De => {
                format!(" Ausgefallen: {down}. Eingeschränkt: {degraded}. Bleibt in Betrieb: {up}.")
            }
        });
    }
    for a in alternatives.iter().filter(|a| !a.saved.is_empty()) {
        let (name, saved) = (a.name_in(lang), in_words(&a.saved, lang));
        text.push_str(&match lang {
            Lang::En => format!(
                " Against \"{name}\", {saved} stay{} up.",
                if a.saved.len() == 1 { "s" } else { "" }
            ),
            Lang::De => format!(
                " Gegenüber „{name}“ {} {saved} in Betrieb.",
                if a.saved.len() == 1 {
                    "bleibt"
                } else {
                    "bleiben"
                }
            ),
        });
    }
    text
}
