//! The containment plan over simulated intrusions (seeds 1, 7, 42), checked
//! against the simulation's truth and against the inventory's dependency
//! graph walked here, independently of the plan.

mod investigation;

use std::collections::{BTreeMap, BTreeSet};

use vigil_incident::Inventory;
use vigil_respond::{plan, AccountStep, Action, ContainmentPlan, Fill, Inputs};

/// The hosts that stop working when `isolated` are cut off: a fixed point
/// over `depends_on`, computed without the crate's graph.
fn closure(inventory: &Inventory, isolated: &BTreeSet<String>) -> BTreeSet<String> {
    let mut down = isolated.clone();
    loop {
        let more: Vec<String> = inventory
            .hosts
            .iter()
            .filter(|a| !down.contains(&a.name))
            .filter(|a| a.depends_on.iter().any(|d| down.contains(d)))
            .map(|a| a.name.clone())
            .collect();
        if more.is_empty() {
            return down;
        }
        down.extend(more);
    }
}

/// Services every host of which is in `down`.
fn services_down(inventory: &Inventory, down: &BTreeSet<String>) -> BTreeSet<String> {
    let mut providers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for a in &inventory.hosts {
        for s in &a.services {
            providers.entry(s).or_default().push(&a.name);
        }
    }
    providers
        .into_iter()
        .filter(|(_, hosts)| hosts.iter().all(|h| down.contains(*h)))
        .map(|(s, _)| s.to_string())
        .collect()
}

fn with_action(plan: &ContainmentPlan, action: Action) -> BTreeSet<String> {
    plan.hosts
        .iter()
        .filter(|h| h.action == action)
        .map(|h| h.host.clone())
        .collect()
}

