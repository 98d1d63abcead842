//! Sigma YAML documents as written: detection rules, filters, correlations.

use std::path::Path;

use vigil_event::Level;
use yaml_serde::{Mapping, Value};

use crate::logsource::LogSource;

/// The descriptive part of a rule, carried into every detection.
#[derive(Debug, Clone, Default)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    /// The rule's `name:`, by which correlation rules may refer to it.
    pub name: Option<String>,
    pub level: Level,
    pub status: Option<String>,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub author: Option<String>,
}

/// A detection rule before compilation.
#[derive(Debug, Clone)]
pub struct DetectionRule {
    pub meta: RuleMeta,
    pub logsource: LogSource,
    /// Search identifiers in the order written.
    pub searches: Vec<(String, Value)>,
    /// Conditions, OR-ed when there are several.
    pub conditions: Vec<String>,
}

/// A global filter: a detection that suppresses matches of the rules it names.
#[derive(Debug, Clone)]
pub struct FilterRule {
    pub id: String,
    pub title: String,
    pub logsource: LogSource,
    /// Rule ids or names the filter applies to.
    pub rules: Vec<String>,
    pub searches: Vec<(String, Value)>,
    pub conditions: Vec<String>,
}

/// A correlation rule as written. Its parts are kept as text: checking
/// them (known type, referenced rules, timespan, condition) is the job of the
/// correlation engine, which can name what is wrong.
#[derive(Debug, Clone, Default)]
pub struct CorrelationRule {
    pub id: String,
    pub title: String,
    /// `correlation.type`: `event_count`, `temporal`, … (`unknown` if absent).
    pub kind: String,
    /// Boxed to keep `Document` small: most documents are detection rules.
    pub definition: Box<CorrelationDefinition>,
}

/// What a correlation rule says beyond its id, title and type.
#[derive(Debug, Clone, Default)]
pub struct CorrelationDefinition {
    /// The rule's `name:`, by which other correlations may refer to it.
    pub name: Option<String>,
    pub level: Option<Level>,
    pub tags: Vec<String>,
    /// Referenced rules, by id or name, in the order written.
    pub rules: Vec<String>,
    pub group_by: Vec<String>,
    /// `timespan` as written, e.g. `10m`.
    pub timespan: Option<String>,
    /// Condition operators (`gt`, `gte`, …) with their thresholds as written.
    pub condition: Vec<(String, String)>,
    /// `condition.field`: the field(s) a value_* correlation aggregates.
    pub fields: Vec<String>,
    /// `aliases`: alias name → (referenced rule → field in its events).
    pub aliases: Vec<(String, Vec<(String, String)>)>,
    /// `generate`: whether the referenced rules also report on their own.
    pub generate: bool,
}

#[derive(Debug, Clone)]
pub enum Document {
    Detection(Box<DetectionRule>),
    Filter(Box<FilterRule>),
    Correlation(CorrelationRule),
}

/// Splits a file into its YAML documents and reads each. One bad document
/// does not hide the others: each gets its own result.
pub fn parse_documents(text: &str, path: &Path) -> Vec<Result<Document, String>> {
    let mut out = Vec::new();
    if let Err(reason) = vigil_event::check_yaml(text, yaml_serde::Deserializer::from_str) {
        out.push(Err(reason));
        return out;
    }
    for (index, de) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let value = match <Value as serde::Deserialize>::deserialize(de) {
            Ok(v) => v,
            Err(e) => {
                out.push(Err(format!("YAML document {}: {e}", index + 1)));
                // The YAML stream cannot be resynchronised after a syntax error.
                break;
            }
        };
        if value.is_null() {
            continue;
        }
        out.push(parse_document(&value).map_err(|e| {
            if index == 0 {
                e
            } else {
                format!("YAML document {}: {e}", index + 1)
            }
        }));
    }
    let _ = path;
    out
}

