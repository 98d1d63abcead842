//! `vigil case --lang de` over a simulated intrusion: report.md and
//! report.html in German, the JSON files as in English.

use std::path::Path;
use std::process::{Command, Output};

fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .output()
        .expect("the vigil binary runs")
}

/// Runs `vigil case` over the simulated estate in `sim` into `case`.
fn case(sim: &Path, case: &Path, lang: &[&str]) {
    let sim = sim.to_str().unwrap();
    let mut args = vec![
        "case".to_string(),
        format!("{sim}/windows"),
        format!("{sim}/network"),
        "--inventory".into(),
        format!("{sim}/inventory.yaml"),
        "--aware-at".into(),
        "2026-03-04T08:00:00Z".into(),
        "--out".into(),
        case.to_str().unwrap().into(),
        "-q".into(),
    ];
    args.extend(lang.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = vigil(&args);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_case_report_is_written_in_german_with_lang_de() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    assert!(
        vigil(&["simulate", "--out", sim.to_str().unwrap(), "--seed", "7"])
            .status
            .success()
    );
    let (de, en) = (dir.path().join("de"), dir.path().join("en"));
    case(&sim, &de, &["--lang", "de"]);
    case(&sim, &en, &[]);

    let md = std::fs::read_to_string(de.join("report.md")).unwrap();
    for heading in [
        "# Sicherheitsvorfälle",
        "### Betroffene Systeme",
        "# Wurden Daten entwendet?",
        "## Eindämmungsplan",
        "### In dieser Reihenfolge",
        "### Was es kostet",
        "## Meldefristen",
        "(Art. 33 Abs. 3 DSGVO)",
        "## Mitteilung an Kundinnen und Kunden (Entwurf)",
        "## Beweismittelverzeichnis",
        "## Grenzen der Analyse",
        "Art. 24 revDSG / nDSG",
        "Meldung an den EDÖB",
        "Befunde aus den Ereignissen sind im englischen Original wiedergegeben",
    ] {
        assert!(md.contains(heading), "{heading} in report.md");
    }
    let english_md = std::fs::read_to_string(en.join("report.md")).unwrap();
    for heading in english_md.lines().filter(|l| l.starts_with('#')) {
        assert!(
            !md.lines().any(|l| l == heading),
            "English heading left in the German report.md: {heading}"
        );
    }

    let html = std::fs::read_to_string(de.join("report.html")).unwrap();
    assert!(html.contains("<html lang=\"de\">"));
    for heading in [
        "<h2>Zusammenfassung</h2>",
        "<h2>Was geschehen ist</h2>",
        "<h2>Eindämmungsplan</h2>",
        "<h2>Meldefristen</h2>",
        "<h2>Beweismittelverzeichnis</h2>",
        "<h2>Grenzen der Analyse</h2>",
    ] {
        assert!(html.contains(heading), "{heading} in report.html");
    }
    let english_html = std::fs::read_to_string(en.join("report.html")).unwrap();
    assert!(english_html.contains("<html lang=\"en\">"));
    for line in english_html.lines().filter(|l| l.starts_with("<h2>")) {
        assert!(!html.contains(line), "English heading left: {line}");
    }

    // The plan's own sentences are German: none of the English plan's steps,
    // reasons for a host's action or summary is left in the German report.
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(en.join("containment.json")).unwrap()).unwrap();
    let mut sentences = vec![plan["summary"].as_str().unwrap().to_string()];
    for step in plan["order"].as_array().unwrap() {
        sentences.push(step["action"].as_str().unwrap().into());
        sentences.push(step["why"].as_str().unwrap().into());
    }
    for host in plan["hosts"].as_array().unwrap() {
        sentences.push(host["why"].as_str().unwrap().into());
    }
    let mut checked = 0;
    for sentence in &sentences {
        // Up to the first character Markdown escapes, as the report shows it.
        let shown = sentence
            .split(|c| "\\<>&'\"*_|`[]".contains(c))
            .next()
            .unwrap();
        // A short prefix may be quoted in the incidents' own reasoning.
        if shown.len() < 30 {
            continue;
        }
        checked += 1;
        assert!(english_md.contains(shown), "{shown} in English");
        assert!(!md.contains(shown), "left in English: {shown}");
    }
    assert!(checked > 6, "{sentences:?}");
    assert!(md.contains("die externen Adressen und Domains an der Perimeter-Firewall"));
    assert!(html.contains("Host(s) isolieren"));
    // Each incident's summary, from its facts.
    let incidents: serde_json::Value =
        serde_json::from_slice(&std::fs::read(en.join("incidents.json")).unwrap()).unwrap();
    for incident in incidents["incidents"].as_array().unwrap() {
        let summary = incident["summary"].as_str().unwrap();
        assert!(!md.contains(summary), "left in English: {summary}");
    }
    assert!(md.contains("Host(s) betroffen, beginnend auf"));
    assert!(md.contains("Gesehene Phasen: "));
    assert!(md.contains("## Sicherheitsvorfall 1 — kritisch — "));
    assert!(html.contains("Sicherheitsvorfall 1 (kritisch)"));
    assert!(html.contains("Host(s) betroffen, beginnend auf"));
    // What each action costs, in German too.
    assert!(md.contains("eingeschränkt: bedient seine abhängigen Hosts weiter"));
    assert!(!md.contains("restricted: it keeps serving its dependants"));

    // The data files do not depend on the language.
    for file in ["containment.json", "incidents.json"] {
        assert_eq!(
            std::fs::read(de.join(file)).unwrap(),
            std::fs::read(en.join(file)).unwrap(),
            "{file}"
        );
    }
    let clocks = std::fs::read_to_string(de.join("notification.json")).unwrap();
    assert!(clocks.contains("GDPR Art. 33") && !clocks.contains("DSGVO"));
}
