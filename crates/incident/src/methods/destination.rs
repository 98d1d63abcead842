//! Hops as the destination logged them: logons, services and tasks changed
//! by a network session, named pipes and admin shares opened, processes the
//! WMI, DCOM and WinRM hosts started, WMI-Activity and WinRM records, and
//! (through `files`) programs copied over an admin share and then run.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::files::{copies, output_reader, output_readers};
use super::{named_host, source_host, Arrival, Arrivals};
use crate::facts::{EventRef, Facts, TaskChangeKind};
use crate::movement::{Method, Resolver, Sighting, MERGE};
use crate::operational::ActivityKind;
use crate::processes::ProcessRole;

/// Every hop the destinations' events show.
pub(crate) fn destination(facts: &Facts, resolver: &Resolver, out: &mut Vec<Sighting>) {
    let arrivals = Arrivals::new(facts, resolver);
    logons(facts, resolver, out);
    reconnects(facts, resolver, out);
    services(facts, &arrivals, out);
    tasks(facts, &arrivals, out);
    shares(facts, resolver, out);
    processes(facts, &arrivals, resolver, out);
    activity(facts, &arrivals, resolver, out);
    copies(facts, resolver, out);
}

/// A sighting on `to` whose source is the network logon `arrival`.
fn arrived(
    arrival: &Arrival,
    to: &str,
    time: DateTime<Utc>,
    method: Method,
    note: String,
    event: &EventRef,
) -> Sighting {
    Sighting {
        time,
        from: arrival.from.clone(),
        to: to.to_string(),
        account: arrival.account.map(str::to_string),
        method,
        destination_side: true,
        session: arrival.session.map(str::to_string),
        process: None,
        note,
        events: vec![arrival.event.clone(), event.clone()],
    }
}

fn logons(facts: &Facts, resolver: &Resolver, out: &mut Vec<Sighting>) {
    for logon in &facts.logons {
        let method = match logon.logon_type {
            10 => Method::Rdp,
            3 => Method::NetworkLogon,
            _ => continue,
        };
        let Some(from) = source_host(
            resolver,
            logon.source_ip.as_ref(),
            logon.source_workstation.as_ref(),
        ) else {
            continue;
        };
        if from == logon.host {
            continue;
        }
        out.push(Sighting {
            time: logon.time,
            note: format!(
                "{}: 4624 logon type {} of {} from {}",
                logon.host,
                logon.logon_type,
                logon.account,
                logon
                    .source_ip
                    .as_deref()
                    .or(logon.source_workstation.as_deref())
                    .unwrap_or(&from)
            ),
            from,
            to: logon.host.clone(),
            account: Some(logon.account.clone()),
            method,
            destination_side: true,
            session: logon.logon_id.clone(),
            process: None,
            events: vec![logon.event.clone()],
        });
    }
}

/// A session reconnected from an RDP client: the client's host reached this
/// one by RDP, into that account's desktop (a hijack when it was not theirs).
fn reconnects(facts: &Facts, resolver: &Resolver, out: &mut Vec<Sighting>) {
    for r in &facts.reconnects {
        let Some(from) = source_host(resolver, r.client_ip.as_ref(), r.client_name.as_ref()) else {
            continue;
        };
        if from == r.host {
            continue;
        }
        out.push(Sighting {
            time: r.time,
            note: format!(
                "{}: 4778 desktop session of {} reconnected from RDP client {}",
                r.host,
                r.account,
                r.client_name
                    .as_deref()
                    .or(r.client_ip.as_deref())
                    .unwrap_or(&from)
            ),
            from,
            to: r.host.clone(),
            account: Some(r.account.clone()),
            method: Method::Rdp,
            destination_side: true,
            session: r.logon_id.clone(),
            process: None,
            events: vec![r.event.clone()],
        });
    }
}

