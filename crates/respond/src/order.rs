//! The order of execution: cut the attacker's lines out and its accounts
//! first, then isolate and restrict hosts, then rotate what was exposed —
//! so that the attacker is not warned by the first move and cannot react.

use serde::Serialize;

use crate::accounts::{AccountAction, AccountStep, DomainStep};
use crate::containment::{Action, HostAction};
use crate::network::Block;

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Counting from 1.
    pub step: usize,
    pub action: String,
    pub targets: Vec<String>,
    pub why: String,
}

pub fn steps(
    hosts: &[HostAction],
    accounts: &[AccountAction],
    domain: &[DomainStep],
    network: &[Block],
) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    let mut push = |action: &str, targets: Vec<String>, why: &str| {
        if !targets.is_empty() {
            out.push(Step {
                step: out.len() + 1,
                action: action.to_string(),
                targets,
                why: why.to_string(),
            });
        }
    };
    push(
        "block the outside addresses and domains at the perimeter and in DNS",
        network.iter().map(|b| b.destination.clone()).collect(),
        "first, and all at once: it cuts the attacker's command channel and stops data leaving, so nothing done next can be answered from outside",
    );
    let with = |step: AccountStep, machine: bool| -> Vec<String> {
        accounts
            .iter()
            .filter(|a| a.action == step && a.machine_account == machine)
            .map(|a| a.account.clone())
            .collect()
    };
    push(
        "disable the accounts the attacker created or changed",
        with(AccountStep::Disable, false),
        "before the hosts go: an account of its own is how the attacker comes back in after isolation",
    );
    push(
        "reset the accounts the attacker used, end their sessions, revoke their tickets",
        with(AccountStep::Reset, false),
        "before the hosts go, and in the same minutes as the block: with its passwords gone the attacker cannot move to a host that stays up",
    );
    if let Some(first) = domain.first() {
        push(&first.action, vec!["krbtgt".into()], &first.why);
    }
    let hosts_with = |action: Action| -> Vec<String> {
        hosts
            .iter()
            .filter(|h| h.action == action)
            .map(|h| h.host.clone())
            .collect()
    };
    push(
        "isolate the hosts (network quarantine at the switch or EDR; keep them powered on for memory forensics)",
        hosts_with(Action::Isolate),
        "the attacker's footholds: cut off once its lines out and accounts are gone, so it cannot react; powered on, memory and logs stay for the investigation",
    );
    push(
        "restrict the servers others need: allow only their dependants' service traffic, cut SMB, RDP, WinRM, RPC administration and the internet",
        hosts_with(Action::Restrict),
        "the attacker loses remote control of them while the services that depend on them keep running",
    );
    push(
        "rotate the passwords of the exposed accounts, from a clean machine",
        with(AccountStep::Rotate, false),
        "after isolation: a new password typed on a compromised host would be exposed again",
    );
    for d in domain.iter().skip(1) {
        push(&d.action, vec!["domain".into()], &d.why);
    }
    push(
        "reset the computer accounts of the compromised hosts when they are rebuilt or rejoined",
        with(AccountStep::Rotate, true),
        "the hosts' own secrets were on hosts the attacker controlled",
    );
    push(
        "watch these hosts: their logons, new services and outbound connections",
        hosts_with(Action::Watch),
        "touched by the attacker without activity of its own on them: cutting them off costs more than it protects",
    );
    out
}
