//! The page's sections, each from the data the case computed, in words for
//! a reader who is not a security engineer.

use std::fmt::Write as _;

use super::{escape, figures, list, Case};
use crate::clocks::ClockState;
use crate::containment::Action;
use crate::notice::{self as words, Notice};
use crate::notification::Fill;

/// What the case is about, for the title: the incidents' time span.
pub fn title(case: &Case) -> String {
    let incidents = &case.report.incidents;
    match (
        incidents.iter().map(|i| i.first_evidence).min(),
        incidents.iter().map(|i| i.last_evidence).max(),
    ) {
        (Some(first), Some(last)) => format!(
            "{} incident{}, {} to {}",
            incidents.len(),
            if incidents.len() == 1 { "" } else { "s" },
            first.format("%Y-%m-%d %H:%M"),
            last.format("%Y-%m-%d %H:%M UTC")
        ),
        _ => "no incident found".into(),
    }
}

pub fn body(id: &str, case: &Case) -> String {
    match id {
        "summary" => summary(case),
        "what-happened" => what_happened(case),
        "hosts" => hosts(case),
        "data-taken" => data_taken(case),
        "credentials" => credentials(case),
        "containment" => containment(case),
        "clocks" => clocks(case),
        "customer-notice" => customer_notice(case),
        "manifest" => manifest(case),
        "limits" => limits(case),
        _ => String::new(),
    }
}

/// A byte count as people read it: 6.28 GB, 48.3 MB; the exact count for
/// small ones.
fn bytes(n: u64) -> String {
    const UNITS: [(&str, f64); 4] = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    UNITS
        .iter()
        .find(|(_, size)| n as f64 >= *size)
        .map_or(format!("{n} B"), |(unit, size)| {
            format!("{:.1} {unit}", n as f64 / size)
        })
}

fn verdict_class(verdict: vigil_exfil::Verdict) -> &'static str {
    use vigil_exfil::Verdict;
    match verdict {
        Verdict::Likely => "bad",
        Verdict::Suspected | Verdict::CannotBeAssessed => "warn",
        Verdict::NoEvidence => "ok",
    }
}

fn summary(case: &Case) -> String {
    let mut h = String::new();
    let report = case.report;
    let hosts: std::collections::BTreeSet<&str> = report
        .incidents
        .iter()
        .flat_map(|i| i.hosts.iter().map(|h| h.host.as_str()))
        .collect();
    let hops: usize = report
        .incidents
        .iter()
        .map(|i| i.lateral_movement.len())
        .sum();
    let overdue = case.clocks.iter().filter(|c| c.overdue()).count();
    h.push_str("<div class=\"keyfacts\">");
    let _ = write!(
        h,
        "<div><b>{}</b>incident{}</div><div><b>{}</b>hosts in scope</div><div><b>{hops}</b>moves between hosts</div><div><b>{}</b>accounts to act on</div><div><b>{overdue}</b>notification deadlines overdue</div>",
        report.incidents.len(),
        if report.incidents.len() == 1 { "" } else { "s" },
        hosts.len(),
        case.plan.accounts.len()
    );
    h.push_str("</div>\n");
    if report.incidents.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", words::NO_INTRUSION);
    }
    for i in &report.incidents {
        let _ = write!(
            h,
            "<p><b>Incident {} ({}), {} to {} UTC.</b> {}",
            i.id,
            escape(&i.severity.to_string()),
            i.first_evidence.format("%Y-%m-%d %H:%M"),
            i.last_evidence.format("%Y-%m-%d %H:%M"),
            escape(&i.summary)
        );
        if let Some(pz) = &i.patient_zero {
            let _ = write!(
                h,
                " It most likely started on <b>{}</b>: {}",
                escape(&pz.host),
                escape(&pz.reasoning)
            );
        }
        h.push_str("</p>\n");
    }
    if let Some(a) = case.assessment {
        let _ = writeln!(
            h,
            "<p>Was data taken? <span class=\"verdict {}\">{}</span> {}</p>",
            verdict_class(a.verdict),
            escape(a.verdict.as_str()),
            escape(&a.summary)
        );
    }
    let _ = writeln!(
        h,
        "<p><b>What to do:</b> {}</p>",
        escape(&case.plan.summary)
    );
    let _ = writeln!(
        h,
        "<p>Counted from {} events and {} detections; {} detections joined no incident.</p>",
        report.events, report.detections, report.unattached_detections
    );
    h
}

