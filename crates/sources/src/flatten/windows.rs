//! What every shape of a Windows event shares once flattened: the EVTX field
//! names and value types the rules are written against, whoever wrote the record.
//!
//! Collectors rename the `System` fields (`computer_name`, `Hostname`,
//! `data.win.system.computer`) and write numbers as text; each shape's module
//! maps its names, and the helpers here give the values the types an EVTX
//! record's rendering has, and the names rules use where providers put spaces
//! in theirs.

use serde_json::Value;
use vigil_event::{Event, FieldValue};

use super::event_xml_stream::Left;
use super::members::{Leaf, Members};
use super::{event_xml, field_value, id_of, id_value, is_windows_id};

/// The `System` fields that EVTX renders as numbers: a shape that writes
/// them as text has them made numbers again.
const SYSTEM_NUMBERS: [&str; 6] = [
    "Version",
    "Level",
    "Task",
    "Opcode",
    "Execution_ProcessID",
    "Execution_ThreadID",
];

/// Adds a `System` field under its EVTX name, typed as EVTX renders it.
pub(super) fn system(event: &mut Event, name: &'static str, value: FieldValue) {
    let value = if is_windows_id(&name) {
        id_value(value)
    } else if SYSTEM_NUMBERS.contains(&name) {
        canonical_number(value)
    } else {
        value
    };
    event.insert(name, value);
}

/// [`system`] for a value read in one pass: text that stays text is
/// written over the event's kept string.
pub(super) fn system_leaf(event: &mut Event, name: &'static str, leaf: Leaf<'_>) {
    let Leaf::Text(text) = leaf else {
        return system(event, name, leaf.to_value());
    };
    let number = if is_windows_id(&name) {
        id_of(text)
    } else if SYSTEM_NUMBERS.contains(&name) {
        canonical_integer(text)
    } else {
        None
    };
    match number {
        Some(number) => event.insert(name, FieldValue::Int(number)),
        None => event.insert_text(name, text),
    }
}

/// [`data_value`] for a value read in one pass, added under `name`.
pub(super) fn data_leaf(event: &mut Event, name: &str, leaf: Leaf<'_>) {
    match leaf {
        Leaf::Text(text) => match canonical_integer(text) {
            Some(number) => event.insert(name, FieldValue::Int(number)),
            None => event.insert_text(name, text),
        },
        Leaf::Other(value) => event.insert(name, value.clone()),
    }
}

/// An event-data value as the collectors that write every value as text
/// ship it, typed as EVTX would have it: text that is exactly a decimal
/// integer's own spelling becomes that integer (`"3"` → 3, as EVTX renders a
/// `LogonType`); anything else (`"03"`, `"0x3e7"`, `"-"`) stays text. The
/// engine compares both by their text, so matching is the same either way;
/// the types agree so that a value counted or grouped on is one value
/// whichever shape it came from.
pub(super) fn data_value(value: FieldValue) -> FieldValue {
    match value {
        FieldValue::Str(_) => canonical_number(value),
        other => other,
    }
}

fn canonical_number(value: FieldValue) -> FieldValue {
    let FieldValue::Str(text) = &value else {
        return value;
    };
    match canonical_integer(text) {
        Some(number) => FieldValue::Int(number),
        None => value,
    }
}

