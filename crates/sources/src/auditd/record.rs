//! One audit.log line taken apart: its header (`node`, `type`, the event's
//! time and serial) and its fields, decoded.

use std::ops::Range;

use chrono::{DateTime, NaiveDateTime, Utc};

/// Which event a record belongs to: `msg=audit(1364481363.243:24287)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    pub(super) time: DateTime<Utc>,
    pub(super) serial: u64,
}

/// One record: a line of audit.log.
#[derive(Debug)]
pub(super) struct Record {
    pub(super) node: Option<String>,
    pub(super) kind: String,
    pub(super) stamp: Stamp,
    /// The line, which the fields' names and most values are parts of:
    /// one copy of it costs less than one of each part.
    line: String,
    /// The fields in the line's order, values decoded; a name may repeat
    /// (a record with several keys gives one `key` each).
    fields: Vec<(Range<usize>, Text)>,
    /// What was read but may not be what was written (bad hex, a line cut
    /// inside a quoted value).
    pub(super) damage: Vec<String>,
}

/// A field's value: a part of the line, or text decoded from it.
#[derive(Debug)]
enum Text {
    Line(Range<usize>),
    Decoded(String),
}

impl Record {
    /// The fields, `(name, value)`, in the line's order.
    pub(super) fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(name, value)| {
            let value = match value {
                Text::Line(range) => &self.line[range.clone()],
                Text::Decoded(text) => text.as_str(),
            };
            (&self.line[name.clone()], value)
        })
    }

    /// How many fields the record has.
    pub(super) fn len(&self) -> usize {
        self.fields.len()
    }
}

/// Why a line is not an audit record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum RecordError {
    #[error("no `msg=audit(time:serial)`")]
    NoStamp,
    #[error("`msg=audit(` is not closed by `)`: the line is cut short")]
    Unclosed,
    #[error("{0:?} is not `seconds.millis:serial`")]
    BadStamp(String),
    #[error("no `type=` before `msg=audit(`")]
    NoType,
}

/// The separator before the fields `log_format=ENRICHED` adds, already
/// interpreted (`UID="root"`, `SYSCALL=openat`).
const ENRICHED: char = '\x1d';

/// Values that stand for nothing in an escaped field rather than hex.
const NO_VALUE: [&str; 3] = ["(null)", "(none)", "?"];

/// Fields whose value auditd writes quoted when it is plain text and as hex
/// otherwise (the "untrusted strings"); the `aN` of EXECVE records too.
const ESCAPED: [&str; 16] = [
    "name",
    "path",
    "dir",
    "watch",
    "file",
    "comm",
    "ocomm",
    "exe",
    "cwd",
    "cmd",
    "acct",
    "key",
    "proctitle",
    "data",
    "grp",
    "new_group",
];

/// Reads one line (without its ending).
pub(super) fn parse(line: &str) -> Result<Record, RecordError> {
    let (raw, enriched) = match line.split_once(ENRICHED) {
        Some((raw, enriched)) => (raw, Some(enriched)),
        None => (line, None),
    };
    let start = raw.find("msg=audit(").ok_or(RecordError::NoStamp)?;
    let (head, rest) = raw.split_at(start);
    let rest = &rest["msg=audit(".len()..];
    let close = rest.find(')').ok_or(RecordError::Unclosed)?;
    let (stamp, interpreted) = stamp(&rest[..close])?;
    let body = rest[close + 1..].trim_start();
    let body = body.strip_prefix(':').unwrap_or(body);

    let mut node = None;
    let mut kind = None;
    for token in tokens(head) {
        match token.key {
            "node" => node = Some(token.value.to_string()),
            "type" => kind = Some(token.value.to_string()),
            _ => {}
        }
    }
    let kind = kind.ok_or(RecordError::NoType)?;
    let mut record = Record {
        node,
        kind,
        stamp,
        line: String::new(),
        fields: Vec::with_capacity(32),
        damage: Vec::new(),
    };
    let mut reader = FieldReader {
        record: &mut record,
        line,
        interpreted,
        chunks: Vec::new(),
    };
    reader.read(body);
    if let Some(enriched) = enriched {
        for token in tokens(enriched) {
            if !token.closed {
                reader.record.damage.push(cut_short(token.key));
            }
            reader.push(token.key, token.value);
        }
    }
    reader.finish();
    record.line = line.to_string();
    Ok(record)
}

