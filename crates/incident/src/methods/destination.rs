//! Hops as the destination logged them: logons, services and tasks changed
//! by a network session, named pipes and admin shares opened, processes the
//! WMI, DCOM and WinRM hosts started, WMI-Activity and WinRM records, and
//! files copied over an admin share and then run.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::{named_host, source_host, Arrival, Arrivals};
use crate::facts::{EventRef, Facts, ShareAccess, TaskChangeKind};
use crate::movement::{Method, Resolver, Sighting, MERGE};
use crate::operational::ActivityKind;
use crate::processes::{file_name, output_file, ProcessRole, ProcessStart};

/// A file copied over an admin share counts as run by the copy when it runs
/// this soon after (seconds).
const COPY_TO_RUN: i64 = 600;

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

fn is_admin_share(share: &str) -> bool {
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
        // The pipes of remote task and service control are remote
        // administration; admin shares are file access until something runs.
        let target = share.target.to_ascii_lowercase();
        let method = if target == "atsvc" {
            Method::ScheduledTask
        } else if target == "svcctl" {
            Method::Service
        } else if is_admin_share(&share.share) {
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

/// Remote reads of the files that remote-execution commands sent their
/// output to, per (host, file name in lower case).
fn output_readers(facts: &Facts) -> HashMap<(&str, String), Vec<&ShareAccess>> {
    let mut readers: HashMap<(&str, String), Vec<&ShareAccess>> = HashMap::new();
    for p in facts
        .processes
        .iter()
        .filter(|p| p.role != ProcessRole::Program)
    {
        if let Some(file) = p.command_line.as_deref().and_then(output_file) {
            readers.insert((&p.host, file.to_ascii_lowercase()), Vec::new());
        }
    }
    if readers.is_empty() {
        return readers;
    }
    for share in &facts.shares {
        let key = (
            share.host.as_str(),
            file_name(&share.target).to_ascii_lowercase(),
        );
        if let Some(list) = readers.get_mut(&key) {
            list.push(share);
        }
    }
    readers
}

/// The source of a process found through the SMB read of its output file
/// within a couple of minutes: the read's logon session, else the read itself.
fn output_reader<'a>(
    p: &ProcessStart,
    readers: &HashMap<(&str, String), Vec<&'a ShareAccess>>,
    arrivals: &Arrivals<'a>,
    resolver: &Resolver,
) -> Option<Arrival<'a>> {
    let file = p.command_line.as_deref().and_then(output_file)?;
    let list = readers.get(&(p.host.as_str(), file.to_ascii_lowercase()))?;
    let read = list
        .iter()
        .filter(|r| (r.time - p.time).num_seconds().abs() <= MERGE)
        .min_by_key(|r| (r.time - p.time).num_milliseconds().abs())?;
    if let Some(a) = arrivals.in_session(&read.host, read.logon_id.as_deref()) {
        return Some(a.clone());
    }
    let from = source_host(resolver, Some(&read.source_ip), None)?;
    (from != read.host).then_some(Arrival {
        time: read.time,
        from,
        account: read.account.as_deref(),
        session: read.logon_id.as_deref(),
        event: &read.event,
    })
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

/// The program a service's ImagePath runs: the quoted path, or the text up
/// to `.exe`, or up to the first space.
fn executable(image_path: &str) -> &str {
    let s = image_path.trim();
    if let Some(quoted) = s.strip_prefix('"') {
        return quoted.split('"').next().unwrap_or(quoted);
    }
    let lower_end = s
        .as_bytes()
        .windows(4)
        .position(|w| w.eq_ignore_ascii_case(b".exe"))
        .map(|i| i + 4);
    match lower_end {
        Some(end) => &s[..end],
        None => s.split(' ').next().unwrap_or(s),
    }
}

/// Files written to an admin share (5145 with WriteData) and run on that
/// host within minutes: by a process start or as a service's program.
fn copies(facts: &Facts, resolver: &Resolver, out: &mut Vec<Sighting>) {
    let mut written: HashMap<(&str, String), Vec<&ShareAccess>> = HashMap::new();
    for w in facts
        .shares
        .iter()
        .filter(|s| s.write && is_admin_share(&s.share) && !s.target.is_empty())
    {
        let name = file_name(&w.target).to_ascii_lowercase();
        written.entry((&w.host, name)).or_default().push(w);
    }
    if written.is_empty() {
        return;
    }
    for list in written.values_mut() {
        list.sort_by_key(|w| w.time);
    }
    let runs = facts
        .processes
        .iter()
        .map(|p| (&p.host, p.image.as_str(), p.time, &p.event, "started"))
        .chain(facts.services.iter().map(|s| {
            (
                &s.host,
                executable(&s.image),
                s.time,
                &s.event,
                "installed as a service",
            )
        }));
    for (host, image, time, event, how) in runs {
        let name = file_name(image).to_ascii_lowercase();
        let Some(list) = written.get(&(host.as_str(), name)) else {
            continue;
        };
        let image_lower = image.to_ascii_lowercase();
        let end = list.partition_point(|w| w.time <= time);
        let write = list[..end].iter().rev().find(|w| {
            let target = w.target.to_ascii_lowercase();
            time - w.time <= Duration::seconds(COPY_TO_RUN)
                && (image_lower.ends_with(&format!("\\{target}")) || !image_lower.contains('\\'))
        });
        let Some(w) = write else {
            continue;
        };
        let Some(from) = source_host(resolver, Some(&w.source_ip), None) else {
            continue;
        };
        if from == *host {
            continue;
        }
        out.push(Sighting {
            time: w.time,
            note: format!(
                "{host}: {} written to {} from {} by {}, then {how} at {} ({image})",
                w.target,
                w.share,
                w.source_ip,
                w.account.as_deref().unwrap_or("?"),
                time.format("%H:%M:%S")
            ),
            from,
            to: host.clone(),
            account: w.account.clone(),
            method: Method::SmbCopy,
            destination_side: true,
            session: w.logon_id.clone(),
            process: None,
            events: vec![w.event.clone(), event.clone()],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::executable;

    #[test]
    fn a_service_image_path_names_its_program() {
        assert_eq!(
            executable("%SystemRoot%\\PSEXESVC.exe"),
            "%SystemRoot%\\PSEXESVC.exe"
        );
        assert_eq!(
            executable("\"C:\\Windows\\x y.exe\" -k run"),
            "C:\\Windows\\x y.exe"
        );
        assert_eq!(
            executable("C:\\Windows\\abc.EXE /svc"),
            "C:\\Windows\\abc.EXE"
        );
        assert_eq!(executable("%COMSPEC% /Q /c echo"), "%COMSPEC%");
    }
}
