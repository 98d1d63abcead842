//! The console's pages as HTML. Pages filled in the browser (Now, Timeline,
//! Event) are shells the script fills with `textContent`; pages drawn here
//! (Incidents, Cases) pass every value from the evidence through
//! [`escape`].

use std::fmt::Write as _;

use vigil_respond::html::escape;
use vigil_respond::Lang;

use crate::incidents::Built;
use crate::ledger::Triage;

const PAGES: &[(&str, &str)] = &[
    ("now", "Now"),
    ("incidents", "Incidents"),
    ("timeline", "Timeline"),
    ("cases", "Cases"),
];

/// The page around a body; `page` names it for the script, `subject` is
/// what it is about (an alert's seq, an incident's id).
pub fn layout(page: &str, subject: &str, title: &str, body: &str) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Vigil — {}</title>\n<link rel=\"stylesheet\" href=\"/assets/console.css\">\n\
         <script src=\"/assets/console.js\" defer></script>\n</head>\n\
         <body data-page=\"{}\" data-subject=\"{}\">\n<header><b class=\"brand\">Vigil</b><nav>",
        escape(title),
        escape(page),
        escape(subject)
    );
    for (id, name) in PAGES {
        let current = if page.starts_with(id.trim_end_matches('s')) {
            " class=\"current\""
        } else {
            ""
        };
        let _ = write!(html, "<a href=\"/{id}\"{current}>{name}</a>");
    }
    html.push_str(
        "</nav><span id=\"who\"></span><button id=\"logout\" type=\"button\">Log out</button>\
         <span id=\"live\" title=\"live updates\"></span></header>\n<main>\n",
    );
    html.push_str(body);
    html.push_str("\n</main>\n</body>\n</html>\n");
    html
}

pub fn login(message: Option<&str>) -> String {
    let mut body = String::from("<h1>Vigil console</h1>");
    if let Some(message) = message {
        let _ = write!(body, "<p class=\"error\">{}</p>", escape(message));
    }
    body.push_str(
        "<form method=\"post\" action=\"/login\" class=\"login\">\
         <label>Access token <input name=\"token\" type=\"password\" autocomplete=\"off\" required></label>\
         <label>Your name <input name=\"who\" required maxlength=\"80\"></label>\
         <button type=\"submit\">Log in</button></form>\
         <p class=\"sub\">The token was printed once when <code>vigil serve</code> first started on this store.</p>",
    );
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Vigil — log in</title>\n\
         <link rel=\"stylesheet\" href=\"/assets/console.css\">\n</head>\n<body data-page=\"login\"><main>{body}</main></body>\n</html>\n"
    )
}

/// A shell the script fills.
pub fn shell(page: &str, subject: &str, title: &str) -> String {
    let body = format!(
        "<h1>{}</h1><div id=\"content\" class=\"loading\">Loading…</div>",
        escape(title)
    );
    layout(page, subject, title, &body)
}

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn triage_controls(kind: &str, subject: &str, triage: &Triage) -> String {
    let mut html = format!(
        "<div class=\"triage\" data-kind=\"{kind}\" data-subject=\"{}\">\
         <span class=\"state state-{0}\" data-role=\"state\">{1}</span>",
        escape(subject),
        escape(&triage.state)
    );
    let _ = write!(
        html,
        " <span data-role=\"assignee\">{}</span>",
        triage
            .assignee
            .as_deref()
            .map(|a| format!("assigned to {}", escape(a)))
            .unwrap_or_default()
    );
    html.push_str(
        " <input data-role=\"value\" placeholder=\"assignee or comment\">\
         <button data-action=\"acknowledge\">Acknowledge</button>\
         <button data-action=\"assign\">Assign…</button>\
         <button data-action=\"comment\">Comment…</button>\
         <button data-action=\"close\">Close</button>\
         <button data-action=\"reopen\">Reopen</button><ul class=\"comments\">",
    );
    for c in &triage.comments {
        let _ = write!(
            html,
            "<li><b>{}</b> {}: {}</li>",
            escape(&c.who),
            escape(&c.at),
            escape(&c.text)
        );
    }
    html.push_str("</ul></div>");
    html
}

pub fn incident_list(built: &Built, states: &[Triage]) -> String {
    let mut body = String::from("<h1>Incidents</h1>");
    let _ = write!(
        body,
        "<p class=\"sub\">Built from {} stored detections and {} events read again from the followed files, at {}.</p>",
        built.report.detections,
        built.report.events,
        when(built.built_at)
    );
    if built.report.incidents.is_empty() {
        body.push_str("<p>No incident: no detection at or above <b>high</b> yet.</p>");
    } else {
        body.push_str("<table id=\"incidents\"><tr><th>#</th><th>Severity</th><th>State</th><th>First</th><th>Last</th><th>Hosts</th><th>Patient zero</th><th>Summary</th></tr>");
        for (i, state) in built.report.incidents.iter().zip(states) {
            let _ = write!(
                body,
                "<tr><td><a href=\"/incidents/{0}\">{0}</a></td><td class=\"level-{1}\">{1}</td><td>{2}</td><td>{3}</td><td>{4}</td><td>{5}</td><td>{6}</td><td>{7}</td></tr>",
                i.id,
                i.severity.as_str(),
                escape(&state.state),
                when(i.first_evidence),
                when(i.last_evidence),
                i.hosts.len(),
                i.patient_zero.as_ref().map(|p| escape(&p.host)).unwrap_or_default(),
                escape(&i.summary)
            );
        }
        body.push_str("</table>");
    }
    layout("incidents", "", "Incidents", &body)
}

