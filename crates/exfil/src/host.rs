//! What the hosts' own logs add to the network's view: which process made a
//! connection (Sysmon 3, Windows Filtering Platform 5156), which archive tools
//! ran and which archives were written (Sysmon 1 and 11, Security 4688), and
//! which address each host had.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::Serialize;
use vigil_event::{Event, FieldValue};
use vigil_incident::names;

/// An outbound connection as the host logged it, with its process.
#[derive(Debug, Clone, Serialize)]
pub struct HostConnection {
    pub time: DateTime<Utc>,
    pub host: String,
    pub image: String,
    pub user: Option<String>,
    pub src: Option<IpAddr>,
    pub dst: IpAddr,
    pub dst_port: Option<u16>,
    /// The destination's name as the host resolved it, when logged.
    pub dst_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StagingKind {
    /// An archive tool started.
    ArchiveTool,
    /// An archive (or a volume of one) written.
    ArchiveWritten,
}

/// A sign of data being packed up on a host.
#[derive(Debug, Clone, Serialize)]
pub struct Staging {
    pub time: DateTime<Utc>,
    pub host: String,
    pub kind: StagingKind,
    pub image: String,
    /// The command line of a tool, the path of an archive.
    pub detail: String,
    pub user: Option<String>,
    /// Where the event was read (file and record).
    pub source: String,
}

/// Host evidence gathered from Windows events; one per input file, merged.
#[derive(Debug, Default)]
pub struct HostEvidence {
    pub connections: Vec<HostConnection>,
    pub staging: Vec<Staging>,
    /// Address → the hosts that used it as their own.
    pub addresses: BTreeMap<IpAddr, BTreeSet<String>>,
    /// Hosts that log their connections (Sysmon 3 or 5156).
    pub connection_logging: BTreeSet<String>,
    /// Every host seen in the events.
    pub hosts: BTreeSet<String>,
    /// Address → names the hosts resolved it from (Sysmon 22).
    pub resolved: BTreeMap<IpAddr, BTreeSet<String>>,
}

const ARCHIVE_TOOLS: &[&str] = &[
    "7z.exe",
    "7za.exe",
    "7zr.exe",
    "7zg.exe",
    "rar.exe",
    "winrar.exe",
    "zip.exe",
    "tar.exe",
    "makecab.exe",
    "wzzip.exe",
    "pkzipc.exe",
    "bandizip.exe",
];

const ARCHIVE_EXTENSIONS: &[&str] = &["7z", "zip", "rar", "tar", "tgz", "gz", "bz2", "xz", "cab"];

fn text<'a>(event: &'a Event, name: &str) -> Option<&'a str> {
    event
        .get(name)
        .and_then(FieldValue::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "-")
}

fn base_name(path: &str) -> String {
    path.rsplit(['\\', '/'])
        .next()
        .unwrap_or(path)
        .trim_matches('"')
        .to_ascii_lowercase()
}

/// Whether a process is an archiver, by its file name, its original name or
/// a PowerShell `Compress-Archive`.
pub fn is_archive_tool(image: &str, original: Option<&str>, command_line: Option<&str>) -> bool {
    let name = base_name(image);
    ARCHIVE_TOOLS.contains(&name.as_str())
        || original.is_some_and(|o| ARCHIVE_TOOLS.contains(&o.to_ascii_lowercase().as_str()))
        || command_line.is_some_and(|c| c.to_ascii_lowercase().contains("compress-archive"))
}

/// Whether a path names an archive or a volume of one (`x.7z.001`,
/// `x.part02.rar`, `x.zip`).
pub fn is_archive_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    if lower.contains("\\windows\\softwaredistribution\\")
        || lower.contains("\\windows\\winsxs\\")
        || lower.contains("\\windows\\servicing\\")
    {
        return false;
    }
    let name = base_name(&lower);
    let mut parts = name.rsplit('.');
    let last = parts.next().unwrap_or("");
    if ARCHIVE_EXTENSIONS.contains(&last) {
        return name.contains('.');
    }
    // Numbered volumes: `.001`, after an archive extension.
    if last.len() == 3 && last.bytes().all(|b| b.is_ascii_digit()) {
        return parts
            .next()
            .is_some_and(|e| ARCHIVE_EXTENSIONS.contains(&e));
    }
    false
}

impl HostEvidence {
    pub fn new() -> HostEvidence {
        HostEvidence::default()
    }

    pub fn merge(&mut self, other: HostEvidence) {
        self.connections.extend(other.connections);
        self.staging.extend(other.staging);
        for (ip, hosts) in other.addresses {
            self.addresses.entry(ip).or_default().extend(hosts);
        }
        for (ip, hosts) in other.resolved {
            self.resolved.entry(ip).or_default().extend(hosts);
        }
        self.connection_logging.extend(other.connection_logging);
        self.hosts.extend(other.hosts);
    }

