//! [`event_xml`](super::event_xml)'s flattening done while parsing the JSON text
//! the `evtx` crate renders, so that no `serde_json::Value` is built per record.
//!
//! One pass in document order gives the same fields as the tree walk for the
//! shape the `evtx` crate writes. Where the tree walk would do something a
//! single pass cannot, reading stops with an error and the caller walks the
//! tree instead (see [`flatten`]): a repeated key (the tree keeps the first
//! key's place and the last key's value), `System` after fields of the event's
//! data, a `Data` element that may name itself by an attribute, an object
//! where a value is expected (the tree renders it as JSON text), attributes
//! given as anything but an object, `Element_attributes` siblings, or a
//! record that is not `{"Event":{…}}`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use vigil_event::{Event, FieldValue};

use super::event_xml::{finish, is_namespace};
use super::windows_id;

/// Fills `event` from one rendered record, read straight from its JSON text.
///
/// An error means either that the text is not JSON or that the record needs
/// the tree walk; `event` is then half filled and must be dropped, and the
/// record read with [`event_xml`](super::event_xml) from a parsed `Value`,
/// which also reports a real JSON error as the tree walk always has.
pub(crate) fn flatten(json: &str, event: &mut Event) -> Result<(), serde_json::Error> {
    // A rendered record has a field for every 25 to 40 bytes: room made at
    // once costs less than a list grown (and copied) step by step.
    event.reserve((json.len() / 25).min(64));
    let mut parser = serde_json::Deserializer::from_str(json);
    let mut walk = Walk {
        event,
        keys: Vec::with_capacity(32),
    };
    Root(&mut walk).deserialize(&mut parser)?;
    parser.end()?;
    finish(walk.event);
    Ok(())
}

/// The state of one record's pass.
struct Walk<'e, 'de> {
    event: &'e mut Event,
    /// The keys read so far of each object being read, innermost object's
    /// last, to notice a repeated key.
    keys: Vec<Cow<'de, str>>,
}

impl<'de> Walk<'_, 'de> {
    fn emit(&mut self, name: impl AsRef<str> + Into<Box<str>>, value: FieldValue) {
        let value = windows_id(name.as_ref(), value);
        self.event.insert(name, value);
    }

    /// Reads every member of an object, handing each key and the object to
    /// `member`, which must read the member's value.
    fn members<A: MapAccess<'de>>(
        &mut self,
        mut object: A,
        mut member: impl FnMut(&mut Self, &str, &mut A) -> Result<(), A::Error>,
    ) -> Result<(), A::Error> {
        let start = self.keys.len();
        while let Some(key) = object.next_key_seed(Key)? {
            if self.keys[start..].contains(&key) {
                return Err(A::Error::custom(format!("repeated key {key}")));
            }
            self.keys.push(key.clone());
            member(self, &key, &mut object)?;
        }
        self.keys.truncate(start);
        Ok(())
    }

    /// The members of the element `name`: attributes, text and children.
    fn element_members<A: MapAccess<'de>>(
        &mut self,
        name: &str,
        object: A,
    ) -> Result<(), A::Error> {
        self.members(object, |walk, key, object| {
            if key == "#attributes" {
                if name == "Data" {
                    return Err(A::Error::custom("a Data element's attributes"));
                }
                object.next_value_seed(Attributes { walk, owner: name })
            } else if key == "#text" {
                let text = object.next_value_seed(Leaf)?;
                walk.emit(name, text);
                Ok(())
            } else if let Some(attribute) = key.strip_prefix('@') {
                if name == "Data" && attribute == "Name" {
                    return Err(A::Error::custom("a Data element's Name attribute"));
                }
                if is_namespace(attribute) {
                    return object.next_value_seed(Skip);
                }
                let value = object.next_value_seed(Leaf)?;
                walk.emit(attribute_name(name, attribute), value);
                Ok(())
            } else if key.ends_with("_attributes") {
                Err(A::Error::custom("attributes beside their element"))
            } else {
                object.next_value_seed(Element {
                    walk,
                    name: key,
                    skip_null: false,
                })
            }
        })
    }
}

/// `Owner_Attribute`, the field name of an element's attribute.
fn attribute_name(owner: &str, attribute: &str) -> String {
    let mut name = String::with_capacity(owner.len() + 1 + attribute.len());
    name.push_str(owner);
    name.push('_');
    name.push_str(attribute);
    name
}

/// The whole record: `{"Event":{…}}`; other members are ignored, as the tree
/// walk ignores them.
struct Root<'w, 'e, 'de>(&'w mut Walk<'e, 'de>);

