//! The case's response sections as Markdown for a reader who is not a
//! security engineer: the containment plan and its impact, the
//! notification clocks with what a notification must say, and the evidence
//! manifest.

use std::fmt::Write;

use crate::clocks::{Awareness, Clock, ClockState};
use crate::containment::ContainmentPlan;
use crate::lang::{Lang, Words};
use crate::manifest::Manifest;
use crate::notice::Notice;
use crate::notification::Content;

/// Text from the logs made inert: host and account names, rule titles and
/// reasons are the attacker's words as much as ours, and must never become
/// links, HTML or table cells of their own.
pub fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "—".into()
    } else {
        inert(&items.join(", "))
    }
}

/// A Markdown table's header row and rule.
fn header(cells: &[&str]) -> String {
    format!(
        "| {} |\n|{}\n",
        cells.join(" | "),
        "---|".repeat(cells.len())
    )
}

pub fn containment(plan: &ContainmentPlan, lang: Lang) -> String {
    let w = lang.words();
    let mut md = format!("## {}\n\n", w.containment);
    let _ = writeln!(md, "{}\n", inert(&plan.summary_in(lang)));
    if !plan.order.is_empty() {
        let _ = write!(md, "### {}\n\n{}", w.in_this_order, header(&w.order_header));
        for s in &plan.order {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                s.step,
                inert(&s.action_in(lang)),
                list(&s.targets),
                inert(&s.why_in(lang))
            );
        }
        md.push('\n');
    }
    if !plan.hosts.is_empty() {
        let _ = write!(md, "### {}\n\n{}", w.hosts, header(&w.hosts_header));
        for h in &plan.hosts {
            let _ = writeln!(
                md,
                "| {} | {} | **{}** | {} | {} | {} |",
                inert(&h.host),
                inert(h.role.as_deref().unwrap_or("-")),
                w.action(h.action),
                inert(&h.reason.words(lang)),
                list(&h.takes_down),
                list(&h.degrades)
            );
        }
        md.push('\n');
        for h in &plan.hosts {
            if let Some(r) = &h.restriction {
                let _ = writeln!(
                    md,
                    "- {}{}",
                    (w.restricted)(
                        &format!("**{}**", inert(&h.host)),
                        &list(&r.services),
                        &list(&r.allow_from),
                        &list(&r.allow_addresses),
                        &inert(&r.cut_in(lang).join("; "))
                    ),
                    r.note_in(lang)
                        .map(|n| format!(" {} {}.", w.note, inert(&n)))
                        .unwrap_or_default()
                );
            }
        }
        md.push('\n');
    }
    if let Some(i) = &plan.impact {
        let _ = write!(md, "### {}\n\n", w.what_it_costs);
        for s in &i.down {
            let _ = writeln!(
                md,
                "- **{}:** {} — {}",
                w.down,
                inert(&s.service),
                inert(&s.why_in(lang))
            );
        }
        for s in &i.degraded {
            let _ = writeln!(
                md,
                "- **{}:** {} — {}",
                w.degraded,
                inert(&s.service),
                inert(&s.why_in(lang))
            );
        }
        let _ = writeln!(md, "- **{}:** {}\n", w.stays_up, list(&i.up));
        for a in &plan.alternatives {
            let _ = writeln!(md, "- {} {}", w.instead, inert(&a.summary_in(lang)));
        }
        md.push('\n');
    }
    if !plan.accounts.is_empty() {
        let _ = write!(md, "### {}\n\n{}", w.accounts, header(&w.accounts_header));
        for a in &plan.accounts {
            let _ = writeln!(
                md,
                "| {} | **{}** | {} | {} | {} |",
                inert(&a.account),
                w.account_step(a.action),
                a.urgency,
                inert(&a.instruction_in(lang)),
                inert(&a.reasons_in(lang).join("; "))
            );
        }
        md.push('\n');
    }
    for (n, d) in plan.domain_wide.iter().enumerate() {
        let _ = writeln!(
            md,
            "{}. **{}:** {} — {}",
            n + 1,
            w.domain_wide,
            inert(&d.action_in(lang)),
            inert(&d.why_in(lang))
        );
    }
    if !plan.network.is_empty() {
        let _ = write!(md, "\n### {}\n\n", w.block);
        for b in &plan.network {
            let _ = writeln!(
                md,
                "- **{}**{} {} {}: {} ({}: {})",
                inert(&b.destination),
                if b.names.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", list(&b.names))
                },
                w.from,
                list(&b.hosts),
                inert(&b.reasons.join("; ")),
                w.evidence,
                list(&b.evidence)
            );
        }
    }
    for l in &plan.limits_in(lang) {
        let _ = writeln!(md, "\n*{}:* {}", w.limit, inert(l));
    }
    md.push('\n');
    md
}

