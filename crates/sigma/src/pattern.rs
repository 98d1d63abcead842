//! String patterns: Sigma values with wildcards, compiled to the cheapest test.

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, Input, StartKind};
use foldhash::fast::FixedState;
use memchr::memmem;
use regex::Regex;

/// One piece of a Sigma string value after escape processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Literal(String),
    /// `*`: any run of characters, possibly empty.
    AnyRun,
    /// `?`: exactly one character.
    AnyChar,
}

/// Splits a Sigma string into literals and wildcards, following the escape
/// rules of the specification: `\*` and `\?` are plain characters, `\\`
/// before a wildcard is a plain backslash, and any other backslash is itself.
pub fn tokenize(value: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut literal = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some('*') | Some('?') => {
                    literal.push(chars.next().unwrap_or('\\'));
                }
                Some('\\') => {
                    // `\\` is one backslash; whatever follows is then read on its own.
                    chars.next();
                    literal.push('\\');
                }
                _ => literal.push('\\'),
            },
            '*' | '?' => {
                if !literal.is_empty() {
                    tokens.push(Token::Literal(std::mem::take(&mut literal)));
                }
                let token = if c == '*' {
                    Token::AnyRun
                } else {
                    Token::AnyChar
                };
                // Consecutive `*` mean the same as one.
                if !(token == Token::AnyRun && tokens.last() == Some(&Token::AnyRun)) {
                    tokens.push(token);
                }
            }
            _ => literal.push(c),
        }
    }
    if !literal.is_empty() {
        tokens.push(Token::Literal(literal));
    }
    tokens
}

/// The plain text of a value whose wildcards are taken literally (used by
/// encoding modifiers, which transform the characters themselves).
pub fn unescape_plain(value: &str) -> String {
    tokenize(value)
        .into_iter()
        .map(|t| match t {
            Token::Literal(s) => s,
            Token::AnyRun => "*".to_string(),
            Token::AnyChar => "?".to_string(),
        })
        .collect()
}

/// Lower-cases text the way both sides of a case-insensitive match are folded.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        text.to_lowercase()
    }
}

/// A compiled string test. Case-insensitive patterns hold folded literals
/// and expect a folded haystack.
#[derive(Debug, Clone)]
pub enum StrPattern {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(Box<Needle>),
    /// `*` alone: any string, including the empty one.
    Any,
    /// Wildcards in the middle: a regular expression anchored at both ends,
    /// and the longest literal piece (normalised like the others), which any
    /// match contains.
    Glob(Regex, String),
}

/// A literal looked for anywhere in a value, its searcher built once rather
/// than for every value (as `str::contains` builds one).
#[derive(Debug, Clone)]
pub struct Needle {
    text: String,
    finder: memmem::Finder<'static>,
}

impl Needle {
    pub fn new(text: String) -> Needle {
        let finder = memmem::Finder::new(text.as_bytes()).into_owned();
        Needle { text, finder }
    }

    fn is_in(&self, haystack: &str) -> bool {
        self.finder.find(haystack.as_bytes()).is_some()
    }
}

/// Texts one of which a (folded) value must hold for a costlier test to
/// pass: looked for first, so that the costlier test runs only on the few
/// values that have one.
#[derive(Debug, Clone)]
pub enum Requisite {
    One(Box<Needle>),
    Any(AhoCorasick),
}

impl Requisite {
    /// A requisite of these texts; `None` when there are none, or when they
    /// cannot be searched for together.
    pub fn new(texts: &[String]) -> Option<Requisite> {
        match texts {
            [] => None,
            [one] => Some(Requisite::One(Box::new(Needle::new(one.clone())))),
            many => literal_automaton(many).map(Requisite::Any),
        }
    }

    /// Whether `folded` holds one of the texts.
    pub fn is_in(&self, folded: &str) -> bool {
        match self {
            Requisite::One(needle) => needle.is_in(folded),
            Requisite::Any(automaton) => automaton.is_match(folded),
        }
    }
}

