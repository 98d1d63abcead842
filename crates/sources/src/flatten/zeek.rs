//! Zeek's JSON records, one log per file (`_path`) or all logs in one stream
//! (`@stream`): see the `zeek` module for the fields they become.

use serde_json::{Map, Value};
use vigil_event::Event;

use super::{dotted, field_value};
use crate::timestamp;
use crate::zeek::{self, log_of_file, zeek_dotted_name};

/// Whether an object is a Zeek record: it names its log, or it has Zeek's
/// time and one of its identifiers (a connection's `uid` or endpoints, a
/// file's `fuid`).
pub(super) fn is_shape(map: &Map<String, Value>) -> bool {
    let nested_id = || {
        map.get("id")
            .and_then(Value::as_object)
            .is_some_and(|id| id.contains_key("orig_h"))
    };
    is_shape_by(&|key| map.contains_key(key), nested_id)
}

/// [`is_shape`] by whether the record has a top-level key, and whether its
/// `id` is an object holding `orig_h`: for readers that do not hold a `Map`.
pub(super) fn is_shape_by(has: &dyn Fn(&str) -> bool, nested_id: impl Fn() -> bool) -> bool {
    if has("_path") || has("@stream") {
        return true;
    }
    has("ts") && (has("uid") || has("fuid") || has("id.orig_h") || has("id_orig_h") || nested_id())
}

/// Fills `event` from a Zeek record and returns its shape.
pub(super) fn flatten(map: Map<String, Value>, event: &mut Event) -> &'static str {
    let streaming = map.contains_key("@stream");
    let named = ["_path", "@stream"]
        .iter()
        .find_map(|key| map.get(*key).and_then(Value::as_str));
    match named {
        Some(log) => event.insert_text(zeek::CHANNEL, log),
        None => {
            let source = event.source.clone();
            if let Some(log) = log_of_file(&source) {
                event.insert_text(zeek::CHANNEL, log);
            }
        }
    }
    let mut name = String::new();
    for (key, value) in map {
        match value {
            Value::Object(record) => {
                name.clear();
                name.push_str(&key);
                dotted::walk(&mut name, record, event);
            }
            leaf => {
                let key = zeek_dotted_name(&key).unwrap_or(&key);
                event.insert(key, field_value(leaf));
            }
        }
    }
    event.timestamp = event.get("ts").and_then(timestamp::parse);
    event.product = Some(zeek::PRODUCT);
    if streaming {
        zeek::STREAMING_SHAPE
    } else {
        zeek::JSON_SHAPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_event::FieldValue;

    fn event_of(source: &str, json: &str) -> Event {
        let Value::Object(map) = serde_json::from_str(json).unwrap() else {
            panic!("an object")
        };
        assert!(is_shape(&map), "{json}");
        let mut event = Event::new(source);
        event.shape = Some(flatten(map, &mut event));
        event
    }

    fn text<'e>(event: &'e Event, name: &str) -> Option<&'e str> {
        event.get(name).and_then(FieldValue::as_str)
    }

    #[test]
    fn the_three_json_ways_give_the_same_fields() {
        let plain = event_of(
            "all.json",
            r#"{"_path":"rdp","ts":"2020-05-01T07:03:39.797806Z","uid":"C1","id.orig_h":"10.0.1.5","id.resp_p":3389}"#,
        );
        let streaming = event_of(
            "all.json",
            r#"{"@stream":"rdp","@system":"nsm","ts":1588316619.797806,"uid":"C1","id_orig_h":"10.0.1.5","id_resp_p":3389}"#,
        );
        let nested = event_of(
            "rdp.09:00:00-10:00:00.log.gz",
            r#"{"ts":1588316619.797806,"uid":"C1","id":{"orig_h":"10.0.1.5","resp_p":3389}}"#,
        );
        for event in [&plain, &streaming, &nested] {
            assert_eq!(event.product, Some("zeek"));
            assert_eq!(event.channel(), Some("rdp"));
            assert_eq!(text(event, "id.orig_h"), Some("10.0.1.5"));
            assert_eq!(event.get("id.resp_p"), Some(&FieldValue::Int(3389)));
            assert_eq!(
                event.timestamp.map(|t| t.timestamp_micros()),
                Some(1588316619797806)
            );
        }
        assert_eq!(plain.shape, Some(zeek::JSON_SHAPE));
        assert_eq!(streaming.shape, Some(zeek::STREAMING_SHAPE));
        assert_eq!(nested.shape, Some(zeek::JSON_SHAPE));
        assert!(streaming.get("id_orig_h").is_none(), "renamed, not copied");
    }

    #[test]
    fn other_json_is_not_zeek() {
        for json in [
            r#"{"ts":1,"msg":"x"}"#,
            r#"{"uid":"C1","query":"a"}"#,
            r#"{"id":"F1","ts":1}"#,
        ] {
            let Value::Object(map) = serde_json::from_str(json).unwrap() else {
                panic!()
            };
            assert!(!is_shape(&map), "{json}");
        }
    }

    #[test]
    fn a_record_without_its_log_named_by_an_unknown_file_has_no_channel() {
        let event = event_of("My Export.json", r#"{"ts":1.5,"uid":"C1"}"#);
        assert_eq!(event.channel(), None);
        assert_eq!(event.product, Some("zeek"));
    }
}
