//! Finding an event's field by name without comparing the name with every
//! field's: the rules that get past the prefilter ask for a score of fields
//! per event, and most of those lookups would otherwise scan all of the
//! event's fields twice (exactly, then ignoring case) to find nothing.

use vigil_event::{same_text, Event};

/// Events with more fields than this are searched field by field.
const MOST_FIELDS: usize = 127;
/// The most slots a table has: twice the most fields, rounded up.
const SLOTS: usize = 256;

/// An event's field names hashed ignoring ASCII case, answering lookups as
/// [`Event::index_of`] does: the first field of exactly that name, else the
/// first whose name differs from it only in ASCII case.
pub(crate) struct NameIndex {
    /// Slots minus one (slots are a power of two); 0 when the event has too
    /// many fields for a table.
    mask: usize,
    /// Per slot, the index of the first field of each name (folded) plus
    /// one; 0 for an empty slot. Collisions go to the next slot.
    slots: [u8; SLOTS],
}

impl NameIndex {
    pub(crate) fn new(event: &Event) -> NameIndex {
        let mut index = NameIndex {
            mask: 0,
            slots: [0; SLOTS],
        };
        let fields = event.len();
        if fields > MOST_FIELDS {
            return index;
        }
        // At most half full, so a probe soon meets an empty slot.
        index.mask = (2 * fields).next_power_of_two().clamp(16, SLOTS) - 1;
        for (at, (name, _)) in event.fields().enumerate() {
            let mut slot = small_hash(name) & index.mask;
            loop {
                let taken = index.slots[slot];
                if taken == 0 {
                    index.slots[slot] = (at + 1) as u8;
                    break;
                }
                if name_at(event, taken).eq_ignore_ascii_case(name) {
                    // An earlier field of this name, folded, keeps the slot.
                    break;
                }
                slot = (slot + 1) & index.mask;
            }
        }
        index
    }

    /// The index of the field `name`, as [`Event::index_of`] finds it.
    pub(crate) fn position(&self, event: &Event, name: &str) -> Option<usize> {
        if self.mask == 0 {
            return event.index_of(name);
        }
        let mut slot = small_hash(name) & self.mask;
        loop {
            let taken = self.slots[slot];
            if taken == 0 {
                return None;
            }
            let found = name_at(event, taken);
            let first = usize::from(taken) - 1;
            if same_text(found, name) {
                // The first field of this name ignoring case is also the
                // first of exactly this name.
                return Some(first);
            }
            if found.eq_ignore_ascii_case(name) {
                return event
                    .fields()
                    .position(|(other, _)| other == name)
                    .or(Some(first));
            }
            slot = (slot + 1) & self.mask;
        }
    }
}

fn name_at(event: &Event, taken: u8) -> &str {
    event
        .field_at(usize::from(taken) - 1)
        .map_or("", |(name, _)| name)
}

/// [`hash`] in eight bits.
fn small_hash(name: &str) -> usize {
    (hash(name) >> 56) as usize
}

