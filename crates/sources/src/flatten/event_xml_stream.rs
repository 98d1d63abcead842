//! [`event_xml`](super::event_xml)'s flattening done while reading the JSON
//! text the `evtx` crate renders, by a reader made for that one shape: no
//! `serde_json::Value`, no visitor per element, strings borrowed from the text
//! until they become fields.
//!
//! One pass in document order gives the same fields as the tree walk for the
//! shape the `evtx` crate writes. Where the tree walk would do something a
//! single pass cannot, reading stops and the caller walks the tree instead
//! (see [`flatten`]): a repeated key (the tree keeps the first key's place and
//! the last key's value), `System` after fields of the event's data, a `Data`
//! element that may name itself by an attribute, an object where a value is
//! expected (the tree renders it as JSON text), attributes given as anything
//! but an object, `Element_attributes` siblings, or a record that is not
//! `{"Event":{…}}`. So does what this reader leaves to serde_json: nesting
//! deeper than [`DEPTH`], a lone surrogate, a number no float holds, and text
//! that is not JSON at all — which the tree walk then reports as serde_json
//! does.

use std::collections::HashSet;

use vigil_event::{escapes_in, needs_escape, same_text, Event, FieldName, FieldValue};

use super::event_xml::{finish, is_namespace};
use super::{id_of, id_value, is_windows_id};

/// Objects and arrays nested deeper than this are left to the tree walk
/// (serde_json itself stops at 128).
const DEPTH: usize = 64;