fn parse_document(value: &Value) -> Result<Document, String> {
    let map = value
        .as_mapping()
        .ok_or("a Sigma document must be a YAML mapping")?;
    let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
    let id = text("id").unwrap_or_default();
    let title = text("title").unwrap_or_default();
    if let Some(correlation) = map.get("correlation") {
        return correlation_rule(map, correlation, id, title).map(Document::Correlation);
    }
    if let Some(filter) = map.get("filter") {
        let filter = filter.as_mapping().ok_or("'filter' must be a mapping")?;
        let rules = match filter.get("rules") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Sequence(items)) => items
                .iter()
                .filter_map(crate::search::scalar_text)
                .collect(),
            Some(scalar @ (Value::String(_) | Value::Number(_))) => {
                crate::search::scalar_text(scalar).into_iter().collect()
            }
            Some(_) => return Err("'filter.rules' must be a rule id or a list of them".into()),
        };
        let (searches, conditions) = detection_parts(filter, "filter")?;
        return Ok(Document::Filter(Box::new(FilterRule {
            id,
            title,
            logsource: logsource(map)?,
            rules,
            searches,
            conditions,
        })));
    }
    if title.is_empty() {
        return Err("missing 'title'".into());
    }
    let detection = map
        .get("detection")
        .ok_or("missing 'detection'")?
        .as_mapping()
        .ok_or("'detection' must be a mapping")?;
    let (searches, conditions) = detection_parts(detection, "detection")?;
    let level = match text("level") {
        None => Level::default(),
        Some(l) => l.parse()?,
    };
    let tags = match map.get("tags") {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Document::Detection(Box::new(DetectionRule {
        meta: RuleMeta {
            id,
            title,
            name: text("name"),
            level,
            status: text("status"),
            tags,
            description: text("description"),
            author: text("author"),
        },
        logsource: logsource(map)?,
        searches,
        conditions,
    })))
}

