//! Shapes the user describes: how to recognise JSON records of a producer
//! Vigil does not know, and where in them the host, time, record id,
//! product, channel and EventID are, so their events are routed to the
//! rules written for them.
//!
//! A mapping file (`--mapping FILE` on `hunt`, `watch`, `incidents` and
//! `exfil`) lists shapes; each JSON record is given to the first shape whose
//! `when` it meets, before Vigil's own shapes are tried:
//!
//! ```yaml
//! shapes:
//!   - name: Acme EDR                # counted under this name in the summary
//!     when:                         # all must hold
//!       has: [edr.host, edr.code]   # paths that must be present
//!       equals: {edr.vendor: acme}  # paths and the text they must hold
//!     product: windows              # the rules' `product`
//!     channel: Security             # a fixed channel (the log within the product), or
//!     channel_from: edr.log         # the value at a path
//!     host: edr.host                # → Computer
//!     time: edr.ts                  # RFC 3339, "YYYY-MM-DD HH:MM:SS[.fff]" (UTC) or epoch seconds
//!     record_id: edr.seq            # → EventRecordID
//!     event_id: edr.code            # → EventID (a number)
//!     provider: edr.source          # → Provider_Name
//!     fields:                       # renamed fields: path → the name rules use
//!       edr.proc.cmd: CommandLine
//!       edr.proc.path: Image
//! ```
//!
//! A path is a key, or keys of nested objects joined by dots (`edr.proc.cmd`);
//! a key that itself holds dots (`id.orig_h`) is found as written. Every field
//! the mapping does not name keeps its dotted name, as in any JSON record.
//! Only `name` and `when` are required; a shape without `product` gives
//! events of no product, which only rules that name none meet.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};
use vigil_event::{Event, FieldValue};

use crate::flatten;
use crate::timestamp;

/// The shapes of a mapping file, in the order they are tried.
#[derive(Debug, Default)]
pub struct Mappings {
    shapes: Vec<Shape>,
}

/// No mapping: what readers use unless told otherwise.
static NONE: Mappings = Mappings { shapes: Vec::new() };

/// A shape as the file writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShapeFile {
    name: String,
    when: WhenFile,
    product: Option<String>,
    channel: Option<String>,
    channel_from: Option<String>,
    host: Option<String>,
    time: Option<String>,
    record_id: Option<String>,
    event_id: Option<String>,
    provider: Option<String>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WhenFile {
    #[serde(default)]
    has: Vec<String>,
    #[serde(default)]
    equals: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    shapes: Vec<ShapeFile>,
}

/// One described shape, ready to apply.
#[derive(Debug)]
struct Shape {
    /// Given to [`Event::shape`]; made once per shape, when the file is read.
    name: &'static str,
    has: Vec<String>,
    equals: Vec<(String, String)>,
    product: Option<&'static str>,
    channel: Option<Channel>,
    /// Paths and the field each becomes: the system fields first, then the
    /// renamed ones.
    fields: Vec<(String, String)>,
    time: Option<String>,
}

#[derive(Debug)]
enum Channel {
    Fixed(String),
    At(String),
}

impl Mappings {
    /// No shapes.
    pub fn none() -> &'static Mappings {
        &NONE
    }

    /// Reads a mapping file; the error names the file and what is wrong.
    pub fn from_file(path: &Path) -> Result<Mappings, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("{}: cannot read: {error}", path.display()))?;
        Mappings::from_yaml(&text).map_err(|error| format!("{}: {error}", path.display()))
    }

    /// Reads a mapping from its YAML text.
    pub fn from_yaml(text: &str) -> Result<Mappings, String> {
        vigil_event::check_yaml(text, yaml_serde::Deserializer::from_str)?;
        let file: MappingFile = yaml_serde::from_str(text).map_err(|error| error.to_string())?;
        let mut shapes = Vec::with_capacity(file.shapes.len());
        for shape in file.shapes {
            shapes.push(Shape::new(shape)?);
        }
        Ok(Mappings { shapes })
    }

    /// Adds the shapes of another mapping, tried after these.
    pub fn extend(&mut self, other: Mappings) {
        self.shapes.extend(other.shapes);
    }

    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }

    /// Fills `event` from `map` by the first shape it meets; gives the
    /// record back when it meets none.
    pub(crate) fn apply(
        &self,
        map: Map<String, Value>,
        event: &mut Event,
    ) -> Result<(), Map<String, Value>> {
        match self.shapes.iter().find(|shape| shape.meets(&map)) {
            Some(shape) => {
                shape.apply(map, event);
                Ok(())
            }
            None => Err(map),
        }
    }
}

/// Products rules name, as the static text events carry; another name is
/// made static once, when its mapping is read.
const PRODUCTS: [&str; 8] = [
    "windows", "linux", "zeek", "macos", "aws", "azure", "gcp", "m365",
];

fn static_text(text: &str) -> &'static str {
    match PRODUCTS.iter().find(|p| p.eq_ignore_ascii_case(text)) {
        Some(product) => product,
        None => Box::leak(text.to_ascii_lowercase().into_boxed_str()),
    }
}