#[test]
fn simulated_intrusions_are_contained_without_taking_telephony_down() {
    let dir = tempfile::tempdir().unwrap();
    println!("| seed | hosts | compromised | isolate | restrict | watch | down | degraded | naive plan down | saved |");
    for (seed, hosts, days) in [(1, 12, 5), (7, 12, 5), (42, 12, 5), (7, 40, 3)] {
        let sim = dir.path().join(format!("sim-{seed}-{hosts}"));
        let case = investigation::simulated(seed, hosts, days, &sim);
        assert!(!case.incidents.is_empty(), "an incident (seed {seed})");
        let changes = vigil_respond::attacker_account_changes(&case.incidents);
        let plan = plan(&Inputs {
            incidents: &case.incidents,
            assessment: Some(&case.assessment),
            inventory: Some(&case.inventory),
            account_changes: &changes,
        });
        // The backdoor accounts the attacker made are switched off.
        for backdoor in &case.truth.backdoor_accounts {
            assert!(
                plan.accounts
                    .iter()
                    .any(|a| a.action == AccountStep::Disable
                        && a.account.eq_ignore_ascii_case(&backdoor.account)),
                "backdoor {} disabled (seed {seed}): {:?}",
                backdoor.account,
                plan.accounts
            );
        }
        let isolated = with_action(&plan, Action::Isolate);
        let restricted = with_action(&plan, Action::Restrict);
        let compromised: BTreeSet<String> = case
            .truth
            .compromised_hosts
            .iter()
            .map(|h| h.host.clone())
            .collect();
        for host in &compromised {
            assert!(
                isolated.contains(host) || restricted.contains(host),
                "compromised {host} is isolated or restricted (seed {seed}): {:?}",
                plan.hosts
                    .iter()
                    .map(|h| (&h.host, h.action))
                    .collect::<Vec<_>>()
            );
        }
        for host in &isolated {
            assert!(
                compromised.contains(host),
                "{host} isolated but not compromised (seed {seed})"
            );
        }
        let impact = plan.impact.as_ref().expect("impact with an inventory");
        assert!(
            !impact.down_names().contains(&"telephony"),
            "telephony stays up (seed {seed}): {}",
            plan.summary
        );
        assert!(!impact.unavailable.contains(&"VOIP-01".to_string()));

        // The impact is the dependency closure of the isolations.
        let unavailable = closure(&case.inventory, &isolated);
        assert_eq!(
            impact.unavailable.iter().cloned().collect::<BTreeSet<_>>(),
            unavailable,
            "hosts unable to work (seed {seed})"
        );
        assert_eq!(
            impact
                .down_names()
                .into_iter()
                .map(str::to_string)
                .collect::<BTreeSet<_>>(),
            services_down(&case.inventory, &unavailable),
            "services down (seed {seed})"
        );
        for h in plan.hosts.iter().filter(|h| h.action == Action::Isolate) {
            let alone = closure(&case.inventory, &BTreeSet::from([h.host.clone()]));
            assert_eq!(
                h.takes_down.iter().cloned().collect::<BTreeSet<_>>(),
                services_down(&case.inventory, &alone),
                "what isolating {} alone takes down (seed {seed})",
                h.host
            );
        }
        let mut accounted: BTreeSet<String> = impact.up.iter().cloned().collect();
        accounted.extend(impact.down_names().into_iter().map(str::to_string));
        accounted.extend(impact.degraded_names().into_iter().map(str::to_string));
        let all: BTreeSet<String> = case
            .inventory
            .hosts
            .iter()
            .flat_map(|a| a.services.iter().cloned())
            .collect();
        assert_eq!(accounted, all, "every service is up, down or degraded");

        // Against isolating every host with a detection.
        let naive = &plan.alternatives[0];
        let naive_down = services_down(
            &case.inventory,
            &closure(&case.inventory, &naive.isolated.iter().cloned().collect()),
        );
        assert_eq!(
            naive
                .impact
                .down_names()
                .into_iter()
                .map(str::to_string)
                .collect::<BTreeSet<_>>(),
            naive_down
        );
        assert!(
            !naive.saved.is_empty(),
            "the plan saves services against the naive plan (seed {seed}): {}",
            plan.summary
        );
        for s in &naive.saved {
            assert!(naive_down.contains(s) && !impact.down_names().contains(&s.as_str()));
        }
        assert!(plan.summary.contains("stay"), "{}", plan.summary);

        // containment.json: each host entry names the host and the action.
        let json = serde_json::to_value(&plan).unwrap();
        for entry in json["hosts"].as_array().unwrap() {
            assert!(entry["host"].is_string());
            assert!(["isolate", "restrict", "watch"].contains(&entry["action"].as_str().unwrap()));
        }
        // The attacker's lines out are cut first, then accounts, then hosts.
        let first_host_step = plan
            .order
            .iter()
            .position(|s| s.action.starts_with("isolate") || s.action.starts_with("restrict"))
            .unwrap();
        assert!(plan.order[..first_host_step]
            .iter()
            .any(|s| s.action.starts_with("reset the accounts")));
        for t in &case.truth.exfiltration {
            assert!(
                plan.network
                    .iter()
                    .any(|b| b.destination == t.destination_ip),
                "exfiltration destination {} blocked (seed {seed})",
                t.destination_ip
            );
        }
        // The authority's notification: what the evidence fills.
        let contents = vigil_respond::art33_contents(
            &case.incidents,
            Some(&case.assessment),
            Some(&plan),
            Some(&case.inventory),
        );
        let fill: Vec<Fill> = contents.iter().map(|c| c.fill).collect();
        assert_eq!(
            fill,
            [
                Fill::Filled,
                Fill::Partly,
                Fill::Partly,
                Fill::Missing,
                Fill::Partly,
                Fill::Filled
            ],
            "{contents:#?}"
        );
        assert!(contents[1].text.contains("patient records"));
        println!(
            "| {seed} | {hosts} | {} | {} | {} | {} | {} | {} | {} | {} |",
            compromised.iter().cloned().collect::<Vec<_>>().join(" "),
            isolated.iter().cloned().collect::<Vec<_>>().join(" "),
            restricted.iter().cloned().collect::<Vec<_>>().join(" "),
            with_action(&plan, Action::Watch)
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
            impact.down_names().join(", "),
            impact.degraded_names().join(", "),
            naive.impact.down_names().join(", "),
            naive.saved.join(", ")
        );
        if (seed, hosts) == (7, 12) {
            println!("{}", serde_json::to_string_pretty(&plan).unwrap());
        }
    }
}
