//! Bounds on what reading a YAML text (a rule file, an inventory, a mapping)
//! may cost, checked before it is read, against texts built to exhaust
//! memory or time:
//!
//! * aliases are replayed as a document is deserialized: a 62 KB file whose
//!   anchor of 20,000 items is named by 1,000 aliases reads as 20 million
//!   values. The YAML reader's own guard counts alias jumps, not the values
//!   they replay, so it lets this through. The documents are walked without
//!   keeping anything, and refused once they give more values than allowed;
//! * the YAML scanner takes time quadratic in the nesting of flow
//!   collections (`[[[[…`): 100,000 levels, 200 KB, take minutes. Nesting
//!   deeper than the YAML reader would accept anyway is refused first.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The values a text's documents may expand to, at least (a longer text may
/// hold as many values as bytes): far above any rule file, inventory or
/// mapping written by hand, far below what exhausts memory.
pub const MOST_VALUES: usize = 1_000_000;

/// How deep `[` and `{` may nest in a YAML text. The YAML reader refuses
/// documents deeper than 128 levels; past this many, the scanner alone would
/// take long to get there.
pub const MOST_FLOW_DEPTH: usize = 256;

/// Checks that a YAML text can be read at a bounded cost: flow collections
/// nested at most [`MOST_FLOW_DEPTH`] deep, and the documents `read` finds in
/// it (`yaml_serde::Deserializer::from_str`) expanding to at most
/// `max(MOST_VALUES, text.len())` values in all, walked without keeping
/// anything. The error says which bound the text passes; a document's other
/// errors are left to the real read, which reports them with their place.
/// A text without `&` has no anchor to repeat and is not walked.
pub fn check_yaml<'de, D, I>(text: &'de str, read: impl FnOnce(&'de str) -> I) -> Result<(), String>
where
    D: Deserializer<'de>,
    I: IntoIterator<Item = D>,
{
    if flow_depth(text) > MOST_FLOW_DEPTH {
        return Err(format!(
            "`[` and `{{` nested more than {MOST_FLOW_DEPTH} deep; not read"
        ));
    }
    if !text.contains('&') {
        return Ok(());
    }
    let budget = MOST_VALUES.max(text.len());
    let left = Cell::new(budget);
    for document in read(text) {
        if Budget(&left, budget).deserialize(document).is_err() {
            break;
        }
    }
    if left.get() == 0 {
        return Err(format!(
            "the document expands to more than {budget} values \
             (aliases repeating a large anchor?); not read"
        ));
    }
    Ok(())
}

/// The deepest nesting of `[` and `{` in a YAML text, outside quoted scalars
/// and comments. A quote opens a quoted scalar only where a scalar starts
/// (after `:`, `-`, `,`, `[`, `{`, `?` or at a line's start), as in YAML, so
/// that a quote inside a plain scalar cannot hide the brackets after it.
/// Brackets in plain and block scalars are counted: an overestimate, which
/// only a text of hundreds of unclosed brackets meets.
fn flow_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    let mut comment = false;
    // The last byte that is not a space or tab on this line.
    let mut last = b'\n';
    let mut previous = b'\n';
    for &byte in text.as_bytes() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if q == b'"' && byte == b'\\' {
                escaped = true;
            } else if byte == q {
                quote = None;
            }
        } else if comment {
            comment = byte != b'\n';
        } else {
            match byte {
                b'\'' | b'"' if b":-,[{?\n".contains(&last) => quote = Some(byte),
                b'#' if previous.is_ascii_whitespace() => comment = true,
                b'[' | b'{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        if byte == b'\n' {
            last = b'\n';
        } else if byte != b' ' && byte != b'\t' {
            last = byte;
        }
        previous = byte;
    }
    deepest
}

/// What is left of the budget, and the budget itself for the error.
#[derive(Clone, Copy)]
struct Budget<'a>(&'a Cell<usize>, usize);