fn services(facts: &Facts, arrivals: &Arrivals, out: &mut Vec<Sighting>) {
    for service in &facts.services {
        let arrival = arrivals
            .in_session(&service.host, service.logon_id.as_deref())
            .or_else(|| arrivals.just_before(&service.host, service.time, None));
        if let Some(a) = arrival {
            let note = format!(
                "{}: service {} ({}) installed in a network logon of {} from {}",
                service.host,
                service.service,
                service.image,
                a.account.unwrap_or("?"),
                a.from
            );
            out.push(arrived(
                a,
                &service.host,
                service.time,
                Method::Service,
                note,
                &service.event,
            ));
        }
    }
}

/// Tasks created or updated in (or right after) a network logon; a task
/// action started right after such a change joins the hop.
fn tasks(facts: &Facts, arrivals: &Arrivals, out: &mut Vec<Sighting>) {
    let mut remote: HashMap<(&str, String), (DateTime<Utc>, Arrival)> = HashMap::new();
    for task in facts
        .tasks
        .iter()
        .filter(|t| t.kind != TaskChangeKind::Started)
    {
        let arrival = arrivals
            .in_session(&task.host, task.logon_id.as_deref())
            .or_else(|| arrivals.just_before(&task.host, task.time, task.account.as_deref()));
        let Some(a) = arrival else {
            continue;
        };
        let what = if task.kind == TaskChangeKind::Created {
            "created"
        } else {
            "updated"
        };
        let note = format!(
            "{}: scheduled task {} {what} in a network logon of {} from {}",
            task.host,
            task.task,
            a.account.unwrap_or("?"),
            a.from
        );
        out.push(arrived(
            a,
            &task.host,
            task.time,
            Method::ScheduledTask,
            note,
            &task.event,
        ));
        remote.insert(
            (&task.host, task.task.to_ascii_lowercase()),
            (task.time, a.clone()),
        );
    }
    for task in facts
        .tasks
        .iter()
        .filter(|t| t.kind == TaskChangeKind::Started)
    {
        let key = (task.host.as_str(), task.task.to_ascii_lowercase());
        let Some((changed, a)) = remote.get(&key) else {
            continue;
        };
        if task.time < *changed || task.time - *changed > Duration::seconds(MERGE) {
            continue;
        }
        let note = format!(
            "{}: scheduled task {} started right after {} changed it from {}",
            task.host,
            task.task,
            a.account.unwrap_or("?"),
            a.from
        );
        out.push(arrived(
            a,
            &task.host,
            task.time,
            Method::ScheduledTask,
            note,
            &task.event,
        ));
    }
}

pub(super) fn is_admin_share(share: &str) -> bool {
    let share = share.to_ascii_uppercase();
    share.ends_with("\\ADMIN$") || share.ends_with("\\C$")
}

fn shares(facts: &Facts, resolver: &Resolver, out: &mut Vec<Sighting>) {
    for share in &facts.shares {
        let Some(from) = source_host(resolver, Some(&share.source_ip), None) else {
            continue;
        };
        if from == share.host {
            continue;
        }
        // The task scheduler's pipe is remote task creation (at, atexec).
        // The service control pipe alone is not execution: admin-rights
        // checks (OpenSCManager) open it on every host they probe; the
        // service installed after it names the hop. Admin shares and that
        // pipe are file and control access until something runs.
        let target = share.target.to_ascii_lowercase();
        let method = if target == "atsvc" {
            Method::ScheduledTask
        } else if target == "svcctl" || is_admin_share(&share.share) {
            Method::Smb
        } else {
            Method::NetworkLogon
        };
        out.push(Sighting {
            time: share.time,
            note: format!(
                "{}: share {} {} {} from {} by {}",
                share.host,
                share.share,
                share.target,
                if share.write { "written" } else { "opened" },
                share.source_ip,
                share.account.as_deref().unwrap_or("?")
            ),
            from,
            to: share.host.clone(),
            account: share.account.clone(),
            method,
            destination_side: true,
            session: share.logon_id.clone(),
            process: None,
            events: vec![share.event.clone()],
        });
    }
}