impl StrPattern {
    /// Compiles tokens into a pattern; `cased` keeps literals as written.
    pub fn compile(tokens: &[Token], cased: bool) -> Result<StrPattern, regex::Error> {
        let norm = |s: &str| if cased { s.to_string() } else { fold(s) };
        Ok(match tokens {
            [] => StrPattern::Exact(String::new()),
            [Token::AnyRun] => StrPattern::Any,
            [Token::Literal(s)] => StrPattern::Exact(norm(s)),
            [Token::Literal(s), Token::AnyRun] => StrPattern::Prefix(norm(s)),
            [Token::AnyRun, Token::Literal(s)] => StrPattern::Suffix(norm(s)),
            [Token::AnyRun, Token::Literal(s), Token::AnyRun] => {
                StrPattern::Contains(Box::new(Needle::new(norm(s))))
            }
            _ => {
                let mut re = String::from(if cased { "(?s)^" } else { "(?si)^" });
                for token in tokens {
                    match token {
                        Token::Literal(s) => re.push_str(&regex::escape(s)),
                        Token::AnyRun => re.push_str(".*"),
                        Token::AnyChar => re.push('.'),
                    }
                }
                re.push('$');
                let longest = tokens
                    .iter()
                    .filter_map(|t| match t {
                        Token::Literal(s) => Some(s.as_str()),
                        _ => None,
                    })
                    .max_by_key(|s| s.len())
                    .map(norm)
                    .unwrap_or_default();
                StrPattern::Glob(Regex::new(&re)?, longest)
            }
        })
    }

    /// The literal a matching (folded) value has, and where, if the pattern
    /// has one the prefilter can look for.
    pub fn required_literal(&self) -> Option<(&str, Placement)> {
        let (literal, placement) = match self {
            StrPattern::Exact(s) => (s, Placement::Whole),
            StrPattern::Prefix(s) => (s, Placement::Start),
            StrPattern::Suffix(s) => (s, Placement::End),
            StrPattern::Contains(needle) => (&needle.text, Placement::Anywhere),
            // A glob compares case-insensitively by the regex engine's own
            // case folding, which equates more non-ASCII letters than `fold`
            // does (ς σ Σ); its literal is only a safe requirement when ASCII.
            StrPattern::Glob(_, literal) if literal.is_ascii() => (literal, Placement::Anywhere),
            _ => return None,
        };
        (!literal.is_empty()).then_some((literal.as_str(), placement))
    }

    /// Tests a haystack already folded when the pattern is case-insensitive.
    pub fn is_match(&self, haystack: &str) -> bool {
        match self {
            StrPattern::Exact(s) => haystack == s,
            StrPattern::Prefix(s) => haystack.starts_with(s.as_str()),
            StrPattern::Suffix(s) => haystack.ends_with(s.as_str()),
            StrPattern::Contains(needle) => needle.is_in(haystack),
            StrPattern::Any => true,
            StrPattern::Glob(re, _) => re.is_match(haystack),
        }
    }
}

/// Many case-insensitive patterns of one check, tested at once: a list such
/// as `Image|endswith: [\\a.exe, \\b.exe, …]` would otherwise compare the
/// value with each item in turn. Equal to any of its patterns matching.
/// Each kind of placement has its own test, so that none of them walks the
/// whole value reporting every literal it holds:
///
/// * whole values are looked up in a hash set;
/// * literals found anywhere, by one automaton that stops at the first;
/// * prefixes, by an automaton run anchored at the value's start;
/// * suffixes, by an automaton of the reversed literals run anchored at the
///   start of the reversed value.
#[derive(Debug, Clone)]
pub struct StrSet {
    exact: HashSet<Box<str>, FixedState>,
    anywhere: Option<AhoCorasick>,
    starts: Option<AhoCorasick>,
    ends: Option<AhoCorasick>,
    /// Every literal, exact ones included, with where a matching value has
    /// it: what the prefilter looks for.
    literals: Vec<(String, Placement)>,
}

/// Where in a value a literal is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Placement {
    Anywhere,
    /// At its start.
    Start,
    /// At its end.
    End,
    /// The whole value.
    Whole,
}

/// Values up to this long are reversed on the stack for the suffix test.
const REVERSED_ON_STACK: usize = 256;

