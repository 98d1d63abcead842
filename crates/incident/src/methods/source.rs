//! Hops as the source logged them: explicit credentials for a server
//! (4648), connections to remote-administration ports (Sysmon 3; the RPC
//! endpoint mapper only with the dynamic-port call after it), and commands
//! naming the host they act on.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::named_host;
use crate::facts::{AdminConnection, Facts, DYNAMIC_PORTS};
use crate::movement::{Method, Resolver, Sighting};
use crate::processes::file_name;

/// An RPC call follows the endpoint mapper's answer this soon (seconds).
const RPC_FOLLOW_UP: i64 = 30;

/// Every hop the sources' events show.
pub(crate) fn source(facts: &Facts, resolver: &Resolver, out: &mut Vec<Sighting>) {
    explicit(facts, out);
    connections(facts, resolver, out);
    commands(facts, resolver, out);
}

fn explicit(facts: &Facts, out: &mut Vec<Sighting>) {
    for explicit in &facts.explicit {
        let Some(to) = explicit.server.clone() else {
            continue;
        };
        if to == explicit.host {
            continue;
        }
        out.push(Sighting {
            time: explicit.time,
            from: explicit.host.clone(),
            note: format!(
                "{}: 4648 explicit credentials of {} for {to}",
                explicit.host, explicit.account
            ),
            to,
            account: Some(explicit.account.clone()),
            method: Method::ExplicitCredentials,
            destination_side: false,
            session: None,
            process: None,
            events: vec![explicit.event.clone()],
        });
    }
}

/// The process a connection came from: its ProcessGuid, else its image.
fn process_key(c: &AdminConnection) -> &str {
    c.process_guid
        .as_deref()
        .or(c.image.as_deref())
        .unwrap_or("")
}

/// When a dynamic-port call was made, and which connection it was.
type Call = (DateTime<Utc>, usize);

fn connections(facts: &Facts, resolver: &Resolver, out: &mut Vec<Sighting>) {
    // Dynamic-port calls per (host, process, destination), to follow the
    // endpoint mapper's connections.
    let mut calls: HashMap<(&str, &str, &str), Vec<Call>> = HashMap::new();
    for (i, c) in facts.connections.iter().enumerate() {
        if c.port >= DYNAMIC_PORTS {
            if let Some(ip) = c.destination_ip.as_deref() {
                calls
                    .entry((&c.host, process_key(c), ip))
                    .or_default()
                    .push((c.time, i));
            }
        }
    }
    for c in &facts.connections {
        let to = c
            .destination_ip
            .as_deref()
            .and_then(|ip| resolver.host_of(ip))
            .or_else(|| c.destination_host.clone());
        let Some(to) = to.filter(|t| *t != c.host) else {
            continue;
        };
        let image = c.image.as_deref().unwrap_or("a process");
        let mut events = vec![c.event.clone()];
        let (method, what) = match c.port {
            3389 => (Method::Rdp, format!("connected to port {}", c.port)),
            // svchost.exe speaks WinRM for Windows Event Forwarding and
            // management, not for a remote shell.
            5985 | 5986 if file_name(image).eq_ignore_ascii_case("svchost.exe") => (
                Method::NetworkLogon,
                format!(
                    "connected to port {} (a service's WinRM: event forwarding or management)",
                    c.port
                ),
            ),
            5985 | 5986 => (Method::Winrm, format!("connected to port {}", c.port)),
            445 => (Method::Smb, format!("connected to port {}", c.port)),
            135 => {
                let follow = c.destination_ip.as_deref().and_then(|ip| {
                    calls
                        .get(&(c.host.as_str(), process_key(c), ip))?
                        .iter()
                        .find(|(t, _)| {
                            *t >= c.time && *t - c.time <= Duration::seconds(RPC_FOLLOW_UP)
                        })
                        .map(|&(_, i)| &facts.connections[i])
                });
                let Some(call) = follow else {
                    continue;
                };
                events.push(call.event.clone());
                // The client program tells WMI from DCOM when it is one of
                // theirs; otherwise the destination's events will.
                let name = file_name(image);
                let method = if name.eq_ignore_ascii_case("wmic.exe") {
                    Method::Wmi
                } else {
                    Method::NetworkLogon
                };
                (
                    method,
                    format!(
                        "connected to RPC port 135, then to port {} (WMI or DCOM)",
                        call.port
                    ),
                )
            }
            _ => continue,
        };
        out.push(Sighting {
            time: c.time,
            from: c.host.clone(),
            note: format!("{}: Sysmon 3: {image} {what} on {to}", c.host),
            to,
            // The connecting process's user is not the credential the
            // destination saw; the destination's logon says that.
            account: None,
            method,
            destination_side: false,
            session: None,
            process: c.process_guid.clone(),
            events: std::mem::take(&mut events),
        });
    }
}

fn commands(facts: &Facts, resolver: &Resolver, out: &mut Vec<Sighting>) {
    for c in &facts.commands {
        let to = named_host(resolver, &c.target);
        if to == c.host {
            continue;
        }
        out.push(Sighting {
            time: c.time,
            from: c.host.clone(),
            note: format!(
                "{}: {} {} by {} ({})",
                c.host,
                c.how,
                c.target,
                c.account.as_deref().unwrap_or("?"),
                c.event
            ),
            to,
            account: c.account.clone(),
            method: c.method,
            destination_side: false,
            session: None,
            process: None,
            events: vec![c.event.clone()],
        });
    }
}
