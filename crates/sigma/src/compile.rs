//! Compiling a parsed rule: logsource to an event scope, searches to checks,
//! the condition to a tree over compiled searches.

use std::collections::HashMap;
use std::sync::Arc;

use yaml_serde::Value;

use crate::condition::{self, ConditionExpr, OfTarget, Quantifier};
use crate::document::{DetectionRule, FilterRule, RuleMeta};
use crate::eval::EventView;
use crate::logsource::{LogSource, LogSourceTable, Resolved};
use crate::search::{compile_search, Check, FieldRef, Search, SearchContext};

/// A condition over the compiled searches of one rule.
#[derive(Debug, Clone)]
pub enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Search(usize),
    AtLeast(usize, Vec<Cond>),
}

impl Cond {
    pub fn eval(&self, view: &EventView, searches: &[Search]) -> bool {
        match self {
            Cond::And(items) => items.iter().all(|c| c.eval(view, searches)),
            Cond::Or(items) => items.iter().any(|c| c.eval(view, searches)),
            Cond::Not(inner) => !inner.eval(view, searches),
            Cond::Search(i) => view.search(&searches[*i]),
            Cond::AtLeast(n, items) => {
                let mut hits = 0;
                for item in items {
                    if item.eval(view, searches) {
                        hits += 1;
                        if hits >= *n {
                            return true;
                        }
                    }
                }
                false
            }
        }
    }
}

/// Which events a rule applies to, from its logsource.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub product: Option<String>,
    pub variants: Vec<ScopeVariant>,
    /// The rule names a category or service but no product (`category:
    /// webserver`): it is for logs of that kind, not for the events of a
    /// known product such as Windows event logs.
    pub productless_kind: bool,
    /// The rule's logsource as written, to name the kind of log it is for.
    pub logsource: LogSource,
}

#[derive(Debug, Clone)]
pub struct ScopeVariant {
    /// The product the variant's events are of, when the rule names none
    /// (lower-cased).
    pub product: Option<String>,
    /// Lower-cased channel names; empty means any.
    pub channels: Vec<String>,
    pub event_ids: Vec<i64>,
    pub conditions: Vec<(String, String)>,
}

impl ScopeVariant {
    /// Whether the variant is for events of `product`: a variant that names
    /// no product is for the rule's own.
    fn admits_product(&self, product: Option<&str>) -> bool {
        match &self.product {
            None => true,
            Some(own) => product.is_some_and(|p| own.eq_ignore_ascii_case(p)),
        }
    }
}

impl Scope {
    fn from_resolved(resolved: &Resolved, logsource: &LogSource) -> Scope {
        Scope {
            productless_kind: resolved.product.is_none()
                && resolved.variants.is_empty()
                && (logsource.category.is_some() || logsource.service.is_some()),
            product: resolved.product.clone(),
            logsource: logsource.clone(),
            variants: resolved
                .variants
                .iter()
                .map(|v| ScopeVariant {
                    product: v.product.as_deref().map(str::to_ascii_lowercase),
                    channels: v.channels.iter().map(|c| c.to_lowercase()).collect(),
                    event_ids: v.event_ids.clone(),
                    conditions: v.conditions.clone(),
                })
                .collect(),
        }
    }

    /// Whether an event of `product` and `channel` (as its reader gave them)
    /// can be of the kind the rule is written for, whatever its EventID and
    /// fields: a rule that none of the kinds read can meet could apply to
    /// nothing, which a summary says.
    pub fn could_admit(&self, product: Option<&str>, channel: Option<&str>) -> bool {
        if let Some(rule) = &self.product {
            if !product.is_some_and(|event| rule.eq_ignore_ascii_case(event)) {
                return false;
            }
        }
        if self.productless_kind && product.is_some() {
            return false;
        }
        if self.variants.is_empty() || (product.is_none() && self.product.is_none()) {
            return true;
        }
        self.variants.iter().any(|v| {
            v.admits_product(product)
                && channel.is_none_or(|channel| {
                    v.channels.is_empty()
                        || v.channels.iter().any(|c| c.eq_ignore_ascii_case(channel))
                })
        })
    }

    /// Whether events of `product` (`None`: of a product no rule names)
    /// can be of the rule's kind: what routes the rule to them.
    pub fn may_be_of(&self, product: Option<&str>) -> bool {
        match (&self.product, product) {
            (Some(rule), Some(product)) => rule.eq_ignore_ascii_case(product),
            (Some(_), None) => false,
            (None, _) if self.productless_kind => false,
            (None, product) => {
                self.variants.iter().all(|v| v.product.is_none())
                    || self.variants.iter().any(|v| v.admits_product(product))
            }
        }
    }

