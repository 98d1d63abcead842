//! What a notification to the data-protection authority must contain (GDPR
//! Art. 33(3)) and how much of it the evidence already fills — the rest is
//! named, so the operator knows what to add.

use std::collections::BTreeSet;

use serde::Serialize;
use vigil_exfil::{Assessment, Verdict};
use vigil_incident::{Incident, Inventory};

use crate::containment::ContainmentPlan;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    /// The evidence says it.
    Filled,
    /// The evidence says some of it.
    Partly,
    /// Only the operator can say it.
    Missing,
}

impl Fill {
    pub fn as_str(self) -> &'static str {
        match self {
            Fill::Filled => "filled",
            Fill::Partly => "partly",
            Fill::Missing => "missing",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Content {
    /// The provision ("Art. 33(3)(a)").
    pub article: String,
    pub item: String,
    pub fill: Fill,
    /// What the evidence says.
    pub text: String,
    /// What the operator must add.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_complete: Option<String>,
    /// `text` in German, where Vigil words it itself (the measures, from
    /// the plan); elsewhere the evidence's English is shown as found.
    #[serde(skip)]
    pub text_de: Option<String>,
}

impl Content {
    /// What the evidence says, in `lang` where Vigil has the words.
    pub fn text_in(&self, lang: crate::Lang) -> &str {
        match (lang, &self.text_de) {
            (crate::Lang::De, Some(german)) => german,
            _ => &self.text,
        }
    }
}

/// Services whose hosts hold personal data about patients, by their words.
const PATIENT_DATA: &[&str] = &["patient", "consultation", "records", "documents"];

/// The Art. 33(3) contents, filled from the case.
pub fn art33_contents(
    incidents: &[Incident],
    assessment: Option<&Assessment>,
    plan: Option<&ContainmentPlan>,
    inventory: Option<&Inventory>,
) -> Vec<Content> {
    let hosts: BTreeSet<&str> = incidents
        .iter()
        .flat_map(|i| i.hosts.iter().map(|h| h.host.as_str()))
        .collect();
    let first = incidents.iter().map(|i| i.first_evidence).min();
    let last = incidents.iter().map(|i| i.last_evidence).max();
    let tactics: BTreeSet<&str> = incidents
        .iter()
        .flat_map(|i| i.tactics.iter().map(String::as_str))
        .collect();
    let nature = match (first, last) {
        (Some(f), Some(l)) => {
            let names = hosts.iter().copied().collect::<Vec<_>>().join(", ");
            let (from, to) = (f.format("%Y-%m-%d %H:%M"), l.format("%Y-%m-%d %H:%M"));
            let activity = (!tactics.is_empty())
                .then(|| tactics.iter().copied().collect::<Vec<_>>().join(", "));
            let taken = |label: &str| {
                assessment
                    .map(|a| format!("; {label}: {} — {}", a.verdict.as_str(), a.summary))
                    .unwrap_or_default()
            };
            Content {
                article: "Art. 33(3)(a)".into(),
                item: "the nature of the breach".into(),
                fill: Fill::Filled,
                text: format!(
                    "unauthorised access to {} host(s) ({names}) from {from} to {to} UTC; attacker activity: {}{}",
                    hosts.len(),
                    activity.as_deref().unwrap_or("not classified"),
                    taken("data taken")
                ),
                to_complete: None,
                text_de: Some(format!(
                    "unbefugter Zugriff auf {} Host(s) ({names}) von {from} bis {to} UTC; Aktivität des Angreifers: {}{}",
                    hosts.len(),
                    activity.as_deref().unwrap_or("nicht eingeordnet"),
                    taken("Daten entwendet")
                )),
            }
        }
        _ => Content {
            article: "Art. 33(3)(a)".into(),
            item: "the nature of the breach".into(),
            fill: Fill::Missing,
            text: "no incident in the evidence".into(),
            to_complete: Some("describe what happened".into()),
            text_de: Some("kein Vorfall in den Belegen".into()),
        },
    };
    let patient_services: BTreeSet<String> = inventory
        .map(|inv| {
            inv.hosts
                .iter()
                .filter(|a| {
                    vigil_incident::names::host_name(&a.name)
                        .is_some_and(|h| hosts.contains(h.as_str()))
                })
                .flat_map(|a| a.services.iter())
                .filter(|s| {
                    let s = s.to_ascii_lowercase();
                    PATIENT_DATA.iter().any(|p| s.contains(p))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let subjects = Content {
        article: "Art. 33(3)(a)".into(),
        item: "categories and approximate number of data subjects".into(),
        fill: if patient_services.is_empty() {
            Fill::Missing
        } else {
            Fill::Partly
        },
        text: if patient_services.is_empty() {
            "the inventory names no patient-data service on the hosts in scope".into()
        } else {
            format!(
                "hosts in scope carry {}: patients, and their health data (a special category, Art. 9)",
                patient_services.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        },
        to_complete: Some(
            "the number of people whose data those systems hold: not in the logs".into(),
        ),
        text_de: None,
    };
    let taken = assessment.filter(|a| a.verdict >= Verdict::Suspected);
    let records = Content {
        article: "Art. 33(3)(a)".into(),
        item: "categories and approximate number of personal-data records".into(),
        fill: if taken.and_then(|a| a.estimated_volume).is_some() {
            Fill::Partly
        } else {
            Fill::Missing
        },
        text: match taken.and_then(|a| a.estimated_volume) {
            Some(v) => format!(
                "about {} bytes left the estate (between {} and {})",
                v.estimate, v.lower, v.upper
            ),
            None => "no measured volume of data leaving the estate".into(),
        },
        to_complete: Some(
            "which records the affected systems hold and how many: the volume is not a count"
                .into(),
        ),
        text_de: None,
    };
    let contact = Content {
        article: "Art. 33(3)(b)".into(),
        item: "name and contact of the data-protection officer or other contact point".into(),
        fill: Fill::Missing,
        text: String::new(),
        to_complete: Some("the operator's data-protection officer".into()),
        text_de: None,
    };
    let encrypted = tactics.contains("impact");
    let mut consequences = Vec::new();
    if let Some(a) = taken {
        consequences.push(format!(
            "loss of confidentiality: data may be in the attacker's hands ({})",
            a.verdict.as_str()
        ));
    }
    if encrypted {
        consequences.push(
            "loss of availability: systems were damaged or encrypted (ATT&CK impact tactics)"
                .into(),
        );
    }
    let consequences = Content {
        article: "Art. 33(3)(c)".into(),
        item: "likely consequences of the breach".into(),
        fill: if consequences.is_empty() {
            Fill::Missing
        } else {
            Fill::Partly
        },
        text: consequences.join("; "),
        to_complete: Some(
            "what it means for the people concerned (disclosure of health data, blackmail, phishing in the operator's name)"
                .into(),
        ),
        text_de: None,
    };
    let measures = Content {
        article: "Art. 33(3)(d)".into(),
        item: "measures taken or proposed".into(),
        fill: if plan.is_some() {
            Fill::Filled
        } else {
            Fill::Missing
        },
        text: plan
            .map(|p| format!("containment plan: {}", p.summary))
            .unwrap_or_default(),
        to_complete: Some("which of them are done, and when".into()),
        text_de: plan.map(|p| format!("Eindämmungsplan: {}", p.summary_in(crate::Lang::De))),
    };
    vec![nature, subjects, records, contact, consequences, measures]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_case_every_item_is_left_to_the_operator() {
        let c = art33_contents(&[], None, None, None);
        assert_eq!(c.len(), 6);
        assert!(c.iter().all(|c| c.fill == Fill::Missing));
        assert!(c.iter().all(|c| c.to_complete.is_some()));
    }
}
