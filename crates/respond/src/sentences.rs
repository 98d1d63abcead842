//! The plan's own sentences — why a host is isolated, what each step does,
//! what to do with an account — kept as what they say, so that each
//! language words them. The JSON files carry the English wording; the
//! report asks for its language's.
//!
//! Text that comes from the evidence or from the incidents' own reasoning
//! is carried along as [`Sentence::Quoted`] and shown as found.

use chrono::{DateTime, Utc};
use vigil_incident::{AccountChangeKind, Incident};

use crate::accounts::MAX_TICKET_HOURS;
use crate::lang::Lang;

/// What a sentence of the plan says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Sentence {
    /// Text from elsewhere (the evidence, the incidents), shown as it is.
    Quoted(String),
    /// Nothing said yet.
    #[default]
    Nothing,

    // Why a host gets its action.
    IsolateWorkstation,
    IsolateWithoutInventory,
    IsolateNothingNeedsIt,
    IsolateNotInInventory,
    /// A server others need: the hosts that need it and its services.
    Restrict {
        dependants: Vec<String>,
        services: Vec<String>,
    },
    /// Seen only as the address a hop came from.
    WatchAddress(String),
    WatchTouched,

    // What a restricted server loses, and the note on domain controllers.
    CutSmb,
    CutRdp,
    CutWinrm,
    CutRpc,
    CutInternet,
    DomainControllerNote,

    // The steps of the order of execution: what, and why then.
    BlockOutside,
    BlockOutsideWhy,
    DisableAccounts,
    DisableAccountsWhy,
    ResetAccounts,
    ResetAccountsWhy,
    IsolateHosts,
    IsolateHostsWhy,
    RestrictServers,
    RestrictServersWhy,
    RotateExposed,
    RotateExposedWhy,
    ResetComputerAccounts,
    ResetComputerAccountsWhy,
    WatchHosts,
    WatchHostsWhy,

    // The domain-wide steps.
    KrbtgtFirst,
    /// Why the domain's keys must change: the incidents' reasons.
    KrbtgtFirstWhy(Vec<String>),
    KrbtgtWait,
    KrbtgtWaitWhy,
    KrbtgtSecond,
    KrbtgtSecondWhy,
    RotateDomain,
    RotateDomainWhy,

    // What to do with an account, and why it is listed.
    ResetNow,
    ChangeOnceCutOff,
    ResetComputerAccount,
    /// What to do about an account the attacker changed.
    UndoChange {
        change: AccountChangeKind,
        group: Option<String>,
    },
    /// The attacker changed the account.
    ChangedByAttacker {
        change: AccountChangeKind,
        group: Option<String>,
        host: String,
        time: DateTime<Utc>,
        evidence: Vec<String>,
    },
    ActingForAttacker(usize),

    // What the plan cannot see.
    NoInventory,
    NotInInventory(Vec<String>),
    NoAssessment,
}

