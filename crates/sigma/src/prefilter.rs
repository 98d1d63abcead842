//! The literal prefilter: most rules can only match an event when some field
//! of it contains one of a few literals (`CommandLine|contains: mimikatz`).
//! Those literals, over every rule, are gathered into one Aho-Corasick
//! automaton per field name, so that each field of an event is scanned once
//! for all rules; only the rules whose literals were seen, and the rules that
//! have no such literal, are then evaluated in full. Keywords (literals a
//! rule looks for in any field) have one automaton of their own, run over
//! every field.
//!
//! A rule is gated by up to [`TESTED`] of its necessary conditions at once
//! (`Image|endswith: \rundll32.exe` and `ParentImage|endswith:
//! \explorer.exe`): it is let through only when the event meets all of them,
//! so that a literal most events hold does not let the rule through alone.
//!
//! The prefilter only ever rules out: a rule it lets through is evaluated
//! exactly as without it. Its literals are the folded literals the matchers
//! themselves compare, and a field is found under any of the names the rule
//! may look it up by (case-insensitively), so a rule that would match is never
//! ruled out. `RuleSet::detect_unindexed` matches without it, for tests that
//! prove the two agree.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use foldhash::fast::FixedState;
use vigil_event::{same_bytes, same_text, FieldValue};

use crate::compile::{CompiledRule, Cond};
use crate::eval::EventView;
use crate::names::NameTable;
use crate::pattern::Placement;
use crate::ruleset::RuleList;
use crate::search::{Check, FieldRef, Matcher, Search};

/// One necessary condition of a rule: it can match only if one of these
/// occurs in the event.
type Requirement = Vec<(Place, Need)>;

/// How many of a rule's necessary conditions the prefilter tests at most.
const TESTED: usize = 3;

/// A rule's entry in the automata's lists: its index, and in the low two
/// bits which of its tested conditions (below [`TESTED`]) a find meets.
/// (A rule set holds far fewer than 2³⁰ rules.)
type Entry = u32;

const _: () = assert!(TESTED <= 4, "an entry has two bits for its condition");

fn entry(rule: usize, condition: usize) -> Entry {
    (rule as u32) << 2 | condition as u32
}

/// Where a needed literal or number has to be found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    /// In the field a rule names (under any of its names).
    Field(FieldRef),
    /// In any field of the event: a keyword.
    AnyField,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Need {
    /// This folded literal in the field's folded text, where it is placed.
    Text(String, Placement),
    /// The field's value is this number.
    Number(i64),
}

pub(crate) struct Prefilter {
    /// Tells this prefilter's remembered values from another's.
    id: u64,
    /// Field name → its automaton, found ignoring ASCII case (looked up for
    /// every field of every event: a fast hash, not a DoS-resistant one).
    slots: NameTable<usize>,
    /// How values are hashed for the remembered values.
    hasher: FixedState,
    automata: Vec<FieldAutomaton>,
    /// The keyword literals, looked for in every field (in the fields
    /// without an automaton of their own only, when those hold them too).
    keywords: Option<FieldAutomaton>,
    /// Whether the named fields' automata hold the keyword literals.
    keywords_merged: bool,
    /// Per rule: whether it is gated (evaluated only when marked).
    gated: Vec<bool>,
    /// Per tested condition, a bit per rule that does not need it met (not
    /// gated, or with fewer conditions): an event's marks start from these.
    met: [Box<[u64]>; TESTED],
    /// A bit per rule a keyword literal can let through, so that the keyword
    /// automaton must scan an event such a rule may apply to.
    keyword: Box<[u64]>,
}

/// The literals and numbers rules need in fields of one name.
struct FieldAutomaton {
    automaton: Option<AhoCorasick>,
    /// What a value must hold for the automaton to find anything in it.
    telltales: Option<Telltales>,
    /// Pattern id → the rules' conditions that literal meets, by where it
    /// was found.
    rules: Vec<Anchored>,
    numbers: HashMap<i64, Vec<Entry>, FixedState>,
}

/// The rules one literal lets through, by where in the value it is found.
#[derive(Default)]
struct Anchored {
    anywhere: Vec<Entry>,
    start: Vec<Entry>,
    end: Vec<Entry>,
    whole: Vec<Entry>,
}

/// Bytes a value must hold one of to contain any of a set of literals: one
/// byte of each literal, the one least common in log values, looked for
/// before folding (a capital stands for its small letter, and any byte past
/// ASCII for whatever its character folds to). GUIDs, times and numbers,
/// which most events carry several of and which are new in every event,
/// mostly hold none and are then neither scanned nor remembered.
struct Telltales {
    /// Per byte of the unfolded value, a bit per class of telltales it is
    /// one of: one table for all of a prefilter's automata (see
    /// [`Telltales::share`]), which stays in the processor's nearest cache.
    classes: Arc<[u64; 256]>,
    /// This automaton's class: the bits of `classes` that are its telltales.
    class: u64,
    /// Whether an integer's text may hold a literal: whether one is made of
    /// digits and minus signs only, as an integer's text is.
    in_integers: bool,
    /// Whether a hexadecimal number's text (`0x1A4`, as Windows writes
    /// process and logon IDs) may hold one: whether one is made of hex
    /// digits and `x` only. Those IDs hold the `x` of `.exe`.
    in_hex: bool,
}

/// Bytes from the least common in log values to the most: letters rare in
/// English first, then punctuation, then common letters, and last what
/// GUIDs, hashes, times and paths are made of. A byte not listed is rarer
/// than all of them.
const BY_COMMONNESS: &[u8] =
    b"qjxkvwygpmhulrsnio!#$%&'()*+,;<=>?@[]^`|~\"cdabftez0123456789-.:{}\\/_ ";

impl Telltales {
    /// The telltales of the (folded) literals; `None` when one of them is
    /// empty (found everywhere).
    fn of(literals: &[String]) -> Option<Telltales> {
        let commonness = |b: &u8| {
            BY_COMMONNESS
                .iter()
                .position(|c| c == b)
                .map_or(0, |p| p + 1)
        };
        let mut chosen = [false; 256];
        for literal in literals {
            let rarest = literal.as_bytes().iter().min_by_key(|b| commonness(b))?;
            chosen[usize::from(*rarest)] = true;
        }
        let classes = std::array::from_fn(|b| {
            let b = b as u8;
            u64::from(chosen[usize::from(b.to_ascii_lowercase())] || !b.is_ascii())
        });
        let made_of =
            |allowed: fn(u8) -> bool| (literals.iter()).any(|literal| literal.bytes().all(allowed));
        Some(Telltales {
            classes: Arc::new(classes),
            class: 1,
            in_integers: made_of(|b| b == b'-' || b.is_ascii_digit()),
            in_hex: made_of(|b| b == b'x' || b.is_ascii_hexdigit()),
        })
    }

