//! The logsource table: which events a rule's `logsource` means, and which
//! field names stand for Sigma's in each kind of event.

use std::collections::{BTreeMap, HashMap};

use yaml_serde::Value;

/// The tables shipped with Vigil, written from the Sigma taxonomy.
pub const BUILTIN_WINDOWS: &str = include_str!("../data/windows.yml");
pub const BUILTIN_LINUX: &str = include_str!("../data/linux.yml");
pub const BUILTIN_ZEEK: &str = include_str!("../data/zeek.yml");

/// A rule's `logsource` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSource {
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
}

/// One way a category shows up in the logs: a service (hence channels),
/// EventIDs, further field conditions, and renamed fields.
#[derive(Debug, Clone, Default)]
pub struct Variant {
    pub service: String,
    pub event_ids: Vec<i64>,
    pub conditions: Vec<(String, String)>,
    pub fields: BTreeMap<String, String>,
}

/// Logsource definitions for one or more products.
#[derive(Debug, Clone, Default)]
pub struct LogSourceTable {
    /// product → service → channels
    services: HashMap<String, HashMap<String, Vec<String>>>,
    /// product → category → variants
    categories: HashMap<String, HashMap<String, Vec<Variant>>>,
    /// category a rule names without a product (`category: dns`) → the
    /// products' logs that are of that kind, each with its product.
    generic: HashMap<String, Vec<(String, Variant)>>,
}

/// What a rule's logsource resolves to: the events it may be applied to.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub product: Option<String>,
    /// Alternatives (OR). Empty when the table knows nothing narrower than
    /// the product: then the rule's own detection decides.
    pub variants: Vec<ResolvedVariant>,
}

#[derive(Debug, Clone)]
pub struct ResolvedVariant {
    /// The product the variant's events are of, for a rule that names
    /// none (`category: dns` is a Zeek `dns` log); `None` when the rule's
    /// own product says it.
    pub product: Option<String>,
    /// Channels (any of). Empty means any channel.
    pub channels: Vec<String>,
    pub event_ids: Vec<i64>,
    pub conditions: Vec<(String, String)>,
    pub fields: BTreeMap<String, String>,
}

impl LogSourceTable {
    /// The built-in tables.
    pub fn builtin() -> LogSourceTable {
        let mut table = LogSourceTable::default();
        for text in [BUILTIN_WINDOWS, BUILTIN_LINUX, BUILTIN_ZEEK] {
            table
                .merge_yaml(text)
                .expect("the built-in logsource tables are valid");
        }
        table
    }

    /// Adds or replaces entries from a table file in Vigil's format (see
    /// `data/windows.yml`).
    pub fn merge_yaml(&mut self, text: &str) -> Result<(), String> {
        vigil_event::check_yaml(text, yaml_serde::Deserializer::from_str)?;
        let doc: Value = yaml_serde::from_str(text).map_err(|e| e.to_string())?;
        let product = doc
            .get("product")
            .and_then(Value::as_str)
            .ok_or("missing 'product'")?
            .to_string();
        if let Some(services) = doc.get("services").and_then(Value::as_mapping) {
            let entry = self.services.entry(product.clone()).or_default();
            for (name, channels) in services {
                let name = name.as_str().ok_or("service names must be strings")?;
                entry.insert(name.to_string(), string_list(channels)?);
            }
        }
        if let Some(kinds) = doc.get("generic_categories").and_then(Value::as_mapping) {
            for (name, variants) in kinds {
                let name = name.as_str().ok_or("category names must be strings")?;
                let list = variants.as_sequence().ok_or_else(|| {
                    format!("generic category '{name}' must be a list of variants")
                })?;
                let entry = self.generic.entry(name.to_string()).or_default();
                entry.retain(|(p, _)| p != &product);
                for v in list {
                    let variant =
                        parse_variant(v).map_err(|e| format!("generic category '{name}': {e}"))?;
                    entry.push((product.clone(), variant));
                }
            }
        }
        if let Some(categories) = doc.get("categories").and_then(Value::as_mapping) {
            let entry = self.categories.entry(product).or_default();
            for (name, variants) in categories {
                let name = name.as_str().ok_or("category names must be strings")?;
                let list = variants
                    .as_sequence()
                    .ok_or_else(|| format!("category '{name}' must be a list of variants"))?;
                let mut parsed = Vec::new();
                for v in list {
                    parsed.push(parse_variant(v).map_err(|e| format!("category '{name}': {e}"))?);
                }
                entry.insert(name.to_string(), parsed);
            }
        }
        Ok(())
    }

