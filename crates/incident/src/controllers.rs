//! Domain controllers recognised from their own events, for estates without
//! an inventory: only a domain controller issues Kerberos tickets, serves
//! directory objects or keeps the directory service's log.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use vigil_event::Event;

use crate::inventory::Inventory;

/// An event only a domain controller logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Sign {
    /// 4768, 4769, 4771: the key distribution centre answered.
    KerberosTickets,
    /// 4662 with ObjectServer `DS`: a directory object was read or written.
    DirectoryAccess,
    /// 4741, 4742, 4743: computer accounts created or changed in the directory.
    ComputerAccounts,
    /// The Directory Service log, NTDS or the Active Directory service's providers.
    DirectoryServiceLog,
    /// The Kerberos key distribution centre's own provider.
    KdcLog,
}

impl Sign {
    fn describe(self) -> &'static str {
        match self {
            Sign::KerberosTickets => "Kerberos tickets issued or refused there (4768/4769/4771)",
            Sign::DirectoryAccess => "directory-service object access (4662, ObjectServer DS)",
            Sign::ComputerAccounts => "computer-account changes logged there (4741/4742/4743)",
            Sign::DirectoryServiceLog => {
                "the directory service's own log (NTDS / Directory Service)"
            }
            Sign::KdcLog => "the key distribution centre's own log",
        }
    }
}

/// What each host's events say about it being a domain controller.
#[derive(Debug, Default, Clone)]
pub struct Controllers {
    signs: BTreeMap<String, BTreeSet<Sign>>,
}

/// Whether a host is a domain controller, and how that is known.
pub enum Role {
    /// The inventory says so.
    Inventory,
    /// Its own events show it; the reasons in words.
    Recognised(String),
}

impl Controllers {
    /// Notes what `event`, logged on `host`, says about the host.
    pub fn observe(&mut self, event: &Event, host: &str, id: i64) {
        if let Some(sign) = sign_of(event, id) {
            if let Some(signs) = self.signs.get_mut(host) {
                signs.insert(sign);
            } else {
                self.signs.insert(host.to_string(), BTreeSet::from([sign]));
            }
        }
    }

    pub fn merge(&mut self, other: Controllers) {
        for (host, signs) in other.signs {
            self.signs.entry(host).or_default().extend(signs);
        }
    }

    /// Hosts whose own events show they are domain controllers.
    pub fn recognised(&self) -> impl Iterator<Item = &str> {
        self.signs.keys().map(String::as_str)
    }

    /// The role to show for a host no inventory describes, when its events
    /// show it is a domain controller.
    pub fn recognised_role(&self, host: &str) -> Option<String> {
        self.signs
            .contains_key(host)
            .then(|| "domain_controller (recognised from its own events)".to_string())
    }

    /// Whether `host` is a domain controller: the inventory decides when it
    /// names the host's role, its own events otherwise.
    pub fn role(&self, host: &str, inventory: Option<&Inventory>) -> Option<Role> {
        if let Some(inv) = inventory {
            if inv.is_domain_controller(host) {
                return Some(Role::Inventory);
            }
            if inv.role(host).is_some() {
                return None;
            }
        }
        let signs = self.signs.get(host)?;
        let reasons: Vec<&str> = signs.iter().map(|s| s.describe()).collect();
        Some(Role::Recognised(reasons.join("; ")))
    }

    pub fn is_domain_controller(&self, host: &str, inventory: Option<&Inventory>) -> bool {
        self.role(host, inventory).is_some()
    }
}

impl Role {
    /// How the host is known to be a domain controller, in words, for reasoning.
    pub fn because(&self) -> String {
        match self {
            Role::Inventory => "a domain controller in the inventory".into(),
            Role::Recognised(why) => {
                format!("recognised as a domain controller from its own events: {why}")
            }
        }
    }
}

fn sign_of(event: &Event, id: i64) -> Option<Sign> {
    let field = |name: &str| {
        event
            .get(name)
            .and_then(vigil_event::FieldValue::as_str)
            .map(str::trim)
    };
    let channel = event.channel().unwrap_or("");
    let provider = event.provider().unwrap_or("");
    if channel.eq_ignore_ascii_case("Directory Service")
        || provider.starts_with("NTDS")
        || provider.eq_ignore_ascii_case("Microsoft-Windows-ActiveDirectory_DomainService")
    {
        return Some(Sign::DirectoryServiceLog);
    }
    if provider.eq_ignore_ascii_case("Microsoft-Windows-Kerberos-Key-Distribution-Center")
        || provider.eq_ignore_ascii_case("KDC")
    {
        return Some(Sign::KdcLog);
    }
    if !channel.eq_ignore_ascii_case("Security") && !channel.is_empty() {
        return None;
    }
    match id {
        4768 | 4769 | 4771 => Some(Sign::KerberosTickets),
        4662 if field("ObjectServer").is_some_and(|s| s.eq_ignore_ascii_case("DS")) => {
            Some(Sign::DirectoryAccess)
        }
        4741..=4743 => Some(Sign::ComputerAccounts),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_event::FieldValue;

    fn event(id: i64, channel: &str, fields: &[(&str, &str)]) -> Event {
        let mut e = Event::new("dc.evtx");
        e.insert("EventID", FieldValue::Int(id));
        e.insert("Channel", FieldValue::from(channel));
        for (k, v) in fields {
            e.insert(*k, FieldValue::from(*v));
        }
        e
    }

    #[test]
    fn a_host_that_issues_tickets_is_a_controller_unless_the_inventory_says_otherwise() {
        let mut c = Controllers::default();
        c.observe(&event(4769, "Security", &[]), "DC1", 4769);
        c.observe(
            &event(4662, "Security", &[("ObjectServer", "DS")]),
            "DC1",
            4662,
        );
        // A 4662 of another object server (a file system audit) says nothing.
        c.observe(
            &event(4662, "Security", &[("ObjectServer", "Security")]),
            "WS1",
            4662,
        );
        c.observe(&event(4624, "Security", &[]), "WS1", 4624);
        assert!(c.is_domain_controller("DC1", None));
        assert!(!c.is_domain_controller("WS1", None));
        assert!(c.recognised_role("DC1").is_some() && c.recognised_role("WS1").is_none());
        let why = c.role("DC1", None).unwrap().because();
        assert!(
            why.contains("4768/4769/4771") && why.contains("4662"),
            "{why}"
        );
        let inv = Inventory::parse("hosts:\n  - name: DC1\n    role: file server\n").unwrap();
        assert!(!c.is_domain_controller("DC1", Some(&inv)));
        let unnamed = Inventory::parse("hosts:\n  - name: DC1\n").unwrap();
        assert!(c.is_domain_controller("DC1", Some(&unnamed)));
    }

    #[test]
    fn the_directory_service_log_marks_a_controller() {
        let mut c = Controllers::default();
        c.observe(&event(1644, "Directory Service", &[]), "DC2", 1644);
        let mut other = Controllers::default();
        other.merge(c);
        assert!(matches!(
            other.role("DC2", None),
            Some(Role::Recognised(why)) if why.contains("Directory Service")
        ));
    }
}