    /// Makes the telltales share one table of classes: a class for each
    /// different set of bytes, the most used first. Past 64 sets, the last
    /// class stands for all the sets left, together: their automata may then
    /// be asked to scan more values, never fewer.
    fn share<'t>(all: impl Iterator<Item = &'t mut Telltales>) {
        let mut all: Vec<(&mut Telltales, [bool; 256])> = all
            .map(|telltales| {
                let set = std::array::from_fn(|b| telltales.is(b as u8));
                (telltales, set)
            })
            .collect();
        let mut uses: HashMap<[bool; 256], usize> = HashMap::new();
        for (_, set) in &all {
            *uses.entry(*set).or_default() += 1;
        }
        let mut sets: Vec<([bool; 256], usize)> = uses.into_iter().collect();
        sets.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let class_of: HashMap<[bool; 256], u64> = (sets.iter().enumerate())
            .map(|(at, (set, _))| (*set, 1 << at.min(63)))
            .collect();
        let mut classes = [0u64; 256];
        for (set, class) in &class_of {
            for (byte, _) in set.iter().enumerate().filter(|(_, &is)| is) {
                classes[byte] |= class;
            }
        }
        let classes = Arc::new(classes);
        for (telltales, set) in &mut all {
            telltales.classes = Arc::clone(&classes);
            telltales.class = class_of[set];
        }
    }

    /// Whether `byte` is one of the telltales.
    #[inline]
    fn is(&self, byte: u8) -> bool {
        self.classes[usize::from(byte)] & self.class != 0
    }

    /// Whether `value` may contain one of the literals (once folded).
    fn may_hold(&self, value: &FieldValue) -> bool {
        let holds = |text: &str| text.bytes().any(|b| self.is(b));
        match value {
            FieldValue::Str(text) => holds(text) && (self.in_hex || !is_hex_number(text)),
            FieldValue::Int(_) => self.in_integers,
            // Its text is empty, and no literal is (or there would be no
            // telltales).
            FieldValue::Null => false,
            FieldValue::Bool(b) => holds(if *b { "true" } else { "false" }),
            _ => true,
        }
    }
}

/// Whether `text` is a number in hexadecimal: `0x` and hex digits.
fn is_hex_number(text: &str) -> bool {
    match text.as_bytes() {
        [b'0', b'x' | b'X', digits @ ..] => {
            !digits.is_empty() && digits.iter().all(u8::is_ascii_hexdigit)
        }
        _ => false,
    }
}

impl Anchored {
    fn add(&mut self, anchor: Placement, rules: Vec<Entry>) {
        match anchor {
            Placement::Anywhere => self.anywhere = rules,
            Placement::Start => self.start = rules,
            Placement::End => self.end = rules,
            Placement::Whole => self.whole = rules,
        }
    }

    fn all(&self) -> impl Iterator<Item = &Entry> {
        (self.anywhere.iter().chain(&self.start))
            .chain(&self.end)
            .chain(&self.whole)
    }

    /// Calls `each` with the rules' conditions a match from `start` to `end`
    /// in a value `len` bytes long meets.
    fn found(&self, start: usize, end: usize, len: usize, each: &mut dyn FnMut(Entry)) {
        let at_start = start == 0;
        let at_end = end == len;
        let chosen = [
            (true, &self.anywhere),
            (at_start, &self.start),
            (at_end, &self.end),
            (at_start && at_end, &self.whole),
        ];
        for (applies, rules) in chosen {
            if applies {
                rules.iter().for_each(|&rule| each(rule));
            }
        }
    }
}

/// Keyword literals are copied into every named field's automaton when
/// that makes at most this many copies (literals × fields). Not merged,
/// every field of an event a keyword rule may apply to is scanned twice:
/// with SigmaHQ's Windows rules, 4.4 % more instructions per event in watch.
const MERGED_KEYWORDS: usize = 32_768;

/// Text values at most this long (and integers) are remembered with the
/// rules they let through: most command lines too, which repeat often
/// (services, scheduled tasks) and cost the most to scan, while hashing and
/// keeping one that does not repeat costs a small part of its scan. Longer
/// ones (scripts) are scanned every time.
const MEMO_LONGEST: usize = 1024;

/// Values remembered per thread.
const MEMO_ENTRIES: usize = 4096;

thread_local! {
    /// Per tested condition, a bit per rule: whether the current event
    /// meets it.
    static MARKS: RefCell<Marks> = RefCell::new(Marks::default());

    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

/// What recently scanned text values let through, per thread. In a stream
/// most fields repeat a few values (providers, logon types, accounts,
/// images), and what a value lets through depends only on the automaton
/// and the value, so a value seen again is looked up, not scanned.
/// Direct-mapped: a value takes the place of whichever shared its place.
#[derive(Default)]
struct Memo {
    /// The prefilter (its id) whose results these are.
    owner: u64,
    entries: Vec<Option<Remembered>>,
}

/// Kept in one cache line when its text is short and it lets few rules
/// through, as most are: a value seen again is then known by reading one
/// line, not three.
#[repr(align(64))]
struct Remembered {
    /// The automaton: a field's slot, or past the last slot the keywords'.
    automaton: u32,
    value: Remembers,
    rules: Rules,
}

const _: () = assert!(size_of::<Option<Remembered>>() == 64, "a cache line");

/// Texts this long at most are kept in a remembered value's own place.
const INLINE_TEXT: usize = 30;

/// A value worth remembering.
enum Remembers {
    Short { len: u8, bytes: [u8; INLINE_TEXT] },
    Text(Box<str>),
    Int(i64),
}

/// Rules' conditions this many at most are kept in a remembered value's
/// own place.
const INLINE_RULES: usize = 4;

/// The rules' conditions a remembered value lets through.
enum Rules {
    Few {
        len: u8,
        entries: [Entry; INLINE_RULES],
    },
    Many(Box<[Entry]>),
}

impl Rules {
    fn of(entries: Vec<Entry>) -> Rules {
        if entries.len() > INLINE_RULES {
            return Rules::Many(entries.into());
        }
        let mut few = [0; INLINE_RULES];
        few[..entries.len()].copy_from_slice(&entries);
        Rules::Few {
            len: entries.len() as u8,
            entries: few,
        }
    }

    fn as_slice(&self) -> &[Entry] {
        match self {
            Rules::Few { len, entries } => &entries[..usize::from(*len)],
            Rules::Many(entries) => entries,
        }
    }
}

/// A short text or an integer, as looked up.
#[derive(Hash)]
enum Lookup<'a> {
    Text(&'a str),
    Int(i64),
}

impl Remembers {
    fn of(value: Lookup) -> Remembers {
        match value {
            Lookup::Text(text) if text.len() <= INLINE_TEXT => {
                let mut bytes = [0; INLINE_TEXT];
                bytes[..text.len()].copy_from_slice(text.as_bytes());
                Remembers::Short {
                    len: text.len() as u8,
                    bytes,
                }
            }
            Lookup::Text(text) => Remembers::Text(text.into()),
            Lookup::Int(number) => Remembers::Int(number),
        }
    }

    fn is(&self, value: &Lookup) -> bool {
        match (self, value) {
            (Remembers::Short { len, bytes }, Lookup::Text(b)) => {
                same_bytes(&bytes[..usize::from(*len)], b.as_bytes())
            }
            (Remembers::Text(a), Lookup::Text(b)) => same_text(a, b),
            (Remembers::Int(a), Lookup::Int(b)) => a == b,
            _ => false,
        }
    }
}

static PREFILTERS: AtomicU64 = AtomicU64::new(1);

/// One event's marking: the conditions met, and this thread's remembered
/// values.
struct Marking<'m> {
    marks: &'m mut Marks,
    memo: &'m mut Memo,
}

