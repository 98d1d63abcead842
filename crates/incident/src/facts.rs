//! What incident building needs from the events: each detection with the
//! entities of the event that raised it, and from every event the logons,
//! remote service and task changes, share writes, explicit-credential uses,
//! admin-port connections, process starts, remote commands and operational
//! log records that show how accounts moved between hosts.
//!
//! A [`Facts`] is filled per input file (one pass, constant work per event)
//! and merged; nothing here looks at more than one event at a time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use vigil_event::{Detection, Event, FieldValue};

use crate::account_flags::{self, AccountWeakened};
use crate::accounts::{self, AccountChangeEvent};
use crate::attacks::{self, ExplicitAttempt, LogonFailure, TicketIssued};
use crate::commands::{self, RemoteCommand};
use crate::controllers::Controllers;
use crate::incident::CredentialAttack;
use crate::names;
use crate::operational::{self, RemoteActivity};
use crate::processes::{self, ProcessStart};

/// A detection and the entities of its event.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub detection: Detection,
    pub host: String,
    pub time: DateTime<Utc>,
    /// People and service accounts the event names (not SYSTEM and the like).
    pub accounts: Vec<String>,
    pub logon_id: Option<String>,
    pub process_guid: Option<String>,
    pub parent_guid: Option<String>,
    pub hashes: Vec<String>,
    /// Addresses outside the estate the event names (C2, drop sites).
    pub external_ips: Vec<String>,
}

/// Where a fact was read: the file and the record (or line) in it, so a
/// finding can point at the events that prove it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRef {
    pub source: String,
    /// The record's EventRecordID, when the event has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    /// The line of a line-oriented file, when the event has no record id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<i64>,
}

impl EventRef {
    pub fn of(event: &Event) -> EventRef {
        let record = event.record_id();
        let line = match event.position {
            vigil_event::Position::Line(n) if record.is_none() => Some(n),
            _ => None,
        };
        EventRef {
            source: event.source.to_string(),
            record,
            line,
            event_id: event.event_id(),
        }
    }
}

impl std::fmt::Display for EventRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)?;
        if let Some(id) = self.event_id {
            write!(f, " event {id}")?;
        }
        match (self.record, self.line) {
            (Some(r), _) => write!(f, " record {r}"),
            (None, Some(l)) => write!(f, " line {l}"),
            (None, None) => Ok(()),
        }
    }
}

/// When the events of one input file begin and end.
#[derive(Debug, Clone)]
pub struct FileSpan {
    pub source: std::sync::Arc<str>,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

/// A successful logon (4624).
#[derive(Debug, Clone, Serialize)]
pub struct Logon {
    pub time: DateTime<Utc>,
    pub host: String,
    pub account: String,
    pub logon_type: i64,
    pub logon_id: Option<String>,
    pub source_ip: Option<String>,
    pub source_workstation: Option<String>,
    pub event: EventRef,
}

/// A desktop session reconnected (4778): from a new RDP client, which is
/// how a hijacked session (`tscon`) shows whose screen the attacker took.
#[derive(Debug, Clone, Serialize)]
pub struct Reconnect {
    pub time: DateTime<Utc>,
    pub host: String,
    pub account: String,
    pub logon_id: Option<String>,
    pub client_ip: Option<String>,
    pub client_name: Option<String>,
    pub event: EventRef,
}

/// A service installed (7045, 4697).
#[derive(Debug, Clone, Serialize)]
pub struct ServiceInstall {
    pub time: DateTime<Utc>,
    pub host: String,
    pub service: String,
    pub image: String,
    /// The account the service runs as, when it is not a built-in identity.
    pub run_as: Option<String>,
    /// The session that installed it (4697 names it, 7045 does not).
    pub logon_id: Option<String>,
    pub event: EventRef,
}

/// What happened to a scheduled task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskChangeKind {
    /// Created (4698) or registered (TaskScheduler 106).
    Created,
    /// Updated (4702, TaskScheduler 140): an existing task made to run something else.
    Updated,
    /// Its action started (TaskScheduler 200).
    Started,
}

/// A scheduled task created, updated or started.
#[derive(Debug, Clone, Serialize)]
pub struct TaskChange {
    pub time: DateTime<Utc>,
    pub host: String,
    pub task: String,
    pub kind: TaskChangeKind,
    pub account: Option<String>,
    pub logon_id: Option<String>,
    pub event: EventRef,
}