impl Budget<'_> {
    fn spend<E: de::Error>(&self) -> Result<(), E> {
        match self.0.get().checked_sub(1) {
            Some(left) => {
                self.0.set(left);
                Ok(())
            }
            None => Err(E::custom(format!("more than {} values", self.1))),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Budget<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Budget<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.spend()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.spend()
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        self.spend()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.spend()
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        self.spend()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.spend()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.spend()
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<(), E> {
        self.spend()
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.spend()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.spend()
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.spend()?;
        self.deserialize(deserializer)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.spend()?;
        self.deserialize(deserializer)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.spend()?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.spend()?;
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        use de::VariantAccess;
        self.spend()?;
        let ((), variant) = data.variant_seed(self)?;
        variant.newtype_variant_seed(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A YAML text whose anchor of `items` items is named by `aliases` aliases.
    pub(crate) fn alias_bomb(items: usize, aliases: usize) -> String {
        let anchor = vec!["x"; items].join(",");
        let names = vec!["*a"; aliases].join(",");
        format!("anchor: &a [{anchor}]\nrepeats: [{names}]\n")
    }

    #[test]
    fn aliases_repeating_a_large_anchor_are_refused_before_they_are_read() {
        // 20,000 items named 1,000 times: 20 million values from 62 KB.
        let bomb = alias_bomb(20_000, 1_000);
        let started = std::time::Instant::now();
        let error = check_yaml(&bomb, yaml_serde::Deserializer::from_str).unwrap_err();
        assert!(
            error.contains("expands to more than 1000000 values"),
            "{error}"
        );
        assert!(started.elapsed().as_secs() < 5);
        // The same anchor named a few times is fine.
        assert!(check_yaml(&alias_bomb(20_000, 10), yaml_serde::Deserializer::from_str).is_ok());
    }

    #[test]
    fn a_text_without_anchors_is_not_walked() {
        let walked = Cell::new(false);
        let read = |_: &str| {
            walked.set(true);
            std::iter::empty::<yaml_serde::Deserializer>()
        };
        assert!(check_yaml("a: [1, 2]", read).is_ok());
        assert!(!walked.get());
    }

    #[test]
    fn flow_collections_nested_past_the_bound_are_refused_before_they_are_scanned() {
        let deep = format!("a: {}1{}", "[".repeat(100_000), "]".repeat(100_000));
        let started = std::time::Instant::now();
        let error = check_yaml(&deep, yaml_serde::Deserializer::from_str).unwrap_err();
        assert!(
            started.elapsed().as_millis() < 500,
            "{:?}",
            started.elapsed()
        );
        assert_eq!(error, "`[` and `{` nested more than 256 deep; not read");
        let fine = format!("a: {}1{}", "{b: ".repeat(200), "}".repeat(200));
        assert!(check_yaml(&fine, yaml_serde::Deserializer::from_str).is_ok());
        // Brackets in quotes and comments are text.
        let quoted = format!(
            "a: '{}'\nb: \"\\\"{}\" # {}\n",
            "[".repeat(300),
            "{".repeat(300),
            "[".repeat(300)
        );
        assert_eq!(flow_depth(&quoted), 0);
        // A quote inside a plain scalar opens nothing.
        let hidden = format!("a: don't\nb: {}", "[".repeat(300));
        assert_eq!(flow_depth(&hidden), 300);
    }

    #[test]
    fn damaged_texts_never_panic() {
        let valid = "a: &x [1, {b: '[c', d: \"]\\\"\"}]\ne: *x # [\n---\nf: [*x, *x]\n";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below as u64) as usize
        };
        for _ in 0..2_000 {
            let mut bytes = valid.as_bytes()[..next(valid.len() + 1)].to_vec();
            for _ in 0..next(4) {
                if !bytes.is_empty() {
                    let at = next(bytes.len());
                    let pool = b"[]{}'\"&*#\n:-, x";
                    bytes[at] = pool[next(pool.len())];
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = check_yaml(&text, yaml_serde::Deserializer::from_str);
        }
    }

    #[test]
    fn broken_documents_are_left_to_the_real_read() {
        assert!(check_yaml("a: &x [1\n", yaml_serde::Deserializer::from_str).is_ok());
    }
}
