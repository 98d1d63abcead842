//! Evaluation of compiled searches against one event.

use std::cell::{Cell, OnceCell};
use std::net::IpAddr;

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use vigil_event::{Event, FieldValue};

use crate::names::NameIndex;
use crate::pattern::fold;
use crate::search::{Anchor, Check, CmpOp, FieldRef, Matcher, Search, TimePart};

/// An event under evaluation, with the text and case-folded text of each
/// field computed at most once however many rules look at it.
pub struct EventView<'e> {
    pub event: &'e Event,
    /// Per field, its texts once rendered: boxed, so that an event's cells,
    /// made and dropped for every event while few fields are ever rendered,
    /// are a word each.
    rendered: Vec<OnceCell<Box<Rendered>>>,
    kind: OnceCell<Kind>,
    /// Where each field is by name, built when first asked.
    names: OnceCell<NameIndex>,
    /// Lookups made before the table was built.
    lookups: Cell<u8>,
}

/// Lookups answered by going through the fields before the table is built:
/// an event most rules pass over is asked for its channel and EventID and a
/// field or two of the few rules the prefilter lets through. Going through
/// a few dozen names compares little more than their lengths, so a dozen
/// such lookups cost less than building the table.
const LOOKUPS_WITHOUT_TABLE: u8 = 12;

/// What rule scopes compare an event by, looked up once per event.
struct Kind {
    /// The channel, lower-cased.
    channel: Option<String>,
    event_id: Option<i64>,
}

struct Rendered {
    /// `None` when the value is a string and is its own text.
    text: Option<String>,
    /// `None` when folding leaves the text as it is (no capital letters):
    /// most values that are not paths or names, kept without a copy.
    folded: Option<String>,
}

/// One value as the matchers see it.
struct Hay<'a> {
    value: &'a FieldValue,
    text: &'a str,
    folded: &'a str,
}

impl<'e> EventView<'e> {
    pub fn new(event: &'e Event) -> Self {
        EventView {
            event,
            rendered: (0..event.len()).map(|_| OnceCell::new()).collect(),
            kind: OnceCell::new(),
            names: OnceCell::new(),
            lookups: Cell::new(0),
        }
    }

    fn kind(&self) -> &Kind {
        self.kind.get_or_init(|| Kind {
            channel: self.field("Channel").and_then(FieldValue::as_str).map(fold),
            event_id: self.field("EventID").and_then(FieldValue::as_i64),
        })
    }

    /// The index of a field by name, as [`Event::index_of`] finds it.
    fn position(&self, name: &str) -> Option<usize> {
        if self.names.get().is_none() && self.lookups.get() < LOOKUPS_WITHOUT_TABLE {
            self.lookups.set(self.lookups.get() + 1);
            return self.event.index_of(name);
        }
        self.names
            .get_or_init(|| NameIndex::new(self.event))
            .position(self.event, name)
    }

