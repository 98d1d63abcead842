//! The page against hostile evidence: names that try to close tags, add
//! attributes or start scripts come out as text.

use chrono::{DateTime, Duration, Utc};
use vigil_event::Level;
use vigil_incident::{
    AccountChange, AccountChangeKind, AffectedHost, CredentialExposure, DetectionRef, Edge,
    EventRef, Incident, Method, PatientZero, Report,
};

use super::*;

pub(crate) const SCRIPT: &str = "WS-<script>alert(1)</script>";
pub(crate) const IMG: &str = "\"><img src=x onerror=alert(2)>";
const STYLE_END: &str = "</style><b>x</b>";
const QUOTE: &str = "o'brien\"&co";

fn at(minutes: i64) -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(minutes)
}

fn host(name: &str, first: i64) -> AffectedHost {
    AffectedHost {
        host: name.into(),
        role: Some(STYLE_END.into()),
        first_evidence: at(first),
        last_evidence: at(first + 30),
        detections: vec![format!("rule {SCRIPT}")],
        reached_by: vec![],
        origin: None,
    }
}

pub(crate) fn hostile_report() -> Report {
    let edge = |from: &str, to: &str, minutes| Edge {
        from: from.into(),
        to: to.into(),
        time: at(minutes),
        account: Some(QUOTE.into()),
        method: Method::Service,
        strong: true,
        evidence: vec![],
        events: vec![EventRef {
            source: "<script>.evtx".into(),
            record: Some(1),
            line: None,
            event_id: Some(7045),
        }],
        sessions: vec![],
        processes: vec![],
    };
    let incident = Incident {
        id: 1,
        severity: Level::Critical,
        first_evidence: at(0),
        last_evidence: at(60),
        tactics: vec![],
        summary: format!("summary {IMG}"),
        patient_zero: Some(PatientZero {
            host: SCRIPT.into(),
            reasoning: STYLE_END.into(),
        }),
        hosts: vec![host(SCRIPT, 0), host(IMG, 10), host("DC-01", 20)],
        lateral_movement: vec![edge(SCRIPT, IMG, 10), edge(IMG, "DC-01", 20)],
        attacker_accounts: vec![QUOTE.into()],
        credentials: CredentialExposure {
            domain_wide: vec![],
            accounts: vec![],
            machine_accounts: vec![],
            not_covered: vec![format!("not covered {IMG}")],
        },
        account_changes: vec![AccountChange {
            account: IMG.into(),
            change: AccountChangeKind::Created,
            group: Some(STYLE_END.into()),
            by: Some(QUOTE.into()),
            host: "DC-01".into(),
            time: at(25),
            action: "disable".into(),
            events: vec![],
        }],
        credential_attacks: vec![],
        detections: vec![DetectionRef {
            time: at(5),
            host: SCRIPT.into(),
            rule_title: SCRIPT.into(),
            level: Level::High,
            record_id: None,
            source: "x".into(),
            finding: false,
        }],
    };
    Report {
        events: 10,
        detections: 1,
        unattached_detections: 0,
        incidents: vec![incident],
    }
}

fn page(report: &Report) -> String {
    page_in(report, Lang::En)
}

fn page_in(report: &Report, lang: Lang) -> String {
    let changes = crate::attacker_account_changes(&report.incidents);
    let plan = crate::plan(&crate::Inputs {
        incidents: &report.incidents,
        account_changes: &changes,
        ..crate::Inputs::default()
    });
    let awareness = crate::awareness(None, &report.incidents);
    let clocks = crate::clocks(awareness.as_ref(), at(120));
    let contents = crate::art33_contents(&report.incidents, None, Some(&plan), None);
    let mut manifest = Manifest::new("0.0.0", vec!["vigil".into(), SCRIPT.into()], at(120));
    manifest.evidence.push(crate::manifest::EvidenceFile {
        path: format!("evidence/{IMG}.evtx"),
        size: Some(1024),
        sha256: Some("ab".repeat(32)),
        first_event: None,
        last_event: None,
        problem: None,
    });
    render(&Case {
        report,
        assessment: None,
        plan: &plan,
        awareness: awareness.as_ref(),
        clocks: &clocks,
        contents: &contents,
        manifest: &manifest,
        inventory: None,
        lang,
    })
}

#[test]
fn the_five_characters_are_escaped() {
    assert_eq!(
        escape("<a href=\"x\" title='y'>&</a>\u{7}"),
        "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
    );
}

