//! Search identifiers compiled to checks: `selection: {Field|mod: value}`
//! becomes a list of alternatives, each an AND of field checks.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;
use regex::{Regex, RegexBuilder};
use yaml_serde::Value;

use crate::modifier::{self, Modifier, Stage};
use crate::pattern::{fold, tokenize, GlobSet, Requisite, StrPattern, StrSet};

/// A field as a rule names it, with the names the same concept has in other
/// kinds of events (from the logsource table), tried in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef {
    pub names: Box<[Box<str>]>,
}

impl FieldRef {
    pub fn name(&self) -> &str {
        &self.names[0]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePart {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Exact,
    Prefix,
    Suffix,
    Contains,
}

/// One value test against one field value.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// A Sigma string (wildcards compiled); folded unless `cased`.
    Str {
        pattern: StrPattern,
        cased: bool,
    },
    /// A number written as a number: equal numerically, or equal as text
    /// (`text` is folded, as the haystack is).
    Num {
        value: f64,
        text: String,
    },
    Bool(bool),
    /// `null`: the field is missing, null or empty.
    Null,
    /// Several case-insensitive string patterns of one check, tested at once.
    Set(StrSet),
    /// Several case-insensitive wildcard patterns of one check, as one
    /// regular expression.
    Globs(GlobSet),
    Regex {
        regex: Regex,
        /// Folded texts one of which every match contains, for the
        /// prefilter; `None` when there are none it can use.
        required: Option<Vec<String>>,
        /// Folded texts (of any length) one of which every match contains,
        /// looked for before the expression is run.
        requisite: Option<Requisite>,
    },
    /// Any of these networks (a value's address read once for all of them).
    Cidr(Vec<IpNet>),
    Compare {
        op: CmpOp,
        value: f64,
    },
    /// `fieldref`: compared with another field of the same event.
    FieldRef {
        other: FieldRef,
        anchor: Anchor,
        cased: bool,
    },
    /// Time modifiers: a part of a date field, then compared.
    TimePart {
        part: TimePart,
        inner: Box<Matcher>,
    },
}

/// A test over an event; a search alternative is an AND of these.
#[derive(Debug, Clone)]
pub enum Check {
    /// Some value of the field satisfies any (or, with `all`, every) matcher;
    /// `negate` (from `neq`) requires the field present and none to match.
    Field {
        field: FieldRef,
        matchers: Vec<Matcher>,
        all: bool,
        negate: bool,
    },
    Exists {
        field: FieldRef,
        expected: bool,
    },
    /// Keywords: matched against every field of the event.
    Keyword {
        matchers: Vec<Matcher>,
        all: bool,
    },
}

/// A compiled search identifier: OR of alternatives, each an AND of checks.
#[derive(Debug, Clone)]
pub struct Search {
    pub alternatives: Vec<Vec<Check>>,
}

/// What compiling a search needs from the rule around it.
pub struct SearchContext<'a> {
    /// Sigma field name → other names for it in this rule's logsources.
    pub aliases: &'a HashMap<String, Vec<String>>,
    pub placeholders: &'a HashMap<String, Vec<String>>,
}

impl SearchContext<'_> {
    fn field(&self, name: &str) -> FieldRef {
        let mut names: Vec<Box<str>> = vec![name.into()];
        if let Some(others) = self.aliases.get(name) {
            for other in others {
                if !names.iter().any(|n| **n == **other) {
                    names.push(other.as_str().into());
                }
            }
        }
        FieldRef {
            names: names.into_boxed_slice(),
        }
    }
}

pub fn compile_search(value: &Value, ctx: &SearchContext) -> Result<Search, String> {
    let alternatives = match value {
        Value::Mapping(map) => vec![compile_map(map, ctx)?],
        Value::Sequence(items) => {
            if items.is_empty() {
                return Err("empty list".into());
            }
            let mut alternatives = Vec::new();
            let mut keywords = Vec::new();
            for item in items {
                match item {
                    Value::Mapping(map) => alternatives.push(compile_map(map, ctx)?),
                    Value::Sequence(_) => return Err("nested lists are not valid here".into()),
                    scalar => keywords.push(scalar.clone()),
                }
            }
            if !keywords.is_empty() {
                alternatives.push(vec![compile_keywords(&keywords, &[], ctx)?]);
            }
            alternatives
        }
        Value::Null => return Err("a search identifier cannot be empty".into()),
        scalar => vec![vec![compile_keywords(
            std::slice::from_ref(scalar),
            &[],
            ctx,
        )?]],
    };
    Ok(Search { alternatives })
}

