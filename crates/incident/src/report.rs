//! The incidents as a document: JSON for tools, Markdown for people.

use std::fmt::Write as _;

use serde::Serialize;

use crate::facts::EventRef;
use crate::incident::Incident;

/// What `incidents.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub events: u64,
    pub detections: usize,
    /// Detections that joined no incident (background noise, lone low-level hits).
    pub unattached_detections: usize,
    pub incidents: Vec<Incident>,
}

/// Evidence text made inert in Markdown: names and command lines from the
/// logs are the attacker's words, and must never become links, HTML or table
/// cells of their own.
fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '&' => {
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

/// The first `n` events of a finding, by file and record, and how many more.
fn events(events: &[EventRef], n: usize) -> String {
    let mut text: Vec<String> = events.iter().take(n).map(ToString::to_string).collect();
    if events.len() > n {
        text.push(format!("… {} more", events.len() - n));
    }
    text.join("; ")
}

/// The report as Markdown: a summary per incident, then scope, movement and credentials.
pub fn markdown(report: &Report) -> String {
    markdown_with(report, &|incident| incident.summary.clone())
}

/// [`markdown`] with each incident's summary as `summary` words it (in
/// another language, say).
pub fn markdown_with(report: &Report, summary: &dyn Fn(&Incident) -> String) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Incidents\n");
    let _ = writeln!(
        md,
        "{} events, {} detections, {} incident{}; {} detections joined no incident.\n",
        report.events,
        report.detections,
        report.incidents.len(),
        if report.incidents.len() == 1 { "" } else { "s" },
        report.unattached_detections
    );
    for incident in &report.incidents {
        let _ = writeln!(
            md,
            "## Incident {} — {} — {} to {}\n",
            incident.id,
            incident.severity,
            incident.first_evidence.format("%Y-%m-%d %H:%M UTC"),
            incident.last_evidence.format("%Y-%m-%d %H:%M UTC")
        );
        let _ = writeln!(md, "{}\n", inert(&summary(incident)));
        if let Some(pz) = &incident.patient_zero {
            let _ = writeln!(
                md,
                "**Patient zero:** {} — {}\n",
                inert(&pz.host),
                inert(&pz.reasoning)
            );
        }
        let _ = writeln!(md, "### Hosts in scope\n");
        let _ = writeln!(md, "| host | role | first evidence | last evidence | why |");
        let _ = writeln!(md, "|---|---|---|---|---|");
        for h in &incident.hosts {
            let mut why: Vec<String> = h.detections.iter().take(4).cloned().collect();
            if h.detections.len() > 4 {
                why.push(format!("… {} more rules", h.detections.len() - 4));
            }
            why.extend(
                h.reached_by
                    .iter()
                    .take(3)
                    .map(|r| format!("reached by {r}")),
            );
            why.extend(h.origin.clone());
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                inert(&h.host),
                inert(h.role.as_deref().unwrap_or("-")),
                h.first_evidence.format("%Y-%m-%d %H:%M:%S"),
                h.last_evidence.format("%Y-%m-%d %H:%M:%S"),
                inert(&why.join("; "))
            );
        }
        if !incident.lateral_movement.is_empty() {
            let _ = writeln!(md, "\n### Lateral movement\n");
            let _ = writeln!(
                md,
                "| time (UTC) | from | to | method | account | proved by |"
            );
            let _ = writeln!(md, "|---|---|---|---|---|---|");
            for e in &incident.lateral_movement {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} |",
                    e.time.format("%Y-%m-%d %H:%M:%S"),
                    inert(&e.from),
                    inert(&e.to),
                    e.method.as_str(),
                    inert(e.account.as_deref().unwrap_or("?")),
                    inert(&events(&e.events, 3))
                );
            }
        }
        if !incident.account_changes.is_empty() {
            let _ = writeln!(md, "\n### Accounts the attacker changed\n");
            let _ = writeln!(
                md,
                "| time (UTC) | account | change | by | on | what to do | proved by |"
            );
            let _ = writeln!(md, "|---|---|---|---|---|---|---|");
            for c in &incident.account_changes {
                let change = match &c.group {
                    Some(group) => format!("{} ({group})", c.change.as_str()),
                    None => c.change.as_str().to_string(),
                };
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    c.time.format("%Y-%m-%d %H:%M:%S"),
                    inert(&c.account),
                    inert(&change.replace('_', " ")),
                    inert(c.by.as_deref().unwrap_or("?")),
                    inert(&c.host),
                    inert(&c.action),
                    inert(&events(&c.events, 3))
                );
            }
        }
        if !incident.credential_attacks.is_empty() {
            let _ = writeln!(md, "\n### Credential attacks\n");
            let _ = writeln!(
                md,
                "| from (UTC) | to | kind | source | by | logged on | attempts | accounts targeted | proved by |"
            );
            let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|");
            for a in &incident.credential_attacks {
                let mut targets: Vec<&str> = a.targets.iter().take(8).map(String::as_str).collect();
                let more = a.targets.len().saturating_sub(8);
                let more = format!("… {more} more");
                if a.targets.len() > 8 {
                    targets.push(&more);
                }
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    a.first.format("%Y-%m-%d %H:%M:%S"),
                    a.last.format("%H:%M:%S"),
                    a.kind.as_str().replace('_', " "),
                    inert(a.source.as_deref().unwrap_or("?")),
                    inert(a.account.as_deref().unwrap_or("?")),
                    inert(&a.host),
                    a.attempts,
                    inert(&targets.join(", ")),
                    inert(&events(&a.events, 2))
                );
            }
        }
        let c = &incident.credentials;
        let _ = writeln!(md, "\n### Credentials to rotate\n");
        for d in &c.domain_wide {
            let _ = writeln!(md, "- **Domain-wide:** {}", inert(d));
        }
        for a in &c.accounts {
            let _ = writeln!(
                md,
                "- [{}] **{}** ({}) — {}",
                a.urgency,
                inert(&a.account),
                inert(&a.hosts.join(", ")),
                inert(&a.reasons.join("; "))
            );
        }
        if !c.machine_accounts.is_empty() {
            let machines: Vec<&str> = c
                .machine_accounts
                .iter()
                .map(|m| m.account.as_str())
                .collect();
            let _ = writeln!(md, "- Computer accounts: {}", inert(&machines.join(", ")));
        }
        let _ = writeln!(md, "\nNot covered: {}\n", inert(&c.not_covered.join("; ")));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::inert;

    #[test]
    fn evidence_text_stays_text() {
        assert_eq!(
            inert("<img src=x onerror=alert(1)>|[a](http://x)"),
            "\\<img src=x onerror=alert(1)\\>\\|\\[a\\](http://x)"
        );
        assert_eq!(inert("two\nlines\u{7}"), "two lines");
        assert_eq!(inert("CLINIC\\svc_backup"), "CLINIC\\\\svc_backup");
    }
}
