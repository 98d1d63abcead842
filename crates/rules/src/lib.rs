//! Vigil's built-in Sigma rule pack, written for the intrusions healthcare
//! operators face (phishing, credential theft, lateral movement, staging,
//! exfiltration, ransomware), so that Vigil is useful with no rules folder.
//!
//! ```
//! let rules = vigil_rules::builtin();
//! assert!(rules.iter().all(|r| r.name.ends_with(".yml")));
//! ```

/// One embedded rule file.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinRule {
    /// The file's path under the pack, e.g. `windows/lsass_access.yml`.
    pub name: &'static str,
    pub text: &'static str,
}

const RULES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Every rule file of the pack, sorted by name.
pub fn builtin() -> Vec<BuiltinRule> {
    RULES
        .iter()
        .map(|&(name, text)| BuiltinRule { name, text })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use vigil_sigma::{RuleSetBuilder, RuleSetOptions};

    #[test]
    fn every_builtin_rule_compiles() {
        let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
        for rule in super::builtin() {
            builder.add_text(Path::new(rule.name), rule.text);
        }
        let (rules, report) = builder.build();
        for failure in &report.failed {
            eprintln!("{failure}");
        }
        assert!(report.failed.is_empty());
        assert!(rules.len() >= 10, "only {} built-in rules", rules.len());
        let mut ids: Vec<&str> = rules.rules().iter().map(|r| r.meta.id.as_str()).collect();
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "duplicate rule ids in the built-in pack");
    }
}