fn correlation_rule(
    map: &Mapping,
    correlation: &Value,
    id: String,
    title: String,
) -> Result<CorrelationRule, String> {
    let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
    let body = correlation
        .as_mapping()
        .ok_or("'correlation' must be a mapping")?;
    let texts = |key: &str| -> Result<Vec<String>, String> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Sequence(items)) => items
                .iter()
                .map(|i| {
                    crate::search::scalar_text(i)
                        .ok_or_else(|| format!("'correlation.{key}' items must be strings"))
                })
                .collect(),
            Some(scalar) => crate::search::scalar_text(scalar)
                .map(|s| vec![s])
                .ok_or_else(|| format!("'correlation.{key}' must be a string or a list")),
        }
    };
    let mut condition = Vec::new();
    let mut fields = Vec::new();
    match body.get("condition") {
        None | Some(Value::Null) => {}
        Some(Value::Mapping(m)) => {
            for (key, value) in m {
                let key = key
                    .as_str()
                    .ok_or("'correlation.condition' keys must be strings")?;
                match (key, value) {
                    ("field", Value::Sequence(items)) => {
                        fields.extend(items.iter().filter_map(crate::search::scalar_text))
                    }
                    ("field", v) => fields.extend(crate::search::scalar_text(v)),
                    (op, v) => condition.push((
                        op.to_string(),
                        crate::search::scalar_text(v).ok_or_else(|| {
                            format!("'correlation.condition.{op}' must be a number")
                        })?,
                    )),
                }
            }
        }
        Some(_) => return Err("'correlation.condition' must be a mapping".into()),
    }
    let mut aliases = Vec::new();
    match body.get("aliases") {
        None | Some(Value::Null) => {}
        Some(Value::Mapping(m)) => {
            for (alias, per_rule) in m {
                let alias = crate::search::scalar_text(alias)
                    .ok_or("'correlation.aliases' keys must be strings")?;
                let per_rule = per_rule
                    .as_mapping()
                    .ok_or_else(|| format!("alias '{alias}' must map rule names to fields"))?;
                let pairs = per_rule
                    .iter()
                    .map(|(rule, field)| {
                        match (
                            crate::search::scalar_text(rule),
                            crate::search::scalar_text(field),
                        ) {
                            (Some(r), Some(f)) => Ok((r, f)),
                            _ => Err(format!("alias '{alias}' must map rule names to fields")),
                        }
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                aliases.push((alias, pairs));
            }
        }
        Some(_) => return Err("'correlation.aliases' must be a mapping".into()),
    }
    let level = match text("level") {
        None => None,
        Some(l) => Some(l.parse()?),
    };
    let tags = match map.get("tags") {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let generate = match body.get("generate").or_else(|| map.get("generate")) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("'generate' must be true or false".into()),
    };
    Ok(CorrelationRule {
        id,
        title,
        kind: body
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_string(),
        definition: Box::new(CorrelationDefinition {
            name: text("name"),
            level,
            tags,
            rules: texts("rules")?,
            group_by: texts("group-by")?,
            timespan: body.get("timespan").and_then(crate::search::scalar_text),
            condition,
            fields,
            aliases,
            generate,
        }),
    })
}

fn logsource(map: &Mapping) -> Result<LogSource, String> {
    let Some(ls) = map.get("logsource") else {
        return Ok(LogSource::default());
    };
    let ls = ls.as_mapping().ok_or("'logsource' must be a mapping")?;
    let text = |key: &str| ls.get(key).and_then(Value::as_str).map(str::to_string);
    Ok(LogSource {
        product: text("product"),
        category: text("category"),
        service: text("service"),
    })
}

/// A detection block's named searches, and its condition(s).
type DetectionParts = (Vec<(String, Value)>, Vec<String>);

fn detection_parts(block: &Mapping, name: &str) -> Result<DetectionParts, String> {
    let mut searches = Vec::new();
    let mut conditions = Vec::new();
    for (key, value) in block {
        let key = key
            .as_str()
            .ok_or_else(|| format!("'{name}' keys must be strings"))?;
        match key {
            "condition" => match value {
                Value::String(s) => conditions.push(s.clone()),
                Value::Sequence(items) => {
                    for item in items {
                        conditions.push(
                            item.as_str()
                                .ok_or("each condition must be a string")?
                                .to_string(),
                        );
                    }
                }
                _ => return Err("'condition' must be a string or a list of strings".into()),
            },
            // Sigma 1 metadata that does not select events.
            "timeframe" | "rules" => {}
            _ => searches.push((key.to_string(), value.clone())),
        }
    }
    if conditions.is_empty() {
        return Err(format!("'{name}' has no 'condition'"));
    }
    Ok((searches, conditions))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_kinds_of_document() {
        let text = "title: a\nid: 1\nlevel: high\nlogsource: {product: windows}\ndetection:\n  sel: {EventID: 1}\n  condition: sel\n---\ntitle: c\nid: 2\ncorrelation:\n  type: event_count\n  rules: [1]\n---\ntitle: f\nlogsource: {product: windows}\nfilter:\n  rules: [1]\n  selection: {User: x}\n  condition: not selection\n";
        let docs = parse_documents(text, Path::new("x.yml"));
        assert_eq!(docs.len(), 3);
        assert!(matches!(&docs[0], Ok(Document::Detection(r)) if r.meta.level == Level::High));
        assert!(matches!(&docs[1], Ok(Document::Correlation(c)) if c.kind == "event_count"));
        assert!(matches!(&docs[2], Ok(Document::Filter(f)) if f.rules == vec!["1".to_string()]));
    }

    #[test]
    fn bad_documents_name_their_problem() {
        let docs = parse_documents("title: a\ndetection:\n  sel: {a: 1}\n", Path::new("x.yml"));
        assert_eq!(
            docs[0].as_ref().unwrap_err(),
            "'detection' has no 'condition'"
        );
        let docs = parse_documents(
            "title: a\nlevel: severe\ndetection: {s: {a: 1}, condition: s}\n",
            Path::new("x.yml"),
        );
        assert!(docs[0].as_ref().unwrap_err().contains("unknown level"));
        let docs = parse_documents("title: [a\n", Path::new("x.yml"));
        assert!(docs[0].is_err());
    }

    #[test]
    fn leading_zeros_stay_as_written() {
        let docs = parse_documents(
            "title: a\ndetection:\n  sel: {Code: 00000429}\n  condition: sel\n",
            Path::new("x.yml"),
        );
        let Ok(Document::Detection(rule)) = &docs[0] else {
            panic!()
        };
        let value = rule.searches[0].1.get("Code").unwrap();
        assert_eq!(
            crate::search::scalar_text(value).as_deref(),
            Some("00000429")
        );
    }
}
