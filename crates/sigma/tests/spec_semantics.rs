//! The Sigma specification's semantics, one test per modifier and condition
//! form, each with a case that must match and one that must not.

use std::collections::HashMap;
use std::path::Path;

use vigil_event::{Event, FieldValue};
use vigil_sigma::{RuleSet, RuleSetBuilder, RuleSetOptions};

/// Compiles one rule from its `detection` block (YAML, indented by 4).
fn rule(detection: &str) -> RuleSet {
    rule_with(detection, HashMap::new())
}

fn rule_with(detection: &str, placeholders: HashMap<String, Vec<String>>) -> RuleSet {
    let text = format!(
        "title: t\nid: 11111111-1111-4111-8111-111111111111\nlevel: high\nlogsource:\n    product: windows\ndetection:\n{detection}"
    );
    let mut builder = RuleSetBuilder::new(RuleSetOptions {
        placeholders,
        ..RuleSetOptions::default()
    });
    builder.add_text(Path::new("t.yml"), &text);
    let (rules, report) = builder.build();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    rules
}

fn refusal(detection: &str) -> String {
    let text = format!("title: t\nlogsource:\n    product: windows\ndetection:\n{detection}");
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_text(Path::new("t.yml"), &text);
    let (_, report) = builder.build();
    assert_eq!(report.failed.len(), 1, "expected the rule to be refused");
    report.failed[0].to_string()
}

fn event(fields: &[(&str, FieldValue)]) -> Event {
    let mut e = Event::new("test");
    // The rules below are written for Windows, and a rule that names a
    // product runs only on events of it.
    e.product = Some("windows");
    for (k, v) in fields {
        e.insert(*k, v.clone());
    }
    e
}

fn s(v: &str) -> FieldValue {
    FieldValue::from(v)
}

fn hits(rules: &RuleSet, fields: &[(&str, FieldValue)]) -> bool {
    let mut out = Vec::new();
    rules.detect(&event(fields), &mut out);
    !out.is_empty()
}

#[test]
fn plain_values_match_whole_and_case_insensitively() {
    let r = rule("    sel:\n        Image: 'C:\\Windows\\cmd.exe'\n    condition: sel\n");
    assert!(hits(&r, &[("Image", s("c:\\windows\\CMD.EXE"))]));
    assert!(!hits(&r, &[("Image", s("c:\\windows\\cmd.exe.bak"))]));
    assert!(!hits(&r, &[("Other", s("c:\\windows\\cmd.exe"))]));
}

#[test]
fn lists_are_or_and_maps_are_and() {
    let r = rule("    sel:\n        EventID:\n            - 517\n            - 1102\n        Channel: Security\n    condition: sel\n");
    assert!(hits(
        &r,
        &[
            ("EventID", FieldValue::Int(1102)),
            ("Channel", s("Security"))
        ]
    ));
    assert!(hits(
        &r,
        &[("EventID", s("517")), ("Channel", s("security"))]
    ));
    assert!(!hits(
        &r,
        &[("EventID", FieldValue::Int(1102)), ("Channel", s("System"))]
    ));
    assert!(!hits(
        &r,
        &[
            ("EventID", FieldValue::Int(4624)),
            ("Channel", s("Security"))
        ]
    ));
}

#[test]
fn list_of_maps_is_or() {
    let r = rule("    sel:\n        - Image|endswith: '\\example.exe'\n        - Description|contains: 'Test executable'\n    condition: sel\n");
    assert!(hits(&r, &[("Image", s("C:\\x\\example.exe"))]));
    assert!(hits(&r, &[("Description", s("A test executable here"))]));
    assert!(!hits(&r, &[("Image", s("C:\\x\\other.exe"))]));
}

