//! The `record` module's reading done in one pass over the XML, for the
//! shape Windows writes: `System` first, the `Data` of a container all named
//! or a single unnamed one, no two `Data` of one name in a row, no text beside
//! child elements. Anything else — and anything not well-formed — is left to
//! the tree (see [`flatten`]), which gives the same fields for what this pass
//! takes, and reports what is not well-formed.

use std::borrow::Cow;

use quick_xml::escape::{resolve_predefined_entity, unescape};
use quick_xml::events::{BytesStart, Event as Xml};
use quick_xml::Reader;
use vigil_event::{Event, FieldValue};

use super::record::{child_key, insert_text, is_namespace, raw_text, NameCount, MAX_DEPTH};

/// The record needs the tree: its shape, or damage.
pub(super) struct Left;

impl<T> From<T> for Left
where
    T: std::error::Error,
{
    fn from(_: T) -> Self {
        Left
    }
}

/// What an open element is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `Event`.
    Root,
    /// An element whose fields are its attributes, its text and children.
    Normal,
    /// `EventData` or `UserData`, whose `Data` are fields by their names.
    Container,
    /// A `Data` of a container: one field, its text.
    Data,
    /// `RenderingInfo` and all in it: no fields.
    Skipped,
}

/// How a container's `Data` are named, once its first one says.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Unknown,
    Named,
    /// The one unnamed `Data` was read.
    Positional,
}

pub(super) struct Frame<'x> {
    kind: Kind,
    key: Cow<'x, str>,
    text: Cow<'x, str>,
    has_children: bool,
    attribute_text: bool,
    /// Where this element's children's name counts start.
    base: usize,
    form: Form,
    last_data_name: Option<Cow<'x, str>>,
}

/// Fills `event` in one pass, or says the tree must be used; `event` is
/// then half filled.
pub(super) fn flatten<'x>(
    xml: &'x str,
    event: &mut Event,
    counts: &mut Vec<NameCount<'x>>,
    frames: &mut Vec<Frame<'x>>,
) -> Result<(), Left> {
    let mut reader = Reader::from_str(xml);
    let mut closed_root = false;
    frames.clear();
    counts.clear();
    loop {
        match reader.read_event()? {
            Xml::Start(start) => {
                if closed_root {
                    return Err(Left);
                }
                open(xml, &start, event, counts, frames)?;
                if frames.len() > MAX_DEPTH {
                    return Err(Left);
                }
            }
            Xml::Empty(start) => {
                if closed_root {
                    return Err(Left);
                }
                open(xml, &start, event, counts, frames)?;
                close(event, counts, frames)?;
                closed_root |= frames.is_empty();
            }
            Xml::End(_) => {
                close(event, counts, frames)?;
                closed_root |= frames.is_empty();
            }
            Xml::Text(text) => {
                add_text(frames, raw_text(xml, text.into_inner()).map_err(|_| Left)?)?
            }
            Xml::CData(data) => {
                add_text(frames, raw_text(xml, data.into_inner()).map_err(|_| Left)?)?
            }
            Xml::GeneralRef(reference) => {
                let text = match reference.resolve_char_ref()? {
                    Some(character) => Cow::Owned(character.to_string()),
                    None => {
                        let name = reference.decode()?;
                        Cow::Borrowed(resolve_predefined_entity(&name).ok_or(Left)?)
                    }
                };
                add_text(frames, text)?;
            }
            Xml::DocType(_) => return Err(Left),
            Xml::Comment(_) | Xml::Decl(_) | Xml::PI(_) => {}
            Xml::Eof => break,
        }
    }
    if closed_root && frames.is_empty() {
        Ok(())
    } else {
        Err(Left)
    }
}

fn add_text<'x>(frames: &mut [Frame<'x>], text: Cow<'x, str>) -> Result<(), Left> {
    let Some(top) = frames.last_mut() else {
        return if text.trim().is_empty() {
            Ok(())
        } else {
            Err(Left)
        };
    };
    match top.kind {
        Kind::Skipped | Kind::Root => {}
        _ if top.text.is_empty() => top.text = text,
        _ => top.text.to_mut().push_str(&text),
    }
    Ok(())
}

