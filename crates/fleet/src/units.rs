//! Correlation units and partitions: which correlator evaluates which
//! correlation for which group-by values.
//!
//! A unit is one correlation that no other correlation refers to, together
//! with the correlations it refers to (a chain). Each unit has its own
//! engine, so a detection that feeds two correlations grouped by different
//! fields goes to each unit's partition and is counted by each exactly once.
//! A unit without chains is spread over the partitions by a hash of its
//! group-by values (a burst for one account lands whole on one partition);
//! a chain's inner detections carry no event, so a chain stays on the one
//! partition its unit hashes to.

use std::collections::HashSet;
use std::path::PathBuf;

use vigil_correlate::{CorrelationError, CorrelationSet};
use vigil_event::{Detection, Event, FieldValue};
use vigil_sigma::{CorrelationRule, RuleMeta};

/// One correlation (with the correlations it refers to) evaluated apart.
pub struct Unit {
    /// The root correlation's id, or its title: names the unit in logs.
    pub name: String,
    pub set: CorrelationSet,
    /// Group-by names, and per base rule id the field each is read from;
    /// empty for a chain (all its groups on one partition).
    grouping: Option<Grouping>,
}

struct Grouping {
    group_by: Vec<String>,
    /// (alias, rule id or name, field).
    aliases: Vec<(String, String, String)>,
    /// Base rule ids this correlation refers to, and the names they may be referred by.
    rules: Vec<(String, Option<String>)>,
}

/// The units of a ruleset's correlations.
pub struct Units {
    pub units: Vec<Unit>,
    pub partitions: u32,
}

impl Units {
    /// Splits `correlations` (as loaded beside `metas`) into units spread
    /// over `partitions` partitions.
    pub fn build(
        correlations: &[(PathBuf, CorrelationRule)],
        metas: &[RuleMeta],
        partitions: u32,
    ) -> (Units, Vec<CorrelationError>) {
        let refers = |from: &CorrelationRule, to: &CorrelationRule| {
            from.definition.rules.iter().any(|r| {
                (!to.id.is_empty() && *r == to.id) || to.definition.name.as_deref() == Some(r)
            })
        };
        let mut units = Vec::new();
        let mut errors = Vec::new();
        for (i, (_, root)) in correlations.iter().enumerate() {
            let referred = correlations
                .iter()
                .enumerate()
                .any(|(j, (_, other))| j != i && refers(other, root));
            if referred {
                continue;
            }
            // The root and, transitively, every correlation it refers to.
            let mut members = vec![i];
            let mut seen: HashSet<usize> = HashSet::from([i]);
            let mut at = 0;
            while at < members.len() {
                let from = &correlations[members[at]].1;
                for (j, (_, to)) in correlations.iter().enumerate() {
                    if refers(from, to) && seen.insert(j) {
                        members.push(j);
                    }
                }
                at += 1;
            }
            members.sort_unstable();
            let docs: Vec<_> = members.iter().map(|&j| correlations[j].clone()).collect();
            let (set, errs) = CorrelationSet::build(&docs, metas);
            errors.extend(errs);
            if set.is_empty() {
                continue;
            }
            let grouping = (members.len() == 1).then(|| Grouping {
                group_by: root.definition.group_by.clone(),
                aliases: root
                    .definition
                    .aliases
                    .iter()
                    .flat_map(|(alias, per_rule)| {
                        per_rule
                            .iter()
                            .map(move |(rule, field)| (alias.clone(), rule.clone(), field.clone()))
                    })
                    .collect(),
                rules: metas
                    .iter()
                    .filter(|m| {
                        root.definition
                            .rules
                            .iter()
                            .any(|r| *r == m.id || m.name.as_deref() == Some(r))
                    })
                    .map(|m| (rule_id(m), m.name.clone()))
                    .collect(),
            });
            let name = if root.id.is_empty() {
                root.title.clone()
            } else {
                root.id.clone()
            };
            units.push(Unit {
                name,
                set,
                grouping,
            });
        }
        let partitions = partitions.max(1);
        (Units { units, partitions }, errors)
    }

    /// For each unit that `detection` (found in `event`) feeds: the unit's
    /// index and the partition that owns its group.
    pub fn routes(&self, event: &Event, detection: &Detection) -> Vec<(usize, u32)> {
        self.units
            .iter()
            .enumerate()
            .filter(|(_, unit)| unit.set.wants(detection))
            .map(|(index, unit)| {
                (
                    index,
                    unit.partition(index, event, detection, self.partitions),
                )
            })
            .collect()
    }
}

