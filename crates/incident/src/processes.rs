//! Process starts (Security 4688, Sysmon 1) that show how a host was
//! reached: the children of the WMI, DCOM and WinRM hosts, and programs run
//! from outside the system folders (what a copy over an admin share runs).

use chrono::{DateTime, Utc};
use serde::Serialize;
use vigil_event::Event;

use crate::facts::{text, EventRef};
use crate::names;

/// What a process start says about remote execution on its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessRole {
    /// Started by `WmiPrvSE.exe`: `Win32_Process.Create` (wmic /node:,
    /// Invoke-WmiMethod, Impacket wmiexec, SharpWMI).
    WmiChild,
    /// A COM server started for a caller: `mmc.exe -Embedding` (MMC20.Application),
    /// an Office application with `-Embedding`, `DllHost.exe /Processid:{…}`.
    DcomServer,
    /// Started by such a COM server.
    DcomChild,
    /// Started by `explorer.exe`: remote `ShellWindows`/`ShellBrowserWindow`
    /// when it runs in a network logon session, a user's click otherwise.
    ShellChild,
    /// `wsmprovhost.exe` (the WinRM plug-in host of a PowerShell remoting
    /// session) or a process it started.
    WinrmHost,
    /// A program outside the system folders, kept only to be matched with a
    /// file written over an admin share.
    Program,
}

/// A process start kept for lateral movement.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessStart {
    pub time: DateTime<Utc>,
    pub host: String,
    pub image: String,
    pub parent: String,
    /// The command line, shortened; not kept for [`ProcessRole::Program`].
    pub command_line: Option<String>,
    pub account: Option<String>,
    /// Logon sessions the event names (the creator's and the new process's),
    /// lower case, without the ones every machine shares.
    pub sessions: Vec<String>,
    pub role: ProcessRole,
    pub event: EventRef,
}

/// Office applications that serve COM objects to other machines (Excel's
/// `DDEInitiate`, `RegisterXLL`, Outlook's `CreateObject`, Word, Visio).
const OFFICE: &[&str] = &[
    "excel.exe",
    "winword.exe",
    "powerpnt.exe",
    "outlook.exe",
    "visio.exe",
    "msaccess.exe",
];

/// Command lines are kept for the evidence only; this much says what ran.
const COMMAND_LINE_KEPT: usize = 300;

/// The file name of a path, without the folders.
pub fn file_name(path: &str) -> &str {
    let path = path.trim().trim_matches('"');
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

fn is(path: &str, name: &str) -> bool {
    file_name(path).eq_ignore_ascii_case(name)
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    crate::commands::find_ci(haystack, needle, 0).is_some()
}

/// Whether a COM server's command line says it was started for a caller.
fn serves_com(image: &str, command_line: &str) -> bool {
    let name = file_name(image);
    if name.eq_ignore_ascii_case("dllhost.exe") {
        return contains_ci(command_line, "/processid:");
    }
    (name.eq_ignore_ascii_case("mmc.exe") || OFFICE.iter().any(|o| name.eq_ignore_ascii_case(o)))
        && contains_ci(command_line, "-embedding")
}

fn is_com_server(image: &str) -> bool {
    let name = file_name(image);
    ["mmc.exe", "dllhost.exe"]
        .iter()
        .chain(OFFICE)
        .any(|s| name.eq_ignore_ascii_case(s))
}

/// Folders Windows and installed software run from: a program there was not
/// just copied over an admin share.
fn in_system_folder(image: &str) -> bool {
    [
        "\\windows\\system32\\",
        "\\windows\\syswow64\\",
        "\\windows\\winsxs\\",
        "\\windows\\microsoft.net\\",
        "\\windows\\servicing\\",
        "\\windows\\systemapps\\",
        "\\program files\\",
        "\\program files (x86)\\",
        "\\programdata\\microsoft\\windows defender\\",
    ]
    .iter()
    .any(|folder| contains_ci(image, folder))
}

/// The file a command sends its output to through the host's own admin
/// share (`1> \\127.0.0.1\ADMIN$\__1619090610.0007844`): Impacket's
/// wmiexec and smbexec, whose caller then reads it over SMB.
pub fn output_file(command_line: &str) -> Option<&str> {
    const LOOPBACK: &str = "\\\\127.0.0.1\\";
    let at = crate::commands::find_ci(command_line, LOOPBACK, 0)?;
    let rest = &command_line[at + LOOPBACK.len()..];
    let (_share, path) = rest.split_once('\\')?;
    let end = path
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '^' | '&' | '>'))
        .unwrap_or(path.len());
    let file = &path[..end];
    (!file.is_empty()).then_some(file)
}

/// A 4688 of Windows before 10 names no parent: WmiPrvSE creates as
/// NETWORK SERVICE (0x3e4), and wmiexec sends its output to ADMIN$.
fn wmiexec_without_parent(event: &Event, parent: &str, command_line: &str) -> bool {
    parent.is_empty()
        && text(event, "SubjectLogonId") == Some("0x3e4")
        && contains_ci(command_line, "\\\\127.0.0.1\\admin$\\__")
}

fn role(
    image: &str,
    parent: &str,
    command_line: &str,
    parent_command_line: Option<&str>,
) -> Option<ProcessRole> {
    if is(parent, "wmiprvse.exe") {
        return Some(ProcessRole::WmiChild);
    }
    if is(image, "wsmprovhost.exe") || is(parent, "wsmprovhost.exe") {
        return Some(ProcessRole::WinrmHost);
    }
    if serves_com(image, command_line) {
        return Some(ProcessRole::DcomServer);
    }
    if is_com_server(parent) {
        // Sysmon names the parent's command line: only a COM-started parent
        // counts. Security 4688 does not, and the session decides later.
        return match parent_command_line {
            Some(line) if !serves_com(parent, line) => None,
            _ => Some(ProcessRole::DcomChild),
        };
    }
    if is(parent, "explorer.exe") {
        return Some(ProcessRole::ShellChild);
    }
    if !image.is_empty() && !in_system_folder(image) {
        return Some(ProcessRole::Program);
    }
    None
}

