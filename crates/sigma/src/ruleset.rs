//! Loading a ruleset from folders and built-in texts, and matching events
//! against it.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use foldhash::fast::FixedState;
use rayon::prelude::*;

use vigil_event::{Detection, Event};

use crate::compile::{
    compile_filter, compile_rule, CompileOptions, CompiledFilter, CompiledRule, Scope,
};
use crate::document::{parse_documents, CorrelationRule, Document};
use crate::eval::EventView;
use crate::logsource::LogSourceTable;
use crate::prefilter::Prefilter;

/// A rule file or document that could not be used, and why.
#[derive(Debug, Clone)]
pub struct RuleError {
    pub path: PathBuf,
    /// The rule's title (or id) when it got that far.
    pub rule: Option<String>,
    pub reason: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rule {
            Some(rule) => write!(
                f,
                "{}: rule '{}': {}",
                self.path.display(),
                rule,
                self.reason
            ),
            None => write!(f, "{}: {}", self.path.display(), self.reason),
        }
    }
}

/// What loading found: counts, refusals with reasons, and the correlation
/// rules that were read but are not evaluated yet.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub files: usize,
    pub rules: usize,
    pub filters: usize,
    pub failed: Vec<RuleError>,
    pub correlations: Vec<(PathBuf, CorrelationRule)>,
    /// Filters whose `rules` named no loaded rule.
    pub unused_filters: Vec<String>,
}

/// Options for building a ruleset.
#[derive(Debug, Clone)]
pub struct RuleSetOptions {
    pub logsources: LogSourceTable,
    /// Values for `%placeholder%` names used with the `expand` modifier.
    pub placeholders: HashMap<String, Vec<String>>,
}

impl Default for RuleSetOptions {
    fn default() -> Self {
        RuleSetOptions {
            logsources: LogSourceTable::builtin(),
            placeholders: HashMap::new(),
        }
    }
}

/// Collects rule texts and compiles them into a [`RuleSet`].
pub struct RuleSetBuilder {
    options: RuleSetOptions,
    rules: Vec<CompiledRule>,
    filters: Vec<CompiledFilter>,
    report: LoadReport,
}

impl RuleSetBuilder {
    pub fn new(options: RuleSetOptions) -> Self {
        RuleSetBuilder {
            options,
            rules: Vec::new(),
            filters: Vec::new(),
            report: LoadReport::default(),
        }
    }

    /// Adds every `.yml`/`.yaml` file under a folder (or the file itself).
    pub fn add_path(&mut self, path: &Path) {
        if path.is_file() {
            self.add_file(path);
            return;
        }
        if !path.exists() {
            self.report.failed.push(RuleError {
                path: path.to_path_buf(),
                rule: None,
                reason: "no such file or folder".into(),
            });
            return;
        }
        let mut files: Vec<PathBuf> = Vec::new();
        for entry in walkdir::WalkDir::new(path).follow_links(true) {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    let p = e.path();
                    if matches!(p.extension().and_then(|x| x.to_str()), Some("yml" | "yaml")) {
                        files.push(p.to_path_buf());
                    }
                }
                Ok(_) => {}
                Err(e) => self.report.failed.push(RuleError {
                    path: e.path().unwrap_or(path).to_path_buf(),
                    rule: None,
                    reason: format!("cannot read: {e}"),
                }),
            }
        }
        files.sort();
        // Parsing and compiling dominate loading and each file is independent:
        // do them in parallel, then record the outcomes in file order.
        let options = CompileOptions {
            logsources: &self.options.logsources,
            placeholders: &self.options.placeholders,
        };
        let outcomes: Vec<_> = files
            .par_iter()
            .map(|file| match read_rule_file(file) {
                Ok(text) => compile_file(file, &text, &options),
                Err(reason) => vec![Outcome::Failed(RuleError {
                    path: file.clone(),
                    rule: None,
                    reason,
                })],
            })
            .collect();
        for outcome in outcomes {
            self.record(outcome);
        }
    }

    fn add_file(&mut self, path: &Path) {
        match read_rule_file(path) {
            Ok(text) => self.add_text(path, &text),
            Err(reason) => {
                self.report.files += 1;
                self.report.failed.push(RuleError {
                    path: path.to_path_buf(),
                    rule: None,
                    reason,
                });
            }
        }
    }

    /// Adds the documents of one rule file given as text; `path` names it
    /// in errors and detections.
    pub fn add_text(&mut self, path: &Path, text: &str) {
        let options = CompileOptions {
            logsources: &self.options.logsources,
            placeholders: &self.options.placeholders,
        };
        let outcome = compile_file(path, text, &options);
        self.record(outcome);
    }

    /// Records what one file gave.
    fn record(&mut self, outcome: Vec<Outcome>) {
        self.report.files += 1;
        for item in outcome {
            match item {
                Outcome::Rule(rule) => {
                    self.rules.push(*rule);
                    self.report.rules += 1;
                }
                Outcome::Filter(filter) => {
                    self.filters.push(*filter);
                    self.report.filters += 1;
                }
                Outcome::Correlation(path, c) => self.report.correlations.push((path, c)),
                Outcome::Failed(error) => self.report.failed.push(error),
            }
        }
    }

    pub fn build(mut self) -> (RuleSet, LoadReport) {
        for (fi, filter) in self.filters.iter().enumerate() {
            let mut used = false;
            for rule in &mut self.rules {
                let named = filter.rules.is_empty()
                    || filter
                        .rules
                        .iter()
                        .any(|r| r == &rule.meta.id || r == &rule.meta.title);
                if named {
                    rule.filters.push(fi);
                    used = true;
                }
            }
            if !used {
                self.report.unused_filters.push(filter.title.clone());
            }
        }
        (RuleSet::new(self.rules, self.filters), self.report)
    }
}

