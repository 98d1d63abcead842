//! One record's fields by name, whether it came as a JSON object, a row under
//! a header, or `key=value` pairs.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;

use serde_json::{Map, Value};

pub(crate) trait Fields {
    /// The field as text; `None` when absent, empty or a placeholder (`-`).
    fn text(&self, key: &str) -> Option<Cow<'_, str>>;

    /// A list field's items (a JSON array, or a set joined with commas).
    fn items(&self, key: &str) -> Vec<String> {
        self.text(key)
            .map(|t| {
                t.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn number(&self, key: &str) -> Result<Option<u64>, String> {
        match self.text(key) {
            None => Ok(None),
            Some(t) => parse_count(&t)
                .map(Some)
                .ok_or_else(|| format!("{key} is not a count: {t:?}")),
        }
    }

    fn seconds(&self, key: &str) -> Result<Option<f64>, String> {
        match self.text(key) {
            None => Ok(None),
            Some(t) => match t.trim().parse::<f64>() {
                Ok(s) if s.is_finite() && s >= 0.0 => Ok(Some(s)),
                _ => Err(format!("{key} is not a duration in seconds: {t:?}")),
            },
        }
    }

    fn address(&self, key: &str) -> Result<IpAddr, String> {
        let text = self.text(key).ok_or_else(|| format!("no {key}"))?;
        parse_address(&text).ok_or_else(|| format!("{key} is not an address: {text:?}"))
    }

    fn port(&self, key: &str) -> Result<Option<u16>, String> {
        match self.text(key) {
            None => Ok(None),
            Some(t) => t
                .trim()
                .parse::<u16>()
                .map(Some)
                .map_err(|_| format!("{key} is not a port: {t:?}")),
        }
    }
}

pub(crate) fn parse_address(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    let text = text.strip_prefix("::ffff:").unwrap_or(text);
    text.parse().ok()
}

/// A byte or packet count; a float with no fraction is accepted (some
/// exporters write `123.0`).
pub(crate) fn parse_count(text: &str) -> Option<u64> {
    let text = text.trim().trim_matches('"');
    text.parse::<u64>().ok().or_else(|| {
        text.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19)
            .map(|f| f as u64)
    })
}

fn present(text: &str) -> bool {
    !(text.is_empty() || text == "-" || text == "(empty)")
}

/// A JSON object, with Zeek's dotted names also found when nested
/// (`id.orig_h` in `{"id":{"orig_h":…}}`).
impl Fields for Map<String, Value> {
    fn text(&self, key: &str) -> Option<Cow<'_, str>> {
        let value = self.get(key).or_else(|| {
            let (outer, inner) = key.split_once('.')?;
            self.get(outer)?.as_object()?.get(inner)
        })?;
        match value {
            Value::String(s) if present(s) => Some(Cow::Borrowed(s)),
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Array(items) if !items.is_empty() => Some(Cow::Owned(
                items
                    .iter()
                    .map(|i| match i {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(","),
            )),
            _ => None,
        }
    }

    fn items(&self, key: &str) -> Vec<String> {
        match self.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|i| match i {
                    Value::String(s) => Some(s.clone()),
                    Value::Null => None,
                    other => Some(other.to_string()),
                })
                .collect(),
            _ => self
                .text(key)
                .map(|t| vec![t.into_owned()])
                .unwrap_or_default(),
        }
    }
}

/// A row of a table whose header was read once.
pub(crate) struct Row<'a> {
    pub columns: &'a HashMap<String, usize>,
    pub values: &'a [Cow<'a, str>],
    /// Zeek's separator inside set and vector fields.
    pub set_separator: char,
}

impl Fields for Row<'_> {
    fn text(&self, key: &str) -> Option<Cow<'_, str>> {
        let value = self.values.get(*self.columns.get(key)?)?;
        present(value).then(|| Cow::Borrowed(value.as_ref()))
    }

    fn items(&self, key: &str) -> Vec<String> {
        self.text(key)
            .map(|t| {
                t.split(self.set_separator)
                    .filter(|s| present(s))
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }
}