impl Sentence {
    /// The sentence in `lang`.
    pub fn words(&self, lang: Lang) -> String {
        let de = lang == Lang::De;
        let pick = |en: &str, german: &str| if de { german } else { en }.to_string();
        match self {
            Sentence::Quoted(text) => text.clone(),
            Sentence::Nothing => String::new(),
            Sentence::IsolateWorkstation => pick(
                "a workstation with attacker activity: nothing needs it, cut it off",
                "ein Arbeitsplatzrechner mit Aktivität des Angreifers: nichts hängt von ihm ab, vom Netz trennen",
            ),
            Sentence::IsolateWithoutInventory => pick(
                "attacker activity on it; with no inventory, what needs it is unknown: check before cutting it off",
                "Aktivität des Angreifers darauf; ohne Inventar ist unbekannt, was von ihm abhängt: vor dem Trennen prüfen",
            ),
            Sentence::IsolateNothingNeedsIt => pick(
                "attacker activity on it, and no host of the inventory needs it: cut it off",
                "Aktivität des Angreifers darauf, und kein Host des Inventars hängt von ihm ab: vom Netz trennen",
            ),
            Sentence::IsolateNotInInventory => pick(
                "attacker activity on it; not in the inventory, so nothing is known to need it: cut it off",
                "Aktivität des Angreifers darauf; nicht im Inventar, also hängt nichts bekannt von ihm ab: vom Netz trennen",
            ),
            Sentence::Restrict {
                dependants,
                services,
            } => {
                let services = if services.is_empty() {
                    pick(
                        "services not named in the inventory",
                        "Dienste im Inventar nicht genannt",
                    )
                } else {
                    services.join(", ")
                };
                if de {
                    format!(
                        "Aktivität des Angreifers darauf, aber {} {} von ihm ab ({services}): deren Dienstverkehr behalten, Fernverwaltung und Internet kappen",
                        dependants.join(", "),
                        if dependants.len() == 1 { "hängt" } else { "hängen" },
                    )
                } else {
                    format!(
                        "attacker activity on it, but {} need{} it ({services}): keep their service traffic, cut remote administration and the internet",
                        dependants.join(", "),
                        if dependants.len() == 1 { "s" } else { "" },
                    )
                }
            }
            Sentence::WatchAddress(host) => if de {
                format!("nur als Quelladresse {host} eines Sprungs gesehen, ohne Aktivität des Angreifers darauf: das Gerät hinter der Adresse finden; am VPN oder an der Firewall sperren, wenn es nicht Ihres ist")
            } else {
                format!("only seen as the source address {host} of a hop, with no attacker activity on it: find the machine behind the address; block it at the VPN or firewall if it is not one of yours")
            },
            Sentence::WatchTouched => pick(
                "touched (the source of a hop, or an ordinary network logon into it), no attacker activity on it: watch its logons and connections",
                "berührt (Quelle eines Sprungs oder eine gewöhnliche Netzwerkanmeldung darauf), ohne Aktivität des Angreifers darauf: Anmeldungen und Verbindungen beobachten",
            ),
            Sentence::CutSmb => pick(
                "SMB (TCP 445, 139) except what its dependants need",
                "SMB (TCP 445, 139), außer was die abhängigen Hosts brauchen",
            ),
            Sentence::CutRdp => pick("RDP (TCP 3389)", "RDP (TCP 3389)"),
            Sentence::CutWinrm => pick("WinRM (TCP 5985, 5986)", "WinRM (TCP 5985, 5986)"),
            Sentence::CutRpc => pick(
                "RPC (TCP 135 and the dynamic RPC ports) except what its dependants need",
                "RPC (TCP 135 und die dynamischen RPC-Ports), außer was die abhängigen Hosts brauchen",
            ),
            Sentence::CutInternet => pick("the internet, both ways", "das Internet, in beide Richtungen"),
            Sentence::DomainControllerNote => pick(
                "a domain controller: its dependants need Kerberos (88), LDAP (389, 636), DNS (53) and, for logons and group policy, SMB and RPC to it — allow those from the estate's hosts only, and cut them from the VPN pool and any host in scope",
                "ein Domänencontroller: die abhängigen Hosts brauchen Kerberos (88), LDAP (389, 636), DNS (53) und, für Anmeldungen und Gruppenrichtlinien, SMB und RPC zu ihm — diese nur von den eigenen Hosts erlauben und für den VPN-Pool und jeden betroffenen Host sperren",
            ),
            Sentence::BlockOutside => pick(
                "block the outside addresses and domains at the perimeter and in DNS",
                "die externen Adressen und Domains an der Perimeter-Firewall und im DNS sperren",
            ),
            Sentence::BlockOutsideWhy => pick(
                "first, and all at once: it cuts the attacker's command channel and stops data leaving, so nothing done next can be answered from outside",
                "zuerst und auf einmal: das kappt den Steuerkanal des Angreifers und stoppt den Datenabfluss, so kann auf nichts Folgendes von außen reagiert werden",
            ),
            Sentence::DisableAccounts => pick(
                "disable the accounts the attacker created or changed",
                "die vom Angreifer angelegten oder veränderten Konten sperren",
            ),
            Sentence::DisableAccountsWhy => pick(
                "before the hosts go: an account of its own is how the attacker comes back in after isolation",
                "bevor die Hosts getrennt werden: über ein eigenes Konto kommt der Angreifer nach der Isolation wieder herein",
            ),
            Sentence::ResetAccounts => pick(
                "reset the accounts the attacker used, end their sessions, revoke their tickets",
                "die vom Angreifer benutzten Konten zurücksetzen, ihre Sitzungen beenden, ihre Tickets widerrufen",
            ),
            Sentence::ResetAccountsWhy => pick(
                "before the hosts go, and in the same minutes as the block: with its passwords gone the attacker cannot move to a host that stays up",
                "bevor die Hosts getrennt werden und in denselben Minuten wie die Sperre: ohne seine Passwörter kann der Angreifer nicht auf einen Host wechseln, der weiterläuft",
            ),
            Sentence::IsolateHosts => pick(
                "isolate the hosts (network quarantine at the switch or EDR; keep them powered on for memory forensics)",
                "die Hosts isolieren (Netzwerk-Quarantäne am Switch oder per EDR; eingeschaltet lassen für die Arbeitsspeicher-Forensik)",
            ),
            Sentence::IsolateHostsWhy => pick(
                "the attacker's footholds: cut off once its lines out and accounts are gone, so it cannot react; powered on, memory and logs stay for the investigation",
                "die Stützpunkte des Angreifers: getrennt, sobald seine Verbindungen nach außen und Konten weg sind, damit er nicht reagieren kann; eingeschaltet bleiben Arbeitsspeicher und Logs für die Untersuchung",
            ),
            Sentence::RestrictServers => pick(
                "restrict the servers others need: allow only their dependants' service traffic, cut SMB, RDP, WinRM, RPC administration and the internet",
                "die Server einschränken, die andere brauchen: nur den Dienstverkehr der abhängigen Hosts erlauben, SMB-, RDP-, WinRM- und RPC-Verwaltung und das Internet kappen",
            ),
            Sentence::RestrictServersWhy => pick(
                "the attacker loses remote control of them while the services that depend on them keep running",
                "der Angreifer verliert die Fernsteuerung, während die Dienste, die von ihnen abhängen, weiterlaufen",
            ),
            Sentence::RotateExposed => pick(
                "rotate the passwords of the exposed accounts, from a clean machine",
                "die Passwörter der exponierten Konten wechseln, von einem sauberen Rechner aus",
            ),
            Sentence::RotateExposedWhy => pick(
                "after isolation: a new password typed on a compromised host would be exposed again",
                "nach der Isolation: ein neues Passwort, auf einem kompromittierten Host eingegeben, wäre wieder exponiert",
            ),
            Sentence::ResetComputerAccounts => pick(
                "reset the computer accounts of the compromised hosts when they are rebuilt or rejoined",
                "die Computerkonten der kompromittierten Hosts zurücksetzen, wenn sie neu aufgesetzt oder wieder in die Domäne aufgenommen werden",
            ),
            Sentence::ResetComputerAccountsWhy => pick(
                "the hosts' own secrets were on hosts the attacker controlled",
                "die eigenen Geheimnisse der Hosts lagen auf Hosts, die der Angreifer kontrollierte",
            ),
            Sentence::WatchHosts => pick(
                "watch these hosts: their logons, new services and outbound connections",
                "diese Hosts beobachten: ihre Anmeldungen, neue Dienste und ausgehende Verbindungen",
            ),
            Sentence::WatchHostsWhy => pick(
                "touched by the attacker without activity of its own on them: cutting them off costs more than it protects",
                "vom Angreifer berührt, ohne eigene Aktivität darauf: sie zu trennen kostet mehr, als es schützt",
            ),
            Sentence::KrbtgtFirst => pick(
                "reset the krbtgt account's password (first of two resets)",
                "das Passwort des krbtgt-Kontos zurücksetzen (erste von zwei Rücksetzungen)",
            ),
            Sentence::KrbtgtFirstWhy(reasons) => format!(
                "{}: {}",
                pick(
                    "the domain's ticket-signing key may be in the attacker's hands, letting it forge tickets for any account",
                    "der Schlüssel, mit dem die Domäne Tickets signiert, kann in den Händen des Angreifers sein; damit kann er Tickets für jedes Konto fälschen",
                ),
                reasons.join("; ")
            ),
            Sentence::KrbtgtWait => if de {
                format!("warten, bis die Rücksetzung auf jeden Domänencontroller repliziert ist, und mindestens {MAX_TICKET_HOURS} Stunden (die maximale Ticket-Lebensdauer)")
            } else {
                format!("wait until the reset has replicated to every domain controller, and at least {MAX_TICKET_HOURS} hours (the maximum ticket lifetime)")
            },
            Sentence::KrbtgtWaitWhy => pick(
                "the domain still accepts tickets signed with the previous key; resetting again before they expire voids the legitimate ones too and breaks logons and services",
                "die Domäne akzeptiert noch Tickets, die mit dem vorigen Schlüssel signiert sind; eine zweite Rücksetzung vor ihrem Ablauf macht auch die legitimen ungültig und bricht Anmeldungen und Dienste",
            ),
            Sentence::KrbtgtSecond => pick(
                "reset the krbtgt account's password a second time",
                "das Passwort des krbtgt-Kontos ein zweites Mal zurücksetzen",
            ),
            Sentence::KrbtgtSecondWhy => pick(
                "only the second reset retires the key the attacker may hold: the domain keeps the previous one",
                "erst die zweite Rücksetzung entwertet den Schlüssel, den der Angreifer haben kann: die Domäne behält den vorigen",
            ),
            Sentence::RotateDomain => pick(
                "rotate the passwords of all domain accounts (people, administrators, services)",
                "die Passwörter aller Domänenkonten wechseln (Personen, Administratoren, Dienste)",
            ),
            Sentence::RotateDomainWhy => pick(
                "the attacker may have read every account's secrets from the domain's database",
                "der Angreifer kann die Geheimnisse jedes Kontos aus der Datenbank der Domäne gelesen haben",
            ),
            Sentence::ResetNow => pick(
                "reset the password now, end its sessions and revoke its tickets and tokens",
                "das Passwort sofort zurücksetzen, die Sitzungen beenden und Tickets und Tokens widerrufen",
            ),
            Sentence::ChangeOnceCutOff => pick(
                "change the password once the hosts it was exposed on are cut off, from a clean machine",
                "das Passwort wechseln, sobald die Hosts, auf denen es exponiert war, getrennt sind, von einem sauberen Rechner aus",
            ),
            Sentence::ResetComputerAccount => pick(
                "reset the computer account when the host is rebuilt or rejoined to the domain",
                "das Computerkonto zurücksetzen, wenn der Host neu aufgesetzt oder wieder in die Domäne aufgenommen wird",
            ),
            Sentence::UndoChange { change, group } => undo(*change, group.as_deref(), de),
            Sentence::ChangedByAttacker {
                change,
                group,
                host,
                time,
                evidence,
            } => {
                let when = time.format("%Y-%m-%d %H:%M UTC");
                let shown = if evidence.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", evidence.join("; "))
                };
                let change = changed(*change, group.as_deref(), de);
                if de {
                    format!("vom Angreifer {change} auf {host} um {when}{shown}")
                } else {
                    format!("{change} by the attacker on {host} at {when}{shown}")
                }
            }
            Sentence::ActingForAttacker(incident) => if de {
                format!("in Vorfall {incident} im Auftrag des Angreifers tätig gesehen")
            } else {
                format!("seen acting for the attacker in incident {incident}")
            },
            Sentence::NoInventory => pick(
                "no inventory: which hosts need which, and the business services each carries, are unknown — servers are isolated rather than restricted, and the impact is not computed; give --inventory",
                "kein Inventar: welche Hosts welche brauchen und welche Geschäftsdienste jeder trägt, ist unbekannt — Server werden isoliert statt eingeschränkt, und die Auswirkungen werden nicht berechnet; --inventory angeben",
            ),
            Sentence::NotInInventory(hosts) => if de {
                format!("nicht im Inventar: {} — was sie tragen und wer sie braucht, ist unbekannt", hosts.join(", "))
            } else {
                format!("not in the inventory: {} — what they carry and who needs them is unknown", hosts.join(", "))
            },
            Sentence::NoAssessment => pick(
                "no exfiltration assessment: outside destinations to block are not listed",
                "keine Bewertung des Datenabflusses: externe Ziele zum Sperren sind nicht aufgeführt",
            ),
        }
    }

    /// The English wording, as the JSON files carry it.
    pub fn english(&self) -> String {
        self.words(Lang::En)
    }
}