/// The largest rule file read. SigmaHQ's largest is under 100 KiB; a file of
/// many megabytes is not a rule file, or is one built to make compiling
/// (and the prefilter's automata) take all memory.
pub const MAX_RULE_FILE: u64 = 16 << 20;

/// A rule file's text, unless it cannot be read or is larger than [`MAX_RULE_FILE`].
fn read_rule_file(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read: {e}"))?
        .len();
    if size > MAX_RULE_FILE {
        return Err(format!(
            "the file is {} MiB, more than the {} MiB a rule file may be; not read",
            size >> 20,
            MAX_RULE_FILE >> 20
        ));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))
}

/// What one document of a rule file gave.
enum Outcome {
    Rule(Box<CompiledRule>),
    Filter(Box<CompiledFilter>),
    Correlation(PathBuf, CorrelationRule),
    Failed(RuleError),
}

/// Parses and compiles the documents of one rule file.
fn compile_file(path: &Path, text: &str, options: &CompileOptions) -> Vec<Outcome> {
    let path_str: Arc<str> = path.display().to_string().into();
    let failed = |rule: Option<String>, reason: String| {
        Outcome::Failed(RuleError {
            path: path.to_path_buf(),
            rule,
            reason,
        })
    };
    parse_documents(text, path)
        .into_iter()
        .map(|document| match document {
            Err(reason) => failed(None, reason),
            Ok(Document::Detection(rule)) => match compile_rule(&rule, &path_str, options) {
                Ok(compiled) => Outcome::Rule(Box::new(compiled)),
                Err(reason) => failed(Some(rule.meta.title.clone()), reason),
            },
            Ok(Document::Filter(filter)) => match compile_filter(&filter, options) {
                Ok(compiled) => Outcome::Filter(Box::new(compiled)),
                Err(reason) => failed(Some(filter.title.clone()), reason),
            },
            Ok(Document::Correlation(c)) => Outcome::Correlation(path.to_path_buf(), c),
        })
        .collect()
}

/// A compiled ruleset, indexed by the product, channel and EventID each rule
/// applies to, and by the literals its fields need (see the `prefilter`
/// module).
pub struct RuleSet {
    rules: Vec<CompiledRule>,
    filters: Vec<CompiledFilter>,
    routes: ProductRoutes,
    prefilter: Prefilter,
}

