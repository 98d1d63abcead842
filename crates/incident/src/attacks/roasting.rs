//! Kerberoasting (service tickets with RC4 for user accounts running
//! services) and AS-REP roasting (logon tickets issued without
//! pre-authentication): tickets whose encryption gives the password to
//! offline cracking.

use std::collections::BTreeMap;

use super::{attack_of, bursts, key, logged_on, source_of, targets, TicketIssued, WINDOW};
use crate::facts::{EventRef, Facts};
use crate::incident::{CredentialAttack, CredentialAttackKind};
use crate::movement::Resolver;
use crate::names;

/// Kerberoasting for sure: RC4 service tickets for at least this many services at once.
pub(super) const ROASTED_SERVICES: usize = 3;
/// RC4 and its export variant: the encryption types a password cracker wants.
const WEAK_ENCRYPTION: &[i64] = &[0x17, 0x18];

/// Whether a service ticket is one a Kerberoaster wants: RC4, for a user
/// account running a service (not a computer, not krbtgt).
fn roastable(t: &TicketIssued) -> bool {
    t.service_ticket
        && t.encryption.is_some_and(|e| WEAK_ENCRYPTION.contains(&e))
        && t.service
            .as_deref()
            .is_some_and(|s| !s.ends_with('$') && !s.to_ascii_lowercase().starts_with("krbtgt"))
        && !names::is_machine(&t.account)
}

/// Kerberoasting and AS-REP roasting, per requesting account and source.
pub(super) fn roasting(facts: &Facts, resolver: &Resolver) -> Vec<CredentialAttack> {
    type Requests<'a> =
        BTreeMap<(CredentialAttackKind, Option<String>, Option<String>), Vec<&'a TicketIssued>>;
    let mut groups: Requests = BTreeMap::new();
    for t in &facts.tickets {
        let source = source_of(t.source_ip.as_ref(), None, resolver);
        if roastable(t) {
            groups
                .entry((
                    CredentialAttackKind::Kerberoasting,
                    Some(key(&t.account)),
                    source,
                ))
                .or_default()
                .push(t);
        } else if !t.service_ticket && t.pre_auth == Some(0) && !names::is_machine(&t.account) {
            groups
                .entry((CredentialAttackKind::AsrepRoasting, None, source))
                .or_default()
                .push(t);
        }
    }
    let mut attacks = Vec::new();
    for ((kind, _, source), mut list) in groups {
        list.sort_by_key(|t| t.time);
        for run in bursts(&list, |t| t.time, WINDOW) {
            let events: Vec<&EventRef> = run.iter().map(|t| &t.event).collect();
            let (requester, roasted): (Option<String>, Vec<String>) = match kind {
                CredentialAttackKind::Kerberoasting => (
                    Some(run[0].account.clone()),
                    targets(run.iter().filter_map(|t| t.service.as_deref()))
                        .into_iter()
                        .map(|s| {
                            // The service account lives in the requester's domain.
                            let domain = run[0].account.split_once('\\').map(|(d, _)| d);
                            names::account(domain, &s).unwrap_or(s)
                        })
                        .collect(),
                ),
                _ => (None, targets(run.iter().map(|t| t.account.as_str()))),
            };
            attacks.push(attack_of(
                kind,
                source.clone(),
                requester,
                logged_on(run.iter().map(|t| t.host.as_str())),
                roasted,
                &events,
                (run[0].time, run[run.len() - 1].time),
            ));
        }
    }
    attacks
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};
    use vigil_event::{Event, FieldValue, Level};

    use super::super::{evidence, find};
    use super::*;

    fn ticket(seconds: i64, requester: &str, service: &str, encryption: &str) -> Event {
        let mut e = Event::new("dc.evtx");
        e.timestamp =
            Some(Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).unwrap() + Duration::seconds(seconds));
        e.insert("EventID", FieldValue::Int(4769));
        e.insert("EventRecordID", FieldValue::Int(seconds));
        e.insert("Channel", FieldValue::from("Security"));
        e.insert("Computer", FieldValue::from("DC-1.clinic.example"));
        e.insert("TargetUserName", FieldValue::from(requester));
        e.insert("ServiceName", FieldValue::from(service));
        e.insert("TicketEncryptionType", FieldValue::from(encryption));
        e.insert("Status", FieldValue::from("0x0"));
        e.insert("IpAddress", FieldValue::from("::ffff:10.0.0.5"));
        e
    }

    /// Rubeus asking for every SPN at once with RC4: four service accounts in
    /// two seconds is Kerberoasting at high; the same account's AES tickets,
    /// computer accounts and krbtgt are not roastable. Another user's single
    /// RC4 ticket an hour later is reported at medium.
    #[test]
    fn many_rc4_service_tickets_are_kerberoasting() {
        let mut facts = Facts::new();
        let requests = [
            (0, "mallory@CLINIC.EXAMPLE", "svc_sql", "0x17"),
            (0, "mallory@CLINIC.EXAMPLE", "svc_web", "0x17"),
            (1, "mallory@CLINIC.EXAMPLE", "svc_backup", "0x17"),
            (2, "mallory@CLINIC.EXAMPLE", "svc_pacs", "0x18"),
            (2, "mallory@CLINIC.EXAMPLE", "FS-01$", "0x17"),
            (2, "mallory@CLINIC.EXAMPLE", "krbtgt", "0x17"),
            (2, "mallory@CLINIC.EXAMPLE", "svc_files", "0x12"),
            (3600, "bob@CLINIC.EXAMPLE", "svc_sql", "0x17"),
        ];
        for (t, who, service, enc) in requests {
            facts.observe(&ticket(t, who, service, enc), &[]);
        }
        let resolver = Resolver::new(&facts, None);
        let attacks = find(&facts, &resolver);
        assert_eq!(attacks.len(), 2);
        let roast = &attacks[0];
        assert_eq!(roast.kind, CredentialAttackKind::Kerberoasting);
        assert_eq!(roast.account.as_deref(), Some("CLINIC\\mallory"));
        assert_eq!(
            roast.targets,
            ["svc_sql", "svc_web", "svc_backup", "svc_pacs"].map(|s| format!("CLINIC\\{s}"))
        );
        assert_eq!(evidence(roast, false)[0].detection.level, Level::High);
        assert_eq!(evidence(roast, false)[0].host, "10.0.0.5");
        assert_eq!(attacks[1].account.as_deref(), Some("CLINIC\\bob"));
        assert_eq!(
            evidence(&attacks[1], false)[0].detection.level,
            Level::Medium
        );
    }
}