    /// Resolves a rule's logsource. Unknown categories and services resolve
    /// to the product alone rather than to nothing, so such rules still run
    /// on their detection logic.
    pub fn resolve(&self, ls: &LogSource) -> Resolved {
        let product = ls.product.as_deref().map(str::to_ascii_lowercase);
        let Some(p) = product.as_deref() else {
            return self.resolve_generic(ls);
        };
        let services = self.services.get(p);
        let channels_of = |service: &str| -> Vec<String> {
            services
                .and_then(|s| s.get(service))
                .cloned()
                .unwrap_or_default()
        };
        let mut variants = Vec::new();
        if let Some(category) = &ls.category {
            if let Some(vs) = self.categories.get(p).and_then(|c| c.get(category)) {
                for v in vs {
                    if ls.service.as_ref().is_some_and(|s| s != &v.service) {
                        continue;
                    }
                    variants.push(ResolvedVariant {
                        product: None,
                        channels: channels_of(&v.service),
                        event_ids: v.event_ids.clone(),
                        conditions: v.conditions.clone(),
                        fields: v.fields.clone(),
                    });
                }
            }
        } else if let Some(service) = &ls.service {
            let channels = channels_of(service);
            if !channels.is_empty() {
                variants.push(ResolvedVariant {
                    product: None,
                    channels,
                    event_ids: Vec::new(),
                    conditions: Vec::new(),
                    fields: BTreeMap::new(),
                });
            }
        }
        Resolved {
            product: Some(p.to_string()),
            variants,
        }
    }
}

impl LogSourceTable {
    /// A rule that names a category but no product is for any log of that
    /// kind: the logs of the products the table knows to be of it, and
    /// logs whose product is unknown. A service narrows it, as usual.
    fn resolve_generic(&self, ls: &LogSource) -> Resolved {
        let Some(kinds) = ls.category.as_ref().and_then(|c| self.generic.get(c)) else {
            return Resolved::default();
        };
        let variants = kinds
            .iter()
            .filter(|(_, v)| ls.service.as_ref().is_none_or(|s| s == &v.service))
            .map(|(product, v)| ResolvedVariant {
                product: Some(product.clone()),
                channels: (self.services.get(product))
                    .and_then(|services| services.get(&v.service))
                    .cloned()
                    .unwrap_or_else(|| vec![v.service.clone()]),
                event_ids: v.event_ids.clone(),
                conditions: v.conditions.clone(),
                fields: v.fields.clone(),
            })
            .collect();
        Resolved {
            product: None,
            variants,
        }
    }
}

