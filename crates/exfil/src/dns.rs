//! DNS tunnelling: data carried out in the names of queries. A tunnel shows
//! as many distinct, long, random-looking names under one domain (each query
//! carries a new piece), often with TXT or NULL answers carrying the replies.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::record::{DnsQuery, Origin};

/// When a domain's queries look like a tunnel.
#[derive(Debug, Clone, Serialize)]
pub struct TunnelThresholds {
    /// Distinct names under the domain.
    pub min_unique_names: usize,
    /// Mean length of the part before the domain, in characters.
    pub min_mean_length: f64,
    /// Shannon entropy of the characters of that part, bits per character.
    pub min_entropy: f64,
    /// TXT/NULL queries that on their own, with enough distinct names, make a tunnel.
    pub min_txt_queries: usize,
}

impl Default for TunnelThresholds {
    fn default() -> TunnelThresholds {
        TunnelThresholds {
            min_unique_names: 40,
            min_mean_length: 24.0,
            min_entropy: 3.6,
            min_txt_queries: 100,
        }
    }
}

/// What the queries under one registered domain look like.
#[derive(Debug, Clone, Serialize)]
pub struct DomainProfile {
    pub domain: String,
    pub queries: usize,
    pub unique_names: usize,
    /// Mean length of the distinct subdomain parts.
    pub mean_length: f64,
    pub longest_label: usize,
    /// Bits per character over the distinct subdomain parts.
    pub entropy: f64,
    pub txt_queries: usize,
    pub clients: Vec<IpAddr>,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    /// Characters carried in the distinct subdomain parts: an upper bound on
    /// what the names could encode.
    pub name_characters: u64,
    /// A few of the names, for the reader.
    pub examples: Vec<String>,
    pub evidence: Vec<Origin>,
    /// Why the domain is (or is not) taken for a tunnel.
    pub reason: String,
    pub tunnel: bool,
}

/// The registered domain of a name: its last two labels, or three under the
/// common second-level registries (`nhs.co.uk`).
pub fn registered_domain(name: &str) -> String {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').filter(|l| !l.is_empty()).collect();
    let keep = if labels.len() >= 3 {
        let second = labels[labels.len() - 2];
        let top = labels[labels.len() - 1];
        let registry = [
            "co", "com", "org", "net", "ac", "gov", "edu", "nhs", "or", "ne", "gv",
        ];
        if top.len() == 2 && registry.contains(&second) {
            3
        } else {
            2
        }
    } else {
        labels.len()
    };
    labels[labels.len() - keep..].join(".")
}

/// Bits per character of `text`.
pub fn entropy(text: &str) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    let mut total = 0usize;
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&n| {
            let p = n as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

/// Names that are not about the internet: reverse lookups and local service discovery.
fn ignored(domain: &str) -> bool {
    domain.ends_with("arpa")
        || domain.ends_with("local")
        || domain.ends_with("localdomain")
        || !domain.contains('.')
}

struct Gathered<'a> {
    queries: usize,
    subdomains: BTreeSet<&'a str>,
    txt: usize,
    clients: BTreeSet<IpAddr>,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    evidence: Vec<Origin>,
}