/// What the attacker did to an account, as a past participle.
fn changed(change: AccountChangeKind, group: Option<&str>, de: bool) -> String {
    match (change, de) {
        (AccountChangeKind::Created, false) => "created".into(),
        (AccountChangeKind::Created, true) => "angelegt".into(),
        (AccountChangeKind::Enabled, false) => "enabled".into(),
        (AccountChangeKind::Enabled, true) => "aktiviert".into(),
        (AccountChangeKind::PasswordReset, false) => "password reset".into(),
        (AccountChangeKind::PasswordReset, true) => "Passwort zurückgesetzt".into(),
        (AccountChangeKind::AddedToGroup, false) => {
            format!("added to {}", group.unwrap_or("a group"))
        }
        (AccountChangeKind::AddedToGroup, true) => {
            format!("zu {} hinzugefügt", group.unwrap_or("einer Gruppe"))
        }
    }
}

/// What to do about an account the attacker changed.
fn undo(change: AccountChangeKind, group: Option<&str>, de: bool) -> String {
    match (change, de) {
        (AccountChangeKind::Created, false) => "disable, then delete after evidence is kept".into(),
        (AccountChangeKind::Created, true) => "sperren, nach Sicherung der Beweise löschen".into(),
        (AccountChangeKind::AddedToGroup, false) => {
            format!("remove from {}", group.unwrap_or("the group"))
        }
        (AccountChangeKind::AddedToGroup, true) => {
            format!("aus {} entfernen", group.unwrap_or("der Gruppe"))
        }
        (AccountChangeKind::PasswordReset, false) => "reset again and check who used it".into(),
        (AccountChangeKind::PasswordReset, true) => {
            "erneut zurücksetzen und prüfen, wer es benutzt hat".into()
        }
        (AccountChangeKind::Enabled, false) => "disable".into(),
        (AccountChangeKind::Enabled, true) => "sperren".into(),
    }
}

