//! What containment costs the business: which hosts stop working when
//! others are cut off (through the inventory's `depends_on`), and which
//! business services that takes down, degrades or leaves up.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Serialize;
use vigil_incident::{names, Inventory};

use crate::lang::Lang;

/// The estate as a dependency graph, from the inventory.
#[derive(Debug, Clone, Default)]
pub struct Estate {
    /// Per host (short name): its business services.
    services: BTreeMap<String, Vec<String>>,
    /// Per host: the hosts that cannot work without it.
    dependants: BTreeMap<String, BTreeSet<String>>,
    /// Per host: its role, when the inventory gives one.
    roles: BTreeMap<String, String>,
    /// Per host: its addresses.
    addresses: BTreeMap<String, Vec<String>>,
}

impl Estate {
    pub fn new(inventory: &Inventory) -> Estate {
        let mut estate = Estate::default();
        for asset in &inventory.hosts {
            let Some(host) = names::host_name(&asset.name) else {
                continue;
            };
            estate
                .services
                .entry(host.clone())
                .or_default()
                .extend(asset.services.iter().cloned());
            if let Some(role) = &asset.role {
                estate.roles.insert(host.clone(), role.clone());
            }
            estate
                .addresses
                .entry(host.clone())
                .or_default()
                .extend(asset.ips.iter().cloned());
            for needed in &asset.depends_on {
                if let Some(needed) = names::host_name(needed) {
                    estate
                        .dependants
                        .entry(needed)
                        .or_default()
                        .insert(host.clone());
                }
            }
        }
        estate
    }

    /// Every host of the inventory.
    pub fn hosts(&self) -> impl Iterator<Item = &str> {
        self.services.keys().map(String::as_str)
    }

    pub fn knows(&self, host: &str) -> bool {
        self.services.contains_key(host)
    }

    pub fn role(&self, host: &str) -> Option<&str> {
        self.roles.get(host).map(String::as_str)
    }

    pub fn services_of(&self, host: &str) -> &[String] {
        self.services.get(host).map_or(&[], Vec::as_slice)
    }

    pub fn addresses_of(&self, host: &str) -> &[String] {
        self.addresses.get(host).map_or(&[], Vec::as_slice)
    }

    /// The hosts that name `host` in their `depends_on`.
    pub fn dependants_of(&self, host: &str) -> impl Iterator<Item = &str> {
        self.dependants
            .get(host)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    pub fn is_workstation(&self, host: &str) -> bool {
        self.role(host)
            .is_some_and(|r| r.to_ascii_lowercase().contains("workstation"))
    }

    /// The hosts that stop working when `cut` are unreachable: `cut` and
    /// everything that depends on them, directly or through other hosts.
    /// Linear in hosts plus dependencies.
    pub fn unavailable<'a>(&self, cut: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        self.reach(cut).into_keys().collect()
    }

    /// The hosts that stop working, each with the host it needs that is
    /// down (`None` for the cut ones): one breadth-first walk, so each chain
    /// back to a cut host is a shortest one.
    fn reach<'a>(
        &self,
        cut: impl IntoIterator<Item = &'a str>,
    ) -> BTreeMap<String, Option<String>> {
        let mut down: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut queue: VecDeque<String> = VecDeque::new();
        for host in cut {
            if !down.contains_key(host) {
                down.insert(host.to_string(), None);
                queue.push_back(host.to_string());
            }
        }
        while let Some(host) = queue.pop_front() {
            for dependant in self.dependants_of(&host) {
                if !down.contains_key(dependant) {
                    down.insert(dependant.to_string(), Some(host.clone()));
                    queue.push_back(dependant.to_string());
                }
            }
        }
        down
    }

    /// The business services with `cut` unreachable (isolated) and
    /// `restricted` cut off from administration and the internet.
    pub fn impact<'a>(
        &self,
        cut: impl IntoIterator<Item = &'a str>,
        restricted: impl IntoIterator<Item = &'a str>,
    ) -> Impact {
        let reach = self.reach(cut);
        let unavailable: BTreeSet<&str> = reach.keys().map(String::as_str).collect();
        let restricted: BTreeSet<String> = restricted
            .into_iter()
            .filter(|h| !unavailable.contains(*h))
            .map(str::to_string)
            .collect();
        // Per service: the hosts that provide it.
        let mut providers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (host, services) in &self.services {
            for service in services {
                providers.entry(service).or_default().push(host);
            }
        }
        let mut impact = Impact {
            isolated: reach
                .iter()
                .filter(|(_, needed)| needed.is_none())
                .map(|(h, _)| h.clone())
                .collect(),
            unavailable: unavailable.iter().map(|h| h.to_string()).collect(),
            restricted: restricted.iter().cloned().collect(),
            ..Impact::default()
        };
        for (service, hosts) in providers {
            let lost: Vec<&str> = hosts
                .iter()
                .copied()
                .filter(|h| unavailable.contains(*h))
                .collect();
            let limited: Vec<&str> = hosts
                .iter()
                .copied()
                .filter(|h| restricted.contains(*h))
                .collect();
            let cause = |h: &str| unavailable_because(h, &reach);
            if !hosts.is_empty() && lost.len() == hosts.len() {
                impact.down.push(ServiceEffect::new(
                    service,
                    hosts.len(),
                    lost.iter().map(|h| cause(h)).collect(),
                    false,
                ));
            } else if !lost.is_empty() || !limited.is_empty() {
                let mut causes: Vec<Cause> = lost.iter().map(|h| cause(h)).collect();
                causes.extend(limited.iter().map(|h| Cause::Restricted(h.to_string())));
                impact
                    .degraded
                    .push(ServiceEffect::new(service, hosts.len(), causes, true));
            } else {
                impact.up.push(service.to_string());
            }
        }
        impact
    }
}

