//! Evidence built to exhaust memory or time: each bound gives its documented
//! issue, naming the file and the line or record, and the rest is still read.
//! (The gigabyte line and the gzip bomb are tested in `lines.rs` and
//! `inflate.rs`, where their limits can be reached without writing them.)

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use vigil_sources::{discover, read_file, Mappings, SourceIssue};

/// Reads the one file in `folder` named `name`: the events' count and the issues.
fn read_one(folder: &Path, name: &str) -> (u64, Vec<SourceIssue>) {
    let (files, issues) = discover(&[folder.join(name)]);
    assert!(issues.is_empty(), "{issues:?}");
    let mut problems = Vec::new();
    let report = read_file(&files[0], &mut |_| {}, &mut |i| problems.push(i)).unwrap();
    assert_eq!(report.skipped as usize, problems.len());
    (report.events, problems)
}

const GOOD: &str = r#"{"EventID":4688,"Channel":"Security","CommandLine":"whoami"}"#;

#[test]
fn json_nested_past_the_limit_is_skipped_and_the_next_line_read() {
    let folder = tempfile::tempdir().unwrap();
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000));
    let deep_array = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
    let in_event = format!(
        r#"{{"Event":{{"System":{}1{}}}}}"#,
        r#"{"a":"#.repeat(10_000),
        "}".repeat(10_000)
    );
    let text = format!("{deep_object}\n{GOOD}\n{deep_array}\n{in_event}\n{GOOD}\n");
    std::fs::write(folder.path().join("deep.jsonl"), text).unwrap();

    let (events, issues) = read_one(folder.path(), "deep.jsonl");
    assert_eq!(events, 2);
    let places: Vec<&str> = issues.iter().map(|i| i.location.as_str()).collect();
    assert_eq!(places, ["line 1", "line 3", "line 4"]);
    for issue in &issues {
        assert!(issue.file.ends_with("deep.jsonl"));
        assert!(
            issue.reason.contains("recursion limit exceeded"),
            "{}",
            issue.reason
        );
    }
}

#[test]
fn a_record_of_a_million_fields_is_skipped_and_the_next_line_read() {
    let folder = tempfile::tempdir().unwrap();
    let mut file = std::fs::File::create(folder.path().join("wide.jsonl")).unwrap();
    let fields: Vec<String> = (0..1_000_000).map(|n| format!("\"f{n}\":1")).collect();
    writeln!(file, "{GOOD}").unwrap();
    writeln!(file, "{{{}}}", fields.join(",")).unwrap();
    writeln!(file, "{GOOD}").unwrap();
    drop(file);

    let started = Instant::now();
    let (events, issues) = read_one(folder.path(), "wide.jsonl");
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    assert_eq!(events, 2);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].location, "line 2");
    assert!(
        issues[0]
            .reason
            .starts_with("record has 1000000 fields, more than the 65536"),
        "{}",
        issues[0].reason
    );
}

#[test]
fn a_zeek_header_of_a_million_columns_gives_no_record_of_a_million_fields() {
    let folder = tempfile::tempdir().unwrap();
    let columns: Vec<String> = (0..1_000_000).map(|n| format!("c{n}")).collect();
    let values = vec!["1"; 1_000_000].join("\t");
    let text = format!(
        "#separator \\x09\n#path\tconn\n#fields\tts\t{}\n1700000000.0\t{values}\n#fields\tts\tuid\n1700000001.0\tC1\n",
        columns.join("\t")
    );
    std::fs::write(folder.path().join("conn.log"), text).unwrap();

    let (events, issues) = read_one(folder.path(), "conn.log");
    assert_eq!(events, 1);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].location, "line 4");
    assert!(
        issues[0].reason.contains("more than the 65536"),
        "{}",
        issues[0].reason
    );
}

#[test]
fn a_mapping_whose_aliases_explode_is_refused_naming_the_file() {
    let folder = tempfile::tempdir().unwrap();
    let anchor = vec!["x"; 20_000].join(",");
    let aliases = vec!["*a"; 1_000].join(",");
    let bomb = format!(
        "shapes:\n  - name: bomb\n    when: {{has: [a]}}\n    list: &a [{anchor}]\n    more: [{aliases}]\n"
    );
    let path = folder.path().join("mapping.yml");
    std::fs::write(&path, bomb).unwrap();
    let started = Instant::now();
    let error = Mappings::from_file(&path).unwrap_err();
    assert!(started.elapsed().as_secs() < 5);
    assert!(error.starts_with(&path.display().to_string()), "{error}");
    assert!(
        error.contains("expands to more than 1000000 values"),
        "{error}"
    );

    // Nested deep: refused before the YAML scanner, which would take minutes.
    let deep = format!(
        "shapes:\n  - name: deep\n    when: {{has: {}{}}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    std::fs::write(&path, deep).unwrap();
    let started = Instant::now();
    let error = Mappings::from_file(&path).unwrap_err();
    assert!(started.elapsed().as_secs() < 5);
    assert!(error.starts_with(&path.display().to_string()), "{error}");
    assert!(
        error.ends_with("`[` and `{` nested more than 256 deep; not read"),
        "{error}"
    );
}
