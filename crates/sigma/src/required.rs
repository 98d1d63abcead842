//! What every match of a regular expression contains: text the literal
//! prefilter can look for, so that a `|re` rule is run only on events that
//! have it (`(?i)mimikatz|kiwi\(` needs `mimikatz` or `kiwi(`).
//!
//! The texts are folded as the prefilter's haystacks are. Only ASCII is
//! kept, and a character class only when every character in it folds to the
//! same ASCII letter: `(?i)s` also matches `ſ`, which folds to itself, so it
//! ends a text instead of adding `s` to it. What is returned is therefore
//! found in the folded value whenever the expression matches the value.

use regex_syntax::hir::literal::{ExtractKind, Extractor, Literal};
use regex_syntax::hir::{Class, Hir, HirKind};

/// Texts shorter than this are not worth looking for: nearly every value
/// has them (unless they are [`rare`]).
const SHORTEST: usize = 3;

/// Bytes few log values hold: a text of one of them is worth looking for
/// (the backquote of PowerShell's token obfuscation, `$` of `${env:path}`).
const RARE: &[u8] = b"`$^|~<>#@!&*+=;?%";

/// Bytes that make a pair few values hold (`"{` of PowerShell's format
/// operator), though alone they are common: quotes in command lines,
/// braces in every GUID.
const RARE_IN_PAIRS: &[u8] = b"\"'{}()[]";

/// More alternatives than this are not looked for.
const MOST: usize = 64;

/// Whether texts from [`checked_texts`] are worth the prefilter's looking
/// for: every one long enough or [`rare`].
pub(crate) fn for_prefilter(texts: &[String]) -> bool {
    texts.iter().all(|t| t.len() >= SHORTEST || rare(t))
}

/// Whether a text too short to be worth looking for is one few values hold
/// all the same: a [`RARE`] byte, or two bytes one of which is [`RARE`] or
/// [`RARE_IN_PAIRS`].
fn rare(text: &str) -> bool {
    match text.as_bytes() {
        [one] => RARE.contains(one),
        [a, b] => [a, b]
            .iter()
            .any(|b| RARE.contains(b) || RARE_IN_PAIRS.contains(b)),
        _ => false,
    }
}

/// Folded texts one of which every match of `pattern` contains, with the
/// expression's case option; `None` when none can be told. The prefilter
/// uses them when they are long enough ([`for_prefilter`]); shorter ones
/// are still looked for in a value before the expression is run on it:
/// even a single character (the backquote of PowerShell's token
/// obfuscation) spares running the expression on most values.
pub(crate) fn checked_texts(pattern: &str, case_insensitive: bool) -> Option<Vec<String>> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(case_insensitive)
        .build()
        .parse(pattern)
        .ok()?;
    let texts = required(&hir).filter(|texts| texts.len() <= MOST);
    match texts {
        Some(texts) if for_prefilter(&texts) => Some(texts),
        // `"(?:\{\d\})+"\s*-f` always holds `-f`, which many values do;
        // it also always starts with `"{`, which few do.
        texts => starts(&hir).or(texts),
    }
}

/// The texts every match starts with (one of them), when they are few and
/// each is worth the prefilter's looking for; folded as [`required`]'s are
/// (only ASCII: `ſ` folds to itself).
fn starts(hir: &Hir) -> Option<Vec<String>> {
    let starts = Extractor::new().kind(ExtractKind::Prefix).extract(hir);
    let literals = starts.literals()?;
    if literals.is_empty() || literals.len() > MOST {
        return None;
    }
    let fold = |literal: &Literal| {
        let text = std::str::from_utf8(literal.as_bytes()).ok()?;
        text.is_ascii().then(|| text.to_ascii_lowercase())
    };
    let mut texts = literals.iter().map(fold).collect::<Option<Vec<_>>>()?;
    texts.sort();
    texts.dedup();
    for_prefilter(&texts).then_some(texts)
}

/// Texts one of which every match contains.
fn required(hir: &Hir) -> Option<Vec<String>> {
    match hir.kind() {
        HirKind::Literal(_) | HirKind::Class(_) => {
            fixed(hir).filter(|t| !t.is_empty()).map(|t| vec![t])
        }
        HirKind::Capture(capture) => required(&capture.sub),
        HirKind::Repetition(repetition) if repetition.min >= 1 => required(&repetition.sub),
        HirKind::Concat(items) => {
            let mut best = None;
            let mut run = String::new();
            for item in items {
                match fixed(item) {
                    Some(text) => run.push_str(&text),
                    None => {
                        if !run.is_empty() {
                            best = better(best, Some(vec![std::mem::take(&mut run)]));
                        }
                        best = better(best, required(item));
                    }
                }
            }
            if !run.is_empty() {
                best = better(best, Some(vec![run]));
            }
            best
        }
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                all.extend(required(branch)?);
            }
            Some(all)
        }
        // Empty, look-arounds, optional repetitions: nothing is certain.
        _ => None,
    }
}

