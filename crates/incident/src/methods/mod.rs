//! How each lateral-movement method is recognised: sightings of hops from
//! the destination's events (`destination`) and from the source's own
//! (`source`), to be merged into edges by `movement`.
//!
//! On the destination, a hop's source is the network logon that brought
//! it: the 4624 type 3 of the same logon session when the event names one
//! (a process started in it, a task changed in it), else the last network
//! logon from another host just before (a service or a WinRM shell, whose
//! events name no session). The logon's address is resolved to a host
//! through the inventory and the hosts' own events, else its workstation
//! name, else the bare address stays a node.

mod destination;
mod files;
mod source;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

pub(crate) use destination::destination;
pub(crate) use source::source;

use crate::facts::{EventRef, Facts};
use crate::movement::{Resolver, MERGE};
use crate::names;

/// A network logon on a host from another one: where a session came from.
#[derive(Debug, Clone)]
pub(crate) struct Arrival<'a> {
    pub time: DateTime<Utc>,
    pub from: String,
    pub account: Option<&'a str>,
    pub session: Option<&'a str>,
    pub event: &'a EventRef,
}

/// Network logons per host, by session and by time.
pub(crate) struct Arrivals<'a> {
    /// Host → logon id → the logon.
    by_session: HashMap<&'a str, HashMap<&'a str, Arrival<'a>>>,
    by_host: BTreeMap<&'a str, Vec<Arrival<'a>>>,
    /// Host → logon ids of every logon (any type) the events record.
    logged_on: HashMap<&'a str, HashSet<&'a str>>,
}

/// The source host by address, then by the name it gave, then the bare
/// address: an unknown machine is still a node of the graph.
pub(crate) fn source_host(
    resolver: &Resolver,
    ip: Option<&String>,
    workstation: Option<&String>,
) -> Option<String> {
    ip.and_then(|ip| resolver.host_of(ip))
        .or_else(|| workstation.cloned())
        .or_else(|| ip.cloned())
}

/// A host named in an event (a name or an address) as the graph knows it.
pub(crate) fn named_host(resolver: &Resolver, name: &str) -> String {
    if name.parse::<std::net::IpAddr>().is_ok() {
        resolver.host_of(name).unwrap_or_else(|| name.to_string())
    } else {
        name.to_string()
    }
}

impl<'a> Arrivals<'a> {
    /// Network logons (4624 type 3) from other hosts, and the sessions of
    /// share accesses whose logon was not recorded.
    pub fn new(facts: &'a Facts, resolver: &Resolver) -> Arrivals<'a> {
        let mut by_session: HashMap<&str, HashMap<&str, Arrival>> = HashMap::new();
        let mut by_host: BTreeMap<&str, Vec<Arrival>> = BTreeMap::new();
        let mut logged_on: HashMap<&str, HashSet<&str>> = HashMap::new();
        for logon in &facts.logons {
            if let Some(session) = &logon.logon_id {
                logged_on.entry(&logon.host).or_default().insert(session);
            }
        }
        for logon in facts.logons.iter().filter(|l| l.logon_type == 3) {
            let Some(from) = source_host(
                resolver,
                logon.source_ip.as_ref(),
                logon.source_workstation.as_ref(),
            ) else {
                continue;
            };
            // A host's own account coming in is the host talking to itself
            // over an address nothing resolves (IPv6 link-local, a second card).
            if from == logon.host || is_own_account(&logon.account, &logon.host) {
                continue;
            }
            let arrival = Arrival {
                time: logon.time,
                from,
                account: Some(&logon.account),
                session: logon.logon_id.as_deref(),
                event: &logon.event,
            };
            if let Some(session) = &logon.logon_id {
                by_session
                    .entry(&logon.host)
                    .or_default()
                    .insert(session, arrival.clone());
            }
            by_host.entry(&logon.host).or_default().push(arrival);
        }
        for share in &facts.shares {
            let Some(session) = &share.logon_id else {
                continue;
            };
            let known = by_session.entry(&share.host).or_default();
            if known.contains_key(session.as_str()) {
                continue;
            }
            let Some(from) = source_host(resolver, Some(&share.source_ip), None) else {
                continue;
            };
            let own = share
                .account
                .as_deref()
                .is_some_and(|a| is_own_account(a, &share.host));
            if from != share.host && !own {
                let arrival = Arrival {
                    time: share.time,
                    from,
                    account: share.account.as_deref(),
                    session: Some(session),
                    event: &share.event,
                };
                known.insert(session, arrival.clone());
                // The SMB session is a network logon even when its 4624
                // was not recorded.
                by_host.entry(&share.host).or_default().push(arrival);
            }
        }
        for list in by_host.values_mut() {
            list.sort_by_key(|a| a.time);
        }
        Arrivals {
            by_session,
            by_host,
            logged_on,
        }
    }

    /// The network logon of one of these sessions on `host`.
    pub fn in_session<'s>(
        &self,
        host: &str,
        sessions: impl IntoIterator<Item = &'s str>,
    ) -> Option<&Arrival<'a>> {
        let known = self.by_session.get(host)?;
        sessions.into_iter().find_map(|s| known.get(s))
    }

    /// Whether one of these sessions on `host` is a logon the events
    /// record, of whatever type: then it, not the time, says where it came from.
    pub fn is_known<'s>(&self, host: &str, sessions: impl IntoIterator<Item = &'s str>) -> bool {
        self.logged_on
            .get(host)
            .is_some_and(|known| sessions.into_iter().any(|s| known.contains(s)))
    }

    /// The network logon that brought something done at `time` on `host`:
    /// the last one from another host at most two minutes before, by a
    /// person's account (`account`'s when it is known and not built in).
    pub fn just_before(
        &self,
        host: &str,
        time: DateTime<Utc>,
        account: Option<&str>,
    ) -> Option<&Arrival<'a>> {
        let list = self.by_host.get(host)?;
        let end = list.partition_point(|a| a.time <= time);
        let wanted = account.filter(|a| !names::is_builtin(a) && !names::is_machine(a));
        list[..end]
            .iter()
            .rev()
            .take_while(|a| time - a.time <= Duration::seconds(MERGE))
            .filter(|a| {
                a.account
                    .is_some_and(|x| !names::is_machine(x) && !names::is_builtin(x))
            })
            .find(|a| match (wanted, a.account) {
                (Some(w), Some(x)) => same_account(w, x),
                _ => true,
            })
    }
}

/// Whether `account` is `host`'s own machine account (`HOST$`).
fn is_own_account(account: &str, host: &str) -> bool {
    names::user_part(account)
        .strip_suffix('$')
        .is_some_and(|name| name.eq_ignore_ascii_case(host))
}

/// Two spellings of one account: logs name the domain differently (NetBIOS,
/// DNS, none), so the user part decides.
pub(crate) fn same_account(a: &str, b: &str) -> bool {
    names::user_part(a).eq_ignore_ascii_case(names::user_part(b))
}
