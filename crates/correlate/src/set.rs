//! The loaded correlations, their references resolved to rules, and the
//! routes along which detections reach them.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use vigil_event::Detection;
use vigil_sigma::{CorrelationRule, RuleMeta};

use crate::rule::{Correlation, Slot, Source};

/// A correlation that could not be loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CorrelationError {
    pub path: PathBuf,
    /// The correlation's title (or id, or name).
    pub rule: String,
    pub reason: String,
}

impl fmt::Display for CorrelationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: correlation '{}': {}",
            self.path.display(),
            self.rule,
            self.reason
        )
    }
}

/// Where a detection goes: a correlation and the slot of its `rules` list.
pub(crate) type Route = (usize, usize);

/// Correlation rules ready to run, with the detection rules they refer to.
#[derive(Debug, Default)]
pub struct CorrelationSet {
    pub(crate) correlations: Vec<Correlation>,
    /// Base detections by rule key (see [`rule_key`]) → where they go.
    pub(crate) base_routes: HashMap<Arc<str>, Vec<Route>>,
    /// Per correlation: the correlations its own detections feed.
    pub(crate) chained_routes: Vec<Vec<Route>>,
    suppressed: HashSet<Arc<str>>,
}

/// What identifies a rule's detections: its id, or its title when it has none.
fn rule_key<'r>(id: &'r str, title: &'r str) -> &'r str {
    if id.is_empty() {
        title
    } else {
        id
    }
}