/// The folded text a piece always matches exactly: a literal, or a class
/// whose characters all fold to one ASCII character; `None` for anything else.
fn fixed(hir: &Hir) -> Option<String> {
    match hir.kind() {
        HirKind::Literal(literal) => {
            let text = std::str::from_utf8(&literal.0).ok()?;
            text.is_ascii().then(|| text.to_ascii_lowercase())
        }
        HirKind::Class(Class::Unicode(class)) => {
            let mut folded = None;
            for range in class.ranges() {
                if u32::from(range.end()) - u32::from(range.start()) > 4 {
                    return None;
                }
                for c in range.start()..=range.end() {
                    folded = Some(same(folded, fold_char(c)?)?);
                }
            }
            folded.map(String::from)
        }
        HirKind::Class(Class::Bytes(class)) => {
            let mut folded = None;
            for range in class.ranges() {
                if range.end() - range.start() > 4 {
                    return None;
                }
                for b in range.start()..=range.end() {
                    folded = Some(same(folded, fold_char(char::from(b))?)?);
                }
            }
            folded.map(String::from)
        }
        HirKind::Capture(capture) => fixed(&capture.sub),
        _ => None,
    }
}

/// What a character folds to, when that is one ASCII character.
fn fold_char(c: char) -> Option<char> {
    let mut lower = c.to_lowercase();
    let folded = lower.next()?;
    (lower.next().is_none() && folded.is_ascii()).then_some(folded)
}

fn same(so_far: Option<char>, next: char) -> Option<char> {
    match so_far {
        Some(c) if c != next => None,
        _ => Some(next),
    }
}