/// A hash of a name that names differing only in ASCII case share: each
/// byte is read with its 0x20 bit set (which makes capitals small letters,
/// and maps any other byte the same way wherever it occurs). The high bits
/// are the well mixed ones.
pub(crate) fn hash(name: &str) -> u64 {
    const CASE: u64 = 0x2020_2020_2020_2020;
    let bytes = name.as_bytes();
    let (head, tail) = match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        (Some(head), Some(tail)) => (u64::from_le_bytes(*head), u64::from_le_bytes(*tail)),
        _ => {
            let short = bytes.iter().fold(0u64, |word, &b| word << 8 | u64::from(b));
            (short, 0)
        }
    };
    ((head | CASE) ^ (tail | CASE).rotate_left(29) ^ bytes.len() as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Values by name, found ignoring ASCII case without folding the name asked
/// for: what the prefilter looks every field of every event up in.
#[derive(Debug)]
pub(crate) struct NameTable<T> {
    /// How far to shift a [`hash`] for a slot: 64 minus the slots' bits.
    shift: u32,
    /// Open addressing, at most half full; collisions go to the next slot.
    slots: Vec<Option<Named<T>>>,
}

#[derive(Debug)]
struct Named<T> {
    /// The name's [`hash`], compared before the name.
    hash: u64,
    /// As first given: a name asked for as it is spelt here is found by
    /// one comparison of bytes.
    name: Box<str>,
    value: T,
}

impl<T> NameTable<T> {
    /// A table of the entries; of names equal but for ASCII case, the first
    /// is kept.
    pub(crate) fn new(entries: impl IntoIterator<Item = (Box<str>, T)>) -> NameTable<T> {
        let entries: Vec<_> = entries.into_iter().collect();
        let size = (2 * entries.len()).next_power_of_two().max(16);
        let mut table = NameTable {
            shift: 64 - size.trailing_zeros(),
            slots: (0..size).map(|_| None).collect(),
        };
        for (name, value) in entries {
            let hash = hash(&name);
            let mut slot = table.slot_of(hash);
            loop {
                match &table.slots[slot] {
                    None => {
                        table.slots[slot] = Some(Named { hash, name, value });
                        break;
                    }
                    Some(kept) if kept.name.eq_ignore_ascii_case(&name) => break,
                    Some(_) => slot = (slot + 1) & (size - 1),
                }
            }
        }
        table
    }

    fn slot_of(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize
    }

    /// The value of the name equal to `name` but for ASCII case.
    pub(crate) fn get(&self, name: &str) -> Option<&T> {
        let hash = hash(name);
        let mut slot = self.slot_of(hash);
        loop {
            match &self.slots[slot] {
                None => return None,
                Some(kept)
                    if kept.hash == hash
                        && (same_text(&kept.name, name)
                            || kept.name.eq_ignore_ascii_case(name)) =>
                {
                    return Some(&kept.value)
                }
                Some(_) => slot = (slot + 1) & (self.slots.len() - 1),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use vigil_event::FieldValue;

    use super::*;

    fn event(names: &[String]) -> Event {
        let mut event = Event::new("test");
        for name in names {
            event.insert(name.as_str(), FieldValue::Null);
        }
        event
    }

    /// Every lookup gives what the field-by-field search gives: names in
    /// several cases, repeated names, names alike but for a byte, short and
    /// long names, non-ASCII names, and events too large for a table.
    #[test]
    fn a_lookup_finds_what_the_field_by_field_search_finds() {
        let base = [
            "EventID",
            "eventid",
            "EVENTID",
            "Channel",
            "Image",
            "image",
            "ProcessId",
            "ProcessID",
            "TargetUserName",
            "TargetUserSid",
            "TargetDomainName",
            "a",
            "A",
            "",
            "Ümlaut",
            "ümlaut",
            "x_y",
            "X_Y",
            "x-y",
            "Data",
            "Data",
            "CommandLine",
            "ParentCommandLine",
            "0123456789abcdef",
            "0123456789ABCDEF",
            "0123456789abcdeg",
        ];
        let asked: Vec<String> = base
            .iter()
            .map(|n| n.to_string())
            .chain(
                [
                    "Missing",
                    "IMAGE",
                    "processid",
                    "x@y",
                    "TARGETUSERSID",
                    "ümLAUT",
                ]
                .map(String::from),
            )
            .collect();
        let mut sets: Vec<Vec<String>> = Vec::new();
        for start in 0..base.len() {
            sets.push(
                base.iter()
                    .cycle()
                    .skip(start)
                    .take(start + 1)
                    .map(|n| n.to_string())
                    .collect(),
            );
        }
        sets.push((0..MOST_FIELDS).map(|i| format!("Field{i}")).collect());
        sets.push((0..MOST_FIELDS + 1).map(|i| format!("Field{i}")).collect());
        sets.push((0..300).map(|i| format!("f{}", i % 97)).collect());
        for names in &sets {
            let event = event(names);
            let index = NameIndex::new(&event);
            let extra = names.iter().map(|n| n.to_ascii_uppercase());
            for name in asked
                .iter()
                .cloned()
                .chain(extra)
                .chain(["Field126".into(), "FIELD127".into()])
            {
                assert_eq!(
                    index.position(&event, &name),
                    event.index_of(&name),
                    "{name} in {names:?}"
                );
            }
        }
    }

    #[test]
    fn names_differing_in_case_hash_alike() {
        for name in [
            "EventID",
            "TargetUserName",
            "x",
            "Provider_Name",
            "ÜmlautName",
        ] {
            assert_eq!(hash(name), hash(&name.to_ascii_lowercase()));
            assert_eq!(hash(name), hash(&name.to_ascii_uppercase()));
        }
    }

    /// The table finds a name in any case, and only names equal but for case.
    #[test]
    fn a_name_table_finds_names_ignoring_case() {
        let names: Vec<String> = (0..300).map(|i| format!("field{i}name")).collect();
        let table = NameTable::new(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_str().into(), i))
                .chain([("eventid".into(), 1000), ("EVENTID".into(), 1001)]),
        );
        for (i, name) in names.iter().enumerate() {
            assert_eq!(table.get(name), Some(&i));
            assert_eq!(table.get(&name.to_ascii_uppercase()), Some(&i));
        }
        assert_eq!(
            table.get("EventID"),
            Some(&1000),
            "the first of a case kept"
        );
        assert_eq!(table.get("field1nam"), None);
        assert_eq!(table.get("field1name_"), None);
        assert_eq!(table.get(""), None);
        let empty: NameTable<usize> = NameTable::new([]);
        assert_eq!(empty.get("x"), None);
    }
}