/// Routes by the product an event is of: an event that names its product
/// (EVTX is `windows`) is never matched by rules written for another product,
/// nor by rules for a kind of log with no product (see [`Scope::admits`]),
/// so those are left out of its lists; an event that does not name its
/// product is matched only by rules that name none.
///
/// [`Scope::admits`]: crate::compile::Scope::admits
struct ProductRoutes {
    /// Lower-cased product a rule names → routes for events of it.
    by_product: HashMap<String, Routes, FixedState>,
    /// Routes for events of a product no rule names.
    other_product: Routes,
    /// Routes for events that do not say their product: the rules that
    /// name none.
    unknown: Routes,
}

impl ProductRoutes {
    fn new(rules: &[CompiledRule]) -> ProductRoutes {
        let mut products: Vec<String> = rules
            .iter()
            .flat_map(|r| {
                let variants = r.scope.variants.iter().filter_map(|v| v.product.clone());
                r.scope
                    .product
                    .as_deref()
                    .map(str::to_ascii_lowercase)
                    .into_iter()
                    .chain(variants)
            })
            .collect();
        products.sort();
        products.dedup();
        let by_product = products
            .into_iter()
            .map(|product| {
                let routes = Routes::new(rules, |scope| scope.may_be_of(Some(&product)));
                (product, routes)
            })
            .collect();
        ProductRoutes {
            by_product,
            other_product: Routes::new(rules, |scope| scope.may_be_of(None)),
            unknown: Routes::new(rules, |scope| scope.product.is_none()),
        }
    }

    fn for_event(&self, view: &EventView) -> &RuleList {
        let routes = match view.event.product {
            None => &self.unknown,
            Some(product) => self
                .by_product
                .get(product)
                .or_else(|| {
                    self.by_product
                        .iter()
                        .find(|(p, _)| p.eq_ignore_ascii_case(product))
                        .map(|(_, routes)| routes)
                })
                .unwrap_or(&self.other_product),
        };
        routes.for_event(view)
    }
}

/// The rules that may apply to an event of a channel and EventID, each list
/// in rule order.
struct Routes {
    /// Lower-cased channel → its rules.
    by_channel: HashMap<String, ChannelRoutes, FixedState>,
    /// Rules for a channel no rule names.
    any_channel: RuleList,
    /// Every rule, for events that do not say their channel.
    all: RuleList,
}

/// The rules that may apply to events of one channel.
struct ChannelRoutes {
    /// EventID → rules.
    by_id: HashMap<i64, RuleList, FixedState>,
    /// Rules for an EventID no rule names.
    other_id: RuleList,
    /// Rules for an event that has no EventID (which rules naming EventIDs
    /// do not exclude).
    without_id: RuleList,
}

impl Routes {
    /// Routes over the rules whose scope passes `kept`.
    fn new(rules: &[CompiledRule], kept: impl Fn(&Scope) -> bool) -> Routes {
        let mut any_channel = Vec::new();
        let mut all = Vec::new();
        let mut channel_any: HashMap<String, Vec<usize>> = HashMap::new();
        let mut channel_id: HashMap<String, HashMap<i64, Vec<usize>>> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            if !kept(&rule.scope) {
                continue;
            }
            all.push(i);
            let variants = &rule.scope.variants;
            if variants.is_empty() || variants.iter().any(|v| v.channels.is_empty()) {
                any_channel.push(i);
                continue;
            }
            for v in variants {
                for c in &v.channels {
                    if v.event_ids.is_empty() {
                        channel_any.entry(c.clone()).or_default().push(i);
                    } else {
                        let by_id = channel_id.entry(c.clone()).or_default();
                        for &id in &v.event_ids {
                            by_id.entry(id).or_default().push(i);
                        }
                    }
                }
            }
        }
        let merged = |parts: &[&[usize]]| {
            let mut list: Vec<usize> = parts.iter().flat_map(|p| p.iter().copied()).collect();
            list.sort_unstable();
            list.dedup();
            list
        };
        let mut channels: Vec<&String> = channel_any.keys().chain(channel_id.keys()).collect();
        channels.sort();
        channels.dedup();
        let list = |rules_of: Vec<usize>| RuleList::new(rules_of, rules.len());
        let by_channel = channels
            .into_iter()
            .map(|channel| {
                let own = channel_any.get(channel).map_or(&[][..], Vec::as_slice);
                let other_id = merged(&[own, &any_channel]);
                let ids = channel_id.get(channel);
                let with_ids: Vec<usize> = ids
                    .into_iter()
                    .flat_map(|m| m.values().flatten().copied())
                    .collect();
                let without_id = merged(&[&other_id, &with_ids]);
                let by_id = ids
                    .into_iter()
                    .flatten()
                    .map(|(&id, own)| {
                        let listed = merged(&[own, &other_id]);
                        (id, RuleList::of_kind(listed, rules, channel, id))
                    })
                    .collect();
                let routes = ChannelRoutes {
                    by_id,
                    other_id: list(other_id),
                    without_id: list(without_id),
                };
                (channel.clone(), routes)
            })
            .collect();
        Routes {
            by_channel,
            any_channel: list(any_channel),
            all: list(all),
        }
    }

    fn for_event(&self, view: &EventView) -> &RuleList {
        let Some(channel) = view.channel() else {
            return &self.all;
        };
        let Some(routes) = self.by_channel.get(channel) else {
            return &self.any_channel;
        };
        match view.event_id() {
            None => &routes.without_id,
            Some(id) => routes.by_id.get(&id).unwrap_or(&routes.other_id),
        }
    }
}