    /// The kind of log the rule is for, as its logsource names it:
    /// `windows/process_creation`, `zeek/dns`, `webserver`, or `any`.
    pub fn describe(&self) -> String {
        let ls = &self.logsource;
        let parts: Vec<&str> = [&ls.product, &ls.category, &ls.service]
            .into_iter()
            .filter_map(|part| part.as_deref())
            .collect();
        if parts.is_empty() {
            "any".to_string()
        } else {
            parts.join("/")
        }
    }

    /// Whether an event is of a kind the rule is written for. A rule that
    /// names a product runs only on events known to be of it: an event whose
    /// reader could not say its product (JSON of a shape Vigil does not
    /// know) is never taken for a Windows event or a Cisco log on the
    /// strength of a field name. An event of a known product that does not
    /// say its channel or EventID is not excluded by them: the detection
    /// logic still has to match.
    pub fn admits(&self, view: &EventView) -> bool {
        let event = view.event;
        if let Some(rule) = &self.product {
            if !event
                .product
                .is_some_and(|event| rule.eq_ignore_ascii_case(event))
            {
                return false;
            }
        }
        if self.productless_kind && event.product.is_some() {
            return false;
        }
        // A rule that names no product is for events of unknown product as
        // it always was; its variants say which known products' logs it
        // is for too.
        if self.variants.is_empty() || (event.product.is_none() && self.product.is_none()) {
            return true;
        }
        let channel = view.channel();
        let event_id = view.event_id();
        self.variants.iter().any(|v| {
            if !v.admits_product(event.product) {
                return false;
            }
            let channel_ok = match channel {
                Some(c) if !v.channels.is_empty() => v.channels.iter().any(|x| x == c),
                _ => true,
            };
            let id_ok = match event_id {
                Some(id) if !v.event_ids.is_empty() => v.event_ids.contains(&id),
                _ => true,
            };
            channel_ok
                && id_ok
                && v.conditions.iter().all(|(field, value)| {
                    view.field(field).is_some_and(|x| match x.as_str() {
                        Some(text) => text.eq_ignore_ascii_case(value),
                        None => x.to_string().eq_ignore_ascii_case(value),
                    })
                })
        })
    }
}

/// A detection rule ready to match.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub meta: Arc<RuleMeta>,
    pub tags: Arc<[String]>,
    pub path: Arc<str>,
    pub scope: Scope,
    pub searches: Vec<Search>,
    pub condition: Cond,
    /// Fields the rule looks at, reported with each detection.
    pub detail_fields: Vec<FieldRef>,
    /// Global filters that apply to this rule (indices into the ruleset's filters).
    pub filters: Vec<usize>,
    /// Field aliases of the rule's logsource, for compiling filters against it.
    pub aliases: Arc<HashMap<String, Vec<String>>>,
}

impl CompiledRule {
    pub fn matches(&self, view: &EventView) -> bool {
        self.scope.admits(view) && self.condition.eval(view, &self.searches)
    }
}

/// A global filter ready to match.
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    pub id: String,
    pub title: String,
    pub rules: Vec<String>,
    pub searches: Vec<Search>,
    pub condition: Cond,
}

pub struct CompileOptions<'a> {
    pub logsources: &'a LogSourceTable,
    pub placeholders: &'a HashMap<String, Vec<String>>,
}

pub fn compile_rule(
    rule: &DetectionRule,
    path: &str,
    options: &CompileOptions,
) -> Result<CompiledRule, String> {
    let resolved = options.logsources.resolve(&rule.logsource);
    let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
    for variant in &resolved.variants {
        for (sigma, other) in &variant.fields {
            let entry = aliases.entry(sigma.clone()).or_default();
            if !entry.contains(other) {
                entry.push(other.clone());
            }
        }
    }
    let ctx = SearchContext {
        aliases: &aliases,
        placeholders: options.placeholders,
    };
    let (names, searches) = compile_searches(&rule.searches, &ctx)?;
    let condition = compile_conditions(&rule.conditions, &names)?;
    let mut detail_fields: Vec<FieldRef> = Vec::new();
    for search in &searches {
        for checks in &search.alternatives {
            for check in checks {
                if let Check::Field { field, .. } | Check::Exists { field, .. } = check {
                    if !detail_fields.iter().any(|f| f.name() == field.name()) {
                        detail_fields.push(field.clone());
                    }
                }
            }
        }
    }
    Ok(CompiledRule {
        tags: rule.meta.tags.clone().into(),
        meta: Arc::new(rule.meta.clone()),
        path: path.into(),
        scope: Scope::from_resolved(&resolved, &rule.logsource),
        searches,
        condition,
        detail_fields,
        filters: Vec::new(),
        aliases: Arc::new(aliases),
    })
}

