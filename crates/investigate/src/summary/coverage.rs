//! What a run read, by kind of event, and which rules could apply to none of it.

use std::collections::BTreeMap;

use vigil_sigma::RuleSet;
use vigil_sources::FileReport;

use super::HuntSummary;

/// How many kinds, or groups of rules, are listed before only counting.
const LISTED_KINDS: usize = 12;

/// Rules that could apply to nothing are named one by one up to this many;
/// beyond it, counted by the kind of log they are for.
const NAMED_RULES: usize = 10;

/// The events read of one kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Kind {
    pub product: Option<&'static str>,
    pub channel: Option<String>,
}

/// The events of one product, and how many of them each channel had.
type ProductTally<'a> = (u64, Vec<(u64, &'a str)>);

/// What was read, by shape and by kind, and the rules that met none of it.
#[derive(Debug, Default)]
pub struct Coverage {
    pub by_shape: BTreeMap<&'static str, u64>,
    pub by_kind: BTreeMap<Kind, u64>,
    /// Events of no known product, and where the first one is.
    pub unknown: u64,
    pub unknown_example: Option<String>,
    /// The rules that could apply to nothing read: per kind of log
    /// (`windows/process_creation`), the titles.
    pub rules_for_nothing: BTreeMap<String, Vec<String>>,
}

impl HuntSummary {
    /// Adds what one file gave to the run's tally.
    pub fn count_kinds(&mut self, report: FileReport) {
        self.events += report.events;
        let coverage = &mut self.coverage;
        for kind in report.kinds {
            *coverage
                .by_shape
                .entry(kind.shape.unwrap_or("unnamed"))
                .or_default() += kind.events;
            if kind.product.is_none() {
                coverage.unknown += kind.events;
            }
            let key = Kind {
                product: kind.product,
                channel: kind.channel,
            };
            *coverage.by_kind.entry(key).or_default() += kind.events;
        }
        if coverage.unknown_example.is_none() {
            coverage.unknown_example = report.unknown_example;
        }
    }

    /// Finds the rules that none of the kinds read could meet.
    pub fn find_rules_for_nothing(&mut self, rules: &RuleSet) {
        let kinds: Vec<(Option<&str>, Option<&str>)> = (self.coverage.by_kind.keys())
            .map(|kind| (kind.product, kind.channel.as_deref()))
            .collect();
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for rule in rules.rules_for_nothing(&kinds) {
            (groups.entry(rule.scope.describe()).or_default()).push(rule.meta.title.clone());
        }
        self.coverage.rules_for_nothing = groups;
    }
}

impl Coverage {
    pub fn print(&self) {
        if self.by_shape.is_empty() {
            return;
        }
        let shapes: Vec<String> = (self.by_shape.iter())
            .map(|(shape, events)| format!("{events} {shape}"))
            .collect();
        eprintln!("shapes:     {}", shapes.join(", "));
        let mut by_product: BTreeMap<&str, ProductTally> = BTreeMap::new();
        for (kind, &events) in &self.by_kind {
            let product = kind.product.unwrap_or("unknown");
            let entry = by_product.entry(product).or_default();
            entry.0 += events;
            if let Some(channel) = &kind.channel {
                entry.1.push((events, channel));
            }
        }
        for (product, (events, mut channels)) in by_product {
            channels.sort_by(|a, b| b.cmp(a));
            let mut listed: Vec<String> = (channels.iter().take(LISTED_KINDS))
                .map(|(events, channel)| format!("{channel} {events}"))
                .collect();
            if channels.len() > LISTED_KINDS {
                listed.push(format!("{} more", channels.len() - LISTED_KINDS));
            }
            if listed.is_empty() {
                eprintln!("  {product}: {events} events");
            } else {
                eprintln!("  {product}: {events} events ({})", listed.join(", "));
            }
        }
        if self.unknown > 0 {
            eprintln!(
                "  {} events of a shape Vigil does not know: only rules that name no product ran on them",
                self.unknown
            );
            if let Some(example) = &self.unknown_example {
                eprintln!("    first: {example}");
            }
            eprintln!(
                "    to read them as what they are, describe the shape in a mapping file and pass --mapping FILE (docs/mapping.md)"
            );
        }
        self.print_rules_for_nothing();
    }

    fn print_rules_for_nothing(&self) {
        let total: usize = self.rules_for_nothing.values().map(Vec::len).sum();
        if total == 0 {
            return;
        }
        eprintln!("  {total} rules could apply to nothing that was read:");
        if total <= NAMED_RULES {
            for (kind, titles) in &self.rules_for_nothing {
                for title in titles {
                    eprintln!("    {kind}: {title}");
                }
            }
            return;
        }
        let mut groups: Vec<(usize, &String)> = (self.rules_for_nothing.iter())
            .map(|(kind, titles)| (titles.len(), kind))
            .collect();
        groups.sort_by(|a, b| b.cmp(a));
        let mut listed: Vec<String> = (groups.iter().take(LISTED_KINDS))
            .map(|(count, kind)| format!("{kind} {count}"))
            .collect();
        if groups.len() > LISTED_KINDS {
            listed.push(format!("{} more kinds", groups.len() - LISTED_KINDS));
        }
        eprintln!("    {}", listed.join(", "));
    }
}
