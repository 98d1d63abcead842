//! Sigma value modifiers: their names, and the transformations of values
//! they stand for (encodings, dash variants, placeholders, wildcards).

use std::collections::HashMap;

use base64::Engine as _;

use crate::pattern::unescape_plain;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    Contains,
    StartsWith,
    EndsWith,
    All,
    Re,
    ReIgnoreCase,
    ReMultiLine,
    ReDotAll,
    Base64,
    Base64Offset,
    Utf16Le,
    Utf16Be,
    Utf16,
    Windash,
    Cidr,
    Exists,
    FieldRef,
    Cased,
    Gt,
    Gte,
    Lt,
    Lte,
    Neq,
    Expand,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl Modifier {
    pub fn parse(name: &str) -> Option<Modifier> {
        use Modifier::*;
        Some(match name {
            "contains" => Contains,
            "startswith" => StartsWith,
            "endswith" => EndsWith,
            "all" => All,
            "re" => Re,
            "i" => ReIgnoreCase,
            "m" => ReMultiLine,
            "s" => ReDotAll,
            "base64" => Base64,
            "base64offset" => Base64Offset,
            "utf16le" | "wide" => Utf16Le,
            "utf16be" => Utf16Be,
            "utf16" => Utf16,
            "windash" => Windash,
            "cidr" => Cidr,
            "exists" => Exists,
            "fieldref" => FieldRef,
            "cased" => Cased,
            "gt" => Gt,
            "gte" => Gte,
            "lt" => Lt,
            "lte" => Lte,
            "neq" => Neq,
            "expand" => Expand,
            "minute" => Minute,
            "hour" => Hour,
            "day" => Day,
            "week" => Week,
            "month" => Month,
            "year" => Year,
            _ => return None,
        })
    }

    /// Modifiers that rewrite the characters of a value, in the order written.
    pub fn is_transform(self) -> bool {
        use Modifier::*;
        matches!(
            self,
            Contains
                | StartsWith
                | EndsWith
                | Base64
                | Base64Offset
                | Utf16Le
                | Utf16Be
                | Utf16
                | Windash
                | Expand
        )
    }
}

/// A value between transformations: still a Sigma string (wildcards and
/// escapes meaningful), or bytes produced by an encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Sigma(String),
    Bytes(Vec<u8>),
}

impl Stage {
    fn plain_bytes(&self) -> Vec<u8> {
        match self {
            Stage::Sigma(s) => unescape_plain(s).into_bytes(),
            Stage::Bytes(b) => b.clone(),
        }
    }

    /// The final Sigma string. Encoded bytes that are not UTF-8 (UTF-16
    /// without base64) are read one byte per character, and their wildcard
    /// characters escaped so they stay literal.
    pub fn into_sigma(self) -> String {
        match self {
            Stage::Sigma(s) => s,
            Stage::Bytes(bytes) => {
                let text: String = match String::from_utf8(bytes) {
                    Ok(s) => s,
                    Err(e) => e.into_bytes().into_iter().map(char::from).collect(),
                };
                escape_wildcards(&text)
            }
        }
    }
}