pub fn compile_filter(
    filter: &FilterRule,
    options: &CompileOptions,
) -> Result<CompiledFilter, String> {
    let resolved = options.logsources.resolve(&filter.logsource);
    let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
    for variant in &resolved.variants {
        for (sigma, other) in &variant.fields {
            aliases
                .entry(sigma.clone())
                .or_default()
                .push(other.clone());
        }
    }
    let ctx = SearchContext {
        aliases: &aliases,
        placeholders: options.placeholders,
    };
    let (names, searches) = compile_searches(&filter.searches, &ctx)?;
    let condition = compile_conditions(&filter.conditions, &names)?;
    Ok(CompiledFilter {
        id: filter.id.clone(),
        title: filter.title.clone(),
        rules: filter.rules.clone(),
        searches,
        condition,
    })
}

fn compile_searches(
    raw: &[(String, Value)],
    ctx: &SearchContext,
) -> Result<(Vec<String>, Vec<Search>), String> {
    let mut names = Vec::with_capacity(raw.len());
    let mut searches = Vec::with_capacity(raw.len());
    for (name, value) in raw {
        let search = compile_search(value, ctx).map_err(|e| format!("search '{name}': {e}"))?;
        names.push(name.clone());
        searches.push(search);
    }
    Ok((names, searches))
}

fn compile_conditions(conditions: &[String], names: &[String]) -> Result<Cond, String> {
    let mut compiled = Vec::with_capacity(conditions.len());
    for text in conditions {
        let expr = condition::parse(text).map_err(|e| format!("condition '{text}': {e}"))?;
        compiled.push(resolve(&expr, names).map_err(|e| format!("condition '{text}': {e}"))?);
    }
    Ok(if compiled.len() == 1 {
        compiled.remove(0)
    } else {
        Cond::Or(compiled)
    })
}

fn resolve(expr: &ConditionExpr, names: &[String]) -> Result<Cond, String> {
    Ok(match expr {
        ConditionExpr::And(a, b) => Cond::And(vec![resolve(a, names)?, resolve(b, names)?]),
        ConditionExpr::Or(a, b) => Cond::Or(vec![resolve(a, names)?, resolve(b, names)?]),
        ConditionExpr::Not(a) => Cond::Not(Box::new(resolve(a, names)?)),
        ConditionExpr::Search(name) => Cond::Search(
            names
                .iter()
                .position(|n| n == name)
                .ok_or_else(|| format!("no search identifier named '{name}'"))?,
        ),
        ConditionExpr::Of { quantifier, target } => {
            let selected: Vec<Cond> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| match target {
                    OfTarget::Them => !n.starts_with('_'),
                    OfTarget::Pattern(p) => name_matches(p, n),
                })
                .map(|(i, _)| Cond::Search(i))
                .collect();
            if selected.is_empty() {
                return Err(match target {
                    OfTarget::Them => "'of them' but there are no search identifiers".into(),
                    OfTarget::Pattern(p) => format!("no search identifier matches '{p}'"),
                });
            }
            match quantifier {
                Quantifier::All => Cond::And(selected),
                Quantifier::AtLeast(1) => Cond::Or(selected),
                Quantifier::AtLeast(n) => Cond::AtLeast(*n, selected),
            }
        }
    })
}

/// Matches a search identifier name against a pattern with `*` wildcards.
fn name_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(pos) = rest.find(part) {
            rest = &rest[pos + part.len()..];
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::name_matches;

    #[test]
    fn identifier_patterns() {
        assert!(name_matches("selection*", "selection_img"));
        assert!(name_matches("selection*", "selection"));
        assert!(name_matches("*_img", "selection_img"));
        assert!(name_matches("sel*_*", "sel_a_b"));
        assert!(!name_matches("filter*", "selection"));
        assert!(name_matches("a", "a"));
    }
}
