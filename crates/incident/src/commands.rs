//! Commands on a source host that name the host they act on: `wmic /node:`,
//! `Invoke-Command -ComputerName`, SharpWMI, DCOM activation by ProgID or
//! CLSID, `psexec \\host`, `sc \\host`, `schtasks /s`, and the WinRM
//! client's own log of the sessions it opens.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use chrono::{DateTime, Utc};
use serde::Serialize;
use vigil_event::Event;

use crate::facts::{text, EventRef};
use crate::movement::Method;
use crate::names;

/// A command run on `host` against `target`.
#[derive(Debug, Clone, Serialize)]
pub struct RemoteCommand {
    pub time: DateTime<Utc>,
    pub host: String,
    /// The target as the command named it: a host name or an address.
    pub target: String,
    pub method: Method,
    pub account: Option<String>,
    /// What named the target (`wmic /node:`, `Invoke-Command -ComputerName`).
    pub how: &'static str,
    pub event: EventRef,
}

/// Where `needle` (ASCII, lower case) occurs in `haystack` from `from` on,
/// ignoring ASCII case; no allocation.
pub fn find_ci(haystack: &str, needle: &str, from: usize) -> Option<usize> {
    let h = haystack.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || h.len() < n.len() || from > h.len() - n.len() {
        return None;
    }
    (from..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// PowerShell cmdlets whose `-ComputerName` runs something on that host.
const CMDLETS: &[(&str, Method)] = &[
    ("invoke-wmimethod", Method::Wmi),
    ("invoke-cimmethod", Method::Wmi),
    ("set-wmiinstance", Method::Wmi),
    ("new-cimsession", Method::Wmi),
    ("enter-pssession", Method::Winrm),
    ("invoke-command", Method::Winrm),
    ("new-pssession", Method::Winrm),
];

/// The value after a switch at `at` (`X`, `"X"`, `'X'`, `X,Y`): the first
/// name only; `None` for variables and expressions.
fn value_at(text: &str, at: usize) -> Option<&str> {
    let rest = text[at..].trim_start_matches([' ', '\t', ':', '=']);
    let rest = rest.trim_start_matches(['"', '\'']);
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | ')' | '|'))
        .unwrap_or(rest.len());
    let value = &rest[..end];
    let usable = !value.is_empty()
        && !value.starts_with(['$', '(', '@', '-', '{'])
        && !value.eq_ignore_ascii_case("localhost")
        && value != ".";
    usable.then_some(value)
}

/// The end of the statement that starts at `at`: a newline, `;` or `|`.
fn statement_end(text: &str, at: usize) -> usize {
    text[at..]
        .find(['\n', ';', '|'])
        .map_or(text.len(), |i| at + i)
}

