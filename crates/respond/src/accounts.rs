//! The accounts part of containment: which accounts to disable (the
//! attacker made them), reset (the attacker used them) or rotate (their
//! secrets were exposed), and the domain-wide steps when the domain's own
//! keys may be in the attacker's hands.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use vigil_incident::{AccountChangeKind, AccountToRotate, Incident};

use crate::lang::Lang;
use crate::sentences::Sentence;

/// An account change the attacker made (created, enabled, added to a
/// group, password reset), as the incidents' account changes will list it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccountToDisable {
    /// `DOMAIN\name`.
    pub account: String,
    /// What the attacker did, in words ("created", "added to Domain Admins").
    pub change: String,
    /// What to do, in words ("disable", "remove from Domain Admins").
    pub action: String,
    pub host: String,
    pub time: DateTime<Utc>,
    /// The events that show it.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// The change as the incidents found it, and the group it concerns;
    /// without it `change` and `action` are shown as they are.
    #[serde(skip)]
    pub kind: Option<(AccountChangeKind, Option<String>)>,
}

/// The account changes the incidents found the attacker making, as the
/// plan takes them.
pub fn attacker_account_changes(incidents: &[Incident]) -> Vec<AccountToDisable> {
    incidents
        .iter()
        .flat_map(|incident| &incident.account_changes)
        .map(|c| AccountToDisable {
            account: c.account.clone(),
            change: match (&c.group, c.change) {
                (Some(group), vigil_incident::AccountChangeKind::AddedToGroup) => {
                    format!("added to {group}")
                }
                (_, kind) => kind.as_str().replace('_', " "),
            },
            action: c.action.clone(),
            host: c.host.clone(),
            time: c.time,
            evidence: c.events.iter().map(ToString::to_string).collect(),
            kind: Some((c.change, c.group.clone())),
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStep {
    /// Made or changed by the attacker: switch it off.
    Disable,
    /// Used by the attacker: new password now, sessions ended.
    Reset,
    /// Its secrets were where the attacker was: new password.
    Rotate,
}

impl AccountStep {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStep::Disable => "disable",
            AccountStep::Reset => "reset",
            AccountStep::Rotate => "rotate",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountAction {
    pub account: String,
    pub action: AccountStep,
    /// 1 is most urgent.
    pub urgency: u8,
    /// What to do, in words.
    pub instruction: String,
    pub reasons: Vec<String>,
    pub hosts: Vec<String>,
    pub machine_account: bool,
    /// `instruction` and `reasons`, as each language words them.
    #[serde(skip)]
    pub instruction_sentence: Sentence,
    #[serde(skip)]
    pub reason_sentences: Vec<Sentence>,
}

impl AccountAction {
    /// What to do, in `lang`.
    pub fn instruction_in(&self, lang: Lang) -> String {
        self.instruction_sentence.words(lang)
    }

    /// Why the account is listed, in `lang`.
    pub fn reasons_in(&self, lang: Lang) -> Vec<String> {
        crate::sentences::all_words(&self.reason_sentences, lang)
    }
}

/// One of the domain-wide steps, in the order they must be taken.
#[derive(Debug, Clone, Serialize)]
pub struct DomainStep {
    pub action: String,
    pub why: String,
    /// `action` and `why`, as each language words them.
    #[serde(skip)]
    pub sentences: (Sentence, Sentence),
}

impl DomainStep {
    fn new(action: Sentence, why: Sentence) -> DomainStep {
        DomainStep {
            action: action.english(),
            why: why.english(),
            sentences: (action, why),
        }
    }

    /// What to do, in `lang`.
    pub fn action_in(&self, lang: Lang) -> String {
        self.sentences.0.words(lang)
    }

    /// Why, in `lang`.
    pub fn why_in(&self, lang: Lang) -> String {
        self.sentences.1.words(lang)
    }
}

/// The Kerberos ticket lifetime Active Directory grants by default: a
/// second krbtgt reset before it has passed also voids legitimate tickets.
pub const MAX_TICKET_HOURS: i64 = 10;

/// Accounts to act on, most drastic and most urgent first.
pub fn account_actions(incidents: &[Incident], changes: &[AccountToDisable]) -> Vec<AccountAction> {
    let mut by_account: BTreeMap<String, AccountAction> = BTreeMap::new();
    let mut add = |account: &str,
                   step: AccountStep,
                   urgency: u8,
                   instruction: Sentence,
                   reasons: &[Sentence],
                   hosts: &[String],
                   machine: bool| {
        let entry = by_account
            .entry(account.to_ascii_uppercase())
            .or_insert_with(|| AccountAction {
                account: account.to_string(),
                action: step,
                urgency,
                instruction: instruction.english(),
                reasons: Vec::new(),
                hosts: Vec::new(),
                machine_account: machine,
                instruction_sentence: instruction.clone(),
                reason_sentences: Vec::new(),
            });
        if step < entry.action {
            entry.action = step;
            entry.instruction = instruction.english();
            entry.instruction_sentence = instruction;
        }
        entry.urgency = entry.urgency.min(urgency);
        for r in reasons {
            if !entry.reason_sentences.contains(r) {
                entry.reasons.push(r.english());
                entry.reason_sentences.push(r.clone());
            }
        }
        for h in hosts {
            if !entry.hosts.contains(h) {
                entry.hosts.push(h.clone());
            }
        }
    };
    for c in changes {
        add(
            &c.account,
            AccountStep::Disable,
            1,
            match &c.kind {
                Some((change, group)) => Sentence::UndoChange {
                    change: *change,
                    group: group.clone(),
                },
                None => Sentence::Quoted(c.action.clone()),
            },
            &[match &c.kind {
                Some((change, group)) => Sentence::ChangedByAttacker {
                    change: *change,
                    group: group.clone(),
                    host: c.host.clone(),
                    time: c.time,
                    evidence: c.evidence.clone(),
                },
                None => Sentence::Quoted(format!(
                    "{} by the attacker on {} at {}{}",
                    c.change,
                    c.host,
                    c.time.format("%Y-%m-%d %H:%M UTC"),
                    if c.evidence.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", c.evidence.join("; "))
                    }
                )),
            }],
            std::slice::from_ref(&c.host),
            false,
        );
    }
    for incident in incidents {
        for a in &incident.attacker_accounts {
            add(
                a,
                AccountStep::Reset,
                1,
                Sentence::ResetNow,
                &[Sentence::ActingForAttacker(incident.id)],
                &[],
                false,
            );
        }
        for a in &incident.credentials.accounts {
            let (step, instruction) = step_of(a);
            add(
                &a.account,
                step,
                a.urgency,
                instruction,
                &quoted(&a.reasons),
                &a.hosts,
                false,
            );
        }
        for a in &incident.credentials.machine_accounts {
            add(
                &a.account,
                AccountStep::Rotate,
                a.urgency.max(2),
                Sentence::ResetComputerAccount,
                &quoted(&a.reasons),
                &a.hosts,
                true,
            );
        }
    }
    let mut actions: Vec<AccountAction> = by_account.into_values().collect();
    actions.sort_by(|a, b| {
        (a.action, a.urgency, a.machine_account, &a.account).cmp(&(
            b.action,
            b.urgency,
            b.machine_account,
            &b.account,
        ))
    });
    actions
}

/// The incidents' own reasons, shown as they are.
fn quoted(reasons: &[String]) -> Vec<Sentence> {
    reasons.iter().cloned().map(Sentence::Quoted).collect()
}

fn step_of(a: &AccountToRotate) -> (AccountStep, Sentence) {
    if a.urgency <= 1 {
        (AccountStep::Reset, Sentence::ResetNow)
    } else {
        (AccountStep::Rotate, Sentence::ChangeOnceCutOff)
    }
}

/// The domain-wide steps, in order, when an incident calls for them.
pub fn domain_steps(incidents: &[Incident]) -> Vec<DomainStep> {
    let reasons: Vec<&str> = incidents
        .iter()
        .flat_map(|i| &i.credentials.domain_wide)
        .map(String::as_str)
        .collect();
    if reasons.is_empty() {
        return Vec::new();
    }
    vec![
        DomainStep::new(
            Sentence::KrbtgtFirst,
            Sentence::KrbtgtFirstWhy(reasons.iter().map(|r| r.to_string()).collect()),
        ),
        DomainStep::new(Sentence::KrbtgtWait, Sentence::KrbtgtWaitWhy),
        DomainStep::new(Sentence::KrbtgtSecond, Sentence::KrbtgtSecondWhy),
        DomainStep::new(Sentence::RotateDomain, Sentence::RotateDomainWhy),
    ]
}