/// Rules that may apply to some kind of event: their indexes in rule order,
/// and a bit per rule of the set for the prefilter to intersect with what
/// it lets through.
pub(crate) struct RuleList {
    pub(crate) rules: Vec<usize>,
    pub(crate) bits: Box<[u64]>,
    /// A bit per rule whose scope every event routed here is of, so that it
    /// need not be checked again (empty when that is not known).
    in_scope: Box<[u64]>,
}

impl RuleList {
    fn new(rules: Vec<usize>, of: usize) -> RuleList {
        let bits = crate::prefilter::bits(rules.iter().copied(), of);
        RuleList {
            rules,
            bits,
            in_scope: Box::default(),
        }
    }

    /// A list for events of one channel and EventID, knowing which of its
    /// rules' scopes they are all of: a rule with a variant for that channel
    /// (or any) and that EventID (or any) and no further condition. (Events
    /// reach a list only with a product its rules allow.)
    fn of_kind(rules: Vec<usize>, all: &[CompiledRule], channel: &str, id: i64) -> RuleList {
        let sure = |rule: &CompiledRule| {
            let variants = &rule.scope.variants;
            variants.is_empty()
                || variants.iter().any(|v| {
                    (v.channels.is_empty() || v.channels.iter().any(|c| c == channel))
                        && (v.event_ids.is_empty() || v.event_ids.contains(&id))
                        && v.conditions.is_empty()
                })
        };
        let in_scope = (rules.iter().copied()).filter(|&rule| sure(&all[rule]));
        let in_scope = crate::prefilter::bits(in_scope, all.len());
        RuleList {
            in_scope,
            ..RuleList::new(rules, all.len())
        }
    }

    /// Whether every event routed here is of the rule's scope.
    fn in_scope(&self, rule: usize) -> bool {
        (self.in_scope.get(rule / 64)).is_some_and(|word| word & 1 << (rule % 64) != 0)
    }
}

