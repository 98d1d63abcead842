//! Zeek's tab-separated logs: `#` header lines say how the records below
//! them are written, one record per line.
//!
//! A block starts at `#separator` (its value written as an escape, `\x09`)
//! and is described by `#set_separator`, `#empty_field`, `#unset_field`,
//! `#path` (the log, the events' `Channel`), `#fields` (the names) and
//! `#types`; `#close` ends it. A file may hold several blocks, as
//! concatenated logs do; each record is read by the block it is in.
//!
//! Values are typed by `#types`: `count`, `int` and `port` are numbers;
//! `double`, `interval` and `time` are decimal numbers (the `ts` time is
//! also the event's); `bool` is `T`/`F`; `set[…]` and `vector[…]` are lists
//! split at the set separator. The unset mark (`-`) leaves the field out;
//! the empty mark (`(empty)`) is an empty text or list.
//!
//! Zeek writes as `\xHH` the bytes that would break the format (separators,
//! a value equal to a mark, `\` itself) and those that are not printable
//! ASCII. The escapes of printable characters and of whole UTF-8 characters
//! are undone; control bytes and bytes that are not UTF-8 stay `\xHH`, the
//! text Zeek's JSON writer gives them, so that both shapes of a record match
//! the same rules.

use std::borrow::Cow;

use vigil_event::{Event, FieldValue, Position};

use super::{log_of_file, CHANNEL, PRODUCT, TSV_SHAPE};
use crate::report::Emitter;
use crate::{lines, timestamp, InputFile, SourceError};

pub(crate) fn read(file: &InputFile, out: &mut Emitter) -> Result<(), SourceError> {
    let mut block = Block::new(&out.source);
    lines::read(
        file,
        "Zeek TSV",
        out,
        &mut |bytes: &[u8], number: u64, out: &mut Emitter| block.read_line(bytes, number, out),
    )
}

/// How a value of a column is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Decimal,
    Bool,
    Text,
}

/// A column's type: a kind, or a list of values of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Type {
    kind: Kind,
    list: bool,
}

impl Type {
    fn parse(name: &str) -> Type {
        let (inner, list) = match name
            .strip_prefix("set[")
            .or_else(|| name.strip_prefix("vector["))
        {
            Some(inner) => (inner.trim_end_matches(']'), true),
            None => (name, false),
        };
        let kind = match inner {
            "count" | "int" | "port" => Kind::Integer,
            "double" | "interval" | "time" => Kind::Decimal,
            "bool" => Kind::Bool,
            _ => Kind::Text,
        };
        Type { kind, list }
    }
}

const TEXT: Type = Type {
    kind: Kind::Text,
    list: false,
};

/// The header of the block being read.
#[derive(Debug)]
struct Block {
    separator: String,
    set_separator: String,
    empty: String,
    unset: String,
    /// `#path`, else the file's name.
    log: Option<String>,
    log_of_file: Option<String>,
    fields: Vec<String>,
    types: Vec<Type>,
}

impl Block {
    fn new(source: &str) -> Block {
        let log_of_file = log_of_file(source).map(str::to_owned);
        Block {
            separator: "\t".into(),
            set_separator: ",".into(),
            empty: "(empty)".into(),
            unset: "-".into(),
            log: log_of_file.clone(),
            log_of_file,
            fields: Vec::new(),
            types: Vec::new(),
        }
    }

    /// Starts a new block: nothing of the one before holds.
    fn start(&mut self, separator: &str) {
        self.separator = match separator {
            "" => "\t".into(),
            given => given.into(),
        };
        self.set_separator = ",".into();
        self.empty = "(empty)".into();
        self.unset = "-".into();
        self.log = self.log_of_file.clone();
        self.fields.clear();
        self.types.clear();
    }

    fn read_line(&mut self, bytes: &[u8], number: u64, out: &mut Emitter) {
        let line = match std::str::from_utf8(bytes) {
            Ok(line) => line,
            Err(error) => {
                let at = error.valid_up_to() + 1;
                out.skipped(
                    format!("line {number}"),
                    format!("not valid UTF-8 at byte {at}"),
                );
                return;
            }
        };
        if let Some(directive) = line.strip_prefix('#') {
            self.directive(directive);
            return;
        }
        if line.is_empty() {
            return;
        }
        match self.record(line, number, out) {
            Ok(event) => out.event(event),
            Err(reason) => out.skipped(format!("line {number}"), reason),
        }
    }

