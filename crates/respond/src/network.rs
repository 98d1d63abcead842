//! The network part of containment: the outside addresses and domains to
//! block — command and control, exfiltration destinations, DNS tunnels —
//! each with the evidence that names it.

use std::collections::BTreeMap;

use serde::Serialize;
use vigil_exfil::{Assessment, Verdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Address,
    Domain,
}

/// An outside destination to block at the perimeter (and in DNS, for names).
#[derive(Debug, Clone, Serialize)]
pub struct Block {
    pub destination: String,
    pub kind: BlockKind,
    /// Names the address was looked up by or connected to as: block them too.
    pub names: Vec<String>,
    /// The inside hosts that talked to it.
    pub hosts: Vec<String>,
    pub reasons: Vec<String>,
    /// Where it was seen (file and line).
    pub evidence: Vec<String>,
}

/// Records kept per destination: a few show where to look.
const EVIDENCE_PER_BLOCK: usize = 5;

/// The destinations to block, from the exfiltration assessment.
pub fn blocks(assessment: &Assessment) -> Vec<Block> {
    let mut by: BTreeMap<(BlockKind, String), Block> = BTreeMap::new();
    let mut add = |kind: BlockKind,
                   destination: String,
                   names: &[String],
                   host: &str,
                   reason: String,
                   evidence: Vec<String>| {
        let block = by
            .entry((kind, destination.clone()))
            .or_insert_with(|| Block {
                destination,
                kind,
                names: Vec::new(),
                hosts: Vec::new(),
                reasons: Vec::new(),
                evidence: Vec::new(),
            });
        for n in names {
            if !block.names.contains(n) {
                block.names.push(n.clone());
            }
        }
        if !block.hosts.iter().any(|h| h == host) {
            block.hosts.push(host.to_string());
        }
        if !block.reasons.contains(&reason) {
            block.reasons.push(reason);
        }
        for e in evidence {
            if block.evidence.len() < EVIDENCE_PER_BLOCK && !block.evidence.contains(&e) {
                block.evidence.push(e);
            }
        }
    };
    for h in &assessment.hosts {
        if h.verdict >= Verdict::Suspected {
            for e in &h.egress {
                add(
                    BlockKind::Address,
                    e.destination.to_string(),
                    &e.names,
                    &h.host,
                    format!(
                        "exfiltration destination ({}): {}",
                        h.verdict.as_str(),
                        e.reason
                    ),
                    e.evidence.iter().map(|o| o.to_string()).collect(),
                );
            }
        }
        // Hosts outside the incident beacon too (updates, telemetry): only
        // those in scope or sending data out are the attacker's.
        let attacker_side = h.in_scope || h.verdict >= Verdict::Suspected;
        for b in h.beacons.iter().filter(|_| attacker_side) {
            add(
                BlockKind::Address,
                b.destination.to_string(),
                &[],
                &h.host,
                format!(
                    "command and control: {} connections every {:.0} s from {} to {}",
                    b.connections,
                    b.period_seconds,
                    b.first.format("%Y-%m-%d %H:%M"),
                    b.last.format("%Y-%m-%d %H:%M UTC")
                ),
                Vec::new(),
            );
        }
        if h.in_scope {
            for c in &h.long_connections {
                add(
                    BlockKind::Address,
                    c.destination.to_string(),
                    &[],
                    &h.host,
                    format!(
                        "a {:.0}-minute connection from a host in scope, new for it",
                        c.seconds / 60.0
                    ),
                    vec![c.evidence.to_string()],
                );
            }
        }
    }
    for t in assessment.dns_tunnels.iter().filter(|t| t.tunnel) {
        let clients: Vec<String> = t.clients.iter().map(|c| c.to_string()).collect();
        for client in &clients {
            add(
                BlockKind::Domain,
                t.domain.clone(),
                &[],
                client,
                format!("DNS tunnel: {}", t.reason),
                t.evidence.iter().map(|o| o.to_string()).collect(),
            );
        }
    }
    // A beacon's address has no names of its own: the names it was first
    // contacted by, when the assessment saw them.
    for block in by.values_mut().filter(|b| b.names.is_empty()) {
        for rare in assessment
            .rare_destinations
            .iter()
            .filter(|r| r.destination.to_string() == block.destination)
        {
            for n in &rare.names {
                if !block.names.contains(n) {
                    block.names.push(n.clone());
                }
            }
        }
    }
    by.into_values().collect()
}