pub fn notification(
    awareness: Option<&Awareness>,
    clocks: &[Clock],
    contents: &[Content],
    lang: Lang,
) -> String {
    let w = lang.words();
    let mut md = format!("## {}\n\n", w.clocks);
    match awareness {
        Some(a) => {
            let _ = writeln!(
                md,
                "{} {} UTC: {}.\n",
                w.aware_since,
                a.time.format("%Y-%m-%d %H:%M"),
                inert(&w.awareness_basis(&a.basis))
            );
        }
        None => {
            let _ = write!(md, "{}\n\n", w.not_set);
        }
    }
    md.push_str(&header(&w.clocks_header));
    for c in clocks {
        let state = match c.state {
            ClockState::Overdue => format!("**{}**", w.clock_state(c)),
            _ => w.clock_state(c),
        };
        let (law, duty, text) = w.clock_texts(c);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            inert(&law),
            inert(&duty),
            c.deadline
                .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "—".into()),
            state,
            inert(&text)
        );
    }
    let _ = write!(
        md,
        "\n### {}\n\n{}",
        w.art33_heading,
        header(&[&[""][..], &w.art33_header[..]].concat())
    );
    for c in contents {
        let fill = w.fill(c.fill);
        let (article, item, to_complete) = w.art33_row(c);
        let _ = writeln!(
            md,
            "| {} | {} ({fill}) | {} | {} |",
            inert(&article),
            inert(&item),
            inert(c.text_in(lang)),
            inert(&to_complete)
        );
    }
    md.push('\n');
    md
}

pub fn manifest(m: &Manifest, lang: Lang) -> String {
    let w = lang.words();
    let mut md = format!("## {}\n\n", w.manifest);
    let _ = writeln!(
        md,
        "Vigil {}, {} UTC. {} {}\n",
        inert(&m.vigil_version),
        m.created.format("%Y-%m-%d %H:%M:%S"),
        w.command_line,
        inert(&m.command_line.join(" "))
    );
    md.push_str(&header(&w.manifest_header));
    for e in &m.evidence {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            inert(&e.path),
            e.size.map_or("—".to_string(), |s| s.to_string()),
            e.sha256
                .as_deref()
                .map(str::to_string)
                .or_else(|| e.problem.as_deref().map(inert))
                .unwrap_or_default(),
            e.first_event.map_or("—".to_string(), |t| t
                .format("%Y-%m-%d %H:%M")
                .to_string()),
            e.last_event.map_or("—".to_string(), |t| t
                .format("%Y-%m-%d %H:%M")
                .to_string()),
        );
    }
    let _ = writeln!(
        md,
        "\n{} {} `vigil case --verify CASE`.\n",
        (w.rules_line)(m.rules.files.len(), &m.rules.combined_sha256),
        w.verify_with,
    );
    md
}

/// What the analysis cannot see, and in a report not in English, which
/// text is quoted in the English of the analysis.
pub fn limits(lang: Lang) -> String {
    let w = lang.words();
    let mut md = format!("## {}\n\n- {}\n", w.limits, w.limits_evidence_only);
    if let Some(original) = w.original_language {
        let _ = writeln!(md, "- {original}");
    }
    md.push('\n');
    md
}