impl Unit {
    fn partition(
        &self,
        index: usize,
        event: &Event,
        detection: &Detection,
        partitions: u32,
    ) -> u32 {
        let mut hash = Fnv::default();
        hash.write(self.name.as_bytes());
        hash.write(&(index as u64).to_le_bytes());
        if let Some(grouping) = &self.grouping {
            let names = grouping
                .rules
                .iter()
                .find(|(id, _)| *id == *detection_key(detection))
                .map(|(id, name)| (id.as_str(), name.as_deref()));
            for g in &grouping.group_by {
                // The field this rule's events carry the value in, as the
                // engine reads it (aliases per referenced rule).
                let field = names
                    .and_then(|(id, name)| {
                        grouping.aliases.iter().find(|(alias, rule, _)| {
                            alias == g && (rule == id || Some(rule.as_str()) == name)
                        })
                    })
                    .map_or(g.as_str(), |(_, _, field)| field.as_str());
                match event.get(field) {
                    None | Some(FieldValue::Null) => hash.write(&[0]),
                    Some(FieldValue::Str(s)) => {
                        hash.write(&[1]);
                        hash.write(s.as_bytes());
                    }
                    Some(other) => {
                        hash.write(&[1]);
                        hash.write(other.to_string().as_bytes());
                    }
                }
                hash.write(&[0x1f]);
            }
        }
        (hash.0 % u64::from(partitions)) as u32
    }
}

/// What identifies a detection's rule: its id, else its title.
fn detection_key(d: &Detection) -> &str {
    if d.rule_id.is_empty() {
        &d.rule_title
    } else {
        &d.rule_id
    }
}

/// What identifies a rule: its id, else its title.
fn rule_id(meta: &RuleMeta) -> String {
    if meta.id.is_empty() {
        meta.title.to_string()
    } else {
        meta.id.to_string()
    }
}

/// FNV-1a, 64 bits: stable across builds and machines, which the
/// partitioning must be (every worker must agree).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::{TimeZone, Utc};
    use vigil_event::{Event, FieldValue};
    use vigil_sigma::{RuleSetBuilder, RuleSetOptions};

    use super::*;

    const RULES: &str = r#"
title: Failed logon
id: 0b6f5a10-0000-4000-8000-000000000001
name: failed
logsource: { product: windows, service: security }
detection:
    selection: { EventID: 4625 }
    condition: selection
---
title: Guessing
id: 0b6f5a10-0000-4000-8000-000000000002
correlation:
    type: event_count
    rules: [failed]
    group-by: [Account]
    aliases:
        Account:
            failed: TargetUserName
    timespan: 5m
    condition: { gte: 3 }
---
title: Spraying
id: 0b6f5a10-0000-4000-8000-000000000003
name: spraying
correlation:
    type: value_count
    rules: [failed]
    group-by: [IpAddress]
    timespan: 5m
    condition: { gte: 3, field: TargetUserName }
---
title: Spraying again and again
id: 0b6f5a10-0000-4000-8000-000000000004
correlation:
    type: event_count
    rules: [spraying]
    group-by: [IpAddress]
    timespan: 1h
    condition: { gte: 2 }
"#;

    fn failure(user: &str, address: &str, second: i64) -> Event {
        let mut event = Event::new("Security.evtx");
        event.product = Some("windows");
        event.timestamp = Some(Utc.timestamp_opt(1_700_000_000 + second, 0).unwrap());
        event.insert("Channel", FieldValue::from("Security"));
        event.insert("EventID", FieldValue::Int(4625));
        event.insert("TargetUserName", FieldValue::from(user));
        event.insert("IpAddress", FieldValue::from(address));
        event
    }

    #[test]
    fn each_correlation_is_a_unit_and_its_groups_keep_to_one_partition() {
        let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
        builder.add_text(Path::new("rules.yml"), RULES);
        let (rules, report) = builder.build();
        let metas: Vec<_> = rules.rules().iter().map(|r| (*r.meta).clone()).collect();
        let (units, errors) = Units::build(&report.correlations, &metas, 16);
        assert!(errors.is_empty(), "{errors:?}");
        // Guessing alone; spraying with the chain over it.
        assert_eq!(units.units.len(), 2);

        let route = |user: &str, address: &str, second: i64| {
            let event = failure(user, address, second);
            let mut found = Vec::new();
            rules.detect(&event, &mut found);
            assert_eq!(found.len(), 1);
            units.routes(&event, &found[0])
        };
        let first = route("alice", "10.0.0.1", 0);
        assert_eq!(first.len(), 2, "one failure feeds both units");
        // The same account from elsewhere, later: the same partition for
        // the unit grouped by account (through its alias).
        let later = route("alice", "10.0.0.9", 90);
        assert_eq!(first[0], later[0]);
        // A chain stays on one partition whatever the values.
        assert_eq!(first[1], later[1]);
        // Accounts spread over the partitions.
        let spread: HashSet<u32> = (0..64)
            .map(|n| route(&format!("user{n}"), "10.0.0.1", 0)[0].1)
            .collect();
        assert!(
            spread.len() > 8,
            "64 accounts on {} partitions",
            spread.len()
        );
    }
}
