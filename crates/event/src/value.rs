//! A single field value as read from a log record.

use std::fmt;

/// The value of one event field. Sources keep what the record said: a number
/// stays a number, a string stays a string, so that Sigma's typed comparisons
/// (`gt`, `cidr`, …) and string matching both see the original.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<FieldValue>),
}

impl FieldValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an integer, parsing strings such as `"4624"` or `"0x1f"`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            FieldValue::Int(i) => Some(*i),
            FieldValue::Float(f) if f.fract() == 0.0 => Some(*f as i64),
            FieldValue::Str(s) => {
                let s = s.trim();
                if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    i64::from_str_radix(hex, 16).ok()
                } else {
                    s.parse().ok()
                }
            }
            _ => None,
        }
    }

    /// The value as a float, parsing numeric strings.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            FieldValue::Int(i) => Some(*i as f64),
            FieldValue::Float(f) => Some(*f),
            FieldValue::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, FieldValue::Null)
    }

    /// Converts a JSON value, keeping its type. Objects are rendered as JSON
    /// text: sources flatten the objects they understand before this point.
    pub fn from_json(value: &serde_json::Value) -> FieldValue {
        match value {
            serde_json::Value::Null => FieldValue::Null,
            serde_json::Value::Bool(b) => FieldValue::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => FieldValue::Int(i),
                None => match n.as_u64() {
                    Some(u) => FieldValue::Float(u as f64),
                    None => FieldValue::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
            },
            serde_json::Value::String(s) => FieldValue::Str(s.clone()),
            serde_json::Value::Array(items) => {
                FieldValue::List(items.iter().map(FieldValue::from_json).collect())
            }
            serde_json::Value::Object(_) => FieldValue::Str(value.to_string()),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            FieldValue::Null => serde_json::Value::Null,
            FieldValue::Bool(b) => (*b).into(),
            FieldValue::Int(i) => (*i).into(),
            FieldValue::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            FieldValue::Str(s) => serde_json::Value::String(s.clone()),
            FieldValue::List(items) => items.iter().map(FieldValue::to_json).collect(),
        }
    }
}

impl From<&str> for FieldValue {
    fn from(s: &str) -> Self {
        FieldValue::Str(s.into())
    }
}

impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        FieldValue::Str(s)
    }
}

impl From<i64> for FieldValue {
    fn from(i: i64) -> Self {
        FieldValue::Int(i)
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Null => f.write_str("null"),
            FieldValue::Bool(b) => write!(f, "{b}"),
            FieldValue::Int(i) => write!(f, "{i}"),
            FieldValue::Float(x) => write!(f, "{x}"),
            FieldValue::Str(s) => f.write_str(s),
            FieldValue::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_from_decimal_and_hex_strings() {
        assert_eq!(FieldValue::from("4624").as_i64(), Some(4624));
        assert_eq!(FieldValue::from("0x1F").as_i64(), Some(31));
        assert_eq!(FieldValue::from("abc").as_i64(), None);
    }

    #[test]
    fn json_keeps_types() {
        let v: serde_json::Value = serde_json::json!([1, "a", null, true, 1.5]);
        let f = FieldValue::from_json(&v);
        assert_eq!(
            f,
            FieldValue::List(vec![
                FieldValue::Int(1),
                FieldValue::from("a"),
                FieldValue::Null,
                FieldValue::Bool(true),
                FieldValue::Float(1.5)
            ])
        );
        assert_eq!(f.to_json(), v);
    }
}
