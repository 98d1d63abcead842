//! A JSON object read in one pass into its members, in document order, with
//! strings borrowed from the text: what the collector shapes (Winlogbeat,
//! NXLog, Wazuh) and generic JSON are flattened from without a
//! `serde_json::Value`.
//!
//! Each member is an entry: its path of keys, and its value when it is a
//! leaf (a scalar, or an array of scalars); an object is an entry too,
//! followed by its own members. A shape takes the entries it maps to EVTX
//! names ([`Members::take`]) and gives the rest their dotted names
//! ([`Members::rest_dotted`]), as [`dotted`](super::dotted) does.
//!
//! What the tree walk does differently from a single pass is left to it, as
//! [`event_xml_stream`](super::event_xml_stream) leaves it: a repeated key
//! (the tree keeps the first key's place and the last key's value), a key
//! with an escape, an object inside an array (the tree renders it as JSON
//! text), and whatever is not JSON at all.

use vigil_event::{Event, FieldValue};

use super::event_xml_stream::{Left, Walk};

/// One member of an object at any depth.
struct Entry<'t> {
    /// The member's keys from the top, in [`Members::keys`].
    path: (u32, u32),
    value: Value<'t>,
    /// One past the index of the member's last descendant: the next entry
    /// that is not inside it.
    end: u32,
    /// Whether a shape has used or dropped it.
    taken: bool,
}

enum Value<'t> {
    Object,
    /// A string without escapes, as it is in the text.
    Text(&'t str),
    /// A string with escapes, decoded into [`Members::decoded`].
    Decoded(u32, u32),
    /// A number, `true`, `false`, `null`, or an array of leaves.
    Other(FieldValue),
}

/// A leaf's value as a shape reads it.
#[derive(Clone, Copy)]
pub(super) enum Leaf<'a> {
    Text(&'a str),
    Other(&'a FieldValue),
}

impl<'a> Leaf<'a> {
    /// The value as a field's, as [`super::field_value`] converts it.
    pub(super) fn to_value(self) -> FieldValue {
        match self {
            Leaf::Text(text) => FieldValue::Str(text.to_owned()),
            Leaf::Other(value) => value.clone(),
        }
    }

    /// The text of a string value.
    pub(super) fn as_str(self) -> Option<&'a str> {
        match self {
            Leaf::Text(text) => Some(text),
            Leaf::Other(_) => None,
        }
    }

    /// Whether the value is a JSON number.
    pub(super) fn is_number(self) -> bool {
        matches!(self, Leaf::Other(FieldValue::Int(_) | FieldValue::Float(_)))
    }

    /// Adds the value as it is under `name`, a string written over the
    /// event's kept one.
    pub(super) fn insert(self, event: &mut Event, name: &str) {
        match self {
            Leaf::Text(text) => event.insert_text(name, text),
            Leaf::Other(value) => event.insert(name, value.clone()),
        }
    }
}

/// The members of one JSON object, read from its text.
pub(super) struct Members<'t> {
    entries: Vec<Entry<'t>>,
    keys: Vec<&'t str>,
    decoded: String,
}

/// Reads `text`, which must be one JSON object and nothing else.
pub(super) fn read<'t>(text: &'t str, event: &mut Event) -> Result<Members<'t>, Left> {
    let mut members = Members {
        entries: Vec::with_capacity(64),
        keys: Vec::with_capacity(128),
        decoded: String::new(),
    };
    let mut walk = Walk::over(text, event);
    let mut path = Vec::with_capacity(8);
    members.object(&mut walk, &mut path)?;
    walk.space();
    if walk.at != text.len() {
        return Err(Left("text after the object"));
    }
    Ok(members)
}

impl<'t> Members<'t> {
    fn object(&mut self, walk: &mut Walk<'t, '_>, path: &mut Vec<&'t str>) -> Result<(), Left> {
        walk.members(|walk, key| {
            path.push(key);
            let start = self.keys.len() as u32;
            self.keys.extend_from_slice(path);
            let index = self.entries.len();
            self.entries.push(Entry {
                path: (start, self.keys.len() as u32),
                value: Value::Object,
                end: 0,
                taken: false,
            });
            match walk.peek() {
                Some(b'{') => self.object(walk, path)?,
                Some(b'"') => {
                    walk.at += 1;
                    let whole = walk.text;
                    let mut value = Value::Object;
                    let decoded = &mut self.decoded;
                    walk.string(|_, text| value = borrowed(whole, text, decoded))?;
                    self.entries[index].value = value;
                }
                _ => self.entries[index].value = Value::Other(walk.leaf()?),
            }
            self.entries[index].end = self.entries.len() as u32;
            path.pop();
            Ok(())
        })
    }