    /// Takes in a header line (without its `#`).
    fn directive(&mut self, directive: &str) {
        if let Some(value) = directive.strip_prefix("separator") {
            self.start(&unescape_all(value.trim_start_matches([' ', '\t'])));
            return;
        }
        let (name, value) = directive
            .split_once(self.separator.as_str())
            .unwrap_or((directive, ""));
        match name {
            // An empty set separator would split between every character.
            "set_separator" if !value.is_empty() => self.set_separator = unescape_all(value),
            "empty_field" => self.empty = unescape_all(value),
            "unset_field" => self.unset = unescape_all(value),
            "path" => self.log = Some(value.to_string()),
            "fields" => {
                self.fields = value
                    .split(self.separator.as_str())
                    .map(String::from)
                    .collect();
                self.types.clear();
            }
            "types" => {
                self.types = value
                    .split(self.separator.as_str())
                    .map(Type::parse)
                    .collect()
            }
            // Records after the footer belong to no block until the next header.
            "close" => self.fields.clear(),
            _ => {}
        }
    }

    fn record(&self, line: &str, number: u64, out: &mut Emitter) -> Result<Event, String> {
        if self.fields.is_empty() {
            return Err(
                "a record outside a header block: no #fields line names its columns".into(),
            );
        }
        let values = line.split(self.separator.as_str());
        let count = values.clone().count();
        if count != self.fields.len() {
            return Err(format!(
                "{count} values for the {} fields of the #fields line",
                self.fields.len()
            ));
        }
        let mut event = Event::new(out.source.clone());
        event.position = Position::Line(number);
        event.product = Some(PRODUCT);
        event.shape = Some(TSV_SHAPE);
        if let Some(log) = &self.log {
            event.insert_text(CHANNEL, log);
        }
        for (index, (name, raw)) in self.fields.iter().zip(values).enumerate() {
            if raw == self.unset {
                continue;
            }
            let kind = self.types.get(index).copied().unwrap_or(TEXT);
            match self.value(raw, kind) {
                Ok(value) => event.insert(name.as_str(), value),
                Err(reason) => {
                    // The record is kept, the value as written.
                    out.suspect(
                        format!("line {number}"),
                        format!("{name}: {reason}; kept as text"),
                    );
                    event.insert(name.as_str(), FieldValue::Str(unescape(raw).into_owned()));
                }
            }
        }
        event.timestamp = event.get("ts").and_then(timestamp::parse);
        Ok(event)
    }

    fn value(&self, raw: &str, kind: Type) -> Result<FieldValue, String> {
        if raw == self.empty {
            return Ok(match kind.list {
                true => FieldValue::List(Vec::new()),
                false => FieldValue::Str(String::new()),
            });
        }
        if !kind.list {
            return scalar(raw, kind.kind);
        }
        raw.split(self.set_separator.as_str())
            .map(|item| scalar(item, kind.kind))
            .collect::<Result<_, _>>()
            .map(FieldValue::List)
    }
}

fn scalar(raw: &str, kind: Kind) -> Result<FieldValue, String> {
    match kind {
        Kind::Text => Ok(FieldValue::Str(unescape(raw).into_owned())),
        Kind::Integer => raw
            .parse::<i64>()
            .map(FieldValue::Int)
            .or_else(|_| raw.parse::<u64>().map(|n| FieldValue::Float(n as f64)))
            .map_err(|_| format!("{raw:?} is not a whole number")),
        Kind::Decimal => raw
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(FieldValue::Float)
            .ok_or_else(|| format!("{raw:?} is not a number")),
        Kind::Bool => match raw {
            "T" => Ok(FieldValue::Bool(true)),
            "F" => Ok(FieldValue::Bool(false)),
            _ => Err(format!("{raw:?} is not T or F")),
        },
    }
}

