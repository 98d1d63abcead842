//! The order of execution: cut the attacker's lines out and its accounts
//! first, then isolate and restrict hosts, then rotate what was exposed —
//! so that the attacker is not warned by the first move and cannot react.

use serde::Serialize;

use crate::accounts::{AccountAction, AccountStep, DomainStep};
use crate::containment::{Action, HostAction};
use crate::lang::Lang;
use crate::network::Block;
use crate::sentences::Sentence;

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Counting from 1.
    pub step: usize,
    pub action: String,
    pub targets: Vec<String>,
    pub why: String,
    /// `action` and `why`, as each language words them.
    #[serde(skip)]
    pub sentences: (Sentence, Sentence),
}

impl Step {
    /// What to do, in `lang`.
    pub fn action_in(&self, lang: Lang) -> String {
        self.sentences.0.words(lang)
    }

    /// Why then, in `lang`.
    pub fn why_in(&self, lang: Lang) -> String {
        self.sentences.1.words(lang)
    }
}

pub fn steps(
    hosts: &[HostAction],
    accounts: &[AccountAction],
    domain: &[DomainStep],
    network: &[Block],
) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    let mut push = |action: Sentence, targets: Vec<String>, why: Sentence| {
        if !targets.is_empty() {
            out.push(Step {
                step: out.len() + 1,
                action: action.english(),
                targets,
                why: why.english(),
                sentences: (action, why),
            });
        }
    };
    push(
        Sentence::BlockOutside,
        network.iter().map(|b| b.destination.clone()).collect(),
        Sentence::BlockOutsideWhy,
    );
    let with = |step: AccountStep, machine: bool| -> Vec<String> {
        accounts
            .iter()
            .filter(|a| a.action == step && a.machine_account == machine)
            .map(|a| a.account.clone())
            .collect()
    };
    push(
        Sentence::DisableAccounts,
        with(AccountStep::Disable, false),
        Sentence::DisableAccountsWhy,
    );
    push(
        Sentence::ResetAccounts,
        with(AccountStep::Reset, false),
        Sentence::ResetAccountsWhy,
    );
    if let Some(first) = domain.first() {
        push(
            first.sentences.0.clone(),
            vec!["krbtgt".into()],
            first.sentences.1.clone(),
        );
    }
    let hosts_with = |action: Action| -> Vec<String> {
        hosts
            .iter()
            .filter(|h| h.action == action)
            .map(|h| h.host.clone())
            .collect()
    };
    push(
        Sentence::IsolateHosts,
        hosts_with(Action::Isolate),
        Sentence::IsolateHostsWhy,
    );
    push(
        Sentence::RestrictServers,
        hosts_with(Action::Restrict),
        Sentence::RestrictServersWhy,
    );
    push(
        Sentence::RotateExposed,
        with(AccountStep::Rotate, false),
        Sentence::RotateExposedWhy,
    );
    for d in domain.iter().skip(1) {
        push(
            d.sentences.0.clone(),
            vec!["domain".into()],
            d.sentences.1.clone(),
        );
    }
    push(
        Sentence::ResetComputerAccounts,
        with(AccountStep::Rotate, true),
        Sentence::ResetComputerAccountsWhy,
    );
    push(
        Sentence::WatchHosts,
        hosts_with(Action::Watch),
        Sentence::WatchHostsWhy,
    );
    out
}