/// The time and serial inside `msg=audit(…)`, and whether the line is
/// `ausearch -i` output (a printed date, fields already interpreted).
fn stamp(text: &str) -> Result<(Stamp, bool), RecordError> {
    let bad = || RecordError::BadStamp(text.to_string());
    let (time, serial) = text.rsplit_once(':').ok_or_else(bad)?;
    let serial = serial.parse().map_err(|_| bad())?;
    if let Some((seconds, millis)) = time.split_once('.') {
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if all_digits(seconds) && all_digits(millis) && millis.len() <= 9 {
            let seconds: i64 = seconds.parse().map_err(|_| bad())?;
            let nanos: u32 = format!("{millis:0<9}").parse().map_err(|_| bad())?;
            let time = DateTime::from_timestamp(seconds, nanos).ok_or_else(bad)?;
            return Ok((Stamp { time, serial }, false));
        }
    }
    // `ausearch -i` prints the time in the local zone of the machine it ran
    // on, which the line does not say: read as UTC.
    let time = NaiveDateTime::parse_from_str(time, "%m/%d/%Y %H:%M:%S%.f")
        .map_err(|_| bad())?
        .and_utc();
    Ok((Stamp { time, serial }, true))
}

/// A `key=value` of a line, with the value's quotes taken off.
#[derive(Debug, PartialEq, Eq)]
struct Token<'a> {
    key: &'a str,
    value: &'a str,
    quote: Option<char>,
    /// False when the line ended inside the quoted value.
    closed: bool,
    /// The line from the value on.
    to_end: &'a str,
}

/// The `key=value` pairs of a text; words without `=` (AVC's `denied { read
/// } for`) are passed over.
struct Tokens<'a> {
    rest: &'a str,
}

fn tokens(text: &str) -> Tokens<'_> {
    Tokens { rest: text }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            let rest = self.rest.trim_start_matches([' ', '\t']);
            if rest.is_empty() {
                self.rest = rest;
                return None;
            }
            let word_end = rest.find([' ', '\t', '=']).unwrap_or(rest.len());
            let key = &rest[..word_end];
            if key.is_empty() || !rest[word_end..].starts_with('=') {
                // A word, or a lone `=`: step over it.
                self.rest = &rest[word_end.max(1)..];
                continue;
            }
            let to_end = &rest[word_end + 1..];
            let quote = to_end.chars().next().filter(|c| *c == '"' || *c == '\'');
            let Some(q) = quote else {
                let end = to_end.find([' ', '\t']).unwrap_or(to_end.len());
                self.rest = &to_end[end..];
                return Some(Token {
                    key,
                    value: &to_end[..end],
                    quote,
                    closed: true,
                    to_end,
                });
            };
            let inner = &to_end[1..];
            let (value, closed) = match inner.find(q) {
                Some(end) => {
                    self.rest = &inner[end + 1..];
                    (&inner[..end], true)
                }
                None => {
                    self.rest = "";
                    (inner, false)
                }
            };
            return Some(Token {
                key,
                value,
                quote,
                closed,
                to_end,
            });
        }
    }
}

/// Decodes the fields of a record's body into it.
struct FieldReader<'r> {
    record: &'r mut Record,
    /// The line all keys and undecoded values are parts of.
    line: &'r str,
    /// `ausearch -i` output: values are printed as they are, never hex.
    interpreted: bool,
    /// EXECVE's long arguments, logged in parts `a1[0]=… a1[1]=…`: their
    /// bytes, joined before decoding so a character split between parts
    /// stays whole.
    chunks: Vec<(&'r str, Vec<u8>)>,
}

impl<'r> FieldReader<'r> {
    fn read(&mut self, body: &'r str) {
        for token in tokens(body) {
            // `ausearch -i` prints the process title decoded, spaces and
            // all: it is the rest of the line.
            if self.interpreted && token.key == "proctitle" && token.quote.is_none() {
                self.push(token.key, token.to_end.trim_end());
                return;
            }
            if !token.closed {
                let damage = cut_short(token.key);
                self.record.damage.push(damage);
            }
            if token.key == "msg" && token.quote == Some('\'') {
                // A user-space record's own fields, as in
                // `msg='op=PAM:authentication acct="root" … res=failed'`.
                self.read(token.value);
                continue;
            }
            self.field(&token);
        }
    }