impl<'de> DeserializeSeed<'de> for Root<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, parser: D) -> Result<(), D::Error> {
        parser.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Root<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a rendered event")
    }

    fn visit_map<A: MapAccess<'de>>(self, object: A) -> Result<(), A::Error> {
        let mut found = false;
        self.0.members(object, |walk, key, object| {
            if key != "Event" {
                return object.next_value_seed(Skip);
            }
            found = true;
            object.next_value_seed(Body(walk))
        })?;
        if found {
            Ok(())
        } else {
            Err(A::Error::custom("no Event element"))
        }
    }
}

/// The `Event` element's content: `System` first, then the event's data.
struct Body<'w, 'e, 'de>(&'w mut Walk<'e, 'de>);

impl<'de> DeserializeSeed<'de> for Body<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, parser: D) -> Result<(), D::Error> {
        parser.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Body<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the Event element's content")
    }

    fn visit_map<A: MapAccess<'de>>(self, object: A) -> Result<(), A::Error> {
        let before = self.0.event.len();
        self.0.members(object, |walk, key, object| {
            // The event element's own attributes are its namespace and nothing else.
            if key == "#attributes" || key.starts_with('@') {
                return object.next_value_seed(Skip);
            }
            let system = key == "System";
            if system && walk.event.len() > before {
                return Err(A::Error::custom("System after the event's data"));
            }
            object.next_value_seed(Element {
                walk,
                name: key,
                skip_null: !system,
            })
        })
    }
}

/// An element's value under its name: an object of attributes, text and
/// children; an array of such objects (a repeated element); or a leaf value.
struct Element<'w, 'e, 'de, 'n> {
    walk: &'w mut Walk<'e, 'de>,
    name: &'n str,
    /// Whether a null adds nothing (the `Event` element's children) or a
    /// null field (any deeper element).
    skip_null: bool,
}

impl<'de> DeserializeSeed<'de> for Element<'_, '_, 'de, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, parser: D) -> Result<(), D::Error> {
        parser.deserialize_any(self)
    }
}

impl<'de> Element<'_, '_, 'de, '_> {
    fn emit<E>(self, value: FieldValue) -> Result<(), E> {
        self.walk.emit(self.name, value);
        Ok(())
    }
}

