//! The case's report.html opened in a real browser (headless Chromium from
//! the system's packages) with the network off: every section and both
//! figures are in the rendered page, a screenshot and a PDF print come out,
//! and nothing was fetched from outside.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CHROMIUM: &str = "/usr/bin/chromium";

/// The report's sections, as `vigil_respond::html::SECTIONS` names them.
const SECTIONS: &[&str] = &[
    "summary",
    "what-happened",
    "hosts",
    "data-taken",
    "credentials",
    "containment",
    "clocks",
    "customer-notice",
    "manifest",
    "limits",
];

fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .output()
        .expect("the vigil binary runs")
}

/// Whether the browser is there; under CI it must be (`.ci/run` installs it).
fn chromium_present() -> bool {
    if Path::new(CHROMIUM).is_file() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{CHROMIUM} is missing: CI must install the chromium package (see .ci/run)");
    }
    eprintln!("skipped: {CHROMIUM} is not installed (apt-get install chromium)");
    false
}

/// Chromium, headless, with a fresh profile and no way out: every host name
/// resolves to nothing, every request goes to a closed local port, and
/// background services are off. `net_log` records every request it made.
fn chromium(profile: &Path, net_log: &Path, action: &[String], page: &str) -> Output {
    let mut command = Command::new(CHROMIUM);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--log-net-log={}", net_log.display()))
        .args(action)
        .arg(page)
        .env("HOME", profile);
    command.output().expect("chromium runs")
}

/// The requests a net log shows: those the page made for anything but a
/// file:// URL, and those Chromium made for its own services (sign-in,
/// network time, search preconnects), which the resolver rules and the dead
/// proxy leave unanswered. The page's requests are told apart by their
/// network isolation key, which names the page's file:// site, and their
/// initiator, which is an origin (a file page's is "null") rather than the
/// browser's "not an origin".
fn requests(net_log: &Path) -> (Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(net_log)
        .unwrap_or_else(|e| panic!("no net log at {}: {e}", net_log.display()));
    let log: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a whole net log: {e}", net_log.display()));
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("the net log names its event types");
    let (mut page, mut browser) = (Vec::new(), Vec::new());
    for event in log["events"].as_array().expect("the net log has events") {
        if event["type"].as_u64() != Some(start_job) {
            continue;
        }
        let params = &event["params"];
        let Some(url) = params["url"].as_str() else {
            continue;
        };
        if url.starts_with("file://") {
            continue;
        }
        let by_browser = params["initiator"].as_str() == Some("not an origin")
            && !params["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("file://"));
        if by_browser {
            browser.push(url.to_string());
        } else {
            page.push(url.to_string());
        }
    }
    (page, browser)
}

#[test]
fn the_report_renders_in_a_browser_without_the_network() {
    if !chromium_present() {
        return;
    }
    // The output folder is kept after the test so the screenshot, the PDF
    // and the net logs can be looked at; the simulated estate (~120 MB) and
    // the browser profiles are not.
    let out: PathBuf = tempfile::Builder::new()
        .prefix("vigil-report-browser-")
        .tempdir()
        .unwrap()
        .keep();
    eprintln!("browser test output: {}", out.display());
    let scratch = tempfile::tempdir().unwrap();
    let sim = scratch.path().join("sim");
    let sim_s = sim.to_str().unwrap();
    assert!(vigil(&["simulate", "--out", sim_s, "--seed", "7"])
        .status
        .success());
    let case = out.join("case");
    let run = vigil(&[
        "case",
        &format!("{sim_s}/windows"),
        &format!("{sim_s}/network"),
        "--inventory",
        &format!("{sim_s}/inventory.yaml"),
        "--out",
        case.to_str().unwrap(),
        "-q",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains("report.html"));
    let report = std::fs::canonicalize(case.join("report.html")).unwrap();
    let page = format!("file://{}", report.display());

    // The rendered DOM: every section and both figures.
    let dom_log = out.join("dom-netlog.json");
    let dom = chromium(
        &scratch.path().join("profile-dom"),
        &dom_log,
        &["--dump-dom".into()],
        &page,
    );
    let rendered = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.status.success() && rendered.contains("</html>"),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    for id in SECTIONS {
        assert!(
            rendered.contains(&format!("<section id=\"{id}\">")),
            "section {id} is not in the rendered page"
        );
    }
    assert!(rendered.contains("id=\"timeline-figure\""));
    assert!(rendered.contains("id=\"movement-figure\""));
    // Days of evidence: the busiest hour is drawn again, enlarged.
    assert!(rendered.contains("id=\"busiest-hour-figure\""));
    assert_eq!(
        rendered.matches("<svg ").count(),
        3,
        "the figures are rendered as SVG"
    );
    assert!(!rendered.contains("<script"), "the page has no script");

    // A screenshot and a PDF print.
    let png = out.join("report.png");
    let shot = chromium(
        &scratch.path().join("profile-png"),
        &out.join("png-netlog.json"),
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,4000".into(),
        ],
        &page,
    );
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let pdf = out.join("report.pdf");
    let print = chromium(
        &scratch.path().join("profile-pdf"),
        &out.join("pdf-netlog.json"),
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
        ],
        &page,
    );
    assert!(
        print.status.success(),
        "{}",
        String::from_utf8_lossy(&print.stderr)
    );
    let png_bytes = std::fs::read(&png).expect("the screenshot was written");
    assert!(png_bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        png_bytes.len() > 50_000,
        "screenshot of {} bytes",
        png_bytes.len()
    );
    let pdf_bytes = std::fs::read(&pdf).expect("the PDF was written");
    assert!(pdf_bytes.starts_with(b"%PDF-"), "a PDF");
    assert!(pdf_bytes.len() > 20_000, "PDF of {} bytes", pdf_bytes.len());
    // The whole report printed, not a blank or error page: several pages.
    let pages = pdf_bytes
        .windows(12)
        .filter(|w| w.starts_with(b"/Type /Page") && !w.ends_with(b"s"))
        .count();
    assert!(pages >= 3, "the PDF has {pages} page(s)");
    eprintln!("screenshot: {}\nPDF: {}", png.display(), pdf.display());

    // Nothing fetched from outside by the page, in any of the three runs.
    for log in ["dom-netlog.json", "png-netlog.json", "pdf-netlog.json"] {
        let (page, browser) = requests(&out.join(log));
        assert!(page.is_empty(), "{log}: the page requested {page:?}");
        if !browser.is_empty() {
            eprintln!("{log}: Chromium's own requests, left unanswered: {browser:?}");
        }
    }
    // The check can fail: a page that loads an outside image and style
    // sheet is caught by it.
    let tripwire = out.join("tripwire.html");
    std::fs::write(
        &tripwire,
        "<!DOCTYPE html><html><body><img src=\"http://example.invalid/x.png\"><link rel=\"stylesheet\" href=\"https://fonts.example.invalid/f.css\"></body></html>",
    )
    .unwrap();
    let trip = chromium(
        &scratch.path().join("profile-tripwire"),
        &out.join("tripwire-netlog.json"),
        &["--dump-dom".into()],
        &format!(
            "file://{}",
            std::fs::canonicalize(&tripwire).unwrap().display()
        ),
    );
    assert!(trip.status.success());
    let (page, _) = requests(&out.join("tripwire-netlog.json"));
    assert!(
        page.iter()
            .any(|u| u.starts_with("http://example.invalid/"))
            && page
                .iter()
                .any(|u| u.starts_with("https://fonts.example.invalid/")),
        "the net log check missed a page's outside requests: {page:?}"
    );
}
