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

use std::cell::Cell;

use vigil_event::{same_text, Event, FieldValue};

use super::event_xml_stream::{key_mix, Left, Walk};

/// One member of an object at any depth. It holds places in the record's
/// text rather than slices of it, so that the list of one record's
/// members is kept for the next's (see [`KEPT`]).
struct Entry {
    key: Span,
    value: Value,
    /// One past the index of the member's last descendant: the next entry
    /// that is not inside it.
    end: u32,
    /// Whether a shape has used or dropped it.
    taken: bool,
}

/// Where a text is in the record: its first byte and the one after its last.
#[derive(Clone, Copy)]
struct Span(u32, u32);

enum Value {
    Object,
    /// A string without escapes, as it is in the text.
    Text(Span),
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
    text: &'t str,
    entries: Vec<Entry>,
    decoded: String,
    /// The top object's members by a hash of their keys: a shape looks up
    /// a score of keys among as many, for every record.
    tops: TopIndex,
}

/// An open-addressed table of the top object's members: slot by
/// [`top_slot`], the next free one on a collision; each slot holds an entry's
/// index plus one, zero when free. A record with more members than fit
/// well is looked up by scanning instead.
struct TopIndex {
    slots: [u16; TOP_SLOTS],
    /// Whether every top member is in the table.
    whole: bool,
}

const TOP_SLOTS: usize = 128;

/// A key's slot in the [`TopIndex`]: the top bits of its mix.
#[inline]
fn top_slot(key: &str) -> usize {
    (key_mix(key) >> (32 - TOP_SLOTS.trailing_zeros())) as usize
}

/// The most top members indexed: past half full, probing grows long.
const MOST_INDEXED: usize = TOP_SLOTS / 2;

impl TopIndex {
    fn new(text: &str, members: &[Entry]) -> Self {
        let mut index = TopIndex {
            slots: [0; TOP_SLOTS],
            whole: true,
        };
        let mut count = 0;
        let mut at = 0;
        while at < members.len() {
            count += 1;
            if count > MOST_INDEXED || at >= usize::from(u16::MAX) {
                index.whole = false;
                return index;
            }
            let mut slot = top_slot(slice(text, members[at].key));
            while index.slots[slot] != 0 {
                slot = (slot + 1) % TOP_SLOTS;
            }
            index.slots[slot] = at as u16 + 1;
            at = members[at].end as usize;
        }
        index
    }
}

/// Reads `text`, which must be one JSON object and nothing else.
pub(super) fn read<'t>(text: &'t str, event: &mut Event) -> Result<Members<'t>, Left> {
    let (mut entries, mut decoded) = KEPT.take().unwrap_or_default();
    entries.clear();
    decoded.clear();
    // Room for the members of most records at once, rather than a list
    // grown (and copied) step by step.
    entries.reserve((text.len() / 16).clamp(16, 256));
    let mut members = Members {
        text,
        entries,
        decoded,
        tops: TopIndex {
            slots: [0; TOP_SLOTS],
            whole: false,
        },
    };
    let mut walk = Walk::over(text, event);
    members.object(&mut walk)?;
    walk.space();
    if walk.at != text.len() {
        return Err(Left("text after the object"));
    }
    members.tops = TopIndex::new(text, &members.entries);
    Ok(members)
}

thread_local! {
    /// The lists of the last record read on this thread, kept for the next:
    /// a record's members take a few kilobytes, allocated once rather than
    /// for every record.
    static KEPT: Cell<Option<(Vec<Entry>, String)>> = const { Cell::new(None) };
}

/// Lists that grew past this many members are not kept.
const MOST_KEPT: usize = 4096;

impl Drop for Members<'_> {
    fn drop(&mut self) {
        if self.entries.capacity() <= MOST_KEPT && self.decoded.capacity() <= MOST_KEPT * 16 {
            let entries = std::mem::take(&mut self.entries);
            KEPT.set(Some((entries, std::mem::take(&mut self.decoded))));
        }
    }
}

/// The text at `span` of the record's `text`.
#[inline]
fn slice(text: &str, span: Span) -> &str {
    &text[span.0 as usize..span.1 as usize]
}

