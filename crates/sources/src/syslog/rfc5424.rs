//! RFC 5424 lines: `VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`
//! after the priority, `-` for a missing value.

use super::header::parse_rfc3339;
use super::{excerpt, Record, SyslogError};

const NIL: &str = "-";

const BYTE_ORDER_MARK: char = '\u{feff}';

/// Structured-data parameters as `(SD-ID.name, value)`.
type Parameters = Vec<(String, String)>;

/// The text after `VERSION SP`, when the line starts with a version number.
pub(super) fn strip_version(text: &str) -> Option<&str> {
    let (version, rest) = text.split_once(' ')?;
    let numeric = (1..=3).contains(&version.len())
        && version.bytes().all(|b| b.is_ascii_digit())
        && !version.starts_with('0');
    numeric.then_some(rest)
}

pub(super) fn parse(text: &str) -> Result<Record<'_>, SyslogError> {
    let mut rest = text;
    let mut next = |part: &'static str| -> Result<Option<&str>, SyslogError> {
        let (value, after) = match rest.split_once(' ') {
            Some(split) => split,
            None if !rest.is_empty() => (rest, ""),
            None => return Err(SyslogError::Truncated(part)),
        };
        rest = after;
        Ok((value != NIL).then_some(value))
    };
    let timestamp = match next("timestamp")? {
        Some(word) => {
            Some(parse_rfc3339(word).ok_or_else(|| SyslogError::BadTimestamp(excerpt(word, 40)))?)
        }
        None => None,
    };
    let host = next("host name")?;
    let program = next("app name")?;
    let pid = next("process id")?;
    let msg_id = next("message id")?;
    let (structured, message) = structured_data(rest)?;
    let message = message.strip_prefix(BYTE_ORDER_MARK).unwrap_or(message);
    Ok(Record {
        timestamp,
        host,
        program,
        module: None,
        pid,
        msg_id,
        structured,
        message,
    })
}

/// The structured data (`-` or `[id name="value" …]…`) as `id.name` fields,
/// and the message after it.
fn structured_data(text: &str) -> Result<(Parameters, &str), SyslogError> {
    if text.is_empty() {
        return Err(SyslogError::Truncated("structured data"));
    }
    if let Some(rest) = text.strip_prefix(NIL) {
        return Ok((Vec::new(), message_after(rest)?));
    }
    let mut fields = Vec::new();
    let mut rest = text;
    while let Some(element) = rest.strip_prefix('[') {
        rest = sd_element(element, &mut fields)?;
    }
    if rest.len() == text.len() {
        return Err(SyslogError::StructuredData("expected `-` or `[`"));
    }
    Ok((fields, message_after(rest)?))
}

fn message_after(rest: &str) -> Result<&str, SyslogError> {
    if rest.is_empty() {
        return Ok("");
    }
    rest.strip_prefix(' ').ok_or(SyslogError::StructuredData(
        "expected a space before the message",
    ))
}

/// One element after its `[`: its id, then `name="value"` pairs up to `]`.
/// Returns the text after the `]`.
fn sd_element<'a>(text: &'a str, fields: &mut Parameters) -> Result<&'a str, SyslogError> {
    let id_len = text
        .find([' ', ']'])
        .ok_or(SyslogError::StructuredData("unclosed element"))?;
    let id = &text[..id_len];
    if id.is_empty() {
        return Err(SyslogError::StructuredData("element without an id"));
    }
    let mut rest = &text[id_len..];
    loop {
        if let Some(after) = rest.strip_prefix(']') {
            return Ok(after);
        }
        rest = rest.strip_prefix(' ').ok_or(SyslogError::StructuredData(
            "expected a space between parameters",
        ))?;
        let (name, after_name) = rest
            .split_once("=\"")
            .ok_or(SyslogError::StructuredData("expected name=\"value\""))?;
        if name.is_empty() || name.contains([' ', ']', '"']) {
            return Err(SyslogError::StructuredData("invalid parameter name"));
        }
        let (value, after_value) = quoted_value(after_name)?;
        fields.push((format!("{id}.{name}"), value));
        rest = after_value;
    }
}

