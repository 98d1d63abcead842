//! Comparing the short texts events are made of (field names, most values)
//! without a call into the C library's `memcmp` for each: a name is checked
//! against the one at its place, and looked up, for every field of every
//! event. And finding where a JSON string's plain text ends, eight bytes at
//! a time, for the readers of JSON records and the writers of detections.

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

/// How many bytes `bytes` starts with that a JSON string holds as they are:
/// all up to the first quote, backslash or control character. Eight bytes
/// are tested at a time.
#[inline(always)]
pub fn plain_json_text(bytes: &[u8]) -> usize {
    let mut rest = bytes;
    while let Some(word) = rest.first_chunk::<8>() {
        let found = escapes_in(u64::from_le_bytes(*word));
        if found != 0 {
            return bytes.len() - rest.len() + (found.trailing_zeros() / 8) as usize;
        }
        rest = &rest[8..];
    }
    let tail = rest.iter().position(|&b| needs_escape(b));
    bytes.len() - rest.len() + tail.unwrap_or(rest.len())
}

/// Whether a JSON string must escape `byte`: a quote, a backslash, or a
/// control character.
#[inline(always)]
pub fn needs_escape(byte: u8) -> bool {
    byte == b'"' || byte == b'\\' || byte < 0x20
}

/// The high bit of each byte of `word` that [`needs_escape`] (eight bytes
/// read little-endian). Bytes after the first such one may be marked
/// wrongly (a borrow carries over); the lowest mark is always right, and the
/// only one read.
#[inline(always)]
pub fn escapes_in(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    quote | backslash | control
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

    /// The eight-byte test finds the first byte to escape, whatever the
    /// bytes around it; so does the whole, at every length.
    #[test]
    fn the_first_byte_to_escape_is_found_in_any_word() {
        for filler in [b'a', 0xe9, 0x7f, 0x21, 0x5d, 0xff] {
            for at in 0..8 {
                for byte in 0..=255u8 {
                    for after in [filler, b'"', 0x00, 0x1f] {
                        let mut word = [filler; 8];
                        word[at] = byte;
                        if at < 7 {
                            word[at + 1] = after;
                        }
                        let expected = word.iter().position(|&b| needs_escape(b));
                        let found = escapes_in(u64::from_le_bytes(word));
                        let first = (found != 0).then(|| (found.trailing_zeros() / 8) as usize);
                        assert_eq!(first, expected, "{word:?}");
                    }
                }
            }
        }
        for len in 0..40 {
            for at in 0..=len {
                for stop in [b'"', b'\\', 0x00, 0x1f] {
                    let mut text = vec![b'x'; len];
                    if at < len {
                        text[at] = stop;
                    }
                    assert_eq!(plain_json_text(&text), at, "{text:?}");
                }
            }
        }
    }

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
