//! One Windows event's XML (`<Event>…</Event>`) read into the fields its EVTX
//! record gives.
//!
//! The XML is parsed by `quick-xml` into a small tree first, because the
//! names some elements get depend on their siblings: the `Data` elements of
//! `EventData` are fields by their `Name` attributes when any of them has one
//! (a run of one name is one list field, a later repeat is `Name_1`), and one
//! `Data` field (a list when several) when none has; a repeated element is
//! `Element_1`, `Element_2`. Records of the usual shape are read in one pass
//! instead (the `stream` module), which gives the same fields and leaves the
//! rest to the tree. The tree is walked as the `evtx` crate renders
//! a record to JSON and as [`event_xml`](crate::flatten) flattens that
//! rendering: `System` first, attributes as `Element_Attribute`, an empty
//! element a null field, an empty `Data` an empty string, namespace
//! declarations dropped. XML carries no types: values stay text, except the
//! IDs every Windows source makes numbers (`EventID`, `EventRecordID`).
//! `RenderingInfo` (the message text Splunk and `wevtutil /f:RenderedXml`
//! add) is left out: it is the collecting machine's rendering, not the record.
//!
//! Hostile input is expected: entities are the five XML predefines and
//! character references only (a document type declaration, which could define
//! more, makes the record not well-formed), and elements nest at most
//! [`MAX_DEPTH`] deep.

use std::borrow::Cow;

use quick_xml::escape::{resolve_predefined_entity, unescape};
use quick_xml::events::{BytesStart, Event as Xml};
use quick_xml::Reader;
use vigil_event::{Event, FieldName, FieldValue};

use crate::flatten::{id_value, is_windows_id};
use crate::timestamp;

/// How deeply elements may nest; Windows events use five or six levels.
pub(crate) const MAX_DEPTH: usize = 64;

/// No element: the end of a sibling chain, or no child.
const NONE: u32 = u32::MAX;

/// The channel Sysmon for Linux writes: its events are Linux events.
pub(crate) const SYSMON_FOR_LINUX_CHANNEL: &str = "Linux-Sysmon/Operational";

/// Why a record could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotWellFormed(pub(crate) String);

impl std::fmt::Display for NotWellFormed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail<T>(reason: impl Into<String>) -> Result<T, NotWellFormed> {
    Err(NotWellFormed(reason.into()))
}

/// Fills `event` from one record's XML: a single `<Event>` element, with an
/// XML declaration, comments and white space around it at most. Sets the
/// product (`linux` for Sysmon for Linux, `windows` otherwise) and the time;
/// on an error `event` is half filled and must be dropped.
pub(crate) fn flatten(xml: &str, event: &mut Event) -> Result<(), NotWellFormed> {
    flatten_reusing(xml, event, &mut Scratch::default())
}

/// [`flatten`], parsing into the room `scratch` kept from earlier records:
/// a file's records then allocate little beyond their fields. Records of
/// the usual shape are read in one pass (the `stream` module); the others,
/// and those not well-formed, through the tree.
pub(crate) fn flatten_reusing(
    xml: &str,
    event: &mut Event,
    scratch: &mut Scratch,
) -> Result<(), NotWellFormed> {
    // A record has a field for every 40 to 50 bytes of its XML: room made at
    // once costs less than lists grown step by step.
    event.reserve((xml.len() / 40).min(128));
    let mut counts = recycle(std::mem::take(&mut scratch.counts));
    let mut frames = recycle(std::mem::take(&mut scratch.frames));
    let one_pass = super::stream::flatten(xml, event, &mut counts, &mut frames);
    scratch.frames = recycle(frames);
    if one_pass.is_err() {
        let (position, shape) = (event.position, event.shape);
        event.clear();
        (event.position, event.shape) = (position, shape);
        let tree = Tree::parse(xml, scratch)?;
        let mut counts = recycle(counts);
        tree.fill(event, &mut counts);
        scratch.counts = recycle(counts);
        tree.keep_room(scratch);
    } else {
        scratch.counts = recycle(counts);
    }
    if event.channel() == Some(SYSMON_FOR_LINUX_CHANNEL) {
        event.product = Some("linux");
    } else {
        // As every Windows shape does: Defender's spaced names also as
        // rules spell them.
        crate::flatten::finish_windows_event(event);
    }
    event.timestamp = event
        .get("TimeCreated_SystemTime")
        .and_then(timestamp::parse);
    Ok(())
}