/// A network share or named pipe opened from another machine (5140, 5145).
#[derive(Debug, Clone, Serialize)]
pub struct ShareAccess {
    pub time: DateTime<Utc>,
    pub host: String,
    pub account: Option<String>,
    pub logon_id: Option<String>,
    pub source_ip: String,
    pub share: String,
    /// The file or pipe under the share (`atsvc`, `svcctl`, `Temp\x.tmp`).
    pub target: String,
    /// The access asked for includes writing data (WriteData, 0x2 / `%%4417`).
    pub write: bool,
    pub event: EventRef,
}

/// Credentials given explicitly for another server (4648).
#[derive(Debug, Clone, Serialize)]
pub struct ExplicitLogon {
    pub time: DateTime<Utc>,
    pub host: String,
    pub subject: Option<String>,
    pub account: String,
    pub server: Option<String>,
    pub event: EventRef,
}

/// An outgoing connection to a remote-administration port (Sysmon 3).
#[derive(Debug, Clone, Serialize)]
pub struct AdminConnection {
    pub time: DateTime<Utc>,
    pub host: String,
    pub process_guid: Option<String>,
    pub image: Option<String>,
    pub user: Option<String>,
    pub destination_ip: Option<String>,
    pub destination_host: Option<String>,
    pub port: i64,
    pub event: EventRef,
}

/// Ports that carry remote administration: RPC's endpoint mapper (WMI,
/// DCOM), SMB, RDP, WinRM.
pub const ADMIN_PORTS: &[i64] = &[135, 445, 3389, 5985, 5986];

/// The first of the dynamic ports RPC gives a WMI or DCOM call after the
/// endpoint mapper answered.
pub const DYNAMIC_PORTS: i64 = 49152;

/// Directory replication rights: a 4662 naming them from a non-DC account is DCSync.
const REPLICATION_GUIDS: &[&str] = &[
    "1131f6aa-9c07-11d1-f79f-00c04fc2dcd2",
    "1131f6ad-9c07-11d1-f79f-00c04fc2dcd2",
    "89e95b76-444d-4c62-991a-0facbeda640c",
];

/// Directory replication (4662 with the replication rights) requested by a
/// user account: DCSync.
#[derive(Debug, Clone, Serialize)]
pub struct Replication {
    pub time: DateTime<Utc>,
    /// The domain controller that logged it.
    pub host: String,
    pub account: String,
    pub logon_id: Option<String>,
    pub event: EventRef,
}

/// Everything gathered from a set of events.
#[derive(Debug, Default)]
pub struct Facts {
    pub evidence: Vec<Evidence>,
    pub logons: Vec<Logon>,
    /// Desktop sessions reconnected from an RDP client (4778).
    pub reconnects: Vec<Reconnect>,
    pub services: Vec<ServiceInstall>,
    pub explicit: Vec<ExplicitLogon>,
    pub connections: Vec<AdminConnection>,
    pub tasks: Vec<TaskChange>,
    pub shares: Vec<ShareAccess>,
    /// Process starts of the WMI, DCOM and WinRM hosts and programs outside
    /// the system folders.
    pub processes: Vec<ProcessStart>,
    /// Commands on a source naming the host they act on.
    pub commands: Vec<RemoteCommand>,
    /// WMI-Activity and WinRM operational records of remote use.
    pub activity: Vec<RemoteActivity>,
    /// `(host, logon id)` of sessions that got special privileges (4672).
    pub privileged_sessions: Vec<(String, String)>,
    /// DCSync seen: directory replication requested by a user account.
    pub dcsync: Vec<Replication>,
    /// Accounts created, enabled, reset, added to groups.
    pub account_changes: Vec<AccountChangeEvent>,
    /// Accounts whose settings were weakened (4738).
    pub accounts_weakened: Vec<AccountWeakened>,
    /// Failed authentications (4625, 4771, 4776, refused 4768).
    pub failures: Vec<LogonFailure>,
    /// Kerberos tickets issued (4768, 4769).
    pub tickets: Vec<TicketIssued>,
    /// Explicit credentials of other accounts given by a person (4648).
    pub explicit_attempts: Vec<ExplicitAttempt>,
    /// Hosts whose own events show they are domain controllers.
    pub controllers: Controllers,
    /// Filled when incidents are built: the attacks `failures` and `tickets` show.
    pub credential_attacks: Vec<CredentialAttack>,
    /// Address → host names that used it, from the hosts' own events.
    pub addresses: BTreeMap<String, Vec<String>>,
    pub events: u64,
    /// The first and last event time of each input file, for the evidence
    /// manifest (a file may appear more than once after merging).
    pub spans: Vec<FileSpan>,
}