/// Escapes `*`, `?` and `\` so that a plain string reads as itself in Sigma.
pub fn escape_wildcards(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Applies one transforming modifier to every value.
pub fn transform(
    modifier: Modifier,
    values: Vec<Stage>,
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<Vec<Stage>, String> {
    let mut out = Vec::with_capacity(values.len());
    for value in values {
        match modifier {
            Modifier::Contains => out.push(wrap(value, true, true)),
            Modifier::StartsWith => out.push(wrap(value, false, true)),
            Modifier::EndsWith => out.push(wrap(value, true, false)),
            Modifier::Base64 => out.push(Stage::Sigma(
                base64::engine::general_purpose::STANDARD.encode(value.plain_bytes()),
            )),
            Modifier::Base64Offset => {
                for shifted in base64_offsets(&value.plain_bytes()) {
                    out.push(Stage::Sigma(shifted));
                }
            }
            Modifier::Utf16Le => out.push(Stage::Bytes(utf16(&value, false, false))),
            Modifier::Utf16Be => out.push(Stage::Bytes(utf16(&value, true, false))),
            Modifier::Utf16 => out.push(Stage::Bytes(utf16(&value, false, true))),
            Modifier::Windash => match value {
                Stage::Sigma(s) => out.extend(windash_variants(&s).into_iter().map(Stage::Sigma)),
                Stage::Bytes(_) => {
                    return Err("windash applies to strings, not encoded bytes".into())
                }
            },
            Modifier::Expand => match value {
                Stage::Sigma(s) => {
                    out.extend(expand(&s, placeholders)?.into_iter().map(Stage::Sigma))
                }
                Stage::Bytes(_) => {
                    return Err("expand applies to strings, not encoded bytes".into())
                }
            },
            _ => out.push(value),
        }
    }
    Ok(out)
}

fn wrap(value: Stage, before: bool, after: bool) -> Stage {
    let mut s = value.into_sigma();
    // A trailing lone backslash would escape the added wildcard.
    if after && ends_with_unescaped_backslash(&s) {
        s.push('\\');
    }
    if before {
        s.insert(0, '*');
    }
    if after {
        s.push('*');
    }
    Stage::Sigma(s)
}

fn ends_with_unescaped_backslash(s: &str) -> bool {
    s.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

fn utf16(value: &Stage, big_endian: bool, bom: bool) -> Vec<u8> {
    let text = String::from_utf8_lossy(&value.plain_bytes()).into_owned();
    let mut out = Vec::with_capacity(text.len() * 2 + 2);
    if bom {
        out.extend_from_slice(&[0xFF, 0xFE]);
    }
    for unit in text.encode_utf16() {
        let bytes = if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        };
        out.extend_from_slice(&bytes);
    }
    out
}

/// The three base64 renderings of `value` at byte offsets 0, 1 and 2 within
/// a longer encoded string, without the characters that depend on the
/// surrounding bytes.
pub fn base64_offsets(value: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END_TRIM: [usize; 3] = [0, 3, 2];
    let mut out = Vec::with_capacity(3);
    for shift in 0..3 {
        let mut padded = vec![b' '; shift];
        padded.extend_from_slice(value);
        let encoded = base64::engine::general_purpose::STANDARD.encode(&padded);
        let trim = END_TRIM[(value.len() + shift) % 3];
        let end = encoded.len().saturating_sub(trim);
        let start = START[shift].min(end);
        out.push(encoded[start..end].to_string());
    }
    out
}

const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// Every variant of `value` with each dash that starts a word (a command-line
/// flag) replaced by each of `-`, `/`, en dash, em dash and horizontal bar.
pub fn windash_variants(value: &str) -> Vec<String> {
    let chars: Vec<char> = value.chars().collect();
    let positions: Vec<usize> = chars
        .iter()
        .enumerate()
        .filter(|&(i, c)| {
            DASHES.contains(c) && (i == 0 || chars[i - 1].is_whitespace() || chars[i - 1] == '*')
        })
        .map(|(i, _)| i)
        .collect();
    // Five variants per flag; more than four flags in one value would be a
    // rule that could not be meant, so the rest stay as written.
    let positions = &positions[..positions.len().min(4)];
    let mut variants = vec![chars.clone()];
    for &pos in positions {
        let mut next = Vec::with_capacity(variants.len() * DASHES.len());
        for variant in &variants {
            for dash in DASHES {
                let mut v = variant.clone();
                v[pos] = dash;
                next.push(v);
            }
        }
        variants = next;
    }
    let mut out: Vec<String> = variants
        .into_iter()
        .map(|v| v.into_iter().collect())
        .collect();
    out.dedup();
    out
}

/// Replaces `%name%` placeholders with every value supplied for them; `\%`
/// is a plain percent sign.
pub fn expand(
    value: &str,
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<Vec<String>, String> {
    let mut results = vec![String::new()];
    let mut rest = value;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("\\%") {
            for r in &mut results {
                r.push('%');
            }
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix('%') {
            if let Some(end) = after.find('%') {
                let name = &after[..end];
                let values = placeholders.get(name).ok_or_else(|| {
                    format!(
                        "placeholder %{name}% has no values; supply them with --placeholder {name}=VALUE[,VALUE…]"
                    )
                })?;
                results = results
                    .iter()
                    .flat_map(|r| values.iter().map(move |v| format!("{r}{v}")))
                    .collect();
                rest = &after[end + 1..];
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        for r in &mut results {
            r.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64offset_gives_the_three_shifts() {
        // The well-known renderings of "http://" at offsets 0, 1, 2.
        assert_eq!(
            base64_offsets(b"http://"),
            vec!["aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"]
        );
    }

    #[test]
    fn base64_encodes_the_plain_value() {
        let out = transform(
            Modifier::Base64,
            vec![Stage::Sigma("cmd".into())],
            &HashMap::new(),
        )
        .unwrap();
        assert_eq!(out, vec![Stage::Sigma("Y21k".into())]);
    }

    #[test]
    fn utf16_variants() {
        let v = Stage::Sigma("cmd".into());
        assert_eq!(utf16(&v, false, false), b"c\0m\0d\0");
        assert_eq!(utf16(&v, true, false), b"\0c\0m\0d");
        assert_eq!(utf16(&v, false, true), b"\xFF\xFEc\0m\0d\0");
    }

    #[test]
    fn wide_then_base64_matches_powershell_encoded_commands() {
        let wide = transform(
            Modifier::Utf16Le,
            vec![Stage::Sigma("ping".into())],
            &HashMap::new(),
        )
        .unwrap();
        let encoded = transform(Modifier::Base64, wide, &HashMap::new()).unwrap();
        assert_eq!(encoded, vec![Stage::Sigma("cABpAG4AZwA=".into())]);
    }

    #[test]
    fn windash_permutes_flags_only() {
        let v = windash_variants(" -exec bypass");
        assert_eq!(v.len(), 5);
        assert!(v.contains(&" /exec bypass".to_string()));
        assert!(v.contains(&" \u{2013}exec bypass".to_string()));
        assert!(v.contains(&" \u{2014}exec bypass".to_string()));
        assert!(v.contains(&" \u{2015}exec bypass".to_string()));
        assert_eq!(windash_variants("Get-Process").len(), 1);
        assert_eq!(windash_variants("-a -b").len(), 25);
    }

    #[test]
    fn expand_substitutes_placeholders() {
        let mut p = HashMap::new();
        p.insert(
            "Admins".to_string(),
            vec!["root".to_string(), "adm".to_string()],
        );
        assert_eq!(expand("%Admins%x", &p).unwrap(), vec!["rootx", "admx"]);
        assert_eq!(expand(r"\%Admins%", &p).unwrap(), vec!["%Admins%"]);
        assert!(expand("%Other%", &p)
            .unwrap_err()
            .contains("--placeholder Other="));
    }

    #[test]
    fn contains_keeps_a_trailing_backslash_literal() {
        let out = transform(
            Modifier::Contains,
            vec![Stage::Sigma(r"\Temp\".into())],
            &HashMap::new(),
        )
        .unwrap();
        assert_eq!(out, vec![Stage::Sigma(r"*\Temp\\*".into())]);
    }
}
