//! The case as one self-contained HTML page for a reader who is not a
//! security engineer: no script, no fetch, every piece of evidence text
//! escaped, two inline SVG figures.
//!
//! The page's Content-Security-Policy forbids everything but its own inline
//! styles and `data:` images, so even a name from the logs that slipped past
//! [`escape`] could neither run nor call out.

pub mod figures;
mod sections;

use std::fmt::Write as _;

use vigil_exfil::Assessment;
use vigil_incident::{Inventory, Report};

use crate::clocks::{Awareness, Clock};
use crate::containment::ContainmentPlan;
use crate::lang::{Lang, Words};
use crate::manifest::Manifest;
use crate::notification::Content;

/// Everything the page shows, as the case computed it.
pub struct Case<'a> {
    pub report: &'a Report,
    pub assessment: Option<&'a Assessment>,
    pub plan: &'a ContainmentPlan,
    pub awareness: Option<&'a Awareness>,
    pub clocks: &'a [Clock],
    pub contents: &'a [Content],
    pub manifest: &'a Manifest,
    pub inventory: Option<&'a Inventory>,
    /// The language of the page's own words; evidence stays as found.
    pub lang: Lang,
}

/// A section's heading, in the language of the words given.
pub type Heading = fn(&Words) -> &'static str;

/// The ids of the page's sections, in order, with their headings: stable
/// in every language, so readers can link to them and tests can find them.
pub const SECTIONS: &[(&str, Heading)] = &[
    ("summary", |w| w.summary),
    ("what-happened", |w| w.what_happened),
    ("hosts", |w| w.hosts_in_scope),
    ("data-taken", |w| w.data_taken),
    ("credentials", |w| w.credentials),
    ("containment", |w| w.containment),
    ("clocks", |w| w.clocks),
    ("customer-notice", |w| w.customer_notice),
    ("manifest", |w| w.manifest),
    ("limits", |w| w.limits),
];

/// Text made safe for HTML element content and quoted attribute values.
/// Every string that comes from the evidence passes through here, and only
/// here: host names, accounts, rule titles and command lines are the
/// attacker's words. Control characters other than line breaks and tabs are
/// dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Items escaped and joined with commas, or a dash for none.
fn list(items: &[String]) -> String {
    if items.is_empty() {
        "—".into()
    } else {
        escape(&items.join(", "))
    }
}

const STYLE: &str = "
body{font:15px/1.5 -apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif;color:#1d2329;background:#fff;margin:0}
main{max-width:1180px;margin:0 auto;padding:24px 32px 64px}
h1{font-size:28px;margin:0 0 4px}
h2{font-size:21px;margin:36px 0 10px;padding-bottom:4px;border-bottom:2px solid #2a5d8f;color:#17324d}
h3{font-size:16px;margin:20px 0 6px;color:#17324d}
.sub{color:#5b6670;margin:0 0 16px}
nav ol{columns:2;margin:8px 0 0;padding-left:20px;color:#2a5d8f}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:13.5px}
th,td{border:1px solid #d4dae0;padding:4px 7px;text-align:left;vertical-align:top;overflow-wrap:break-word}
td.when,td.n,td:first-child b{white-space:nowrap}
td.n{text-align:right}
td.long{overflow-wrap:anywhere;font-size:12px;color:#3d4852}
th{background:#eef2f6}
tr:nth-child(even) td{background:#f8fafb}
.verdict{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;background:#eef2f6}
.bad{background:#fde2e1;color:#8a1c17}
.warn{background:#fff1d6;color:#7a4b00}
.ok{background:#e1f3e4;color:#1e5b2a}
.action{font-weight:600;text-transform:uppercase;font-size:12px;letter-spacing:.04em;white-space:nowrap}
.box{border:1px solid #d4dae0;border-radius:6px;padding:10px 16px;background:#fbfcfd}
.keyfacts{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.keyfacts div{border:1px solid #d4dae0;border-radius:6px;padding:8px 14px;min-width:150px}
.keyfacts b{display:block;font-size:22px}
figure{margin:10px 0 18px}
figcaption{color:#5b6670;font-size:13px}
svg{max-width:100%;height:auto;font-family:'DejaVu Sans',Arial,sans-serif}
code,.hash{font-family:'DejaVu Sans Mono',Consolas,monospace;font-size:12px}
@media print{main{max-width:none;padding:0}h2{break-after:avoid}table,figure{break-inside:avoid}}
";

/// The whole page.
pub fn render(case: &Case) -> String {
    let w = case.lang.words();
    let mut html = String::new();
    let _ = writeln!(
        html,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">",
        case.lang.code()
    );
    html.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
    html.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        html,
        "<title>{} — {}</title>",
        w.case_report,
        escape(&sections::title(case))
    );
    let _ = writeln!(html, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");
    let _ = writeln!(
        html,
        "<h1>{}</h1>\n<p class=\"sub\">{} · {}</p>",
        w.incident_report,
        escape(&sections::title(case)),
        escape(&(w.written_by)(
            &case.manifest.vigil_version,
            &case.manifest.created.format("%Y-%m-%d %H:%M").to_string()
        ))
    );
    let _ = write!(html, "<nav><b>{}</b><ol>", w.contents);
    for (id, heading) in SECTIONS {
        let _ = write!(html, "<li><a href=\"#{id}\">{}</a></li>", heading(w));
    }
    html.push_str("</ol></nav>\n");
    for (id, heading) in SECTIONS {
        let _ = writeln!(html, "<section id=\"{id}\">\n<h2>{}</h2>", heading(w));
        html.push_str(&sections::body(id, case));
        html.push_str("</section>\n");
    }
    html.push_str("</main>\n</body>\n</html>\n");
    html
}

#[cfg(test)]
pub(crate) mod tests;
