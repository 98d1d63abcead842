//! What happens on a Windows host, as the events it leaves: a process starts
//! (Sysmon 1 and Security 4688), someone logs on (4624, 4672, 4634), a process
//! connects out (Sysmon 3 and a flow at the sensor), resolves a name (Sysmon 22
//! and Zeek DNS), writes a file, installs a service … Background and attack
//! both speak this vocabulary, so their events look alike.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::clock::{self, Micros, MINUTE, SECOND};
use crate::estate::{Account, Estate, Host, DOMAIN};
use crate::network::{DnsQuery, Flow};
use crate::random;
use crate::windows::{Log, WinEvent};

/// A running process, as later events refer to it.
#[derive(Debug, Clone)]
pub(crate) struct Proc {
    pub pid: u32,
    pub guid: String,
    pub image: String,
    pub command_line: String,
    pub user: Account,
    pub logon_id: String,
}

/// A process to start.
pub(crate) struct Launch<'a> {
    pub image: &'a str,
    pub command_line: String,
    pub parent: &'a Proc,
    pub user: &'a Account,
    pub logon_id: &'a str,
    /// `Medium`, `High` or `System`.
    pub integrity: &'static str,
    pub current_directory: &'a str,
    /// The name in the file's version resource; a renamed tool keeps its own.
    pub original_file_name: Option<&'a str>,
}

/// The process behind an event: one simulated, or only its image.
#[derive(Clone, Copy)]
pub(crate) enum Caller<'a> {
    Proc(&'a Proc),
    Image(&'a str),
}

/// A logon session to open.
pub(crate) struct Logon<'a> {
    pub account: &'a Account,
    pub logon_type: u32,
    pub source_ip: &'a str,
    pub source_workstation: &'a str,
    pub privileged: bool,
    /// How long until the session ends, if it ends within the hour.
    pub logoff_after: Option<Micros>,
}

/// Everything a host's activity during one hour produces.
#[derive(Default)]
pub(crate) struct Output {
    pub events: Vec<WinEvent>,
    pub flows: Vec<Flow>,
    pub dns: Vec<DnsQuery>,
}

/// One host, its random stream and its output for the hour being simulated.
pub(crate) struct Scene<'a> {
    pub estate: &'a Estate,
    pub host: &'a Host,
    pub rng: &'a mut ChaCha8Rng,
    pub out: &'a mut Output,
}

/// The file name of a Windows path.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('\\').next().unwrap_or(path)
}