/// A parameter value up to its closing quote, with `\"`, `\\` and `\]`
/// unescaped (any other backslash is kept, as RFC 5424 says).
fn quoted_value(text: &str) -> Result<(String, &str), SyslogError> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &text[index + 1..])),
            '\\' => match chars.next() {
                Some((_, escaped @ ('"' | '\\' | ']'))) => value.push(escaped),
                Some((_, other)) => {
                    value.push('\\');
                    value.push(other);
                }
                None => break,
            },
            other => value.push(other),
        }
    }
    Err(SyslogError::StructuredData("unclosed parameter value"))
}

#[cfg(test)]
mod tests {
    use vigil_event::FieldValue;

    use super::super::{parse_line, SyslogContext};
    use super::*;

    fn context() -> SyslogContext {
        SyslogContext::new("t", chrono::Utc::now())
    }

    #[test]
    fn the_rfc_example_with_structured_data() {
        let line = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\"] \u{feff}An application event log entry...";
        let event = parse_line(line, &mut context()).unwrap();
        let text = |name: &str| event.get(name).map(|v| v.to_string());
        assert_eq!(event.computer(), Some("mymachine.example.com"));
        assert_eq!(event.channel(), Some("evntslog"));
        assert_eq!(event.get("ProcessId"), None);
        assert_eq!(text("MsgId").as_deref(), Some("ID47"));
        assert_eq!(
            text("exampleSDID@32473.eventSource").as_deref(),
            Some("Application")
        );
        assert_eq!(text("examplePriority@32473.class").as_deref(), Some("high"));
        assert_eq!(
            text("Message").as_deref(),
            Some("An application event log entry...")
        );
        assert_eq!(text("Facility").as_deref(), Some("local4"));
        assert_eq!(text("Severity").as_deref(), Some("notice"));
        assert_eq!(
            event.timestamp.unwrap().to_rfc3339(),
            "2003-10-11T22:14:15.003+00:00"
        );
    }

    #[test]
    fn nil_values_are_absent_fields() {
        let event = parse_line("<34>1 - - - - - -", &mut context()).unwrap();
        assert_eq!(event.timestamp, None);
        assert_eq!(event.computer(), None);
        assert_eq!(event.channel(), Some("-"));
        assert_eq!(event.get("MsgId"), None);
        assert_eq!(event.get("Message"), Some(&FieldValue::from("")));

        let event = parse_line(
            "<38>1 2024-03-01T10:00:00+01:00 web1 sshd 42 - - Invalid user admin from 198.51.100.7 port 40000",
            &mut context(),
        )
        .unwrap();
        assert_eq!(event.get("ProcessId"), Some(&FieldValue::Int(42)));
        assert_eq!(event.get("IpPort"), Some(&FieldValue::Int(40000)));
        assert_eq!(
            event.get("Outcome"),
            Some(&FieldValue::from("invalid_user"))
        );
    }

    #[test]
    fn escapes_in_values() {
        let event = parse_line(
            r#"<13>1 - h a - - [x@1 q="say \"hi\" \\ \] \n"] m"#,
            &mut context(),
        )
        .unwrap();
        assert_eq!(
            event.get("x@1.q"),
            Some(&FieldValue::from(r#"say "hi" \ ] \n"#))
        );
    }

    #[test]
    fn malformed_headers_are_named() {
        let cases = [
            (
                "<13>1 2024-03-01T10:00:00Z h a",
                SyslogError::Truncated("process id"),
            ),
            ("<13>1 - h a - -", SyslogError::Truncated("structured data")),
            (
                "<13>1 - h a - - x",
                SyslogError::StructuredData("expected `-` or `[`"),
            ),
            (
                "<13>1 - h a - - [x",
                SyslogError::StructuredData("unclosed element"),
            ),
            (
                "<13>1 - h a - - [x a=\"b]",
                SyslogError::StructuredData("unclosed parameter value"),
            ),
            (
                "<13>1 - h a - - [x]m",
                SyslogError::StructuredData("expected a space before the message"),
            ),
            (
                "<13>1 yesterday h a - - -",
                SyslogError::BadTimestamp("yesterday".into()),
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(
                parse_line(line, &mut context()).unwrap_err(),
                expected,
                "{line}"
            );
        }
    }
}