impl StrSet {
    /// A set of the patterns that have a literal of their own (exact,
    /// prefix, suffix, contains; not empty), or `None` when fewer than
    /// `least` do (or their literals cannot make automata); the others
    /// are handed back.
    pub fn gather(patterns: Vec<StrPattern>, least: usize) -> (Option<StrSet>, Vec<StrPattern>) {
        let settable = |p: &StrPattern| match p {
            StrPattern::Exact(s) | StrPattern::Prefix(s) | StrPattern::Suffix(s) => !s.is_empty(),
            StrPattern::Contains(needle) => !needle.text.is_empty(),
            _ => false,
        };
        if patterns.iter().filter(|p| settable(p)).count() < least {
            return (None, patterns);
        }
        let mut exact = HashSet::with_hasher(FixedState::default());
        let mut placed: Vec<(String, Placement)> = Vec::new();
        let mut rest = Vec::new();
        for pattern in patterns {
            if !settable(&pattern) {
                rest.push(pattern);
                continue;
            }
            let literal = match pattern {
                StrPattern::Exact(s) => {
                    exact.insert(s.clone().into_boxed_str());
                    (s, Placement::Whole)
                }
                StrPattern::Prefix(s) => (s, Placement::Start),
                StrPattern::Suffix(s) => (s, Placement::End),
                StrPattern::Contains(needle) => (needle.text, Placement::Anywhere),
                other => {
                    rest.push(other);
                    continue;
                }
            };
            if !placed.contains(&literal) {
                placed.push(literal);
            }
        }
        // A literal looked for anywhere also covers it at the start or end.
        let anywhere: HashSet<String> = (placed.iter())
            .filter(|(_, p)| *p == Placement::Anywhere)
            .map(|(l, _)| l.clone())
            .collect();
        placed.retain(|(l, p)| {
            matches!(p, Placement::Anywhere | Placement::Whole) || !anywhere.contains(l.as_str())
        });
        let of = |placement: Placement| {
            (placed.iter())
                .filter(move |(_, p)| *p == placement)
                .map(|(l, _)| l.as_bytes().to_vec())
        };
        let reversed = of(Placement::End).map(|mut l| {
            l.reverse();
            l
        });
        let built = (
            automaton(of(Placement::Anywhere), StartKind::Unanchored),
            automaton(of(Placement::Start), StartKind::Anchored),
            automaton(reversed, StartKind::Anchored),
        );
        let (Ok(anywhere), Ok(starts), Ok(ends)) = built else {
            // Too large to build: the patterns are tested one by one. The
            // literals moved out of them are put back as they were.
            let mut patterns = rest;
            patterns.extend(
                placed
                    .into_iter()
                    .map(|(literal, placement)| match placement {
                        Placement::Whole => StrPattern::Exact(literal),
                        Placement::Start => StrPattern::Prefix(literal),
                        Placement::End => StrPattern::Suffix(literal),
                        Placement::Anywhere => StrPattern::Contains(Box::new(Needle::new(literal))),
                    }),
            );
            return (None, patterns);
        };
        let set = StrSet {
            exact,
            anywhere,
            starts,
            ends,
            literals: placed,
        };
        (Some(set), rest)
    }

    /// Whether any of the patterns matches the folded haystack.
    pub fn is_match(&self, folded: &str) -> bool {
        if self.exact.contains(folded) {
            return true;
        }
        if self.anywhere.as_ref().is_some_and(|a| a.is_match(folded)) {
            return true;
        }
        if (self.starts.as_ref()).is_some_and(|a| a.is_match(anchored(folded.as_bytes()))) {
            return true;
        }
        let Some(ends) = &self.ends else {
            return false;
        };
        let bytes = folded.as_bytes();
        let mut stack = [0u8; REVERSED_ON_STACK];
        let mut heap = Vec::new();
        let reversed: &mut [u8] = if bytes.len() <= REVERSED_ON_STACK {
            &mut stack[..bytes.len()]
        } else {
            heap.resize(bytes.len(), 0);
            &mut heap
        };
        for (to, from) in reversed.iter_mut().zip(bytes.iter().rev()) {
            *to = *from;
        }
        ends.is_match(anchored(reversed))
    }

    /// The literals, one of which a matching value has where it is placed.
    pub fn literals(&self) -> &[(String, Placement)] {
        &self.literals
    }
}

/// A search of `text` for a literal at its very start.
fn anchored(text: &[u8]) -> Input<'_> {
    Input::new(text).anchored(Anchored::Yes)
}

