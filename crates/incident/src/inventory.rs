//! The asset inventory: which hosts exist, what they are for, their addresses.
//!
//! The format (YAML, what `vigil simulate` writes as `inventory.yaml`):
//!
//! ```yaml
//! domain: CLINIC              # optional
//! dns_suffix: clinic.example  # optional
//! hosts:
//!   - name: DC-01             # required: the host's short name
//!     fqdn: DC-01.clinic.example
//!     role: domain_controller # free text; `domain_controller` marks DCs
//!     ips: [10.20.1.10]
//!     services: [authentication, name resolution]
//!     depends_on: []
//!     primary_user: CLINIC\alice
//! ```
//!
//! Every field but `name` may be left out; unknown fields are ignored.

use std::path::Path;

use serde::Deserialize;

use crate::names;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Inventory {
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub hosts: Vec<Asset>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Asset {
    pub name: String,
    #[serde(default)]
    pub fqdn: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub ips: Vec<String>,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub depends_on: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("cannot read the inventory {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the inventory {path} is not valid: {message} (expected `hosts:` with `name`, `role`, `ips` per host)")]
    Parse { path: String, message: String },
}

impl Inventory {
    pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
        let text = std::fs::read_to_string(path).map_err(|source| InventoryError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Inventory::parse(&text).map_err(|message| InventoryError::Parse {
            path: path.display().to_string(),
            message,
        })
    }

    pub fn parse(text: &str) -> Result<Inventory, String> {
        vigil_event::check_yaml(text, yaml_serde::Deserializer::from_str)?;
        yaml_serde::from_str(text).map_err(|e| e.to_string())
    }

    /// The asset of a host, by short name.
    pub fn asset(&self, host: &str) -> Option<&Asset> {
        self.hosts
            .iter()
            .find(|a| names::host_name(&a.name).as_deref() == Some(host))
    }

    pub fn role(&self, host: &str) -> Option<&str> {
        self.asset(host).and_then(|a| a.role.as_deref())
    }

    /// The host that owns an address.
    pub fn host_of(&self, ip: &str) -> Option<String> {
        self.hosts
            .iter()
            .find(|a| a.ips.iter().any(|i| i == ip))
            .and_then(|a| names::host_name(&a.name))
    }

    pub fn is_domain_controller(&self, host: &str) -> bool {
        self.role(host).is_some_and(|r| {
            r.to_ascii_lowercase()
                .replace([' ', '-'], "_")
                .contains("domain_controller")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_simulators_format() {
        let inv = Inventory::parse(
            "domain: CLINIC\nhosts:\n  - name: DC-01\n    role: domain_controller\n    ips: [10.0.0.1]\n    extra: 1\n",
        )
        .unwrap();
        assert_eq!(inv.host_of("10.0.0.1").as_deref(), Some("DC-01"));
        assert!(inv.is_domain_controller("DC-01"));
        assert!(Inventory::parse("hosts: 3").is_err());
    }

    #[test]
    fn an_inventory_built_to_exhaust_memory_is_refused_naming_the_file() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("inventory.yaml");
        // One host whose addresses are an anchor of 20,000 named 1,000 times.
        let anchor = vec!["10.0.0.1"; 20_000].join(",");
        let aliases = vec!["*a"; 1_000].join(",");
        let bomb =
            format!("hosts:\n  - name: A\n    ips: &a [{anchor}]\n    services: [{aliases}]\n");
        std::fs::write(&path, bomb).unwrap();
        let started = std::time::Instant::now();
        let error = Inventory::load(&path).unwrap_err().to_string();
        assert!(started.elapsed().as_secs() < 5);
        assert!(error.contains(&path.display().to_string()), "{error}");
        assert!(
            error.contains("expands to more than 1000000 values"),
            "{error}"
        );

        let deep = format!("hosts: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        std::fs::write(&path, deep).unwrap();
        let error = Inventory::load(&path).unwrap_err().to_string();
        assert!(error.contains(&path.display().to_string()), "{error}");
        assert!(error.contains("nested more than 256 deep"), "{error}");
    }
}