    fn path(&self, index: usize) -> &[&'t str] {
        let (start, end) = self.entries[index].path;
        &self.keys[start as usize..end as usize]
    }

    /// The last key of an entry's path.
    pub(super) fn key(&self, index: usize) -> &'t str {
        self.path(index).last().copied().unwrap_or("")
    }

    /// The entries directly inside the object at `parent`, or at the top
    /// for `None`.
    pub(super) fn children(&self, parent: Option<usize>) -> impl Iterator<Item = usize> + '_ {
        let (mut at, end) = match parent {
            Some(index) => (index + 1, self.entries[index].end as usize),
            None => (0, self.entries.len()),
        };
        std::iter::from_fn(move || {
            if at >= end {
                return None;
            }
            let index = at;
            at = self.entries[index].end as usize;
            Some(index)
        })
    }

    /// The member at the end of `path` from the top, as `Value::get` finds it.
    pub(super) fn find(&self, path: &[&str]) -> Option<usize> {
        let mut parent = None;
        for key in path {
            if parent.is_some_and(|index| !self.is_object(index)) {
                return None;
            }
            parent = Some(self.children(parent).find(|&i| self.key(i) == *key)?);
        }
        parent
    }

    /// The member of the top object named `key`.
    pub(super) fn top(&self, key: &str) -> Option<usize> {
        self.children(None).find(|&i| self.key(i) == key)
    }

    pub(super) fn is_object(&self, index: usize) -> bool {
        matches!(self.entries[index].value, Value::Object)
    }

    /// An entry's leaf value; `None` for an object.
    pub(super) fn leaf(&self, index: usize) -> Option<Leaf<'_>> {
        match &self.entries[index].value {
            Value::Object => None,
            Value::Text(text) => Some(Leaf::Text(text)),
            Value::Decoded(start, end) => {
                Some(Leaf::Text(&self.decoded[*start as usize..*end as usize]))
            }
            Value::Other(value) => Some(Leaf::Other(value)),
        }
    }

    /// [`Members::leaf`], where an object is what the tree walk would render
    /// as JSON text: left to it.
    pub(super) fn scalar(&self, index: usize) -> Result<Leaf<'_>, Left> {
        self.leaf(index)
            .ok_or(Left("an object where a value is read"))
    }

    /// Marks an entry, and all inside it, used or dropped.
    pub(super) fn take(&mut self, index: usize) {
        let end = self.entries[index].end as usize;
        for entry in &mut self.entries[index..end] {
            entry.taken = true;
        }
    }

    pub(super) fn is_taken(&self, index: usize) -> bool {
        self.entries[index].taken
    }

    /// Adds every leaf not taken from `from` up to `to` under its dotted
    /// name (`id.orig_h`), as [`dotted`](super::dotted) names them.
    pub(super) fn dotted_range(&self, from: usize, to: usize, event: &mut Event) {
        let mut name = String::new();
        for index in from..to {
            let Some(leaf) = self.leaf(index).filter(|_| !self.entries[index].taken) else {
                continue;
            };
            let path = self.path(index);
            if let [key] = path {
                leaf.insert(event, key);
                continue;
            }
            name.clear();
            for (at, key) in path.iter().enumerate() {
                if at > 0 {
                    name.push('.');
                }
                name.push_str(key);
            }
            leaf.insert(event, &name);
        }
    }

    /// Adds every leaf not taken under its dotted name.
    pub(super) fn rest_dotted(&self, event: &mut Event) {
        self.dotted_range(0, self.entries.len(), event);
    }

    /// [`Members::dotted_range`] of the entries inside `index`, itself included.
    pub(super) fn dotted_within(&self, index: usize, event: &mut Event) {
        self.dotted_range(index, self.entries[index].end as usize, event);
    }
}

/// A string's value: the slice of the record's text when it is one, the
/// decoded text copied after the others otherwise.
fn borrowed<'t>(whole: &'t str, text: &str, decoded: &mut String) -> Value<'t> {
    let offset = (text.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    if offset <= whole.len() && offset + text.len() <= whole.len() {
        return Value::Text(&whole[offset..offset + text.len()]);
    }
    let start = decoded.len() as u32;
    decoded.push_str(text);
    Value::Decoded(start, decoded.len() as u32)
}