/// The most literal text (in bytes, all literals together) one automaton is
/// built from. A rule set written to make the automata explode (millions of
/// long distinct values) gets none past it: the rules that needed one are
/// evaluated without it, slower but the same. SigmaHQ's whole rule set needs
/// well under a tenth of it for any field.
pub(crate) const AUTOMATON_TEXT: usize = 4 << 20;

/// Up to this much literal text an automaton may be a DFA (`aho-corasick`
/// makes one for up to 100 literals): its table takes up to 1 KiB per byte
/// of literal text, 16 MiB here.
const DFA_TEXT: usize = 16 << 10;

/// An automaton finding any of `texts`, of the kind their size allows;
/// `None` past [`AUTOMATON_TEXT`] or the automaton's own limits.
pub(crate) fn literal_automaton<T: AsRef<[u8]>>(texts: &[T]) -> Option<AhoCorasick> {
    let size: usize = texts.iter().map(|t| t.as_ref().len()).sum();
    if size > AUTOMATON_TEXT {
        return None;
    }
    let kind = (size > DFA_TEXT).then_some(AhoCorasickKind::ContiguousNFA);
    AhoCorasick::builder().kind(kind).build(texts).ok()
}

/// An automaton of these literals, or `None` when there are none; an error
/// when it is too large to build (past [`AUTOMATON_TEXT`] or its own limits).
fn automaton(
    literals: impl Iterator<Item = Vec<u8>>,
    start: StartKind,
) -> Result<Option<AhoCorasick>, ()> {
    let literals: Vec<Vec<u8>> = literals.collect();
    if literals.is_empty() {
        return Ok(None);
    }
    if literals.iter().map(Vec::len).sum::<usize>() > AUTOMATON_TEXT {
        return Err(());
    }
    // A contiguous NFA: a DFA per check would be faster by a little and
    // take tens of megabytes over a large ruleset.
    AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .start_kind(start)
        .build(literals)
        .map(Some)
        .map_err(|_| ())
}

/// Several case-insensitive wildcard patterns of one check as one regular
/// expression: a list such as `CommandLine|contains: [' -e* JAB', ' -e*
/// IAB', …]` would otherwise run a search per item over the same value.
/// Equal to any of its patterns matching.
#[derive(Debug, Clone)]
pub struct GlobSet {
    regex: Regex,
    /// The patterns' literals, one of which a matching value contains; `None`
    /// when a pattern has none the prefilter can use.
    literals: Option<Vec<String>>,
    /// The same literals, looked for before the expression is run.
    requisite: Option<Requisite>,
}

impl GlobSet {
    /// A set of the wildcard patterns, or `None` when fewer than `least`
    /// are (or their union is too large to build); the others are handed
    /// back.
    pub fn gather(patterns: Vec<StrPattern>, least: usize) -> (Option<GlobSet>, Vec<StrPattern>) {
        // Each pattern's own expression is `(?si)^BODY$`: the set is
        // `(?si)^(?:BODY|BODY…)$`.
        let body = |p: &StrPattern| match p {
            StrPattern::Glob(re, _) => re
                .as_str()
                .strip_prefix("(?si)^")
                .and_then(|r| r.strip_suffix('$'))
                .map(str::to_string),
            _ => None,
        };
        if patterns.iter().filter(|p| body(p).is_some()).count() < least {
            return (None, patterns);
        }
        let mut bodies = Vec::new();
        let mut literals = Some(Vec::new());
        let mut rest = Vec::new();
        for pattern in &patterns {
            let Some(body) = body(pattern) else {
                rest.push(pattern.clone());
                continue;
            };
            bodies.push(format!("(?:{body})"));
            match (&mut literals, pattern.required_literal()) {
                (Some(all), Some((literal, _))) => all.push(literal.to_string()),
                _ => literals = None,
            }
        }
        let union = format!("(?si)^(?:{})$", bodies.join("|"));
        match regex::RegexBuilder::new(&union)
            .dfa_size_limit(16 << 20)
            .build()
        {
            Ok(regex) => {
                let requisite = literals.as_deref().and_then(Requisite::new);
                let set = GlobSet {
                    regex,
                    literals,
                    requisite,
                };
                (Some(set), rest)
            }
            Err(_) => (None, patterns),
        }
    }

