//! Files moved over admin shares: a program copied to `C$`/`ADMIN$` and
//! then run (smb_copy), and a remote command's output file read back over
//! SMB, which names the caller when the command's own session does not.

use std::collections::HashMap;

use chrono::Duration;

use super::destination::is_admin_share;
use super::{source_host, Arrival, Arrivals};
use crate::facts::{Facts, ShareAccess};
use crate::movement::{Method, Resolver, Sighting, MERGE};
use crate::processes::{file_name, output_file, ProcessRole, ProcessStart};

/// A file copied over an admin share counts as run by the copy when it runs
/// this soon after (seconds).
const COPY_TO_RUN: i64 = 600;

/// Remote reads of the files that remote-execution commands sent their
/// output to, per (host, file name in lower case).
pub(super) fn output_readers(facts: &Facts) -> HashMap<(&str, String), Vec<&ShareAccess>> {
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
pub(super) fn output_reader<'a>(
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
pub(super) fn copies(facts: &Facts, resolver: &Resolver, out: &mut Vec<Sighting>) {
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