    /// The value of a field by name, as [`Event::get`] finds it.
    pub(crate) fn field(&self, name: &str) -> Option<&'e FieldValue> {
        self.position(name).map(|index| self.value(index))
    }

    /// The event's channel, lower-cased.
    pub fn channel(&self) -> Option<&str> {
        self.kind().channel.as_deref()
    }

    pub fn event_id(&self) -> Option<i64> {
        self.kind().event_id
    }

    fn lookup(&self, field: &FieldRef) -> Option<usize> {
        field.names.iter().find_map(|n| self.position(n))
    }

    fn value(&self, index: usize) -> &'e FieldValue {
        self.event
            .field_at(index)
            .map(|(_, v)| v)
            .unwrap_or(&FieldValue::Null)
    }

    fn rendered(&self, index: usize) -> &Rendered {
        self.rendered[index].get_or_init(|| {
            let value = self.value(index);
            let copy = |text: &str| needs_folding(text).then(|| fold(text));
            Box::new(match value {
                FieldValue::Str(s) => Rendered {
                    text: None,
                    folded: copy(s),
                },
                other => {
                    let text = text_of(other);
                    Rendered {
                        folded: copy(&text),
                        text: Some(text),
                    }
                }
            })
        })
    }

    /// The text and the folded text of the field at `index`, which is not a
    /// list.
    fn texts(&self, index: usize) -> (&str, &str) {
        let rendered = self.rendered(index);
        let text = match (&rendered.text, self.value(index)) {
            (Some(t), _) => &**t,
            (None, FieldValue::Str(s)) => &**s,
            (None, _) => "",
        };
        (text, rendered.folded.as_deref().unwrap_or(text))
    }

    /// Calls `each` with the folded text of each value of a field (the value,
    /// or each item of a list): what case-insensitive matchers compare.
    pub(crate) fn each_folded(&self, index: usize, each: &mut dyn FnMut(&str)) {
        if let FieldValue::List(items) = self.value(index) {
            for item in items {
                each(&fold(&text_of(item)));
            }
        } else {
            each(self.texts(index).1);
        }
    }

    /// Calls `each` with the number of each value of a field that has one,
    /// as numeric matchers read it.
    pub(crate) fn each_number(&self, index: usize, each: &mut dyn FnMut(f64)) {
        match self.value(index) {
            FieldValue::List(items) => items.iter().filter_map(number_of).for_each(each),
            value => number_of(value).into_iter().for_each(each),
        }
    }

    /// Calls `test` on each value of a field: the value itself, or each item
    /// of a list. Returns whether any call returned true.
    fn any_value(&self, index: usize, test: &mut dyn FnMut(&Hay) -> bool) -> bool {
        let value = self.value(index);
        if let FieldValue::List(items) = value {
            return items.iter().any(|item| {
                let text = text_of(item);
                let folded = fold(&text);
                test(&Hay {
                    value: item,
                    text: &text,
                    folded: &folded,
                })
            });
        }
        let (text, folded) = self.texts(index);
        test(&Hay {
            value,
            text,
            folded,
        })
    }

    pub fn search(&self, search: &Search) -> bool {
        search
            .alternatives
            .iter()
            .any(|checks| checks.iter().all(|c| self.check(c)))
    }

    fn check(&self, check: &Check) -> bool {
        match check {
            Check::Exists { field, expected } => self.lookup(field).is_some() == *expected,
            Check::Field {
                field,
                matchers,
                all,
                negate,
            } => {
                let Some(index) = self.lookup(field) else {
                    return !*negate && matchers.iter().any(|m| matches!(m, Matcher::Null));
                };
                let hit = |m: &Matcher| self.any_value(index, &mut |hay| self.matcher(m, hay));
                if *negate {
                    !matchers.iter().any(hit)
                } else if *all {
                    matchers.iter().all(hit)
                } else {
                    matchers.iter().any(hit)
                }
            }
            Check::Keyword { matchers, all } => {
                let hit = |m: &Matcher| {
                    (0..self.event.len())
                        .any(|i| self.any_value(i, &mut |hay| self.matcher(m, hay)))
                };
                if *all {
                    matchers.iter().all(hit)
                } else {
                    matchers.iter().any(hit)
                }
            }
        }
    }

    fn matcher(&self, matcher: &Matcher, hay: &Hay) -> bool {
        match matcher {
            Matcher::Str { pattern, cased } => {
                pattern.is_match(if *cased { hay.text } else { hay.folded })
            }
            Matcher::Num { value, text } => {
                number_of(hay.value).is_some_and(|n| n == *value) || hay.folded == text.as_str()
            }
            Matcher::Bool(b) => match hay.value {
                FieldValue::Bool(v) => v == b,
                _ => hay.folded == if *b { "true" } else { "false" },
            },
            Matcher::Null => hay.value.is_null() || hay.text.is_empty(),
            Matcher::Set(set) => set.is_match(hay.folded),
            Matcher::Globs(set) => set.is_match(hay.folded),
            Matcher::Regex {
                regex, requisite, ..
            } => requisite.as_ref().is_none_or(|r| r.is_in(hay.folded)) && regex.is_match(hay.text),
            Matcher::Cidr(nets) => {
                parse_ip(hay.text).is_some_and(|ip| nets.iter().any(|net| net.contains(&ip)))
            }
            Matcher::Compare { op, value } => number_of(hay.value).is_some_and(|n| match op {
                CmpOp::Gt => n > *value,
                CmpOp::Gte => n >= *value,
                CmpOp::Lt => n < *value,
                CmpOp::Lte => n <= *value,
            }),
            Matcher::FieldRef {
                other,
                anchor,
                cased,
            } => {
                let Some(other_index) = self.lookup(other) else {
                    return false;
                };
                self.any_value(other_index, &mut |theirs| {
                    let (mine, theirs) = if *cased {
                        (hay.text, theirs.text)
                    } else {
                        (hay.folded, theirs.folded)
                    };
                    match anchor {
                        Anchor::Exact => mine == theirs,
                        Anchor::Prefix => mine.starts_with(theirs),
                        Anchor::Suffix => mine.ends_with(theirs),
                        Anchor::Contains => mine.contains(theirs),
                    }
                })
            }
            Matcher::TimePart { part, inner } => {
                let Some(time) = parse_time(hay.text) else {
                    return false;
                };
                let n = i64::from(match part {
                    TimePart::Minute => time.minute(),
                    TimePart::Hour => time.hour(),
                    TimePart::Day => time.day(),
                    TimePart::Week => time.iso_week().week(),
                    TimePart::Month => time.month(),
                    TimePart::Year => time.year() as u32,
                });
                let value = FieldValue::Int(n);
                let text = n.to_string();
                self.matcher(
                    inner,
                    &Hay {
                        value: &value,
                        text: &text,
                        folded: &text,
                    },
                )
            }
        }
    }
}

/// Whether [`fold`] would change `text`: any ASCII capital, or any
/// non-ASCII character (whose lower case is not worth predicting here).
fn needs_folding(text: &str) -> bool {
    text.bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
}

fn text_of(value: &FieldValue) -> String {
    match value {
        FieldValue::Null => String::new(),
        // The integer's own conversion, without the formatting machinery.
        FieldValue::Int(number) => number.to_string(),
        other => other.to_string(),
    }
}

fn number_of(value: &FieldValue) -> Option<f64> {
    match value {
        FieldValue::Int(i) => Some(*i as f64),
        FieldValue::Float(f) => Some(*f),
        FieldValue::Str(_) => value.as_i64().map(|i| i as f64).or_else(|| value.as_f64()),
        _ => None,
    }
}

fn parse_ip(text: &str) -> Option<IpAddr> {
    let t = text.trim().trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = t.parse().ok()?;
    // IPv4 addresses logged in IPv6 form (`::ffff:10.0.0.1`) are IPv4 hosts.
    Some(match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    })
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, format) {
            return Some(naive.and_utc());
        }
    }
    None
}
