//! The page's sections, each from the data the case computed, in words for
//! a reader who is not a security engineer.

use std::fmt::Write as _;

use super::{escape, figures, list, Case};
use crate::clocks::ClockState;
use crate::containment::Action;
use crate::notice::Notice;
use crate::notification::Fill;

/// A table's opening and header row.
fn table(header: &[&str]) -> String {
    let mut h = String::from("<table><tr>");
    for cell in header {
        let _ = write!(h, "<th>{cell}</th>");
    }
    h.push_str("</tr>\n");
    h
}

/// What the case is about, for the title: the incidents' time span.
pub fn title(case: &Case) -> String {
    let w = case.lang.words();
    let incidents = &case.report.incidents;
    match (
        incidents.iter().map(|i| i.first_evidence).min(),
        incidents.iter().map(|i| i.last_evidence).max(),
    ) {
        (Some(first), Some(last)) => (w.title)(
            incidents.len(),
            &first.format("%Y-%m-%d %H:%M").to_string(),
            &last.format("%Y-%m-%d %H:%M UTC").to_string(),
        ),
        _ => w.no_incident_found.into(),
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
    let w = case.lang.words();
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
    let counts = [
        report.incidents.len(),
        hosts.len(),
        hops,
        case.plan.accounts.len(),
        overdue,
    ];
    for (n, label) in counts.iter().zip(w.keyfacts) {
        let _ = write!(h, "<div><b>{n}</b>{label}</div>");
    }
    h.push_str("</div>\n");
    if report.incidents.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", w.no_intrusion);
    }
    for i in &report.incidents {
        let _ = write!(
            h,
            "<p><b>{}</b> {}",
            escape(&(w.incident_line)(
                i.id,
                w.level(i.severity),
                &i.first_evidence.format("%Y-%m-%d %H:%M").to_string(),
                &i.last_evidence.format("%Y-%m-%d %H:%M").to_string()
            )),
            escape(&crate::sentences::incident_summary(i, case.lang))
        );
        if let Some(pz) = &i.patient_zero {
            let _ = write!(
                h,
                " {} <b>{}</b>: {}",
                w.started_on,
                escape(&pz.host),
                escape(&pz.reasoning)
            );
        }
        h.push_str("</p>\n");
    }
    if let Some(a) = case.assessment {
        let _ = writeln!(
            h,
            "<p>{} <span class=\"verdict {}\">{}</span> {}</p>",
            w.data_taken_question,
            verdict_class(a.verdict),
            escape(a.verdict.as_str()),
            escape(&a.summary)
        );
    }
    let _ = writeln!(
        h,
        "<p><b>{}</b> {}</p>",
        w.what_to_do,
        escape(&case.plan.summary_in(case.lang))
    );
    let _ = writeln!(
        h,
        "<p>{}</p>",
        (w.counted_from)(
            report.events,
            report.detections,
            report.unattached_detections
        )
    );
    h
}