fn what_happened(case: &Case) -> String {
    let mut h = String::new();
    h.push_str("<h3>Hosts over time</h3>\n<figure id=\"timeline-figure\">\n");
    h.push_str(&figures::timeline(&case.report.incidents));
    h.push_str("<figcaption>One row per host in scope, ordered by first evidence. The bar runs from the first to the last evidence on the host; dots are detections; arrows are the attacker's moves from one host to another.</figcaption>\n</figure>\n");
    h.push_str("<h3>How the attacker moved</h3>\n<figure id=\"movement-figure\">\n");
    h.push_str(&figures::movement(&case.report.incidents));
    h.push_str("<figcaption>Hosts on a circle, clockwise in the order the attacker reached them; each arrow is a move, labelled with how it was made and how often.</figcaption>\n</figure>\n");
    for i in &case.report.incidents {
        if i.lateral_movement.is_empty() {
            continue;
        }
        let _ = writeln!(h, "<h3>Moves of incident {}</h3>", i.id);
        h.push_str("<table><tr><th>time (UTC)</th><th>from</th><th>to</th><th>method</th><th>account</th><th>proved by</th></tr>\n");
        for e in &i.lateral_movement {
            let proof: Vec<String> = e.events.iter().take(2).map(ToString::to_string).collect();
            let _ = writeln!(
                h,
                "<tr><td class=\"when\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"long\">{}</td></tr>",
                e.time.format("%Y-%m-%d %H:%M:%S"),
                escape(&e.from),
                escape(&e.to),
                escape(&e.method.as_str().replace('_', " ")),
                escape(e.account.as_deref().unwrap_or("?")),
                escape(&proof.join("; "))
            );
        }
        h.push_str("</table>\n");
    }
    h
}

fn hosts(case: &Case) -> String {
    let mut h = String::new();
    h.push_str("<table><tr><th>host</th><th>role</th><th>first evidence</th><th>last evidence</th><th>what was seen</th><th>action</th></tr>\n");
    for i in &case.report.incidents {
        for a in &i.hosts {
            let mut seen: Vec<String> = a.detections.iter().take(4).cloned().collect();
            if a.detections.len() > 4 {
                seen.push(format!("… {} more rules", a.detections.len() - 4));
            }
            seen.extend(
                a.reached_by
                    .iter()
                    .take(3)
                    .map(|r| format!("reached by {r}")),
            );
            seen.extend(a.origin.clone());
            let action = case
                .plan
                .hosts
                .iter()
                .find(|p| p.host == a.host)
                .map(|p| p.action.as_str())
                .unwrap_or("—");
            let _ = writeln!(
                h,
                "<tr><td><b>{}</b></td><td>{}</td><td class=\"when\">{}</td><td class=\"when\">{}</td><td>{}</td><td class=\"action\">{}</td></tr>",
                escape(&a.host),
                escape(a.role.as_deref().unwrap_or("—")),
                a.first_evidence.format("%Y-%m-%d %H:%M:%S"),
                a.last_evidence.format("%Y-%m-%d %H:%M:%S"),
                escape(&seen.join("; ")),
                action
            );
        }
    }
    h.push_str("</table>\n");
    h
}

fn data_taken(case: &Case) -> String {
    let Some(a) = case.assessment else {
        return "<p>No network evidence was given: whether data left cannot be said.</p>\n".into();
    };
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<p><span class=\"verdict {}\">{}</span> {}</p>",
        verdict_class(a.verdict),
        escape(a.verdict.as_str()),
        escape(&a.summary)
    );
    if let Some(w) = a.window {
        let _ = writeln!(
            h,
            "<p>Window examined: {} to {} UTC ({}).</p>",
            w.start.format("%Y-%m-%d %H:%M"),
            w.end.format("%Y-%m-%d %H:%M"),
            escape(&a.window_basis)
        );
    }
    let _ = writeln!(
        h,
        "<p>Read {} flow records, {} DNS queries; {} records could not be read.</p>",
        a.flows, a.dns_queries, a.unreadable_records
    );
    let listed: Vec<_> = a
        .hosts
        .iter()
        .filter(|x| x.in_scope || !x.reasons.is_empty())
        .collect();
    if !listed.is_empty() {
        h.push_str("<table><tr><th>host</th><th>role</th><th>verdict</th><th>bytes sent out in the window</th><th>why</th></tr>\n");
        for x in listed {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td><span class=\"verdict {}\">{}</span></td><td class=\"n\">{}</td><td>{}</td></tr>",
                escape(&x.host),
                escape(x.role.as_deref().unwrap_or("—")),
                verdict_class(x.verdict),
                escape(x.verdict.as_str()),
                bytes(x.window_bytes),
                escape(&x.reasons.join("; "))
            );
        }
        h.push_str("</table>\n");
    }
    if !a.gaps.is_empty() {
        h.push_str("<h3>What could not be seen</h3>\n<ul>");
        for g in &a.gaps {
            let _ = write!(h, "<li>{}</li>", escape(g));
        }
        h.push_str("</ul>\n");
    }
    for n in &a.notes {
        let _ = writeln!(h, "<p class=\"sub\">{}</p>", escape(n));
    }
    h
}