pub(crate) fn text<'a>(event: &'a Event, name: &str) -> Option<&'a str> {
    event.get(name).and_then(FieldValue::as_str).map(str::trim)
}

/// The acting account of a Security event (`SubjectDomainName\SubjectUserName`).
fn subject(event: &Event) -> Option<String> {
    text(event, "SubjectUserName").and_then(|n| names::account(text(event, "SubjectDomainName"), n))
}

fn int(event: &Event, name: &str) -> Option<i64> {
    event.get(name).and_then(FieldValue::as_i64)
}

fn channel_has(event: &Event, name: &str) -> bool {
    event.channel().is_some_and(|c| c.contains(name))
}

/// Whether a share access (5145) asked to write data: WriteData/AddFile
/// (0x2) in the mask, or `%%4417` in the list of accesses.
fn writes_data(event: &Event) -> bool {
    let mask = text(event, "AccessMask")
        .and_then(|m| i64::from_str_radix(m.trim_start_matches("0x"), 16).ok())
        .or_else(|| int(event, "AccessMask"));
    mask.is_some_and(|m| m & 0x2 != 0)
        || text(event, "AccessList").is_some_and(|l| l.contains("%%4417"))
}

impl Facts {
    pub fn new() -> Facts {
        Facts::default()
    }

    /// Takes what matters from one event and the detections it raised.
    pub fn observe(&mut self, event: &Event, detections: &[Detection]) {
        self.events += 1;
        let host = event.computer().and_then(names::host_name);
        let time = event.timestamp.filter(names::is_plausible_time);
        if let Some(time) = time {
            self.span(&event.source, time);
        }
        if !detections.is_empty() {
            if let (Some(host), Some(time)) = (&host, time) {
                let evidence = evidence_of(event, host, time);
                for detection in detections {
                    let mut e = evidence.clone();
                    e.detection = detection.clone();
                    self.evidence.push(e);
                }
            }
        }
        let (Some(host), Some(time), Some(id)) = (host, time, event.event_id()) else {
            return;
        };
        self.controllers.observe(event, &host, id);
        if id == 4648 {
            self.explicit_attempts
                .extend(attacks::read_explicit(event, &host, time));
        }
        match id {
            4720 | 4722 | 4723 | 4724 | 4728 | 4732 | 4756 => {
                self.account_changes
                    .extend(accounts::read(event, id, &host, time));
            }
            4738 => self
                .accounts_weakened
                .extend(account_flags::read(event, &host, time)),
            4625 | 4771 | 4776 => self
                .failures
                .extend(attacks::read_failure(event, id, &host, time)),
            4768 | 4769 => {
                self.failures
                    .extend(attacks::read_failure(event, id, &host, time));
                self.tickets
                    .extend(attacks::read_ticket(event, id, &host, time));
            }
            4624 => self.logon(event, host, time),
            4778 => self.reconnect(event, host, time),
            4672 => {
                if let Some(session) = text(event, "SubjectLogonId") {
                    self.privileged_sessions
                        .push((host, session.to_ascii_lowercase()));
                }
            }
            4648 => {
                let account = text(event, "TargetUserName")
                    .and_then(|n| names::account(text(event, "TargetDomainName"), n));
                if let Some(account) = account {
                    let subject = text(event, "SubjectUserName")
                        .and_then(|n| names::account(text(event, "SubjectDomainName"), n));
                    let server = text(event, "TargetServerName")
                        .filter(|s| !s.eq_ignore_ascii_case("localhost"))
                        .and_then(names::host_name);
                    self.explicit.push(ExplicitLogon {
                        time,
                        host,
                        subject,
                        account,
                        server,
                        event: EventRef::of(event),
                    });
                }
            }
            7045 | 4697 => {
                let service = text(event, "ServiceName").unwrap_or("").to_string();
                let image = text(event, "ImagePath")
                    .or_else(|| text(event, "ServiceFileName"))
                    .unwrap_or("")
                    .to_string();
                let run_as = text(event, "AccountName")
                    .or_else(|| text(event, "ServiceAccount"))
                    .or_else(|| text(event, "ServiceStartName"))
                    .and_then(|a| names::account(None, a))
                    .filter(|a| !names::is_builtin(a) && !a.eq_ignore_ascii_case("LocalSystem"));
                self.services.push(ServiceInstall {
                    time,
                    host,
                    service,
                    image,
                    run_as,
                    logon_id: text(event, "SubjectLogonId")
                        .filter(|l| !names::is_shared_session(l))
                        .map(str::to_ascii_lowercase),
                    event: EventRef::of(event),
                });
            }
            4698 | 4702 => {
                let kind = if id == 4698 {
                    TaskChangeKind::Created
                } else {
                    TaskChangeKind::Updated
                };
                let account = subject(event);
                let logon_id = text(event, "SubjectLogonId").map(str::to_ascii_lowercase);
                self.task(event, host, time, kind, account, logon_id);
            }
            106 | 140 | 200 if channel_has(event, "TaskScheduler") => {
                let kind = match id {
                    106 => TaskChangeKind::Created,
                    140 => TaskChangeKind::Updated,
                    _ => TaskChangeKind::Started,
                };
                let account = text(event, "UserContext")
                    .or_else(|| text(event, "UserName"))
                    .and_then(|u| names::account(None, u));
                self.task(event, host, time, kind, account, None);
            }
            5140 | 5145 => {
                if let Some(ip) = text(event, "IpAddress").and_then(names::address) {
                    self.shares.push(ShareAccess {
                        time,
                        host,
                        account: subject(event),
                        logon_id: text(event, "SubjectLogonId").map(str::to_ascii_lowercase),
                        source_ip: ip,
                        share: text(event, "ShareName").unwrap_or("").to_string(),
                        target: text(event, "RelativeTargetName").unwrap_or("").to_string(),
                        write: writes_data(event),
                        event: EventRef::of(event),
                    });
                }
            }
            3 if channel_has(event, "Sysmon") => self.connection(event, host, time),
            1 if channel_has(event, "Sysmon") => {
                self.processes
                    .extend(processes::read(event, &host, time, true));
                commands::read(event, &host, time, "CommandLine", &mut self.commands);
            }
            4688 => {
                self.processes
                    .extend(processes::read(event, &host, time, false));
                commands::read(event, &host, time, "CommandLine", &mut self.commands);
            }
            4104 if channel_has(event, "PowerShell") => {
                commands::read(event, &host, time, "ScriptBlockText", &mut self.commands);
            }
            4103 if channel_has(event, "PowerShell") => {
                commands::read(event, &host, time, "Payload", &mut self.commands);
            }
            6 if channel_has(event, "WinRM") => {
                self.commands
                    .extend(commands::winrm_session(event, &host, time));
            }
            91 if channel_has(event, "WinRM") => {
                self.activity
                    .push(operational::winrm_shell(event, &host, time));
            }
            5858 | 5860 | 5861 if channel_has(event, "WMI-Activity") => {
                self.activity
                    .extend(operational::wmi(event, id, &host, time));
            }
            4662 => {
                let properties = text(event, "Properties").unwrap_or("").to_ascii_lowercase();
                if REPLICATION_GUIDS.iter().any(|g| properties.contains(g)) {
                    let account = text(event, "SubjectUserName")
                        .and_then(|n| names::account(text(event, "SubjectDomainName"), n));
                    if let Some(account) = account.filter(|a| !names::is_machine(a)) {
                        self.dcsync.push(Replication {
                            time,
                            host,
                            account,
                            logon_id: text(event, "SubjectLogonId")
                                .map(str::to_ascii_lowercase)
                                .filter(|l| !names::is_shared_session(l)),
                            event: EventRef::of(event),
                        });
                    }
                }
            }
            _ => {}
        }
    }