/// The process start of a 4688 or Sysmon 1, if it matters for movement.
/// Nothing is allocated for the others.
pub fn read(event: &Event, host: &str, time: DateTime<Utc>, sysmon: bool) -> Option<ProcessStart> {
    let (image, parent) = if sysmon {
        (
            text(event, "Image")?,
            text(event, "ParentImage").unwrap_or(""),
        )
    } else {
        (
            text(event, "NewProcessName")?,
            text(event, "ParentProcessName").unwrap_or(""),
        )
    };
    let command_line = text(event, "CommandLine").unwrap_or("");
    let parent_command_line = if sysmon {
        text(event, "ParentCommandLine")
    } else {
        None
    };
    let role = if !sysmon && wmiexec_without_parent(event, parent, command_line) {
        ProcessRole::WmiChild
    } else {
        role(image, parent, command_line, parent_command_line)?
    };
    let mut sessions = Vec::new();
    let fields: &[&str] = if sysmon {
        &["LogonId"]
    } else {
        &["SubjectLogonId", "TargetLogonId"]
    };
    for field in fields {
        if let Some(id) = text(event, field).filter(|l| !names::is_shared_session(l)) {
            let id = id.to_ascii_lowercase();
            if !sessions.contains(&id) {
                sessions.push(id);
            }
        }
    }
    let account = if sysmon {
        text(event, "User").and_then(|u| names::account(None, u))
    } else {
        // The new process's account when Windows names it, else the creator's.
        text(event, "TargetUserName")
            .and_then(|n| names::account(text(event, "TargetDomainName"), n))
            .or_else(|| {
                text(event, "SubjectUserName")
                    .and_then(|n| names::account(text(event, "SubjectDomainName"), n))
            })
    };
    // A program is kept only to be matched by its path with a copied file:
    // its command line would be memory for nothing.
    let keep_line = role != ProcessRole::Program && !command_line.is_empty();
    let command_line = keep_line.then(|| {
        let mut end = command_line.len().min(COMMAND_LINE_KEPT);
        while !command_line.is_char_boundary(end) {
            end -= 1;
        }
        command_line[..end].to_string()
    });
    Some(ProcessStart {
        time,
        host: host.to_string(),
        image: image.to_string(),
        parent: parent.to_string(),
        command_line,
        account,
        sessions,
        role,
        event: EventRef::of(event),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_the_parent_and_the_command_line() {
        let wmi = role(
            "C:\\Windows\\System32\\cmd.exe",
            "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
            "cmd.exe /Q /c whoami",
            None,
        );
        assert_eq!(wmi, Some(ProcessRole::WmiChild));
        let mmc = role(
            "C:\\Windows\\System32\\mmc.exe",
            "C:\\Windows\\System32\\svchost.exe",
            "C:\\Windows\\system32\\mmc.exe -Embedding",
            None,
        );
        assert_eq!(mmc, Some(ProcessRole::DcomServer));
        let child = role(
            "C:\\Windows\\System32\\cmd.exe",
            "C:\\Windows\\System32\\mmc.exe",
            "cmd.exe /c calc",
            None,
        );
        assert_eq!(child, Some(ProcessRole::DcomChild));
        // Sysmon says the MMC was opened by a user, not by COM.
        let by_hand = role(
            "C:\\Windows\\System32\\cmd.exe",
            "C:\\Windows\\System32\\mmc.exe",
            "cmd.exe",
            Some("\"C:\\Windows\\system32\\mmc.exe\" compmgmt.msc"),
        );
        assert_eq!(by_hand, None);
        let surrogate = role(
            "C:\\Windows\\System32\\dllhost.exe",
            "C:\\Windows\\System32\\svchost.exe",
            "C:\\Windows\\system32\\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}",
            None,
        );
        assert_eq!(surrogate, Some(ProcessRole::DcomServer));
        let excel = role(
            "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
            "C:\\Windows\\System32\\svchost.exe",
            "\"EXCEL.EXE\" -Embedding",
            None,
        );
        assert_eq!(excel, Some(ProcessRole::DcomServer));
        let winrm = role(
            "C:\\Windows\\System32\\wsmprovhost.exe",
            "C:\\Windows\\System32\\svchost.exe",
            "C:\\Windows\\system32\\wsmprovhost.exe -Embedding",
            None,
        );
        assert_eq!(winrm, Some(ProcessRole::WinrmHost));
        let dropped = role(
            "C:\\Windows\\PSEXESVC.exe",
            "C:\\Windows\\System32\\services.exe",
            "",
            None,
        );
        assert_eq!(dropped, Some(ProcessRole::Program));
        assert_eq!(
            output_file("cmd.exe /Q /c cd \\ 1> \\\\127.0.0.1\\ADMIN$\\__1619090610.0007844 2>&1"),
            Some("__1619090610.0007844")
        );
        assert_eq!(
            output_file("cmd.exe /Q /c echo cd ^> \\\\127.0.0.1\\C$\\__output 2^>^&1 > x.bat"),
            Some("__output")
        );
        let ordinary = role(
            "C:\\Windows\\System32\\svchost.exe",
            "C:\\Windows\\System32\\services.exe",
            "svchost.exe -k netsvcs",
            None,
        );
        assert_eq!(ordinary, None);
    }
}