fn credentials(case: &Case) -> String {
    let mut h = String::new();
    let plan = case.plan;
    if !plan.accounts.is_empty() {
        h.push_str("<h3>Accounts</h3>\n<table><tr><th>account</th><th>action</th><th>urgency</th><th>what to do</th><th>why</th></tr>\n");
        for a in &plan.accounts {
            let _ = writeln!(
                h,
                "<tr><td><b>{}</b></td><td class=\"action\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&a.account),
                escape(a.action.as_str()),
                a.urgency,
                escape(&a.instruction),
                escape(&a.reasons.join("; "))
            );
        }
        h.push_str("</table>\n");
    }
    let changes: Vec<_> = case
        .report
        .incidents
        .iter()
        .flat_map(|i| &i.account_changes)
        .collect();
    if !changes.is_empty() {
        h.push_str("<h3>Accounts the attacker changed</h3>\n<table><tr><th>time (UTC)</th><th>account</th><th>change</th><th>by</th><th>on</th><th>what to do</th></tr>\n");
        for c in changes {
            let change = match &c.group {
                Some(group) => format!("{} ({group})", c.change.as_str()),
                None => c.change.as_str().to_string(),
            };
            let _ = writeln!(
                h,
                "<tr><td class=\"when\">{}</td><td><b>{}</b></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                c.time.format("%Y-%m-%d %H:%M:%S"),
                escape(&c.account),
                escape(&change.replace('_', " ")),
                escape(c.by.as_deref().unwrap_or("?")),
                escape(&c.host),
                escape(&c.action)
            );
        }
        h.push_str("</table>\n");
    }
    let attacks: Vec<_> = case
        .report
        .incidents
        .iter()
        .flat_map(|i| &i.credential_attacks)
        .collect();
    if !attacks.is_empty() {
        h.push_str("<h3>Attempts to steal passwords</h3>\n<table><tr><th>from (UTC)</th><th>to</th><th>kind</th><th>source</th><th>logged on</th><th>attempts</th><th>accounts targeted</th></tr>\n");
        for a in attacks {
            let mut targets: Vec<String> = a.targets.iter().take(8).cloned().collect();
            if a.targets.len() > 8 {
                targets.push(format!("… {} more", a.targets.len() - 8));
            }
            let _ = writeln!(
                h,
                "<tr><td class=\"when\">{}</td><td class=\"when\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                a.first.format("%Y-%m-%d %H:%M:%S"),
                a.last.format("%H:%M:%S"),
                escape(&a.kind.as_str().replace('_', " ")),
                escape(a.source.as_deref().unwrap_or("?")),
                escape(&a.host),
                a.attempts,
                escape(&targets.join(", "))
            );
        }
        h.push_str("</table>\n");
    }
    if !plan.domain_wide.is_empty() {
        h.push_str("<h3>Domain-wide, in this order</h3>\n<ol>");
        for d in &plan.domain_wide {
            let _ = write!(
                h,
                "<li><b>{}</b> — {}</li>",
                escape(&d.action),
                escape(&d.why)
            );
        }
        h.push_str("</ol>\n");
    }
    if h.is_empty() {
        h.push_str("<p>No account was seen acting for the attacker.</p>\n");
    }
    h
}