/// Why a host is unavailable: cut off itself, or through what it needs.
fn unavailable_because(host: &str, reach: &BTreeMap<String, Option<String>>) -> Cause {
    let mut chain: Vec<String> = Vec::new();
    let mut at = reach.get(host).and_then(Option::as_deref);
    while let Some(needed) = at {
        chain.push(needed.to_string());
        at = reach.get(needed).and_then(Option::as_deref);
    }
    if chain.is_empty() {
        Cause::Isolated(host.to_string())
    } else {
        Cause::Needs {
            host: host.to_string(),
            chain,
        }
    }
}

/// Why a host providing a service is affected.
#[derive(Debug, Clone, PartialEq)]
pub enum Cause {
    /// Cut off itself.
    Isolated(String),
    /// It needs a host that is cut off, through the hosts in `chain`.
    Needs { host: String, chain: Vec<String> },
    /// Restricted: it keeps serving its dependants.
    Restricted(String),
}

impl Cause {
    pub fn words(&self, lang: Lang) -> String {
        match (self, lang) {
            (Cause::Isolated(h), Lang::En) => format!("{h} isolated"),
            (Cause::Isolated(h), Lang::De) => format!("{h} isoliert"),
            (Cause::Needs { host, chain }, Lang::En) => format!(
                "{host} cannot work without {} (isolated)",
                chain.join(", which needs ")
            ),
            (Cause::Needs { host, chain }, Lang::De) => format!(
                "{host} kann ohne {} nicht arbeiten (isoliert)",
                chain.join(", das seinerseits braucht: ")
            ),
            (Cause::Restricted(h), Lang::En) => format!(
                "{h} restricted: it keeps serving its dependants, without remote administration or the internet"
            ),
            (Cause::Restricted(h), Lang::De) => format!(
                "{h} eingeschränkt: bedient seine abhängigen Hosts weiter, ohne Fernverwaltung und Internet"
            ),
        }
    }
}

/// Business services under a set of actions.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Impact {
    /// Hosts cut off from the network.
    pub isolated: Vec<String>,
    /// Hosts that cannot work: the isolated ones and every host that needs
    /// one of them, directly or through others.
    pub unavailable: Vec<String>,
    /// Hosts restricted (and still working).
    pub restricted: Vec<String>,
    /// Services every host providing them is unavailable for.
    pub down: Vec<ServiceEffect>,
    /// Services some of whose hosts are unavailable or restricted.
    pub degraded: Vec<ServiceEffect>,
    /// Services untouched.
    pub up: Vec<String>,
}

impl Impact {
    pub fn down_names(&self) -> Vec<&str> {
        self.down.iter().map(|s| s.service.as_str()).collect()
    }

