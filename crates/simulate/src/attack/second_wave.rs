//! The second wave: backups and recovery taken away, a locker pushed to more
//! hosts, files encrypted and ransom notes left.

use rand::Rng;

use super::first_wave::{psexec, rdp, run_as};
use super::Attacker;
use crate::activity::Proc;
use crate::clock::{Micros, MINUTE, SECOND};
use crate::estate::Role;
use crate::random;

const CMD: &str = "C:\\Windows\\System32\\cmd.exe";
/// The ransom note's file name.
const NOTE: &str = "HOW_TO_RESTORE_FILES.txt";

pub(super) fn run(a: &mut Attacker) {
    let fs = a.host(Role::FileServer);
    let db = a.host(Role::DatabaseServer);
    let t = a.second;
    let (explorer, _) = rdp(a, fs, t);
    let extension = *random::pick(&mut a.rng, &["locked", "encrypted", "crypt"]);
    let locker = format!("{}.exe", random::letters(&mut a.rng, 7));

    let mut s = a.on(fs);
    let cmd = run_as(
        &mut s,
        t + 3 * MINUTE,
        CMD,
        format!("\"{CMD}\""),
        &explorer,
        "High",
    );
    let stop = t + 4 * MINUTE;
    run_as(
        &mut s,
        stop,
        "C:\\Windows\\System32\\net.exe",
        "net stop \"SafeVault Agent\" /y".into(),
        &cmd,
        "High",
    );
    s.service_state(stop + 3 * SECOND, "SafeVault Agent", "stopped");
    run_as(
        &mut s,
        stop + 20 * SECOND,
        "C:\\Windows\\System32\\sc.exe",
        "sc config SVAgent start= disabled".into(),
        &cmd,
        "High",
    );
    let vss = t + 6 * MINUTE;
    run_as(
        &mut s,
        vss,
        "C:\\Windows\\System32\\vssadmin.exe",
        "vssadmin delete shadows /all /quiet".into(),
        &cmd,
        "High",
    );
    run_as(
        &mut s,
        vss + 30 * SECOND,
        "C:\\Windows\\System32\\wbem\\WMIC.exe",
        "wmic shadowcopy delete /nointeractive".into(),
        &cmd,
        "High",
    );
    let boot = t + 7 * MINUTE;
    run_as(
        &mut s,
        boot,
        "C:\\Windows\\System32\\bcdedit.exe",
        "bcdedit /set {default} recoveryenabled no".into(),
        &cmd,
        "High",
    );
    run_as(
        &mut s,
        boot + 10 * SECOND,
        "C:\\Windows\\System32\\bcdedit.exe",
        "bcdedit /set {default} bootstatuspolicy ignoreallfailures".into(),
        &cmd,
        "High",
    );
    let catalog = boot + 40 * SECOND;
    run_as(
        &mut s,
        catalog,
        "C:\\Windows\\System32\\wbadmin.exe",
        "wbadmin delete catalog -quiet".into(),
        &cmd,
        "High",
    );
    a.step(
        "stop_backup_services",
        fs,
        stop,
        "T1489",
        "stopped and disabled the backup agent".into(),
    );
    a.step(
        "shadow_copy_deletion",
        fs,
        vss,
        "T1490",
        "deleted all volume shadow copies (vssadmin, wmic)".into(),
    );
    a.step(
        "recovery_disabled",
        fs,
        boot,
        "T1490",
        "disabled Windows recovery with bcdedit".into(),
    );
    a.step(
        "backup_catalog_deletion",
        fs,
        catalog,
        "T1490",
        "deleted the Windows Server Backup catalog".into(),
    );

    // The locker is pushed to the database server and two workstations.
    let pz = a.patient_zero;
    let doctors: Vec<usize> = (0..a.estate.hosts.len())
        .filter(|&i| i != pz && a.estate.hosts[i].role == Role::DoctorWorkstation)
        .collect();
    let agents: Vec<usize> = (0..a.estate.hosts.len())
        .filter(|&i| a.estate.hosts[i].role == Role::CallCentreWorkstation)
        .collect();
    let targets = [
        db,
        *random::pick(&mut a.rng, &doctors),
        *random::pick(&mut a.rng, &agents),
    ];
    let mut push = t + 10 * MINUTE;
    let staged = format!("C:\\ProgramData\\Intel\\{locker}");
    for &target in &targets {
        let service = psexec(
            a,
            fs,
            target,
            push,
            &cmd,
            &format!("-d -c {staged} -path all"),
        );
        let mut s = a.on(target);
        let image = format!("C:\\Windows\\{locker}");
        let run = run_as(
            &mut s,
            push + 3 * SECOND,
            &image,
            format!("{image} -path all"),
            &service,
            "System",
        );
        encrypt(a, target, &run, push + 5 * SECOND, extension, true);
        push += a.rng.random_range(MINUTE..3 * MINUTE);
    }
    let mut s = a.on(fs);
    let local = run_as(
        &mut s,
        push,
        &staged,
        format!("{staged} -path all"),
        &cmd,
        "High",
    );
    encrypt(a, fs, &local, push + 2 * SECOND, extension, false);
    let mut encrypted: Vec<String> = targets
        .iter()
        .chain([&fs])
        .map(|&h| a.estate.hosts[h].name.clone())
        .collect();
    encrypted.sort();
    a.encrypted = encrypted;
}