fn containment(case: &Case) -> String {
    let plan = case.plan;
    let mut h = String::new();
    let _ = writeln!(h, "<p class=\"box\">{}</p>", escape(&plan.summary));
    if !plan.order.is_empty() {
        h.push_str("<h3>In this order</h3>\n<table><tr><th>#</th><th>do</th><th>on</th><th>why</th></tr>\n");
        for s in &plan.order {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td><b>{}</b></td><td>{}</td><td>{}</td></tr>",
                s.step,
                escape(&s.action),
                list(&s.targets),
                escape(&s.why)
            );
        }
        h.push_str("</table>\n");
    }
    if !plan.hosts.is_empty() {
        h.push_str("<h3>Hosts</h3>\n<table><tr><th>host</th><th>role</th><th>action</th><th>why</th><th>takes down</th><th>degrades</th></tr>\n");
        for x in &plan.hosts {
            let class = match x.action {
                Action::Watch => "ok",
                _ => "bad",
            };
            let _ = writeln!(
                h,
                "<tr><td><b>{}</b></td><td>{}</td><td><span class=\"verdict action {class}\">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&x.host),
                escape(x.role.as_deref().unwrap_or("—")),
                x.action.as_str(),
                escape(&x.why),
                list(&x.takes_down),
                list(&x.degrades)
            );
        }
        h.push_str("</table>\n<ul>");
        for x in &plan.hosts {
            if let Some(r) = &x.restriction {
                let _ = write!(
                    h,
                    "<li><b>{}</b> restricted: allow {} from {} ({}); cut {}.{}</li>",
                    escape(&x.host),
                    list(&r.services),
                    list(&r.allow_from),
                    list(&r.allow_addresses),
                    escape(&r.cut.join("; ")),
                    r.note
                        .as_deref()
                        .map(|n| format!(" Note: {}.", escape(n)))
                        .unwrap_or_default()
                );
            }
        }
        h.push_str("</ul>\n");
    }
    if let Some(i) = &plan.impact {
        h.push_str("<h3>What it costs the business</h3>\n<table><tr><th>service</th><th>effect</th><th>why</th></tr>\n");
        for s in &i.down {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td><span class=\"verdict bad\">down</span></td><td>{}</td></tr>",
                escape(&s.service),
                escape(&s.why)
            );
        }
        for s in &i.degraded {
            let _ = writeln!(h, "<tr><td>{}</td><td><span class=\"verdict warn\">degraded</span></td><td>{}</td></tr>", escape(&s.service), escape(&s.why));
        }
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><span class=\"verdict ok\">stays up</span></td><td></td></tr>",
            list(&i.up)
        );
        h.push_str("</table>\n");
        if !plan.alternatives.is_empty() {
            h.push_str("<p>Against the blunt alternatives:</p><ul>");
            for a in &plan.alternatives {
                let _ = write!(h, "<li>Instead, to {}</li>", escape(&a.summary));
            }
            h.push_str("</ul>\n");
        }
    }
    if !plan.network.is_empty() {
        h.push_str("<h3>Outside destinations to block</h3>\n<table><tr><th>destination</th><th>names</th><th>contacted from</th><th>why</th><th>evidence</th></tr>\n");
        for b in &plan.network {
            let _ = writeln!(
                h,
                "<tr><td><b>{}</b></td><td>{}</td><td>{}</td><td>{}</td><td class=\"long\">{}</td></tr>",
                escape(&b.destination),
                list(&b.names),
                list(&b.hosts),
                escape(&b.reasons.join("; ")),
                list(&b.evidence)
            );
        }
        h.push_str("</table>\n");
    }
    h
}

fn clocks(case: &Case) -> String {
    let mut h = String::new();
    match case.awareness {
        Some(a) => {
            let _ = writeln!(
                h,
                "<p>Aware since <b>{} UTC</b>: {}.</p>",
                a.time.format("%Y-%m-%d %H:%M"),
                escape(&a.basis)
            );
        }
        None => h.push_str("<p>No moment of awareness given and no high or critical detection: the clocks are not set.</p>\n"),
    }
    h.push_str("<table><tr><th>law</th><th>what, to whom</th><th>deadline</th><th>state</th><th>what the law asks</th></tr>\n");
    for c in case.clocks {
        let class = match c.state {
            ClockState::Overdue => "bad",
            ClockState::Open | ClockState::AsSoonAsPossible => "warn",
            ClockState::NotStarted => "",
        };
        let _ = writeln!(
            h,
            "<tr><td><b>{}</b></td><td>{}</td><td class=\"when\">{}</td><td><span class=\"verdict {class}\">{}</span></td><td>{}</td></tr>",
            escape(&c.law),
            escape(&c.duty),
            c.deadline
                .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "—".into()),
            escape(&c.state_in_words()),
            escape(&c.text)
        );
    }
    h.push_str("</table>\n<h3>What the notification to the authority must say (GDPR Art. 33(3))</h3>\n<table><tr><th></th><th>item</th><th>from the evidence</th><th>to add</th></tr>\n");
    for c in case.contents {
        let class = match c.fill {
            Fill::Filled => "ok",
            Fill::Partly => "warn",
            Fill::Missing => "bad",
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{} <span class=\"verdict {class}\">{}</span></td><td>{}</td><td>{}</td></tr>",
            escape(&c.article),
            escape(&c.item),
            c.fill.as_str(),
            escape(&c.text),
            escape(c.to_complete.as_deref().unwrap_or("—"))
        );
    }
    h.push_str("</table>\n");
    h
}

