//! Servers: users and services reaching them over the network, their own
//! server software, and administrators at work (RDP, PowerShell, checks).

use rand::Rng;

use super::{housekeeping, system_process, Hour};
use crate::activity::{Launch, Logon, Scene};
use crate::clock::{HOUR, MINUTE, SECOND};
use crate::estate::{Account, Role};
use crate::internet::{self, SIP_TRUNK};
use crate::random;

/// Where administrators connect from: the admins' VPN pool.
pub(crate) const ADMIN_VPN: &str = "10.20.250.";

pub(super) fn activity(scene: &mut Scene, hour: &Hour) {
    let admin_chance = if hour.office { 3 } else { 0 };
    let roll = scene.rng.random_range(0..100);
    match scene.host.role {
        Role::AppServer | Role::ApiServer if roll < 35 => web(scene, hour),
        Role::Telephony if roll < 35 => calls(scene, hour),
        Role::DatabaseServer if roll < 25 => sql_client(scene, hour),
        _ if roll < 60 => network_logon(scene, hour),
        _ if roll < 60 + admin_chance => admin(scene, hour),
        _ if roll < 85 => system_process(scene, hour),
        _ => housekeeping(scene, hour),
    }
}

/// A user, service or machine authenticating to this server (type 3).
fn network_logon(scene: &mut Scene, hour: &Hour) {
    let estate = scene.estate;
    let clients: Vec<&crate::estate::Host> = match scene.host.role {
        Role::DatabaseServer => estate
            .hosts
            .iter()
            .filter(|h| matches!(h.role, Role::AppServer | Role::ApiServer))
            .collect(),
        _ => estate
            .hosts
            .iter()
            .filter(|h| h.name != scene.host.name)
            .collect(),
    };
    let client = *random::pick(scene.rng, &clients);
    let account = match (scene.host.role, &client.user) {
        (Role::DatabaseServer, _) => estate.portal_service.clone(),
        (_, Some(user)) if scene.rng.random_bool(0.7) => user.clone(),
        _ => client.machine.clone(),
    };
    let t = scene.moment(hour.start, HOUR - MINUTE);
    let after = scene.rng.random_range(SECOND..50 * SECOND);
    let (ip, name) = (client.ip.clone(), client.name.clone());
    scene.logon(
        t,
        &Logon {
            account: &account,
            logon_type: 3,
            source_ip: &ip,
            source_workstation: &name,
            privileged: false,
            logoff_after: Some(after),
        },
    );
    if scene.host.role == Role::DomainController && scene.rng.random_bool(0.05) {
        let ws = scene.host.name.clone();
        scene.failed_logon(t + SECOND, &account, 3, &ip, &ws);
    }
}

/// Patients reaching the portal or the video API from the internet, and the
/// application's worker querying the database.
fn web(scene: &mut Scene, hour: &Hour) {
    let pool = if scene.host.role == Role::AppServer {
        "PatientPortal"
    } else {
        "ConsultApi"
    };
    let t = scene.moment(hour.start, HOUR - MINUTE);
    for _ in 0..scene.rng.random_range(2..6) {
        let patient = internet::patient_ip(scene.rng);
        let video = scene.host.role == Role::ApiServer && scene.rng.random_bool(0.3);
        let (up, down) = if video {
            (
                scene.rng.random_range(30_000_000..200_000_000),
                scene.rng.random_range(30_000_000..200_000_000),
            )
        } else {
            (
                scene.rng.random_range(800..20_000),
                scene.rng.random_range(5_000..900_000),
            )
        };
        let start = scene.moment(t, MINUTE);
        let duration = scene
            .rng
            .random_range(SECOND..(if video { 40 * MINUTE } else { 2 * MINUTE }));
        let ip = scene.host.ip.clone();
        let flow = crate::network::Flow::new(
            scene.rng, start, &patient, &ip, 443, "ssl", up, down, duration,
        );
        scene.out.flows.push(flow);
    }
    let account = scene.estate.portal_service.clone();
    let w3wp = scene.existing(
        "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
        &format!("c:\\windows\\system32\\inetsrv\\w3wp.exe -ap \"{pool}\" -v \"v4.0\" -l \"webengine4.dll\""),
        &account,
    );
    let db = scene.estate.first(Role::DatabaseServer);
    let (ip, name) = (db.ip.clone(), db.fqdn());
    let up = scene.rng.random_range(1_000..40_000);
    let down = scene.rng.random_range(2_000..900_000);
    scene.connect(t, &w3wp, &ip, &name, 1433, "-", up, down, 200_000);
}

fn calls(scene: &mut Scene, hour: &Hour) {
    let t = scene.moment(hour.start, HOUR - 5 * MINUTE);
    let system = scene.estate.system.clone();
    let pbx = scene.existing(
        "C:\\Program Files\\VoiceGate\\voicegate.exe",
        "\"C:\\Program Files\\VoiceGate\\voicegate.exe\" --service",
        &system,
    );
    let length = scene.rng.random_range(30 * SECOND..15 * MINUTE);
    let media = length / SECOND * 8_000;
    scene.connect(
        t,
        &pbx,
        SIP_TRUNK.ip,
        SIP_TRUNK.name,
        5061,
        "ssl",
        6_000,
        7_000,
        length,
    );
    let ip = scene.host.ip.clone();
    let port = 20_000 + scene.rng.random_range(0..10_000);
    let flow = crate::network::Flow::new(
        scene.rng,
        t + 2 * SECOND,
        &ip,
        SIP_TRUNK.ip,
        port,
        "rtp",
        media as u64,
        media as u64,
        length,
    );
    scene.out.flows.push(flow);
}