#[test]
fn hostile_names_come_out_as_text() {
    let html = page(&hostile_report());
    // The names are there, as text.
    assert!(html.contains("WS-&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(html.contains("&lt;/style&gt;&lt;b&gt;x&lt;/b&gt;"));
    assert!(html.contains("o&#39;brien&quot;&amp;co"));
    // And never as markup: no script, no image, one style element closed once.
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "a script element got through");
    assert!(!lower.contains("<img"), "an image element got through");
    assert!(!lower.contains("onerror=alert(2)>"));
    assert_eq!(lower.matches("</style>").count(), 1);
    assert_eq!(lower.matches("<style>").count(), 1);
    assert!(!html.contains("<b>x</b>"));
}

#[test]
fn the_page_holds_every_section_and_both_figures_and_calls_nothing() {
    let html = page(&hostile_report());
    for (id, _) in SECTIONS {
        assert_eq!(
            html.matches(&format!("<section id=\"{id}\">")).count(),
            1,
            "section {id}"
        );
    }
    assert_eq!(html.matches("<svg ").count(), 2);
    assert!(
        html.contains("content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"")
    );
    // The only URL is the SVG namespace, which is a name, not a fetch.
    let urls: Vec<&str> = ["http://", "https://", "//"]
        .iter()
        .flat_map(|scheme| html.match_indices(scheme))
        .map(|(i, _)| &html[i..(i + 40).min(html.len())])
        .filter(|u| !u.contains("www.w3.org/2000/svg"))
        .collect();
    assert!(urls.is_empty(), "{urls:?}");
    assert!(!html.contains(" src=\""), "nothing is loaded");
    assert!(
        html.match_indices("href=\"")
            .all(|(i, _)| html[i + 6..].starts_with('#')),
        "links only within the page"
    );
    assert!(!html.contains("@import") && !html.contains("url(http"));
}

#[test]
fn the_figures_draw_every_host_and_hop() {
    let report = hostile_report();
    let timeline = figures::timeline(&report.incidents, Lang::En.words());
    // Three rows, one arrow per hop.
    assert_eq!(timeline.matches("class=\"host\"").count(), 3);
    assert_eq!(timeline.matches("marker-end=").count(), 2);
    let graph = figures::movement(&report.incidents, Lang::En.words());
    assert_eq!(graph.matches("<circle").count(), 3);
    assert_eq!(graph.matches("marker-end=").count(), 2);
    assert!(graph.contains(">service<"));
    assert!(
        !timeline.contains("quiet"),
        "an hour of activity has no break"
    );
    // Drawn the same way every time.
    assert_eq!(
        graph,
        figures::movement(&report.incidents, Lang::En.words())
    );
}

#[test]
fn an_empty_case_still_has_every_section() {
    let report = Report {
        events: 0,
        detections: 0,
        unattached_detections: 0,
        incidents: vec![],
    };
    let html = page(&report);
    for (id, _) in SECTIONS {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(html.contains("No host in scope."));
    assert!(html.contains("No movement between hosts was seen."));
}

#[test]
fn quiet_days_are_left_out_of_the_timeline() {
    let mut report = hostile_report();
    report.incidents[0].hosts[2].last_evidence = at(3 * 24 * 60);
    let timeline = figures::timeline(&report.incidents, Lang::En.words());
    // Activity ends at minute 40, then nothing until day 3.
    assert_eq!(timeline.matches("2 d 23 h quiet").count(), 1, "{timeline}");
}

#[test]
fn the_busiest_hour_is_drawn_again_when_the_timeline_spans_days() {
    let report = hostile_report();
    // An hour of activity needs no enlargement.
    assert!(figures::busiest_hour(&report.incidents, Lang::En.words()).is_none());
    let mut report = hostile_report();
    report.incidents[0].hosts[2].last_evidence = at(3 * 24 * 60);
    let (figure, from, to) =
        figures::busiest_hour(&report.incidents, Lang::En.words()).expect("days of evidence");
    // The hops, five minutes either side, and every host they touch.
    assert_eq!(from, at(10) - chrono::Duration::minutes(5));
    assert_eq!(to, at(20) + chrono::Duration::minutes(5));
    assert_eq!(figure.matches("marker-end=").count(), 2);
    assert_eq!(figure.matches("class=\"host\"").count(), 3);
    assert!(!figure.contains("quiet"), "{figure}");
    // Its arrowhead is its own: ids are unique within the page.
    assert!(figure.contains("id=\"zoom-head\"") && !figure.contains("id=\"hop-head\""));
    let page = page(&report);
    assert_eq!(page.matches("<svg ").count(), 3);
    assert_eq!(page.matches("id=\"zoom-head\"").count(), 1);
}

#[test]
fn a_graph_of_many_hosts_grows_to_keep_them_apart() {
    let mut report = hostile_report();
    let template = report.incidents[0].lateral_movement[0].clone();
    report.incidents[0].lateral_movement = (0..40)
        .map(|n| {
            let mut e = template.clone();
            e.from = format!("WS-{n:02}");
            e.to = format!("WS-{:02}", (n * 7 + 3) % 40);
            e.time = at(n);
            e
        })
        .collect();
    let graph = figures::movement(&report.incidents, Lang::En.words());
    assert_eq!(graph.matches("<circle").count(), 40);
    // 40 hosts need a circle of 40 × 100 px: wider than the default figure.
    let width: f64 = graph
        .split("width=\"")
        .nth(1)
        .and_then(|w| w.split('"').next())
        .and_then(|w| w.parse().ok())
        .unwrap();
    assert!(width > 1100.0, "{width}");
}

/// Every fixed phrase of the English page that a German reader would see
/// as a heading: section headings, sub-headings and table headers.
fn english_headings() -> Vec<String> {
    let en = Lang::En.words();
    let mut headings: Vec<String> = SECTIONS.iter().map(|(_, h)| h(en).to_string()).collect();
    headings.extend(
        [
            en.incident_report,
            en.contents,
            en.hosts_over_time,
            en.how_moved,
            en.moves_of,
            en.accounts,
            en.changed_accounts,
            en.in_this_order,
            en.art33_heading,
        ]
        .map(String::from),
    );
    headings.extend(
        [
            &en.moves_header[..],
            &en.scope_header,
            &en.clocks_header,
            &en.art33_header,
            &en.manifest_header,
        ]
        .concat()
        .iter()
        .filter(|h| !h.contains("SHA"))
        .map(|h| format!("<th>{h}</th>")),
    );
    headings
}

#[test]
fn the_german_page_has_german_headings_and_no_english_ones() {
    let html = page_in(&hostile_report(), Lang::De);
    assert!(html.contains("<html lang=\"de\">"));
    let de = Lang::De.words();
    for (id, heading) in SECTIONS {
        assert!(
            html.contains(&format!("<section id=\"{id}\">\n<h2>{}</h2>", heading(de))),
            "section {id}"
        );
    }
    for german in [
        "<h2>Zusammenfassung</h2>",
        "<h2>Eindämmungsplan</h2>",
        "<h2>Meldefristen</h2>",
        "<h2>Mitteilung an Kundinnen und Kunden (Entwurf)</h2>",
        "<h2>Beweismittelverzeichnis</h2>",
        "<h2>Grenzen der Analyse</h2>",
        "Art. 33 DSGVO",
        "Art. 24 revDSG / nDSG",
        "Meldung an den EDÖB",
        "Art. 23 Abs. 4 lit. a NIS2",
        "Befunde aus den Ereignissen",
    ] {
        assert!(html.contains(german), "{german} missing");
    }
    for english in english_headings() {
        let found = if english.starts_with("<th>") {
            html.contains(&english)
        } else {
            html.contains(&format!(">{english}<"))
        };
        assert!(!found, "English heading left: {english}");
    }
    assert!(!html.contains("GDPR Art. 33"));
    // The page in English says none of it.
    let english = page(&hostile_report());
    assert!(english.contains("<html lang=\"en\">"));
    assert!(!english.contains("Befunde aus den Ereignissen"));
    assert!(!english.contains("Eindämmungsplan"));
}

#[test]
fn the_german_page_escapes_the_evidence_as_the_english_one() {
    let html = page_in(&hostile_report(), Lang::De);
    assert!(html.contains("WS-&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(html.contains("o&#39;brien&quot;&amp;co"));
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"));
    assert!(!lower.contains("<img"));
    assert_eq!(lower.matches("</style>").count(), 1);
    // The incident's summary is worded in German from its facts, the
    // hostile names in it escaped as everywhere else.
    assert!(!html.contains("summary &quot;&gt;&lt;img"));
    assert!(html.contains("Host(s) betroffen"));
}
