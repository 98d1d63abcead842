//! Methods no lab recording shows, on fixtures written from the documented
//! event sequences: each test names the sequence it follows.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, TimeZone, Utc};
use vigil_event::{Event, FieldValue};

use crate::movement::{hops, Edge, Method};
use crate::Facts;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).unwrap() + Duration::seconds(seconds)
}

/// An event of `channel` on `host` at `seconds` past nine.
fn event(host: &str, channel: &str, id: i64, seconds: i64, fields: &[(&str, &str)]) -> Event {
    let mut e = Event::new("fixture.evtx");
    e.timestamp = Some(at(seconds));
    e.insert("EventID", FieldValue::Int(id));
    e.insert(
        "Computer",
        FieldValue::from(format!("{host}.clinic.example").as_str()),
    );
    e.insert("Channel", FieldValue::from(channel));
    // Every fixture event its own record, as in a real log.
    static RECORD: AtomicI64 = AtomicI64::new(1);
    e.insert(
        "EventRecordID",
        FieldValue::Int(RECORD.fetch_add(1, Ordering::Relaxed)),
    );
    for (k, v) in fields {
        e.insert(*k, FieldValue::from(*v));
    }
    e
}

const SECURITY: &str = "Security";
const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";

/// 4624 type 3 of CLINIC\adm from WS-1 (10.0.0.5) opening `session` on `host`.
fn network_logon(host: &str, seconds: i64, session: &str) -> Event {
    event(
        host,
        SECURITY,
        4624,
        seconds,
        &[
            ("TargetUserName", "adm"),
            ("TargetDomainName", "CLINIC"),
            ("TargetLogonId", session),
            ("LogonType", "3"),
            ("IpAddress", "10.0.0.5"),
            ("WorkstationName", "WS-1"),
        ],
    )
}

fn edges_of(events: &[Event]) -> Vec<Edge> {
    let mut facts = Facts::new();
    for e in events {
        facts.observe(e, &[]);
    }
    hops(&facts, None)
}

fn only(edges: &[Edge]) -> &Edge {
    assert_eq!(edges.len(), 1, "{edges:#?}");
    &edges[0]
}

/// A task updated remotely: Security 4702 ("A scheduled task was
/// updated", with the updater's SubjectLogonId) in the session of a 4624
/// type 3, as `schtasks /change /s` or a remote ITaskService leaves it; and
/// Task Scheduler/Operational 140 ("User … updated Task Scheduler task …",
/// UserName) right after a network logon of that user.
#[test]
fn a_modified_task_is_a_hop_like_a_created_one() {
    let updated = edges_of(&[
        network_logon("SRV-1", 0, "0x77"),
        event(
            "SRV-1",
            SECURITY,
            4702,
            2,
            &[
                ("SubjectUserName", "adm"),
                ("SubjectDomainName", "CLINIC"),
                ("SubjectLogonId", "0x77"),
                ("TaskName", "\\Microsoft\\Windows\\Defrag\\ScheduledDefrag"),
            ],
        ),
    ]);
    let hop = only(&updated);
    assert_eq!((hop.from.as_str(), hop.to.as_str()), ("WS-1", "SRV-1"));
    assert_eq!(hop.method, Method::ScheduledTask);
    assert_eq!(hop.account.as_deref(), Some("CLINIC\\adm"));
    assert!(hop.strong);
    assert!(hop.events.iter().any(|e| e.event_id == Some(4702)));

    let operational = edges_of(&[
        network_logon("SRV-1", 0, "0x78"),
        event(
            "SRV-1",
            "Microsoft-Windows-TaskScheduler/Operational",
            140,
            3,
            &[("TaskName", "\\Updater"), ("UserName", "CLINIC\\adm")],
        ),
    ]);
    assert_eq!(only(&operational).method, Method::ScheduledTask);
}