/// Profiles every registered domain asked for in `queries` and says which look
/// like tunnels; tunnels first, then by distinct names.
pub fn profile(queries: &[DnsQuery], t: &TunnelThresholds) -> Vec<DomainProfile> {
    let mut by_domain: BTreeMap<String, Gathered> = BTreeMap::new();
    for q in queries {
        let name = q.query.trim_end_matches('.');
        let domain = registered_domain(name);
        if ignored(&domain) {
            continue;
        }
        let sub = name
            .len()
            .checked_sub(domain.len())
            .and_then(|end| name.get(..end))
            .map(|sub| sub.trim_end_matches('.'))
            .unwrap_or("");
        let g = by_domain.entry(domain).or_insert_with(|| Gathered {
            queries: 0,
            subdomains: BTreeSet::new(),
            txt: 0,
            clients: BTreeSet::new(),
            first: q.time,
            last: q.time,
            evidence: Vec::new(),
        });
        g.queries += 1;
        if !sub.is_empty() && g.subdomains.insert(sub) && g.evidence.len() < 5 {
            g.evidence.push(q.origin.clone());
        }
        if q.qtype
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("TXT") || t.eq_ignore_ascii_case("NULL"))
        {
            g.txt += 1;
        }
        g.clients.insert(q.client);
        g.first = g.first.min(q.time);
        g.last = g.last.max(q.time);
    }
    let mut profiles: Vec<DomainProfile> = by_domain
        .into_iter()
        .map(|(domain, g)| {
            let unique = g.subdomains.len();
            let characters: usize = g.subdomains.iter().map(|s| s.len()).sum();
            let joined: String = g.subdomains.iter().flat_map(|s| s.chars()).filter(|c| *c != '.').collect();
            let mean_length = if unique == 0 { 0.0 } else { characters as f64 / unique as f64 };
            let entropy = entropy(&joined);
            let longest_label = g
                .subdomains
                .iter()
                .flat_map(|s| s.split('.'))
                .map(str::len)
                .max()
                .unwrap_or(0);
            let many = unique >= t.min_unique_names;
            let random = mean_length >= t.min_mean_length && entropy >= t.min_entropy;
            let txt = g.txt >= t.min_txt_queries;
            let tunnel = many && (random || txt);
            let reason = format!(
                "{unique} distinct names ({} needed), mean length {mean_length:.1} ({} needed), entropy {entropy:.2} bits/char ({} needed), {} TXT/NULL queries",
                t.min_unique_names, t.min_mean_length, t.min_entropy, g.txt
            );
            DomainProfile {
                examples: g.subdomains.iter().take(3).map(|s| format!("{s}.{domain}")).collect(),
                domain,
                queries: g.queries,
                unique_names: unique,
                mean_length,
                longest_label,
                entropy,
                txt_queries: g.txt,
                clients: g.clients.into_iter().collect(),
                first: g.first,
                last: g.last,
                name_characters: characters as u64,
                evidence: g.evidence,
                reason,
                tunnel,
            }
        })
        .collect();
    profiles.sort_by(|a, b| {
        b.tunnel
            .cmp(&a.tunnel)
            .then(b.unique_names.cmp(&a.unique_names))
            .then(a.domain.cmp(&b.domain))
    });
    profiles
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn registered_domains() {
        assert_eq!(registered_domain("a.b.example.com."), "example.com");
        assert_eq!(registered_domain("www.nhs.co.uk"), "nhs.co.uk");
        assert_eq!(registered_domain("localhost"), "localhost");
        assert_eq!(registered_domain(""), "");
    }

    fn query(name: &str, qtype: &str, i: i64) -> DnsQuery {
        DnsQuery {
            time: DateTime::from_timestamp(1_700_000_000 + i, 0).unwrap(),
            client: "10.0.0.5".parse().unwrap(),
            query: name.into(),
            qtype: Some(qtype.into()),
            answers: vec![],
            origin: Origin {
                file: Arc::from("dns.log"),
                line: i as u64 + 1,
            },
        }
    }

    /// A deterministic stand-in for encoded data: base32 of a counter's hash.
    fn encoded(i: u64, len: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
        let mut x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ALPHABET[(x % 32) as usize] as char
            })
            .collect()
    }

    #[test]
    fn a_tunnel_is_flagged_and_a_cdn_is_not() {
        let mut queries = Vec::new();
        for i in 0..200 {
            queries.push(query(
                &format!(
                    "{}.{}.t.exfil-example.net",
                    encoded(i, 50),
                    encoded(i + 1000, 30)
                ),
                "TXT",
                i as i64,
            ));
        }
        // A CDN: many hosts, short regular names.
        for i in 0..200 {
            queries.push(query(&format!("edge{}.cdn-example.com", i % 80), "A", i));
        }
        // Just under the bar: 39 long random names.
        for i in 0..39 {
            queries.push(query(
                &format!("{}.near-example.org", encoded(i + 5000, 40)),
                "A",
                i as i64,
            ));
        }
        let profiles = profile(&queries, &TunnelThresholds::default());
        let flagged: Vec<&str> = profiles
            .iter()
            .filter(|p| p.tunnel)
            .map(|p| p.domain.as_str())
            .collect();
        assert_eq!(flagged, ["exfil-example.net"]);
        let tunnel = &profiles[0];
        assert_eq!(tunnel.unique_names, 200);
        assert!(tunnel.entropy > 4.5, "{}", tunnel.entropy);
        assert_eq!(tunnel.txt_queries, 200);
        let cdn = profiles
            .iter()
            .find(|p| p.domain == "cdn-example.com")
            .unwrap();
        assert_eq!(cdn.unique_names, 80);
        assert!(!cdn.tunnel);
        let near = profiles
            .iter()
            .find(|p| p.domain == "near-example.org")
            .unwrap();
        assert!(!near.tunnel && near.mean_length >= 40.0);
    }
}
