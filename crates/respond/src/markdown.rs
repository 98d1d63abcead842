//! The case's response sections as Markdown for a reader who is not a
//! security engineer: the containment plan and its impact, the
//! notification clocks with what a notification must say, and the evidence
//! manifest.

use std::fmt::Write;

use crate::clocks::{Awareness, Clock, ClockState};
use crate::containment::ContainmentPlan;
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

pub fn containment(plan: &ContainmentPlan) -> String {
    let mut md = String::from("## Containment plan\n\n");
    let _ = writeln!(md, "{}\n", inert(&plan.summary));
    if !plan.order.is_empty() {
        md.push_str("### In this order\n\n| # | do | on | why |\n|---|---|---|---|\n");
        for s in &plan.order {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                s.step,
                inert(&s.action),
                list(&s.targets),
                inert(&s.why)
            );
        }
        md.push('\n');
    }
    if !plan.hosts.is_empty() {
        md.push_str(
            "### Hosts\n\n| host | role | action | why | takes down | degrades |\n|---|---|---|---|---|---|\n",
        );
        for h in &plan.hosts {
            let _ = writeln!(
                md,
                "| {} | {} | **{}** | {} | {} | {} |",
                inert(&h.host),
                inert(h.role.as_deref().unwrap_or("-")),
                h.action.as_str(),
                inert(&h.why),
                list(&h.takes_down),
                list(&h.degrades)
            );
        }
        md.push('\n');
        for h in &plan.hosts {
            if let Some(r) = &h.restriction {
                let _ = writeln!(
                    md,
                    "- **{}** restricted: allow {} from {} ({}); cut {}.{}",
                    inert(&h.host),
                    list(&r.services),
                    list(&r.allow_from),
                    list(&r.allow_addresses),
                    inert(&r.cut.join("; ")),
                    r.note
                        .as_deref()
                        .map(|n| format!(" Note: {}.", inert(n)))
                        .unwrap_or_default()
                );
            }
        }
        md.push('\n');
    }
    if let Some(i) = &plan.impact {
        md.push_str("### What it costs\n\n");
        for s in &i.down {
            let _ = writeln!(md, "- **Down:** {} — {}", inert(&s.service), inert(&s.why));
        }
        for s in &i.degraded {
            let _ = writeln!(
                md,
                "- **Degraded:** {} — {}",
                inert(&s.service),
                inert(&s.why)
            );
        }
        let _ = writeln!(md, "- **Stays up:** {}\n", list(&i.up));
        for a in &plan.alternatives {
            let _ = writeln!(md, "- Instead, to {}", inert(&a.summary));
        }
        md.push('\n');
    }
    if !plan.accounts.is_empty() {
        md.push_str("### Accounts\n\n| account | action | urgency | what to do | why |\n|---|---|---|---|---|\n");
        for a in &plan.accounts {
            let _ = writeln!(
                md,
                "| {} | **{}** | {} | {} | {} |",
                inert(&a.account),
                a.action.as_str(),
                a.urgency,
                inert(&a.instruction),
                inert(&a.reasons.join("; "))
            );
        }
        md.push('\n');
    }
    for (n, d) in plan.domain_wide.iter().enumerate() {
        let _ = writeln!(
            md,
            "{}. **Domain-wide:** {} — {}",
            n + 1,
            inert(&d.action),
            inert(&d.why)
        );
    }
    if !plan.network.is_empty() {
        md.push_str("\n### Outside destinations to block\n\n");
        for b in &plan.network {
            let _ = writeln!(
                md,
                "- **{}**{} from {}: {} (evidence: {})",
                inert(&b.destination),
                if b.names.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", list(&b.names))
                },
                list(&b.hosts),
                inert(&b.reasons.join("; ")),
                list(&b.evidence)
            );
        }
    }
    for l in &plan.limits {
        let _ = writeln!(md, "\n*Limit:* {}", inert(l));
    }
    md.push('\n');
    md
}