/// PowerShell remoting seen from both ends, as documented for WinRM: on the
/// client, Sysmon 3 to port 5985, 4104 `Invoke-Command -ComputerName`, and
/// WinRM/Operational 6 "Creating WSMan Session" naming the server; on the
/// server, 4624 type 3, `wsmprovhost.exe -Embedding` (Sysmon 1) in that
/// logon session and WinRM/Operational 91 "Creating WSMan shell". One hop,
/// its evidence from both hosts, the server's logon giving the account.
#[test]
fn winrm_from_both_ends_is_one_hop() {
    let powershell = "Microsoft-Windows-PowerShell/Operational";
    let winrm = "Microsoft-Windows-WinRM/Operational";
    let edges = edges_of(&[
        event(
            "WS-1",
            SYSMON,
            3,
            0,
            &[
                (
                    "Image",
                    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                ),
                ("SourceIp", "10.0.0.5"),
                ("DestinationIp", "10.0.0.7"),
                ("DestinationHostname", "srv-1.clinic.example"),
                ("DestinationPort", "5985"),
                ("Initiated", "true"),
            ],
        ),
        event(
            "WS-1",
            powershell,
            4104,
            0,
            &[(
                "ScriptBlockText",
                "Invoke-Command -ComputerName srv-1 -ScriptBlock { whoami }",
            )],
        ),
        event(
            "WS-1",
            winrm,
            6,
            0,
            &[("connection", "srv-1/wsman?PSVersion=5.1.19041.1")],
        ),
        network_logon("SRV-1", 1, "0x88"),
        event(
            "SRV-1",
            SYSMON,
            1,
            1,
            &[
                ("Image", "C:\\Windows\\System32\\wsmprovhost.exe"),
                (
                    "CommandLine",
                    "C:\\Windows\\system32\\wsmprovhost.exe -Embedding",
                ),
                ("ParentImage", "C:\\Windows\\System32\\svchost.exe"),
                ("User", "CLINIC\\adm"),
                ("LogonId", "0x88"),
            ],
        ),
        event(
            "SRV-1",
            winrm,
            91,
            1,
            &[(
                "resourceUri",
                "http://schemas.microsoft.com/powershell/Microsoft.PowerShell",
            )],
        ),
    ]);
    let hop = only(&edges);
    assert_eq!((hop.from.as_str(), hop.to.as_str()), ("WS-1", "SRV-1"));
    assert_eq!(hop.method, Method::Winrm);
    assert_eq!(hop.account.as_deref(), Some("CLINIC\\adm"));
    assert!(hop.evidence.iter().any(|e| e.starts_with("WS-1: ")));
    assert!(hop.evidence.iter().any(|e| e.starts_with("SRV-1: ")));
    for id in [3, 4104, 6, 4624, 1, 91] {
        assert!(
            hop.events.iter().any(|e| e.event_id == Some(id)),
            "event {id} in {:?}",
            hop.events
        );
    }
}

/// DCOM through ShellWindows/ShellBrowserWindow: the object lives in
/// `explorer.exe`, which starts the command; the 4688 names explorer as
/// the parent and the caller's network logon session. A program a user
/// starts from explorer in their own desktop session is no hop.
#[test]
fn shell_windows_dcom_needs_a_network_session() {
    let start = |seconds: i64, session: &str| {
        event(
            "SRV-1",
            SECURITY,
            4688,
            seconds,
            &[
                ("SubjectUserName", "adm"),
                ("SubjectDomainName", "CLINIC"),
                ("SubjectLogonId", session),
                ("NewProcessName", "C:\\Windows\\System32\\cmd.exe"),
                ("ParentProcessName", "C:\\Windows\\explorer.exe"),
                ("CommandLine", "cmd.exe /c whoami"),
            ],
        )
    };
    let edges = edges_of(&[network_logon("SRV-1", 0, "0x99"), start(1, "0x99")]);
    let hop = only(&edges);
    assert_eq!(hop.method, Method::Dcom);
    assert_eq!(hop.from, "WS-1");

    let desktop = event(
        "SRV-1",
        SECURITY,
        4624,
        0,
        &[
            ("TargetUserName", "adm"),
            ("TargetDomainName", "CLINIC"),
            ("TargetLogonId", "0x55"),
            ("LogonType", "2"),
        ],
    );
    assert!(edges_of(&[desktop, start(1, "0x55")]).is_empty());
}

/// A COM surrogate (`DllHost.exe /Processid:{…}`) in the account's RDP
/// session while the same account also has a network logon from its
/// workstation (mapped drives): the recorded RDP session says it is local
/// COM, so the network logon gives no dcom hop.
#[test]
fn a_com_surrogate_in_a_desktop_session_is_no_dcom_hop() {
    let rdp = event(
        "SRV-1",
        SECURITY,
        4624,
        0,
        &[
            ("TargetUserName", "adm"),
            ("TargetDomainName", "CLINIC"),
            ("TargetLogonId", "0x31"),
            ("LogonType", "10"),
            ("IpAddress", "10.0.0.5"),
            ("WorkstationName", "WS-1"),
        ],
    );
    let surrogate = event(
        "SRV-1",
        SECURITY,
        4688,
        30,
        &[
            ("SubjectUserName", "SRV-1$"),
            ("SubjectDomainName", "CLINIC"),
            ("SubjectLogonId", "0x3e7"),
            ("TargetUserName", "adm"),
            ("TargetDomainName", "CLINIC"),
            ("TargetLogonId", "0x31"),
            ("NewProcessName", "C:\\Windows\\System32\\dllhost.exe"),
            ("ParentProcessName", "C:\\Windows\\System32\\svchost.exe"),
            (
                "CommandLine",
                "C:\\Windows\\system32\\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}",
            ),
        ],
    );
    let edges = edges_of(&[rdp, network_logon("SRV-1", 20, "0x32"), surrogate]);
    assert!(edges.iter().all(|e| e.method != Method::Dcom), "{edges:#?}");
}