#[test]
fn wildcards_and_their_escapes() {
    let r = rule("    sel:\n        Image: 'prog?.exe'\n    condition: sel\n");
    assert!(hits(&r, &[("Image", s("progA.exe"))]));
    assert!(!hits(&r, &[("Image", s("prog.exe"))]));
    let r = rule("    sel:\n        Value: 'a\\*b'\n    condition: sel\n");
    assert!(hits(&r, &[("Value", s("a*b"))]));
    assert!(!hits(&r, &[("Value", s("axxb"))]));
    let r = rule("    sel:\n        Value: 'C:\\\\*'\n    condition: sel\n");
    assert!(
        hits(&r, &[("Value", s("C:\\anything"))]),
        "\\\\* is a backslash then a wildcard"
    );
    let r = rule("    sel:\n        Value: 'a\\\\\\*'\n    condition: sel\n");
    assert!(
        hits(&r, &[("Value", s("a\\*"))]),
        "\\\\\\* is a backslash and a plain star"
    );
    assert!(!hits(&r, &[("Value", s("a\\x"))]));
    let r = rule("    sel:\n        Value: 'a\\\\\\\\b'\n    condition: sel\n");
    assert!(
        hits(&r, &[("Value", s("a\\\\b"))]),
        "four backslashes are two"
    );
}

#[test]
fn contains_startswith_endswith() {
    let r = rule("    sel:\n        CommandLine|contains: 'mimikatz'\n    condition: sel\n");
    assert!(hits(&r, &[("CommandLine", s("run MIMIKATZ now"))]));
    assert!(!hits(&r, &[("CommandLine", s("mimi katz"))]));
    let r = rule("    sel:\n        Image|startswith: 'C:\\Temp\\'\n    condition: sel\n");
    assert!(hits(&r, &[("Image", s("c:\\temp\\a.exe"))]));
    assert!(!hits(&r, &[("Image", s("d:\\c:\\temp\\a.exe"))]));
    let r = rule("    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel\n");
    assert!(hits(&r, &[("Image", s("C:\\Windows\\System32\\cmd.exe"))]));
    assert!(!hits(
        &r,
        &[("Image", s("C:\\Windows\\System32\\cmd.exe.mui"))]
    ));
}

#[test]
fn all_links_list_values_with_and() {
    let r = rule("    sel:\n        CommandLine|contains|all:\n            - ' -enc '\n            - 'hidden'\n    condition: sel\n");
    assert!(hits(
        &r,
        &[("CommandLine", s("powershell -w hidden -enc AAA"))]
    ));
    assert!(!hits(&r, &[("CommandLine", s("powershell -enc AAA"))]));
}

#[test]
fn keywords_search_every_field() {
    let r = rule("    keywords:\n        - 'event::clear'\n        - 'event::drop'\n    condition: keywords\n");
    assert!(hits(
        &r,
        &[("A", s("x")), ("Payload", s("mimikatz # event::drop"))]
    ));
    assert!(!hits(&r, &[("Payload", s("event clear"))]));
    let r = rule("    keywords:\n        '|all':\n            - 'OabVirtualDirectory'\n            - ' -ExternalUrl '\n    condition: keywords\n");
    assert!(hits(
        &r,
        &[(
            "Payload",
            s("Set-OabVirtualDirectory -ExternalUrl http://x")
        )]
    ));
    assert!(!hits(&r, &[("Payload", s("Set-OabVirtualDirectory"))]));
    // Keywords also look inside list values (unnamed EventData).
    let r = rule("    keywords: 'needle'\n    condition: keywords\n");
    assert!(hits(
        &r,
        &[("Data", FieldValue::List(vec![s("hay"), s("the NEEDLE")]))]
    ));
}