/// Sets the rule's bit.
fn set(bits: &mut [u64], rule: usize) {
    bits[rule / 64] |= 1 << (rule % 64);
}

/// Per tested condition, a bit per rule (`words` words each, one after the
/// other): the conditions one event meets.
#[derive(Default)]
struct Marks {
    words: usize,
    bits: Vec<u64>,
}

impl Marks {
    /// Starts an event: the conditions rules do not need are met.
    fn start(&mut self, met: &[Box<[u64]>; TESTED]) {
        self.words = met[0].len();
        self.bits.clear();
        met.iter()
            .for_each(|bits| self.bits.extend_from_slice(bits));
    }

    fn meet(&mut self, entry: Entry) {
        let condition = entry as usize & 3;
        let rule = (entry >> 2) as usize;
        let words = self.words;
        set(&mut self.bits[condition * words..][..words], rule);
    }
}

/// A bit per rule of `of`, set for `rules`.
pub(crate) fn bits(rules: impl Iterator<Item = usize>, of: usize) -> Box<[u64]> {
    let mut bits = vec![0u64; of.div_ceil(64)].into_boxed_slice();
    rules.for_each(|rule| set(&mut bits, rule));
    bits
}

/// Which rules one event's scan let through: those whose every tested
/// condition it meets, and a rule without a literal to look for always.
pub(crate) struct Admitted<'a> {
    marks: &'a Marks,
    scoped: &'a [u64],
}

impl Admitted<'_> {
    /// The rules in scope let through, in rule order.
    pub(crate) fn rules(&self) -> impl Iterator<Item = usize> + '_ {
        let Marks { words, bits } = self.marks;
        // One slice per tested condition (this fails to compile if
        // `TESTED` changes without it).
        let [first, second, third]: [&[u64]; TESTED] =
            std::array::from_fn(|condition| &bits[condition * words..][..*words]);
        let met = (first.iter().zip(second))
            .zip(third)
            .map(|((a, b), c)| a & b & c);
        met.zip(self.scoped.iter())
            .enumerate()
            .flat_map(|(at, (met, scoped))| {
                let mut word = met & scoped;
                std::iter::from_fn(move || {
                    let bit = word.trailing_zeros() as usize;
                    word &= word.checked_sub(1)?;
                    Some(at * 64 + bit)
                })
            })
    }
}

impl Prefilter {
    pub(crate) fn build(rules: &[CompiledRule]) -> Prefilter {
        // Per lowercased field name: need → the rules' conditions it meets.
        let mut literals: HashMap<Box<str>, HashMap<Need, Vec<Entry>>> = HashMap::new();
        // Lower-cased field name → as the first rule naming it spells it
        // (as events mostly spell it too).
        let mut spellings: HashMap<Box<str>, Box<str>> = HashMap::new();
        let mut keywords: HashMap<Need, Vec<Entry>> = HashMap::new();
        let mut gated = Vec::with_capacity(rules.len());
        let mut tested = Vec::with_capacity(rules.len());
        let mut keyword = vec![false; rules.len()];
        for (index, rule) in rules.iter().enumerate() {
            let requirements = requirements(&rule.condition, &rule.searches);
            gated.push(!requirements.is_empty());
            tested.push(requirements.len());
            for (condition, requirement) in requirements.into_iter().enumerate() {
                let entry = entry(index, condition);
                let need = |by_need: &mut HashMap<Need, Vec<Entry>>, literal: &Need| {
                    let entries = by_need.entry(literal.clone()).or_default();
                    if entries.last() != Some(&entry) {
                        entries.push(entry);
                    }
                };
                for (place, literal) in requirement {
                    match place {
                        Place::Field(field) => {
                            for name in field.names.iter() {
                                let folded: Box<str> = name.to_ascii_lowercase().into();
                                spellings
                                    .entry(folded.clone())
                                    .or_insert_with(|| name.clone());
                                need(literals.entry(folded).or_default(), &literal);
                            }
                        }
                        Place::AnyField => {
                            keyword[index] = true;
                            need(&mut keywords, &literal);
                        }
                    }
                }
            }
        }
        let mut names: Vec<_> = literals.into_iter().collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        let mut slots = Vec::new();
        let mut automata = Vec::new();
        // A named field's automaton also holds the keyword literals, so that
        // the field is scanned once when keyword rules are in scope (their
        // marks are harmless when none is: only the rules in scope are asked
        // about) — while the copies are few: copying many into every field's
        // automaton costs more to build than it saves (SigmaHQ's Windows
        // rules: 121 keyword literals, 158 fields, merged; the whole
        // ruleset: 595 and 283, not).
        let merged_keywords = if keywords.len() * names.len() <= MERGED_KEYWORDS {
            keywords.clone()
        } else {
            HashMap::new()
        };
        for (name, mut by_need) in names {
            for (need, rules) in &merged_keywords {
                let merged = by_need.entry(need.clone()).or_default();
                merged.extend(rules);
                merged.sort_unstable();
                merged.dedup();
            }
            let spelt = spellings.remove(&name).unwrap_or(name);
            slots.push((spelt, automata.len()));
            automata.push(FieldAutomaton::build(by_need, &mut gated));
        }
        let mut keywords =
            (!keywords.is_empty()).then(|| FieldAutomaton::build(keywords, &mut gated));
        Telltales::share(
            (automata.iter_mut().chain(&mut keywords)).filter_map(|a| a.telltales.as_mut()),
        );
        let met = std::array::from_fn(|condition| {
            let unneeded = |&rule: &usize| !gated[rule] || tested[rule] <= condition;
            bits((0..gated.len()).filter(unneeded), gated.len())
        });
        Prefilter {
            id: PREFILTERS.fetch_add(1, Ordering::Relaxed),
            slots: NameTable::new(slots),
            hasher: FixedState::default(),
            automata,
            keywords_merged: !merged_keywords.is_empty(),
            keywords,
            met,
            keyword: bits(
                (0..keyword.len()).filter(|&rule| keyword[rule]),
                keyword.len(),
            ),
            gated,
        }
    }

    /// How many rules the prefilter can rule out, of how many.
    pub(crate) fn coverage(&self) -> (usize, usize) {
        (self.gated.iter().filter(|&&g| g).count(), self.gated.len())
    }