impl RuleSet {
    fn new(rules: Vec<CompiledRule>, filters: Vec<CompiledFilter>) -> RuleSet {
        RuleSet {
            routes: ProductRoutes::new(&rules),
            prefilter: Prefilter::build(&rules),
            rules,
            filters,
        }
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// How many rules the literal prefilter can rule out, of how many.
    pub fn prefilter_coverage(&self) -> (usize, usize) {
        self.prefilter.coverage()
    }

    /// Matches one event, appending a detection per matching rule.
    pub fn detect(&self, event: &Event, out: &mut Vec<Detection>) {
        let view = EventView::new(event);
        let scoped = self.routes.for_event(&view);
        if !self.prefilter.worth_scanning(&scoped.rules) {
            for &i in &scoped.rules {
                self.try_rule(i, &view, scoped.in_scope(i), out);
            }
            return;
        }
        self.prefilter.with_candidates(&view, scoped, |admitted| {
            for i in admitted.rules() {
                self.try_rule(i, &view, scoped.in_scope(i), out);
            }
        });
    }

    /// The titles of the rules in scope the prefilter lets through for an
    /// event: what tests of its precision look at.
    #[cfg(test)]
    pub(crate) fn let_through(&self, event: &Event) -> Vec<String> {
        let view = EventView::new(event);
        let scoped = self.routes.for_event(&view);
        self.prefilter.with_candidates(&view, scoped, |admitted| {
            (admitted.rules())
                .map(|i| self.rules[i].meta.title.clone())
                .collect()
        })
    }

    /// The rules that could apply to none of the kinds of event given —
    /// (product, channel) pairs as readers gave them: a Windows rule when
    /// only Zeek logs were read, a Zeek `rdp` rule when no `rdp` log was.
    pub fn rules_for_nothing(&self, kinds: &[(Option<&str>, Option<&str>)]) -> Vec<&CompiledRule> {
        (self.rules.iter())
            .filter(|rule| {
                !(kinds.iter()).any(|(product, channel)| rule.scope.could_admit(*product, *channel))
            })
            .collect()
    }

    /// Matches one event without the literal prefilter: every rule in scope
    /// is evaluated. Gives the same detections as [`RuleSet::detect`], slower;
    /// tests use it to prove that.
    pub fn detect_unindexed(&self, event: &Event, out: &mut Vec<Detection>) {
        let view = EventView::new(event);
        self.each_scoped(&view, &mut |i| self.try_rule(i, &view, false, out));
    }

    /// Calls `each` with every rule that may apply to the event's channel and
    /// EventID, in rule order.
    fn each_scoped(&self, view: &EventView, each: &mut dyn FnMut(usize)) {
        self.routes
            .for_event(view)
            .rules
            .iter()
            .copied()
            .for_each(each);
    }

    /// Matches one rule; `in_scope` when the event is known to be of the
    /// rule's scope.
    fn try_rule(&self, index: usize, view: &EventView, in_scope: bool, out: &mut Vec<Detection>) {
        let rule = &self.rules[index];
        let matches = if in_scope {
            rule.condition.eval(view, &rule.searches)
        } else {
            rule.matches(view)
        };
        if !matches {
            return;
        }
        for &f in &rule.filters {
            let filter = &self.filters[f];
            if filter.condition.eval(view, &filter.searches) {
                return;
            }
        }
        out.push(detection(rule, view.event));
    }
}

fn detection(rule: &CompiledRule, event: &Event) -> Detection {
    let mut details = Vec::new();
    for field in &rule.detail_fields {
        if let Some((name, value)) = field
            .names
            .iter()
            .find_map(|n| event.index_of(n).and_then(|i| event.field_at(i)))
        {
            details.push((name.to_string(), value.to_string()));
        }
    }
    Detection {
        timestamp: event.timestamp,
        computer: event.computer().map(str::to_string),
        channel: event.channel().map(str::to_string),
        event_id: event.event_id(),
        record_id: event.record_id(),
        rule_id: rule.meta.id.as_str().into(),
        rule_title: rule.meta.title.as_str().into(),
        level: rule.meta.level,
        tags: rule.tags.clone(),
        source: event.source.clone(),
        details,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use vigil_event::{Event, FieldValue};

    use crate::{RuleSetBuilder, RuleSetOptions};

    /// A rule routed to the events of its channel and EventID is still held
    /// to the rest of its scope: `registry_add` is Sysmon's EventID 12 with
    /// `EventType: CreateKey`, and a deleted key of the same EventID is not
    /// one. A `registry_event` rule (EventIDs 12 to 14, nothing more) is.
    #[test]
    fn a_routed_rule_is_held_to_its_scopes_conditions() {
        let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
        for (i, category) in ["registry_add", "registry_event"].iter().enumerate() {
            let rule = format!(
                "title: {category}\nid: 44444444-4444-4444-8444-44444444444{i}\nlogsource:\n    product: windows\n    category: {category}\ndetection:\n    selection:\n        TargetObject|contains: '\\CurrentVersion\\Run'\n    condition: selection\n"
            );
            builder.add_text(Path::new(&format!("{category}.yml")), &rule);
        }
        let rules = builder.build().0;
        let detect = |event_type: &str| {
            let mut event = Event::new("test");
            event.product = Some("windows");
            let fields = [
                (
                    "Channel",
                    FieldValue::from("Microsoft-Windows-Sysmon/Operational"),
                ),
                ("EventID", FieldValue::Int(12)),
                ("EventType", FieldValue::from(event_type)),
                (
                    "TargetObject",
                    FieldValue::from(r"HKLM\Software\Microsoft\Windows\CurrentVersion\Run\x"),
                ),
            ];
            for (name, value) in fields {
                event.insert(name, value);
            }
            let (mut found, mut unindexed) = (Vec::new(), Vec::new());
            rules.detect(&event, &mut found);
            rules.detect_unindexed(&event, &mut unindexed);
            let titles = |d: Vec<vigil_event::Detection>| -> Vec<String> {
                d.iter().map(|d| d.rule_title.to_string()).collect()
            };
            let found = titles(found);
            assert_eq!(found, titles(unindexed));
            found
        };
        assert_eq!(detect("CreateKey"), ["registry_add", "registry_event"]);
        assert_eq!(detect("DeleteKey"), ["registry_event"]);
    }
    /// A rule that names a product runs only on events known to be of it:
    /// the same record read as a Windows event, as a Zeek log or in a shape
    /// no reader knows meets, respectively, the Windows rule, the Zeek rule
    /// of its log, and only the rules that name no product. The indexed and
    /// unindexed paths agree.
    #[test]
    fn rules_meet_only_events_of_their_product() {
        let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
        for (i, logsource) in [
            "product: windows",
            "product: zeek\n    service: rdp",
            "product: cisco\n    service: aaa",
            "category: webserver",
            "{}",
        ]
        .iter()
        .enumerate()
        {
            let rule = format!(
                "title: rule {i}\nid: 55555555-5555-4555-8555-55555555555{i}\nlogsource:\n    {logsource}\ndetection:\n    selection:\n        cookie|contains: 'x'\n    condition: selection\n"
            );
            builder.add_text(Path::new(&format!("{i}.yml")), &rule);
        }
        let (rules, report) = builder.build();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        let detect = |product: Option<&'static str>, channel: Option<&str>| {
            let mut event = Event::new("test");
            event.product = product;
            if let Some(channel) = channel {
                event.insert("Channel", FieldValue::from(channel));
            }
            event.insert("cookie", FieldValue::from("x"));
            let (mut found, mut unindexed) = (Vec::new(), Vec::new());
            rules.detect(&event, &mut found);
            rules.detect_unindexed(&event, &mut unindexed);
            let titles = |d: Vec<vigil_event::Detection>| -> Vec<String> {
                d.iter().map(|d| d.rule_title.to_string()).collect()
            };
            let found = titles(found);
            assert_eq!(found, titles(unindexed));
            found
        };
        // A rule with no logsource at all is for every event.
        assert_eq!(
            detect(Some("windows"), Some("Security")),
            ["rule 0", "rule 4"]
        );
        assert_eq!(detect(Some("zeek"), Some("rdp")), ["rule 1", "rule 4"]);
        assert_eq!(detect(Some("zeek"), Some("x509")), ["rule 4"]);
        assert_eq!(detect(None, None), ["rule 3", "rule 4"]);
        let nothing = |kinds: &[(Option<&str>, Option<&str>)]| -> Vec<String> {
            (rules.rules_for_nothing(kinds).iter())
                .map(|rule| rule.scope.describe())
                .collect()
        };
        assert_eq!(
            nothing(&[(Some("zeek"), Some("x509"))]),
            ["windows", "zeek/rdp", "cisco/aaa", "webserver"]
        );
        assert_eq!(
            nothing(&[(Some("zeek"), Some("RDP")), (None, None)]),
            ["windows", "cisco/aaa"]
        );
    }
}
