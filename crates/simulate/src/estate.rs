//! The simulated operator's estate: hosts, their roles and addresses, the
//! business services they carry, and the accounts that use them.

use std::fmt::Write as _;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::random::{self, label};

/// The NetBIOS name of the simulated domain.
pub const DOMAIN: &str = "CLINIC";
/// The DNS suffix of every host.
pub const DNS_SUFFIX: &str = "clinic.example";
/// The fewest hosts an estate has: one of each server role and three workstations.
pub const MIN_HOSTS: usize = 10;

/// What a host is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    DomainController,
    FileServer,
    DatabaseServer,
    AppServer,
    ApiServer,
    Telephony,
    BackupServer,
    DoctorWorkstation,
    CallCentreWorkstation,
}

impl Role {
    pub fn is_workstation(self) -> bool {
        matches!(self, Role::DoctorWorkstation | Role::CallCentreWorkstation)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::DomainController => "domain_controller",
            Role::FileServer => "file_server",
            Role::DatabaseServer => "database_server",
            Role::AppServer => "app_server",
            Role::ApiServer => "api_server",
            Role::Telephony => "telephony",
            Role::BackupServer => "backup_server",
            Role::DoctorWorkstation => "doctor_workstation",
            Role::CallCentreWorkstation => "call_centre_workstation",
        }
    }

    /// The business services a host of this role provides.
    fn services(self) -> &'static [&'static str] {
        match self {
            Role::DomainController => &["authentication", "name resolution"],
            Role::FileServer => &["patient documents"],
            Role::DatabaseServer => &["patient records"],
            Role::AppServer => &["patient portal"],
            Role::ApiServer => &["video consultation", "mobile app"],
            Role::Telephony => &["telephony"],
            Role::BackupServer => &["backup"],
            Role::DoctorWorkstation => &["consultations"],
            Role::CallCentreWorkstation => &["call centre"],
        }
    }

    /// The hosts a host of this role cannot work without.
    fn depends_on(self) -> &'static [&'static str] {
        match self {
            Role::DomainController => &[],
            Role::FileServer | Role::DatabaseServer | Role::Telephony => &["DC-01"],
            Role::AppServer => &["DC-01", "DB-01"],
            Role::ApiServer => &["DC-01", "DB-01", "APP-01"],
            Role::BackupServer => &["DC-01", "FS-01", "DB-01"],
            Role::DoctorWorkstation => &["DC-01", "FS-01", "APP-01", "API-01"],
            Role::CallCentreWorkstation => &["DC-01", "VOIP-01", "APP-01"],
        }
    }
}

/// A domain or local account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub domain: String,
    pub sid: String,
}

impl Account {
    fn system() -> Account {
        Account {
            name: "SYSTEM".into(),
            domain: "NT AUTHORITY".into(),
            sid: "S-1-5-18".into(),
        }
    }

    /// `DOMAIN\name`, as Sysmon writes its `User` field.
    pub fn qualified(&self) -> String {
        format!("{}\\{}", self.domain, self.name)
    }
}

/// One machine of the estate.
#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    pub role: Role,
    pub ip: String,
    /// The person who works at a workstation; servers have none.
    pub user: Option<Account>,
    /// The host's own computer account (`NAME$`).
    pub machine: Account,
}

impl Host {
    pub fn fqdn(&self) -> String {
        format!("{}.{}", self.name, DNS_SUFFIX)
    }
}

/// Every host and account of the simulated operator.
#[derive(Debug, Clone)]
pub struct Estate {
    pub hosts: Vec<Host>,
    /// Domain administrators (`adm-…`), who manage servers and help users.
    pub admins: Vec<Account>,
    pub backup_service: Account,
    pub sql_service: Account,
    pub portal_service: Account,
    pub system: Account,
}

const SURNAMES: &[&str] = &[
    "mueller",
    "meier",
    "schmid",
    "keller",
    "weber",
    "huber",
    "schneider",
    "meyer",
    "steiner",
    "fischer",
    "gerber",
    "brunner",
    "baumann",
    "frei",
    "zimmermann",
    "moser",
    "widmer",
    "wyss",
    "graf",
    "roth",
    "berger",
    "suter",
    "kaufmann",
    "bucher",
    "marti",
    "lehmann",
    "bieri",
    "hofmann",
    "kunz",
    "luethi",
];
const INITIALS: &[u8] = b"abcdefghijklmnoprstuvwz";

