//! Rule sets built to exhaust memory or time when loaded, compiled or
//! matched: each is refused with an error naming its file (or compiled within
//! a bound), and the other rules still load and match.

use std::path::Path;
use std::time::Instant;

use vigil_event::{Event, FieldValue};
use vigil_sigma::{RuleSet, RuleSetBuilder, RuleSetOptions};

const GOOD: &str = "title: Whoami
id: 00000000-0000-4000-8000-000000000001
level: high
logsource: { product: windows, category: process_creation }
detection:
    selection:
        CommandLine|contains: whoami
    condition: selection
";

fn rule_with(search: &str) -> String {
    format!(
        "title: Hostile\nid: 00000000-0000-4000-8000-000000000002\nlevel: high\nlogsource: {{ product: windows, category: process_creation }}\ndetection:\n    selection:\n        {search}\n    condition: selection\n"
    )
}

fn process_start(command_line: &str) -> Event {
    let mut event = Event::new("Security.evtx");
    event.product = Some("windows");
    event.insert("Channel", FieldValue::from("Security"));
    event.insert("EventID", FieldValue::Int(4688));
    event.insert("CommandLine", FieldValue::from(command_line));
    event
}

fn titles(rules: &RuleSet, event: &Event) -> Vec<String> {
    let mut found = Vec::new();
    rules.detect(event, &mut found);
    let mut titles: Vec<String> = found.iter().map(|d| d.rule_title.to_string()).collect();
    titles.sort();
    titles
}

/// Loads the good rule and `hostile` from files in a folder, as `--rules DIR`
/// does: the rule set, and the reason the hostile file was refused, if it was.
fn load_beside_good(hostile: &str) -> (RuleSet, Option<String>) {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("good.yml"), GOOD).unwrap();
    std::fs::write(folder.path().join("hostile.yml"), hostile).unwrap();
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_path(folder.path());
    let (rules, report) = builder.build();
    let refused = report
        .failed
        .iter()
        .find(|e| e.path.ends_with("hostile.yml"));
    assert!(
        report
            .failed
            .iter()
            .all(|e| e.path.ends_with("hostile.yml")),
        "{:?}",
        report.failed
    );
    let good = titles(&rules, &process_start("whoami /all"));
    assert!(good.contains(&"Whoami".to_string()), "{good:?}");
    (rules, refused.map(|e| e.reason.clone()))
}

#[test]
fn aliases_that_repeat_a_large_anchor_are_refused() {
    let anchor = vec!["x"; 20_000].join(",");
    let aliases = vec!["*a"; 1_000].join(",");
    let bomb = rule_with(&format!(
        "CommandLine|contains: &a [{anchor}]\n    other:\n        CommandLine: [{aliases}]"
    ));
    let started = Instant::now();
    let (_, refused) = load_beside_good(&bomb);
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    let reason = refused.expect("the bomb is refused");
    assert!(
        reason.contains("expands to more than 1000000 values"),
        "{reason}"
    );
}

#[test]
fn the_classic_billion_laughs_is_refused() {
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for level in 1..9u8 {
        let (name, previous) = ((b'a' + level) as char, (b'a' + level - 1) as char);
        let refs = vec![format!("*{previous}"); 9].join(",");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    let started = Instant::now();
    let (_, refused) = load_beside_good(&bomb);
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    let reason = refused.expect("the bomb is refused");
    assert!(
        reason.contains("expands to more than") || reason.contains("repetition limit exceeded"),
        "{reason}"
    );
}

#[test]
fn yaml_nested_past_the_limit_is_refused() {
    let deep = rule_with(&format!(
        "CommandLine: {}x{}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    ));
    let (_, refused) = load_beside_good(&deep);
    let reason = refused.expect("the deep rule is refused");
    assert_eq!(reason, "`[` and `{` nested more than 256 deep; not read");
}

#[test]
fn a_regular_expression_past_the_size_limit_is_refused() {
    let started = Instant::now();
    let (_, refused) = load_beside_good(&rule_with(r"CommandLine|re: '(?:\w{100}){100}'"));
    let reason = refused.expect("the expression is refused");
    assert!(
        reason.contains("invalid regular expression") && reason.contains("size limit"),
        "{reason}"
    );
    // A huge alternation (200,000 words) fits the limit: it compiles, and
    // matching stays linear in the text, even a megabyte of it.
    let words: Vec<String> = (0..200_000).map(|n| format!("w{n:x}q")).collect();
    let (rules, refused) = load_beside_good(&rule_with(&format!(
        "CommandLine|re: '(?:{})'",
        words.join("|")
    )));
    assert_eq!(refused, None);
    assert_eq!(
        titles(&rules, &process_start("run w2f3aq now")),
        ["Hostile"]
    );
    let long = "w1 ".repeat(350_000);
    let matching = Instant::now();
    assert!(titles(&rules, &process_start(&long)).is_empty());
    assert!(matching.elapsed().as_secs() < 5, "{:?}", matching.elapsed());
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
}

#[test]
fn a_rule_file_past_the_size_limit_is_refused() {
    let padding = format!("# {}\n", "x".repeat(1 << 20)).repeat(17);
    let (_, refused) = load_beside_good(&format!("{padding}{}", rule_with("CommandLine: x")));
    let reason = refused.expect("the file is refused");
    assert!(
        reason.contains("more than the 16 MiB a rule file may be"),
        "{reason}"
    );
}

/// Distinct long literals, as a rule set built to make the prefilter's
/// automata explode would hold them.
fn long_literal(n: usize, length: usize) -> String {
    let mut state = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (b'a' + (state % 26) as u8) as char
        })
        .collect()
}

#[test]
fn literals_past_the_automaton_bound_are_matched_without_it() {
    // 80 rules (a DFA would be tried for up to 100 literals) of 64 KiB each:
    // 5 MiB of literals, past the 4 MiB an automaton is built from.
    let mut text = String::new();
    for n in 0..80 {
        text.push_str(&format!(
            "title: Long {n}\nid: 00000000-0000-4000-8000-{n:012}\nlevel: high\nlogsource: {{ product: windows, category: process_creation }}\ndetection:\n    selection:\n        CommandLine|contains: {}\n    condition: selection\n---\n",
            long_literal(n, 64 << 10)
        ));
    }
    text.push_str(GOOD);
    let started = Instant::now();
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_text(Path::new("long.yml"), &text);
    let (rules, report) = builder.build();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    // The long literals' rules are evaluated without the prefilter, and still match.
    let (gated, all) = rules.prefilter_coverage();
    assert_eq!(all, 81);
    assert!(gated <= 1, "{gated} gated");
    let event = process_start(&format!("cmd /c {} whoami", long_literal(7, 64 << 10)));
    assert_eq!(titles(&rules, &event), ["Long 7", "Whoami"]);
}