    pub fn degraded_names(&self) -> Vec<&str> {
        self.degraded.iter().map(|s| s.service.as_str()).collect()
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServiceEffect {
    pub service: String,
    /// The hosts providing it that are affected.
    pub hosts: Vec<String>,
    /// How many hosts provide it in all.
    pub providers: usize,
    pub why: String,
    /// `why`, as each language words it.
    #[serde(skip)]
    pub causes: Vec<Cause>,
    /// Some of its hosts still provide it.
    #[serde(skip)]
    pub partly: bool,
}

impl ServiceEffect {
    fn new(service: &str, providers: usize, causes: Vec<Cause>, partly: bool) -> ServiceEffect {
        let hosts = causes
            .iter()
            .map(|c| match c {
                Cause::Isolated(h) | Cause::Needs { host: h, .. } | Cause::Restricted(h) => {
                    h.clone()
                }
            })
            .collect();
        let mut effect = ServiceEffect {
            service: service.to_string(),
            hosts,
            providers,
            why: String::new(),
            causes,
            partly,
        };
        effect.why = effect.why_in(Lang::En);
        effect
    }

    /// Why the service is down or degraded, in `lang`.
    pub fn why_in(&self, lang: Lang) -> String {
        let causes: Vec<String> = self.causes.iter().map(|c| c.words(lang)).collect();
        let causes = causes.join("; ");
        match (self.partly, lang) {
            (false, _) => causes,
            (true, Lang::En) => format!(
                "{} of {} host(s) providing it affected: {causes}",
                self.hosts.len(),
                self.providers
            ),
            (true, Lang::De) => format!(
                "{} von {} Host(s), die ihn erbringen, betroffen: {causes}",
                self.hosts.len(),
                self.providers
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estate() -> Estate {
        Estate::new(
            &Inventory::parse(
                "hosts:
  - {name: DC-01, role: domain_controller, services: [authentication]}
  - {name: DB-01, role: database_server, services: [patient records], depends_on: [DC-01]}
  - {name: APP-01, role: app_server, services: [patient portal], depends_on: [DC-01, DB-01]}
  - {name: VOIP-01, role: telephony, services: [telephony], depends_on: [DC-01]}
  - {name: WS-1, role: doctor_workstation, services: [consultations], depends_on: [APP-01]}
  - {name: WS-2, role: doctor_workstation, services: [consultations], depends_on: [APP-01]}
",
            )
            .unwrap(),
        )
    }

    #[test]
    fn isolating_a_server_takes_down_what_needs_it() {
        let e = estate();
        let impact = e.impact(["DB-01"], []);
        assert_eq!(impact.unavailable, ["APP-01", "DB-01", "WS-1", "WS-2"]);
        assert_eq!(
            impact.down_names(),
            ["consultations", "patient portal", "patient records"]
        );
        assert_eq!(impact.up, ["authentication", "telephony"]);
        let portal = &impact.down[1];
        assert!(portal.why.contains("APP-01 cannot work without DB-01"));
        assert!(impact.down[0]
            .why
            .contains("WS-1 cannot work without APP-01, which needs DB-01 (isolated)"));
    }

    #[test]
    fn cycles_and_odd_names_end_and_never_panic() {
        let e = Estate::new(
            &Inventory::parse(
                "hosts:
  - {name: a.clinic.example, services: [x], depends_on: [B, a]}
  - {name: b, services: [y], depends_on: [A]}
  - {name: '', services: [z], depends_on: ['']}
",
            )
            .unwrap(),
        );
        let impact = e.impact(["A"], []);
        assert_eq!(impact.unavailable, ["A", "B"]);
        assert_eq!(impact.down_names(), ["x", "y"]);
        // Random graphs, random cuts: every unavailable host is cut or needs one that is.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for _ in 0..200 {
            let mut text = String::from("hosts:\n");
            for h in 0..12 {
                let deps: Vec<String> = (0..next(4)).map(|_| format!("H{}", next(14))).collect();
                text.push_str(&format!(
                    "  - {{name: H{h}, services: [s{}], depends_on: [{}]}}\n",
                    next(5),
                    deps.join(", ")
                ));
            }
            let inventory = Inventory::parse(&text).unwrap();
            let e = Estate::new(&inventory);
            let cut: Vec<String> = (0..next(4)).map(|_| format!("H{}", next(14))).collect();
            let impact = e.impact(cut.iter().map(String::as_str), ["H1"]);
            for h in &impact.unavailable {
                let asset = inventory.hosts.iter().find(|a| &a.name == h);
                assert!(
                    cut.contains(h)
                        || asset.is_some_and(|a| a
                            .depends_on
                            .iter()
                            .any(|d| impact.unavailable.contains(d))),
                    "{h} in {text}"
                );
            }
            // And nothing that needs an unavailable host is left working.
            for a in &inventory.hosts {
                if a.depends_on.iter().any(|d| impact.unavailable.contains(d)) {
                    assert!(impact.unavailable.contains(&a.name), "{} in {text}", a.name);
                }
            }
        }
    }

    #[test]
    fn one_workstation_of_several_degrades_and_restriction_keeps_service() {
        let e = estate();
        let impact = e.impact(["WS-1"], ["DC-01"]);
        assert_eq!(impact.down_names(), Vec::<&str>::new());
        assert_eq!(impact.degraded_names(), ["authentication", "consultations"]);
        assert!(impact.up.contains(&"telephony".to_string()));
        assert_eq!(impact.degraded[1].why.split(" of ").next(), Some("1"));
    }
}