    fn field(&mut self, token: &Token<'r>) {
        let key = token.key;
        let execve = self.record.kind == "EXECVE";
        if execve {
            if let Some((argument, _part)) = argument_part(key) {
                let bytes = self.bytes(token);
                match self.chunks.iter_mut().find(|(name, _)| *name == argument) {
                    Some((_, joined)) => joined.extend(bytes),
                    None => self.chunks.push((argument, bytes)),
                }
                return;
            }
        }
        let escaped = ESCAPED.contains(&key) || (execve && is_argument(key));
        if !escaped || self.interpreted || token.quote.is_some() {
            self.push(key, token.value);
            return;
        }
        let text = String::from_utf8_lossy(&self.bytes(token)).into_owned();
        match key {
            // The process's argv, NUL between arguments.
            "proctitle" => {
                let title = text.trim_end_matches('\0').replace('\0', " ");
                self.push_decoded(key, title);
            }
            // Several keys of one audit rule are joined by \x01.
            "key" => {
                for each in text.split('\x01') {
                    self.push_decoded(key, each.to_string());
                }
            }
            _ => self.push_decoded(key, text),
        }
    }

    /// The bytes an escaped value stands for: its text when quoted or
    /// empty-like, else its hex decoded (or, when it is not hex, its text,
    /// with the damage noted).
    fn bytes(&mut self, token: &Token) -> Vec<u8> {
        let value = token.value;
        if self.interpreted || token.quote.is_some() || NO_VALUE.contains(&value) {
            return value.as_bytes().to_vec();
        }
        match hex(value) {
            Some(bytes) => bytes,
            None => {
                self.record.damage.push(format!(
                    "{} is neither quoted nor hex ({:?}); kept as written",
                    token.key,
                    excerpt(value)
                ));
                value.as_bytes().to_vec()
            }
        }
    }

    /// Adds a field whose name and value are parts of the line.
    fn push(&mut self, key: &str, value: &str) {
        let value = Text::Line(self.span(value));
        self.record.fields.push((self.span(key), value));
    }

    /// Adds a field whose name is a part of the line.
    fn push_decoded(&mut self, key: &str, value: String) {
        let name = self.span(key);
        self.record.fields.push((name, Text::Decoded(value)));
    }

    /// Where `part`, a part of the line, lies in it.
    fn span(&self, part: &str) -> Range<usize> {
        let start = part.as_ptr() as usize - self.line.as_ptr() as usize;
        debug_assert!(start + part.len() <= self.line.len());
        start..start + part.len()
    }

    /// Adds the long arguments joined from their parts.
    fn finish(mut self) {
        for (name, bytes) in std::mem::take(&mut self.chunks) {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            self.push_decoded(name, text);
        }
    }
}