/// An incident in a few sentences, in `lang`: the incident's own summary
/// in English, and the same facts, from the incident's fields, in German.
pub fn incident_summary(incident: &Incident, lang: Lang) -> String {
    if lang == Lang::En {
        return incident.summary.clone();
    }
    let hosts = incident.hosts.len();
    let mut s = format!("{hosts} Host(s) betroffen");
    if let Some(pz) = &incident.patient_zero {
        s.push_str(&format!(", beginnend auf {}", pz.host));
    }
    s.push('.');
    let edges = &incident.lateral_movement;
    if !edges.is_empty() {
        let targets: std::collections::BTreeSet<&str> =
            edges.iter().map(|e| e.to.as_str()).collect();
        s.push_str(&format!(
            " Der Angreifer wechselte {} Mal auf {} andere(n) Host(s)",
            edges.len(),
            targets.len()
        ));
        if !incident.attacker_accounts.is_empty() {
            s.push_str(&format!(", mit {}", incident.attacker_accounts.join(", ")));
        }
        s.push('.');
    }
    if !incident.tactics.is_empty() {
        let stages: Vec<&str> = incident.tactics.iter().map(|t| tactic_de(t)).collect();
        s.push_str(&format!(" Gesehene Phasen: {}.", stages.join(" → ")));
    }
    let rotate = incident.credentials.accounts.len();
    if rotate > 0 {
        s.push_str(&format!(" {rotate} Konto/Konten zu wechseln."));
    }
    if !incident.credentials.domain_wide.is_empty() {
        s.push_str(" Anmeldedaten der ganzen Domäne kompromittiert: krbtgt zweimal und alle Domänenkonten zurücksetzen.");
    }
    s
}