/// Children of the WMI, DCOM and WinRM hosts in a network logon session.
fn processes(facts: &Facts, arrivals: &Arrivals, resolver: &Resolver, out: &mut Vec<Sighting>) {
    let readers = output_readers(facts);
    for p in &facts.processes {
        let (method, what) = match p.role {
            ProcessRole::WmiChild => (Method::Wmi, "started by WmiPrvSE.exe"),
            ProcessRole::DcomServer => (Method::Dcom, "COM server started for a caller"),
            ProcessRole::DcomChild => (Method::Dcom, "started by a COM server"),
            ProcessRole::ShellChild => (Method::Dcom, "started by explorer.exe (ShellWindows)"),
            ProcessRole::WinrmHost => (Method::Winrm, "WinRM plug-in host or its child"),
            ProcessRole::Program => continue,
        };
        let in_session = arrivals.in_session(&p.host, p.sessions.iter().map(String::as_str));
        // Without the session's logon, the last network logon of the
        // process's own account (never a built-in one) just before it; a
        // shell child needs its session, users start programs from explorer.
        // A session recorded as another kind of logon (a desktop) is no hop.
        let sessions = p.sessions.iter().map(String::as_str);
        let elsewhere = in_session.is_none() && arrivals.is_known(&p.host, sessions);
        let arrival = in_session
            .or_else(|| {
                if elsewhere {
                    return None;
                }
                let person = p
                    .account
                    .as_deref()
                    .filter(|a| !crate::names::is_builtin(a) && !crate::names::is_machine(a))?;
                (p.role != ProcessRole::ShellChild)
                    .then(|| arrivals.just_before(&p.host, p.time, Some(person)))
                    .flatten()
            })
            .cloned()
            // Or whoever read the command's output over SMB from elsewhere.
            .or_else(|| output_reader(p, &readers, arrivals, resolver));
        let Some(a) = arrival else {
            continue;
        };
        let note = format!(
            "{}: {} {what} ({}) in a network logon of {} from {}",
            p.host,
            p.command_line.as_deref().unwrap_or(&p.image),
            if p.event.event_id == Some(1) {
                "Sysmon 1"
            } else {
                "4688"
            },
            a.account.unwrap_or("?"),
            a.from
        );
        out.push(arrived(&a, &p.host, p.time, method, note, &p.event));
    }
}

/// What the WMI-Activity and WinRM logs of a host say about its clients.
fn activity(facts: &Facts, arrivals: &Arrivals, resolver: &Resolver, out: &mut Vec<Sighting>) {
    for r in &facts.activity {
        match (r.kind, &r.client) {
            (ActivityKind::WmiClient, Some(client)) => {
                let from = named_host(resolver, client);
                if from == r.host {
                    continue;
                }
                out.push(Sighting {
                    time: r.time,
                    note: format!(
                        "{}: WMI operation of client {client} ({}) by {}",
                        r.host,
                        r.detail,
                        r.account.as_deref().unwrap_or("?")
                    ),
                    from,
                    to: r.host.clone(),
                    account: r.account.clone(),
                    method: Method::Wmi,
                    destination_side: true,
                    session: None,
                    process: None,
                    events: vec![r.event.clone()],
                });
            }
            (ActivityKind::WmiConsumer | ActivityKind::WinrmShell, _) => {
                let Some(a) = arrivals.just_before(&r.host, r.time, None) else {
                    continue;
                };
                let (method, what) = if r.kind == ActivityKind::WinrmShell {
                    (Method::Winrm, "WinRM shell created (91)")
                } else {
                    (
                        Method::Wmi,
                        "permanent WMI event consumer bound (5861, persistence)",
                    )
                };
                let note = format!(
                    "{}: {what} {} in a network logon of {} from {}",
                    r.host,
                    r.detail,
                    a.account.unwrap_or("?"),
                    a.from
                );
                out.push(arrived(a, &r.host, r.time, method, note, &r.event));
            }
            _ => {}
        }
    }
}