impl CorrelationSet {
    /// Checks the correlations read from rule files and resolves their
    /// `rules` against the detection rules loaded beside them (by `id` or
    /// `name`) and against each other (chains). A correlation that cannot
    /// be used gives an error naming its file and the reason; the others
    /// still load. A correlation that refers to a failed one fails too.
    pub fn build(
        correlations: &[(PathBuf, CorrelationRule)],
        base_rules: &[RuleMeta],
    ) -> (CorrelationSet, Vec<CorrelationError>) {
        let mut errors = Vec::new();
        let mut checked: Vec<Option<Correlation>> = correlations
            .iter()
            .map(
                |(path, rule)| match Correlation::check(path.clone(), rule) {
                    Ok(c) => Some(c),
                    Err(reason) => {
                        errors.push(error(path, rule, reason));
                        None
                    }
                },
            )
            .collect();

        // References: detection rules first (id, then name), then correlations.
        let mut base_by_ref: HashMap<&str, usize> = HashMap::new();
        for (i, meta) in base_rules.iter().enumerate().rev() {
            if let Some(name) = &meta.name {
                base_by_ref.insert(name, i);
            }
        }
        for (i, meta) in base_rules.iter().enumerate().rev() {
            if !meta.id.is_empty() {
                base_by_ref.insert(&meta.id, i);
            }
        }
        for index in 0..checked.len() {
            let Some(c) = &checked[index] else { continue };
            let rule = &correlations[index].1;
            let mut slots = Vec::new();
            let mut problem = None;
            for reference in &rule.definition.rules {
                let source = if let Some(&b) = base_by_ref.get(reference.as_str()) {
                    Some(Source::Base(b))
                } else {
                    correlations
                        .iter()
                        .enumerate()
                        .find(|(j, (_, other))| {
                            *j != index
                                && ((!other.id.is_empty() && &other.id == reference)
                                    || other.definition.name.as_deref() == Some(reference))
                        })
                        .map(|(j, _)| Source::Correlation(j))
                };
                match source {
                    Some(source) => slots.push(Slot {
                        reference: reference.clone(),
                        source,
                        group_fields: Vec::new(),
                    }),
                    None => {
                        problem = Some(format!(
                            "references rule '{reference}', which is not loaded \
                             (no detection or correlation rule has that id or name)"
                        ));
                        break;
                    }
                }
            }
            if problem.is_none() {
                problem = resolve_aliases(c, rule, &mut slots, base_rules, correlations).err();
            }
            match problem {
                Some(reason) => {
                    errors.push(error(&correlations[index].0, rule, reason));
                    checked[index] = None;
                }
                None => {
                    let c = checked[index].as_mut().expect("checked above");
                    c.host_group = (0..c.group_by.len()).find(|&p| {
                        slots
                            .iter()
                            .all(|s| s.group_fields[p].eq_ignore_ascii_case("Computer"))
                    });
                    c.slots = slots;
                }
            }
        }

        // A correlation in a cycle, or resting on one that failed, cannot run.
        loop {
            let mut changed = false;
            for index in 0..checked.len() {
                let Some(c) = &checked[index] else { continue };
                let reason = c.slots.iter().find_map(|s| match s.source {
                    Source::Correlation(j) if checked[j].is_none() => Some(format!(
                        "references correlation '{}', which could not be loaded",
                        s.reference
                    )),
                    Source::Correlation(_) if reaches(&checked, index, index) => Some(format!(
                        "references '{}', which leads back to this correlation (a cycle)",
                        s.reference
                    )),
                    _ => None,
                });
                if let Some(reason) = reason {
                    errors.push(error(
                        &correlations[index].0,
                        &correlations[index].1,
                        reason,
                    ));
                    checked[index] = None;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }

        // Renumber the loaded correlations and lay out routes.
        let mut new_index = vec![usize::MAX; checked.len()];
        let mut loaded = Vec::new();
        for (i, c) in checked.into_iter().enumerate() {
            if let Some(c) = c {
                new_index[i] = loaded.len();
                loaded.push(c);
            }
        }
        let mut set = CorrelationSet {
            chained_routes: vec![Vec::new(); loaded.len()],
            ..Default::default()
        };
        // Per rule: referenced at all, and whether some referrer wants it output.
        let mut base_generate: HashMap<usize, bool> = HashMap::new();
        let mut chained_generate: HashMap<usize, bool> = HashMap::new();
        for (ci, c) in loaded.iter_mut().enumerate() {
            for (si, slot) in c.slots.iter_mut().enumerate() {
                match &mut slot.source {
                    Source::Base(b) => {
                        let meta = &base_rules[*b];
                        set.base_routes
                            .entry(rule_key(&meta.id, &meta.title).into())
                            .or_default()
                            .push((ci, si));
                        *base_generate.entry(*b).or_default() |= c.generate;
                    }
                    Source::Correlation(j) => {
                        *j = new_index[*j];
                        set.chained_routes[*j].push((ci, si));
                        *chained_generate.entry(*j).or_default() |= c.generate;
                    }
                }
            }
        }
        for (b, generate) in base_generate {
            if !generate {
                let meta = &base_rules[b];
                set.suppressed
                    .insert(rule_key(&meta.id, &meta.title).into());
            }
        }
        for (j, generate) in chained_generate {
            loaded[j].emit = generate;
        }
        // One event may match a rule listed twice; later slots first, so that
        // it cannot complete two steps of an ordered sequence at once.
        for routes in set
            .base_routes
            .values_mut()
            .chain(set.chained_routes.iter_mut())
        {
            routes.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        }
        set.correlations = loaded;
        (set, errors)
    }

    pub fn is_empty(&self) -> bool {
        self.correlations.is_empty()
    }

    pub fn len(&self) -> usize {
        self.correlations.len()
    }

    /// The rule ids (or titles, for rules without an id) whose detections are
    /// not to be output on their own: every correlation that refers to them
    /// leaves `generate` false, the specification's default.
    pub fn suppressed_rules(&self) -> &HashSet<Arc<str>> {
        &self.suppressed
    }

    /// Whether a base detection is only input to correlations and not to be
    /// output on its own.
    pub fn suppresses(&self, detection: &Detection) -> bool {
        self.suppressed
            .contains(rule_key(&detection.rule_id, &detection.rule_title))
    }

    /// Whether a detection is one that some correlation listens to.
    pub fn wants(&self, detection: &Detection) -> bool {
        self.base_routes
            .contains_key(rule_key(&detection.rule_id, &detection.rule_title))
    }

    /// How far back, in milliseconds of event time, an event can still
    /// count towards a correlation: the sum of every timespan, which bounds
    /// any chain. A live reader that must rebuild the state after a restart
    /// keeps the inputs of this much time.
    pub fn horizon_ms(&self) -> i64 {
        self.correlations.iter().map(|c| c.timespan_ms).sum()
    }

    /// The event fields the correlations fed by `detection` read: the
    /// group-by fields (through aliases) and the aggregated fields. A caller
    /// that holds detections back for a later, time-ordered pass keeps only
    /// these fields of each event (plus its host, time and record id).
    pub fn event_fields(&self, detection: &Detection) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for &(ci, slot) in self.routes_for(detection) {
            let c = &self.correlations[ci];
            names.extend(c.slots[slot].group_fields.iter().map(String::as_str));
            names.extend(c.fields.iter().map(String::as_str));
        }
        names.sort_unstable();
        names.dedup();
        names
    }

    pub(crate) fn routes_for(&self, detection: &Detection) -> &[Route] {
        self.base_routes
            .get(rule_key(&detection.rule_id, &detection.rule_title))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The title and file of each loaded correlation, in load order.
    pub fn titles(&self) -> impl Iterator<Item = (&str, &std::path::Path)> {
        self.correlations
            .iter()
            .map(|c| (&*c.title, c.path.as_path()))
    }
}

fn error(path: &std::path::Path, rule: &CorrelationRule, reason: String) -> CorrelationError {
    let label = [rule.title.as_str(), rule.id.as_str()]
        .into_iter()
        .find(|s| !s.is_empty())
        .or(rule.definition.name.as_deref())
        .unwrap_or("(untitled)");
    CorrelationError {
        path: path.to_path_buf(),
        rule: label.to_string(),
        reason,
    }
}

/// Whether `from` reaches `target` through correlation references.
fn reaches(checked: &[Option<Correlation>], from: usize, target: usize) -> bool {
    let mut stack = vec![from];
    let mut seen = HashSet::new();
    while let Some(i) = stack.pop() {
        let Some(c) = &checked[i] else { continue };
        for slot in &c.slots {
            if let Source::Correlation(j) = slot.source {
                if j == target {
                    return true;
                }
                if seen.insert(j) {
                    stack.push(j);
                }
            }
        }
    }
    false
}

/// Fills each slot's group-by fields: an alias names, per referenced rule,
/// the field that holds the aliased value in that rule's events.
fn resolve_aliases(
    c: &Correlation,
    rule: &CorrelationRule,
    slots: &mut [Slot],
    base_rules: &[RuleMeta],
    correlations: &[(PathBuf, CorrelationRule)],
) -> Result<(), String> {
    for (alias, per_rule) in &rule.definition.aliases {
        for (named, _) in per_rule {
            let known = slots
                .iter()
                .any(|s| slot_known_as(s, named, base_rules, correlations));
            if !known {
                return Err(format!(
                    "alias '{alias}' names rule '{named}', which this correlation does not reference"
                ));
            }
        }
    }
    for slot in slots.iter_mut() {
        slot.group_fields = c
            .group_by
            .iter()
            .map(|g| {
                rule.definition
                    .aliases
                    .iter()
                    .find(|(alias, _)| alias == g)
                    .and_then(|(_, per_rule)| {
                        per_rule
                            .iter()
                            .find(|(named, _)| slot_known_as(slot, named, base_rules, correlations))
                    })
                    .map(|(_, field)| field.clone())
                    .unwrap_or_else(|| g.clone())
            })
            .collect();
    }
    Ok(())
}

fn slot_known_as(
    slot: &Slot,
    reference: &str,
    base_rules: &[RuleMeta],
    correlations: &[(PathBuf, CorrelationRule)],
) -> bool {
    if slot.reference == reference {
        return true;
    }
    match slot.source {
        Source::Base(b) => {
            let meta = &base_rules[b];
            meta.id == reference || meta.name.as_deref() == Some(reference)
        }
        Source::Correlation(j) => {
            let other = &correlations[j].1;
            (!other.id.is_empty() && other.id == reference)
                || other.definition.name.as_deref() == Some(reference)
        }
    }
}