fn string_list(value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Sequence(items) => items
            .iter()
            .map(|i| scalar_text(i).ok_or_else(|| "expected a list of strings".to_string()))
            .collect(),
        _ => Err("expected a string or a list of strings".into()),
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parse_variant(v: &Value) -> Result<Variant, String> {
    let service = v
        .get("service")
        .and_then(Value::as_str)
        .ok_or("each variant needs a 'service'")?
        .to_string();
    let event_ids = match v.get("event_ids") {
        None => Vec::new(),
        Some(ids) => string_list(ids)?
            .iter()
            .map(|s| {
                s.parse::<i64>()
                    .map_err(|_| format!("event id '{s}' is not a number"))
            })
            .collect::<Result<_, _>>()?,
    };
    let mut conditions = Vec::new();
    if let Some(map) = v.get("conditions").and_then(Value::as_mapping) {
        for (k, val) in map {
            let k = k.as_str().ok_or("condition field names must be strings")?;
            let val = scalar_text(val).ok_or("condition values must be scalars")?;
            conditions.push((k.to_string(), val));
        }
    }
    let mut fields = BTreeMap::new();
    if let Some(map) = v.get("fields").and_then(Value::as_mapping) {
        for (k, val) in map {
            let (Some(k), Some(val)) = (k.as_str(), val.as_str()) else {
                return Err("field mappings must map names to names".into());
            };
            fields.insert(k.to_string(), val.to_string());
        }
    }
    Ok(Variant {
        service,
        event_ids,
        conditions,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(product: &str, category: Option<&str>, service: Option<&str>) -> LogSource {
        LogSource {
            product: Some(product.into()),
            category: category.map(Into::into),
            service: service.map(Into::into),
        }
    }

    #[test]
    fn process_creation_means_sysmon_1_or_security_4688() {
        let r = LogSourceTable::builtin().resolve(&ls("windows", Some("process_creation"), None));
        assert_eq!(r.variants.len(), 2);
        assert_eq!(
            r.variants[0].channels,
            vec!["Microsoft-Windows-Sysmon/Operational"]
        );
        assert_eq!(r.variants[0].event_ids, vec![1]);
        assert_eq!(r.variants[1].channels, vec!["Security"]);
        assert_eq!(r.variants[1].event_ids, vec![4688]);
        assert_eq!(r.variants[1].fields["Image"], "NewProcessName");
    }

    #[test]
    fn services_mean_channels() {
        let r = LogSourceTable::builtin().resolve(&ls("windows", None, Some("security")));
        assert_eq!(r.variants[0].channels, vec!["Security"]);
        assert!(r.variants[0].event_ids.is_empty());
    }

    #[test]
    fn registry_add_carries_its_event_type() {
        let r = LogSourceTable::builtin().resolve(&ls("windows", Some("registry_add"), None));
        assert_eq!(
            r.variants[0].conditions,
            vec![("EventType".into(), "CreateKey".into())]
        );
    }

    #[test]
    fn unknown_sources_resolve_to_the_product() {
        let r = LogSourceTable::builtin().resolve(&ls("windows", Some("file_access"), None));
        assert_eq!(r.product.as_deref(), Some("windows"));
        assert!(r.variants.is_empty());
    }

    #[test]
    fn linux_services_mean_the_programs_that_log_them() {
        let table = LogSourceTable::builtin();
        let r = table.resolve(&ls("linux", None, Some("sshd")));
        assert_eq!(r.product.as_deref(), Some("linux"));
        assert_eq!(
            r.variants[0].channels,
            ["sshd", "sshd-session", "sshd-auth"]
        );
        let r = table.resolve(&ls("linux", None, Some("cron")));
        assert!(r.variants[0].channels.contains(&"crond".to_string()));
        // Every syslog line is of service syslog: nothing narrower than Linux.
        assert!(table
            .resolve(&ls("linux", None, Some("syslog")))
            .variants
            .is_empty());
    }

    /// SigmaHQ's Linux categories are Sysmon for Linux's events.
    #[test]
    fn linux_categories_are_sysmon_for_linux_events() {
        let table = LogSourceTable::builtin();
        for (category, id) in [
            ("process_creation", 1),
            ("network_connection", 3),
            ("file_event", 11),
        ] {
            let r = table.resolve(&ls("linux", Some(category), None));
            assert_eq!(r.variants.len(), 1, "{category}");
            assert_eq!(r.variants[0].channels, ["Linux-Sysmon/Operational"]);
            assert_eq!(r.variants[0].event_ids, [id]);
        }
    }

    /// Every Zeek service SigmaHQ's rules name is a log of its own, so a
    /// rule for one log is never run on another's records.
    #[test]
    fn zeek_services_are_their_logs() {
        let table = LogSourceTable::builtin();
        for service in [
            "dce_rpc",
            "dns",
            "http",
            "kerberos",
            "rdp",
            "smb_files",
            "x509",
        ] {
            let r = table.resolve(&ls("zeek", None, Some(service)));
            assert_eq!(r.variants.len(), 1, "{service}");
            assert_eq!(r.variants[0].channels, [service]);
        }
    }

    /// A rule of a category that names no product meets the Zeek logs of
    /// that kind, with the taxonomy's field names that Zeek spells its own
    /// way; a category no product's log is of stays for logs of no product.
    #[test]
    fn generic_categories_are_the_zeek_logs_of_their_kind() {
        let table = LogSourceTable::builtin();
        let generic = |category: &str| LogSource {
            product: None,
            category: Some(category.into()),
            service: None,
        };
        let dns = table.resolve(&generic("dns"));
        assert_eq!(dns.product, None);
        assert_eq!(dns.variants.len(), 1);
        assert_eq!(dns.variants[0].product.as_deref(), Some("zeek"));
        assert_eq!(dns.variants[0].channels, ["dns"]);
        assert_eq!(dns.variants[0].fields["answer"], "answers");
        let proxy = table.resolve(&generic("proxy"));
        assert_eq!(proxy.variants[0].channels, ["http"]);
        assert_eq!(proxy.variants[0].fields["c-useragent"], "user_agent");
        assert!(table.resolve(&generic("antivirus")).variants.is_empty());
    }

    #[test]
    fn user_tables_override() {
        let mut t = LogSourceTable::builtin();
        t.merge_yaml("product: windows\nservices:\n  security: [ForwardedEvents]\n")
            .unwrap();
        let r = t.resolve(&ls("windows", None, Some("security")));
        assert_eq!(r.variants[0].channels, vec!["ForwardedEvents"]);
    }
}