/// The integer `text` spells, when it is written exactly as the integer
/// would be: no sign, space or leading zero, so reading it back as a number
/// changes nothing of its text.
pub fn canonical_integer(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let plain = match bytes {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.len() < 18 && rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    plain.then(|| text.parse().ok()).flatten()
}

/// Adds an event-data object as Winlogbeat writes it (`event_data`,
/// `user_data`): each value under its own name, typed as EVTX has it, and
/// nested elements as EVTX's are. Winlogbeat names the unnamed `<Data>`
/// values `param1`, `param2`, …, which is also what the Service Control
/// Manager names its data: the values keep those names and are also given,
/// in their order, as the `Data` that an unnamed value is in EVTX.
pub(super) fn winlogbeat_data(section: Value, event: &mut Event) {
    let Value::Object(map) = section else {
        if !section.is_null() {
            event_xml::element("Data", section, event);
        }
        return;
    };
    let mut unnamed: Vec<(u32, FieldValue)> = Vec::new();
    for (name, value) in map {
        if value.is_object() {
            event_xml::element(&name, value, event);
            continue;
        }
        // Winlogbeat 6 names the element a `user_data` object came in.
        if name == "xml_name" {
            continue;
        }
        let value = data_value(field_value(value));
        if let Some(number) = param_number(&name) {
            unnamed.push((number, value.clone()));
        }
        event.insert(name, value);
    }
    unnamed.sort_by_key(|(number, _)| *number);
    let mut values = unnamed.into_iter().map(|(_, value)| value);
    match values.len() {
        0 => {}
        1 => event.insert("Data", values.next().unwrap_or(FieldValue::Null)),
        _ => event.insert("Data", FieldValue::List(values.collect())),
    }
}

/// [`winlogbeat_data`] of the section at `index` of a record read in one
/// pass. Nested elements, and a section that is not an object, are left to
/// the tree walk.
pub(super) fn winlogbeat_data_members(
    members: &Members<'_>,
    index: usize,
    event: &mut Event,
) -> Result<(), Left> {
    if !members.is_object(index) {
        return match members.leaf(index) {
            Some(Leaf::Other(FieldValue::Null)) => Ok(()),
            _ => Err(Left("event data that is not an object")),
        };
    }
    let mut unnamed: Vec<(u32, FieldValue)> = Vec::new();
    for child in members.children(Some(index)) {
        let name = members.key(child);
        let leaf = members
            .leaf(child)
            .ok_or(Left("a nested event-data element"))?;
        if name == "xml_name" {
            continue;
        }
        match param_number(name) {
            Some(number) => {
                let value = data_value(leaf.to_value());
                unnamed.push((number, value.clone()));
                event.insert(name, value);
            }
            None => data_leaf(event, name, leaf),
        }
    }
    unnamed.sort_by_key(|(number, _)| *number);
    let mut values = unnamed.into_iter().map(|(_, value)| value);
    match values.len() {
        0 => {}
        1 => event.insert("Data", values.next().unwrap_or(FieldValue::Null)),
        _ => event.insert("Data", FieldValue::List(values.collect())),
    }
    Ok(())
}

/// `N` of a `paramN` name.
fn param_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("param")?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// Marks a flattened record a Windows event, and gives the fields whose
/// names hold spaces the names rules use. Windows Defender names its event
/// data `Source Name`, `Process Name`, `Threat Name`, `Feature Name`; the
/// SigmaHQ rules write `SourceName` and `ProcessName` but `Feature_Name`, so
/// each such field is also given both spellings. Every shape ends here,
/// EVTX included, so all of them name these fields alike.
pub(crate) fn finish(event: &mut Event) {
    event.product = Some("windows");
    let spaced = (event.fields().enumerate())
        .filter_map(|(index, (name, _))| has_space(name).then_some(index));
    let spaced: Vec<usize> = spaced.collect();
    for index in spaced {
        let Some((name, value)) = event.field_at(index) else {
            continue;
        };
        let (joined, underscored) = (name.replace(' ', ""), name.replace(' ', "_"));
        let value = value.clone();
        event.insert(joined, value.clone());
        event.insert(underscored, value);
    }
}

/// Whether a name holds a space, eight bytes at a time: every field of
/// every Windows event is asked, and names are too short for memchr to pay.
fn has_space(name: &str) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const SPACES: u64 = ONES * 0x20;
    let (words, tail) = name.as_bytes().as_chunks::<8>();
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & (ONES << 7) != 0;
    words
        .iter()
        .any(|word| zero_byte(u64::from_le_bytes(*word) ^ SPACES))
        || tail.contains(&b' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_integer_spellings_become_numbers() {
        for (text, expected) in [
            ("3", FieldValue::Int(3)),
            ("0", FieldValue::Int(0)),
            ("4294967295", FieldValue::Int(4294967295)),
            ("03", FieldValue::from("03")),
            ("-1", FieldValue::from("-1")),
            ("+1", FieldValue::from("+1")),
            (" 1", FieldValue::from(" 1")),
            ("0x3e7", FieldValue::from("0x3e7")),
            ("", FieldValue::from("")),
            (
                "99999999999999999999",
                FieldValue::from("99999999999999999999"),
            ),
            ("1.5", FieldValue::from("1.5")),
        ] {
            assert_eq!(data_value(FieldValue::from(text)), expected, "{text:?}");
        }
        assert_eq!(data_value(FieldValue::Bool(true)), FieldValue::Bool(true));
    }

    #[test]
    fn system_fields_take_evtx_types() {
        let mut event = Event::new("t");
        system(&mut event, "EventID", FieldValue::from("4624"));
        system(&mut event, "Execution_ProcessID", FieldValue::from("612"));
        system(&mut event, "Computer", FieldValue::from("1234"));
        assert_eq!(event.event_id(), Some(4624));
        assert_eq!(
            event.get("Execution_ProcessID"),
            Some(&FieldValue::Int(612))
        );
        assert_eq!(event.get("Computer"), Some(&FieldValue::from("1234")));
    }

    #[test]
    fn winlogbeat_params_are_also_the_unnamed_data() {
        let mut event = Event::new("t");
        let data = serde_json::json!({"param3": "c", "param1": "a", "param2": "7",
            "Other": "x", "xml_name": "Operation"});
        winlogbeat_data(data, &mut event);
        assert_eq!(event.get("param1"), Some(&FieldValue::from("a")));
        assert_eq!(event.get("xml_name"), None);
        assert_eq!(
            event.get("Data"),
            Some(&FieldValue::List(vec![
                "a".into(),
                FieldValue::Int(7),
                "c".into()
            ]))
        );
        let mut single = Event::new("t");
        winlogbeat_data(serde_json::json!({"param1": "only"}), &mut single);
        assert_eq!(single.get("Data"), Some(&FieldValue::from("only")));
        let mut none = Event::new("t");
        winlogbeat_data(
            serde_json::json!({"parameter": "x", "param": "y"}),
            &mut none,
        );
        assert_eq!(none.get("Data"), None);
    }

    #[test]
    fn spaces_are_found_anywhere_in_a_name() {
        for name in [
            "",
            "a",
            "Image",
            "CommandLine",
            "ParentCommandLine_x",
            "¡€ü",
        ] {
            assert!(!has_space(name), "{name}");
        }
        for name in [" ", "Source Name", "SourceName12345 ", "12345678 x", "é x"] {
            assert!(has_space(name), "{name}");
        }
    }

    #[test]
    fn spaced_names_gain_the_names_rules_use() {
        let mut event = Event::new("t");
        event.insert("Source Name", FieldValue::from("AMSI"));
        event.insert("Feature Name", FieldValue::from("%%886"));
        event.insert("Path", FieldValue::from("C:\\x"));
        finish(&mut event);
        assert_eq!(event.product, Some("windows"));
        assert_eq!(event.get("SourceName"), Some(&FieldValue::from("AMSI")));
        assert_eq!(event.get("Source_Name"), Some(&FieldValue::from("AMSI")));
        assert_eq!(event.get("Feature_Name"), Some(&FieldValue::from("%%886")));
        assert_eq!(event.get("Source Name"), Some(&FieldValue::from("AMSI")));
        assert_eq!(event.len(), 7);
    }
}