/// A program copied to `C$` and run: 5145 on `\\*\C$` with WriteData
/// (AccessMask 0x2, `%%4417`) for `Windows\Temp\upd.exe` from 10.0.0.5,
/// then 4688 of `C:\Windows\Temp\upd.exe` a minute later. The same file
/// only read gives a plain network logon, no copy and run.
#[test]
fn a_file_copied_and_run_is_smb_copy() {
    let share = |mask: &str, list: &str| {
        event(
            "SRV-1",
            SECURITY,
            5145,
            5,
            &[
                ("SubjectUserName", "adm"),
                ("SubjectDomainName", "CLINIC"),
                ("SubjectLogonId", "0x66"),
                ("IpAddress", "10.0.0.5"),
                ("ShareName", "\\\\*\\C$"),
                ("RelativeTargetName", "Windows\\Temp\\upd.exe"),
                ("AccessMask", mask),
                ("AccessList", list),
            ],
        )
    };
    let run = event(
        "SRV-1",
        SECURITY,
        4688,
        65,
        &[
            ("SubjectUserName", "SRV-1$"),
            ("SubjectDomainName", "CLINIC"),
            ("SubjectLogonId", "0x3e7"),
            ("NewProcessName", "C:\\Windows\\Temp\\upd.exe"),
            ("ParentProcessName", "C:\\Windows\\System32\\cmd.exe"),
        ],
    );
    let logon = network_logon("SRV-1", 4, "0x66");
    let copied = edges_of(&[logon.clone(), share("0x2", "%%4417"), run.clone()]);
    let hop = only(&copied);
    assert_eq!(hop.method, Method::SmbCopy);
    assert_eq!(hop.from, "WS-1");
    assert_eq!(hop.account.as_deref(), Some("CLINIC\\adm"));
    assert!(hop.events.iter().any(|e| e.event_id == Some(4688)));
    assert!(hop.strong);

    let read = edges_of(&[logon, share("0x1", "%%4416"), run]);
    assert_eq!(only(&read).method, Method::NetworkLogon);
    assert!(!only(&read).strong);
}

/// `wmic /node:` from WS-1 and what the target logs, as documented for
/// WMI's DCOM transport: Sysmon 3 from wmic.exe to port 135 (the endpoint
/// mapper), then to a dynamic port, and Sysmon 1 of the wmic command on
/// the source; 4624 type 3 and 4688 of a child of WmiPrvSE.exe in that
/// session on the target. One wmi hop with both ends. A connection to 135
/// with no call after it is no hop.
#[test]
fn wmic_from_the_source_merges_with_the_wmi_child() {
    let connect = |seconds: i64, port: &str| {
        event(
            "WS-1",
            SYSMON,
            3,
            seconds,
            &[
                ("Image", "C:\\Windows\\System32\\wbem\\WMIC.exe"),
                ("ProcessGuid", "{w1}"),
                ("SourceIp", "10.0.0.5"),
                ("DestinationIp", "10.0.0.7"),
                ("DestinationPort", port),
                ("Initiated", "true"),
            ],
        )
    };
    // SRV-1's own connection out says which host 10.0.0.7 is.
    let own = event(
        "SRV-1",
        SYSMON,
        3,
        0,
        &[
            ("SourceIp", "10.0.0.7"),
            ("DestinationIp", "10.0.0.1"),
            ("DestinationPort", "53"),
        ],
    );
    let command = event(
        "WS-1",
        SYSMON,
        1,
        0,
        &[
            ("Image", "C:\\Windows\\System32\\wbem\\WMIC.exe"),
            ("ParentImage", "C:\\Windows\\System32\\cmd.exe"),
            (
                "CommandLine",
                "wmic /node:srv-1 process call create \"cmd.exe /c whoami\"",
            ),
            ("User", "CLINIC\\adm"),
            ("LogonId", "0x10"),
        ],
    );
    let child = event(
        "SRV-1",
        SECURITY,
        4688,
        2,
        &[
            ("SubjectUserName", "adm"),
            ("SubjectDomainName", "CLINIC"),
            ("SubjectLogonId", "0x42"),
            ("NewProcessName", "C:\\Windows\\System32\\cmd.exe"),
            (
                "ParentProcessName",
                "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
            ),
            ("CommandLine", "cmd.exe /c whoami"),
        ],
    );
    let edges = edges_of(&[
        own.clone(),
        command,
        connect(1, "135"),
        connect(1, "49702"),
        network_logon("SRV-1", 1, "0x42"),
        child,
    ]);
    let hop = only(&edges);
    assert_eq!((hop.from.as_str(), hop.to.as_str()), ("WS-1", "SRV-1"));
    assert_eq!(hop.method, Method::Wmi);
    assert!(hop.evidence.iter().any(|e| e.contains("wmic /node:")));
    assert!(hop.evidence.iter().any(|e| e.contains("RPC port 135")));
    assert!(hop.evidence.iter().any(|e| e.contains("WmiPrvSE.exe")));

    assert!(edges_of(&[own, connect(1, "135")]).is_empty());
}