/// Every host a command line or script names as the target of remote
/// execution, with the method and what named it. Work is linear in the text.
pub fn targets(text: &str) -> Vec<(Method, &str, &'static str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = find_ci(text, "/node:", from) {
        if let Some(v) = value_at(text, at + "/node:".len()) {
            found.push((Method::Wmi, v, "wmic /node:"));
        }
        from = at + 1;
    }
    for &(cmdlet, method) in CMDLETS {
        let mut from = 0;
        while let Some(at) = find_ci(text, cmdlet, from) {
            let end = statement_end(text, at);
            let statement = &text[..end];
            let named = ["-computername", "-cn "]
                .iter()
                .find_map(|switch| find_ci(statement, switch, at).map(|s| s + switch.len()))
                .and_then(|s| value_at(text, s.min(end)))
                // `Enter-PSSession HOST` names the host without the switch.
                .or_else(|| {
                    (cmdlet == "enter-pssession")
                        .then(|| value_at(statement, at + cmdlet.len()))
                        .flatten()
                });
            if let Some(v) = named {
                found.push((method, v, cmdlet_label(cmdlet)));
            }
            from = at + 1;
        }
    }
    // PowerShell's pipeline log (4103):
    // `ParameterBinding(Invoke-Command): name="ComputerName"; value="HOST"`.
    let mut from = 0;
    while let Some(at) = find_ci(text, "parameterbinding(", from) {
        let rest = &text[at + "parameterbinding(".len()..];
        let cmdlet = rest.split(')').next().unwrap_or("");
        let binding = &rest[..rest.find('\n').unwrap_or(rest.len())];
        let method = CMDLETS
            .iter()
            .find(|(c, _)| cmdlet.eq_ignore_ascii_case(c))
            .copied();
        if let (Some((c, method)), Some(v)) = (
            method,
            find_ci(binding, "name=\"computername\"; value=\"", 0)
                .and_then(|v| value_at(binding, v + "name=\"computername\"; value=\"".len())),
        ) {
            found.push((method, v, cmdlet_label(c)));
        }
        from = at + 1;
    }
    // SharpWMI: `action=exec computername=HOST command=...`.
    if find_ci(text, "action=", 0).is_some() {
        if let Some(at) = find_ci(text, "computername=", 0) {
            if let Some(v) = value_at(text, at + "computername=".len()) {
                found.push((Method::Wmi, v, "SharpWMI computername="));
            }
        }
    }
    // DCOM: [type]::GetTypeFromProgID("MMC20.Application", "HOST") and
    // GetTypeFromCLSID("{guid}", "HOST").
    for call in ["gettypefromprogid(", "gettypefromclsid("] {
        let mut from = 0;
        while let Some(at) = find_ci(text, call, from) {
            let args = &text[at + call.len()..statement_end(text, at)];
            if let Some(comma) = args.find(',') {
                let second = &args[comma + 1..];
                if let Some(v) = value_at(second, 0) {
                    found.push((Method::Dcom, v, "DCOM activation by ProgID/CLSID"));
                }
            }
            from = at + 1;
        }
    }
    // `psexec \\HOST`, `sc \\HOST create`, `schtasks /create /s HOST`.
    for (tool, method, label) in [
        ("psexec", Method::Service, "psexec \\\\host"),
        ("sc.exe \\\\", Method::Service, "sc \\\\host"),
        ("sc \\\\", Method::Service, "sc \\\\host"),
    ] {
        if let Some(at) = find_ci(text, tool, 0) {
            if let Some(s) = find_ci(text, "\\\\", at) {
                if let Some(v) = value_at(text, s + 2) {
                    found.push((method, v.trim_end_matches('\\'), label));
                }
            }
        }
    }
    if let Some(at) = find_ci(text, "schtasks", 0) {
        if find_ci(text, "/create", at).is_some() || find_ci(text, "/change", at).is_some() {
            if let Some(s) = find_ci(text, " /s ", at) {
                if let Some(v) = value_at(text, s + 4) {
                    found.push((Method::ScheduledTask, v, "schtasks /s"));
                }
            }
        }
    }
    found
}

fn cmdlet_label(cmdlet: &str) -> &'static str {
    match cmdlet {
        "invoke-wmimethod" => "Invoke-WmiMethod -ComputerName",
        "invoke-cimmethod" => "Invoke-CimMethod -ComputerName",
        "set-wmiinstance" => "Set-WmiInstance -ComputerName",
        "new-cimsession" => "New-CimSession -ComputerName",
        "enter-pssession" => "Enter-PSSession -ComputerName",
        "invoke-command" => "Invoke-Command -ComputerName",
        _ => "New-PSSession -ComputerName",
    }
}

/// Whether a text can name a remote target at all: one cheap pass over
/// every command line and script block before [`targets`] reads the few
/// that can.
fn may_name_targets(text: &str) -> bool {
    static MARKERS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([
                "/node:",
                "-computername",
                "-cn ",
                "computername=",
                "gettypefrom",
                "\\\\",
                " /s ",
                "enter-pssession",
                "name=\"computername\"",
            ])
            .ok()
    });
    match &*MARKERS {
        Some(markers) => markers.is_match(text),
        // The automaton of fixed words always builds; if it did not, every
        // text is read in full rather than none.
        None => true,
    }
}

