//! The page against hostile evidence: names that try to close tags, add
//! attributes or start scripts come out as text.

use chrono::{DateTime, Duration, Utc};
use vigil_event::Level;
use vigil_incident::{
    AccountChange, AccountChangeKind, AffectedHost, CredentialExposure, DetectionRef, Edge,
    EventRef, Incident, Method, PatientZero, Report,
};

use super::*;

const SCRIPT: &str = "WS-<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(2)>";
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

fn hostile_report() -> Report {
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
    let timeline = figures::timeline(&report.incidents);
    // Three rows, one arrow per hop.
    assert_eq!(timeline.matches("class=\"host\"").count(), 3);
    assert_eq!(timeline.matches("marker-end=").count(), 2);
    let graph = figures::movement(&report.incidents);
    assert_eq!(graph.matches("<circle").count(), 3);
    assert_eq!(graph.matches("marker-end=").count(), 2);
    assert!(graph.contains(">service<"));
    assert!(
        !timeline.contains("quiet"),
        "an hour of activity has no break"
    );
    // Drawn the same way every time.
    assert_eq!(graph, figures::movement(&report.incidents));
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
    let timeline = figures::timeline(&report.incidents);
    // Activity ends at minute 40, then nothing until day 3.
    assert_eq!(timeline.matches("2 d 23 h quiet").count(), 1, "{timeline}");
}