fn compile_map(map: &yaml_serde::Mapping, ctx: &SearchContext) -> Result<Vec<Check>, String> {
    let mut checks = Vec::with_capacity(map.len());
    for (key, value) in map {
        let key = scalar_text(key).ok_or("field names must be strings")?;
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default().trim();
        let modifiers = parts
            .map(|m| {
                Modifier::parse(m.trim())
                    .ok_or_else(|| format!("unknown modifier '{m}' in '{key}'"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let values = match value {
            Value::Sequence(items) => items.clone(),
            other => vec![other.clone()],
        };
        if values.is_empty() {
            return Err(format!("'{key}' has an empty list of values"));
        }
        let check = if field.is_empty() {
            compile_keywords(&values, &modifiers, ctx)
        } else {
            compile_field(ctx.field(field), &values, &modifiers, ctx)
        }
        .map_err(|e| format!("'{key}': {e}"))?;
        checks.push(check);
    }
    Ok(checks)
}

fn compile_keywords(
    values: &[Value],
    modifiers: &[Modifier],
    ctx: &SearchContext,
) -> Result<Check, String> {
    // A keyword is found anywhere in a field unless the rule anchors it.
    let anchored = modifiers.iter().any(|m| {
        matches!(
            m,
            Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith | Modifier::Re
        )
    });
    let mut modifiers = modifiers.to_vec();
    if !anchored {
        modifiers.push(Modifier::Contains);
    }
    let (matchers, all, negate) = compile_values(values, &modifiers, ctx)?;
    if negate {
        return Err("neq needs a field name".into());
    }
    Ok(Check::Keyword { matchers, all })
}

fn compile_field(
    field: FieldRef,
    values: &[Value],
    modifiers: &[Modifier],
    ctx: &SearchContext,
) -> Result<Check, String> {
    if modifiers.contains(&Modifier::Exists) {
        let [Value::Bool(expected)] = values else {
            return Err("exists takes true or false".into());
        };
        return Ok(Check::Exists {
            field,
            expected: *expected,
        });
    }
    let (matchers, all, negate) = compile_values(values, modifiers, ctx)?;
    Ok(Check::Field {
        field,
        matchers,
        all,
        negate,
    })
}

/// A check with this many case-insensitive string patterns that any may
/// match tests them as one set.
const SET_LEAST: usize = 8;
/// A check with this many case-insensitive wildcard patterns that any may
/// match tests them as one regular expression.
const GLOBS_LEAST: usize = 2;

/// Puts a check's case-insensitive string patterns into one set matcher,
/// when there are enough of them, and its networks into one matcher (an
/// address is read once for all); the other matchers stay as they are.
fn gather_strings(matchers: Vec<Matcher>) -> Vec<Matcher> {
    let mut patterns = Vec::new();
    let mut networks = Vec::new();
    let mut others = Vec::new();
    for matcher in matchers {
        match matcher {
            Matcher::Str {
                pattern,
                cased: false,
            } => patterns.push(pattern),
            Matcher::Cidr(nets) => networks.extend(nets),
            other => others.push(other),
        }
    }
    if !networks.is_empty() {
        others.push(Matcher::Cidr(networks));
    }
    let (set, rest) = StrSet::gather(patterns, SET_LEAST);
    others.extend(set.map(Matcher::Set));
    let (globs, rest) = GlobSet::gather(rest, GLOBS_LEAST);
    others.extend(globs.map(Matcher::Globs));
    others.extend(rest.into_iter().map(|pattern| Matcher::Str {
        pattern,
        cased: false,
    }));
    others
}

/// Compiles the values of one field item under its modifiers; returns the
/// matchers and the `all` and `neq` flags.
fn compile_values(
    values: &[Value],
    modifiers: &[Modifier],
    ctx: &SearchContext,
) -> Result<(Vec<Matcher>, bool, bool), String> {
    let has = |m: Modifier| modifiers.contains(&m);
    let all = has(Modifier::All);
    let negate = has(Modifier::Neq);
    let cased = has(Modifier::Cased);
    let time_part = modifiers.iter().find_map(|m| match m {
        Modifier::Minute => Some(TimePart::Minute),
        Modifier::Hour => Some(TimePart::Hour),
        Modifier::Day => Some(TimePart::Day),
        Modifier::Week => Some(TimePart::Week),
        Modifier::Month => Some(TimePart::Month),
        Modifier::Year => Some(TimePart::Year),
        _ => None,
    });
    let compare = modifiers.iter().find_map(|m| match m {
        Modifier::Gt => Some(CmpOp::Gt),
        Modifier::Gte => Some(CmpOp::Gte),
        Modifier::Lt => Some(CmpOp::Lt),
        Modifier::Lte => Some(CmpOp::Lte),
        _ => None,
    });
    let mut matchers = Vec::new();
    for value in values {
        if value.is_null() {
            if modifiers
                .iter()
                .any(|m| !matches!(m, Modifier::All | Modifier::Neq))
            {
                return Err("null cannot take value modifiers".into());
            }
            matchers.push(Matcher::Null);
            continue;
        }
        let text = scalar_text(value).ok_or("values must be strings, numbers, booleans or null")?;
        if let Some(op) = compare {
            let number = parse_number(&text).ok_or_else(|| format!("'{text}' is not a number"))?;
            matchers.push(wrap_time(time_part, Matcher::Compare { op, value: number }));
        } else if let Some(part) = time_part {
            let number = parse_number(&text).ok_or_else(|| format!("'{text}' is not a number"))?;
            matchers.push(wrap_time(
                Some(part),
                Matcher::Num {
                    value: number,
                    text: fold(&text),
                },
            ));
        } else if has(Modifier::Re) {
            let regex = RegexBuilder::new(&text)
                .case_insensitive(has(Modifier::ReIgnoreCase))
                .multi_line(has(Modifier::ReMultiLine))
                .dot_matches_new_line(has(Modifier::ReDotAll))
                .size_limit(1 << 24)
                // Room for the lazy DFA's states: with the default, an
                // expression over Unicode classes (`\w+`…`) runs out of it on
                // command lines and falls back to the backtracker, which
                // clears a visited set the size of the haystack times the
                // expression for every event (a twelfth of matching time with
                // SigmaHQ's Windows rules). The cache grows only as far as it
                // is used.
                .dfa_size_limit(16 << 20)
                .build()
                .map_err(|e| format!("invalid regular expression: {e}"))?;
            let case_insensitive = has(Modifier::ReIgnoreCase);
            // One reading of the expression for both: the prefilter's texts
            // are the checked ones when they are long enough.
            let checked = crate::required::checked_texts(&text, case_insensitive);
            let requisite = checked.as_deref().and_then(Requisite::new);
            let required = checked.filter(|texts| crate::required::for_prefilter(texts));
            matchers.push(Matcher::Regex {
                regex,
                required,
                requisite,
            });
        } else if has(Modifier::Cidr) {
            let net = parse_cidr(&text).ok_or_else(|| format!("'{text}' is not a CIDR range"))?;
            matchers.push(Matcher::Cidr(vec![net]));
        } else if has(Modifier::FieldRef) {
            let anchor = if has(Modifier::Contains) {
                Anchor::Contains
            } else if has(Modifier::StartsWith) {
                Anchor::Prefix
            } else if has(Modifier::EndsWith) {
                Anchor::Suffix
            } else {
                Anchor::Exact
            };
            matchers.push(Matcher::FieldRef {
                other: ctx.field(&text),
                anchor,
                cased,
            });
        } else if matches!(value, Value::Bool(_)) && !modifiers.iter().any(|m| m.is_transform()) {
            matchers.push(Matcher::Bool(matches!(value, Value::Bool(true))));
        } else if matches!(value, Value::Number(_)) && !modifiers.iter().any(|m| m.is_transform()) {
            let number = parse_number(&text).unwrap_or(f64::NAN);
            matchers.push(Matcher::Num {
                value: number,
                text: fold(&text),
            });
        } else {
            let mut stages = vec![Stage::Sigma(text)];
            for m in modifiers.iter().filter(|m| m.is_transform()) {
                stages = modifier::transform(*m, stages, ctx.placeholders)?;
            }
            for stage in stages {
                let pattern = StrPattern::compile(&tokenize(&stage.into_sigma()), cased)
                    .map_err(|e| format!("wildcard pattern too large: {e}"))?;
                matchers.push(Matcher::Str { pattern, cased });
            }
        }
    }
    // `all` over the variants of one written value (windash, base64offset)
    // would demand every variant at once; they stay alternatives.
    let all = all && values.len() > 1;
    if all
        && (modifiers.contains(&Modifier::Windash) || modifiers.contains(&Modifier::Base64Offset))
    {
        return Err("'all' cannot be combined with windash or base64offset".into());
    }
    if !all {
        matchers = gather_strings(matchers);
    }
    Ok((matchers, all, negate))
}

fn wrap_time(part: Option<TimePart>, inner: Matcher) -> Matcher {
    match part {
        Some(part) => Matcher::TimePart {
            part,
            inner: Box::new(inner),
        },
        None => inner,
    }
}

fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok().map(|i| i as f64);
    }
    t.parse().ok()
}

pub fn parse_cidr(text: &str) -> Option<IpNet> {
    let t = text.trim();
    t.parse::<IpNet>()
        .ok()
        .or_else(|| t.parse::<IpAddr>().ok().map(IpNet::from))
}

/// The text of a YAML scalar as the author wrote it.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar_text(&t.value),
        _ => None,
    }
}
