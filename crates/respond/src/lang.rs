//! The report's fixed wording in each language it is written in, one place
//! per phrase; the evidence and the JSON files stay as they are.

use crate::accounts::AccountStep;
use crate::clocks::{Clock, ClockState};
use crate::containment::Action;

/// The language of report.md and report.html.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    De,
}

impl Lang {
    /// The report's words in this language.
    pub fn words(self) -> &'static Words {
        match self {
            Lang::En => &EN,
            Lang::De => &DE,
        }
    }

    /// The HTML `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }
}

/// Every fixed phrase of the report. Sentences that carry numbers or names
/// are functions, so each language orders its words its own way.
pub struct Words {
    // Section headings, in the order of [`crate::html::SECTIONS`].
    pub summary: &'static str,
    pub what_happened: &'static str,
    pub hosts_in_scope: &'static str,
    pub data_taken: &'static str,
    pub credentials: &'static str,
    pub containment: &'static str,
    pub clocks: &'static str,
    pub customer_notice: &'static str,
    pub manifest: &'static str,
    pub limits: &'static str,
    pub incident_report: &'static str,
    pub contents: &'static str,
    pub case_report: &'static str,
    pub written_by: fn(&str, &str) -> String,
    // Containment plan.
    pub in_this_order: &'static str,
    pub order_header: [&'static str; 4],
    pub hosts: &'static str,
    pub hosts_header: [&'static str; 6],
    pub restricted: fn(&str, &str, &str, &str, &str) -> String,
    pub note: &'static str,
    pub what_it_costs: &'static str,
    pub what_it_costs_business: &'static str,
    pub down: &'static str,
    pub degraded: &'static str,
    pub stays_up: &'static str,
    pub cost_header: [&'static str; 3],
    pub blunt_alternatives: &'static str,
    pub instead: &'static str,
    pub accounts: &'static str,
    pub accounts_header: [&'static str; 5],
    pub domain_wide: &'static str,
    pub domain_wide_order: &'static str,
    pub block: &'static str,
    pub block_header: [&'static str; 5],
    pub evidence: &'static str,
    pub from: &'static str,
    pub limit: &'static str,
    // Clocks.
    pub aware_since: &'static str,
    pub not_set: &'static str,
    pub clocks_header: [&'static str; 5],
    pub art33_heading: &'static str,
    pub art33_header: [&'static str; 3],
    // Manifest.
    pub manifest_header: [&'static str; 5],
    pub command_line: &'static str,
    pub rules_line: fn(usize, &str) -> String,
    pub verify_with: &'static str,
    // Customer notice.
    pub no_intrusion: &'static str,
    pub opening: fn(&str, usize) -> String,
    pub which_serve: &'static str,
    pub data_taken_question: &'static str,
    pub passwords_heading: &'static str,
    pub passwords_lead: &'static str,
    pub if_you_use: fn(&str) -> String,
    pub services_advice: &'static str,
    pub staff_lead: &'static str,
    pub staff_used: &'static str,
    pub staff_present: &'static str,
    pub domain_wide_notice: &'static str,
    pub phishing_heading: &'static str,
    pub phishing: &'static str,
    pub attacker_addresses: &'static str,
    // The page's own sections.
    pub no_incident_found: &'static str,
    pub title: fn(usize, &str, &str) -> String,
    pub keyfacts: [&'static str; 5],
    pub incident_line: fn(usize, &str, &str, &str) -> String,
    pub started_on: &'static str,
    pub what_to_do: &'static str,
    pub counted_from: fn(u64, usize, usize) -> String,
    pub hosts_over_time: &'static str,
    pub timeline_caption: &'static str,
    pub busiest_hour: &'static str,
    pub busiest_caption: fn(&str, &str) -> String,
    pub how_moved: &'static str,
    pub movement_caption: &'static str,
    pub moves_of: &'static str,
    pub moves_header: [&'static str; 6],
    pub scope_header: [&'static str; 6],
    pub more_rules: &'static str,
    pub more: &'static str,
    pub reached_by: &'static str,
    pub no_network: &'static str,
    pub window_examined: &'static str,
    pub to: &'static str,
    pub read_records: fn(usize, usize, usize) -> String,
    pub exfil_header: [&'static str; 5],
    pub could_not_be_seen: &'static str,
    pub changed_accounts: &'static str,
    pub changed_header: [&'static str; 6],
    pub credential_attacks: &'static str,
    pub attacks_header: [&'static str; 7],
    pub no_account: &'static str,
    pub fill: [&'static str; 3],
    pub unreadable: fn(usize) -> String,
    pub no_host_in_scope: &'static str,
    pub no_movement: &'static str,
    pub quiet: &'static str,
    // Limits.
    pub limits_evidence_only: &'static str,
    /// Said once, in a report not in English: which text is quoted as found.
    pub original_language: Option<&'static str>,
}

impl Words {
    pub fn action(&self, action: Action) -> &'static str {
        match (self.is_de(), action) {
            (false, a) => a.as_str(),
            (true, Action::Isolate) => "isolieren",
            (true, Action::Restrict) => "einschränken",
            (true, Action::Watch) => "beobachten",
        }
    }

    /// A severity level: "high" / "hoch".
    pub fn level(&self, level: vigil_event::Level) -> &'static str {
        use vigil_event::Level;
        match (self.is_de(), level) {
            (false, l) => l.as_str(),
            (true, Level::Informational) => "informativ",
            (true, Level::Low) => "niedrig",
            (true, Level::Medium) => "mittel",
            (true, Level::High) => "hoch",
            (true, Level::Critical) => "kritisch",
        }
    }

    pub fn account_step(&self, step: AccountStep) -> &'static str {
        match (self.is_de(), step) {
            (false, s) => s.as_str(),
            (true, AccountStep::Disable) => "sperren",
            (true, AccountStep::Reset) => "Passwort zurücksetzen",
            (true, AccountStep::Rotate) => "Passwort wechseln",
        }
    }

    /// The clock's state: "open, 12 h left" / "offen, noch 12 h".
    pub fn clock_state(&self, c: &Clock) -> String {
        if !self.is_de() {
            return c.state_in_words();
        }
        match c.state {
            ClockState::Open => format!("offen, noch {} h", c.hours_left.unwrap_or(0)),
            ClockState::Overdue => format!("seit {} h überfällig", -c.hours_left.unwrap_or(0)),
            ClockState::AsSoonAsPossible => "so rasch wie möglich".into(),
            ClockState::NotStarted => "nicht gesetzt".into(),
        }
    }

    /// The law, the duty and what the law asks, as the report shows them.
    /// The clocks keep their English text in notification.json; the German
    /// names follow the provision the clock was set for.
    pub fn clock_texts(&self, c: &Clock) -> (String, String, String) {
        if !self.is_de() {
            return (c.law.clone(), c.duty.clone(), c.text.clone());
        }
        let (law, duty, text) = match c.law.as_str() {
            "GDPR Art. 33" => (
                "Art. 33 DSGVO",
                "Meldung an die zuständige Datenschutz-Aufsichtsbehörde",
                "unverzüglich und möglichst binnen 72 Stunden, nachdem die Verletzung des Schutzes personenbezogener Daten bekannt wurde, es sei denn, sie führt voraussichtlich nicht zu einem Risiko für die Rechte und Freiheiten der Betroffenen; eine spätere Meldung ist zu begründen. Art. 33 Abs. 3: Art der Verletzung (Kategorien und ungefähre Zahl der Betroffenen und der Datensätze), Kontakt des Datenschutzbeauftragten, wahrscheinliche Folgen, ergriffene oder vorgeschlagene Maßnahmen; Art. 33 Abs. 4: schrittweise, wenn noch nicht alles bekannt ist",
            ),
            "Swiss revDSG Art. 24" => (
                "Art. 24 revDSG / nDSG",
                "Meldung an den EDÖB (Eidgenössischer Datenschutz- und Öffentlichkeitsbeauftragter)",
                "so rasch wie möglich, wenn die Verletzung der Datensicherheit voraussichtlich zu einem hohen Risiko für die Persönlichkeit oder die Grundrechte der Betroffenen führt (Gesundheitsdaten wiegen schwer); die Betroffenen sind zu informieren, wenn es zu ihrem Schutz erforderlich ist oder der EDÖB es verlangt",
            ),
            "NIS2 Art. 23(4)(a)" => (
                "Art. 23 Abs. 4 lit. a NIS2",
                "Frühwarnung an das CSIRT oder die zuständige Behörde",
                "binnen 24 Stunden, nachdem ein erheblicher Sicherheitsvorfall bekannt wurde (gilt für wesentliche und wichtige Einrichtungen; das Gesundheitswesen steht in Anhang I): ob der Verdacht besteht, dass der Vorfall auf rechtswidrige oder böswillige Handlungen zurückgeht oder grenzüberschreitende Auswirkungen haben könnte",
            ),
            "NIS2 Art. 23(4)(b)" => (
                "Art. 23 Abs. 4 lit. b NIS2",
                "Meldung des Sicherheitsvorfalls an das CSIRT oder die zuständige Behörde",
                "binnen 72 Stunden, nachdem der Vorfall bekannt wurde: aktualisiert die Frühwarnung um eine erste Bewertung — Schweregrad, Auswirkungen und, soweit verfügbar, Kompromittierungsindikatoren",
            ),
            "NIS2 Art. 23(4)(d)" => (
                "Art. 23 Abs. 4 lit. d NIS2",
                "Abschlussbericht",
                "spätestens einen Monat nach der Meldung des Sicherheitsvorfalls (die angezeigte Frist nimmt an, dass diese am letzten Tag erfolgt): ausführliche Beschreibung, Schweregrad und Auswirkungen, Bedrohung oder Ursache, getroffene und laufende Abhilfemaßnahmen, grenzüberschreitende Auswirkungen",
            ),
            _ => return (c.law.clone(), c.duty.clone(), c.text.clone()),
        };
        // The revDSG clock says how long it has been; keep that number.
        let since = c
            .text
            .strip_suffix(" hour(s) have passed since awareness")
            .and_then(|t| t.rsplit_once(". "))
            .map(|(_, h)| format!(". Seit der Kenntnisnahme sind {h} Stunde(n) vergangen"))
            .unwrap_or_default();
        (law.into(), duty.into(), format!("{text}{since}"))
    }

    /// What the moment of awareness rests on, in this language; the rule
    /// title and host inside it stay as found.
    pub fn awareness_basis(&self, basis: &str) -> String {
        if !self.is_de() {
            return basis.to_string();
        }
        if basis == "the time of awareness given" {
            return "der angegebene Zeitpunkt der Kenntnisnahme".into();
        }
        let detection = basis
            .strip_prefix("the first high or critical detection: ")
            .and_then(|b| b.strip_suffix(" (the earliest the operator could have known; give the real moment of awareness if it was later)"));
        match detection {
            Some(d) => format!("die erste Erkennung der Stufe hoch oder kritisch: {d} (der früheste Zeitpunkt, zu dem der Betreiber davon wissen konnte; geben Sie den tatsächlichen Zeitpunkt der Kenntnisnahme an, falls er später lag)"),
            None => basis.to_string(),
        }
    }

    pub fn fill(&self, fill: crate::notification::Fill) -> &'static str {
        use crate::notification::Fill;
        match fill {
            Fill::Filled => self.fill[0],
            Fill::Partly => self.fill[1],
            Fill::Missing => self.fill[2],
        }
    }

    /// An Art. 33(3) row's provision, item and what is to add, as the
    /// report shows them; notification.json keeps them in English. The
    /// text from the evidence stays as the analysis wrote it.
    pub fn art33_row(&self, c: &crate::notification::Content) -> (String, String, String) {
        let to_complete = c.to_complete.clone().unwrap_or_else(|| "—".into());
        if !self.is_de() {
            return (c.article.clone(), c.item.clone(), to_complete);
        }
        let article = match c.article.strip_prefix("Art. 33(3)(") {
            Some(rest) => format!("Art. 33 Abs. 3 lit. {}", rest.trim_end_matches(')')),
            None => c.article.clone(),
        };
        let german = |english: &str| -> String {
            let found = ART33_DE.iter().find(|(en, _)| *en == english);
            found.map_or(english, |(_, de)| de).to_string()
        };
        (article, german(&c.item), german(&to_complete))
    }

    /// The incident section of report.md (written in English by the
    /// incident crate) with its headings, table headers and labels in this
    /// language. Only whole fixed lines and line openings are replaced, so
    /// text from the evidence (escaped, never a bare heading) stays as it is.
    pub fn incident_section(&self, md: &str) -> String {
        if !self.is_de() {
            return md.to_string();
        }
        let mut out = String::with_capacity(md.len());
        for line in md.split_inclusive('\n') {
            let (text, end) = match line.strip_suffix('\n') {
                Some(text) => (text, "\n"),
                None => (line, ""),
            };
            if let Some((_, de)) = INCIDENT_LINES_DE.iter().find(|(en, _)| *en == text) {
                out.push_str(de);
            } else if let Some((en, de)) = INCIDENT_OPENINGS_DE
                .iter()
                .find(|(en, _)| text.starts_with(en))
            {
                out.push_str(de);
                let rest = &text[en.len()..];
                if en.starts_with("## ") {
                    let mut rest = rest.replace(" UTC to ", " UTC bis ");
                    for level in [
                        vigil_event::Level::Informational,
                        vigil_event::Level::Low,
                        vigil_event::Level::Medium,
                        vigil_event::Level::High,
                        vigil_event::Level::Critical,
                    ] {
                        rest = rest.replace(
                            &format!(" — {} — ", level.as_str()),
                            &format!(" — {} — ", self.level(level)),
                        );
                    }
                    out.push_str(&rest);
                } else {
                    out.push_str(rest);
                }
            } else {
                out.push_str(text);
            }
            out.push_str(end);
        }
        out
    }

    fn is_de(&self) -> bool {
        std::ptr::eq(self, &DE)
    }
}

/// The incident section's fixed lines, in German.
const INCIDENT_LINES_DE: &[(&str, &str)] = &[
    ("# Incidents", "# Sicherheitsvorfälle"),
    ("### Hosts in scope", "### Betroffene Systeme"),
    (
        "| host | role | first evidence | last evidence | why |",
        "| System | Rolle | erster Beleg | letzter Beleg | Begründung |",
    ),
    ("### Lateral movement", "### Laterale Bewegung"),
    (
        "| time (UTC) | from | to | method | account | proved by |",
        "| Zeit (UTC) | von | nach | Methode | Konto | belegt durch |",
    ),
    ("### Accounts the attacker changed", "### Vom Angreifer veränderte Konten"),
    (
        "| time (UTC) | account | change | by | on | what to do | proved by |",
        "| Zeit (UTC) | Konto | Änderung | durch | auf | Vorgehen | belegt durch |",
    ),
    ("### Credential attacks", "### Angriffe auf Zugangsdaten"),
    (
        "| from (UTC) | to | kind | source | by | logged on | attempts | accounts targeted | proved by |",
        "| von (UTC) | bis | Art | Quelle | durch | protokolliert auf | Versuche | Zielkonten | belegt durch |",
    ),
    ("### Credentials to rotate", "### Zu wechselnde Zugangsdaten"),
];

/// The incident section's fixed line openings, in German.
const INCIDENT_OPENINGS_DE: &[(&str, &str)] = &[
    ("## Incident ", "## Sicherheitsvorfall "),
    ("**Patient zero:** ", "**Ausgangspunkt (Patient Zero):** "),
    ("- **Domain-wide:** ", "- **Domänenweit:** "),
    ("- Computer accounts: ", "- Computerkonten: "),
    ("Not covered: ", "Nicht abgedeckt: "),
];

/// The fixed items and requests of the Art. 33(3) contents, in German.
const ART33_DE: &[(&str, &str)] = &[
    ("the nature of the breach", "Art der Verletzung"),
    (
        "categories and approximate number of data subjects",
        "Kategorien und ungefähre Zahl der betroffenen Personen",
    ),
    (
        "categories and approximate number of personal-data records",
        "Kategorien und ungefähre Zahl der betroffenen personenbezogenen Datensätze",
    ),
    (
        "name and contact of the data-protection officer or other contact point",
        "Name und Kontaktdaten des Datenschutzbeauftragten oder einer sonstigen Anlaufstelle",
    ),
    ("likely consequences of the breach", "wahrscheinliche Folgen der Verletzung"),
    ("measures taken or proposed", "ergriffene oder vorgeschlagene Maßnahmen"),
    ("describe what happened", "beschreiben, was geschehen ist"),
    (
        "the number of people whose data those systems hold: not in the logs",
        "die Zahl der Personen, deren Daten diese Systeme enthalten: steht nicht in den Protokollen",
    ),
    (
        "which records the affected systems hold and how many: the volume is not a count",
        "welche Datensätze die betroffenen Systeme enthalten und wie viele: Die Datenmenge ist keine Anzahl",
    ),
    (
        "the operator's data-protection officer",
        "der Datenschutzbeauftragte des Betreibers",
    ),
    (
        "what it means for the people concerned (disclosure of health data, blackmail, phishing in the operator's name)",
        "was es für die Betroffenen bedeutet (Offenlegung von Gesundheitsdaten, Erpressung, Phishing im Namen des Betreibers)",
    ),
    (
        "which of them are done, and when",
        "welche davon umgesetzt sind, und wann",
    ),
];

pub static EN: Words = Words {
    summary: "Summary",
    what_happened: "What happened",
    hosts_in_scope: "Hosts in scope",
    data_taken: "Was data taken?",
    credentials: "Credentials to act on",
    containment: "Containment plan",
    clocks: "Notification clocks",
    customer_notice: "Notice for customers (draft)",
    manifest: "Evidence manifest",
    limits: "Limits of the analysis",
    incident_report: "Incident report",
    contents: "Contents",
    case_report: "Vigil case report",
    written_by: |version, at| format!("written by Vigil {version} on {at} UTC"),
    in_this_order: "In this order",
    order_header: ["#", "do", "on", "why"],
    hosts: "Hosts",
    hosts_header: ["host", "role", "action", "why", "takes down", "degrades"],
    restricted: |host, services, from, addresses, cut| {
        format!("{host} restricted: allow {services} from {from} ({addresses}); cut {cut}.")
    },
    note: "Note:",
    what_it_costs: "What it costs",
    what_it_costs_business: "What it costs the business",
    down: "Down",
    degraded: "Degraded",
    stays_up: "Stays up",
    cost_header: ["service", "effect", "why"],
    blunt_alternatives: "Against the blunt alternatives:",
    instead: "Instead, to",
    accounts: "Accounts",
    accounts_header: ["account", "action", "urgency", "what to do", "why"],
    domain_wide: "Domain-wide",
    domain_wide_order: "Domain-wide, in this order",
    block: "Outside destinations to block",
    block_header: ["destination", "names", "contacted from", "why", "evidence"],
    evidence: "evidence",
    from: "from",
    limit: "Limit",
    aware_since: "Aware since",
    not_set: "No moment of awareness given and no high or critical detection: the clocks are not set.",
    clocks_header: ["law", "what, to whom", "deadline", "state", "what the law asks"],
    art33_heading: "What the notification to the authority must say (GDPR Art. 33(3))",
    art33_header: ["item", "from the evidence", "to add"],
    manifest_header: ["file", "size (bytes)", "SHA-256", "events from", "to"],
    command_line: "Command line:",
    rules_line: |n, sha| format!("Rules: {n} file(s), combined SHA-256 {sha}."),
    verify_with: "Check the evidence again with",
    no_intrusion: "No intrusion was found in the evidence examined.",
    opening: |date, n| format!("Since {date}, an attacker had access to {n} of our systems"),
    which_serve: ", which serve:",
    data_taken_question: "Was data taken?",
    passwords_heading: "Which passwords to change, and why.",
    passwords_lead: "Only these; we checked the logons of every affected system.",
    if_you_use: |services| format!("If you use {services}"),
    services_advice: "change that password, because the systems behind it were in the attacker's hands. Services not named here were not reached: their passwords need not change because of this incident.",
    staff_lead: "Staff accounts (tell their owners directly; leave this list out of a public notice):",
    staff_used: "the attacker used it",
    staff_present: "it was used on an affected system while the attacker was there",
    domain_wide_notice: "All accounts of our Windows domain are being changed: the attacker may have read them all. You will be asked for a new password at your next logon.",
    phishing_heading: "Recognising phishing in our name.",
    phishing: "We will never ask for a password, a code or a payment by e-mail, phone or text message about this incident. Updates come only through the channels you already know from us.",
    attacker_addresses: "The attacker used these addresses; a link or mail pointing at them is not from us:",
    no_incident_found: "no incident found",
    title: |n, from, to| format!("{n} incident{}, {from} to {to}", if n == 1 { "" } else { "s" }),
    keyfacts: ["incident(s)", "hosts in scope", "moves between hosts", "accounts to act on", "notification deadlines overdue"],
    incident_line: |id, severity, from, to| format!("Incident {id} ({severity}), {from} to {to} UTC."),
    started_on: "It most likely started on",
    what_to_do: "What to do:",
    counted_from: |events, detections, loose| format!("Counted from {events} events and {detections} detections; {loose} detections joined no incident."),
    hosts_over_time: "Hosts over time",
    timeline_caption: "One row per host in scope, ordered by first evidence. The bar runs from the first to the last evidence on the host; dots are detections; arrows are the attacker's moves from one host to another.",
    busiest_hour: "The busiest hour, enlarged",
    busiest_caption: |from, to| {
        format!("{from} to {to} UTC: the hour with the most moves between hosts (or, without moves, the most detections), a few minutes either side, drawn as above.")
    },
    how_moved: "How the attacker moved",
    movement_caption: "Hosts on a circle, clockwise in the order the attacker reached them; each arrow is a move, labelled with how it was made and how often.",
    moves_of: "Moves of incident",
    moves_header: ["time (UTC)", "from", "to", "method", "account", "proved by"],
    scope_header: ["host", "role", "first evidence", "last evidence", "what was seen", "action"],
    more_rules: "more rules",
    more: "more",
    reached_by: "reached by",
    no_network: "No network evidence was given: whether data left cannot be said.",
    window_examined: "Window examined:",
    to: "to",
    read_records: |flows, dns, bad| format!("Read {flows} flow records, {dns} DNS queries; {bad} records could not be read."),
    exfil_header: ["host", "role", "verdict", "bytes sent out in the window", "why"],
    could_not_be_seen: "What could not be seen",
    changed_accounts: "Accounts the attacker changed",
    changed_header: ["time (UTC)", "account", "change", "by", "on", "what to do"],
    credential_attacks: "Attempts to steal passwords",
    attacks_header: ["from (UTC)", "to", "kind", "source", "logged on", "attempts", "accounts targeted"],
    no_account: "No account was seen acting for the attacker.",
    fill: ["filled", "partly", "missing"],
    unreadable: |n| format!("{n} evidence file(s) could not be read; they are listed in the manifest."),
    no_host_in_scope: "No host in scope.",
    no_movement: "No movement between hosts was seen.",
    quiet: "quiet",
    limits_evidence_only: "The analysis sees only the evidence listed in the manifest: systems whose logs were not collected, and activity the logs do not record, are not in this report.",
    original_language: None,
};

pub static DE: Words = Words {
    summary: "Zusammenfassung",
    what_happened: "Was geschehen ist",
    hosts_in_scope: "Betroffene Systeme",
    data_taken: "Wurden Daten entwendet?",
    credentials: "Zugangsdaten mit Handlungsbedarf",
    containment: "Eindämmungsplan",
    clocks: "Meldefristen",
    customer_notice: "Mitteilung an Kundinnen und Kunden (Entwurf)",
    manifest: "Beweismittelverzeichnis",
    limits: "Grenzen der Analyse",
    incident_report: "Bericht zum Sicherheitsvorfall",
    contents: "Inhalt",
    case_report: "Vigil-Fallbericht",
    written_by: |version, at| format!("erstellt von Vigil {version} am {at} UTC"),
    in_this_order: "In dieser Reihenfolge",
    order_header: ["Nr.", "Maßnahme", "betrifft", "Begründung"],
    hosts: "Systeme",
    hosts_header: ["System", "Rolle", "Maßnahme", "Begründung", "legt still", "beeinträchtigt"],
    restricted: |host, services, from, addresses, cut| {
        format!("{host} eingeschränkt: {services} erlaubt von {from} ({addresses}); gesperrt: {cut}.")
    },
    note: "Hinweis:",
    what_it_costs: "Was es kostet",
    what_it_costs_business: "Was es den Betrieb kostet",
    down: "Fällt aus",
    degraded: "Eingeschränkt",
    stays_up: "Bleibt verfügbar",
    cost_header: ["Dienst", "Wirkung", "Begründung"],
    blunt_alternatives: "Im Vergleich zu den groben Alternativen:",
    instead: "Stattdessen:",
    accounts: "Konten",
    accounts_header: ["Konto", "Maßnahme", "Dringlichkeit", "Vorgehen", "Begründung"],
    domain_wide: "Domänenweit",
    domain_wide_order: "Domänenweit, in dieser Reihenfolge",
    block: "Zu sperrende externe Ziele",
    block_header: ["Ziel", "Namen", "kontaktiert von", "Begründung", "Belege"],
    evidence: "Belege",
    from: "von",
    limit: "Einschränkung",
    aware_since: "Kenntnis seit",
    not_set: "Kein Zeitpunkt der Kenntnisnahme angegeben und keine Erkennung der Stufe hoch oder kritisch: Die Fristen sind nicht gesetzt.",
    clocks_header: ["Rechtsgrundlage", "Was, an wen", "Frist", "Stand", "Was das Gesetz verlangt"],
    art33_heading: "Was die Meldung an die Aufsichtsbehörde enthalten muss (Art. 33 Abs. 3 DSGVO)",
    art33_header: ["Angabe", "aus den Belegen", "zu ergänzen"],
    manifest_header: ["Datei", "Größe (Bytes)", "SHA-256", "Ereignisse von", "bis"],
    command_line: "Befehlszeile:",
    rules_line: |n, sha| format!("Regeln: {n} Datei(en), gemeinsamer SHA-256 {sha}."),
    verify_with: "Die Belege lassen sich erneut prüfen mit",
    no_intrusion: "In den untersuchten Belegen wurde kein Eindringen festgestellt.",
    opening: |date, n| format!("Seit dem {date} hatte ein Angreifer Zugriff auf {n} unserer Systeme"),
    which_serve: ", die folgende Dienste bereitstellen:",
    data_taken_question: "Wurden Daten entwendet?",
    passwords_heading: "Welche Passwörter Sie ändern sollten, und warum.",
    passwords_lead: "Nur diese; wir haben die Anmeldungen an jedem betroffenen System geprüft.",
    if_you_use: |services| format!("Wenn Sie {services} nutzen"),
    services_advice: "Ändern Sie dieses Passwort, denn die Systeme dahinter waren in der Hand des Angreifers. Hier nicht genannte Dienste waren nicht betroffen: Deren Passwörter müssen Sie wegen dieses Vorfalls nicht ändern.",
    staff_lead: "Konten von Mitarbeitenden (informieren Sie die Inhaber direkt; diese Liste gehört nicht in eine öffentliche Mitteilung):",
    staff_used: "der Angreifer hat es benutzt",
    staff_present: "es wurde auf einem betroffenen System benutzt, während der Angreifer dort war",
    domain_wide_notice: "Alle Konten unserer Windows-Domäne werden geändert, da der Angreifer sie alle gelesen haben könnte. Bei Ihrer nächsten Anmeldung werden Sie um ein neues Passwort gebeten.",
    phishing_heading: "So erkennen Sie Phishing in unserem Namen.",
    phishing: "Wir werden Sie im Zusammenhang mit diesem Vorfall niemals per E-Mail, Telefon oder SMS nach einem Passwort, einem Code oder einer Zahlung fragen. Neuigkeiten erhalten Sie ausschließlich über die Kanäle, die Sie von uns bereits kennen.",
    attacker_addresses: "Der Angreifer nutzte diese Adressen; ein Link oder eine E-Mail, die darauf verweist, stammt nicht von uns:",
    no_incident_found: "kein Sicherheitsvorfall gefunden",
    title: |n, from, to| format!("{n} Sicherheitsvorf{}, {from} bis {to}", if n == 1 { "all" } else { "älle" }),
    keyfacts: ["Sicherheitsvorfall/-fälle", "betroffene Systeme", "Bewegungen zwischen Systemen", "Konten mit Handlungsbedarf", "überfällige Meldefristen"],
    incident_line: |id, severity, from, to| format!("Sicherheitsvorfall {id} ({severity}), {from} bis {to} UTC."),
    started_on: "Er begann höchstwahrscheinlich auf",
    what_to_do: "Was zu tun ist:",
    counted_from: |events, detections, loose| format!("Ausgewertet wurden {events} Ereignisse und {detections} Erkennungen; {loose} Erkennungen gehören zu keinem Sicherheitsvorfall."),
    hosts_over_time: "Systeme im zeitlichen Verlauf",
    timeline_caption: "Eine Zeile je betroffenem System, geordnet nach dem ersten Beleg. Der Balken reicht vom ersten bis zum letzten Beleg auf dem System; Punkte sind Erkennungen; Pfeile sind die Bewegungen des Angreifers von einem System zum nächsten.",
    busiest_hour: "Die dichteste Stunde, vergrößert",
    busiest_caption: |from, to| {
        format!("{from} bis {to} UTC: die Stunde mit den meisten Bewegungen zwischen Systemen (oder, ohne Bewegungen, den meisten Erkennungen), einige Minuten davor und danach, dargestellt wie oben.")
    },
    how_moved: "Wie sich der Angreifer bewegte",
    movement_caption: "Systeme auf einem Kreis, im Uhrzeigersinn in der Reihenfolge, in der der Angreifer sie erreichte; jeder Pfeil ist eine Bewegung, beschriftet mit ihrer Methode und Häufigkeit.",
    moves_of: "Bewegungen in Sicherheitsvorfall",
    moves_header: ["Zeit (UTC)", "von", "nach", "Methode", "Konto", "belegt durch"],
    scope_header: ["System", "Rolle", "erster Beleg", "letzter Beleg", "Beobachtungen", "Maßnahme"],
    more_rules: "weitere Regeln",
    more: "weitere",
    reached_by: "erreicht über",
    no_network: "Es lagen keine Netzwerkbelege vor: Ob Daten abgeflossen sind, lässt sich nicht sagen.",
    window_examined: "Untersuchter Zeitraum:",
    to: "bis",
    read_records: |flows, dns, bad| format!("Gelesen wurden {flows} Flow-Datensätze und {dns} DNS-Anfragen; {bad} Datensätze waren nicht lesbar."),
    exfil_header: ["System", "Rolle", "Bewertung", "im Zeitraum nach außen gesendet", "Begründung"],
    could_not_be_seen: "Was nicht zu sehen war",
    changed_accounts: "Vom Angreifer veränderte Konten",
    changed_header: ["Zeit (UTC)", "Konto", "Änderung", "durch", "auf", "Vorgehen"],
    credential_attacks: "Versuche, Passwörter zu stehlen",
    attacks_header: ["von (UTC)", "bis", "Art", "Quelle", "protokolliert auf", "Versuche", "Zielkonten"],
    no_account: "Es wurde kein Konto beobachtet, das für den Angreifer handelte.",
    fill: ["ausgefüllt", "teilweise", "fehlt"],
    unreadable: |n| format!("{n} Beweisdatei(en) waren nicht lesbar; sie sind im Beweismittelverzeichnis aufgeführt."),
    no_host_in_scope: "Kein betroffenes System.",
    no_movement: "Es wurde keine Bewegung zwischen Systemen beobachtet.",
    quiet: "ruhig",
    limits_evidence_only: "Die Analyse sieht nur die im Beweismittelverzeichnis aufgeführten Belege: Systeme, deren Protokolle nicht erfasst wurden, und Vorgänge, die die Protokolle nicht aufzeichnen, sind nicht Teil dieses Berichts.",
    original_language: Some("Befunde aus den Ereignissen sind im englischen Original wiedergegeben: die Begründungen der Vorfälle (Patient Zero, Bewegungen), die Regeltitel, die Bewertung des Datenabflusses und ihre Gründe, die Gründe für exponierte Konten sowie die Angaben aus den Belegen zu Art. 33 Abs. 3 DSGVO."),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_clocks_keep_the_hours_and_the_rule_from_the_evidence() {
        let aware = crate::Awareness {
            time: "2026-03-02T08:00:00Z".parse().unwrap(),
            basis: "test".into(),
        };
        let clocks = crate::clocks(Some(&aware), "2026-03-02T20:00:00Z".parse().unwrap());
        let (law, _, text) = DE.clock_texts(&clocks[1]);
        assert_eq!(law, "Art. 24 revDSG / nDSG");
        assert!(
            text.ends_with("Seit der Kenntnisnahme sind 12 Stunde(n) vergangen"),
            "{text}"
        );
        assert_eq!(EN.clock_texts(&clocks[1]).2, clocks[1].text);
        let basis = "the first high or critical detection: \"<rule>\" on WS-01 (the earliest the operator could have known; give the real moment of awareness if it was later)";
        let german = DE.awareness_basis(basis);
        assert!(german.starts_with("die erste Erkennung der Stufe hoch oder kritisch: \"<rule>\" on WS-01 (der früheste"), "{german}");
        assert_eq!(EN.awareness_basis(basis), basis);
    }
}