/// Room kept from one record's tree for the next record's.
#[derive(Default)]
pub(crate) struct Scratch {
    elements: Vec<Element<'static>>,
    attributes: Vec<(&'static str, Cow<'static, str>)>,
    open: Vec<u32>,
    counts: Vec<NameCount<'static>>,
    frames: Vec<super::stream::Frame<'static>>,
}

/// An empty vector for values of another lifetime, in the same allocation
/// (collecting in place keeps it, the layouts being the same).
fn recycle<T, U>(mut vector: Vec<T>) -> Vec<U> {
    vector.clear();
    vector
        .into_iter()
        .map(|_| unreachable!("emptied"))
        .collect()
}

/// How often a name was seen among one element's children so far: its
/// elements' names, or (`data`) its `Data` elements' `Name`s.
pub(super) struct NameCount<'n> {
    name: &'n str,
    data: bool,
    count: u32,
}

/// An element of the record, its text and its place among the others.
struct Element<'x> {
    name: &'x str,
    /// Its attributes, in [`Tree::attributes`].
    attributes: std::ops::Range<usize>,
    /// All its text, joined.
    text: Cow<'x, str>,
    first_child: u32,
    last_child: u32,
    next_sibling: u32,
}

/// A record's elements, the root (`Event`) first.
struct Tree<'x> {
    elements: Vec<Element<'x>>,
    attributes: Vec<(&'x str, Cow<'x, str>)>,
}

/// `part`, a slice of `input` that the parser handed out, as a slice with
/// `input`'s lifetime: names and plain text are then never copied.
pub(super) fn within<'x>(input: &'x str, part: &[u8]) -> Result<&'x str, NotWellFormed> {
    let start = (part.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
    match input.get(start..start.wrapping_add(part.len())) {
        Some(slice) if slice.as_ptr() == part.as_ptr() => Ok(slice),
        _ => fail("text the parser did not take from the record"),
    }
}

/// Text the parser handed out, as a slice of `input` when it is one.
pub(super) fn raw_text<'x>(
    input: &'x str,
    raw: Cow<'_, [u8]>,
) -> Result<Cow<'x, str>, NotWellFormed> {
    match raw {
        Cow::Borrowed(slice) => within(input, slice).map(Cow::Borrowed),
        Cow::Owned(bytes) => String::from_utf8(bytes)
            .map(Cow::Owned)
            .map_err(|_| NotWellFormed("text that is not UTF-8".to_string())),
    }
}

fn append<'x>(into: &mut Cow<'x, str>, text: Cow<'x, str>) {
    if into.is_empty() {
        *into = text;
    } else {
        into.to_mut().push_str(&text);
    }
}