impl<'de> Visitor<'de> for Element<'_, '_, 'de, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an element")
    }

    fn visit_map<A: MapAccess<'de>>(self, object: A) -> Result<(), A::Error> {
        self.walk.element_members(self.name, object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        // The tree walk takes an array of objects for a repeated element and
        // anything else for a list value; which one, the first item tells.
        let mut shape = ArrayShape::Unknown;
        let mut values = Vec::new();
        while let Some(value) = items.next_element_seed(ArrayItem {
            walk: self.walk,
            name: self.name,
            shape: &mut shape,
        })? {
            values.extend(value);
        }
        match shape {
            ArrayShape::Elements => Ok(()),
            ArrayShape::Unknown | ArrayShape::Values => self.emit(FieldValue::List(values)),
        }
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        if self.skip_null {
            return Ok(());
        }
        self.emit(FieldValue::Null)
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<(), E> {
        self.emit(FieldValue::Bool(value))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<(), E> {
        self.emit(FieldValue::Int(value))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<(), E> {
        self.emit(unsigned(value))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<(), E> {
        self.emit(float(value))
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<(), E> {
        self.emit(FieldValue::Str(value.into()))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum ArrayShape {
    Unknown,
    /// Every item an object: each one the element again.
    Elements,
    /// No item an object: one list value.
    Values,
}

/// One item of an element's array: an object is read as the element (and
/// gives `None`), anything else is a value of the list.
struct ArrayItem<'w, 'e, 'de, 'n, 's> {
    walk: &'w mut Walk<'e, 'de>,
    name: &'n str,
    shape: &'s mut ArrayShape,
}

impl<'de> DeserializeSeed<'de> for ArrayItem<'_, '_, 'de, '_, '_> {
    type Value = Option<FieldValue>;

    fn deserialize<D: Deserializer<'de>>(self, parser: D) -> Result<Self::Value, D::Error> {
        parser.deserialize_any(self)
    }
}

impl ArrayItem<'_, '_, '_, '_, '_> {
    /// Records the shape the item implies; an error when the array mixes objects
    /// with other values (the tree walk renders those objects as JSON text).
    fn expect<E: serde::de::Error>(&mut self, shape: ArrayShape) -> Result<(), E> {
        if *self.shape != ArrayShape::Unknown && *self.shape != shape {
            return Err(E::custom("an array mixing objects and values"));
        }
        *self.shape = shape;
        Ok(())
    }

    fn value<E: serde::de::Error>(mut self, value: FieldValue) -> Result<Option<FieldValue>, E> {
        self.expect(ArrayShape::Values)?;
        Ok(Some(value))
    }
}

impl<'de> Visitor<'de> for ArrayItem<'_, '_, 'de, '_, '_> {
    type Value = Option<FieldValue>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an element or a value")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, object: A) -> Result<Self::Value, A::Error> {
        self.expect(ArrayShape::Elements)?;
        self.walk.element_members(self.name, object)?;
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<Self::Value, A::Error> {
        let list = Leaf.visit_seq(items)?;
        self.value(list)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        self.value(FieldValue::Null)
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Self::Value, E> {
        self.value(FieldValue::Bool(value))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Self::Value, E> {
        self.value(FieldValue::Int(value))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Self::Value, E> {
        self.value(unsigned(value))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Self::Value, E> {
        self.value(float(value))
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self::Value, E> {
        self.value(FieldValue::Str(value.into()))
    }
}

/// An element's attributes, `{"Name":value,…}`, as `Owner_Name` fields;
/// namespace declarations are dropped.
struct Attributes<'w, 'e, 'de, 'n> {
    walk: &'w mut Walk<'e, 'de>,
    owner: &'n str,
}

impl<'de> DeserializeSeed<'de> for Attributes<'_, '_, 'de, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, parser: D) -> Result<(), D::Error> {
        parser.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Attributes<'_, '_, 'de, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of attributes")
    }

    fn visit_map<A: MapAccess<'de>>(self, object: A) -> Result<(), A::Error> {
        let owner = self.owner;
        self.walk.members(object, |walk, attribute, object| {
            if is_namespace(attribute) {
                return object.next_value_seed(Skip);
            }
            let value = object.next_value_seed(Leaf)?;
            walk.emit(attribute_name(owner, attribute), value);
            Ok(())
        })
    }
}

/// A leaf value: a scalar, or an array of leaf values. An object is an error
/// (the tree walk renders it as JSON text).
struct Leaf;

impl<'de> DeserializeSeed<'de> for Leaf {
    type Value = FieldValue;

    fn deserialize<D: Deserializer<'de>>(self, parser: D) -> Result<FieldValue, D::Error> {
        parser.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Leaf {
    type Value = FieldValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<FieldValue, A::Error> {
        let mut values = Vec::new();
        while let Some(value) = items.next_element_seed(Leaf)? {
            values.push(value);
        }
        Ok(FieldValue::List(values))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<FieldValue, E> {
        Ok(FieldValue::Null)
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<FieldValue, E> {
        Ok(FieldValue::Bool(value))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<FieldValue, E> {
        Ok(FieldValue::Int(value))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<FieldValue, E> {
        Ok(unsigned(value))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<FieldValue, E> {
        Ok(float(value))
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<FieldValue, E> {
        Ok(FieldValue::Str(value.into()))
    }
}

/// A number above `i64::MAX` is a float, as [`FieldValue::from_json`] makes it.
fn unsigned(value: u64) -> FieldValue {
    i64::try_from(value).map_or(FieldValue::Float(value as f64), FieldValue::Int)
}

/// A float `serde_json::Value` cannot hold (not finite) is null there too.
fn float(value: f64) -> FieldValue {
    if value.is_finite() {
        FieldValue::Float(value)
    } else {
        FieldValue::Null
    }
}

/// A value whose content is not used, parsed as strictly as any other (its
/// nesting counts towards the parser's depth limit, its numbers must fit) so
/// that a record the tree walk rejects is rejected here too.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, parser: D) -> Result<(), D::Error> {
        parser.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut object: A) -> Result<(), A::Error> {
        while object.next_key_seed(Key)?.is_some() {
            object.next_value_seed(Skip)?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        while items.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
}

/// An object's key, borrowed from the JSON text unless it has escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, parser: D) -> Result<Self::Value, D::Error> {
        parser.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(key))
    }

    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(key.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    /// The event the tree walk makes of `record`.
    fn tree(record: &Value) -> Event {
        let mut event = Event::new("test");
        super::super::event_xml(record.as_object().unwrap().clone(), &mut event);
        event
    }

    /// Reads `record` in one pass, checking it gives what the tree walk gives.
    fn same_as_tree(record: Value) -> Event {
        let mut event = Event::new("test");
        flatten(&record.to_string(), &mut event).expect("read in one pass");
        let expected = tree(&record);
        assert_eq!(
            event.fields().collect::<Vec<_>>(),
            expected.fields().collect::<Vec<_>>()
        );
        assert_eq!(event.timestamp, expected.timestamp);
        assert_eq!(event.product, expected.product);
        event
    }

    fn left_to_tree(text: &str) -> bool {
        flatten(text, &mut Event::new("test")).is_err()
    }

    #[test]
    fn a_rendered_record_gives_the_tree_walks_fields() {
        let event = same_as_tree(json!({"Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            "System": {
                "Provider": {"#attributes": {"Name": "Service Control Manager",
                    "Guid": "{555908d1-a6d7-4695-8e1e-26931d2012f4}"}},
                "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 7045},
                "Version": 0, "Level": 4, "Keywords": "0x8080000000000000",
                "TimeCreated": {"#attributes": {"SystemTime": "2016-09-21T03:41:02.5429687Z"}},
                "EventRecordID": "8623",
                "Correlation": null,
                "Channel": "System", "Computer": "IE10Win7",
                "Security": {"#attributes": {"UserID": "S-1-5-18"}}
            },
            "EventData": {"ServiceName": "KgXItsbKgTJzdzwl",
                "ImagePath": "%SYSTEMROOT%\\duKhLYUX.exe", "ProcessId": 123,
                "Big": 18446744073709551615u64, "Negative": -5, "Ratio": 0.5,
                "Flag": true, "Empty": null, "Strings": ["a", "b\u{e9}", 1, null, [2]],
                "None": [], "Key \"quoted\"": "v"}
        }}));
        assert_eq!(event.event_id(), Some(7045));
        assert_eq!(event.get("EventRecordID"), Some(&FieldValue::Int(8623)));
        assert_eq!(event.get("Big"), Some(&FieldValue::Float(u64::MAX as f64)));
        assert!(event.timestamp.is_some());
    }

    #[test]
    fn user_data_binary_and_repeated_elements_give_the_tree_walks_fields() {
        same_as_tree(json!({"Event": {
            "System": {"EventID": 104, "Channel": "System"},
            "UserData": {"LogFileCleared": {
                "#attributes": {"xmlns:auto-ns3": "a", "xmlns": "b"},
                "SubjectUserName": "IEUser", "Channel": "Security", "BackupPath": null,
                "Applications": {"Application": "a.exe", "Application_1": "b.exe"},
                "Result": {"@value": "0", "@xmlns": "x", "#text": ["ok", "fine"]},
                "Entry": [{"#attributes": {"Id": 1}}, {"#text": "two"}]
            }},
            "EventData": {"Data": {"#text": ["a", "b"]}, "Binary": "4E00"}
        }}));
        // A null before System adds nothing, so System need not come first.
        same_as_tree(json!({"Event": {"Stray": null, "System": {"EventID": 1}}}));
    }

    #[test]
    fn what_one_pass_cannot_follow_is_left_to_the_tree_walk() {
        for text in [
            r##"{"Event":{"System":{"EventID":1,"EventID":2}}}"##,
            r##"{"Event":{"EventData":{"A":1},"System":{"EventID":1}}}"##,
            r##"{"Event":{"System":{},"EventData":{"Data":{"#attributes":{"Name":"A"},"#text":"x"}}}}"##,
            r##"{"Event":{"System":{},"EventData":{"Data":[{"@Name":"A","#text":"x"}]}}}"##,
            r##"{"Event":{"System":{},"EventData":{"A":[{"B":1},2]}}}"##,
            r##"{"Event":{"System":{},"EventData":{"A":[2,{"B":1}]}}}"##,
            r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":{"x":1}}}}}}"##,
            r##"{"Event":{"System":{"Provider":{"#attributes":"x"}}}}"##,
            r##"{"Event":{"System":{"Provider_attributes":{"Name":"P"}}}}"##,
            r##"{"System":{"EventID":1}}"##,
            r##"{"Event":"text"}"##,
            r##"[1]"##,
            r##"{"Event":{"System":{}}} trailing"##,
        ] {
            assert!(left_to_tree(text), "{text}");
        }
    }

    #[test]
    fn whatever_the_tree_walk_rejects_is_rejected() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        for text in [
            format!(r##"{{"Event":{{"System":{{}},"EventData":{{"A":{deep}}}}}}}"##),
            format!(r##"{{"Event":{{"#attributes":{deep},"System":{{}}}}}}"##),
            r#"{"Event":{"System":{},"EventData":{"A":1e999}}}"#.to_string(),
        ] {
            assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
            assert!(left_to_tree(&text), "{text}");
        }
    }
}