    fn logon(&mut self, event: &Event, host: String, time: DateTime<Utc>) {
        let Some(account) = text(event, "TargetUserName")
            .and_then(|n| names::account(text(event, "TargetDomainName"), n))
        else {
            return;
        };
        let source_ip = text(event, "IpAddress").and_then(names::address);
        let source_workstation = text(event, "WorkstationName").and_then(names::host_name);
        if let (Some(ip), Some(ws)) = (&source_ip, &source_workstation) {
            if names::is_internal(ip) && ws.parse::<std::net::IpAddr>().is_err() {
                self.learn(ip, ws);
            }
        }
        self.logons.push(Logon {
            time,
            host,
            account,
            logon_type: int(event, "LogonType").unwrap_or(0),
            logon_id: text(event, "TargetLogonId").map(str::to_ascii_lowercase),
            source_ip,
            source_workstation,
            event: EventRef::of(event),
        });
    }

    fn reconnect(&mut self, event: &Event, host: String, time: DateTime<Utc>) {
        let Some(account) = text(event, "AccountName")
            .and_then(|n| names::account(text(event, "AccountDomain"), n))
        else {
            return;
        };
        let client_ip = text(event, "ClientAddress").and_then(names::address);
        let client_name = text(event, "ClientName")
            .filter(|n| !n.eq_ignore_ascii_case("unknown"))
            .and_then(names::host_name);
        if let (Some(ip), Some(name)) = (&client_ip, &client_name) {
            if names::is_internal(ip) && name.parse::<std::net::IpAddr>().is_err() {
                self.learn(ip, name);
            }
        }
        self.reconnects.push(Reconnect {
            time,
            host,
            account,
            logon_id: text(event, "LogonID").map(str::to_ascii_lowercase),
            client_ip,
            client_name,
            event: EventRef::of(event),
        });
    }