/// An ATT&CK tactic's name in German, as the German edition of the report
/// calls it.
fn tactic_de(tactic: &str) -> &str {
    match tactic {
        "reconnaissance" => "Aufklärung",
        "resource_development" => "Ressourcenaufbau",
        "initial_access" => "Erstzugriff",
        "execution" => "Ausführung",
        "persistence" => "Persistenz",
        "privilege_escalation" => "Rechteausweitung",
        "defense_evasion" => "Umgehung der Abwehr",
        "credential_access" => "Zugriff auf Anmeldedaten",
        "discovery" => "Erkundung",
        "lateral_movement" => "seitliche Bewegung",
        "collection" => "Sammlung",
        "command_and_control" => "Steuerung (C2)",
        "exfiltration" => "Datenabfluss",
        "impact" => "Schadwirkung",
        other => other,
    }
}

/// Every sentence in `sentences`, in `lang`.
pub fn all_words(sentences: &[Sentence], lang: Lang) -> Vec<String> {
    sentences.iter().map(|s| s.words(lang)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixed_sentence_has_german_words_of_its_own() {
        let fixed = [
            Sentence::IsolateWorkstation,
            Sentence::IsolateWithoutInventory,
            Sentence::IsolateNothingNeedsIt,
            Sentence::IsolateNotInInventory,
            Sentence::WatchTouched,
            Sentence::CutSmb,
            Sentence::CutRpc,
            Sentence::CutInternet,
            Sentence::DomainControllerNote,
            Sentence::BlockOutside,
            Sentence::BlockOutsideWhy,
            Sentence::DisableAccounts,
            Sentence::DisableAccountsWhy,
            Sentence::ResetAccounts,
            Sentence::ResetAccountsWhy,
            Sentence::IsolateHosts,
            Sentence::IsolateHostsWhy,
            Sentence::RestrictServers,
            Sentence::RestrictServersWhy,
            Sentence::RotateExposed,
            Sentence::RotateExposedWhy,
            Sentence::ResetComputerAccounts,
            Sentence::ResetComputerAccountsWhy,
            Sentence::WatchHosts,
            Sentence::WatchHostsWhy,
            Sentence::KrbtgtFirst,
            Sentence::KrbtgtWait,
            Sentence::KrbtgtWaitWhy,
            Sentence::KrbtgtSecond,
            Sentence::KrbtgtSecondWhy,
            Sentence::RotateDomain,
            Sentence::RotateDomainWhy,
            Sentence::ResetNow,
            Sentence::ChangeOnceCutOff,
            Sentence::ResetComputerAccount,
            Sentence::NoInventory,
            Sentence::NoAssessment,
        ];
        for s in &fixed {
            let (en, de) = (s.words(Lang::En), s.words(Lang::De));
            assert!(!en.is_empty() && !de.is_empty(), "{s:?}");
            assert_ne!(en, de, "{s:?} has no German words");
        }
    }

    #[test]
    fn quoted_text_is_the_same_in_every_language() {
        let s = Sentence::Quoted("<b>as found</b>".into());
        assert_eq!(s.words(Lang::De), "<b>as found</b>");
        assert_eq!(s.english(), "<b>as found</b>");
    }

    #[test]
    fn a_restriction_names_its_dependants_and_services_in_both_languages() {
        let s = Sentence::Restrict {
            dependants: vec!["APP-01".into()],
            services: vec!["patient portal".into()],
        };
        assert_eq!(
            s.english(),
            "attacker activity on it, but APP-01 needs it (patient portal): keep their service traffic, cut remote administration and the internet"
        );
        assert!(s
            .words(Lang::De)
            .contains("APP-01 hängt von ihm ab (patient portal)"));
    }
}