#[test]
fn re_is_case_sensitive_unless_i() {
    let r = rule("    sel:\n        CommandLine|re: 'Invoke-[A-Z]+'\n    condition: sel\n");
    assert!(hits(&r, &[("CommandLine", s("x Invoke-MIMI"))]));
    assert!(!hits(&r, &[("CommandLine", s("x invoke-mimi"))]));
    let r = rule("    sel:\n        CommandLine|re|i: 'invoke-[a-z]+'\n    condition: sel\n");
    assert!(hits(&r, &[("CommandLine", s("x INVOKE-MIMI"))]));
    let r = rule("    sel:\n        Text|re|m: '^second$'\n    condition: sel\n");
    assert!(hits(&r, &[("Text", s("first\nsecond\nthird"))]));
    let r = rule("    sel:\n        Text|re: '^second$'\n    condition: sel\n");
    assert!(!hits(&r, &[("Text", s("first\nsecond\nthird"))]));
    let r = rule("    sel:\n        Text|re|s: 'a.b'\n    condition: sel\n");
    assert!(hits(&r, &[("Text", s("a\nb"))]));
    let r = rule("    sel:\n        Text|re: 'a.b'\n    condition: sel\n");
    assert!(!hits(&r, &[("Text", s("a\nb"))]));
}

#[test]
fn base64_and_base64offset() {
    let r = rule("    sel:\n        Data|base64: 'cmd'\n    condition: sel\n");
    assert!(hits(&r, &[("Data", s("Y21k"))]));
    assert!(!hits(&r, &[("Data", s("cmd"))]));
    let r = rule(
        "    sel:\n        CommandLine|base64offset|contains: 'http://'\n    condition: sel\n",
    );
    // "http://" encoded at each of the three offsets inside a longer string.
    for prefix in ["", "a", "ab"] {
        let encoded = base64_encode(format!("{prefix}http://evil").as_bytes());
        assert!(
            hits(
                &r,
                &[("CommandLine", s(&format!("powershell -e {encoded}")))]
            ),
            "offset {}",
            prefix.len()
        );
    }
    assert!(!hits(&r, &[("CommandLine", s(&base64_encode(b"https:/")))]));
}

#[test]
fn utf16_encodings_before_base64() {
    let r = rule(
        "    sel:\n        CommandLine|wide|base64offset|contains: 'ping'\n    condition: sel\n",
    );
    let wide: Vec<u8> = "xping 1.1.1.1"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    assert!(hits(
        &r,
        &[(
            "CommandLine",
            s(&format!("powershell -enc {}", base64_encode(&wide)))
        )]
    ));
    let r = rule("    sel:\n        CommandLine|utf16le|base64: 'ping'\n    condition: sel\n");
    assert!(hits(&r, &[("CommandLine", s("cABpAG4AZwA="))]));
    let r = rule("    sel:\n        CommandLine|utf16be|base64: 'ping'\n    condition: sel\n");
    assert!(hits(&r, &[("CommandLine", s("AHAAaQBuAGc="))]));
    let r = rule("    sel:\n        CommandLine|utf16|base64: 'ping'\n    condition: sel\n");
    assert!(hits(&r, &[("CommandLine", s("//5wAGkAbgBnAA=="))]));
}

#[test]
fn windash_matches_every_dash() {
    let r = rule(
        "    sel:\n        CommandLine|windash|contains: ' -exec bypass'\n    condition: sel\n",
    );
    for dash in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
        assert!(
            hits(
                &r,
                &[("CommandLine", s(&format!("powershell {dash}exec bypass")))]
            ),
            "{dash}"
        );
    }
    assert!(!hits(&r, &[("CommandLine", s("powershell +exec bypass"))]));
}

#[test]
fn cidr_v4_and_v6() {
    let r = rule("    sel:\n        DestinationIp|cidr:\n            - '10.0.0.0/8'\n            - 'fe80::/10'\n    condition: sel\n");
    assert!(hits(&r, &[("DestinationIp", s("10.20.30.40"))]));
    assert!(hits(&r, &[("DestinationIp", s("fe80::1"))]));
    assert!(hits(&r, &[("DestinationIp", s("::ffff:10.1.1.1"))]));
    assert!(!hits(&r, &[("DestinationIp", s("11.0.0.1"))]));
    assert!(!hits(&r, &[("DestinationIp", s("2001:db8::1"))]));
    assert!(!hits(&r, &[("DestinationIp", s("not an ip"))]));
}