    fn task(
        &mut self,
        event: &Event,
        host: String,
        time: DateTime<Utc>,
        kind: TaskChangeKind,
        account: Option<String>,
        logon_id: Option<String>,
    ) {
        self.tasks.push(TaskChange {
            time,
            host,
            task: text(event, "TaskName").unwrap_or("").to_string(),
            kind,
            account,
            logon_id,
            event: EventRef::of(event),
        });
    }

    fn connection(&mut self, event: &Event, host: String, time: DateTime<Utc>) {
        if let Some(own) = text(event, "SourceIp").and_then(names::address) {
            if names::is_internal(&own) && text(event, "Initiated") != Some("false") {
                self.learn(&own, &host);
            }
        }
        let Some(port) = int(event, "DestinationPort") else {
            return;
        };
        // Only calls inside the estate can be RPC to another host's WMI or
        // DCOM; the address is looked at without copying it.
        let rpc_call = port >= DYNAMIC_PORTS
            && text(event, "DestinationIp")
                .map(|ip| ip.strip_prefix("::ffff:").unwrap_or(ip))
                .is_some_and(|ip| names::is_internal(ip) && !ip.starts_with("127.") && ip != "::1");
        if !(ADMIN_PORTS.contains(&port) || rpc_call) || text(event, "Initiated") == Some("false") {
            return;
        }
        self.connections.push(AdminConnection {
            time,
            host,
            process_guid: text(event, "ProcessGuid").map(str::to_ascii_lowercase),
            image: text(event, "Image").map(str::to_string),
            user: text(event, "User").and_then(|u| names::account(None, u)),
            destination_ip: text(event, "DestinationIp").and_then(names::address),
            destination_host: text(event, "DestinationHostname").and_then(names::host_name),
            port,
            event: EventRef::of(event),
        });
    }

    fn learn(&mut self, ip: &str, host: &str) {
        let hosts = self.addresses.entry(ip.to_string()).or_default();
        if !hosts.iter().any(|h| h == host) {
            hosts.push(host.to_string());
        }
    }

    fn span(&mut self, source: &std::sync::Arc<str>, time: DateTime<Utc>) {
        match self.spans.last_mut() {
            // Events of one file come together and share their source's text.
            Some(span)
                if std::sync::Arc::ptr_eq(&span.source, source) || span.source == *source =>
            {
                span.first = span.first.min(time);
                span.last = span.last.max(time);
            }
            _ => self.spans.push(FileSpan {
                source: source.clone(),
                first: time,
                last: time,
            }),
        }
    }