/// A draft notice for customers, scoped by the evidence: the services the
/// attacker reached, whose passwords to change and why — not "all" — and
/// how to tell this incident's messages from phishing in the operator's name.
pub fn customer_notice(
    plan: &ContainmentPlan,
    incidents: &[vigil_incident::Incident],
    assessment: Option<&vigil_exfil::Assessment>,
    inventory: Option<&vigil_incident::Inventory>,
    lang: Lang,
) -> String {
    let words: &Words = lang.words();
    let notice = Notice::new(plan, incidents, assessment, inventory, lang);
    let mut md = format!("## {}\n\n", words.customer_notice);
    match notice.opening() {
        Some(opening) => {
            let _ = writeln!(
                md,
                "{opening}{}.",
                if notice.services.is_empty() {
                    String::new()
                } else {
                    format!("{} {}", words.which_serve, list(&notice.services))
                }
            );
        }
        None => {
            let _ = writeln!(md, "{}", words.no_intrusion);
        }
    }
    if let Some((verdict, summary)) = &notice.data_taken {
        let _ = writeln!(
            md,
            "{} {} — {}",
            words.data_taken_question,
            inert(verdict),
            inert(summary)
        );
    }
    let _ = writeln!(
        md,
        "\n**{}** {}\n",
        words.passwords_heading, words.passwords_lead
    );
    if let Some(advice) = notice.services_advice() {
        let _ = writeln!(
            md,
            "- {}: {advice}",
            (words.if_you_use)(&list(&notice.services))
        );
    }
    if !notice.staff.is_empty() {
        let _ = writeln!(md, "- {}", words.staff_lead);
    }
    for (account, why) in &notice.staff {
        let _ = writeln!(md, "  - {}: {why}.", inert(account));
    }
    if notice.domain_wide {
        let _ = writeln!(md, "- {}", words.domain_wide_notice);
    }
    let _ = write!(md, "\n**{}** {}", words.phishing_heading, words.phishing);
    if !notice.attacker_names.is_empty() {
        let _ = write!(
            md,
            " {} {}.",
            words.attacker_addresses,
            list(&notice.attacker_names)
        );
    }
    md.push_str("\n\n");
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_the_logs_stay_text() {
        assert_eq!(
            inert("<img src=x>|[a](http://x) *b* #h"),
            "\\<img src=x\\>\\|\\[a\\](http://x) \\*b\\* \\#h"
        );
        assert_eq!(inert("CLINIC\\adm_x\nnext"), "CLINIC\\\\adm\\_x next");
    }

    #[test]
    fn clocks_without_awareness_say_so() {
        let now = "2026-03-04T08:00:00Z".parse().unwrap();
        let md = notification(None, &crate::clocks(None, now), &[], Lang::En);
        assert!(md.contains("the clocks are not set"));
        assert_eq!(md.matches("| not set |").count(), 5);
    }

    /// The response sections of report.md as the case writes them.
    fn report_md(lang: Lang) -> String {
        use crate::html::tests::hostile_report;
        let report = hostile_report();
        let changes = crate::attacker_account_changes(&report.incidents);
        let plan = crate::plan(&crate::Inputs {
            incidents: &report.incidents,
            account_changes: &changes,
            ..crate::Inputs::default()
        });
        let now = "2026-03-04T08:00:00Z".parse().unwrap();
        let awareness = crate::awareness(None, &report.incidents);
        let clocks = crate::clocks(awareness.as_ref(), now);
        let contents = crate::art33_contents(&report.incidents, None, Some(&plan), None);
        let evidence = Manifest::new("0.0.0", vec!["vigil".into()], now);
        [
            lang.words()
                .incident_section(&vigil_incident::markdown_with(&report, &|i| {
                    crate::sentences::incident_summary(i, lang)
                })),
            containment(&plan, lang),
            notification(awareness.as_ref(), &clocks, &contents, lang),
            customer_notice(&plan, &report.incidents, None, None, lang),
            manifest(&evidence, lang),
            limits(lang),
        ]
        .concat()
    }

    fn headings(md: &str) -> Vec<&str> {
        md.lines().filter(|l| l.starts_with('#')).collect()
    }

    #[test]
    fn the_german_report_has_a_german_heading_for_every_section() {
        let md = report_md(Lang::De);
        let german = headings(&md);
        for heading in [
            "# Sicherheitsvorfälle",
            "### Betroffene Systeme",
            "### Laterale Bewegung",
            "### Zu wechselnde Zugangsdaten",
            "## Eindämmungsplan",
            "### Konten",
            "## Meldefristen",
            "### Was die Meldung an die Aufsichtsbehörde enthalten muss (Art. 33 Abs. 3 DSGVO)",
            "## Mitteilung an Kundinnen und Kunden (Entwurf)",
            "## Beweismittelverzeichnis",
            "## Grenzen der Analyse",
        ] {
            assert!(german.contains(&heading), "{heading} missing: {german:?}");
        }
        assert!(german
            .iter()
            .any(|h| h.starts_with("## Sicherheitsvorfall 1 — ")));
        // Not one English heading is left, nor a table header row.
        let english_md = report_md(Lang::En);
        let english = headings(&english_md);
        for heading in &english {
            assert!(!german.contains(heading), "English heading left: {heading}");
        }
        for header in english_md
            .lines()
            .filter(|l| l.starts_with("| ") && l.ends_with(" |"))
        {
            if header.split(" | ").all(|c| {
                c.chars()
                    .all(|c| c.is_ascii_lowercase() || " #|(),".contains(c))
            }) {
                assert!(!md.contains(header), "English table header left: {header}");
            }
        }
        for law in [
            "Art. 33 DSGVO",
            "Art. 24 revDSG / nDSG",
            "Meldung an den EDÖB",
            "Art. 23 Abs. 4 lit. a NIS2",
        ] {
            assert!(md.contains(law), "{law}");
        }
        assert!(
            md.contains("Befunde aus den Ereignissen sind im englischen Original wiedergegeben")
        );
        assert!(md.contains("Welche Passwörter Sie ändern sollten, und warum."));
        assert!(!md.contains("GDPR Art. 33 |"));
    }

    #[test]
    fn the_german_report_keeps_the_evidence_escaped() {
        use crate::html::tests::{IMG, SCRIPT};
        let md = report_md(Lang::De);
        assert!(md.contains(&inert(SCRIPT)));
        assert!(md.contains(&inert(IMG)));
        assert!(!md.contains(SCRIPT));
        // Every angle bracket from the evidence comes escaped.
        let raw: Vec<&str> = md
            .lines()
            .filter(|l| l.replace("\\<", "").contains('<'))
            .collect();
        assert!(raw.is_empty(), "{raw:?}");
    }
}