    /// Whether any of the patterns matches the folded haystack.
    pub fn is_match(&self, folded: &str) -> bool {
        // The expression ignores case the Unicode way, so a folded value
        // can still match a literal it does not hold (`ſ` is an `s` to
        // it): only an ASCII value is refused for want of the literals.
        let refused = |r: &Requisite| !r.is_in(folded) && folded.is_ascii();
        if self.requisite.as_ref().is_some_and(refused) {
            return false;
        }
        self.regex.is_match(folded)
    }

    /// The literals, one of which a matching value contains, if every
    /// pattern has one.
    pub fn literals(&self) -> Option<&[String]> {
        self.literals.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(value: &str) -> StrPattern {
        StrPattern::compile(&tokenize(value), false).unwrap()
    }

    /// A set matches a value exactly when one of its patterns does, with
    /// each pattern's anchoring kept (the same literal as a prefix of one
    /// item and a suffix of another), and hands back what it cannot hold.
    #[test]
    fn a_set_matches_as_its_patterns_do() {
        let items = [
            r"\cmd.exe",
            "*\\powershell.exe",
            "rundll32*",
            "*-enc *",
            "*foo*",
            "foo*",
            "*foo",
            "exact",
            "*",
            "a*b",
            "",
        ];
        let patterns: Vec<StrPattern> = items.iter().map(|i| pattern(i)).collect();
        let (set, rest) = StrSet::gather(patterns.clone(), 4);
        let set = set.expect("enough patterns with literals");
        assert_eq!(rest.len(), 3, "any, glob and empty stay apart");
        let values = [
            r"c:\windows\system32\cmd.exe",
            r"\cmd.exe",
            r"c:\x\powershell.exe /c",
            r"c:\x\powershell.exe",
            "rundll32 x",
            "x rundll32",
            "powershell -enc abc",
            "foo",
            "xfoo",
            "foox",
            "xfoox",
            "exact",
            "exactly",
            "",
            "a--b",
        ];
        // The first eight items are the ones with a literal of their own.
        for value in values {
            let one_by_one = patterns[..8].iter().any(|p| p.is_match(value));
            assert_eq!(set.is_match(value), one_by_one, "{value:?}");
        }
        let placed = |literal: &str| {
            let found = set.literals().iter().filter(|(l, _)| l == literal);
            found.map(|&(_, p)| p).collect::<Vec<_>>()
        };
        assert_eq!(placed("exact"), [Placement::Whole]);
        assert_eq!(placed("rundll32"), [Placement::Start]);
        assert_eq!(
            placed("foo"),
            [Placement::Anywhere],
            "contains covers the rest"
        );
        assert_eq!(placed(r"\powershell.exe"), [Placement::End]);
        assert_eq!(set.literals().len(), 6);
        assert!(StrSet::gather(patterns[..3].to_vec(), 4).0.is_none());
    }

    /// A set of wildcard patterns matches a value exactly when one of them
    /// does, and hands back what is not a wildcard pattern.
    /// Random sets of prefixes, suffixes, whole values and literals, some of
    /// them given in several placements, on random values (some longer than
    /// the stack's room for the reversed value): the set matches exactly
    /// when one of its patterns does.
    #[test]
    fn a_random_set_matches_as_its_patterns_do() {
        let pieces = ["\\", "cmd", ".exe", "a", "ab", "b", "x", "\u{e9}", " -e"];
        let mut next = crate::testing::numbers(0x9e37_79b9_7f4a_7c15);
        let text = |next: &mut dyn FnMut(usize) -> usize, most: usize| -> String {
            (0..1 + next(most))
                .map(|_| pieces[next(pieces.len())])
                .collect()
        };
        for _ in 0..300 {
            let patterns: Vec<StrPattern> = (0..4 + next(6))
                .map(|_| {
                    let literal = text(&mut next, 3);
                    let written = match next(4) {
                        0 => literal,
                        1 => format!("{literal}*"),
                        2 => format!("*{literal}"),
                        _ => format!("*{literal}*"),
                    };
                    pattern(&written)
                })
                .collect();
            let (set, rest) = StrSet::gather(patterns.clone(), 4);
            let set = set.expect("four patterns with literals");
            assert!(rest.is_empty());
            for _ in 0..50 {
                let mut value = text(&mut next, 8);
                if next(10) == 0 {
                    value = value.repeat(1 + REVERSED_ON_STACK / value.len());
                }
                let one_by_one = patterns.iter().any(|p| p.is_match(&value));
                assert_eq!(
                    set.is_match(&value),
                    one_by_one,
                    "{patterns:?} on {value:?}"
                );
            }
        }
    }

    #[test]
    fn a_glob_set_matches_as_its_patterns_do() {
        let items = [
            "* -e* JAB*",
            "* -e* iab*",
            "*net*user*",
            "c:\\*\\x?.exe",
            "a*b",
            "*a.b*c*",
            "*sekurlsa*::*",
            "*exact*",
            "plain",
        ];
        let patterns: Vec<StrPattern> = items.iter().map(|i| pattern(i)).collect();
        let (set, rest) = GlobSet::gather(patterns.clone(), 3);
        let set = set.expect("enough wildcard patterns");
        assert_eq!(rest.len(), 2, "contains and exact stay apart");
        let values = [
            "powershell -enc jabxyz",
            "powershell -e iabc",
            "powershell -e iab",
            "net  user admin",
            "c:\\windows\\xy.exe",
            "c:\\windows\\xyz.exe",
            "ab",
            "a\nb",
            "xa.bzzc",
            "xaxbc",
            "",
            "\u{3a3}",
            // The expression takes `ſ` for an `s`; the literal does not.
            "\u{17f}ekurlsa::logonpasswords",
            "sekurlsa::x",
            "sekurlsa",
        ];
        for value in values {
            let one_by_one = patterns[..7].iter().any(|p| p.is_match(value));
            assert_eq!(set.is_match(value), one_by_one, "{value:?}");
        }
        assert_eq!(set.literals().map(<[String]>::len), Some(7));
        assert!(GlobSet::gather(patterns[..2].to_vec(), 3).0.is_none());
        // A pattern without a literal leaves the set without a requirement.
        let mut loose = patterns[..3].to_vec();
        loose.push(pattern("?*?"));
        assert!(GlobSet::gather(loose, 3).0.unwrap().literals().is_none());
    }

    #[test]
    fn escapes_follow_the_specification() {
        assert_eq!(tokenize(r"a\*b"), vec![Token::Literal("a*b".into())]);
        assert_eq!(tokenize(r"a\?"), vec![Token::Literal("a?".into())]);
        assert_eq!(
            tokenize(r"C:\\*"),
            vec![Token::Literal(r"C:\".into()), Token::AnyRun]
        );
        assert_eq!(tokenize(r"a\\\*"), vec![Token::Literal(r"a\*".into())]);
        assert_eq!(tokenize(r"a\\\\b"), vec![Token::Literal(r"a\\b".into())]);
        assert_eq!(
            tokenize(r"C:\Windows"),
            vec![Token::Literal(r"C:\Windows".into())]
        );
        assert_eq!(
            tokenize(r"C:\\Windows"),
            vec![Token::Literal(r"C:\Windows".into())]
        );
    }

    #[test]
    fn shapes_compile_to_the_cheapest_test() {
        assert!(matches!(pattern("abc"), StrPattern::Exact(_)));
        assert!(matches!(pattern("abc*"), StrPattern::Prefix(_)));
        assert!(matches!(pattern("*abc"), StrPattern::Suffix(_)));
        assert!(matches!(pattern("*abc*"), StrPattern::Contains(_)));
        assert!(matches!(pattern("**"), StrPattern::Any));
        assert!(matches!(pattern("a*bcd?e"), StrPattern::Glob(_, l) if l == "bcd"));
    }

    #[test]
    fn wildcards_match() {
        assert!(pattern("prog?.exe").is_match("proga.exe"));
        assert!(!pattern("prog?.exe").is_match("prog.exe"));
        assert!(pattern("a*c").is_match("a\nbc"));
        assert!(pattern(r"*\\cmd.exe").is_match(&fold(r"C:\Windows\CMD.EXE")));
        assert!(!pattern(r"a\*c").is_match("abc"));
        assert!(pattern(r"a\*c").is_match("a*c"));
    }

    #[test]
    fn folding_covers_non_ascii() {
        assert!(pattern("*ÄRZTE*").is_match(&fold("die ärzte")));
        assert!(pattern("Σ*").is_match(&fold("σχ")));
    }
}