/// What a WMI process creation leaves on the target with and without
/// Sysmon: 4624 type 3, then Sysmon 1 with ParentImage WmiPrvSE.exe and
/// LogonId of that session, and 4688 whose SubjectLogonId is the session
/// and TargetLogonId `0x0` (the shape the simulated estate writes). One wmi
/// hop at the process start, as the logon's account.
#[test]
fn a_wmiprvse_child_in_the_session_is_one_wmi_hop() {
    let edges = edges_of(&[
        network_logon("APP-1", 0, "0x5151"),
        event(
            "APP-1",
            SYSMON,
            1,
            2,
            &[
                ("Image", "C:\\Windows\\System32\\cmd.exe"),
                ("CommandLine", "cmd.exe /c net user support P@ss /add"),
                ("ParentImage", "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"),
                (
                    "ParentCommandLine",
                    "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding",
                ),
                ("User", "CLINIC\\adm"),
                ("LogonId", "0x5151"),
            ],
        ),
        event(
            "APP-1",
            SECURITY,
            4688,
            2,
            &[
                ("SubjectUserName", "adm"),
                ("SubjectDomainName", "CLINIC"),
                ("SubjectLogonId", "0x5151"),
                ("TargetUserName", "-"),
                ("TargetLogonId", "0x0"),
                ("NewProcessName", "C:\\Windows\\System32\\cmd.exe"),
                (
                    "ParentProcessName",
                    "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
                ),
            ],
        ),
    ]);
    let hop = only(&edges);
    assert_eq!((hop.from.as_str(), hop.to.as_str()), ("WS-1", "APP-1"));
    assert_eq!(hop.method, Method::Wmi);
    assert_eq!(hop.account.as_deref(), Some("CLINIC\\adm"));
    assert_eq!(hop.time, at(2));
    assert_eq!(hop.sessions, vec!["0x5151"]);
}

/// WMI-Activity/Operational 5858 (Operation_ClientFailure) names the
/// client machine of a failed remote WMI operation: a wmi hop from it.
#[test]
fn a_wmi_client_failure_names_the_client() {
    let edges = edges_of(&[event(
        "SRV-1",
        "Microsoft-Windows-WMI-Activity/Operational",
        5858,
        0,
        &[
            ("ClientMachine", "WS-1"),
            ("User", "CLINIC\\adm"),
            (
                "Operation",
                "Start IWbemServices::ExecMethod - root\\cimv2 : Win32_Process::Create",
            ),
        ],
    )]);
    let hop = only(&edges);
    assert_eq!((hop.from.as_str(), hop.to.as_str()), ("WS-1", "SRV-1"));
    assert_eq!(hop.method, Method::Wmi);
}

/// A network logon and nothing else stays `network_logon`, not strong.
#[test]
fn a_bare_network_logon_is_only_that() {
    let edges = edges_of(&[network_logon("SRV-1", 0, "0x21")]);
    let hop = only(&edges);
    assert_eq!(hop.method, Method::NetworkLogon);
    assert!(!hop.strong);
}