fn what_happened(case: &Case) -> String {
    let w = case.lang.words();
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<h3>{}</h3>\n<figure id=\"timeline-figure\">",
        w.hosts_over_time
    );
    h.push_str(&figures::timeline(&case.report.incidents, w));
    let _ = writeln!(
        h,
        "<figcaption>{}</figcaption>\n</figure>",
        w.timeline_caption
    );
    if let Some((figure, from, to)) = figures::busiest_hour(&case.report.incidents, w) {
        let _ = writeln!(
            h,
            "<h3>{}</h3>\n<figure id=\"busiest-hour-figure\">",
            w.busiest_hour
        );
        h.push_str(&figure);
        let _ = writeln!(
            h,
            "<figcaption>{}</figcaption>\n</figure>",
            escape(&(w.busiest_caption)(
                &from.format("%Y-%m-%d %H:%M").to_string(),
                &to.format("%Y-%m-%d %H:%M").to_string()
            ))
        );
    }
    let _ = writeln!(
        h,
        "<h3>{}</h3>\n<figure id=\"movement-figure\">",
        w.how_moved
    );
    h.push_str(&figures::movement(&case.report.incidents, w));
    let _ = writeln!(
        h,
        "<figcaption>{}</figcaption>\n</figure>",
        w.movement_caption
    );
    for i in &case.report.incidents {
        if i.lateral_movement.is_empty() {
            continue;
        }
        let _ = writeln!(h, "<h3>{} {}</h3>", w.moves_of, i.id);
        h.push_str(&table(&w.moves_header));
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
    let w = case.lang.words();
    let mut h = table(&w.scope_header);
    for i in &case.report.incidents {
        for a in &i.hosts {
            let mut seen: Vec<String> = a.detections.iter().take(4).cloned().collect();
            if a.detections.len() > 4 {
                seen.push(format!("… {} {}", a.detections.len() - 4, w.more_rules));
            }
            seen.extend(
                a.reached_by
                    .iter()
                    .take(3)
                    .map(|r| format!("{} {r}", w.reached_by)),
            );
            seen.extend(a.origin.clone());
            let action = case
                .plan
                .hosts
                .iter()
                .find(|p| p.host == a.host)
                .map(|p| w.action(p.action))
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
    let words = case.lang.words();
    let Some(a) = case.assessment else {
        return format!("<p>{}</p>\n", words.no_network);
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
            "<p>{} {} {} {} UTC ({}).</p>",
            words.window_examined,
            w.start.format("%Y-%m-%d %H:%M"),
            words.to,
            w.end.format("%Y-%m-%d %H:%M"),
            escape(&a.window_basis)
        );
    }
    let _ = writeln!(
        h,
        "<p>{}</p>",
        (words.read_records)(a.flows, a.dns_queries, a.unreadable_records)
    );
    let listed: Vec<_> = a
        .hosts
        .iter()
        .filter(|x| x.in_scope || !x.reasons.is_empty())
        .collect();
    if !listed.is_empty() {
        h.push_str(&table(&words.exfil_header));
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
        let _ = write!(h, "<h3>{}</h3>\n<ul>", words.could_not_be_seen);
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
    let w = case.lang.words();
    let mut h = String::new();
    let plan = case.plan;
    if !plan.accounts.is_empty() {
        let _ = writeln!(h, "<h3>{}</h3>", w.accounts);
        h.push_str(&table(&w.accounts_header));
        for a in &plan.accounts {
            let _ = writeln!(
                h,
                "<tr><td><b>{}</b></td><td class=\"action\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&a.account),
                escape(w.account_step(a.action)),
                a.urgency,
                escape(&a.instruction_in(case.lang)),
                escape(&a.reasons_in(case.lang).join("; "))
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
        let _ = writeln!(h, "<h3>{}</h3>", w.changed_accounts);
        h.push_str(&table(&w.changed_header));
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
        let _ = writeln!(h, "<h3>{}</h3>", w.credential_attacks);
        h.push_str(&table(&w.attacks_header));
        for a in attacks {
            let mut targets: Vec<String> = a.targets.iter().take(8).cloned().collect();
            if a.targets.len() > 8 {
                targets.push(format!("… {} {}", a.targets.len() - 8, w.more));
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
        let _ = write!(h, "<h3>{}</h3>\n<ol>", w.domain_wide_order);
        for d in &plan.domain_wide {
            let _ = write!(
                h,
                "<li><b>{}</b> — {}</li>",
                escape(&d.action_in(case.lang)),
                escape(&d.why_in(case.lang))
            );
        }
        h.push_str("</ol>\n");
    }
    if h.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", w.no_account);
    }
    h
}

fn containment(case: &Case) -> String {
    let w = case.lang.words();
    let plan = case.plan;
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<p class=\"box\">{}</p>",
        escape(&plan.summary_in(case.lang))
    );
    if !plan.order.is_empty() {
        let _ = writeln!(h, "<h3>{}</h3>", w.in_this_order);
        h.push_str(&table(&w.order_header));
        for s in &plan.order {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td><b>{}</b></td><td>{}</td><td>{}</td></tr>",
                s.step,
                escape(&s.action_in(case.lang)),
                list(&s.targets),
                escape(&s.why_in(case.lang))
            );
        }
        h.push_str("</table>\n");
    }
    if !plan.hosts.is_empty() {
        let _ = writeln!(h, "<h3>{}</h3>", w.hosts);
        h.push_str(&table(&w.hosts_header));
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
                w.action(x.action),
                escape(&x.reason.words(case.lang)),
                list(&x.takes_down),
                list(&x.degrades)
            );
        }
        h.push_str("</table>\n<ul>");
        for x in &plan.hosts {
            if let Some(r) = &x.restriction {
                let _ = write!(
                    h,
                    "<li>{}{}</li>",
                    (w.restricted)(
                        &format!("<b>{}</b>", escape(&x.host)),
                        &list(&r.services),
                        &list(&r.allow_from),
                        &list(&r.allow_addresses),
                        &escape(&r.cut_in(case.lang).join("; "))
                    ),
                    r.note_in(case.lang)
                        .map(|n| format!(" {} {}.", w.note, escape(&n)))
                        .unwrap_or_default()
                );
            }
        }
        h.push_str("</ul>\n");
    }
    if let Some(i) = &plan.impact {
        let _ = writeln!(h, "<h3>{}</h3>", w.what_it_costs_business);
        h.push_str(&table(&w.cost_header));
        for s in &i.down {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td><span class=\"verdict bad\">{}</span></td><td>{}</td></tr>",
                escape(&s.service),
                w.down,
                escape(&s.why_in(case.lang))
            );
        }
        for s in &i.degraded {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td><span class=\"verdict warn\">{}</span></td><td>{}</td></tr>",
                escape(&s.service),
                w.degraded,
                escape(&s.why_in(case.lang))
            );
        }
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><span class=\"verdict ok\">{}</span></td><td></td></tr>",
            list(&i.up),
            w.stays_up
        );
        h.push_str("</table>\n");
        if !plan.alternatives.is_empty() {
            let _ = write!(h, "<p>{}</p><ul>", w.blunt_alternatives);
            for a in &plan.alternatives {
                let _ = write!(
                    h,
                    "<li>{} {}</li>",
                    w.instead,
                    escape(&a.summary_in(case.lang))
                );
            }
            h.push_str("</ul>\n");
        }
    }
    if !plan.network.is_empty() {
        let _ = writeln!(h, "<h3>{}</h3>", w.block);
        h.push_str(&table(&w.block_header));
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
    let w = case.lang.words();
    let mut h = String::new();
    match case.awareness {
        Some(a) => {
            let _ = writeln!(
                h,
                "<p>{} <b>{} UTC</b>: {}.</p>",
                w.aware_since,
                a.time.format("%Y-%m-%d %H:%M"),
                escape(&w.awareness_basis(&a.basis))
            );
        }
        None => {
            let _ = writeln!(h, "<p>{}</p>", w.not_set);
        }
    }
    h.push_str(&table(&w.clocks_header));
    for c in case.clocks {
        let class = match c.state {
            ClockState::Overdue => "bad",
            ClockState::Open | ClockState::AsSoonAsPossible => "warn",
            ClockState::NotStarted => "",
        };
        let (law, duty, text) = w.clock_texts(c);
        let _ = writeln!(
            h,
            "<tr><td><b>{}</b></td><td>{}</td><td class=\"when\">{}</td><td><span class=\"verdict {class}\">{}</span></td><td>{}</td></tr>",
            escape(&law),
            escape(&duty),
            c.deadline
                .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "—".into()),
            escape(&w.clock_state(c)),
            escape(&text)
        );
    }
    let _ = writeln!(h, "</table>\n<h3>{}</h3>", w.art33_heading);
    h.push_str(&table(&[&[""][..], &w.art33_header[..]].concat()));
    for c in case.contents {
        let class = match c.fill {
            Fill::Filled => "ok",
            Fill::Partly => "warn",
            Fill::Missing => "bad",
        };
        let (article, item, to_complete) = w.art33_row(c);
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{} <span class=\"verdict {class}\">{}</span></td><td>{}</td><td>{}</td></tr>",
            escape(&article),
            escape(&item),
            w.fill(c.fill),
            escape(c.text_in(case.lang)),
            escape(&to_complete)
        );
    }
    h.push_str("</table>\n");
    h
}

