//! Any JSON object: nested keys joined with dots (`id.orig_h`, `process.parent.name`).

use serde_json::{Map, Value};
use vigil_event::Event;

use super::field_value;

/// Fills `event` with one field per leaf; top-level leaves keep their key.
/// Arrays stay one list-valued field.
pub(crate) fn flatten(map: Map<String, Value>, event: &mut Event) {
    let mut name = String::new();
    walk(&mut name, map, event);
}

pub(super) fn walk(name: &mut String, map: Map<String, Value>, event: &mut Event) {
    for (key, value) in map {
        let parent = name.len();
        if parent > 0 {
            name.push('.');
        }
        name.push_str(&key);
        match value {
            Value::Object(child) => walk(name, child, event),
            leaf => event.insert(name.as_str(), field_value(leaf)),
        }
        name.truncate(parent);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use vigil_event::FieldValue;

    use super::*;

    #[test]
    fn nested_keys_are_dotted_and_leaves_keep_type() {
        let Value::Object(map) = json!({
            "ts": 1.5, "id": {"orig_h": "10.0.0.1", "orig_p": 41772},
            "answers": ["a", "b"], "deep": {"er": {"x": null}}, "empty": {}
        }) else {
            unreachable!()
        };
        let mut event = Event::new("t");
        flatten(map, &mut event);
        let fields: Vec<_> = event.fields().map(|(k, _)| k).collect();
        assert_eq!(
            fields,
            ["ts", "id.orig_h", "id.orig_p", "answers", "deep.er.x"]
        );
        assert_eq!(event.get("id.orig_p"), Some(&FieldValue::Int(41772)));
        assert_eq!(
            event.get("answers"),
            Some(&FieldValue::List(vec!["a".into(), "b".into()]))
        );
        assert_eq!(event.get("deep.er.x"), Some(&FieldValue::Null));
    }
}
