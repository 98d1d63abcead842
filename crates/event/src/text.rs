//! Comparing the short texts events are made of (field names, most values)
//! without a call into the C library's `memcmp` for each: a name is checked
//! against the one at its place, and looked up, for every field of every
//! event.

/// Whether `a` and `b` are the same text. Texts of up to sixteen bytes are
/// compared as two machine words (overlapping when shorter), which a
/// processor does in a few instructions; longer ones as `==` does.
#[inline]
pub fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
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
}