    /// Whether scanning an event for `scoped` rules can rule any out: some
    /// are gated, and there are enough of them that scanning every field
    /// costs less than evaluating them (a handful of rules each look at a
    /// field or two).
    pub(crate) fn worth_scanning(&self, scoped: &[usize]) -> bool {
        const FEW: usize = 6;
        scoped.len() > FEW && scoped.iter().any(|&r| self.gated[r])
    }

    /// Scans the event's fields and calls `each` with what tells whether a
    /// rule (by index) is let through. `scoped` are the rules that may apply
    /// to the event: the keyword literals are looked for only if one of them
    /// has some.
    pub(crate) fn with_candidates<R>(
        &self,
        view: &EventView,
        scoped: &RuleList,
        each: impl FnOnce(&Admitted) -> R,
    ) -> R {
        let keywords = self.keywords.as_ref().filter(|_| {
            let mut words = self.keyword.iter().zip(scoped.bits.iter());
            words.any(|(keyword, scoped)| keyword & scoped != 0)
        });
        MARKS.with(|marks| {
            MEMO.with(|memo| {
                let mut memo = memo.borrow_mut();
                if memo.owner != self.id {
                    memo.owner = self.id;
                    memo.entries.clear();
                    memo.entries.resize_with(MEMO_ENTRIES, || None);
                }
                let mut marks = marks.borrow_mut();
                marks.start(&self.met);
                for (index, (field, value)) in view.event.fields().enumerate() {
                    let slot = self.slots.get(field);
                    let mut marking = Marking {
                        marks: &mut marks,
                        memo: &mut memo,
                    };
                    if let Some(&slot) = slot {
                        let automaton = &self.automata[slot];
                        self.mark(slot as u32, automaton, view, index, &mut marking);
                    }
                    if let Some(keywords) = keywords {
                        // Most values hold no telltale of a keyword: they
                        // are passed over here, without a call.
                        let wanted = slot.is_none() || !self.keywords_merged;
                        if wanted && keywords.may_find(value) {
                            let which = self.automata.len() as u32;
                            self.mark(which, keywords, view, index, &mut marking);
                        }
                    }
                }
                each(&Admitted {
                    marks: &marks,
                    scoped: &scoped.bits,
                })
            })
        })
    }

    /// Marks the rules an automaton lets through for the field at `index`:
    /// remembered for a short text value seen before, scanned (and then
    /// remembered) otherwise.
    fn mark(
        &self,
        which: u32,
        automaton: &FieldAutomaton,
        view: &EventView,
        index: usize,
        marking: &mut Marking,
    ) {
        let Marking { marks, memo } = marking;
        let field = view.event.field_at(index);
        let scan = field.is_none_or(|(_, value)| automaton.may_find_text(value));
        if !scan && automaton.numbers.is_empty() {
            return;
        }
        let value = match field {
            Some((_, FieldValue::Str(text))) if text.len() <= MEMO_LONGEST => Lookup::Text(text),
            Some((_, FieldValue::Int(number))) => Lookup::Int(*number),
            _ => {
                automaton.mark(view, index, scan, &mut |entry| marks.meet(entry));
                return;
            }
        };
        let place = self.hasher.hash_one((which, &value)) as usize % MEMO_ENTRIES;
        if let Some(seen) = &memo.entries[place] {
            if seen.automaton == which && seen.value.is(&value) {
                for &entry in seen.rules.as_slice() {
                    marks.meet(entry);
                }
                return;
            }
        }
        let mut rules = Vec::new();
        automaton.mark(view, index, scan, &mut |rule| rules.push(rule));
        rules.sort_unstable();
        rules.dedup();
        for &entry in &rules {
            marks.meet(entry);
        }
        memo.entries[place] = Some(Remembered {
            automaton: which,
            value: Remembers::of(value),
            rules: Rules::of(rules),
        });
    }
}

impl FieldAutomaton {
    /// The automaton of the literals and the table of the numbers; if the
    /// literals cannot make an automaton (past its size limits), the rules
    /// that need them are ungated instead: evaluated on every event in scope.
    fn build(by_need: HashMap<Need, Vec<Entry>>, gated: &mut [bool]) -> FieldAutomaton {
        let mut by_need: Vec<_> = by_need.into_iter().collect();
        by_need.sort();
        let mut texts: Vec<String> = Vec::new();
        let mut rules: Vec<Anchored> = Vec::new();
        let mut numbers = HashMap::default();
        for (need, needing) in by_need {
            match need {
                // Sorted: the anchors of one literal come together.
                Need::Text(text, anchor) => {
                    if texts.last() != Some(&text) {
                        texts.push(text);
                        rules.push(Anchored::default());
                    }
                    if let Some(last) = rules.last_mut() {
                        last.add(anchor, needing);
                    }
                }
                Need::Number(n) => {
                    numbers.insert(n, needing);
                }
            }
        }
        let built = (!texts.is_empty()).then(|| crate::pattern::literal_automaton(&texts));
        let automaton = match built {
            None => None,
            Some(Some(automaton)) => Some(automaton),
            Some(None) => {
                for &entry in rules.iter().flat_map(Anchored::all) {
                    gated[(entry >> 2) as usize] = false;
                }
                rules.clear();
                None
            }
        };
        FieldAutomaton {
            telltales: automaton.as_ref().and_then(|_| Telltales::of(&texts)),
            automaton,
            rules,
            numbers,
        }
    }

    /// Whether the automaton may find one of its literals or numbers in
    /// `value`: what [`Prefilter::mark`] looks for.
    #[inline]
    fn may_find(&self, value: &FieldValue) -> bool {
        self.may_find_text(value) || !self.numbers.is_empty()
    }

    /// Whether the automaton may find one of its literals in `value`.
    #[inline]
    fn may_find_text(&self, value: &FieldValue) -> bool {
        match (&self.automaton, &self.telltales) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(_), Some(telltales)) => telltales.may_hold(value),
        }
    }

    /// Calls `each` with the rules' conditions whose literal (when `scan`,
    /// the text is scanned for them) or number is in the field at `index`
    /// (one may come more than once).
    fn mark(&self, view: &EventView, index: usize, scan: bool, each: &mut dyn FnMut(Entry)) {
        if let Some(automaton) = self.automaton.as_ref().filter(|_| scan) {
            view.each_folded(index, &mut |text| {
                for hit in automaton.find_overlapping_iter(text) {
                    self.rules[hit.pattern().as_usize()].found(
                        hit.start(),
                        hit.end(),
                        text.len(),
                        each,
                    );
                }
            });
        }
        if !self.numbers.is_empty() {
            view.each_number(index, &mut |number| {
                if number.fract() != 0.0 || number.abs() > 1e15 {
                    return;
                }
                for &rule in self.numbers.get(&(number as i64)).into_iter().flatten() {
                    each(rule);
                }
            });
        }
    }
}