#[test]
fn exists_true_and_false() {
    let r = rule("    sel:\n        Signature|exists: true\n    condition: sel\n");
    assert!(
        hits(&r, &[("Signature", s(""))]),
        "exists ignores the value, even empty"
    );
    assert!(!hits(&r, &[("Other", s("x"))]));
    let r =
        rule("    sel:\n        Signature|exists: false\n        Image: a\n    condition: sel\n");
    assert!(hits(&r, &[("Image", s("a"))]));
    assert!(!hits(
        &r,
        &[("Image", s("a")), ("Signature", FieldValue::Null)]
    ));
}

#[test]
fn null_means_missing_or_null_or_empty() {
    let r = rule("    sel:\n        EventID: 4738\n    filter:\n        PasswordLastSet: null\n    condition: sel and not filter\n");
    assert!(hits(
        &r,
        &[
            ("EventID", FieldValue::Int(4738)),
            ("PasswordLastSet", s("1/1/2026"))
        ]
    ));
    assert!(!hits(&r, &[("EventID", FieldValue::Int(4738))]));
    assert!(!hits(
        &r,
        &[
            ("EventID", FieldValue::Int(4738)),
            ("PasswordLastSet", FieldValue::Null)
        ]
    ));
    let r = rule("    sel:\n        FieldB: ''\n    condition: sel\n");
    assert!(hits(&r, &[("FieldB", s(""))]));
    assert!(!hits(&r, &[("FieldB", s("x"))]));
}

#[test]
fn fieldref_compares_two_fields() {
    let r =
        rule("    sel:\n        TargetUserName|fieldref: SubjectUserName\n    condition: sel\n");
    assert!(hits(
        &r,
        &[
            ("TargetUserName", s("Alice")),
            ("SubjectUserName", s("alice"))
        ]
    ));
    assert!(!hits(
        &r,
        &[
            ("TargetUserName", s("alice")),
            ("SubjectUserName", s("bob"))
        ]
    ));
    assert!(!hits(&r, &[("TargetUserName", s("alice"))]));
    let r = rule("    sel:\n        CommandLine|fieldref|contains: Image\n    condition: sel\n");
    assert!(hits(
        &r,
        &[
            ("CommandLine", s("\"c:\\a.exe\" -x")),
            ("Image", s("C:\\A.exe"))
        ]
    ));
    let r = rule("    sel:\n        A|fieldref|neq: B\n    condition: sel\n");
    assert!(hits(&r, &[("A", s("x")), ("B", s("y"))]));
    assert!(!hits(&r, &[("A", s("x")), ("B", s("x"))]));
}

#[test]
fn cased_matches_case_sensitively() {
    let r =
        rule("    sel:\n        CommandLine|cased|contains: 'ShadowCopy'\n    condition: sel\n");
    assert!(hits(&r, &[("CommandLine", s("delete ShadowCopy"))]));
    assert!(!hits(&r, &[("CommandLine", s("delete shadowcopy"))]));
}

#[test]
fn numeric_comparisons() {
    let r = rule("    sel:\n        Bytes|gt: 1000\n    condition: sel\n");
    assert!(hits(&r, &[("Bytes", FieldValue::Int(1001))]));
    assert!(hits(&r, &[("Bytes", s("5000"))]));
    assert!(!hits(&r, &[("Bytes", FieldValue::Int(1000))]));
    assert!(!hits(&r, &[("Bytes", s("many"))]));
    let r = rule("    sel:\n        Bytes|gte: 1000\n    condition: sel\n");
    assert!(hits(&r, &[("Bytes", FieldValue::Int(1000))]));
    let r = rule("    sel:\n        Bytes|lt: 10\n    condition: sel\n");
    assert!(hits(&r, &[("Bytes", FieldValue::Float(9.5))]));
    assert!(!hits(&r, &[("Bytes", FieldValue::Int(10))]));
    let r = rule("    sel:\n        Bytes|lte: 10\n    condition: sel\n");
    assert!(hits(&r, &[("Bytes", FieldValue::Int(10))]));
}