/// Damaged and random values in every field the methods read never panic.
#[test]
fn damaged_fields_never_panic() {
    let fields = [
        "CommandLine",
        "ScriptBlockText",
        "Payload",
        "NewProcessName",
        "ParentProcessName",
        "Image",
        "ParentImage",
        "ParentCommandLine",
        "ImagePath",
        "RelativeTargetName",
        "ShareName",
        "AccessMask",
        "AccessList",
        "connection",
        "ClientMachine",
        "ClientAddress",
        "ClientName",
        "AccountName",
        "TaskName",
        "SubjectLogonId",
        "TargetLogonId",
        "LogonId",
        "IpAddress",
        "DestinationPort",
    ];
    let pieces = [
        "\\\\127.0.0.1\\ADMIN$\\__",
        "/node:",
        "-ComputerName ",
        "GetTypeFromProgID(\"a\",",
        "\"",
        "é",
        "\\",
        "0x3e4",
        "wmiprvse.exe",
        " ",
        "computername=",
        "action=",
        "10.0.0.9",
        "psexec \\\\",
        "schtasks /create /s ",
        ".exe",
        "",
    ];
    let channels = [
        SECURITY,
        SYSMON,
        "Microsoft-Windows-PowerShell/Operational",
        "Microsoft-Windows-WinRM/Operational",
        "Microsoft-Windows-WMI-Activity/Operational",
        "Microsoft-Windows-TaskScheduler/Operational",
    ];
    let ids = [
        1, 3, 6, 91, 106, 140, 200, 4103, 4104, 4624, 4688, 4697, 4698, 4702, 4778, 5145, 5858,
        5860, 5861, 7045,
    ];
    let mut state: u64 = 0x2545f4914f6cdd1d;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut facts = Facts::new();
    for i in 0..3000 {
        let mut e = event(
            ["SRV-1", "WS-1"][next(2)],
            channels[next(channels.len())],
            ids[next(ids.len())],
            i,
            &[],
        );
        for _ in 0..6 {
            let mut value = String::new();
            for _ in 0..next(5) {
                value.push_str(pieces[next(pieces.len())]);
            }
            // Cut anywhere, even inside a character's bytes.
            let cut = next(value.len() + 1);
            let value = String::from_utf8_lossy(&value.as_bytes()[..cut]).into_owned();
            e.insert(fields[next(fields.len())], FieldValue::from(value.as_str()));
        }
        facts.observe(&e, &[]);
    }
    let _ = hops(&facts, None);
}

/// The JSON names of the methods are the names the report prints, most
/// specific first.
#[test]
fn methods_are_named_alike_everywhere() {
    let all = [
        Method::Service,
        Method::Wmi,
        Method::Dcom,
        Method::Winrm,
        Method::Rdp,
        Method::ScheduledTask,
        Method::SmbCopy,
        Method::ExplicitCredentials,
        Method::NetworkLogon,
        Method::Smb,
    ];
    for pair in all.windows(2) {
        assert!(pair[0] < pair[1]);
    }
    for m in all {
        assert_eq!(
            serde_json::to_value(m).unwrap(),
            serde_json::Value::from(m.as_str())
        );
    }
    assert_eq!(Method::SmbCopy.as_str(), "smb_copy");
    assert!(!Method::NetworkLogon.is_remote_execution() && !Method::Smb.is_remote_execution());
}

/// A domain controller's maintenance: 4702 updating
/// `\Microsoft\Windows\SoftwareProtectionPlatform\SvcRestartTask` in a
/// network logon of its own machine account from its IPv6 link-local
/// address (as in a Mordor recording of MORDORDC). The host talked to
/// itself: no hop.
#[test]
fn a_host_updating_its_own_task_is_no_hop() {
    let own = event(
        "DC-1",
        SECURITY,
        4624,
        0,
        &[
            ("TargetUserName", "DC-1$"),
            ("TargetDomainName", "CLINIC"),
            ("TargetLogonId", "0x6060"),
            ("LogonType", "3"),
            ("IpAddress", "fe80::9582:39e0:356b:ef4e"),
        ],
    );
    let update = event(
        "DC-1",
        SECURITY,
        4702,
        1,
        &[
            ("SubjectUserName", "DC-1$"),
            ("SubjectDomainName", "CLINIC"),
            ("SubjectLogonId", "0x6060"),
            (
                "TaskName",
                "\\Microsoft\\Windows\\SoftwareProtectionPlatform\\SvcRestartTask",
            ),
        ],
    );
    let edges = edges_of(&[own, update]);
    assert!(
        edges.iter().all(|e| e.method != Method::ScheduledTask),
        "{edges:#?}"
    );
}
