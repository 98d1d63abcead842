//! Seeded randomness: every stream the simulator draws from is derived from the
//! configured seed and a label, so the output depends on nothing else.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Labels that keep the streams of different parts of the simulation apart.
pub(crate) mod label {
    pub const ESTATE: u64 = 1;
    pub const BACKGROUND: u64 = 2;
    pub const ATTACK: u64 = 3;
}

/// The random stream for `label` and two coordinates (e.g. host and hour).
pub(crate) fn stream(seed: u64, label: u64, a: u64, b: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(mix(mix(seed ^ label.rotate_left(48)) ^ a) ^ b))
}

/// SplitMix64's finaliser: spreads nearby inputs over the whole range.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

pub(crate) fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A Windows GUID in braces, as Sysmon writes process GUIDs.
pub(crate) fn guid(rng: &mut ChaCha8Rng) -> String {
    let a: u64 = rng.random();
    let b: u64 = rng.random();
    format!(
        "{{{:08X}-{:04X}-{:04X}-{:04X}-{:012X}}}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

/// `n` lowercase letters, for the random names attackers give their files and services.
pub(crate) fn letters(rng: &mut ChaCha8Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
        .collect()
}

/// `n` uppercase hexadecimal digits.
pub(crate) fn hex(rng: &mut ChaCha8Rng, n: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    (0..n)
        .map(|_| char::from(DIGITS[rng.random_range(0..16usize)]))
        .collect()
}

/// A stable stand-in for a file's digest: the same text always gives the same
/// `len` hex digits. Not a cryptographic hash; it only has to look like one.
pub(crate) fn digest(text: &str, len: usize) -> String {
    let mut state = 0xCBF2_9CE4_8422_2325u64;
    for byte in text.bytes() {
        state = (state ^ u64::from(byte)).wrapping_mul(0x0100_0000_01B3);
    }
    let mut out = String::with_capacity(len);
    while out.len() < len {
        state = mix(state);
        out.push_str(&format!("{state:016X}"));
    }
    out.truncate(len);
    out
}

/// A Zeek connection uid: `C` and 17 base-62 characters.
pub(crate) fn zeek_uid(rng: &mut ChaCha8Rng) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut uid = String::with_capacity(18);
    uid.push('C');
    for _ in 0..17 {
        uid.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    uid
}