pub fn incident(built: &Built, id: usize, triage: &Triage) -> Option<String> {
    let i = built.report.incidents.iter().find(|i| i.id == id)?;
    let words = Lang::En.words();
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Incident {0} <span class=\"level-{1}\">{1}</span></h1><p class=\"sub\">{2} — {3}</p><p>{4}</p>",
        i.id,
        i.severity.as_str(),
        when(i.first_evidence),
        when(i.last_evidence),
        escape(&i.summary)
    );
    b.push_str(&triage_controls(
        "incident",
        &crate::incidents::triage_key(i),
        triage,
    ));
    if !i.tactics.is_empty() {
        let _ = write!(b, "<p>Tactics: {}</p>", escape(&i.tactics.join(", ")));
    }
    b.push_str("<section id=\"scope\"><h2>Scope</h2>");
    if let Some(p) = &i.patient_zero {
        let _ = write!(
            b,
            "<p id=\"patient-zero\"><b>Patient zero: {}</b> — {}</p>",
            escape(&p.host),
            escape(&p.reasoning)
        );
    }
    b.push_str("<table><tr><th>Host</th><th>Role</th><th>First</th><th>Last</th><th>Detections</th><th>Reached by</th></tr>");
    for h in &i.hosts {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&h.host),
            escape(h.role.as_deref().unwrap_or("")),
            when(h.first_evidence),
            when(h.last_evidence),
            escape(&h.detections.join("; ")),
            escape(&h.reached_by.join("; "))
        );
    }
    b.push_str("</table></section>");
    let _ = write!(
        b,
        "<section id=\"movement\"><h2>Lateral movement</h2><figure>{}</figure>",
        vigil_respond::html::figures::movement(std::slice::from_ref(i), words)
    );
    if !i.lateral_movement.is_empty() {
        b.push_str(
            "<table><tr><th>Time</th><th>From</th><th>To</th><th>Method</th><th>Account</th></tr>",
        );
        for e in &i.lateral_movement {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                when(e.time),
                escape(&e.from),
                escape(&e.to),
                escape(e.method.as_str()),
                escape(e.account.as_deref().unwrap_or(""))
            );
        }
        b.push_str("</table>");
    }
    b.push_str("</section><section id=\"accounts\"><h2>Accounts</h2>");
    let _ = write!(
        b,
        "<p>Acting for the attacker: {}</p>",
        if i.attacker_accounts.is_empty() {
            "—".into()
        } else {
            escape(&i.attacker_accounts.join(", "))
        }
    );
    let plan = &built.plan;
    let accounts: Vec<_> = plan
        .accounts
        .iter()
        .filter(|a| {
            a.hosts.iter().any(|h| i.hosts.iter().any(|x| &x.host == h))
                || i.attacker_accounts.contains(&a.account)
        })
        .collect();
    if !accounts.is_empty() {
        b.push_str("<table><tr><th>Account</th><th>Action</th><th>What to do</th></tr>");
        for a in accounts {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&a.account),
                escape(a.action.as_str()),
                escape(&a.instruction)
            );
        }
        b.push_str("</table>");
    }
    b.push_str("</section><section id=\"plan\"><h2>Containment plan</h2>");
    let _ = write!(b, "<p>{}</p>", escape(&plan.summary));
    b.push_str("<table><tr><th>Host</th><th>Action</th><th>Why</th></tr>");
    for h in plan.hosts.iter().filter(|h| h.incidents.contains(&i.id)) {
        let _ = write!(
            b,
            "<tr><td>{}</td><td class=\"action\">{}</td><td>{}</td></tr>",
            escape(&h.host),
            escape(h.action.as_str()),
            escape(&h.why)
        );
    }
    b.push_str("</table><ol class=\"order\">");
    for s in &plan.order {
        let _ = write!(
            b,
            "<li><b>{}</b> {} — {}</li>",
            escape(&s.action),
            escape(&s.targets.join(", ")),
            escape(&s.why)
        );
    }
    b.push_str("</ol></section>");
    let a = &built.assessment;
    let _ = write!(
        b,
        "<section id=\"exfiltration\"><h2>Was data taken?</h2><p><b class=\"verdict\">{}</b> {}</p><ul>",
        escape(a.verdict.as_str()),
        escape(&a.summary)
    );
    for gap in &a.gaps {
        let _ = write!(b, "<li>{}</li>", escape(gap));
    }
    b.push_str("</ul><p class=\"sub\">From the hosts' own events in the watch store; flows, DNS and proxy logs \
                are not in it: <code>vigil case</code> over the collected evidence weighs them.</p></section>");
    b.push_str("<section id=\"clocks\"><h2>Notification clocks</h2>");
    if let Some(a) = &built.awareness {
        let _ = write!(
            b,
            "<p>Aware since {} ({}).</p>",
            when(a.time),
            escape(&a.basis)
        );
    }
    b.push_str("<table><tr><th>Law</th><th>Duty</th><th>Deadline</th><th>State</th></tr>");
    for c in &built.clocks {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&c.law),
            escape(&c.duty),
            c.deadline.map(when).unwrap_or_else(|| "—".into()),
            escape(&c.state_in_words())
        );
    }
    b.push_str("</table></section><section id=\"detections\"><h2>Detections</h2><table><tr><th>Time</th><th>Host</th><th>Level</th><th>Rule</th></tr>");
    for d in i.detections.iter().take(200) {
        let _ = write!(
            b,
            "<tr><td>{0}</td><td>{1}</td><td class=\"level-{2}\">{2}</td><td>{3}</td></tr>",
            when(d.time),
            escape(&d.host),
            d.level.as_str(),
            escape(&d.rule_title)
        );
    }
    b.push_str("</table></section>");
    Some(layout(
        "incident",
        &i.id.to_string(),
        &format!("Incident {}", i.id),
        &b,
    ))
}