impl Scene<'_> {
    pub(crate) fn logon_id(&mut self) -> String {
        format!("0x{:X}", self.rng.random_range(0x10_0000u32..0x7FF_FFFF))
    }

    fn pid(&mut self) -> u32 {
        self.rng.random_range(200u32..16000) * 4
    }

    /// A long-running process that starts no events of its own here (`services.exe`,
    /// the user's `explorer.exe`): the parent of what is launched.
    pub(crate) fn existing(&mut self, image: &str, command_line: &str, user: &Account) -> Proc {
        let logon_id = if user.sid == "S-1-5-18" {
            "0x3E7".to_string()
        } else {
            self.logon_id()
        };
        Proc {
            pid: self.pid(),
            guid: random::guid(self.rng),
            image: image.to_string(),
            command_line: command_line.to_string(),
            user: user.clone(),
            logon_id,
        }
    }

    /// Starts a process: Sysmon 1, and Security 4688 a moment later.
    pub(crate) fn launch(&mut self, t: Micros, launch: &Launch) -> Proc {
        let proc = Proc {
            pid: self.pid(),
            guid: random::guid(self.rng),
            image: launch.image.to_string(),
            command_line: launch.command_line.clone(),
            user: launch.user.clone(),
            logon_id: launch.logon_id.to_string(),
        };
        let parent = launch.parent;
        let name = file_name(launch.image);
        let original = launch.original_file_name.unwrap_or(name);
        let hash = random::digest(original, 64);
        let sysmon = WinEvent::new(t, Log::Sysmon, 1)
            .with("RuleName", "-")
            .with("UtcTime", clock::sysmon(t))
            .with("ProcessGuid", &proc.guid)
            .with("ProcessId", proc.pid)
            .with("Image", launch.image.to_string())
            .with("FileVersion", "-")
            .with("Description", "-")
            .with("Product", "-")
            .with("Company", "-")
            .with("OriginalFileName", original.to_string())
            .with("CommandLine", &launch.command_line)
            .with("CurrentDirectory", launch.current_directory.to_string())
            .with("User", launch.user.qualified())
            .with("LogonGuid", random::guid(self.rng))
            .with("LogonId", launch.logon_id.to_string())
            .with("TerminalSessionId", u32::from(launch.integrity != "System"))
            .with("IntegrityLevel", launch.integrity)
            .with(
                "Hashes",
                format!("SHA256={hash},IMPHASH={}", random::digest(name, 32)),
            )
            .with("ParentProcessGuid", &parent.guid)
            .with("ParentProcessId", parent.pid)
            .with("ParentImage", &parent.image)
            .with("ParentCommandLine", &parent.command_line)
            .with("ParentUser", parent.user.qualified());
        self.out.events.push(sysmon);

        let (subject_name, subject_domain) = if launch.user.sid == "S-1-5-18" {
            (self.host.machine.name.clone(), DOMAIN.to_string())
        } else {
            (launch.user.name.clone(), launch.user.domain.clone())
        };
        let label = match launch.integrity {
            "System" => "S-1-16-16384",
            "High" => "S-1-16-12288",
            _ => "S-1-16-8192",
        };
        let security = WinEvent::new(t + 180, Log::Security, 4688)
            .with("SubjectUserSid", &launch.user.sid)
            .with("SubjectUserName", subject_name)
            .with("SubjectDomainName", subject_domain)
            .with("SubjectLogonId", launch.logon_id.to_string())
            .with("NewProcessId", format!("0x{:x}", proc.pid))
            .with("NewProcessName", launch.image.to_string())
            .with(
                "TokenElevationType",
                if launch.integrity == "Medium" {
                    "%%1938"
                } else {
                    "%%1936"
                },
            )
            .with("ProcessId", format!("0x{:x}", parent.pid))
            .with("CommandLine", &launch.command_line)
            .with("TargetUserSid", "S-1-0-0")
            .with("TargetUserName", "-")
            .with("TargetDomainName", "-")
            .with("TargetLogonId", "0x0")
            .with("ParentProcessName", &parent.image)
            .with("MandatoryLabel", label);
        self.out.events.push(security);
        proc
    }

    /// Opens a logon session: 4624, 4672 for privileged accounts, 4634 when it ends.
    pub(crate) fn logon(&mut self, t: Micros, logon: &Logon) -> String {
        let logon_id = if logon.account.sid == "S-1-5-18" {
            "0x3E7".to_string()
        } else {
            self.logon_id()
        };
        let (process, package) = match logon.logon_type {
            3 if logon.account.name.ends_with('$') || self.rng.random_bool(0.8) => {
                ("Kerberos", "Kerberos")
            }
            3 => ("NtLmSsp ", "NTLM"),
            5 => ("Advapi  ", "Negotiate"),
            _ => ("User32 ", "Negotiate"),
        };
        let (subject_sid, subject_name, subject_logon) =
            if matches!(logon.logon_type, 2 | 5 | 7 | 10 | 11) {
                (
                    "S-1-5-18".to_string(),
                    self.host.machine.name.clone(),
                    "0x3E7",
                )
            } else {
                ("S-1-0-0".to_string(), "-".to_string(), "0x0")
            };
        let process_name = match logon.logon_type {
            2 | 7 | 10 | 11 => "C:\\Windows\\System32\\svchost.exe",
            5 => "C:\\Windows\\System32\\services.exe",
            _ => "-",
        };
        let port = if logon.source_ip == "-" || logon.source_ip == "127.0.0.1" {
            0
        } else {
            self.rng.random_range(49152u32..65535)
        };
        let event = WinEvent::new(t, Log::Security, 4624)
            .with("SubjectUserSid", subject_sid)
            .with("SubjectUserName", subject_name)
            .with("SubjectDomainName", DOMAIN)
            .with("SubjectLogonId", subject_logon)
            .with("TargetUserSid", &logon.account.sid)
            .with("TargetUserName", &logon.account.name)
            .with("TargetDomainName", &logon.account.domain)
            .with("TargetLogonId", &logon_id)
            .with("LogonType", logon.logon_type)
            .with("LogonProcessName", process)
            .with("AuthenticationPackageName", package)
            .with("WorkstationName", logon.source_workstation.to_string())
            .with("LogonGuid", random::guid(self.rng))
            .with("TransmittedServices", "-")
            .with(
                "LmPackageName",
                if package == "NTLM" { "NTLM V2" } else { "-" },
            )
            .with("KeyLength", if package == "NTLM" { 128u32 } else { 0 })
            .with(
                "ProcessId",
                if process_name == "-" {
                    "0x0".to_string()
                } else {
                    format!("0x{:x}", self.pid())
                },
            )
            .with("ProcessName", process_name)
            .with("IpAddress", logon.source_ip.to_string())
            .with("IpPort", port.to_string())
            .with("ImpersonationLevel", "%%1833")
            .with(
                "RestrictedAdminMode",
                if logon.logon_type == 10 {
                    "%%1843"
                } else {
                    "-"
                },
            )
            .with("VirtualAccount", "%%1843")
            .with(
                "ElevatedToken",
                if logon.privileged { "%%1842" } else { "%%1843" },
            );
        self.out.events.push(event);
        if logon.privileged {
            let privileges = "SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\tSeTakeOwnershipPrivilege\r\n\t\t\tSeDebugPrivilege\r\n\t\t\tSeSystemEnvironmentPrivilege\r\n\t\t\tSeLoadDriverPrivilege\r\n\t\t\tSeImpersonatePrivilege\r\n\t\t\tSeDelegateSessionUserImpersonatePrivilege";
            let special = WinEvent::new(t + 40, Log::Security, 4672)
                .with("SubjectUserSid", &logon.account.sid)
                .with("SubjectUserName", &logon.account.name)
                .with("SubjectDomainName", &logon.account.domain)
                .with("SubjectLogonId", &logon_id)
                .with("PrivilegeList", privileges);
            self.out.events.push(special);
        }
        if let Some(after) = logon.logoff_after {
            let logoff = WinEvent::new(t + after, Log::Security, 4634)
                .with("TargetUserSid", &logon.account.sid)
                .with("TargetUserName", &logon.account.name)
                .with("TargetDomainName", &logon.account.domain)
                .with("TargetLogonId", &logon_id)
                .with("LogonType", logon.logon_type);
            self.out.events.push(logoff);
        }
        logon_id
    }

    /// A failed logon (4625): a mistyped password.
    pub(crate) fn failed_logon(
        &mut self,
        t: Micros,
        account: &Account,
        logon_type: u32,
        source_ip: &str,
        workstation: &str,
    ) {
        let mut event = WinEvent::new(t, Log::Security, 4625)
            .with("SubjectUserSid", "S-1-5-18")
            .with("SubjectUserName", &self.host.machine.name)
            .with("SubjectDomainName", DOMAIN)
            .with("SubjectLogonId", "0x3E7")
            .with("TargetUserSid", "S-1-0-0")
            .with("TargetUserName", &account.name)
            .with("TargetDomainName", &account.domain)
            .with("Status", "0xc000006d")
            .with("FailureReason", "%%2313")
            .with("SubStatus", "0xc000006a")
            .with("LogonType", logon_type)
            .with("LogonProcessName", "User32 ")
            .with("AuthenticationPackageName", "Negotiate")
            .with("WorkstationName", workstation.to_string())
            .with("TransmittedServices", "-")
            .with("LmPackageName", "-")
            .with("KeyLength", 0u32)
            .with("ProcessId", format!("0x{:x}", self.pid()))
            .with("ProcessName", "C:\\Windows\\System32\\svchost.exe")
            .with("IpAddress", source_ip.to_string())
            .with("IpPort", "0");
        event.failure = true;
        self.out.events.push(event);
    }

    /// Logon with explicit credentials (4648), e.g. `runas` or a scheduled
    /// task; by `process`, or by an image in a session not simulated.
    pub(crate) fn explicit_credentials(
        &mut self,
        t: Micros,
        subject: &Account,
        target: &Account,
        server: &str,
        process: Caller,
    ) {
        let (logon_id, image) = match process {
            Caller::Proc(p) => (p.logon_id.clone(), p.image.clone()),
            Caller::Image(image) => (self.logon_id(), image.to_string()),
        };
        let event = WinEvent::new(t, Log::Security, 4648)
            .with("SubjectUserSid", &subject.sid)
            .with("SubjectUserName", &subject.name)
            .with("SubjectDomainName", &subject.domain)
            .with("SubjectLogonId", logon_id)
            .with("LogonGuid", random::guid(self.rng))
            .with("TargetUserName", &target.name)
            .with("TargetDomainName", &target.domain)
            .with("TargetLogonGuid", random::guid(self.rng))
            .with("TargetServerName", server.to_string())
            .with("TargetInfo", server.to_string())
            .with(
                "ProcessId",
                format!(
                    "0x{:x}",
                    match process {
                        Caller::Proc(p) => p.pid,
                        Caller::Image(_) => self.pid(),
                    }
                ),
            )
            .with("ProcessName", image)
            .with("IpAddress", "-")
            .with("IpPort", "-");
        self.out.events.push(event);
    }

    /// An outbound connection: Sysmon 3 on the host and a flow at the sensor.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn connect(
        &mut self,
        t: Micros,
        proc: &Proc,
        dst_ip: &str,
        dst_host: &str,
        dst_port: u16,
        service: &'static str,
        bytes_out: u64,
        bytes_in: u64,
        duration: Micros,
    ) -> Flow {
        let flow = Flow::new(
            self.rng,
            t,
            &self.host.ip,
            dst_ip,
            dst_port,
            service,
            bytes_out,
            bytes_in,
            duration,
        );
        let event = WinEvent::new(t + 900, Log::Sysmon, 3)
            .with("RuleName", "-")
            .with("UtcTime", clock::sysmon(t))
            .with("ProcessGuid", &proc.guid)
            .with("ProcessId", proc.pid)
            .with("Image", &proc.image)
            .with("User", proc.user.qualified())
            .with("Protocol", flow.proto)
            .with("Initiated", "true")
            .with("SourceIsIpv6", "false")
            .with("SourceIp", &self.host.ip)
            .with("SourceHostname", self.host.fqdn())
            .with("SourcePort", u32::from(flow.src_port))
            .with("SourcePortName", "-")
            .with("DestinationIsIpv6", "false")
            .with("DestinationIp", dst_ip.to_string())
            .with("DestinationHostname", dst_host.to_string())
            .with("DestinationPort", u32::from(dst_port))
            .with("DestinationPortName", port_name(dst_port));
        self.out.events.push(event);
        self.out.flows.push(flow.clone());
        flow
    }

    /// A name lookup: Sysmon 22 on the host and the query at the sensor.
    pub(crate) fn resolve(&mut self, t: Micros, proc: &Proc, name: &str, answers: &[&str]) {
        let results: String = answers.iter().map(|a| format!("::ffff:{a};")).collect();
        let event = WinEvent::new(t, Log::Sysmon, 22)
            .with("RuleName", "-")
            .with("UtcTime", clock::sysmon(t))
            .with("ProcessGuid", &proc.guid)
            .with("ProcessId", proc.pid)
            .with("QueryName", name.to_string())
            .with("QueryStatus", "0")
            .with("QueryResults", results)
            .with("Image", &proc.image)
            .with("User", proc.user.qualified());
        self.out.events.push(event);
        let dns_server = self
            .estate
            .first(crate::estate::Role::DomainController)
            .ip
            .clone();
        let answers = answers.iter().map(|a| a.to_string()).collect();
        let query = DnsQuery::new(
            self.rng,
            t - 2_000,
            &self.host.ip,
            &dns_server,
            name,
            answers,
        );
        self.out.dns.push(query);
    }

    /// A file created or overwritten (Sysmon 11).
    pub(crate) fn file(&mut self, t: Micros, proc: &Proc, path: &str) {
        let event = WinEvent::new(t, Log::Sysmon, 11)
            .with("RuleName", "-")
            .with("UtcTime", clock::sysmon(t))
            .with("ProcessGuid", &proc.guid)
            .with("ProcessId", proc.pid)
            .with("Image", &proc.image)
            .with("TargetFilename", path.to_string())
            .with("CreationUtcTime", clock::sysmon(t))
            .with("User", proc.user.qualified());
        self.out.events.push(event);
    }

    /// A service entering a state (7036): `running` or `stopped`.
    pub(crate) fn service_state(&mut self, t: Micros, display_name: &str, state: &'static str) {
        let binary = format!("{}0000", random::digest(display_name, 16));
        let event = WinEvent::new(t, Log::System, 7036)
            .with("param1", display_name.to_string())
            .with("param2", state)
            .with("Binary", binary);
        self.out.events.push(event);
    }

    /// A service installed: 7045 in the System log and 4697 in Security.
    pub(crate) fn install_service(
        &mut self,
        t: Micros,
        installer: &Account,
        name: &str,
        image_path: &str,
        start_type: &'static str,
    ) {
        let event = WinEvent::new(t, Log::System, 7045)
            .with("ServiceName", name.to_string())
            .with("ImagePath", image_path.to_string())
            .with("ServiceType", "user mode service")
            .with("StartType", start_type)
            .with("AccountName", "LocalSystem");
        self.out.events.push(event);
        let start = if start_type == "auto start" { 2u32 } else { 3 };
        let event = WinEvent::new(t + 350, Log::Security, 4697)
            .with("SubjectUserSid", &installer.sid)
            .with("SubjectUserName", &installer.name)
            .with("SubjectDomainName", &installer.domain)
            .with("SubjectLogonId", self.logon_id())
            .with("ServiceName", name.to_string())
            .with("ServiceFileName", image_path.to_string())
            .with("ServiceType", "0x10")
            .with("ServiceStartType", start)
            .with("ServiceAccount", "LocalSystem");
        self.out.events.push(event);
    }

    /// A scheduled task registered (4698).
    pub(crate) fn register_task(
        &mut self,
        t: Micros,
        author: &Account,
        name: &str,
        command: &str,
        arguments: &str,
    ) {
        let content = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\r\n  <RegistrationInfo>\r\n    <Author>{}</Author>\r\n    <URI>{name}</URI>\r\n  </RegistrationInfo>\r\n  <Triggers>\r\n    <CalendarTrigger>\r\n      <StartBoundary>2026-01-01T02:00:00</StartBoundary>\r\n      <ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay>\r\n    </CalendarTrigger>\r\n  </Triggers>\r\n  <Actions Context=\"Author\">\r\n    <Exec>\r\n      <Command>{command}</Command>\r\n      <Arguments>{arguments}</Arguments>\r\n    </Exec>\r\n  </Actions>\r\n</Task>",
            author.qualified()
        );
        let event = WinEvent::new(t, Log::Security, 4698)
            .with("SubjectUserSid", &author.sid)
            .with("SubjectUserName", &author.name)
            .with("SubjectDomainName", &author.domain)
            .with("SubjectLogonId", self.logon_id())
            .with("TaskName", name.to_string())
            .with("TaskContent", content);
        self.out.events.push(event);
    }

    /// A process opening another (Sysmon 10).
    pub(crate) fn access(
        &mut self,
        t: Micros,
        source: &Proc,
        target: &Proc,
        granted: &'static str,
        call_trace: String,
    ) {
        let event = WinEvent::new(t, Log::Sysmon, 10)
            .with("RuleName", "-")
            .with("UtcTime", clock::sysmon(t))
            .with("SourceProcessGUID", &source.guid)
            .with("SourceProcessId", source.pid)
            .with("SourceThreadId", self.pid() + 1)
            .with("SourceImage", &source.image)
            .with("TargetProcessGUID", &target.guid)
            .with("TargetProcessId", target.pid)
            .with("TargetImage", &target.image)
            .with("GrantedAccess", granted)
            .with("CallTrace", call_trace)
            .with("SourceUser", source.user.qualified())
            .with("TargetUser", target.user.qualified());
        self.out.events.push(event);
    }

    /// A PowerShell script block logged (4104).
    pub(crate) fn script_block(&mut self, t: Micros, text: &str, path: &str) {
        let event = WinEvent::new(t, Log::PowerShell, 4104)
            .with("MessageNumber", 1u32)
            .with("MessageTotal", 1u32)
            .with("ScriptBlockText", text.to_string())
            .with(
                "ScriptBlockId",
                random::guid(self.rng)
                    .trim_matches(['{', '}'])
                    .to_lowercase(),
            )
            .with("Path", path.to_string());
        self.out.events.push(event);
    }

    /// A random moment within `[start, start + span)`.
    pub(crate) fn moment(&mut self, start: Micros, span: Micros) -> Micros {
        start + self.rng.random_range(0..span.max(1))
    }

    /// A short pause, as between two commands typed by a person.
    pub(crate) fn pause(&mut self) -> Micros {
        self.rng.random_range(2 * SECOND..MINUTE)
    }
}

fn port_name(port: u16) -> &'static str {
    match port {
        443 => "https",
        80 => "http",
        135 => "epmap",
        445 => "microsoft-ds",
        3389 => "ms-wbt-server",
        5985 => "wsman",
        1433 => "ms-sql-s",
        53 => "domain",
        5060 | 5061 => "sip",
        _ => "-",
    }
}