impl<'x> Tree<'x> {
    fn parse(xml: &'x str, scratch: &mut Scratch) -> Result<Tree<'x>, NotWellFormed> {
        let mut reader = Reader::from_str(xml);
        let mut tree = Tree {
            elements: recycle(std::mem::take(&mut scratch.elements)),
            attributes: recycle(std::mem::take(&mut scratch.attributes)),
        };
        // The open elements, innermost last.
        let mut open = std::mem::take(&mut scratch.open);
        open.clear();
        let parsed = tree.read(xml, &mut reader, &mut open);
        scratch.open = open;
        parsed.map(|()| tree)
    }

    /// Gives the tree's room back to `scratch`.
    fn keep_room(self, scratch: &mut Scratch) {
        scratch.elements = recycle(self.elements);
        scratch.attributes = recycle(self.attributes);
    }

    fn read(
        &mut self,
        xml: &'x str,
        reader: &mut Reader<&'x [u8]>,
        open: &mut Vec<u32>,
    ) -> Result<(), NotWellFormed> {
        let tree = self;
        let mut closed_root = false;
        loop {
            let at = reader.buffer_position();
            let token = match reader.read_event() {
                Ok(token) => token,
                Err(error) => {
                    return fail(format!("{error} (byte {})", reader.error_position()));
                }
            };
            match token {
                Xml::Start(start) | Xml::Empty(start) if closed_root => {
                    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                    return fail(format!(
                        "element <{name}> after the end of <Event> (byte {at})"
                    ));
                }
                Xml::Start(start) => {
                    let id = tree.open(xml, &start, open.last().copied())?;
                    open.push(id);
                    if open.len() > MAX_DEPTH {
                        return fail(format!("elements nested deeper than {MAX_DEPTH}"));
                    }
                }
                Xml::Empty(start) => {
                    tree.open(xml, &start, open.last().copied())?;
                    closed_root |= open.is_empty();
                }
                Xml::End(_) => {
                    open.pop();
                    closed_root |= open.is_empty();
                }
                Xml::Text(text) => {
                    let text = raw_text(xml, text.into_inner())?;
                    tree.text(open.last().copied(), text, at)?;
                }
                Xml::CData(data) => {
                    let text = raw_text(xml, data.into_inner())?;
                    tree.text(open.last().copied(), text, at)?;
                }
                Xml::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(character)) => Cow::Owned(character.to_string()),
                        Ok(None) => {
                            let name = reference
                                .decode()
                                .map_err(|e| NotWellFormed(e.to_string()))?;
                            match resolve_predefined_entity(&name) {
                                Some(text) => Cow::Borrowed(text),
                                None => {
                                    return fail(format!(
                                        "unknown entity &{name}; (byte {at}): only XML's five and character references are read"
                                    ))
                                }
                            }
                        }
                        Err(error) => return fail(format!("{error} (byte {at})")),
                    };
                    tree.text(open.last().copied(), resolved, at)?;
                }
                Xml::DocType(_) => {
                    return fail(
                        "a document type declaration: not read, since it could define entities",
                    )
                }
                Xml::Comment(_) | Xml::Decl(_) | Xml::PI(_) => {}
                Xml::Eof => break,
            }
        }
        if let Some(&innermost) = open.last() {
            let name = tree.elements[innermost as usize].name;
            return fail(format!("<{name}> is not closed: the record is cut short"));
        }
        match tree.elements.first() {
            None => fail("no <Event> element"),
            Some(root) if root.name != "Event" => {
                fail(format!("the root element is <{}>, not <Event>", root.name))
            }
            Some(_) => Ok(()),
        }
    }

    /// Adds the element `start` opens under `parent`, with its attributes.
    fn open(
        &mut self,
        xml: &'x str,
        start: &BytesStart<'_>,
        parent: Option<u32>,
    ) -> Result<u32, NotWellFormed> {
        let name = within(xml, start.name().as_ref())?;
        let from = self.attributes.len();
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| NotWellFormed(format!("<{name}>: {e}")))?;
            let key = within(xml, attribute.key.as_ref())?;
            let value = match raw_text(xml, attribute.value)? {
                Cow::Borrowed(raw) if memchr::memchr(b'&', raw.as_bytes()).is_some() => {
                    match unescape(raw) {
                        Ok(Cow::Borrowed(_)) => Cow::Borrowed(raw),
                        Ok(Cow::Owned(owned)) => Cow::Owned(owned),
                        Err(error) => return fail(format!("<{name} {key}>: {error}")),
                    }
                }
                value => value,
            };
            self.attributes.push((key, value));
        }
        let id = self.elements.len() as u32;
        self.elements.push(Element {
            name,
            attributes: from..self.attributes.len(),
            text: Cow::Borrowed(""),
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
        });
        match parent {
            Some(parent) => {
                let last = self.elements[parent as usize].last_child;
                if last == NONE {
                    self.elements[parent as usize].first_child = id;
                } else {
                    self.elements[last as usize].next_sibling = id;
                }
                self.elements[parent as usize].last_child = id;
            }
            None if id != 0 => return fail(format!("a second root element <{name}>")),
            None => {}
        }
        Ok(id)
    }

    /// Adds text to the open element; outside every element only white space
    /// may be.
    fn text(
        &mut self,
        open: Option<u32>,
        text: Cow<'x, str>,
        at: u64,
    ) -> Result<(), NotWellFormed> {
        match open {
            Some(id) => append(&mut self.elements[id as usize].text, text),
            None if text.trim().is_empty() => {}
            None => return fail(format!("text outside the <Event> element (byte {at})")),
        }
        Ok(())
    }

    fn element(&self, id: u32) -> &Element<'x> {
        &self.elements[id as usize]
    }

    fn children(&self, id: u32) -> impl Iterator<Item = u32> + '_ {
        self.siblings(self.element(id).first_child)
    }

    fn attribute(&self, id: u32, name: &str) -> Option<&str> {
        self.attributes[self.element(id).attributes.clone()]
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| &**value)
    }

    /// The element's text, if it has any: all of it when the element has no
    /// children; otherwise only text that is not white space (the
    /// indentation of pretty-printed XML), trimmed.
    fn text_of(&self, id: u32) -> Option<&str> {
        let element = self.element(id);
        if element.first_child == NONE {
            return (!element.text.is_empty()).then_some(&*element.text);
        }
        let text = element.text.trim();
        (!text.is_empty()).then_some(text)
    }

    fn has_attribute_text(&self, id: u32) -> bool {
        self.attributes[self.element(id).attributes.clone()]
            .iter()
            .any(|(_, value)| !value.is_empty())
    }

    /// The `Name` of a `Data` element, when it has a non-empty one.
    fn data_name(&self, id: u32) -> Option<&str> {
        let element = self.element(id);
        if element.name != "Data" {
            return None;
        }
        self.attribute(id, "Name").filter(|name| !name.is_empty())
    }

    /// The event's fields: `System` first, then the other children of
    /// `Event` that hold anything.
    fn fill<'t>(&'t self, event: &mut Event, counts: &mut Vec<NameCount<'t>>) {
        event.reserve(self.elements.len());
        let base = counts.len();
        let system = self
            .children(0)
            .find(|&id| self.element(id).name == "System");
        if let Some(system) = system {
            child_key(counts, base, "System", false);
            self.value(event, "System", system, counts);
        }
        for child in self.children(0) {
            let element = self.element(child);
            if Some(child) == system || element.name == "RenderingInfo" {
                continue;
            }
            let key = child_key(counts, base, element.name, false);
            let empty = element.first_child == NONE
                && self.text_of(child).is_none()
                && !self.has_attribute_text(child);
            if !empty {
                self.value(event, &key, child, counts);
            }
        }
    }

    /// The fields of element `id` under the name `key`: its text as the
    /// field, or its attributes, text and children.
    fn value<'t>(&'t self, event: &mut Event, key: &str, id: u32, counts: &mut Vec<NameCount<'t>>) {
        let element = self.element(id);
        let text = self.text_of(id);
        if element.first_child == NONE && !self.has_attribute_text(id) {
            match text {
                Some(text) => insert_text(event, key, text),
                None => event.insert(key, FieldValue::Null),
            }
            return;
        }
        // A `Data` that no container named is named by its attribute.
        if key == "Data" {
            if let Some(name) = self.data_name(id) {
                match text {
                    Some(text) => insert_text(event, name, text),
                    None => event.insert(name, FieldValue::Null),
                }
                return;
            }
        }
        for (attribute, value) in &self.attributes[element.attributes.clone()] {
            if !value.is_empty() && !is_namespace(attribute) {
                insert_text(event, (key, *attribute), value);
            }
        }
        if let Some(text) = text {
            insert_text(event, key, text);
        }
        self.members(event, id, counts);
    }

    /// The fields of the children of `parent`.
    fn members<'t>(&'t self, event: &mut Event, parent: u32, counts: &mut Vec<NameCount<'t>>) {
        let container = matches!(self.element(parent).name, "EventData" | "UserData");
        let named = container && self.children(parent).any(|id| self.data_name(id).is_some());
        // This element's children's names, above those of the elements
        // that enclose it.
        let base = counts.len();
        let mut positional_done = false;
        let mut child = self.element(parent).first_child;
        while child != NONE {
            let element = self.element(child);
            let next = element.next_sibling;
            if container && element.name == "Data" {
                if named {
                    child = match self.data_name(child) {
                        Some(name) => {
                            // Data of one name in a row are one list field.
                            let run = self
                                .siblings(child)
                                .take_while(|&id| self.data_name(id) == Some(name));
                            let count = run.count();
                            let key = child_key(counts, base, name, true);
                            let run = self.siblings(child).take(count);
                            self.data_values(event, &key, run, count, counts);
                            self.siblings(child).nth(count).unwrap_or(NONE)
                        }
                        None => next,
                    };
                    continue;
                }
                if !positional_done {
                    positional_done = true;
                    let is_data = |id: &u32| self.element(*id).name == "Data";
                    let count = self.siblings(child).filter(is_data).count();
                    let all = self.siblings(child).filter(is_data);
                    self.data_values(event, "Data", all, count, counts);
                }
                child = next;
                continue;
            }
            let key = child_key(counts, base, element.name, false);
            self.value(event, &key, child, counts);
            child = next;
        }
        counts.truncate(base);
    }

    /// `first` and the elements after it.
    fn siblings(&self, first: u32) -> impl Iterator<Item = u32> + '_ {
        let mut next = first;
        std::iter::from_fn(move || {
            let this = next;
            (this != NONE).then(|| {
                next = self.element(this).next_sibling;
                this
            })
        })
    }

    /// The value of `count` `Data` elements under `key`: one's text (empty
    /// if it has none), or several texts as a list.
    fn data_values<'t>(
        &'t self,
        event: &mut Event,
        key: &str,
        mut ids: impl Iterator<Item = u32>,
        count: usize,
        counts: &mut Vec<NameCount<'t>>,
    ) {
        if count > 1 {
            let texts = ids
                .map(|id| FieldValue::Str(self.text_of(id).unwrap_or("").to_string()))
                .collect();
            event.insert(key, FieldValue::List(texts));
            return;
        }
        let Some(one) = ids.next() else {
            return;
        };
        let element = self.element(one);
        if element.first_child == NONE {
            insert_text(event, key, &element.text);
        } else {
            if let Some(text) = self.text_of(one) {
                insert_text(event, key, text);
            }
            self.members(event, one, counts);
        }
    }
}