fn customer_notice(case: &Case) -> String {
    let words = case.lang.words();
    let notice = Notice::new(
        case.plan,
        &case.report.incidents,
        case.assessment,
        case.inventory,
        case.lang,
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
                    format!("{} {}", words.which_serve, list(&notice.services))
                }
            );
        }
        None => h.push_str(words.no_intrusion),
    }
    if let Some((verdict, summary)) = &notice.data_taken {
        let _ = write!(
            h,
            " {} {} — {}",
            words.data_taken_question,
            escape(verdict),
            escape(summary)
        );
    }
    let _ = write!(
        h,
        "</p>\n<p><b>{}</b> {}</p>\n<ul>",
        words.passwords_heading, words.passwords_lead
    );
    if let Some(advice) = notice.services_advice() {
        let _ = write!(
            h,
            "<li>{}: {advice}</li>",
            (words.if_you_use)(&list(&notice.services))
        );
    }
    if !notice.staff.is_empty() {
        let _ = write!(h, "<li>{}<ul>", words.staff_lead);
        for (account, why) in &notice.staff {
            let _ = write!(h, "<li>{}: {why}.</li>", escape(account));
        }
        h.push_str("</ul></li>");
    }
    if notice.domain_wide {
        let _ = write!(h, "<li>{}</li>", words.domain_wide_notice);
    }
    let _ = write!(
        h,
        "</ul>\n<p><b>{}</b> {}",
        words.phishing_heading, words.phishing
    );
    if !notice.attacker_names.is_empty() {
        let _ = write!(
            h,
            " {} {}.",
            words.attacker_addresses,
            list(&notice.attacker_names)
        );
    }
    h.push_str("</p>\n</div>\n");
    h
}

fn manifest(case: &Case) -> String {
    let w = case.lang.words();
    let m = case.manifest;
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<p>Vigil {}, {} UTC. {} <code>{}</code></p>",
        escape(&m.vigil_version),
        m.created.format("%Y-%m-%d %H:%M:%S"),
        w.command_line,
        escape(&m.command_line.join(" "))
    );
    h.push_str(&table(&w.manifest_header));
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
        "<p>{} {} <code>vigil case --verify CASE</code>.</p>",
        (w.rules_line)(
            m.rules.files.len(),
            &format!(
                "<span class=\"hash\">{}</span>",
                escape(&m.rules.combined_sha256)
            )
        ),
        w.verify_with
    );
    h
}

fn limits(case: &Case) -> String {
    let w = case.lang.words();
    let mut items: Vec<String> = Vec::new();
    items.extend(case.plan.limits_in(case.lang));
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
        items.push((w.unreadable)(unreadable));
    }
    items.push(w.limits_evidence_only.into());
    items.extend(w.original_language.map(String::from));
    let mut h = String::from("<ul>");
    for l in &items {
        let _ = write!(h, "<li>{}</li>", escape(l));
    }
    h.push_str("</ul>\n");
    h
}