impl Estate {
    pub fn new(seed: u64, hosts: usize) -> Estate {
        // Fewer hosts than the servers and a few workstations cannot hold
        // the attack: the estate has at least that many.
        let hosts = hosts.max(MIN_HOSTS);
        let mut rng = random::stream(seed, label::ESTATE, 0, 0);
        let domain_sid = format!(
            "S-1-5-21-{}-{}-{}",
            rng.random_range(1_000_000_000u64..4_000_000_000),
            rng.random_range(1_000_000_000u64..4_000_000_000),
            rng.random_range(100_000_000u64..2_000_000_000)
        );
        let account = |name: String, rid: u32| Account {
            name,
            domain: DOMAIN.into(),
            sid: format!("{domain_sid}-{rid}"),
        };
        let mut names = person_names(&mut rng, hosts + 3);
        let admins = (0..3)
            .map(|i| account(format!("adm-{}", names.pop().unwrap()), 1103 + i))
            .collect();

        let servers = [
            ("DC-01", Role::DomainController, "10.20.1.10"),
            ("FS-01", Role::FileServer, "10.20.1.20"),
            ("DB-01", Role::DatabaseServer, "10.20.1.30"),
            ("APP-01", Role::AppServer, "10.20.2.10"),
            ("API-01", Role::ApiServer, "10.20.2.20"),
            ("VOIP-01", Role::Telephony, "10.20.3.10"),
            ("BK-01", Role::BackupServer, "10.20.1.40"),
        ];
        let mut list: Vec<Host> = servers
            .iter()
            .enumerate()
            .map(|(i, &(name, role, ip))| Host {
                name: name.into(),
                role,
                ip: ip.into(),
                user: None,
                machine: account(format!("{name}$"), 1000 + i as u32),
            })
            .collect();
        let (mut doctors, mut callers) = (0, 0);
        for i in 0..hosts - servers.len() {
            // Two doctors for every call-centre seat.
            let doctor = i % 3 != 2;
            let (name, role, ip) = if doctor {
                doctors += 1;
                (
                    format!("WS-DOC-{doctors:02}"),
                    Role::DoctorWorkstation,
                    format!("10.20.{}.{}", 10 + doctors / 200, 10 + doctors % 200),
                )
            } else {
                callers += 1;
                (
                    format!("WS-CC-{callers:02}"),
                    Role::CallCentreWorkstation,
                    format!("10.20.{}.{}", 20 + callers / 200, 10 + callers % 200),
                )
            };
            let rid = 1200 + i as u32;
            list.push(Host {
                machine: account(format!("{name}$"), 1500 + i as u32),
                user: Some(account(names.pop().unwrap(), rid)),
                name,
                role,
                ip,
            });
        }
        Estate {
            hosts: list,
            admins,
            backup_service: account("svc-backup".into(), 1150),
            sql_service: account("svc-sql".into(), 1151),
            portal_service: account("svc-portal".into(), 1152),
            system: Account::system(),
        }
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.hosts.iter().position(|h| h.name == name)
    }

    /// The first host of a role; every estate has one of each server role.
    pub fn first(&self, role: Role) -> &Host {
        self.hosts
            .iter()
            .find(|h| h.role == role)
            .expect("every role is present")
    }

    /// The inventory as YAML: the format is described in the crate docs.
    pub fn inventory_yaml(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# Asset inventory of the simulated operator.");
        let _ = writeln!(out, "domain: {DOMAIN}");
        let _ = writeln!(out, "dns_suffix: {DNS_SUFFIX}");
        let _ = writeln!(out, "hosts:");
        for host in &self.hosts {
            let _ = writeln!(out, "  - name: {}", host.name);
            let _ = writeln!(out, "    fqdn: {}", host.fqdn());
            let _ = writeln!(out, "    role: {}", host.role.as_str());
            let _ = writeln!(out, "    ips: [{}]", host.ip);
            let _ = writeln!(out, "    services: [{}]", host.role.services().join(", "));
            let _ = writeln!(
                out,
                "    depends_on: [{}]",
                host.role.depends_on().join(", ")
            );
            if let Some(user) = &host.user {
                let _ = writeln!(out, "    primary_user: {}", user.qualified());
            }
        }
        out
    }
}

/// Distinct `initial.surname` names.
fn person_names(rng: &mut ChaCha8Rng, n: usize) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(n);
    while names.len() < n {
        let name = format!(
            "{}.{}",
            char::from(*random::pick(rng, INITIALS)),
            random::pick(rng, SURNAMES)
        );
        let name = if names.contains(&name) {
            format!("{name}{}", names.len())
        } else {
            name
        };
        names.push(name);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewer_hosts_than_the_minimum_give_the_minimum() {
        for hosts in [0, 1, 2, MIN_HOSTS - 1, MIN_HOSTS] {
            assert_eq!(Estate::new(7, hosts).hosts.len(), MIN_HOSTS, "{hosts}");
        }
        assert_eq!(Estate::new(7, 30).hosts.len(), 30);
    }
}