/// The more selective of two alternatives: the one whose shortest text is
/// longest (a [`rare`] short text counting as long enough), then the one
/// with fewer texts.
fn better(a: Option<Vec<String>>, b: Option<Vec<String>>) -> Option<Vec<String>> {
    let key = |texts: &Vec<String>| {
        let length = |t: &String| if rare(t) { SHORTEST } else { t.len() };
        let shortest = texts.iter().map(length).min().unwrap_or(0);
        (shortest.min(8), usize::MAX - texts.len())
    };
    match (a, b) {
        (Some(a), Some(b)) => Some(if key(&b) > key(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts the prefilter looks for.
    fn required_texts(pattern: &str, case_insensitive: bool) -> Option<Vec<String>> {
        checked_texts(pattern, case_insensitive).filter(|texts| for_prefilter(texts))
    }

    fn texts(pattern: &str, case_insensitive: bool) -> Option<Vec<String>> {
        required_texts(pattern, case_insensitive).map(|mut t| {
            t.sort();
            t
        })
    }

    #[test]
    fn literals_alternatives_and_repetitions() {
        let some = |items: &[&str]| Some(items.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(texts(r"mimikatz\.exe", false), some(&["mimikatz.exe"]));
        assert_eq!(
            texts(r"(?:Invoke-Expression|IEX)\(", false),
            some(&["iex", "invoke-expression"])
        );
        assert_eq!(
            texts(r"\\Windows\\Temp\\[a-z0-9]{8}\.exe$", false),
            some(&["\\windows\\temp\\"])
        );
        assert_eq!(texts(r"(?:abc)+xy", false), some(&["abc"]));
        // Case-insensitive: letters whose every case variant folds to one
        // ASCII letter; `s` also matches `ſ`, so it ends a text.
        assert_eq!(texts("(?i)powershell", false), some(&["power"]));
        assert_eq!(texts("powershell", true), texts("(?i)powershell", false));
        assert_eq!(texts("(?i)environment", false), some(&["environment"]));
        // Nothing certain: optional parts, short texts, a branch without text.
        assert_eq!(texts(r"(?:abcd)?x", false), None);
        assert_eq!(texts(r"ab.*cd", false), None);
        assert_eq!(texts(r"abcd|.*", false), None);
        assert_eq!(texts(r"[a-z]+", false), None);
        assert_eq!(texts(r"(", false), None);
        // Short texts few values hold are looked for: PowerShell's token
        // obfuscation and format operator, and `${env:path}` spelt out.
        assert_eq!(texts(r"\w+`(?:\w+|-|.)`[\w+|\s]", false), some(&["`"]));
        assert_eq!(texts(r#""(?:\{\d\})+"\s*-f"#, false), some(&["\"{"]));
        // What every match starts with, when what it holds is not worth it.
        let starts: Vec<String> = (0..10).map(|d| format!("ab{d}")).collect();
        assert_eq!(texts(r"ab[0-9]+-f", false), Some(starts));
        assert_eq!(
            texts(r"(?i)\$\{`?e`?n`?v`?:`?p`?a`?t`?h`?\}", false),
            some(&["${"])
        );
        assert_eq!(texts(r"[a-z]+-f", false), None);
    }

    /// Texts too short for the prefilter are still looked for before an
    /// expression is run; a value without them is never a match.
    #[test]
    fn short_texts_are_checked_and_a_value_without_them_never_matches() {
        let patterns = [
            r"\w+`(?:\w+|-|.)`[\w+|\s]",
            r#""(?:\{\d\})+"\s*-f"#,
            r"(?i)\$\{`?e`?n`?v`?:`?p`?a`?t`?h`?\}",
            r"net\s+user\s+",
            r"(?i)kelvin|\x60",
        ];
        assert_eq!(
            checked_texts(patterns[0], false),
            Some(vec!["`".to_string()])
        );
        // The backquote alone is rare enough for the prefilter.
        assert_eq!(
            required_texts(patterns[0], false),
            Some(vec!["`".to_string()])
        );
        let pieces = [
            "`",
            "\"",
            "{",
            "}",
            "{0}",
            "0",
            "-f",
            " ",
            "\t",
            "${",
            "e",
            "nv",
            ":",
            "path",
            "P",
            "net",
            "NET",
            "user",
            "User",
            "x",
            "K",
            "elvin",
            "\u{212A}",
            "\u{17F}",
            "\"{0}{1}\"",
            "${env:path}",
            "${E`nV:Path}",
            "net user ",
            "w`r`i",
        ];
        let mut next = crate::testing::numbers(0x2545_f491_4f6c_dd1d);
        for pattern in patterns {
            let texts = checked_texts(pattern, false).expect(pattern);
            let requisite = crate::pattern::Requisite::new(&texts).expect(pattern);
            let regex = regex::Regex::new(pattern).unwrap();
            let mut matched = 0;
            for _ in 0..20_000 {
                let value: String = (0..next(10)).map(|_| pieces[next(pieces.len())]).collect();
                let folded = crate::pattern::fold(&value);
                if regex.is_match(&value) {
                    matched += 1;
                    assert!(
                        requisite.is_in(&folded),
                        "{pattern} matches {value:?} but none of {texts:?} is in it"
                    );
                }
            }
            assert!(matched > 0, "{pattern} matched none of the values tried");
        }
    }

    /// Whenever an expression matches a value, the folded value contains
    /// one of its texts.
    #[test]
    fn a_match_always_contains_a_text() {
        let patterns = [
            r"(?i)(?:set).*&&\s?set.*(?:environment|invoke|\$\{?input).*&&.*",
            r"(?i)\\(?:rundll32|regsvr32)\.exe",
            r"(?i)KERNEL32|kelvin",
            r"[Ss]ekurlsa::(?:logon|ekeys)",
            r"(?i)ΣΑΣ-hello",
            r"C:\\Users\\[^\\]+\\AppData",
            r#""(?:\{\d\})+"\s*-f"#,
            r"(?i)[Ss]ekurlsa",
        ];
        let values = [
            "cmd /c set x=1&& set y=ENVIRONMENT && echo",
            "C:\\WINDOWS\\System32\\RunDll32.EXE shell32.dll",
            "c:\\windows\\system32\\regsvr32.exe /s x.dll",
            "kernel32.dll",
            "KELVIN \u{212A}ELVIN",
            "\u{212A}ERNEL32",
            "Sekurlsa::logonpasswords",
            "ſekurlsa::ekeys",
            "σας-HELLO",
            "C:\\Users\\anna\\AppData\\Local",
        ];
        for pattern in patterns {
            let texts = required_texts(pattern, false).expect(pattern);
            let regex = regex::Regex::new(pattern).unwrap();
            for value in values {
                if regex.is_match(value) {
                    let folded = crate::pattern::fold(value);
                    assert!(
                        texts.iter().any(|t| folded.contains(t.as_str())),
                        "{pattern} matches {value:?} but none of {texts:?} is in it"
                    );
                }
            }
        }
    }
}