/// Adds a text field; the Windows IDs become numbers, as every source makes them.
pub(super) fn insert_text(event: &mut Event, name: impl FieldName, text: &str) {
    if is_windows_id(&name) {
        event.insert(name, id_value(FieldValue::Str(text.to_string())));
    } else {
        event.insert_text(name, text);
    }
}

pub(super) fn is_namespace(attribute: &str) -> bool {
    attribute == "xmlns" || attribute.starts_with("xmlns:")
}

/// `name`, or `name_N` for its `N`th repeat.
fn suffixed(name: &str, repeat: u32) -> Cow<'_, str> {
    if repeat == 0 {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("{name}_{repeat}"))
    }
}

/// The key of the next child named `name` of the element whose children's
/// counts start at `base`: `name` the first time, then `name_1`, `name_2`, …
pub(super) fn child_key<'t>(
    counts: &mut Vec<NameCount<'t>>,
    base: usize,
    name: &'t str,
    data: bool,
) -> Cow<'t, str> {
    let seen = counts[base..]
        .iter_mut()
        .find(|seen| seen.data == data && seen.name == name);
    let repeat = match seen {
        Some(seen) => {
            seen.count += 1;
            seen.count
        }
        None => {
            counts.push(NameCount {
                name,
                data,
                count: 0,
            });
            0
        }
    };
    suffixed(name, repeat)
}

#[cfg(test)]
mod tests;