impl<'t> Members<'t> {
    fn object(&mut self, walk: &mut Walk<'t, '_>) -> Result<(), Left> {
        walk.members(|walk, key| {
            let index = self.entries.len();
            self.entries.push(Entry {
                key: span_in(walk.text, key),
                value: Value::Object,
                end: 0,
                taken: false,
            });
            match walk.peek() {
                Some(b'{') => self.object(walk)?,
                Some(b'"') => {
                    walk.at += 1;
                    let whole = walk.text;
                    let mut value = Value::Object;
                    let decoded = &mut self.decoded;
                    walk.string(|_, text| value = string_value(whole, text, decoded))?;
                    self.entries[index].value = value;
                }
                _ => self.entries[index].value = Value::Other(walk.leaf()?),
            }
            self.entries[index].end = self.entries.len() as u32;
            Ok(())
        })
    }

    /// An entry's own key (the last of its path).
    #[inline]
    pub(super) fn key(&self, index: usize) -> &'t str {
        slice(self.text, self.entries[index].key)
    }

    /// Whether an entry's key is `key`: by its length first, which tells
    /// most keys apart without reading them.
    #[inline]
    fn key_is(&self, index: usize, key: &str) -> bool {
        let Span(start, end) = self.entries[index].key;
        (end - start) as usize == key.len() && same_text(self.key(index), key)
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
        let (first, rest) = path.split_first()?;
        self.find_in(self.top(first)?, rest)
    }

    /// The member at the end of `path` from the member at `from`.
    pub(super) fn find_in(&self, from: usize, path: &[&str]) -> Option<usize> {
        let mut parent = Some(from);
        for key in path {
            if parent.is_some_and(|index| !self.is_object(index)) {
                return None;
            }
            parent = Some(self.children(parent).find(|&i| self.key_is(i, key))?);
        }
        parent
    }

    /// The member of the top object named `key`.
    pub(super) fn top(&self, key: &str) -> Option<usize> {
        if !self.tops.whole {
            return self.children(None).find(|&i| self.key_is(i, key));
        }
        let mut slot = top_slot(key);
        loop {
            let index = usize::from(self.tops.slots[slot]).checked_sub(1)?;
            if self.key_is(index, key) {
                return Some(index);
            }
            slot = (slot + 1) % TOP_SLOTS;
        }
    }

    pub(super) fn is_object(&self, index: usize) -> bool {
        matches!(self.entries[index].value, Value::Object)
    }

    /// An entry's leaf value; `None` for an object.
    pub(super) fn leaf(&self, index: usize) -> Option<Leaf<'_>> {
        match &self.entries[index].value {
            Value::Object => None,
            Value::Text(span) => Some(Leaf::Text(slice(self.text, *span))),
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
    /// name (`id.orig_h`), as [`dotted`](super::dotted) names them: a dot
    /// between keys, none after an empty name. `from` is a member of the
    /// top object, so the name is built as the entries open and close.
    fn dotted_range(&self, from: usize, to: usize, event: &mut Event) {
        let mut name = String::with_capacity(64);
        // The objects the name is inside: where each ends, and the name's
        // length before its key.
        let mut open: Vec<(usize, usize)> = Vec::new();
        let mut index = from;
        while index < to {
            while open.last().is_some_and(|&(end, _)| index >= end) {
                if let Some((_, length)) = open.pop() {
                    name.truncate(length);
                }
            }
            let entry = &self.entries[index];
            if entry.taken {
                index = entry.end as usize;
                continue;
            }
            let length = name.len();
            if length > 0 {
                name.push('.');
            }
            name.push_str(slice(self.text, entry.key));
            match self.leaf(index) {
                Some(leaf) => {
                    leaf.insert(event, &name);
                    name.truncate(length);
                }
                None => open.push((entry.end as usize, length)),
            }
            index += 1;
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

/// Where `part`, a slice of `whole`, is in it.
fn span_in(whole: &str, part: &str) -> Span {
    let offset = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    Span(offset as u32, (offset + part.len()) as u32)
}

/// A string's value: its place in the record's text when it is a slice of
/// it, the decoded text copied after the others otherwise.
fn string_value(whole: &str, text: &str, decoded: &mut String) -> Value {
    let offset = (text.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    if offset <= whole.len() && offset + text.len() <= whole.len() {
        return Value::Text(span_in(whole, text));
    }
    let start = decoded.len() as u32;
    decoded.push_str(text);
    Value::Decoded(start, decoded.len() as u32)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use vigil_event::Event;

    use super::super::{object, object_text};

    /// Records of every shape read in one pass, each with something a shape
    /// maps: escapes, numbers as text, params, nested objects, lists.
    const RECORDS: [&str; 9] = [
        r#"{"":{"a":1},"x":{"":{"":2}},"d":{"1":{"2":{"3":{"4":{"5":{"6":{"7":{"8":{"9":{"10":{"11":{"12":{"13":{"14":{"15":{"16":{"17":{"18":{"19":{"20":"deep"}}}}}}}}}}}}}}}}}}}}}"#,
        r#"{"@timestamp":"2019-05-18T20:19:20.068Z","beat":{"hostname":"WEC","version":"6.7.0"},"computer_name":"HR001","log_name":"Security","source_name":"Microsoft-Windows-Security-Auditing","event_id":4688,"record_number":"277625","process_id":4,"thread_id":"1668","version":1,"level":"Information","keywords":["Audit Success"],"user":{"identifier":"S-1-5-18","name":"SYSTEM"},"event_data":{"NewProcessName":"C:\\Windows\\cmd.exe","LogonType":"3","param2":"b","param1":"7","xml_name":"x"},"message":"a \"quoted\" \u00e9 line\n"}"#,
        r#"{"@timestamp":"2021-12-04T21:19:16.741Z","event":{"code":"1","provider":"Microsoft-Windows-Sysmon"},"host":{"name":"ws1"},"winlog":{"event_id":"1","channel":"Microsoft-Windows-Sysmon/Operational","computer_name":"ws1.corp","record_id":1234,"process":{"pid":2000,"thread":{"id":3000}},"user":{"identifier":"S-1-5-18"},"event_data":{"Image":"C:\\x.exe","ProcessId":"4242","LogonId":"0x3e7","Source Name":"AMSI"}}}"#,
        r#"{"event":{"code":4624},"winlog":{"channel":"Security","event_data":null,"user_data":{"param1":"only"}},"tags":[1,"a",[true,null]]}"#,
        r#"{"ProcessId":"6196","@timestamp":"2020-06-10T02:50:56.537Z","Task":13,"Version":2,"EventTypeOrignal":"INFO","Keywords":-9223372036854775808,"SourceName":"Microsoft-Windows-Sysmon","port":62387,"UserID":"S-1-5-18","Hostname":"WS6","tags":["m"],"EventTime":"2020-06-09 22:50:54","ProcessID":3500,"Image":"C:\\x.exe","EventID":13,"EventReceivedTime":"2020-06-09 22:50:56","RecordNumber":713650,"SourceModuleType":"im_msvistalog","EventType":"INFO","OpcodeValue":0,"Channel":"Microsoft-Windows-Sysmon/Operational","nested":{"a":{"b":"1"}},"AccountType":"User"}"#,
        r#"{"SourceName":"S","Level":"0","Keywords":"0x8020000000000000","Channel":"Security","Hostname":"pc","TimeCreated":"2022-08-18T06:55:57.789Z","EventID":4703,"Task":"13317","EventType":"SetValue","Category":"c"}"#,
        r#"{"timestamp":"2021-03-01T10:00:05.000+0000","rule":{"level":3},"agent":{"name":"WIN10"},"data":{"win":{"system":{"providerName":"P","eventID":"4719","level":"4","systemTime":"2021-03-01T10:00:00.1234567Z","channel":"Security","severityValue":"INFORMATION","computer":"W"},"eventdata":{"categoryId":"%%8274","category":"x","auditPolicyChanges":"a","auditPolicyChangesId":"%%8449","jobTitle":"t","image":"C:\\x.exe","param1":"p"},"logFileCleared":{"subjectUserName":"bob","inner":{"deep":"1"}}},"extra":1},"location":"EventChannel"}"#,
        r#"{"ts":1521911720.865716,"key":"C1","id":{"orig":"10.0.0.1","resp_p":53},"answers":["a","b"],"big":18446744073709551615,"neg":-0,"f":1e3,"empty":{},"deep":{"er":{"x":null}}}"#,
        r#" { "time" : 1577836800 , "msg" : "white space\t" } "#,
    ];

    /// What the `Value` path gives a line, if it parses.
    fn through_value(line: &str) -> Option<Event> {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(line) else {
            return None;
        };
        let mut event = Event::new("t");
        object(map, &mut event);
        Some(event)
    }

    fn assert_same(fast: &Event, slow: &Event, line: &str) {
        assert_eq!(
            fast.fields().collect::<Vec<_>>(),
            slow.fields().collect::<Vec<_>>(),
            "{line}"
        );
        let facts = |e: &Event| (e.timestamp, e.product, e.shape);
        assert_eq!(facts(fast), facts(slow), "{line}");
    }

    #[test]
    fn one_pass_gives_what_the_value_path_gives() {
        let mut reused = Event::new("t");
        for line in RECORDS {
            let mut fast = Event::new("t");
            object_text(line, &mut fast).unwrap_or_else(|left| panic!("{left}: {line}"));
            assert_same(&fast, &through_value(line).unwrap(), line);
            reused.clear();
            object_text(line, &mut reused).unwrap();
            assert_same(&reused, &fast, line);
        }
    }

    /// A record of more top keys than the index holds is looked up by
    /// scanning, with the same result.
    #[test]
    fn records_of_many_keys_read_alike() {
        for count in [super::MOST_INDEXED - 1, super::MOST_INDEXED + 1, 300] {
            let data: String = (0..count)
                .map(|n| format!(",\"Field{n}\":\"{n}\""))
                .collect();
            let line = format!(
                r#"{{"Hostname":"h","EventID":"4624","Channel":"Security","Keywords":-1{data}}}"#
            );
            let mut fast = Event::new("t");
            object_text(&line, &mut fast).unwrap();
            assert_same(&fast, &through_value(&line).unwrap(), &line);
            assert_eq!(fast.get("Field0"), Some(&vigil_event::FieldValue::Int(0)));
            assert_eq!(fast.len(), count + 4, "{fast:?}");
        }
    }

    #[test]
    fn what_one_pass_cannot_follow_is_left_to_the_value_path() {
        for line in [
            r#"{"a":1,"a":2}"#,
            r#"{"Event":{"System":{}}}"#,
            r#"{"ts":1521911720.8,"uid":"C1","id":{"orig_h":"10.0.0.1"}}"#,
            r#"{"_path":"dns","query":"a"}"#,
            r#"{"_raw":"<Event/>","host":"h"}"#,
            r#"{"__CURSOR":"x","MESSAGE":"m"}"#,
            r#"{"a":[{"b":1}]}"#,
            r#"{"a\u0062":1}"#,
            r#"{"winlog":{"event_data":{"x":{"y":1}}}}"#,
            r#"{"winlog":{"channel":{"x":1}}}"#,
            r#"{"a":1} x"#,
            r#"[1]"#,
            "",
        ] {
            let mut event = Event::new("t");
            assert!(object_text(line, &mut event).is_err(), "{line}");
        }
    }

    /// Truncations and damaged bytes of every record: no panic, and what the
    /// pass takes it reads as the `Value` path does.
    #[test]
    fn damaged_records_read_as_the_value_path_reads_them_or_are_left_to_it() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let noise = b"{}[]\":,\\ 0-1.eE\"xnulltrue";
        let mut event = Event::new("t");
        for line in RECORDS {
            let mut damaged: Vec<Vec<u8>> = (0..line.len())
                .map(|cut| line.as_bytes()[..cut].to_vec())
                .collect();
            for _ in 0..400 {
                let mut bytes = line.as_bytes().to_vec();
                let at = next() as usize % bytes.len();
                bytes[at] = noise[next() as usize % noise.len()];
                damaged.push(bytes);
            }
            for bytes in damaged {
                let Ok(text) = std::str::from_utf8(&bytes) else {
                    continue;
                };
                event.clear();
                if object_text(text, &mut event).is_ok() {
                    let slow = through_value(text).expect("the Value path takes it too");
                    assert_same(&event, &slow, text);
                }
            }
        }
    }
}
