//! What the notice for customers says, worked out once from the evidence so
//! the Markdown and HTML reports tell customers the same thing.

use crate::accounts::AccountStep;
use crate::containment::{Action, ContainmentPlan};
use crate::lang::{Lang, Words};

/// The notice's facts and sentences, each format adding only its markup.
pub struct Notice {
    /// When the attacker was first seen, as a date, and how many systems
    /// were in their hands; `None` when no intrusion was found.
    pub reached: Option<(String, usize)>,
    /// The services the reached systems provide, per the inventory.
    pub services: Vec<String>,
    /// The exfiltration verdict and its summary.
    pub data_taken: Option<(String, String)>,
    /// Staff accounts to tell their owners about, each with why.
    pub staff: Vec<(String, &'static str)>,
    /// Whether every domain account is being changed.
    pub domain_wide: bool,
    /// Addresses the attacker used, for customers to recognise phishing.
    pub attacker_names: Vec<String>,
    words: &'static Words,
}

impl Notice {
    pub fn new(
        plan: &ContainmentPlan,
        incidents: &[vigil_incident::Incident],
        assessment: Option<&vigil_exfil::Assessment>,
        inventory: Option<&vigil_incident::Inventory>,
        lang: Lang,
    ) -> Notice {
        let words = lang.words();
        let first = incidents.iter().map(|i| i.first_evidence).min();
        let reached: Vec<&str> = plan
            .hosts
            .iter()
            .filter(|h| h.action != Action::Watch)
            .map(|h| h.host.as_str())
            .collect();
        let mut services: Vec<String> = inventory
            .map(|inv| {
                inv.hosts
                    .iter()
                    .filter(|a| {
                        vigil_incident::names::host_name(&a.name)
                            .is_some_and(|h| reached.contains(&h.as_str()))
                    })
                    .flat_map(|a| a.services.iter().cloned())
                    .collect()
            })
            .unwrap_or_default();
        services.sort();
        services.dedup();
        let staff = plan
            .accounts
            .iter()
            .filter(|a| !a.machine_account && a.action != AccountStep::Disable)
            .map(|a| {
                let why = if a.action == AccountStep::Reset {
                    words.staff_used
                } else {
                    words.staff_present
                };
                (a.account.clone(), why)
            })
            .collect();
        let attacker_names = plan
            .network
            .iter()
            .flat_map(|b| {
                if b.names.is_empty() {
                    vec![b.destination.clone()]
                } else {
                    b.names.clone()
                }
            })
            .collect();
        Notice {
            reached: first.map(|t| (t.format("%Y-%m-%d").to_string(), reached.len())),
            services,
            data_taken: assessment.map(|a| (a.verdict.as_str().to_string(), a.summary.clone())),
            staff,
            domain_wide: !plan.domain_wide.is_empty(),
            attacker_names,
            words,
        }
    }

    /// The opening sentence, without the services (each format lists them
    /// in its own way): "Since DATE, an attacker had access to N of our systems".
    pub fn opening(&self) -> Option<String> {
        self.reached
            .as_ref()
            .map(|(date, n)| (self.words.opening)(date, *n))
    }

    /// What to tell users of the reached services, when there are any.
    pub fn services_advice(&self) -> Option<&'static str> {
        (!self.services.is_empty()).then_some(self.words.services_advice)
    }
}