/// Why a record was left to the tree walk (the tree walk reports real JSON
/// errors itself).
#[derive(Debug)]
pub(crate) struct Left(pub(super) &'static str);

impl std::fmt::Display for Left {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Fills `event` from one rendered record, read straight from its JSON text.
///
/// An error means either that the text is not JSON or that the record needs
/// the tree walk; `event` is then half filled and must be dropped, and the
/// record read with [`event_xml`](super::event_xml) from a parsed `Value`,
/// which also reports a real JSON error as the tree walk always has.
pub(crate) fn flatten(json: &str, event: &mut Event) -> Result<(), Left> {
    // A rendered record has a field for every 25 to 40 bytes: room made at
    // once costs less than a list grown (and copied) step by step.
    event.reserve((json.len() / 25).min(64));
    let mut walk = Walk::over(json, event);
    walk.root()?;
    walk.space();
    if walk.at != json.len() {
        return Err(Left("text after the record"));
    }
    finish(walk.event);
    Ok(())
}

/// The state of one record's pass: where the reader is in the text, and what
/// it has made of it so far.
pub(super) struct Walk<'t, 'e> {
    pub(super) text: &'t str,
    /// The byte the reader is at.
    pub(super) at: usize,
    /// How many objects and arrays enclose the reader.
    depth: usize,
    event: &'e mut Event,
    /// The keys read so far of each object being read, innermost object's
    /// last, to notice a repeated key.
    keys: Vec<&'t str>,
    /// Where a string with escapes is decoded.
    scratch: String,
}

/// How many keys of one object are told apart by their bits before a set
/// takes over.
const MANY_KEYS: usize = 64;

/// A key's bit in an object's set of keys seen: of its length and its
/// first and last four bytes (or all of a shorter key's), mixed so that the
/// keys of one object, which often share how they start or end
/// (`SourceIp`, `SourcePort`), seldom share a bit.
fn key_hash(key: &str) -> u32 {
    key_mix(key) >> 26
}

/// The 32-bit mix of a key [`key_hash`] takes its top bits of; tables of
/// keys take as many as they need.
pub(super) fn key_mix(key: &str) -> u32 {
    let bytes = key.as_bytes();
    let word = match (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        (Some(head), Some(tail)) => {
            u32::from_le_bytes(*head) ^ u32::from_le_bytes(*tail).rotate_left(13)
        }
        _ => bytes.iter().fold(0, |word, &b| word << 8 | u32::from(b)),
    };
    (word ^ bytes.len() as u32).wrapping_mul(0x9E37_79B9)
}

impl<'t, 'e> Walk<'t, 'e> {
    /// A reader at the start of `text`, filling `event`.
    pub(super) fn over(text: &'t str, event: &'e mut Event) -> Self {
        Walk {
            text,
            at: 0,
            depth: 0,
            event,
            keys: Vec::with_capacity(32),
            scratch: String::new(),
        }
    }

    // ---- reading JSON ----

    fn bytes(&self) -> &'t [u8] {
        self.text.as_bytes()
    }

    #[inline]
    pub(super) fn space(&mut self) {
        // Rendered records have no white space between tokens: one test
        // settles the usual case.
        if self.bytes().get(self.at).is_some_and(|&b| b > b' ') {
            return;
        }
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.bytes().get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte that is not white space, not taken.
    #[inline]
    pub(super) fn peek(&mut self) -> Option<u8> {
        self.space();
        self.bytes().get(self.at).copied()
    }

    /// Takes `byte`, after white space, or fails.
    #[inline]
    fn expect(&mut self, byte: u8, what: &'static str) -> Result<(), Left> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Left(what))
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Left> {
        if self.bytes()[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(Left("not a value"))
        }
    }

    fn nest(&mut self) -> Result<(), Left> {
        self.depth += 1;
        if self.depth > DEPTH {
            return Err(Left("nested too deep"));
        }
        Ok(())
    }

    /// Reads the members of the object whose `{` is next, handing each key
    /// to `member`, which must read the member's value.
    pub(super) fn members(
        &mut self,
        mut member: impl FnMut(&mut Self, &'t str) -> Result<(), Left>,
    ) -> Result<(), Left> {
        self.expect(b'{', "not an object")?;
        self.nest()?;
        let start = self.keys.len();
        // A bit per key by a cheap hash, so that most keys are known new
        // without comparing them with the others.
        let mut seen = 0u64;
        // Past a few dozen keys every bit is set: a set then tells a
        // repeated key, or an object of a million keys would compare each
        // with all the others.
        let mut many: Option<HashSet<&'t str>> = None;
        if self.peek() == Some(b'}') {
            self.at += 1;
        } else {
            loop {
                self.expect(b'"', "not a key")?;
                let key = self.key()?;
                let repeated = match &mut many {
                    Some(keys) => !keys.insert(key),
                    None if self.keys.len() - start >= MANY_KEYS => {
                        let mut keys: HashSet<&str> = self.keys[start..].iter().copied().collect();
                        let repeated = !keys.insert(key);
                        many = Some(keys);
                        repeated
                    }
                    None => {
                        let bit = 1 << key_hash(key);
                        let repeated =
                            seen & bit != 0 && self.keys[start..].iter().any(|k| same_text(k, key));
                        seen |= bit;
                        repeated
                    }
                };
                if repeated {
                    return Err(Left("repeated key"));
                }
                self.expect(b':', "no colon after a key")?;
                self.keys.push(key);
                member(self, key)?;
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b'}') => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(Left("an object not closed")),
                }
            }
        }
        self.keys.truncate(start);
        self.depth -= 1;
        Ok(())
    }

    /// Reads the items of the array whose `[` is next, each by `item`.
    fn items(&mut self, mut item: impl FnMut(&mut Self) -> Result<(), Left>) -> Result<(), Left> {
        self.expect(b'[', "not an array")?;
        self.nest()?;
        if self.peek() == Some(b']') {
            self.at += 1;
        } else {
            loop {
                item(self)?;
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b']') => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(Left("an array not closed")),
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// The rest of a key whose opening quote was taken. A key with an escape
    /// (no rendered record has one) is left to the tree walk.
    #[inline(always)]
    fn key(&mut self) -> Result<&'t str, Left> {
        let start = self.at;
        self.run();
        if self.bytes().get(self.at) != Some(&b'"') {
            return Err(Left("a key with an escape, or not closed"));
        }
        self.at += 1;
        // The run stopped at an ASCII byte: a character boundary.
        Ok(&self.text[start..self.at - 1])
    }

    /// Moves past the rest of a string whose opening quote was taken,
    /// checking its escapes.
    fn skip_string(&mut self) -> Result<(), Left> {
        self.run();
        match self.bytes().get(self.at) {
            Some(b'"') => {
                self.at += 1;
                Ok(())
            }
            Some(b'\\') => {
                let mut scratch = std::mem::take(&mut self.scratch);
                let checked = self.escaped(&mut scratch);
                scratch.clear();
                self.scratch = scratch;
                checked
            }
            _ => Err(Left("a string not closed, or with a control character")),
        }
    }

    /// A string value as a field value: one allocation of its exact size.
    fn string_value(&mut self) -> Result<FieldValue, Left> {
        let mut value = FieldValue::Null;
        self.string(|_, text| value = FieldValue::Str(text.to_owned()))?;
        Ok(value)
    }

    /// Reads the rest of a string whose opening quote was taken and hands
    /// its text to `take`: a slice of the record when it has no escape,
    /// decoded into the scratch string otherwise.
    pub(super) fn string(&mut self, take: impl FnOnce(&mut Self, &str)) -> Result<(), Left> {
        let start = self.at;
        self.run();
        match self.bytes().get(self.at) {
            Some(b'"') => {
                self.at += 1;
                take(self, &self.text[start..self.at - 1]);
                Ok(())
            }
            Some(b'\\') => {
                let mut owned = std::mem::take(&mut self.scratch);
                owned.clear();
                // Room for most paths and command lines at once, rather than
                // growing step by step for the record's first escaped string.
                owned.reserve(256);
                owned.push_str(&self.text[start..self.at]);
                let decoded = self.escaped(&mut owned);
                if decoded.is_ok() {
                    take(self, &owned);
                }
                self.scratch = owned;
                decoded
            }
            _ => Err(Left("a string not closed, or with a control character")),
        }
    }

    /// Moves past plain string content, eight bytes at a time (as
    /// [`vigil_event::plain_json_text`] does, on the reader's own place).
    #[inline]
    fn run(&mut self) {
        let bytes = self.bytes();
        let mut at = self.at;
        while let Some(word) = bytes[at..].first_chunk::<8>() {
            let found = escapes_in(u64::from_le_bytes(*word));
            if found != 0 {
                self.at = at + (found.trailing_zeros() / 8) as usize;
                return;
            }
            at += 8;
        }
        while at < bytes.len() && !needs_escape(bytes[at]) {
            at += 1;
        }
        self.at = at;
    }

    /// Decodes the rest of a string from its first backslash on into `out`,
    /// taking the closing quote.
    fn escaped(&mut self, out: &mut String) -> Result<(), Left> {
        loop {
            match self.bytes().get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    let escape = self.bytes().get(self.at + 1).copied();
                    self.at += 2;
                    match escape {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => out.push(self.unicode()?),
                        _ => return Err(Left("an invalid escape")),
                    }
                }
                Some(_) => {
                    let start = self.at;
                    self.run();
                    if self.at == start {
                        return Err(Left("a control character in a string"));
                    }
                    out.push_str(&self.text[start..self.at]);
                }
                None => return Err(Left("a string not closed")),
            }
        }
    }

    /// The character of a `\u` escape whose `\u` was taken; a surrogate pair
    /// is two escapes. A lone surrogate is left to serde_json, which rejects it.
    fn unicode(&mut self) -> Result<char, Left> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.bytes()[self.at..].starts_with(b"\\u") {
                    return Err(Left("a lone surrogate"));
                }
                self.at += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(Left("a lone surrogate"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(Left("a lone surrogate")),
            _ => first,
        };
        char::from_u32(code).ok_or(Left("not a character"))
    }

    fn hex4(&mut self) -> Result<u32, Left> {
        let digits = self
            .bytes()
            .get(self.at..self.at + 4)
            .ok_or(Left("a short escape"))?;
        let mut code = 0;
        for &digit in digits {
            let value = (digit as char)
                .to_digit(16)
                .ok_or(Left("not a hex digit"))?;
            code = code * 16 + value;
        }
        self.at += 4;
        Ok(code)
    }

    /// A number, as serde_json reads it: an integer below zero an `i64`,
    /// otherwise a `u64` (a float above `i64::MAX`, as
    /// [`FieldValue::from_json`] makes it); anything else (a fraction, an
    /// exponent, `-0`, an integer beyond 64 bits) a float, read by serde_json
    /// itself so that it is the same float to the last bit.
    fn number(&mut self) -> Result<FieldValue, Left> {
        let start = self.at;
        let bytes = self.bytes();
        let negative = bytes.get(self.at) == Some(&b'-');
        if negative {
            self.at += 1;
        }
        let mut magnitude: Option<u64> = match bytes.get(self.at) {
            Some(b'0') => {
                self.at += 1;
                Some(0)
            }
            Some(&digit @ b'1'..=b'9') => {
                self.at += 1;
                let mut magnitude = Some(u64::from(digit - b'0'));
                while let Some(&digit @ b'0'..=b'9') = bytes.get(self.at) {
                    magnitude = magnitude
                        .and_then(|m| m.checked_mul(10))
                        .and_then(|m| m.checked_add(u64::from(digit - b'0')));
                    self.at += 1;
                }
                magnitude
            }
            _ => return Err(Left("not a number")),
        };
        if let Some(b'.' | b'e' | b'E' | b'0'..=b'9') = bytes.get(self.at) {
            magnitude = None;
            while let Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') = bytes.get(self.at) {
                self.at += 1;
            }
        }
        match magnitude {
            Some(m) if !negative => {
                return Ok(i64::try_from(m).map_or(FieldValue::Float(m as f64), FieldValue::Int));
            }
            // serde_json makes `-0` and integers below `i64::MIN` floats.
            Some(m) if m != 0 && m <= 1 << 63 => {
                return Ok(FieldValue::Int(m.wrapping_neg() as i64))
            }
            _ => {}
        }
        match serde_json::from_str::<f64>(&self.text[start..self.at]) {
            Ok(value) if value.is_finite() => Ok(FieldValue::Float(value)),
            _ => Err(Left("not a number JSON can hold")),
        }
    }

    /// A scalar: a string, number, `true`, `false` or `null`.
    #[inline(always)]
    fn scalar(&mut self) -> Result<FieldValue, Left> {
        match self.peek() {
            Some(b'"') => {
                self.at += 1;
                self.string_value()
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true").map(|()| FieldValue::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|()| FieldValue::Bool(false)),
            Some(b'n') => self.literal(b"null").map(|()| FieldValue::Null),
            _ => Err(Left("not a value")),
        }
    }

    /// A leaf value: a scalar, or an array of leaf values. An object is left
    /// to the tree walk (which renders it as JSON text).
    pub(super) fn leaf(&mut self) -> Result<FieldValue, Left> {
        if self.peek() != Some(b'[') {
            return self.scalar();
        }
        let mut values = Vec::new();
        self.items(|walk| {
            values.push(walk.leaf()?);
            Ok(())
        })?;
        Ok(FieldValue::List(values))
    }

    /// Moves past a value whose content is not used, read as strictly as
    /// any other.
    fn skip(&mut self) -> Result<(), Left> {
        match self.peek() {
            Some(b'{') => self.members(|walk, _| walk.skip()),
            Some(b'[') => self.items(Self::skip),
            Some(b'"') => {
                self.at += 1;
                self.skip_string()
            }
            _ => self.scalar().map(drop),
        }
    }

    // ---- the record's shape ----

    fn emit(&mut self, name: impl FieldName, value: FieldValue) {
        let value = if is_windows_id(&name) {
            id_value(value)
        } else {
            value
        };
        self.event.insert(name, value);
    }

    /// Reads a leaf value into the field `name`: a string straight from the
    /// record's text into the event (see [`Event::insert_text`]).
    #[inline(always)]
    fn field(&mut self, name: impl FieldName) -> Result<(), Left> {
        if self.peek() != Some(b'"') {
            let value = self.leaf()?;
            self.emit(name, value);
            return Ok(());
        }
        self.at += 1;
        self.string(|walk, text| {
            let id = is_windows_id(&name).then(|| id_of(text));
            match id.flatten() {
                Some(id) => walk.event.insert(name, FieldValue::Int(id)),
                None => walk.event.insert_text(name, text),
            }
        })
    }

    /// Reads a leaf value into the field of the attribute `attribute` of the
    /// element `owner`: `Owner_Attribute`.
    fn attribute(&mut self, owner: &str, attribute: &str) -> Result<(), Left> {
        self.field((owner, attribute))
    }

    /// The whole record: `{"Event":{…}}`; other members are ignored, as the
    /// tree walk ignores them.
    fn root(&mut self) -> Result<(), Left> {
        let mut found = false;
        self.members(|walk, key| {
            if key != "Event" {
                return walk.skip();
            }
            found = true;
            walk.body()
        })?;
        if found {
            Ok(())
        } else {
            Err(Left("no Event element"))
        }
    }

    /// The `Event` element's content: `System` first, then the event's data.
    fn body(&mut self) -> Result<(), Left> {
        let before = self.event.len();
        self.members(|walk, key| {
            // The event element's own attributes are its namespace and nothing else.
            if key == "#attributes" || key.starts_with('@') {
                return walk.skip();
            }
            let system = key == "System";
            if system && walk.event.len() > before {
                return Err(Left("System after the event's data"));
            }
            walk.element(key, !system)
        })
    }

    /// An element's value under its name: an object of attributes, text and
    /// children; an array of such objects (a repeated element); or a leaf
    /// value. A null adds nothing when `skip_null` (the `Event` element's
    /// children), a null field otherwise.
    #[inline(always)]
    fn element(&mut self, name: &str, skip_null: bool) -> Result<(), Left> {
        match self.peek() {
            Some(b'{') => self.element_members(name),
            Some(b'[') => self.repeated(name),
            Some(b'n') if skip_null => self.literal(b"null"),
            _ => self.field(name),
        }
    }

    /// An element's array: every item an object (the element repeated), or
    /// no item an object (one list value). An array mixing both is left to
    /// the tree walk, which renders those objects as JSON text.
    fn repeated(&mut self, name: &str) -> Result<(), Left> {
        let (mut objects, mut values) = (false, Vec::new());
        self.items(|walk| {
            let object = walk.peek() == Some(b'{');
            if object && !values.is_empty() || !object && objects {
                return Err(Left("an array mixing objects and values"));
            }
            if object {
                objects = true;
                walk.element_members(name)
            } else {
                values.push(walk.leaf()?);
                Ok(())
            }
        })?;
        if !objects {
            self.emit(name, FieldValue::List(values));
        }
        Ok(())
    }

    /// The members of the element `name`: attributes, text and children.
    fn element_members(&mut self, name: &str) -> Result<(), Left> {
        self.members(|walk, key| {
            if key == "#attributes" {
                if name == "Data" {
                    return Err(Left("a Data element's attributes"));
                }
                walk.attributes(name)
            } else if key == "#text" {
                walk.field(name)
            } else if let Some(attribute) = key.strip_prefix('@') {
                if name == "Data" && attribute == "Name" {
                    return Err(Left("a Data element's Name attribute"));
                }
                if is_namespace(attribute) {
                    return walk.skip();
                }
                walk.attribute(name, attribute)
            } else if key.ends_with("_attributes") {
                Err(Left("attributes beside their element"))
            } else {
                walk.element(key, false)
            }
        })
    }

    /// An element's attributes, `{"Name":value,…}`, as `Owner_Name` fields;
    /// namespace declarations are dropped.
    fn attributes(&mut self, owner: &str) -> Result<(), Left> {
        if self.peek() != Some(b'{') {
            return Err(Left("attributes that are not an object"));
        }
        self.members(|walk, attribute| {
            if is_namespace(attribute) {
                return walk.skip();
            }
            walk.attribute(owner, attribute)
        })
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
                "None": [], "Quoted": "say \"v\""}
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
            r##"{"Event":{"System":{},"EventData":{"Key \"quoted\"":1}}}"##,
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

    /// Escapes, numbers and white space read as serde_json reads them.
    #[test]
    fn strings_and_numbers_read_as_serde_json_reads_them() {
        let text = concat!(
            r##" { "Event" : { "System" : { "EventID" : "4688" , "Channel" : "Sec\u0075rity" } ,"##,
            r##" "EventData" : { "Path" : "C:\\Windows\\x.exe" , "Quote" : "say \"hi\"\/" ,"##,
            r##" "Controls" : "\b\f\n\r\t" , "Pair" : "\ud83d\ude00 \u00e9\u20AC" , "Key" : 1 ,"##,
            r##" "Zero" : 0 , "NegZero" : -0 , "Min" : -9223372036854775808 , "Below" : -9223372036854775809 ,"##,
            r##" "Max" : 18446744073709551615 , "Beyond" : 18446744073709551616 , "Exp" : 1E5 ,"##,
            r##" "Small" : -1.5e-3 , "Many" : [ 1 , [ true , false , null ] , "x" ] , "Empty" : { } } } }"##,
            "\n\t\r "
        );
        let record: Value = serde_json::from_str(text).unwrap();
        let mut event = Event::new("test");
        flatten(text, &mut event).unwrap();
        let expected = tree(&record);
        assert_eq!(
            event.fields().collect::<Vec<_>>(),
            expected.fields().collect::<Vec<_>>()
        );
        assert_eq!(
            event.get("Pair"),
            Some(&FieldValue::from("\u{1F600} \u{e9}\u{20ac}"))
        );
        assert_eq!(event.get("Min"), Some(&FieldValue::Int(i64::MIN)));
        assert_eq!(event.get("Key"), Some(&FieldValue::Int(1)));
        let FieldValue::Float(zero) = event.get("NegZero").unwrap() else {
            panic!("-0 is a float, as serde_json makes it");
        };
        assert!(zero.is_sign_negative());
    }

    #[test]
    fn what_serde_json_rejects_is_left_to_it() {
        for text in [
            r##"{"Event":{"System":{"A":"\ud800"}}}"##,
            r##"{"Event":{"System":{"A":"\ude00x"}}}"##,
            r##"{"Event":{"System":{"A":"\x"}}}"##,
            r##"{"Event":{"System":{"A":"a	tab"}}}"##,
            r##"{"Event":{"System":{"A":01}}}"##,
            r##"{"Event":{"System":{"A":1.}}}"##,
            r##"{"Event":{"System":{"A":-}}}"##,
            r##"{"Event":{"System":{"A":1,}}}"##,
            r##"{"Event":{"System":{"A":tru}}}"##,
            r##"{"Event":{"System":{"A":"open"##,
            r##"{"Event":{"System":{"A" 1}}}"##,
            r##"{"Event":{"System":{"A":[1 2]}}}"##,
        ] {
            assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
            assert!(left_to_tree(text), "{text}");
        }
    }

    /// Damaged copies of a record: whatever this reader accepts, serde_json
    /// accepts too and the tree walk gives the same fields; whatever serde_json
    /// rejects, this reader leaves to it; nothing panics.
    #[test]
    fn a_damaged_record_reads_as_the_tree_walk_reads_it_or_is_left_to_it() {
        let record = json!({"Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
                "EventID": 1, "EventRecordID": 42,
                "TimeCreated": {"#attributes": {"SystemTime": "2026-03-02T08:00:00.000000Z"}},
                "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "ws-01"
            },
            "EventData": {"Image": "C:\\Windows\\System32\\cmd.exe",
                "CommandLine": "cmd /c \"echo \u{e9}\"", "ProcessId": 4242, "Hashes": ["a", 1, -2]}
        }})
        .to_string();
        let alphabet = b"{}[]\":,\\u0123456789-.eE+ tnfalsrx\x01\xc3\xa9";
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut accepted, mut left) = (0, 0);
        for _ in 0..20_000 {
            let mut bytes = record.clone().into_bytes();
            for _ in 0..1 + next() % 3 {
                let at = (next() % bytes.len() as u64) as usize;
                match next() % 3 {
                    0 => bytes[at] = alphabet[(next() % alphabet.len() as u64) as usize],
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, alphabet[(next() % alphabet.len() as u64) as usize]),
                }
            }
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            let mut event = Event::new("test");
            match (
                flatten(&text, &mut event),
                serde_json::from_str::<Value>(&text),
            ) {
                (Ok(()), Ok(value)) => {
                    accepted += 1;
                    let expected = tree(&value);
                    assert_eq!(
                        event.fields().collect::<Vec<_>>(),
                        expected.fields().collect::<Vec<_>>(),
                        "{text}"
                    );
                }
                (Ok(()), Err(error)) => panic!("read what serde_json rejects ({error}): {text}"),
                (Err(_), _) => left += 1,
            }
        }
        assert!(
            accepted > 1_000 && left > 1_000,
            "{accepted} read, {left} left"
        );
    }

    /// Keys alike in length and ends are told apart; a key repeated after
    /// others is still noticed.
    #[test]
    fn keys_alike_are_not_taken_for_repeated_ones() {
        same_as_tree(json!({"Event": {"System": {"EventID": 1},
            "EventData": {"AxB": 1, "AyB": 2, "AzB": 3}}}));
        assert!(left_to_tree(
            r##"{"Event":{"System":{},"EventData":{"AxB":1,"AyB":2,"Other":3,"AxB":4}}}"##
        ));
    }
}
