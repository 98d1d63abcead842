//! Building the ruleset a command runs with: folders, built-in pack,
//! placeholders and logsource tables from the command line; and the
//! mappings of JSON shapes the events are read with.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use vigil_correlate::{CorrelationError, CorrelationSet};
use vigil_sigma::{LoadReport, LogSourceTable, RuleSet, RuleSetBuilder, RuleSetOptions};
use vigil_sources::Mappings;

/// What a run detects with, as the user named it: rule files and folders,
/// the built-in pack, placeholder values, extra logsource tables and
/// mappings of JSON shapes.
#[derive(Debug, Clone, Default)]
pub struct RuleSpec {
    /// Sigma rule folders or files. None: the built-in rule pack alone.
    pub rules: Vec<PathBuf>,
    /// The built-in rule pack as well as `rules`.
    pub builtin: bool,
    /// `NAME=VALUE[,VALUE…]` for `expand` placeholders.
    pub placeholders: Vec<String>,
    /// Logsource tables (Vigil's YAML format) that add to the built-in one.
    pub logsources: Vec<PathBuf>,
    /// Mapping files of JSON shapes Vigil does not know.
    pub mappings: Vec<PathBuf>,
}

impl RuleSpec {
    /// Whether the built-in pack is part of the ruleset.
    pub fn uses_builtin(&self) -> bool {
        self.rules.is_empty() || self.builtin
    }
}

/// Everything a run reads and detects with: the shapes the user described,
/// the compiled detection rules, the correlations over them, and what could
/// not be loaded.
pub struct Loaded {
    pub mappings: Mappings,
    pub rules: RuleSet,
    pub report: LoadReport,
    pub correlations: CorrelationSet,
    pub correlation_errors: Vec<CorrelationError>,
}

pub fn load(args: &RuleSpec) -> anyhow::Result<Loaded> {
    let mappings = load_mappings(args)?;
    let (rules, report) = load_rules(args)?;
    let metas: Vec<_> = rules.rules().iter().map(|r| (*r.meta).clone()).collect();
    let (correlations, correlation_errors) = CorrelationSet::build(&report.correlations, &metas);
    Ok(Loaded {
        mappings,
        rules,
        report,
        correlations,
        correlation_errors,
    })
}

/// The shapes of every `--mapping` file, in the order given. A mapping
/// that cannot be read stops the run: reading evidence with a shape
/// half-described would route its events wrongly without a word.
fn load_mappings(args: &RuleSpec) -> anyhow::Result<Mappings> {
    let mut mappings = Mappings::default();
    for file in &args.mappings {
        let more = Mappings::from_file(file).map_err(|error| anyhow::anyhow!("mapping {error}"))?;
        mappings.extend(more);
    }
    Ok(mappings)
}

fn load_rules(args: &RuleSpec) -> anyhow::Result<(RuleSet, LoadReport)> {
    let mut logsources = LogSourceTable::builtin();
    for file in &args.logsources {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read logsource table {}", file.display()))?;
        logsources
            .merge_yaml(&text)
            .map_err(|e| anyhow::anyhow!("logsource table {}: {e}", file.display()))?;
    }
    let mut placeholders: HashMap<String, Vec<String>> = HashMap::new();
    for spec in &args.placeholders {
        let Some((name, values)) = spec.split_once('=') else {
            bail!("--placeholder '{spec}': expected NAME=VALUE[,VALUE…]");
        };
        placeholders
            .entry(name.trim_matches('%').to_string())
            .or_default()
            .extend(values.split(',').map(str::to_string));
    }
    let mut builder = RuleSetBuilder::new(RuleSetOptions {
        logsources,
        placeholders,
    });
    if args.uses_builtin() {
        for rule in vigil_rules::builtin() {
            builder.add_text(&Path::new("builtin").join(rule.name), rule.text);
        }
    }
    for path in &args.rules {
        builder.add_path(path);
    }
    Ok(builder.build())
}