/// The remote commands of a process start (4688, Sysmon 1) or a PowerShell
/// script block (4104) or pipeline (4103) on `host`.
pub fn read(
    event: &Event,
    host: &str,
    time: DateTime<Utc>,
    field: &str,
    out: &mut Vec<RemoteCommand>,
) {
    let Some(command) = text(event, field).filter(|t| may_name_targets(t)) else {
        return;
    };
    let account = text(event, "SubjectUserName")
        .and_then(|n| names::account(text(event, "SubjectDomainName"), n))
        .or_else(|| text(event, "User").and_then(|u| names::account(None, u)));
    let start = out.len();
    for (method, target, how) in targets(command) {
        let Some(target) = names::host_name(target) else {
            continue;
        };
        let repeated = out[start..]
            .iter()
            .any(|c| c.target == target && c.method == method);
        if target == host || repeated {
            continue;
        }
        out.push(RemoteCommand {
            time,
            host: host.to_string(),
            target,
            method,
            account: account.clone(),
            how,
            event: EventRef::of(event),
        });
    }
}

/// WinRM/Operational 6 on the client: "Creating WSMan Session. The connection
/// string is: HOST/wsman?PSVersion=…".
pub fn winrm_session(event: &Event, host: &str, time: DateTime<Utc>) -> Option<RemoteCommand> {
    let connection = text(event, "connection").or_else(|| text(event, "Connection"))?;
    let name = connection
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let name = name.split(['/', ':']).next().unwrap_or(name);
    let target = names::host_name(name).filter(|t| t != host)?;
    Some(RemoteCommand {
        time,
        host: host.to_string(),
        target,
        method: Method::Winrm,
        account: None,
        how: "WinRM client session (WinRM/Operational 6)",
        event: EventRef::of(event),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_read_from_commands_and_scripts() {
        let t = targets("wmic /node:\"fs-02\" process call create \"cmd.exe /c whoami\"");
        assert_eq!(t, vec![(Method::Wmi, "fs-02", "wmic /node:")]);
        let t = targets("Invoke-WmiMethod -Class Win32_Process -Name Create -ArgumentList calc.exe -ComputerName 10.0.0.7");
        assert_eq!(t[0].0, Method::Wmi);
        assert_eq!(t[0].1, "10.0.0.7");
        let t = targets("Invoke-Command -ComputerName dc01 -ScriptBlock { whoami }");
        assert_eq!((t[0].0, t[0].1), (Method::Winrm, "dc01"));
        let t = targets("Enter-PSSession srv-3");
        assert_eq!((t[0].0, t[0].1), (Method::Winrm, "srv-3"));
        let t = targets("$c = [activator]::CreateInstance([type]::GetTypeFromProgID(\"MMC20.Application\",\"10.1.1.2\"))");
        assert_eq!((t[0].0, t[0].1), (Method::Dcom, "10.1.1.2"));
        let t = targets("SharpWMI.exe action=exec computername=ws-7 command=\"calc\"");
        assert_eq!((t[0].0, t[0].1), (Method::Wmi, "ws-7"));
        let t = targets("CommandInvocation(Invoke-Command): \"Invoke-Command\"\nParameterBinding(Invoke-Command): name=\"ComputerName\"; value=\"app-2\"\nParameterBinding(Invoke-Command): name=\"ScriptBlock\"; value=\"whoami\"");
        assert_eq!((t[0].0, t[0].1), (Method::Winrm, "app-2"));
        let t = targets("PsExec.exe \\\\fs-01 -s cmd.exe");
        assert_eq!((t[0].0, t[0].1), (Method::Service, "fs-01"));
        let t = targets("schtasks /create /s app-1 /tn x /tr calc /sc once");
        assert_eq!((t[0].0, t[0].1), (Method::ScheduledTask, "app-1"));
        // A variable is no target; neither is the local machine.
        assert!(targets("Invoke-Command -ComputerName $target -ScriptBlock {}").is_empty());
        assert!(targets("wmic /node:localhost os get").is_empty());
        assert!(targets("wmic process list /FORMAT:\"https://x/y.xsl\"").is_empty());
    }

    #[test]
    fn damaged_text_never_panics() {
        let mut state: u64 = 0x9e3779b97f4a7c15;
        let pieces = [
            "/node:",
            "-ComputerName",
            "Invoke-Command",
            "GetTypeFromProgID(",
            ",",
            "\"",
            "\\\\",
            " /s ",
            "schtasks /create",
            "é",
            "computername=",
            "action=",
            " ",
            "x",
        ];
        for _ in 0..5000 {
            let mut s = String::new();
            for _ in 0..8 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                s.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            let _ = targets(&s);
        }
    }
}