    /// The first and last event time per input file, merged across spans.
    pub fn file_spans(&self) -> BTreeMap<&str, (DateTime<Utc>, DateTime<Utc>)> {
        let mut spans: BTreeMap<&str, (DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
        for s in &self.spans {
            let entry = spans.entry(&s.source).or_insert((s.first, s.last));
            entry.0 = entry.0.min(s.first);
            entry.1 = entry.1.max(s.last);
        }
        spans
    }

    /// Adds a detection that has no single event behind it (a correlation
    /// over many): evidence of its host and time only.
    pub fn add_detection(&mut self, detection: &Detection) {
        let host = detection.computer.as_deref().and_then(names::host_name);
        if let (Some(host), Some(time)) =
            (host, detection.timestamp.filter(names::is_plausible_time))
        {
            self.evidence.push(Evidence {
                detection: detection.clone(),
                host,
                time,
                accounts: Vec::new(),
                logon_id: None,
                process_guid: None,
                parent_guid: None,
                hashes: Vec::new(),
                external_ips: Vec::new(),
            });
        }
    }

    /// Adds another file's facts.
    pub fn merge(&mut self, other: Facts) {
        self.evidence.extend(other.evidence);
        self.logons.extend(other.logons);
        self.reconnects.extend(other.reconnects);
        self.services.extend(other.services);
        self.explicit.extend(other.explicit);
        self.connections.extend(other.connections);
        self.tasks.extend(other.tasks);
        self.shares.extend(other.shares);
        self.processes.extend(other.processes);
        self.commands.extend(other.commands);
        self.activity.extend(other.activity);
        self.privileged_sessions.extend(other.privileged_sessions);
        self.dcsync.extend(other.dcsync);
        self.account_changes.extend(other.account_changes);
        self.accounts_weakened.extend(other.accounts_weakened);
        self.failures.extend(other.failures);
        self.tickets.extend(other.tickets);
        self.explicit_attempts.extend(other.explicit_attempts);
        self.controllers.merge(other.controllers);
        self.credential_attacks.extend(other.credential_attacks);
        for (ip, hosts) in other.addresses {
            for host in hosts {
                self.learn(&ip, &host);
            }
        }
        self.events += other.events;
        self.spans.extend(other.spans);
    }
}

/// The entities of the event behind a detection.
fn evidence_of(event: &Event, host: &str, time: DateTime<Utc>) -> Evidence {
    let mut accounts = Vec::new();
    let mut push = |a: Option<String>| {
        if let Some(a) = a.filter(|a| !names::is_builtin(a) && !names::is_machine(a)) {
            if !accounts.contains(&a) {
                accounts.push(a);
            }
        }
    };
    push(text(event, "User").and_then(|u| names::account(None, u)));
    push(
        text(event, "TargetUserName")
            .and_then(|n| names::account(text(event, "TargetDomainName"), n)),
    );
    push(
        text(event, "SubjectUserName")
            .and_then(|n| names::account(text(event, "SubjectDomainName"), n)),
    );
    let logon_id = text(event, "LogonId")
        .or_else(|| text(event, "TargetLogonId"))
        .or_else(|| text(event, "SubjectLogonId"))
        .map(str::to_ascii_lowercase)
        .filter(|l| !names::is_shared_session(l));
    let mut hashes = Vec::new();
    // The hash of an operating-system binary (powershell.exe, a System32
    // DLL) is the same on every machine: it says nothing about who ran it.
    let hashed = text(event, "ImageLoaded").or_else(|| text(event, "Image"));
    let hashes_text =
        text(event, "Hashes").filter(|_| !hashed.is_some_and(names::is_system_binary));
    if let Some(h) = hashes_text {
        for part in h.split(',') {
            if let Some((kind, value)) = part.split_once('=') {
                if matches!(kind.trim(), "SHA256" | "MD5" | "IMPHASH" | "SHA1")
                    && !value.trim().is_empty()
                {
                    hashes.push(value.trim().to_ascii_lowercase());
                }
            }
        }
    }
    let mut external_ips = Vec::new();
    for field in ["DestinationIp", "SourceIp", "IpAddress"] {
        if let Some(ip) = text(event, field).and_then(names::address) {
            if !names::is_internal(&ip) && !external_ips.contains(&ip) {
                external_ips.push(ip);
            }
        }
    }
    Evidence {
        detection: placeholder(),
        host: host.to_string(),
        time,
        accounts,
        logon_id,
        process_guid: text(event, "ProcessGuid").map(str::to_ascii_lowercase),
        parent_guid: text(event, "ParentProcessGuid").map(str::to_ascii_lowercase),
        hashes,
        external_ips,
    }
}

fn placeholder() -> Detection {
    Detection {
        timestamp: None,
        computer: None,
        channel: None,
        event_id: None,
        record_id: None,
        rule_id: "".into(),
        rule_title: "".into(),
        level: vigil_event::Level::Informational,
        tags: Vec::new().into(),
        source: "".into(),
        details: Vec::new(),
    }
}