/// The necessary conditions of `cond` the prefilter tests, most selective
/// first: at most [`TESTED`], none when there is none it can test.
fn requirements(cond: &Cond, searches: &[Search]) -> Vec<Requirement> {
    let mut chosen = Vec::with_capacity(TESTED);
    for requirement in most_selective_first(conjuncts(cond, searches)) {
        if chosen.len() < TESTED && !chosen.contains(&requirement) {
            chosen.push(requirement);
        }
    }
    chosen
}

/// Necessary conditions of `cond` the prefilter can test, each on its own:
/// an event can meet `cond` only if it meets every one of them.
fn conjuncts(cond: &Cond, searches: &[Search]) -> Vec<Requirement> {
    let every = |items: &[Cond]| items.iter().flat_map(|c| conjuncts(c, searches)).collect();
    let any = |items: &[Cond]| either(items.iter().map(|c| conjuncts(c, searches)).collect());
    match cond {
        Cond::Search(index) => either(
            (searches[*index].alternatives.iter())
                .map(|checks| checks.iter().flat_map(check_conjuncts).collect())
                .collect(),
        ),
        Cond::And(items) => every(items),
        Cond::AtLeast(n, items) if *n >= items.len() && *n > 0 => every(items),
        Cond::Not(_) | Cond::AtLeast(0, _) => Vec::new(),
        Cond::Or(items) | Cond::AtLeast(_, items) => any(items),
    }
}

/// Necessary conditions of meeting one of several alternatives, from each
/// alternative's own: one condition of each alternative, joined. The first
/// joins each one's most selective condition, the second each one's next
/// (or its last, when it has no more), and so on. None when an alternative
/// has none.
fn either(mut alternatives: Vec<Vec<Requirement>>) -> Vec<Requirement> {
    if alternatives.len() == 1 {
        return alternatives.pop().unwrap_or_default();
    }
    if alternatives.is_empty() || alternatives.iter().any(Vec::is_empty) {
        return Vec::new();
    }
    let alternatives: Vec<_> = alternatives.into_iter().map(most_selective_first).collect();
    let most = alternatives.iter().map(Vec::len).max().unwrap_or(0);
    (0..most.min(TESTED))
        .map(|nth| {
            let each = alternatives.iter().map(|a| &a[nth.min(a.len() - 1)]);
            each.flatten().cloned().collect()
        })
        .collect()
}

/// A check's necessary conditions: one per value it must hold all of, or
/// one for the values it must hold one of.
fn check_conjuncts(check: &Check) -> Vec<Requirement> {
    match check {
        Check::Field {
            field,
            matchers,
            all,
            negate: false,
        } => {
            let literal = |m: &Matcher| {
                let needs = needs_of(m)?;
                Some(
                    needs
                        .into_iter()
                        .map(|need| (Place::Field(field.clone()), need))
                        .collect(),
                )
            };
            if *all {
                matchers.iter().filter_map(literal).collect()
            } else {
                union(matchers.iter().map(literal)).into_iter().collect()
            }
        }
        // Keywords are looked for as text only: a number written as a keyword
        // also matches a field's number, which the keyword automaton does not
        // see.
        Check::Keyword { matchers, all } => {
            let literal = |m: &Matcher| {
                needs_of(m)?
                    .into_iter()
                    .map(|need| match need {
                        Need::Text(..) => Some((Place::AnyField, need)),
                        Need::Number(_) => None,
                    })
                    .collect()
            };
            if *all {
                matchers.iter().filter_map(literal).collect()
            } else {
                union(matchers.iter().map(literal)).into_iter().collect()
            }
        }
        _ => Vec::new(),
    }
}

/// What a matcher needs of the value (one of them), if the prefilter can
/// test it.
fn needs_of(matcher: &Matcher) -> Option<Vec<Need>> {
    match matcher {
        Matcher::Str {
            pattern,
            cased: false,
        } => (pattern.required_literal())
            .map(|(literal, placement)| vec![Need::Text(literal.to_string(), placement)]),
        Matcher::Set(set) => Some(
            (set.literals().iter())
                .map(|(literal, placement)| Need::Text(literal.clone(), *placement))
                .collect(),
        ),
        Matcher::Globs(set) => Some(set.literals()?.iter().map(anywhere).collect()),
        Matcher::Regex {
            required: Some(texts),
            ..
        } => Some(texts.iter().map(anywhere).collect()),
        // A number matches the value's number, or its text exactly; when the
        // text is the plain decimal of the number, the number covers both.
        Matcher::Num { value, text }
            if value.fract() == 0.0
                && value.abs() < 1e15
                && text.trim().parse::<i64>() == Ok(*value as i64) =>
        {
            Some(vec![Need::Number(*value as i64)])
        }
        _ => None,
    }
}

/// A literal needed anywhere in the value.
fn anywhere(literal: impl AsRef<str>) -> Need {
    Need::Text(literal.as_ref().to_string(), Placement::Anywhere)
}

/// All of the requirements, or `None` if any is `None`.
fn union(items: impl Iterator<Item = Option<Requirement>>) -> Option<Requirement> {
    let mut all = Vec::new();
    for item in items {
        all.extend(item?);
    }
    (!all.is_empty()).then_some(all)
}

/// Requirements that must all hold, the most selective first.
fn most_selective_first(mut requirements: Vec<Requirement>) -> Vec<Requirement> {
    requirements.sort_by_key(|r| std::cmp::Reverse(selectivity(r)));
    requirements
}