fn customer_notice(case: &Case) -> String {
    let notice = Notice::new(
        case.plan,
        &case.report.incidents,
        case.assessment,
        case.inventory,
    );
    let mut h = String::from("<div class=\"box\">\n<p>");
    match notice.opening() {
        Some(opening) => {
            let _ = write!(
                h,
                "{}{}.",
                escape(&opening),
                if notice.services.is_empty() {
                    String::new()
                } else {
                    format!(", which serve: {}", list(&notice.services))
                }
            );
        }
        None => h.push_str(words::NO_INTRUSION),
    }
    if let Some((verdict, summary)) = &notice.data_taken {
        let _ = write!(
            h,
            " Was data taken? {} — {}",
            escape(verdict),
            escape(summary)
        );
    }
    let _ = write!(
        h,
        "</p>\n<p><b>{}</b> {}</p>\n<ul>",
        words::PASSWORDS_HEADING,
        words::PASSWORDS_LEAD
    );
    if let Some(advice) = notice.services_advice() {
        let _ = write!(
            h,
            "<li>If you use {}: {advice}</li>",
            list(&notice.services)
        );
    }
    if !notice.staff.is_empty() {
        let _ = write!(h, "<li>{}<ul>", words::STAFF_LEAD);
        for (account, why) in &notice.staff {
            let _ = write!(h, "<li>{}: {why}.</li>", escape(account));
        }
        h.push_str("</ul></li>");
    }
    if notice.domain_wide {
        let _ = write!(h, "<li>{}</li>", words::DOMAIN_WIDE);
    }
    let _ = write!(
        h,
        "</ul>\n<p><b>{}</b> {}",
        words::PHISHING_HEADING,
        words::PHISHING
    );
    if !notice.attacker_names.is_empty() {
        let _ = write!(
            h,
            " {} {}.",
            words::ATTACKER_ADDRESSES,
            list(&notice.attacker_names)
        );
    }
    h.push_str("</p>\n</div>\n");
    h
}

fn manifest(case: &Case) -> String {
    let m = case.manifest;
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<p>Vigil {}, {} UTC. Command line: <code>{}</code></p>",
        escape(&m.vigil_version),
        m.created.format("%Y-%m-%d %H:%M:%S"),
        escape(&m.command_line.join(" "))
    );
    h.push_str("<table><tr><th>file</th><th>size (bytes)</th><th>SHA-256</th><th>events from</th><th>to</th></tr>\n");
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("—".to_string(), |t| {
            t.format("%Y-%m-%d %H:%M").to_string()
        })
    };
    for e in &m.evidence {
        let _ = writeln!(
            h,
            "<tr><td class=\"long\">{}</td><td class=\"n\">{}</td><td class=\"hash long\">{}</td><td class=\"when\">{}</td><td class=\"when\">{}</td></tr>",
            escape(&e.path),
            e.size.map_or("—".to_string(), |s| s.to_string()),
            escape(
                e.sha256
                    .as_deref()
                    .or(e.problem.as_deref())
                    .unwrap_or_default()
            ),
            time(e.first_event),
            time(e.last_event)
        );
    }
    h.push_str("</table>\n");
    let _ = writeln!(
        h,
        "<p>Rules: {} file(s), combined SHA-256 <span class=\"hash\">{}</span>. Check the evidence again with <code>vigil case --verify CASE</code>.</p>",
        m.rules.files.len(),
        escape(&m.rules.combined_sha256)
    );
    h
}

fn limits(case: &Case) -> String {
    let mut items: Vec<String> = Vec::new();
    items.extend(case.plan.limits.iter().cloned());
    if let Some(a) = case.assessment {
        items.extend(a.gaps.iter().cloned());
    }
    for i in &case.report.incidents {
        for n in &i.credentials.not_covered {
            if !items.contains(n) {
                items.push(n.clone());
            }
        }
    }
    let unreadable = case
        .manifest
        .evidence
        .iter()
        .filter(|e| e.problem.is_some())
        .count();
    if unreadable > 0 {
        items.push(format!(
            "{unreadable} evidence file(s) could not be read; they are listed in the manifest."
        ));
    }
    items.push("The analysis sees only the evidence listed in the manifest: systems whose logs were not collected, and activity the logs do not record, are not in this report.".into());
    let mut h = String::from("<ul>");
    for l in &items {
        let _ = write!(h, "<li>{}</li>", escape(l));
    }
    h.push_str("</ul>\n");
    h
}
