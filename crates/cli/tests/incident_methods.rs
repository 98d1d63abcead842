//! Lateral-movement methods named from real recordings: `vigil incidents`
//! over one lab recording where its detections make an incident, and the
//! hops the events show (`vigil_incident::hops`) where they do not. Each
//! test says what was read in the events by hand. Methods no recording
//! shows (a modified task, WinRM, DCOM through ShellWindows, a bare copy
//! and run) are tested on fixtures in the incident crate.

mod common;

use std::path::Path;

use serde_json::Value;
use vigil_incident::{hops, Edge, Facts, Method};

const LATERAL: &str = "corpus/evtx/EVTX-to-MITRE-Attack/TA0008-Lateral Movement";
const EXECUTION: &str = "corpus/evtx/EVTX-to-MITRE-Attack/TA0002-Execution";
const APT: &str = "corpus/evtx/EVTX-to-MITRE-Attack/EVTX_full_APT_attack_steps";

fn real_incident_in(folder: &str, file: &str, extra: &[&str]) -> Option<Value> {
    common::incidents_of_recording(folder, file, extra)
}

/// Every hop the events of these recordings under `folder` show, read the
/// way `vigil incidents` reads them (one `Facts` per file, merged).
fn hops_in(folder: &str, files: &[&str]) -> Option<Vec<Edge>> {
    let dir = vigil_testdata::shared_dir(folder)?;
    let mut facts = Facts::new();
    for file in files {
        facts.merge(facts_of(&dir.join(file)));
    }
    Some(hops(&facts, None))
}

fn facts_of(path: &Path) -> Facts {
    let (inputs, _) = vigil_sources::discover(&[path.to_path_buf()]);
    assert_eq!(inputs.len(), 1, "{} is readable", path.display());
    let mut facts = Facts::new();
    vigil_sources::read_file(&inputs[0], &mut |e| facts.observe(&e, &[]), &mut |_| {})
        .expect("read");
    facts
}