/// The locker at work on one host: shadow copies gone, then files rewritten
/// with the new extension and a note in every folder it went through.
fn encrypt(
    a: &mut Attacker,
    host: usize,
    locker: &Proc,
    t: Micros,
    extension: &str,
    delete_shadows: bool,
) {
    let role = a.estate.hosts[host].role;
    let user = a.estate.hosts[host]
        .user
        .as_ref()
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let mut s = a.on(host);
    let mut at = t;
    if delete_shadows {
        let cmd = run_as(
            &mut s,
            at,
            CMD,
            "cmd.exe /c vssadmin delete shadows /all /quiet".into(),
            locker,
            "System",
        );
        run_as(
            &mut s,
            at + SECOND,
            "C:\\Windows\\System32\\vssadmin.exe",
            "vssadmin delete shadows /all /quiet".into(),
            &cmd,
            "System",
        );
        at += 20 * SECOND;
    }
    let (folders, per_folder): (Vec<String>, usize) = match role {
        Role::FileServer => (
            (0..24)
                .map(|i| format!("D:\\Patients\\{}", patient_folder(&mut s, i)))
                .collect(),
            14,
        ),
        Role::DatabaseServer => (
            vec![
                "D:\\SQLData".into(),
                "D:\\SQLData\\Log".into(),
                "D:\\SQLBackup".into(),
                "C:\\Users\\Public\\Documents".into(),
            ],
            12,
        ),
        _ => (
            ["Documents", "Desktop", "Downloads", "Pictures"]
                .iter()
                .map(|f| format!("C:\\Users\\{user}\\{f}"))
                .collect(),
            14,
        ),
    };
    let first = at;
    for folder in &folders {
        for _ in 0..per_folder {
            let name = document_name(&mut s, role);
            s.file(at, locker, &format!("{folder}\\{name}.{extension}"));
            at += s.rng.random_range(200_000..3 * SECOND);
        }
        s.file(at, locker, &format!("{folder}\\{NOTE}"));
        at += s.rng.random_range(100_000..SECOND);
    }
    let name = a.estate.hosts[host].name.clone();
    if delete_shadows {
        a.step(
            "shadow_copy_deletion",
            host,
            t,
            "T1490",
            format!("the locker deleted the shadow copies on {name}"),
        );
    }
    a.step(
        "encryption",
        host,
        first,
        "T1486",
        format!(
            "files on {name} encrypted to .{extension}, ransom note {NOTE} left in each folder"
        ),
    );
}

fn patient_folder(s: &mut crate::activity::Scene, i: usize) -> String {
    const NAMES: &[&str] = &[
        "Ammann", "Bachmann", "Christen", "Egli", "Fuchs", "Hofer", "Imhof", "Jaeggi", "Koch",
        "Lang", "Meister", "Nussbaum",
    ];
    format!(
        "{}_{}{}",
        random::pick(s.rng, NAMES),
        s.rng.random_range(1940..2020),
        i
    )
}

fn document_name(s: &mut crate::activity::Scene, role: Role) -> String {
    let n = s.rng.random_range(1000..99999);
    match role {
        Role::DatabaseServer => format!(
            "{}_{n}.{}",
            random::pick(s.rng, &["PatientRecords", "Billing", "Appointments"]),
            random::pick(s.rng, &["mdf", "ldf", "bak"])
        ),
        _ => format!(
            "{}_{n}.{}",
            random::pick(
                s.rng,
                &["Befund", "Arztbrief", "Roentgen", "Labor", "Rezept"]
            ),
            random::pick(s.rng, &["pdf", "docx", "jpg", "xlsx"])
        ),
    }
}
