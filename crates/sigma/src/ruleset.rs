//! Loading a ruleset from folders and built-in texts, and matching events
//! against it.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use vigil_event::{Detection, Event};

use crate::compile::{compile_filter, compile_rule, CompileOptions, CompiledFilter, CompiledRule};
use crate::document::{parse_documents, CorrelationRule, Document};
use crate::eval::EventView;
use crate::logsource::LogSourceTable;

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
        for file in files {
            self.add_file(&file);
        }
    }

    fn add_file(&mut self, path: &Path) {
        match std::fs::read_to_string(path) {
            Ok(text) => self.add_text(path, &text),
            Err(e) => {
                self.report.files += 1;
                self.report.failed.push(RuleError {
                    path: path.to_path_buf(),
                    rule: None,
                    reason: format!("cannot read: {e}"),
                });
            }
        }
    }

    /// Adds the documents of one rule file given as text; `path` names it
    /// in errors and detections.
    pub fn add_text(&mut self, path: &Path, text: &str) {
        self.report.files += 1;
        let path_str: Arc<str> = path.display().to_string().into();
        let options = CompileOptions {
            logsources: &self.options.logsources,
            placeholders: &self.options.placeholders,
        };
        for document in parse_documents(text, path) {
            match document {
                Err(reason) => self.report.failed.push(RuleError {
                    path: path.to_path_buf(),
                    rule: None,
                    reason,
                }),
                Ok(Document::Detection(rule)) => match compile_rule(&rule, &path_str, &options) {
                    Ok(compiled) => {
                        self.rules.push(compiled);
                        self.report.rules += 1;
                    }
                    Err(reason) => self.report.failed.push(RuleError {
                        path: path.to_path_buf(),
                        rule: Some(rule.meta.title.clone()),
                        reason,
                    }),
                },
                Ok(Document::Filter(filter)) => match compile_filter(&filter, &options) {
                    Ok(compiled) => {
                        self.filters.push(compiled);
                        self.report.filters += 1;
                    }
                    Err(reason) => self.report.failed.push(RuleError {
                        path: path.to_path_buf(),
                        rule: Some(filter.title.clone()),
                        reason,
                    }),
                },
                Ok(Document::Correlation(c)) => {
                    self.report.correlations.push((path.to_path_buf(), c))
                }
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

/// A compiled ruleset, indexed by the channel each rule applies to.
pub struct RuleSet {
    rules: Vec<CompiledRule>,
    filters: Vec<CompiledFilter>,
    by_channel: HashMap<String, Vec<usize>>,
    any_channel: Vec<usize>,
}

impl RuleSet {
    fn new(rules: Vec<CompiledRule>, filters: Vec<CompiledFilter>) -> RuleSet {
        let mut by_channel: HashMap<String, Vec<usize>> = HashMap::new();
        let mut any_channel = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let variants = &rule.scope.variants;
            if variants.is_empty() || variants.iter().any(|v| v.channels.is_empty()) {
                any_channel.push(i);
                continue;
            }
            for v in variants {
                for c in &v.channels {
                    let list = by_channel.entry(c.clone()).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
        }
        RuleSet {
            rules,
            filters,
            by_channel,
            any_channel,
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

    /// Matches one event, appending a detection per matching rule.
    pub fn detect(&self, event: &Event, out: &mut Vec<Detection>) {
        let view = EventView::new(event);
        match event.channel() {
            Some(channel) => {
                let scoped = self
                    .by_channel
                    .get(channel)
                    .or_else(|| self.by_channel.get(&channel.to_lowercase()))
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                // Both lists are in rule order; merge them to keep output stable.
                let (mut a, mut b) = (0, 0);
                while a < scoped.len() || b < self.any_channel.len() {
                    let i = match (scoped.get(a), self.any_channel.get(b)) {
                        (Some(&x), Some(&y)) if x < y => {
                            a += 1;
                            x
                        }
                        (Some(&x), None) => {
                            a += 1;
                            x
                        }
                        (_, Some(&y)) => {
                            b += 1;
                            y
                        }
                        (None, None) => break,
                    };
                    self.try_rule(i, &view, out);
                }
            }
            None => {
                for i in 0..self.rules.len() {
                    self.try_rule(i, &view, out);
                }
            }
        }
    }

    fn try_rule(&self, index: usize, view: &EventView, out: &mut Vec<Detection>) {
        let rule = &self.rules[index];
        if !rule.matches(view) {
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