pub fn notification(
    awareness: Option<&Awareness>,
    clocks: &[Clock],
    contents: &[Content],
) -> String {
    let mut md = String::from("## Notification clocks\n\n");
    match awareness {
        Some(a) => {
            let _ = writeln!(
                md,
                "Aware since {} UTC: {}.\n",
                a.time.format("%Y-%m-%d %H:%M"),
                inert(&a.basis)
            );
        }
        None => md.push_str(
            "No moment of awareness given and no high or critical detection: the clocks are not set.\n\n",
        ),
    }
    md.push_str("| law | what, to whom | deadline | state | |\n|---|---|---|---|---|\n");
    for c in clocks {
        let state = match c.state {
            ClockState::Overdue => format!("**{}**", c.state_in_words()),
            _ => c.state_in_words(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            inert(&c.law),
            inert(&c.duty),
            c.deadline
                .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "—".into()),
            state,
            inert(&c.text)
        );
    }
    md.push_str("\n### What the notification to the authority must say (GDPR Art. 33(3))\n\n| | item | from the evidence | to add |\n|---|---|---|---|\n");
    for c in contents {
        let fill = c.fill.as_str();
        let _ = writeln!(
            md,
            "| {} | {} ({fill}) | {} | {} |",
            inert(&c.article),
            inert(&c.item),
            inert(&c.text),
            inert(c.to_complete.as_deref().unwrap_or("—"))
        );
    }
    md.push('\n');
    md
}

pub fn manifest(m: &Manifest) -> String {
    let mut md = String::from("## Evidence manifest\n\n");
    let _ = writeln!(
        md,
        "Vigil {}, {} UTC. Command line: {}\n",
        inert(&m.vigil_version),
        m.created.format("%Y-%m-%d %H:%M:%S"),
        inert(&m.command_line.join(" "))
    );
    md.push_str("| file | size | SHA-256 | events from | to |\n|---|---|---|---|---|\n");
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
        "\nRules: {} file(s), combined SHA-256 {}. Check the evidence again with `vigil case --verify CASE`.\n",
        m.rules.files.len(),
        m.rules.combined_sha256
    );
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
) -> String {
    use crate::notice as words;
    let notice = Notice::new(plan, incidents, assessment, inventory);
    let mut md = String::from("## Notice for customers (draft)\n\n");
    match notice.opening() {
        Some(opening) => {
            let _ = writeln!(
                md,
                "{opening}{}.",
                if notice.services.is_empty() {
                    String::new()
                } else {
                    format!(", which serve: {}", list(&notice.services))
                }
            );
        }
        None => {
            let _ = writeln!(md, "{}", words::NO_INTRUSION);
        }
    }
    if let Some((verdict, summary)) = &notice.data_taken {
        let _ = writeln!(
            md,
            "Was data taken? {} — {}",
            inert(verdict),
            inert(summary)
        );
    }
    let _ = writeln!(
        md,
        "\n**{}** {}\n",
        words::PASSWORDS_HEADING,
        words::PASSWORDS_LEAD
    );
    if let Some(advice) = notice.services_advice() {
        let _ = writeln!(md, "- If you use {}: {advice}", list(&notice.services));
    }
    if !notice.staff.is_empty() {
        let _ = writeln!(md, "- {}", words::STAFF_LEAD);
    }
    for (account, why) in &notice.staff {
        let _ = writeln!(md, "  - {}: {why}.", inert(account));
    }
    if notice.domain_wide {
        let _ = writeln!(md, "- {}", words::DOMAIN_WIDE);
    }
    let _ = write!(md, "\n**{}** {}", words::PHISHING_HEADING, words::PHISHING);
    if !notice.attacker_names.is_empty() {
        let _ = write!(
            md,
            " {} {}.",
            words::ATTACKER_ADDRESSES,
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
        let md = notification(None, &crate::clocks(None, now), &[]);
        assert!(md.contains("the clocks are not set"));
        assert_eq!(md.matches("| not set |").count(), 5);
    }
}