/// Whether `key` is an EXECVE argument: `a0`, `a1`, ….
fn is_argument(key: &str) -> bool {
    key.strip_prefix('a')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `a1[0]` → (`a1`, 0): a part of a long argument.
fn argument_part(key: &str) -> Option<(&str, u32)> {
    let (argument, part) = key.strip_suffix(']')?.split_once('[')?;
    if !is_argument(argument) {
        return None;
    }
    Some((argument, part.parse().ok()?))
}

/// The bytes of an even-length run of hex digits.
fn hex(text: &str) -> Option<Vec<u8>> {
    let pairs = text.as_bytes().chunks_exact(2);
    if text.is_empty() || !pairs.remainder().is_empty() {
        return None;
    }
    let value = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    pairs
        .map(|pair| Some(value(pair[0])? << 4 | value(pair[1])?))
        .collect()
}

fn cut_short(key: &str) -> String {
    format!("the line ends inside the quoted value of {key}: it is cut short")
}

/// At most 40 characters of `text`, for quoting in an issue.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(record: &Record) -> Vec<String> {
        record.fields().map(|(k, v)| format!("{k}={v}")).collect()
    }

    #[test]
    fn a_syscall_record_gives_its_header_and_fields() {
        let record = parse(
            r#"node=web1 type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=2 success=no exit=-2 a0=7fffd19c5592 a1=0 comm="cat" exe="/usr/bin/cat" key="sshd_config""#,
        )
        .unwrap();
        assert_eq!(record.node.as_deref(), Some("web1"));
        assert_eq!(record.kind, "SYSCALL");
        assert_eq!(record.stamp.serial, 24287);
        assert_eq!(
            record.stamp.time.to_rfc3339(),
            "2013-03-28T14:36:03.243+00:00"
        );
        assert_eq!(
            fields(&record),
            [
                "arch=c000003e",
                "syscall=2",
                "success=no",
                "exit=-2",
                "a0=7fffd19c5592",
                "a1=0",
                "comm=cat",
                "exe=/usr/bin/cat",
                "key=sshd_config"
            ]
        );
        assert!(record.damage.is_empty());
    }

    #[test]
    fn hex_values_are_decoded_where_auditd_escapes() {
        let record = parse(
            r#"type=EXECVE msg=audit(1.5:7): argc=3 a0="chmod" a1=2B78 a2=2F746D702F6D7920736372697074"#,
        )
        .unwrap();
        assert_eq!(
            fields(&record),
            ["argc=3", "a0=chmod", "a1=+x", "a2=/tmp/my script"]
        );
        let record =
            parse("type=PROCTITLE msg=audit(1.5:7): proctitle=2F62696E2F7368002D630069640A")
                .unwrap();
        assert_eq!(fields(&record), ["proctitle=/bin/sh -c id\n"]);
        // Several keys of one rule, and SYSCALL's a0 stays the number it is.
        let record =
            parse("type=SYSCALL msg=audit(1.5:7): a0=40000 comm=(null) key=6B31016B32").unwrap();
        assert_eq!(
            fields(&record),
            ["a0=40000", "comm=(null)", "key=k1", "key=k2"]
        );
    }

    #[test]
    fn long_arguments_are_joined_from_their_parts() {
        let record = parse(
            r#"type=EXECVE msg=audit(1.5:7): argc=2 a0="echo" a1_len=6 a1[0]=C3A9 a1[1]=C3A9C3 a1[2]=A9"#,
        )
        .unwrap();
        assert_eq!(fields(&record), ["argc=2", "a0=echo", "a1_len=6", "a1=ééé"]);
    }

    #[test]
    fn user_records_give_the_fields_of_their_message() {
        let record = parse(
            "type=USER_LOGIN msg=audit(1364475353.159:24270): pid=3280 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=? addr=10.0.0.1 terminal=ssh res=failed'\x1dUID=\"root\" AUID=\"unset\"",
        )
        .unwrap();
        assert_eq!(
            fields(&record),
            [
                "pid=3280",
                "uid=0",
                "auid=4294967295",
                "ses=4294967295",
                "op=login",
                "acct=root",
                "exe=/usr/sbin/sshd",
                "hostname=?",
                "addr=10.0.0.1",
                "terminal=ssh",
                "res=failed",
                "UID=root",
                "AUID=unset"
            ]
        );
    }

    #[test]
    fn ausearch_output_is_read_as_printed() {
        let record = parse(
            "type=PROCTITLE msg=audit(03/28/2013 14:36:03.243:24287) : proctitle=cat /etc/ssh/sshd_config ",
        )
        .unwrap();
        assert_eq!(
            record.stamp.time.to_rfc3339(),
            "2013-03-28T14:36:03.243+00:00"
        );
        assert_eq!(fields(&record), ["proctitle=cat /etc/ssh/sshd_config"]);
        let record =
            parse("type=EXECVE msg=audit(03/28/2013 14:36:03.243:24287) : argc=2 a0=ls a1=CAFE")
                .unwrap();
        assert_eq!(fields(&record), ["argc=2", "a0=ls", "a1=CAFE"]);
    }

    #[test]
    fn damage_is_noted_and_what_is_not_a_record_says_why() {
        let record = parse("type=PATH msg=audit(1.5:7): name=2F746 XYZ comm=\"ca").unwrap();
        assert_eq!(fields(&record), ["name=2F746", "comm=ca"]);
        assert_eq!(record.damage.len(), 2, "{:?}", record.damage);
        assert!(record.damage[0].starts_with("name is neither quoted nor hex"));
        assert!(record.damage[1].contains("cut short"));

        let cases = [
            ("type=SYSCALL arch=c000003e", RecordError::NoStamp),
            (
                "type=SYSCALL msg=audit(1364481363.243:242",
                RecordError::Unclosed,
            ),
            ("msg=audit(1.5:7): a=b", RecordError::NoType),
            (
                "type=X msg=audit(yesterday:7):",
                RecordError::BadStamp("yesterday:7".into()),
            ),
            (
                "type=X msg=audit(1.5:x):",
                RecordError::BadStamp("1.5:x".into()),
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(parse(line).unwrap_err(), expected, "{line}");
        }
    }
}