fn open<'x>(
    xml: &'x str,
    start: &BytesStart<'_>,
    event: &mut Event,
    counts: &mut Vec<NameCount<'x>>,
    frames: &mut Vec<Frame<'x>>,
) -> Result<(), Left> {
    let name = super::record::within(xml, start.name().as_ref()).map_err(|_| Left)?;
    let frame = |kind, key| Frame {
        kind,
        key,
        text: Cow::Borrowed(""),
        has_children: false,
        attribute_text: false,
        base: 0,
        form: Form::Unknown,
        last_data_name: None,
    };
    let Some(parent) = frames.last_mut() else {
        if name != "Event" {
            return Err(Left);
        }
        // Its attributes give no field, but must be well-formed.
        attribute(xml, start, "")?;
        let mut root = frame(Kind::Root, Cow::Borrowed(name));
        root.base = counts.len();
        frames.push(root);
        return Ok(());
    };
    let first_child = !parent.has_children;
    parent.has_children = true;
    if !parent.text.trim().is_empty() {
        return Err(Left);
    }
    parent.text = Cow::Borrowed("");
    match parent.kind {
        Kind::Skipped => {
            attribute(xml, start, "")?;
            let mut skipped = frame(Kind::Skipped, Cow::Borrowed(""));
            skipped.base = counts.len();
            frames.push(skipped);
            return Ok(());
        }
        Kind::Data => return Err(Left),
        Kind::Root if name == "RenderingInfo" => {
            attribute(xml, start, "")?;
            let mut skipped = frame(Kind::Skipped, Cow::Borrowed(""));
            skipped.base = counts.len();
            frames.push(skipped);
            return Ok(());
        }
        Kind::Root if (name == "System") != first_child => return Err(Left),
        _ => {}
    }
    if parent.kind == Kind::Container && name == "Data" {
        let data_name = attribute(xml, start, "Name")?.filter(|n| !n.is_empty());
        let key = match (parent.form, data_name) {
            (Form::Unknown | Form::Named, Some(data_name)) => {
                if parent.last_data_name.as_deref() == Some(&*data_name) {
                    return Err(Left);
                }
                parent.form = Form::Named;
                parent.last_data_name = Some(data_name.clone());
                let base = parent.base;
                match data_name {
                    Cow::Borrowed(data_name) => child_key(counts, base, data_name, true),
                    Cow::Owned(_) => return Err(Left),
                }
            }
            (Form::Unknown, None) => {
                parent.form = Form::Positional;
                Cow::Borrowed("Data")
            }
            _ => return Err(Left),
        };
        let mut data = frame(Kind::Data, key);
        data.base = counts.len();
        frames.push(data);
        return Ok(());
    }
    if parent.kind == Kind::Container {
        // A Data run is broken by any other element.
        parent.last_data_name = None;
    }
    let base = parent.base;
    let key = child_key(counts, base, name, false);
    let kind = if matches!(name, "EventData" | "UserData") {
        Kind::Container
    } else {
        Kind::Normal
    };
    let mut attribute_text = false;
    for attribute in start.attributes() {
        let attribute = attribute?;
        let attribute_name =
            super::record::within(xml, attribute.key.as_ref()).map_err(|_| Left)?;
        let value = value_of(xml, attribute.value)?;
        if value.is_empty() {
            continue;
        }
        attribute_text = true;
        if name == "Data" && attribute_name == "Name" {
            // A Data outside a container named by its attribute: the tree's.
            return Err(Left);
        }
        if !is_namespace(attribute_name) {
            insert_text(event, (&*key, attribute_name), &value);
        }
    }
    let mut child = frame(kind, key);
    child.base = counts.len();
    child.attribute_text = attribute_text;
    frames.push(child);
    Ok(())
}

fn value_of<'x>(xml: &'x str, raw: Cow<'_, [u8]>) -> Result<Cow<'x, str>, Left> {
    match raw_text(xml, raw).map_err(|_| Left)? {
        Cow::Borrowed(raw) if memchr::memchr(b'&', raw.as_bytes()).is_some() => {
            Ok(match unescape(raw)? {
                Cow::Borrowed(_) => Cow::Borrowed(raw),
                Cow::Owned(owned) => Cow::Owned(owned),
            })
        }
        value => Ok(value),
    }
}

/// The value of the attribute `name`, checking that all are well-formed.
fn attribute<'x>(
    xml: &'x str,
    start: &BytesStart<'_>,
    name: &str,
) -> Result<Option<Cow<'x, str>>, Left> {
    let mut found = None;
    for attribute in start.attributes() {
        let attribute = attribute?;
        let is_it = attribute.key.as_ref() == name.as_bytes();
        let value = value_of(xml, attribute.value)?;
        if is_it && found.is_none() {
            found = Some(value);
        }
    }
    Ok(found)
}

fn close<'x>(
    event: &mut Event,
    counts: &mut Vec<NameCount<'x>>,
    frames: &mut Vec<Frame<'x>>,
) -> Result<(), Left> {
    let frame = frames.pop().ok_or(Left)?;
    counts.truncate(frame.base);
    let at_root = frames
        .last()
        .is_some_and(|parent| parent.kind == Kind::Root);
    match frame.kind {
        Kind::Root | Kind::Skipped => {}
        Kind::Data => insert_text(event, &*frame.key, &frame.text),
        Kind::Normal | Kind::Container => {
            if frame.has_children {
                if !frame.text.trim().is_empty() {
                    return Err(Left);
                }
            } else if !frame.text.is_empty() {
                insert_text(event, &*frame.key, &frame.text);
            } else if !frame.attribute_text && !at_root {
                event.insert(&*frame.key, FieldValue::Null);
            }
        }
    }
    Ok(())
}