#[test]
fn neq_requires_a_different_value() {
    let r = rule(
        "    sel:\n        LogonType|neq:\n            - 3\n            - 5\n    condition: sel\n",
    );
    assert!(hits(&r, &[("LogonType", FieldValue::Int(10))]));
    assert!(!hits(&r, &[("LogonType", FieldValue::Int(3))]));
    assert!(!hits(&r, &[("LogonType", s("5"))]));
    assert!(
        !hits(&r, &[("Other", s("5"))]),
        "a missing field is not a different value"
    );
}

#[test]
fn time_modifiers_extract_parts() {
    let r = rule("    sel:\n        UtcTime|hour|gte: 22\n    condition: sel\n");
    assert!(hits(&r, &[("UtcTime", s("2026-03-02 23:10:00.000"))]));
    assert!(!hits(&r, &[("UtcTime", s("2026-03-02 08:10:00.000"))]));
    let r = rule("    sel:\n        UtcTime|month: 3\n    condition: sel\n");
    assert!(hits(&r, &[("UtcTime", s("2026-03-02T08:10:00Z"))]));
    assert!(!hits(&r, &[("UtcTime", s("2026-04-02T08:10:00Z"))]));
}

#[test]
fn expand_uses_supplied_placeholder_values() {
    let mut p = HashMap::new();
    p.insert(
        "Admins".to_string(),
        vec!["adm_*".to_string(), "root".to_string()],
    );
    let r = rule_with(
        "    sel:\n        User|expand: '%Admins%'\n    condition: sel\n",
        p,
    );
    assert!(hits(&r, &[("User", s("adm_alice"))]));
    assert!(hits(&r, &[("User", s("root"))]));
    assert!(!hits(&r, &[("User", s("alice"))]));
    assert!(
        refusal("    sel:\n        User|expand: '%Admins%'\n    condition: sel\n")
            .contains("--placeholder Admins=")
    );
}

#[test]
fn numbers_match_numbers_and_text() {
    let r = rule("    sel:\n        EventID: 4688\n    condition: sel\n");
    assert!(hits(&r, &[("EventID", FieldValue::Int(4688))]));
    assert!(hits(&r, &[("EventID", s("4688"))]));
    assert!(!hits(&r, &[("EventID", s("46880"))]));
    let r = rule("    sel:\n        Code|contains: 00000429\n    condition: sel\n");
    assert!(hits(&r, &[("Code", s("0x00000429"))]));
}

#[test]
fn condition_forms() {
    let base = "    sel1:\n        A: 1\n    sel2:\n        B: 1\n    filter_x:\n        C: 1\n    _hidden:\n        D: 1\n";
    let with = |c: &str| rule(&format!("{base}    condition: {c}\n"));
    let e = |a: i64, b: i64, c: i64, d: i64| {
        [
            ("A", FieldValue::Int(a)),
            ("B", FieldValue::Int(b)),
            ("C", FieldValue::Int(c)),
            ("D", FieldValue::Int(d)),
        ]
    };
    let r = with("sel1 and not filter_x");
    assert!(hits(&r, &e(1, 0, 0, 0)));
    assert!(!hits(&r, &e(1, 0, 1, 0)));
    let r = with("sel1 or sel2 and filter_x");
    assert!(hits(&r, &e(1, 0, 0, 0)), "and binds tighter than or");
    assert!(!hits(&r, &e(0, 1, 0, 0)));
    let r = with("(sel1 or sel2) and filter_x");
    assert!(!hits(&r, &e(1, 0, 0, 0)));
    assert!(hits(&r, &e(0, 1, 1, 0)));
    let r = with("1 of sel*");
    assert!(hits(&r, &e(0, 1, 0, 0)));
    assert!(!hits(&r, &e(0, 0, 1, 0)));
    let r = with("all of sel*");
    assert!(hits(&r, &e(1, 1, 0, 0)));
    assert!(!hits(&r, &e(1, 0, 0, 0)));
    let r = with("all of them");
    assert!(
        hits(&r, &e(1, 1, 1, 0)),
        "them excludes identifiers starting with _"
    );
    assert!(!hits(&r, &e(1, 1, 0, 1)));
    let r = with("1 of them");
    assert!(!hits(&r, &e(0, 0, 0, 1)));
    assert!(hits(&r, &e(0, 0, 1, 0)));
    let r = with("not 1 of filter* and sel1");
    assert!(hits(&r, &e(1, 0, 0, 0)));
    assert!(!hits(&r, &e(1, 0, 1, 0)));
    let r = with("2 of them");
    assert!(hits(&r, &e(1, 0, 1, 0)));
    assert!(!hits(&r, &e(1, 0, 0, 0)));
    let r = rule(&format!(
        "{base}    condition:\n        - sel1 and sel2\n        - filter_x\n"
    ));
    assert!(hits(&r, &e(0, 0, 1, 0)), "a list of conditions is OR-ed");
    assert!(hits(&r, &e(1, 1, 0, 0)));
    assert!(!hits(&r, &e(1, 0, 0, 0)));
}