    /// Takes what matters from one event.
    pub fn observe(&mut self, event: &Event) {
        let (Some(host), Some(time), Some(id)) = (
            event.computer().and_then(names::host_name),
            event.timestamp,
            event.event_id(),
        ) else {
            return;
        };
        if !self.hosts.contains(&host) {
            self.hosts.insert(host.clone());
        }
        let sysmon = event
            .channel()
            .is_some_and(|c| c.to_ascii_lowercase().contains("sysmon"));
        let source = format!("{} {}", event.source, event.position);
        match (sysmon, id) {
            (true, 1) | (false, 4688) => {
                let image = text(event, "Image").or_else(|| text(event, "NewProcessName"));
                let command_line = text(event, "CommandLine");
                if let Some(image) = image {
                    if is_archive_tool(image, text(event, "OriginalFileName"), command_line) {
                        self.staging.push(Staging {
                            time,
                            host,
                            kind: StagingKind::ArchiveTool,
                            image: image.to_string(),
                            detail: command_line.unwrap_or(image).to_string(),
                            user: text(event, "User")
                                .or_else(|| text(event, "SubjectUserName"))
                                .map(String::from),
                            source,
                        });
                    }
                }
            }
            (true, 11) => {
                if let Some(path) = text(event, "TargetFilename").filter(|p| is_archive_path(p)) {
                    self.staging.push(Staging {
                        time,
                        host,
                        kind: StagingKind::ArchiveWritten,
                        image: text(event, "Image").unwrap_or("").to_string(),
                        detail: path.to_string(),
                        user: text(event, "User").map(String::from),
                        source,
                    });
                }
            }
            (true, 3) => {
                self.connection_logging.insert(host.clone());
                let initiated =
                    text(event, "Initiated").is_none_or(|i| i.eq_ignore_ascii_case("true"));
                let src = text(event, "SourceIp").and_then(address);
                let dst = text(event, "DestinationIp").and_then(address);
                if let Some(src) = src {
                    if initiated {
                        self.addresses.entry(src).or_default().insert(host.clone());
                    }
                }
                if let (true, Some(dst)) = (initiated, dst) {
                    self.connections.push(HostConnection {
                        time,
                        host,
                        image: text(event, "Image").unwrap_or("").to_string(),
                        user: text(event, "User").map(String::from),
                        src,
                        dst,
                        dst_port: port(event, "DestinationPort"),
                        dst_name: text(event, "DestinationHostname").map(String::from),
                    });
                }
            }
            (false, 5156) => {
                self.connection_logging.insert(host.clone());
                let outbound = text(event, "Direction")
                    .is_some_and(|d| d == "%%14593" || d.eq_ignore_ascii_case("outbound"));
                let src = text(event, "SourceAddress").and_then(address);
                let dst = text(event, "DestAddress").and_then(address);
                if let (true, Some(dst)) = (outbound, dst) {
                    if let Some(src) = src {
                        self.addresses.entry(src).or_default().insert(host.clone());
                    }
                    self.connections.push(HostConnection {
                        time,
                        host,
                        image: text(event, "Application").unwrap_or("").to_string(),
                        user: None,
                        src,
                        dst,
                        dst_port: port(event, "DestPort"),
                        dst_name: None,
                    });
                }
            }
            (true, 22) => {
                if let (Some(name), Some(results)) =
                    (text(event, "QueryName"), text(event, "QueryResults"))
                {
                    for answer in results.split(';').filter_map(address) {
                        self.resolved
                            .entry(answer)
                            .or_default()
                            .insert(name.to_ascii_lowercase());
                    }
                }
            }
            _ => {}
        }
    }
}

/// An address a host logged, without the placeholders for none.
fn address(raw: &str) -> Option<IpAddr> {
    crate::read::parse_address(raw).filter(|ip| !ip.is_unspecified() && !ip.is_loopback())
}

fn port(event: &Event, name: &str) -> Option<u16> {
    match event.get(name)? {
        FieldValue::Int(n) => u16::try_from(*n).ok(),
        other => other.as_str()?.trim().parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_and_their_volumes() {
        for yes in [
            "C:\\ProgramData\\Intel\\p.7z.001",
            "C:\\ProgramData\\Intel\\p.part02.rar",
            "D:\\out\\patients.zip",
            "/tmp/x.tar.gz",
        ] {
            assert!(is_archive_path(yes), "{yes}");
        }
        for no in [
            "E:\\Repository\\FS-01\\blocks\\a.svblk",
            "C:\\Windows\\SoftwareDistribution\\Download\\x.cab",
            "C:\\logs\\app.001",
            "zip",
        ] {
            assert!(!is_archive_path(no), "{no}");
        }
        assert!(is_archive_tool(
            "C:\\ProgramData\\Intel\\7za.exe",
            None,
            None
        ));
        assert!(is_archive_tool(
            "C:\\x\\renamed.exe",
            Some("WinRAR.exe"),
            None
        ));
        assert!(is_archive_tool(
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            None,
            Some("powershell Compress-Archive -Path D:\\Patients -DestinationPath x.zip")
        ));
        assert!(!is_archive_tool("C:\\Windows\\explorer.exe", None, None));
    }
}
