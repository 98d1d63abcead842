//! Comparing the short texts events are made of (field names, most values)
//! without a call into the C library's `memcmp` for each: a name is checked
//! against the one at its place, and looked up, for every field of every
//! event.

/// Whether `a` and `b` are the same text. Texts of up to sixteen bytes are
/// compared as two machine words (overlapping when shorter), which a
/// processor does in a few instructions; longer ones as `==` does.
#[inline]
pub fn same_text(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// [`same_text`] of bytes.
#[inline]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let words = |text: &[u8]| {
        let head = text.first_chunk::<8>().copied().map(u64::from_le_bytes);
        let tail = text.last_chunk::<8>().copied().map(u64::from_le_bytes);
        head.zip(tail)
    };
    let halves = |text: &[u8]| {
        let head = text.first_chunk::<4>().copied().map(u32::from_le_bytes);
        let tail = text.last_chunk::<4>().copied().map(u32::from_le_bytes);
        head.zip(tail)
    };
    match a.len() {
        8..=16 => words(a) == words(b),
        4..8 => halves(a) == halves(b),
        _ => a == b,
    }
}

/// A field's name as a source reads it: whole, or the name of an element
/// and of one of its attributes, `("Provider", "Name")` for the field
/// `Provider_Name`. An event that already holds the name where it is put
/// (see [`crate::Event::clear`]) compares it with the parts, which are then
/// never put together.
pub trait FieldName {
    /// Whether `name` is this name.
    fn is(&self, name: &str) -> bool;
    /// Writes this name over `into`.
    fn write_over(&self, into: &mut String);
    /// This name as a string of its own.
    fn into_string(self) -> String;
}

impl FieldName for &str {
    #[inline]
    fn is(&self, name: &str) -> bool {
        same_text(self, name)
    }

    #[inline]
    fn write_over(&self, into: &mut String) {
        into.clear();
        into.push_str(self);
    }

    fn into_string(self) -> String {
        self.to_owned()
    }
}

impl FieldName for String {
    #[inline]
    fn is(&self, name: &str) -> bool {
        same_text(self, name)
    }

    #[inline]
    fn write_over(&self, into: &mut String) {
        self.as_str().write_over(into);
    }

    fn into_string(self) -> String {
        self
    }
}

/// An element's name and its attribute's: the field `Element_Attribute`.
impl FieldName for (&str, &str) {
    #[inline]
    fn is(&self, name: &str) -> bool {
        let (owner, attribute) = (self.0.as_bytes(), self.1.as_bytes());
        match name.as_bytes().split_at_checked(owner.len()) {
            Some((head, [b'_', tail @ ..])) => {
                same_bytes(head, owner) && same_bytes(tail, attribute)
            }
            _ => false,
        }
    }

    #[inline]
    fn write_over(&self, into: &mut String) {
        into.clear();
        into.push_str(self.0);
        into.push('_');
        into.push_str(self.1);
    }

    fn into_string(self) -> String {
        let mut name = String::with_capacity(self.0.len() + 1 + self.1.len());
        self.write_over(&mut name);
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length from 0 to 40, equal and differing at each byte.
    #[test]
    fn texts_of_every_length_compare_as_equality_does() {
        for length in 0..40 {
            let a: String = (0..length)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            assert!(same_text(&a, &a.clone()), "{a}");
            for at in 0..length {
                let mut b = a.clone().into_bytes();
                b[at] = b'Z';
                let b = String::from_utf8(b).unwrap();
                assert!(!same_text(&a, &b), "{a} / {b}");
            }
            assert!(!same_text(&a, &format!("{a}x")));
            assert!(!same_text(&format!("{a}x"), &a));
        }
        assert!(same_text("é", "é") && !same_text("é", "è"));
    }

    #[test]
    fn a_joined_name_is_its_parts_with_an_underscore() {
        let joined = ("Provider", "Name");
        assert!(joined.is("Provider_Name"));
        for other in [
            "Provider_Nam",
            "ProviderXName",
            "Provider_Names",
            "Provider",
            "",
            "é",
        ] {
            assert!(!joined.is(other), "{other}");
        }
        assert!(("", "").is("_") && !("é", "").is("é"));
        let mut into = String::from("something longer");
        joined.write_over(&mut into);
        assert_eq!(
            (into.as_str(), joined.into_string()),
            ("Provider_Name", into.clone())
        );
    }
}