/// A header value with every `\xHH` undone.
fn unescape_all(text: &str) -> String {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        match escaped_byte(rest) {
            Some(byte) => {
                bytes.push(byte);
                rest = &rest[4..];
            }
            None => {
                bytes.push(first);
                rest = tail;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A value's text with the escapes of printable ASCII and of whole UTF-8
/// characters undone (see the module's docs).
fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains("\\x") {
        return Cow::Borrowed(text);
    }
    let mut kept = String::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while !rest.is_empty() {
        // A run of escaped bytes, decoded together: a UTF-8 character is
        // written as several.
        let mut run = Vec::new();
        while let Some(byte) = escaped_byte(rest) {
            run.push(byte);
            rest = &rest[4..];
        }
        if !run.is_empty() {
            decoded_run(&run, &mut kept);
            continue;
        }
        let next = rest[1..]
            .iter()
            .position(|&b| b == b'\\')
            .map_or(rest.len(), |at| at + 1);
        // Whole characters: `text` is UTF-8 and a `\` is one byte.
        kept.push_str(std::str::from_utf8(&rest[..next]).unwrap_or_default());
        rest = &rest[next..];
    }
    Cow::Owned(kept)
}

/// The byte `\xHH` at the start of `bytes` stands for.
fn escaped_byte(bytes: &[u8]) -> Option<u8> {
    match bytes {
        [b'\\', b'x', high, low, ..] => {
            let digit = |b: u8| (b as char).to_digit(16);
            Some((digit(*high)? * 16 + digit(*low)?) as u8)
        }
        _ => None,
    }
}

/// Appends escaped bytes to `kept`: printable ASCII and whole UTF-8
/// characters as themselves, anything else as `\xHH` again.
fn decoded_run(mut run: &[u8], kept: &mut String) {
    while !run.is_empty() {
        match std::str::from_utf8(run) {
            Ok(text) => {
                push_printable(text, kept);
                return;
            }
            Err(error) => {
                let (valid, after) = run.split_at(error.valid_up_to());
                push_printable(std::str::from_utf8(valid).unwrap_or_default(), kept);
                let bad = error.error_len().unwrap_or(after.len());
                for byte in &after[..bad] {
                    kept.push_str(&format!("\\x{byte:02x}"));
                }
                run = &after[bad..];
            }
        }
    }
}

fn push_printable(text: &str, kept: &mut String) {
    for c in text.chars() {
        if c.is_control() {
            let mut buffer = [0u8; 4];
            for byte in c.encode_utf8(&mut buffer).bytes() {
                kept.push_str(&format!("\\x{byte:02x}"));
            }
        } else {
            kept.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_of_the_format_are_undone_and_control_bytes_kept() {
        for (written, read) in [
            (r"plain", "plain"),
            (r"\x5c\x5cfs01\x5cIPC$", r"\\fs01\IPC$"),
            (r"a\x09b\x2cc", r"a\x09b,c"),
            (r"\x2d", "-"),
            (r"caf\xc3\xa9 ok", "café ok"),
            (r"\x00\x00\x01", r"\x00\x00\x01"),
            (r"\xff\xfeA", r"\xff\xfeA"),
            (r"\x4", r"\x4"),
            (r"end\", r"end\"),
            (r"\xzz", r"\xzz"),
        ] {
            assert_eq!(unescape(written), read, "{written}");
        }
        assert_eq!(unescape_all(r"\x09"), "\t");
        assert_eq!(unescape_all(r"\x7c\x7c"), "||");
    }

    #[test]
    fn types_are_read_from_their_names() {
        assert_eq!(
            Type::parse("port"),
            Type {
                kind: Kind::Integer,
                list: false
            }
        );
        assert_eq!(
            Type::parse("time"),
            Type {
                kind: Kind::Decimal,
                list: false
            }
        );
        assert_eq!(
            Type::parse("set[string]"),
            Type {
                kind: Kind::Text,
                list: true
            }
        );
        assert_eq!(
            Type::parse("vector[interval]"),
            Type {
                kind: Kind::Decimal,
                list: true
            }
        );
        assert_eq!(Type::parse("addr"), TEXT);
    }
}