#[test]
fn invalid_rules_are_refused_with_reasons() {
    assert!(
        refusal("    sel:\n        A|nosuchmod: 1\n    condition: sel\n")
            .contains("unknown modifier 'nosuchmod'")
    );
    assert!(
        refusal("    sel:\n        A: 1\n    condition: sel and missing\n")
            .contains("no search identifier named 'missing'")
    );
    assert!(
        refusal("    sel:\n        A|re: '(unclosed'\n    condition: sel\n")
            .contains("invalid regular expression")
    );
    assert!(
        refusal("    sel:\n        A|cidr: 'nonsense'\n    condition: sel\n")
            .contains("not a CIDR range")
    );
    assert!(
        refusal("    sel:\n        A: 1\n    condition: sel | count() > 5\n")
            .contains("correlation rule")
    );
    assert!(
        refusal("    sel:\n        A|exists: maybe\n    condition: sel\n")
            .contains("exists takes true or false")
    );
}

#[test]
fn field_mapping_follows_the_logsource() {
    let text = "title: t\nid: 1\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n        Image|endswith: '\\whoami.exe'\n    condition: sel\n";
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_text(Path::new("t.yml"), text);
    let (r, _) = builder.build();
    let security = |id: i64, image: &str| {
        [
            ("Channel", s("Security")),
            ("EventID", FieldValue::Int(id)),
            ("NewProcessName", s(image)),
        ]
    };
    assert!(hits(
        &r,
        &security(4688, "C:\\Windows\\System32\\whoami.exe")
    ));
    assert!(
        !hits(&r, &security(4624, "C:\\Windows\\System32\\whoami.exe")),
        "wrong EventID"
    );
    let sysmon = |channel: &str| {
        [
            ("Channel", s(channel)),
            ("EventID", FieldValue::Int(1)),
            ("Image", s("C:\\Windows\\System32\\whoami.exe")),
        ]
    };
    assert!(hits(&r, &sysmon("Microsoft-Windows-Sysmon/Operational")));
    assert!(!hits(&r, &sysmon("System")), "EventID 1 of another channel");
}

#[test]
fn filters_suppress_the_rules_they_name() {
    let rule_text = "title: Rar use\nid: 6f3e2987-db24-4c78-a860-b4f4095a7095\nlogsource:\n    product: windows\ndetection:\n    sel:\n        Image|endswith: '\\rar.exe'\n    condition: sel\n";
    let filter_text = "title: Admins\nlogsource:\n    product: windows\nfilter:\n    rules:\n        - 6f3e2987-db24-4c78-a860-b4f4095a7095\n    selection:\n        User|startswith: 'adm_'\n    condition: selection\n";
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_text(Path::new("r.yml"), rule_text);
    builder.add_text(Path::new("f.yml"), filter_text);
    let (r, report) = builder.build();
    assert_eq!(report.filters, 1);
    assert!(hits(
        &r,
        &[("Image", s("c:\\rar.exe")), ("User", s("alice"))]
    ));
    assert!(!hits(
        &r,
        &[("Image", s("c:\\rar.exe")), ("User", s("adm_alice"))]
    ));
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