impl Shape {
    fn new(file: ShapeFile) -> Result<Shape, String> {
        let name = file.name.trim();
        if name.is_empty() {
            return Err("a shape needs a name".into());
        }
        if file.when.has.is_empty() && file.when.equals.is_empty() {
            return Err(format!(
                "shape '{name}': `when` must say how to recognise it (`has` or `equals`)"
            ));
        }
        let channel = match (file.channel, file.channel_from) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "shape '{name}': give `channel` or `channel_from`, not both"
                ))
            }
            (Some(fixed), None) => Some(Channel::Fixed(fixed)),
            (None, Some(path)) => Some(Channel::At(path)),
            (None, None) => None,
        };
        let system = [
            (file.host, "Computer"),
            (file.event_id, "EventID"),
            (file.record_id, "EventRecordID"),
            (file.provider, "Provider_Name"),
        ];
        let mut fields: Vec<(String, String)> = system
            .into_iter()
            .filter_map(|(path, field)| path.map(|path| (path, field.to_string())))
            .collect();
        fields.extend(file.fields);
        Ok(Shape {
            name: Box::leak(name.to_string().into_boxed_str()),
            has: file.when.has,
            equals: file.when.equals.into_iter().collect(),
            product: file.product.as_deref().map(static_text),
            channel,
            fields,
            time: file.time,
        })
    }

    fn meets(&self, map: &Map<String, Value>) -> bool {
        self.has.iter().all(|path| find(map, path).is_some())
            && (self.equals.iter())
                .all(|(path, expected)| find(map, path).is_some_and(|v| text_of(v) == *expected))
    }

    fn apply(&self, mut map: Map<String, Value>, event: &mut Event) {
        event.product = self.product;
        event.shape = Some(self.name);
        let time = (self.time.as_deref())
            .and_then(|path| find(&map, path))
            .map(|value| flatten::field_value(value.clone()));
        match &self.channel {
            Some(Channel::Fixed(channel)) => event.insert("Channel", channel.as_str().into()),
            Some(Channel::At(path)) => {
                if let Some(value) = take(&mut map, path) {
                    event.insert("Channel", FieldValue::Str(text_of(&value)));
                }
            }
            None => {}
        }
        for (path, field) in &self.fields {
            if let Some(value) = take(&mut map, path) {
                let value = flatten::field_value(value);
                let value = match self.product {
                    Some("windows") => flatten::windows_id(field, value),
                    _ => value,
                };
                event.insert(field.as_str(), value);
            }
        }
        flatten::dotted_fields(map, event);
        event.timestamp = time.as_ref().and_then(timestamp::parse);
    }
}

/// The text a value is compared by: a string as it is, anything else as JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The value at a path: the key as written, else the first dotted part as
/// a key of a nested object and the rest of the path inside it.
fn find<'v>(map: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    if let Some(value) = map.get(path) {
        return Some(value);
    }
    let mut split = path.match_indices('.');
    split.find_map(|(at, _)| match map.get(&path[..at]) {
        Some(Value::Object(inner)) => find(inner, &path[at + 1..]),
        _ => None,
    })
}

/// Removes and returns the value at a path, as [`find`] finds it.
fn take(map: &mut Map<String, Value>, path: &str) -> Option<Value> {
    if let Some(value) = map.shift_remove(path) {
        return Some(value);
    }
    let mut at = 0;
    while let Some(dot) = path[at..].find('.') {
        let key = &path[..at + dot];
        if let Some(Value::Object(inner)) = map.get_mut(key) {
            if let Some(value) = take(inner, &path[at + dot + 1..]) {
                return Some(value);
            }
        }
        at += dot + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ACME: &str = r#"
shapes:
  - name: Acme EDR
    when:
      has: [edr.host]
      equals: {edr.vendor: acme}
    product: windows
    channel: Microsoft-Windows-Sysmon/Operational
    host: edr.host
    time: edr.ts
    record_id: edr.seq
    event_id: edr.code
    fields:
      edr.proc.cmd: CommandLine
      id.orig_h: SourceIp
"#;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_described_shape_gives_the_event_rules_are_written_for() {
        let mappings = Mappings::from_yaml(ACME).unwrap();
        let record = object(json!({
            "edr": {"vendor": "acme", "host": "ws-07", "ts": "2026-03-02T08:00:00Z",
                    "seq": "42", "code": "1", "proc": {"cmd": "whoami /all", "pid": 7}},
            "id.orig_h": "10.0.0.9"
        }));
        let mut event = Event::new("edr.jsonl");
        mappings.apply(record, &mut event).unwrap();
        assert_eq!(event.product, Some("windows"));
        assert_eq!(event.shape, Some("Acme EDR"));
        assert_eq!(event.computer(), Some("ws-07"));
        assert_eq!(
            event.channel(),
            Some("Microsoft-Windows-Sysmon/Operational")
        );
        assert_eq!(event.get("EventID"), Some(&FieldValue::Int(1)));
        assert_eq!(event.record_id(), Some(42));
        assert_eq!(
            event.get("CommandLine"),
            Some(&FieldValue::from("whoami /all"))
        );
        assert_eq!(event.get("SourceIp"), Some(&FieldValue::from("10.0.0.9")));
        assert_eq!(event.get("edr.proc.pid"), Some(&FieldValue::Int(7)));
        assert_eq!(event.get("edr.proc.cmd"), None, "renamed, not repeated");
        assert_eq!(event.timestamp.map(|t| t.timestamp()), Some(1772438400));
    }

    #[test]
    fn a_record_that_meets_no_shape_is_given_back() {
        let mappings = Mappings::from_yaml(ACME).unwrap();
        let other = object(json!({"edr": {"vendor": "other", "host": "x"}}));
        let mut event = Event::new("x");
        assert!(mappings.apply(other, &mut event).is_err());
        assert!(event.is_empty());
    }

    #[test]
    fn a_bad_mapping_says_what_is_wrong() {
        let errors = [
            ("shapes:\n  - name: x\n    when: {}\n", "`when` must say"),
            (
                "shapes:\n  - name: x\n    when: {has: [a]}\n    channel: a\n    channel_from: b\n",
                "not both",
            ),
            (
                "shapes:\n  - name: x\n    when: {has: [a]}\n    colour: red\n",
                "unknown field",
            ),
            ("shapes: 3\n", "invalid type"),
        ];
        for (text, expected) in errors {
            let error = Mappings::from_yaml(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