/// The SQL Server's own helpers.
fn sql_client(scene: &mut Scene, hour: &Hour) {
    let account = scene.estate.sql_service.clone();
    let sql = scene.existing("C:\\Program Files\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe", "\"C:\\Program Files\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe\" -sMSSQLSERVER", &account);
    let t = scene.moment(hour.start, HOUR);
    let path = format!(
        "D:\\SQLData\\Log\\PatientRecords_{}.trn",
        random::hex(scene.rng, 6)
    );
    scene.file(t, &sql, &path);
}

/// An administrator logs on over RDP and checks on the server: the look-alikes
/// of an intruder with stolen credentials, minus what an intruder does next.
fn admin(scene: &mut Scene, hour: &Hour) {
    let admin: Account = random::pick(scene.rng, &scene.estate.admins).clone();
    let t = scene.moment(hour.start, HOUR - 20 * MINUTE);
    let ip = format!("{ADMIN_VPN}{}", scene.rng.random_range(10..40));
    let laptop = format!("NB-IT-{:02}", scene.rng.random_range(1..4));
    let session = scene.rng.random_range(10 * MINUTE..19 * MINUTE);
    let logon_id = scene.logon(
        t,
        &Logon {
            account: &admin,
            logon_type: 10,
            source_ip: &ip,
            source_workstation: &laptop,
            privileged: true,
            logoff_after: Some(session),
        },
    );
    let explorer = scene.existing(
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\Explorer.EXE",
        &admin,
    );
    let mut t = t + 20 * SECOND;
    let powershell = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
    let checks: &[(&str, &str)] = match scene.host.role {
        Role::DomainController => &[
            ("-NoProfile -Command \"Get-ADUser -Filter 'Enabled -eq $true' -Properties LastLogonDate | Sort-Object LastLogonDate | Select-Object -First 20\"", "Get-ADUser -Filter 'Enabled -eq $true' -Properties LastLogonDate | Sort-Object LastLogonDate | Select-Object -First 20"),
            ("-NoProfile -Command \"Get-ADGroupMember -Identity 'Praxis-Aerzte'\"", "Get-ADGroupMember -Identity 'Praxis-Aerzte'"),
            ("-NoProfile -Command \"repadmin /replsummary\"", "repadmin /replsummary"),
        ],
        Role::FileServer | Role::DatabaseServer | Role::BackupServer => &[
            ("-NoProfile -ExecutionPolicy Bypass -Command \"Get-Service | Where-Object {$_.Status -eq 'Stopped' -and $_.StartType -eq 'Automatic'}\"", "Get-Service | Where-Object {$_.Status -eq 'Stopped' -and $_.StartType -eq 'Automatic'}"),
            ("-NoProfile -Command \"Get-Volume | Format-Table -AutoSize\"", "Get-Volume | Format-Table -AutoSize"),
            ("-NoProfile -Command \"Get-WinEvent -LogName System -MaxEvents 50\"", "Get-WinEvent -LogName System -MaxEvents 50"),
        ],
        _ => &[
            ("-NoProfile -Command \"Get-Service W3SVC,WAS | Restart-Service -WhatIf\"", "Get-Service W3SVC,WAS | Restart-Service -WhatIf"),
            ("-NoProfile -Command \"Get-ChildItem C:\\inetpub\\logs\\LogFiles -Recurse | Measure-Object -Property Length -Sum\"", "Get-ChildItem C:\\inetpub\\logs\\LogFiles -Recurse | Measure-Object -Property Length -Sum"),
        ],
    };
    let &(arguments, script) = random::pick(scene.rng, checks);
    let directory = format!("C:\\Users\\{}\\", admin.name);
    scene.launch(
        t,
        &Launch {
            image: powershell,
            command_line: format!("\"{powershell}\" {arguments}"),
            parent: &explorer,
            user: &admin,
            logon_id: &logon_id,
            integrity: "High",
            current_directory: &directory,
            original_file_name: Some("PowerShell.EXE"),
        },
    );
    scene.script_block(t + SECOND, script, "");
    t += scene.pause();
    if matches!(
        scene.host.role,
        Role::FileServer | Role::DatabaseServer | Role::BackupServer
    ) {
        let cmd = scene.launch(
            t,
            &Launch {
                image: "C:\\Windows\\System32\\cmd.exe",
                command_line: "\"C:\\Windows\\system32\\cmd.exe\"".into(),
                parent: &explorer,
                user: &admin,
                logon_id: &logon_id,
                integrity: "High",
                current_directory: &directory,
                original_file_name: Some("Cmd.Exe"),
            },
        );
        let check = random::pick(
            scene.rng,
            &[
                "vssadmin list shadows",
                "vssadmin list shadowstorage",
                "wbadmin get versions",
                "sc query SVAgent",
                "net use",
            ],
        );
        let image = match check.split(' ').next() {
            Some("vssadmin") => "C:\\Windows\\System32\\vssadmin.exe",
            Some("wbadmin") => "C:\\Windows\\System32\\wbadmin.exe",
            Some("sc") => "C:\\Windows\\System32\\sc.exe",
            _ => "C:\\Windows\\System32\\net.exe",
        };
        let later = t + scene.rng.random_range(5 * SECOND..40 * SECOND);
        scene.launch(
            later,
            &Launch {
                image,
                command_line: check.to_string(),
                parent: &cmd,
                user: &admin,
                logon_id: &logon_id,
                integrity: "High",
                current_directory: &directory,
                original_file_name: None,
            },
        );
    }
}