fn records(edge: &Value) -> Vec<u64> {
    edge["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["record"].as_u64())
        .collect()
}

fn edge_records(edge: &Edge) -> Vec<u64> {
    edge.events.iter().filter_map(|e| e.record).collect()
}

/// DCOM through MMC20.Application against SRVDEFENDER01. Read in the
/// events: 4624 type 3 (NTLM) of OFFSEC\admmig from 10.23.123.11 opening
/// session 0x542957e (record 471788), then 4688 (record 471790) of
/// `C:\Windows\system32\mmc.exe -Embedding`, parent svchost.exe, whose
/// TargetLogonId is that session. So: a dcom hop 10.23.123.11 →
/// SRVDEFENDER01 as admmig, proved by those two records.
#[test]
fn mmc20_dcom_is_named_from_the_target() {
    let Some(report) = real_incident_in(
        LATERAL,
        "T1021.003-Distributed Component Object Model (DCOM)/ID4688,4674-DCOMexec process spawned.evtx",
        &[],
    ) else {
        return;
    };
    let hop = &report["incidents"][0]["lateral_movement"][0];
    assert_eq!(hop["from"], "10.23.123.11");
    assert_eq!(hop["to"], "SRVDEFENDER01");
    assert_eq!(hop["method"], "dcom");
    assert_eq!(hop["account"], "OFFSEC\\admmig");
    assert_eq!(hop["strong"], true);
    let proof = records(hop);
    assert!(
        proof.contains(&471790) && proof.contains(&471788),
        "{proof:?}"
    );
    assert!(hop["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e.as_str().unwrap().contains("mmc.exe -Embedding")));
}

/// The source side of DCOM: PowerShell on JUMP01. Read in the events:
/// 4104 (record 8748532) with ScriptBlockText
/// `[System.Activator]::CreateInstance([type]::GetTypeFromProgID("MMC20.Application.1","fs01"))`.
/// No detection fires, so there is no incident; the hop JUMP01 → FS01 by
/// dcom is there, with no account (a script block names none).
#[test]
fn dcom_activation_in_powershell_names_the_target() {
    let Some(edges) = hops_in(
        LATERAL,
        &["T1021.003-Distributed Component Object Model (DCOM)/ID4103,4104-DCOMexec native via PowerShell.evtx"],
    ) else {
        return;
    };
    assert_eq!(edges.len(), 1, "{edges:?}");
    let hop = &edges[0];
    assert_eq!((hop.from.as_str(), hop.to.as_str()), ("JUMP01", "FS01"));
    assert_eq!(hop.method, Method::Dcom);
    assert_eq!(hop.account, None);
    assert_eq!(edge_records(hop), vec![8748532]);
    assert!(
        hop.evidence[0].starts_with("JUMP01: "),
        "{:?}",
        hop.evidence
    );
}

/// Impacket wmiexec against SRVDEFENDER01 (Windows 10-era 4688). Read in
/// the events: five 4624 type 3 of OFFSEC\admmig from 10.23.123.11, the
/// last (record 463008) opening session 0x4da32af; 4688 (record 463010)
/// `cmd.exe /Q /c cd \ 1> \\127.0.0.1\ADMIN$\__1619425227.894209 2>&1`,
/// parent `C:\Windows\System32\wbem\WmiPrvSE.exe`, TargetLogonId 0x4da32af;
/// then the output file read over ADMIN$ from 10.23.123.11 (5140/5145).
/// So: a wmi hop 10.23.123.11 → SRVDEFENDER01 as admmig.
#[test]
fn wmiexec_is_named_from_wmiprvse_and_the_session() {
    let Some(report) = real_incident_in(
        APT,
        "ID4688,5140,5145-WMIexec execution via SMB (GLOBAL).evtx",
        &[],
    ) else {
        return;
    };
    let movement = report["incidents"][0]["lateral_movement"]
        .as_array()
        .unwrap();
    assert_eq!(movement.len(), 1);
    let hop = &movement[0];
    assert_eq!(hop["from"], "10.23.123.11");
    assert_eq!(hop["to"], "SRVDEFENDER01");
    assert_eq!(hop["method"], "wmi");
    assert_eq!(hop["account"], "OFFSEC\\admmig");
    let proof = records(hop);
    assert!(
        proof.contains(&463010) && proof.contains(&463008),
        "{proof:?}"
    );
}

/// Impacket wmiexec against FS03VULN, whose 4688 (older Windows) names no
/// parent and no new session. Read in the events: 4688 (record 436755)
/// `cmd.exe /Q /c cd \ 1> \\127.0.0.1\ADMIN$\__1619090610.0007844 2>&1`
/// created by FS03VULN$ in session 0x3e4 (NETWORK SERVICE, WmiPrvSE's);
/// the same file read over ADMIN$ (5145, record 436759) by admmig from
/// 10.23.123.11 in session 0x189f3b, whose 4624 type 3 (record 436742)
/// came from 10.23.123.11. Earlier logons of admmig from 10.23.23.9 are
/// file browsing. So: a wmi hop 10.23.123.11 → FS03VULN as admmig.
#[test]
fn wmiexec_without_a_parent_is_found_through_its_output_file() {
    let Some(report) = real_incident_in(
        EXECUTION,
        "T1047-Windows Management Instrumentation/ID4688-5145-WMIexec execution via SMB.evtx",
        &[],
    ) else {
        return;
    };
    let movement = report["incidents"][0]["lateral_movement"]
        .as_array()
        .unwrap();
    let wmi: Vec<&Value> = movement.iter().filter(|h| h["method"] == "wmi").collect();
    assert_eq!(wmi.len(), 1, "{movement:?}");
    assert_eq!(wmi[0]["from"], "10.23.123.11");
    assert_eq!(wmi[0]["to"], "FS03VULN");
    assert_eq!(wmi[0]["account"], "OFFSEC\\admmig");
    assert!(records(wmi[0]).contains(&436755));
}

/// Sysmon-only WMI recordings with neither logon nor source. Read in the
/// events: FS03VULN, Sysmon 1 (record 44867) powershell started by
/// `wmiprvse.exe -secured -Embedding` as OFFSEC\admmig in session
/// 0x35d1aad (WMImplant); FS02, Sysmon 1 (record 191969) of an
/// `execute.bat` as SYSTEM. No 4624 says where either came from, so no
/// hop is drawn: a hop needs a source.
#[test]
fn wmi_children_without_a_logon_give_no_hop() {
    let Some(edges) = hops_in(
        EXECUTION,
        &[
            "T1047-Windows Management Instrumentation/ID1-WMI spwaning PowerShell process - WMImplant.evtx",
            "T1047-Windows Management Instrumentation/ID1-WMIexec process execution.evtx",
        ],
    ) else {
        return;
    };
    assert!(edges.is_empty(), "{edges:?}");
}

/// PsExec against SRVDEFENDER01. Read in the events: 4624 type 3 of
/// OFFSEC\admmig from 10.23.42.22, PSEXESVC.exe written to ADMIN$ (5145
/// with WriteData), 4697 installing `%SystemRoot%\PSEXESVC.exe` and 4688
/// starting `C:\Windows\PSEXESVC.exe`. So: one service hop whose evidence
/// also names the copy and its run (smb_copy).
#[test]
fn psexec_is_a_service_hop_with_the_copy_in_its_evidence() {
    let Some(report) = real_incident_in(
        LATERAL,
        "T1021.002-SMB Windows Admin Shares/ID4688,4697,5140-5145 PSexec remote execution + admin share.evtx",
        &[],
    ) else {
        return;
    };
    let movement = report["incidents"][0]["lateral_movement"]
        .as_array()
        .unwrap();
    assert_eq!(movement.len(), 1);
    let hop = &movement[0];
    assert_eq!(hop["method"], "service");
    assert_eq!(hop["from"], "10.23.42.22");
    assert_eq!(hop["account"], "OFFSEC\\admmig");
    let evidence: Vec<&str> = hop["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        evidence
            .iter()
            .any(|e| e.contains("PSEXESVC.exe written to \\\\*\\ADMIN$")
                && e.contains("then started"))
    );
    assert!(evidence
        .iter()
        .any(|e| e.contains("then installed as a service")));
}

/// The service control pipe alone. `ID5145-remote shell execution via SMB
/// admin share`: 5145 (record 354575) by OFFSEC\admmig from 10.23.123.11
/// on IPC$ `svcctl`, after reading ADMIN$\System32\...\powershell.exe;
/// no service install is recorded. Empire's Find-LocalAdminAccess (Mordor
/// discovery recording, NXLog JSON) opens the same pipe on MORDORDC from
/// WORKSTATION5 (172.18.39.5) as THESHIRE\pgustavo only to test admin
/// rights (OpenSCManager). Neither shows a service running, so both are
/// `smb` hops, not remote execution: a recon sweep must not pull every
/// probed host into an incident.
#[test]
fn the_service_control_pipe_alone_is_not_remote_execution() {
    let Some(edges) = hops_in(
        LATERAL,
        &["T1021.002-SMB Windows Admin Shares/ID5145-remote shell execution via SMB admin share.evtx"],
    ) else {
        return;
    };
    assert_eq!(edges.len(), 1, "{edges:?}");
    let hop = &edges[0];
    assert_eq!(
        (hop.from.as_str(), hop.to.as_str()),
        ("10.23.123.11", "SRVDEFENDER01")
    );
    assert_eq!(hop.method, Method::Smb);
    assert!(!hop.strong);
    assert_eq!(hop.account.as_deref(), Some("OFFSEC\\admmig"));
    assert!(edge_records(hop).contains(&354575));

    let Some(edges) = hops_in(
        "corpus/mordor",
        &["discovery/empire_find_localadmin_smb_svcctl_OpenSCManager_2020-09-22021559.json.gz"],
    ) else {
        return;
    };
    let probe = edges
        .iter()
        .find(|e| e.to == "MORDORDC" && e.evidence.iter().any(|n| n.contains("svcctl")))
        .expect("the probe of MORDORDC");
    assert_eq!(probe.from, "WORKSTATION5");
    assert_eq!(probe.account.as_deref(), Some("THESHIRE\\pgustavo"));
    assert!(!probe.strong, "{probe:?}");
}

/// Services installed with only the target's System/Security logs and no
/// logon: SMBexec on ROOTDC1 (7045 and 4697 of BTOBTO, `%COMSPEC% /Q /c
/// echo cd ^> \\127.0.0.1\C$\__output ...`, by admmig in session
/// 0x2cff42b44 whose 4624 is not in the file) and Metasploit's psexec on
/// IE10WIN7 (7045 `%SYSTEMROOT%\duKhLYUX.exe`, 4688 of it as SYSTEM). The
/// incident is on the target alone: nothing says where the attacker was.
#[test]
fn a_service_without_its_logon_gives_the_target_only() {
    let Some(report) = real_incident_in(
        "corpus/evtx/EVTX-to-MITRE-Attack/TA0003-Persistence",
        "T1543.003-Create or Modify System Process-Windows Service/ID7045-4697-SMBexec service registration.evtx",
        &[],
    ) else {
        return;
    };
    let incident = &report["incidents"][0];
    assert_eq!(incident["hosts"][0]["host"], "ROOTDC1");
    assert!(incident["lateral_movement"].as_array().unwrap().is_empty());
    let Some(edges) = hops_in(
        "corpus/evtx/DeepBlueCLI",
        &[
            "metasploit-psexec-native-target-security.evtx",
            "metasploit-psexec-native-target-system.evtx",
        ],
    ) else {
        return;
    };
    assert!(edges.is_empty(), "{edges:?}");
}

/// Impacket atexec against FS01, recorded as two files of one run. Read in
/// the events: 5145 (record 2004847) by OFFSEC\admmig from 10.23.123.11 on
/// IPC$ `atsvc`; 4698 (record 2004852) creating `\bouWFQYO` by admmig; its
/// output read from ADMIN$\Temp\bouWFQYO.tmp. Together: one
/// scheduled_task hop 10.23.123.11 → FS01 with both records. The 4698 file
/// alone has no logon and gives no hop.
#[test]
fn atexec_is_a_scheduled_task_hop() {
    let files = [
        "T1053.005-Scheduled Task/ID5145-Remote schedule task creation (ATexec).evtx",
        "T1053.005-Scheduled Task/ID4698-4699-Fast created & deleted task by ATexec (susp. arg.).evtx",
    ];
    let Some(edges) = hops_in(EXECUTION, &files) else {
        return;
    };
    assert_eq!(edges.len(), 1, "{edges:?}");
    let hop = &edges[0];
    assert_eq!(
        (hop.from.as_str(), hop.to.as_str()),
        ("10.23.123.11", "FS01")
    );
    assert_eq!(hop.method, Method::ScheduledTask);
    assert_eq!(hop.account.as_deref(), Some("OFFSEC\\admmig"));
    let proof = edge_records(hop);
    assert!(
        proof.contains(&2004847) && proof.contains(&2004852),
        "{proof:?}"
    );
    let alone = hops_in(EXECUTION, &files[1..]).unwrap();
    assert!(alone.is_empty(), "{alone:?}");
}

/// RDP session hijack on FS01 (`tscon 2 /dest:rdp-tcp#8` as SYSTEM). Read
/// in the events: 4779 of admmig's session from JUMP01 (10.23.23.9), then
/// 4778 (record 1829819): OFFSEC\admmarsid's session reconnected to
/// RDP-Tcp#8 from client JUMP01 at 10.23.23.9. So: an rdp hop JUMP01 →
/// FS01 into admmarsid's desktop.
#[test]
fn rdp_hijack_is_an_rdp_hop_into_the_stolen_session() {
    let Some(report) = real_incident_in(
        LATERAL,
        "T1021.001-Remote Desktop Protocol/ID4688,4778,4779 RDP hijack direct.evtx",
        &[],
    ) else {
        return;
    };
    let hop = &report["incidents"][0]["lateral_movement"][0];
    assert_eq!(hop["from"], "JUMP01");
    assert_eq!(hop["to"], "FS01");
    assert_eq!(hop["method"], "rdp");
    assert_eq!(hop["account"], "OFFSEC\\admmarsid");
    assert_eq!(records(hop), vec![1829819]);
}

/// RDP hijack on WEF (Yamato Security). Read in the events: 4697
/// (record 284384) by `user` installing `rdphijack2` running
/// `cmd.exe /k tscon 2 /dest rdp-tcp#14`, then 4778 (record 284453):
/// WINDOMAIN\Administrator's session reconnected to RDP-Tcp#14 from client
/// DESKTOP-RKEBDDR at 192.168.56.1. No detection makes an incident at the
/// default level; the hop DESKTOP-RKEBDDR → WEF by rdp as Administrator is
/// there.
#[test]
fn yamato_rdp_hijack_gives_the_client_as_the_source() {
    let Some(edges) = hops_in(
        "corpus/evtx/YamatoSecurity/LateralMovement",
        &["T1563.002_RDP-Hijacking_Security.evtx"],
    ) else {
        return;
    };
    assert_eq!(edges.len(), 1, "{edges:?}");
    let hop = &edges[0];
    assert_eq!(
        (hop.from.as_str(), hop.to.as_str()),
        ("DESKTOP-RKEBDDR", "WEF")
    );
    assert_eq!(hop.method, Method::Rdp);
    assert_eq!(hop.account.as_deref(), Some("WINDOMAIN\\Administrator"));
}

/// Two Mordor recordings (NXLog JSON) with WMI on one host and no remote
/// use. `wmic_remote_xsl_jscript`: WORKSTATION5, 4688/Sysmon 1 of
/// `wmic process list /FORMAT:"https://…/wmicscript.xsl"` by wardog and
/// calc.exe started by WMIC.exe; no `/node:`. `covenant_persistwmi`:
/// IT001, WMI-Activity 5861 binding CommandLineEventConsumer "Evil
/// Persistence" (a permanent consumer, as SYSTEM) after 4624 type 3
/// "Authz" logons of pgustavo from IT001 itself. Neither shows a WMI hop:
/// the remote XSL is a download, the persistence was set from the host.
#[test]
fn local_wmi_use_in_mordor_recordings_gives_no_wmi_hop() {
    let Some(edges) = hops_in(
        "corpus/mordor",
        &[
            "defense_evasion/wmic_remote_xsl_jscript_2020-10-1802171958.json.gz",
            "persistence/covenant_persistwmi_2019-12-05044734.json.gz",
        ],
    ) else {
        return;
    };
    assert!(!edges.is_empty(), "the recordings have other hops");
    assert!(
        edges.iter().all(|e| e.method != Method::Wmi),
        "{:?}",
        edges
            .iter()
            .filter(|e| e.method == Method::Wmi)
            .collect::<Vec<_>>()
    );
}

/// Windows Event Forwarding in the Mordor lab: HR001 and IT001
/// (`covenant_persistwmi`, NXLog JSON) send their events to the collector
/// ip-172-18-39-102 over WinRM; Sysmon 3 shows
/// `C:\Windows\System32\svchost.exe` connecting to its port 5985. That
/// is a service's WinRM, not a remote shell: no winrm hop, nothing strong.
#[test]
fn event_forwarding_over_winrm_is_no_remote_shell() {
    let Some(edges) = hops_in(
        "corpus/mordor",
        &["persistence/covenant_persistwmi_2019-12-05044734.json.gz"],
    ) else {
        return;
    };
    let forwarding: Vec<&Edge> = edges
        .iter()
        .filter(|e| e.to == "IP-172-18-39-102")
        .collect();
    assert!(!forwarding.is_empty(), "{edges:?}");
    for e in forwarding {
        assert_eq!(e.method, Method::NetworkLogon, "{e:?}");
        assert!(!e.strong);
    }
}