/// How selective a requirement is thought to be: the longer its shortest
/// literal, the more (up to 8 bytes), then the fewer its literals.
fn selectivity(requirement: &Requirement) -> (usize, usize) {
    let shortest = requirement
        .iter()
        .map(|(_, need)| match need {
            Need::Text(l, _) => l.len(),
            // An exact number is about as selective as a short literal.
            Need::Number(_) => 3,
        })
        .min()
        .unwrap_or(0);
    (shortest.min(8), usize::MAX - requirement.len())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use vigil_event::{Event, FieldValue};

    use crate::{RuleSet, RuleSetBuilder, RuleSetOptions};

    /// The rule under test with six more that never match (on a field no
    /// event here has): with six or fewer rules in scope, matching skips
    /// the prefilter, which these tests are about.
    fn rules(detection: &str) -> RuleSet {
        let text = format!(
            "title: t\nid: 11111111-1111-4111-8111-111111111111\nlogsource:\n    product: windows\ndetection:\n{detection}"
        );
        let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
        builder.add_text(Path::new("t.yml"), &text);
        for i in 0..6 {
            let filler = format!(
                "title: filler {i}\nid: 33333333-3333-4333-8333-33333333333{i}\nlogsource:\n    product: windows\ndetection:\n    selection:\n        Padding|contains: 'never{i}'\n    condition: selection\n"
            );
            builder.add_text(Path::new(&format!("filler{i}.yml")), &filler);
        }
        builder.build().0
    }

    fn detections(rules: &RuleSet, fields: &[(&str, FieldValue)]) -> (usize, usize) {
        let mut event = Event::new("test");
        event.product = Some("windows");
        for (name, value) in fields {
            event.insert(*name, value.clone());
        }
        let (mut fast, mut full) = (Vec::new(), Vec::new());
        rules.detect(&event, &mut fast);
        rules.detect_unindexed(&event, &mut full);
        (fast.len(), full.len())
    }

    /// Seven rules on CommandLine literals and one keyword rule with
    /// `keywords` literals: enough rules in scope for the prefilter to scan.
    fn fields_and_keywords(keywords: usize) -> RuleSet {
        let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
        for i in 0..7 {
            let text = format!(
                "title: field {i}\nid: 11111111-1111-4111-8111-11111111111{i}\nlogsource:\n    product: windows\ndetection:\n    selection:\n        CommandLine|contains: 'alpha{i}'\n    condition: selection\n"
            );
            builder.add_text(Path::new(&format!("f{i}.yml")), &text);
        }
        let listed: String = (0..keywords)
            .map(|k| format!("        - 'sekurlsa{k}::'\n"))
            .collect();
        let text = format!(
            "title: keywords\nid: 22222222-2222-4222-8222-222222222222\nlogsource:\n    product: windows\ndetection:\n    keywords:\n{listed}    condition: keywords\n"
        );
        builder.add_text(Path::new("k.yml"), &text);
        let (rules, report) = builder.build();
        assert_eq!(report.rules, 8, "{:?}", report.failed);
        rules
    }

    #[test]
    fn keywords_are_found_in_named_fields_whether_or_not_their_automata_hold_them() {
        // A few keywords are copied into CommandLine's automaton; many are
        // not, and the keyword automaton scans CommandLine as well.
        // (one field, CommandLine, has an automaton here)
        for count in [2, super::MERGED_KEYWORDS + 1] {
            let r = fields_and_keywords(count);
            assert_eq!(r.prefilter_coverage(), (8, 8));
            let last = format!("run SEKURLSA{}:: now", count - 1);
            let on = |name: &str, text: &str| detections(&r, &[(name, text.into())]);
            assert_eq!(on("CommandLine", &last), (1, 1), "{count} keywords");
            assert_eq!(on("CommandLine", "x sekurlsa0:: alpha3"), (2, 2));
            assert_eq!(on("CommandLine", "alpha3"), (1, 1));
            assert_eq!(on("Image", &last), (1, 1));
            assert_eq!(on("Image", "alpha3"), (0, 0));
            assert_eq!(on("CommandLine", "nothing"), (0, 0));
        }
    }

    #[test]
    fn keywords_gate_a_rule_and_are_found_in_any_field_in_any_case() {
        let r = rules("    keywords:\n        - 'sekurlsa::'\n        - 'Kiwi Legit'\n    filter:\n        EventID: 15\n    condition: keywords and not filter\n");
        assert_eq!(r.prefilter_coverage(), (7, 7));
        let with = |v: FieldValue| detections(&r, &[("EventID", 1.into()), ("Data", v)]);
        assert_eq!(with("run SEKURLSA::logonpasswords".into()), (1, 1));
        assert_eq!(with("Kiwi legit printer".into()), (1, 1));
        assert_eq!(
            with(FieldValue::List(vec![1.into(), "x sekurlsa::".into()])),
            (1, 1)
        );
        assert_eq!(with("Ärzte sekurlsa::".into()), (1, 1));
        assert_eq!(with("nothing here".into()), (0, 0));
    }

    /// Values seen before are looked up, not scanned: what they let through
    /// stays tied to the field (automaton) and to the rule set it was found
    /// with, for text and for numbers. (A stale answer could only rule out
    /// a rule wrongly, which `detections` shows as fast ≠ full.)
    #[test]
    fn remembered_values_stay_with_their_field_and_their_rules() {
        let alpha =
            rules("    selection:\n        Image|contains: 'alpha'\n    condition: selection\n");
        let beta =
            rules("    selection:\n        Image|contains: 'beta'\n    condition: selection\n");
        let port =
            rules("    selection:\n        DestinationPort: 4444\n    condition: selection\n");
        for _ in 0..3 {
            // The filler rules' field, Padding, has an automaton too.
            assert_eq!(
                detections(&alpha, &[("Padding", "x ALPHA y".into())]),
                (0, 0)
            );
            assert_eq!(detections(&alpha, &[("Image", "x ALPHA y".into())]), (1, 1));
            assert_eq!(detections(&alpha, &[("Image", "x BETA y".into())]), (0, 0));
            assert_eq!(detections(&beta, &[("Image", "x BETA y".into())]), (1, 1));
            assert_eq!(detections(&port, &[("Padding", 4444.into())]), (0, 0));
            assert_eq!(
                detections(&port, &[("DestinationPort", 4444.into())]),
                (1, 1)
            );
            assert_eq!(
                detections(&port, &[("DestinationPort", "4444".into())]),
                (1, 1)
            );
            assert_eq!(
                detections(&port, &[("DestinationPort", 4445.into())]),
                (0, 0)
            );
        }
    }

    /// A literal that must be the whole value, or its start, or its end,
    /// lets its rule through only where it is found so: `Provider_Name:
    /// Security` is not let through by `Microsoft-Windows-Security-Auditing`.
    #[test]
    fn a_literal_lets_its_rule_through_only_where_it_is_anchored() {
        let cases = [
            (
                "Provider_Name: 'Security'",
                "Provider_Name",
                ["SECURITY", "security"],
                ["Microsoft-Windows-Security-Auditing", "Security2"],
            ),
            (
                r"Image|startswith: 'C:\Temp\'",
                "Image",
                [r"c:\temp\x.exe", r"C:\TEMP\"],
                [r"d:\c:\temp\x.exe", r"C:\Temp"],
            ),
            (
                r"Image|endswith: '\evil.exe'",
                "Image",
                [r"C:\x\EVIL.EXE", r"\evil.exe"],
                [r"C:\x\evil.exe.bak", r"C:\x\evil.exe "],
            ),
            // Enough items to be tested as one set.
            (
                r"Image|endswith: ['\a1.exe', '\a2.exe', '\a3.exe', '\a4.exe', '\a5.exe', '\a6.exe', '\a7.exe', '\a8.exe']",
                "Image",
                [r"C:\x\A8.EXE", r"\a1.exe"],
                [r"C:\x\a8.exe.bak", r"C:\x\a1.exe x"],
            ),
        ];
        for (selection, field, through, not_through) in cases {
            let r = rules(&format!(
                "    selection:\n        {selection}\n    condition: selection\n"
            ));
            assert_eq!(r.prefilter_coverage(), (7, 7), "{selection}");
            let let_through = |value: &str| {
                let mut event = Event::new("test");
                event.product = Some("windows");
                event.insert(field, FieldValue::from(value));
                r.let_through(&event).contains(&"t".to_string())
            };
            for value in through {
                assert!(let_through(value), "{selection}: {value}");
                assert_eq!(detections(&r, &[(field, value.into())]), (1, 1));
            }
            for value in not_through {
                assert!(!let_through(value), "{selection}: {value}");
                assert_eq!(detections(&r, &[(field, value.into())]), (0, 0));
            }
        }
    }

    /// A rule with only a regular expression is gated by the text every
    /// match contains, and matches as before whatever the case.
    #[test]
    fn a_regular_expression_is_gated_by_the_text_its_matches_contain() {
        let r = rules("    selection:\n        CommandLine|re: '(?i)\\\\rundll32\\.exe.*,#\\d+'\n    condition: selection\n");
        assert_eq!(r.prefilter_coverage(), (7, 7));
        let on = |text: &str| detections(&r, &[("CommandLine", text.into())]);
        assert_eq!(on(r"C:\Windows\System32\RUNDLL32.EXE x.dll,#12"), (1, 1));
        assert_eq!(on(r"c:\windows\system32\rundll32.exe x.dll,#1"), (1, 1));
        assert_eq!(on(r"\rundll32.exe x.dll,Entry"), (0, 0));
        assert_eq!(on("regsvr32 x.dll,#1"), (0, 0));
        // Without a usable text the rule is evaluated on every event.
        let loose =
            rules("    selection:\n        CommandLine|re: '^[a-z]+$'\n    condition: selection\n");
        assert_eq!(loose.prefilter_coverage(), (6, 7));
        assert_eq!(detections(&loose, &[("CommandLine", "abc".into())]), (1, 1));
    }

    /// A rule with several conditions is let through only by an event that
    /// meets every one the prefilter tests: a common parent alone does not
    /// let `rundll32 spawned by explorer` through.
    #[test]
    fn a_rule_is_let_through_only_when_every_tested_condition_is_met() {
        let r = rules(concat!(
            "    parent:\n        ParentImage|endswith: '\\explorer.exe'\n",
            "    image:\n        Image|endswith: '\\rundll32.exe'\n",
            "    command:\n        CommandLine|contains: 'javascript:'\n",
            "    condition: parent and image and command\n",
        ));
        assert_eq!(r.prefilter_coverage(), (7, 7));
        let met = [
            ("ParentImage", r"C:\Windows\explorer.exe"),
            ("Image", r"C:\Windows\System32\rundll32.exe"),
            ("CommandLine", "rundll32 javascript:alert(1)"),
        ];
        for mask in 0..8 {
            let mut event = Event::new("test");
            event.product = Some("windows");
            for (at, (name, value)) in met.iter().enumerate() {
                let value = if mask & 1 << at != 0 { value } else { "other" };
                event.insert(*name, FieldValue::from(value));
            }
            let through = r.let_through(&event).contains(&"t".to_string());
            assert_eq!(through, mask == 7, "conditions met: {mask:03b}");
            let (mut fast, mut full) = (Vec::new(), Vec::new());
            r.detect(&event, &mut fast);
            r.detect_unindexed(&event, &mut full);
            assert_eq!(
                (fast.len(), full.len()),
                (usize::from(mask == 7), fast.len())
            );
        }
    }

    /// Random conditions over random searches (`and`, `or`, `not`, `1 of`,
    /// `all of`, lists of checks, lists of maps, lists of values) never rule
    /// out a rule that matches: with the prefilter, every event gets the
    /// detections it gets when every rule is evaluated.
    #[test]
    fn random_conditions_are_never_ruled_out_wrongly() {
        let mut next = crate::testing::numbers(0x9e37_79b9_7f4a_7c15);
        let fields = ["Image", "ParentImage", "CommandLine"];
        let words = ["alpha", "bravo", "charlie", "delta"];
        // One value, one of two values, or (`contains|all`) both.
        let check = |next: &mut dyn FnMut(usize) -> usize| {
            let field = fields[next(fields.len())];
            let modifier = ["contains", "startswith", "endswith"][next(3)];
            let (first, second) = (words[next(words.len())], words[next(words.len())]);
            match next(3) {
                0 => format!("{field}|{modifier}: '{first}'"),
                1 => format!("{field}|{modifier}: ['{first}', '{second}']"),
                _ => format!("{field}|contains|all: ['{first}', '{second}']"),
            }
        };
        let mut matched = 0;
        for round in 0..60 {
            let mut detection = String::new();
            for search in 0..3 {
                detection.push_str(&format!("    s{search}:\n"));
                if next(3) == 0 {
                    for _ in 0..2 {
                        detection.push_str(&format!("        - {}\n", check(&mut next)));
                    }
                } else {
                    for _ in 0..1 + next(3) {
                        detection.push_str(&format!("        {}\n", check(&mut next)));
                    }
                }
            }
            let term = |next: &mut dyn FnMut(usize) -> usize| {
                let term = ["s0", "s1", "s2", "1 of s*", "all of s*"][next(5)];
                if next(4) == 0 {
                    format!("not {term}")
                } else {
                    term.to_string()
                }
            };
            let condition = match next(3) {
                0 => format!("{} and {}", term(&mut next), term(&mut next)),
                1 => format!(
                    "{} or ({} and {})",
                    term(&mut next),
                    term(&mut next),
                    term(&mut next)
                ),
                _ => format!(
                    "({} or {}) and {}",
                    term(&mut next),
                    term(&mut next),
                    term(&mut next)
                ),
            };
            detection.push_str(&format!("    condition: {condition}\n"));
            let r = rules(&detection);
            for _ in 0..40 {
                let mut event = Event::new("test");
                event.product = Some("windows");
                for field in fields {
                    let value: Vec<&str> = (0..next(3)).map(|_| words[next(words.len())]).collect();
                    event.insert(field, FieldValue::from(value.join(" ").as_str()));
                }
                let (mut fast, mut full) = (Vec::new(), Vec::new());
                r.detect(&event, &mut fast);
                r.detect_unindexed(&event, &mut full);
                assert_eq!(
                    fast.len(),
                    full.len(),
                    "round {round}:\n{detection}{event:?}"
                );
                matched += full.len();
            }
        }
        assert!(
            matched > 100,
            "the random rules match too rarely to test: {matched}"
        );
    }

    #[test]
    fn a_number_keyword_is_found_in_the_text_of_a_number_field() {
        let r = rules("    keywords:\n        - 4624\n    condition: keywords\n");
        assert_eq!(r.prefilter_coverage(), (7, 7));
        assert_eq!(detections(&r, &[("EventID", 4624.into())]), (1, 1));
        assert_eq!(detections(&r, &[("EventID", 14624.into())]), (1, 1));
        assert_eq!(detections(&r, &[("EventID", 4625.into())]), (0, 0));
    }

    #[test]
    fn a_remembered_value_is_known_again_and_keeps_its_rules_however_long() {
        use super::{Lookup, Remembers, Rules};

        for len in 0..12 {
            let entries: Vec<u32> = (0..len).map(|e| e * 7 + 1).collect();
            assert_eq!(Rules::of(entries.clone()).as_slice(), &entries[..]);
        }
        for len in 0..40 {
            let text: String = (0..len).map(|i| char::from(b'a' + i as u8 % 26)).collect();
            let kept = Remembers::of(Lookup::Text(&text));
            assert!(kept.is(&Lookup::Text(&text)), "{text:?}");
            for at in 0..len {
                let mut other = text.clone().into_bytes();
                other[at] = b'-';
                let other = String::from_utf8(other).unwrap();
                assert!(!kept.is(&Lookup::Text(&other)), "{text:?} is not {other:?}");
            }
            assert!(!kept.is(&Lookup::Text(&format!("{text}a"))));
            assert!(!kept.is(&Lookup::Int(len as i64)));
        }
        let number = Remembers::of(Lookup::Int(-4624));
        assert!(number.is(&Lookup::Int(-4624)));
        assert!(!number.is(&Lookup::Int(4624)));
        assert!(!number.is(&Lookup::Text("-4624")));
    }

    #[test]
    fn telltales_sharing_one_table_rule_out_what_they_did_alone_and_never_more() {
        use super::Telltales;

        let mut next = crate::testing::numbers(0x9e37_79b9_7f4a_7c15);
        let alphabet = b"abcdefghijklmnopqrstuvwxyz09-:{}\\ KQXZ";
        let mut text = |longest: usize| -> String {
            let len = 1 + next(longest);
            (0..len)
                .map(|_| char::from(alphabet[next(alphabet.len())]))
                .collect()
        };
        let literal_sets: Vec<Vec<String>> = (0..150)
            .map(|n| (0..1 + n % 4).map(|_| text(4).to_lowercase()).collect())
            .collect();
        let values: Vec<FieldValue> = (0..300).map(|_| FieldValue::from(text(12))).collect();
        let alone = |sets: &[Vec<String>]| -> Vec<Telltales> {
            sets.iter().map(|set| Telltales::of(set).unwrap()).collect()
        };
        let answers = |telltales: &[Telltales]| -> Vec<Vec<bool>> {
            (telltales.iter())
                .map(|t| values.iter().map(|v| t.may_hold(v)).collect())
                .collect()
        };
        // Up to 64 different sets: each keeps a class of its own.
        let few = &literal_sets[..40];
        let mut shared = alone(few);
        Telltales::share(shared.iter_mut());
        assert_eq!(answers(&shared), answers(&alone(few)));
        // More: those past the 64th share the last class, and may let more
        // values through, never fewer.
        let mut shared = alone(&literal_sets);
        Telltales::share(shared.iter_mut());
        let (shared, alone) = (answers(&shared), answers(&alone(&literal_sets)));
        let mut same = 0;
        for (shared, alone) in shared.iter().zip(&alone) {
            for (&shared, &alone) in shared.iter().zip(alone) {
                assert!(
                    shared || !alone,
                    "a value let through alone is ruled out shared"
                );
            }
            same += usize::from(shared == alone);
        }
        assert!(same >= 63, "only {same} sets kept their own class");
        assert!(same < literal_sets.len(), "the last class is no union");
    }

    #[test]
    fn a_value_without_a_telltale_holds_none_of_the_literals() {
        use super::Telltales;
        use crate::pattern::fold;

        // Literals and values over a few letters, digits and punctuation,
        // capitals, and characters past ASCII that fold to ASCII (the Kelvin
        // sign to `k`, a dotted capital I to `i` and a combining dot).
        let alphabet: Vec<char> = "abkqxz09-:{}\\ KQXZ\u{212A}\u{130}é".chars().collect();
        let mut next = crate::testing::numbers(0x2545_f491_4f6c_dd1d);
        let text = |next: &mut dyn FnMut(usize) -> usize, longest: usize| -> String {
            let len = 1 + next(longest);
            (0..len).map(|_| alphabet[next(alphabet.len())]).collect()
        };
        let (mut ruled_out, mut tried) = (0, 0);
        for _ in 0..2_000 {
            let count = 1 + next(4);
            let literals: Vec<String> = (0..count).map(|_| fold(&text(&mut next, 4))).collect();
            let telltales = Telltales::of(&literals).expect("no literal is empty");
            for round in 0..50 {
                // Text, and numbers as integers and as hexadecimal text.
                let number = next(1 << 40) as i64 - (1 << 39);
                let (value, text) = match round % 4 {
                    0 => (FieldValue::Int(number), number.to_string()),
                    1 => {
                        let hex = format!("0x{:X}", number.unsigned_abs());
                        (FieldValue::from(hex.as_str()), hex)
                    }
                    _ => {
                        let value = text(&mut next, 12);
                        (FieldValue::from(value.as_str()), value)
                    }
                };
                let folded = fold(&text);
                let holds = literals.iter().any(|l| folded.contains(l.as_str()));
                let may = telltales.may_hold(&value);
                assert!(may || !holds, "{value:?} holds one of {literals:?}");
                tried += 1;
                ruled_out += usize::from(!may);
            }
        }
        assert!(
            ruled_out > tried / 10,
            "only {ruled_out} of {tried} ruled out"
        );

        // What a GUID, a time or a number is made of is no telltale of a
        // keyword such as Mimikatz's commands.
        let keywords = [
            "sekurlsa::",
            "lsadump::",
            "privilege::debug",
            "seatbelt",
            "cobalt",
            "\\mimilib.dll",
        ]
        .map(String::from);
        let telltales = Telltales::of(&keywords).unwrap();
        for value in [
            "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}",
            "2026-03-02T00:00:20.915052Z",
        ] {
            assert!(!telltales.may_hold(&FieldValue::from(value)), "{value}");
        }
        assert!(!telltales.may_hold(&FieldValue::Int(-4624)));
        assert!(telltales.may_hold(&FieldValue::from("SEKURLSA::LogonPasswords")));
        // A logon ID holds the `x` of `.exe`, but not `.exe`; it may hold a
        // literal of hex digits.
        let images = Telltales::of(&[".exe".to_string()]).unwrap();
        assert!(!images.may_hold(&FieldValue::from("0x64B1D40")));
        assert!(images.may_hold(&FieldValue::from("0x64B1D40.exe")));
        let system = Telltales::of(&[".exe".to_string(), "0x3e7".to_string()]).unwrap();
        assert!(system.may_hold(&FieldValue::from("0x3E7")));
        let digits = Telltales::of(&["4624".to_string()]).unwrap();
        assert!(digits.may_hold(&FieldValue::Int(14624)));
        // A null's text is empty; a boolean's is `true` or `false`.
        assert!(!digits.may_hold(&FieldValue::Null));
        assert!(!digits.may_hold(&FieldValue::Bool(true)));
        let words = Telltales::of(&["fals".to_string()]).unwrap();
        assert!(words.may_hold(&FieldValue::Bool(false)));
        assert!(!words.may_hold(&FieldValue::Null));
        assert!(Telltales::of(&[String::new()]).is_none());
        let mut listed = super::BY_COMMONNESS.to_vec();
        listed.sort_unstable();
        listed.dedup();
        assert_eq!(
            listed.len(),
            super::BY_COMMONNESS.len(),
            "a byte listed twice"
        );
    }
}
