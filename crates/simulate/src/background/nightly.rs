//! What runs on a schedule: the nightly backup (BK-01 pulling from FS-01 and
//! DB-01 and writing thousands of files), its offsite upload of tens of
//! gigabytes, log archiving, and the odd legitimate service install.

use rand::Rng;

use super::Hour;
use crate::activity::{Caller, Launch, Logon, Proc, Scene};
use crate::clock::{DAY, HOUR, MINUTE, SECOND};
use crate::estate::Role;
use crate::internet::BACKUP_CLOUD;
use crate::random;

const AGENT: &str = "C:\\Program Files\\SafeVault\\Agent\\svagent.exe";
const JOB: &str = "C:\\Program Files\\SafeVault\\Agent\\svjob.exe";

pub(super) fn simulate(scene: &mut Scene, hour: &Hour) {
    match (scene.host.role, hour.of_day) {
        (Role::BackupServer, 1) => backup_job(scene, hour),
        (Role::BackupServer, 3 | 4) => offsite_upload(scene, hour),
        (Role::FileServer | Role::DatabaseServer, 1) => backup_source(scene, hour),
        (Role::AppServer | Role::ApiServer, 0) => archive_logs(scene, hour),
        (Role::DatabaseServer | Role::AppServer, 14) if (hour.start / DAY) % 7 == 2 => {
            agent_update(scene, hour)
        }
        _ => {}
    }
}

fn agent(scene: &mut Scene) -> Proc {
    let account = scene.estate.backup_service.clone();
    scene.existing(AGENT, &format!("\"{AGENT}\" --service"), &account)
}

/// BK-01 pulls the night's data and writes it to its repository.
fn backup_job(scene: &mut Scene, hour: &Hour) {
    let account = scene.estate.backup_service.clone();
    let parent = agent(scene);
    let t = hour.start + scene.rng.random_range(0..5 * MINUTE);
    scene.service_state(t, "SafeVault Job Engine", "running");
    let job = scene.launch(
        t + SECOND,
        &Launch {
            image: JOB,
            command_line: format!(
                "\"{JOB}\" --job nightly-clinical --targets FS-01,DB-01 --mode incremental"
            ),
            parent: &parent,
            user: &account,
            logon_id: &parent.logon_id.clone(),
            integrity: "System",
            current_directory: "C:\\Program Files\\SafeVault\\Agent\\",
            original_file_name: None,
        },
    );
    let estate = scene.estate;
    let fs = estate.first(Role::FileServer);
    scene.explicit_credentials(
        t + 2 * SECOND,
        &account,
        &account,
        &fs.fqdn(),
        Caller::Image(JOB),
    );
    let date = crate::clock::iso(hour.start)[..10].to_string();
    for source in [Role::FileServer, Role::DatabaseServer] {
        let host = estate.first(source);
        for _ in 0..scene.rng.random_range(6..12) {
            let start = scene.moment(t, 50 * MINUTE);
            let size = scene.rng.random_range(300_000_000..1_500_000_000);
            let duration = scene.rng.random_range(2 * MINUTE..8 * MINUTE);
            scene.connect(
                start,
                &job,
                &host.ip,
                &host.fqdn(),
                445,
                "smb",
                60_000,
                size,
                duration,
            );
        }
        let files = scene.rng.random_range(150..300);
        for i in 0..files {
            let at = t + 10 * SECOND + i * (55 * MINUTE / files);
            let path = format!(
                "E:\\Repository\\{}\\{date}\\blocks\\{}.svblk",
                host.name,
                random::hex(scene.rng, 16)
            );
            scene.file(at, &job, &path);
        }
    }
    scene.service_state(hour.start + 58 * MINUTE, "SafeVault Job Engine", "stopped");
}

/// The night's backup leaves for the provider's object storage.
fn offsite_upload(scene: &mut Scene, hour: &Hour) {
    let parent = agent(scene);
    let chunks = scene.rng.random_range(8..14);
    for i in 0..chunks {
        let start = hour.start + i * (HOUR / chunks) + scene.rng.random_range(0..MINUTE);
        if i == 0 {
            scene.resolve(
                start - SECOND,
                &parent,
                BACKUP_CLOUD.name,
                &[BACKUP_CLOUD.ip],
            );
        }
        let size = scene.rng.random_range(900_000_000..2_200_000_000);
        let duration = HOUR / chunks - scene.rng.random_range(MINUTE..2 * MINUTE);
        let received = size / 400;
        scene.connect(
            start,
            &parent,
            BACKUP_CLOUD.ip,
            BACKUP_CLOUD.name,
            443,
            "ssl",
            size,
            received,
            duration,
        );
    }
}

/// FS-01 and DB-01 as the backup reaches them: the service account logs on,
/// the agent snapshots the volume and lists the shadow copies.
fn backup_source(scene: &mut Scene, hour: &Hour) {
    let account = scene.estate.backup_service.clone();
    let bk = scene.estate.first(Role::BackupServer);
    let (ip, name) = (bk.ip.clone(), bk.name.clone());
    let t = hour.start + scene.rng.random_range(MINUTE..6 * MINUTE);
    let logon_id = scene.logon(
        t,
        &Logon {
            account: &account,
            logon_type: 3,
            source_ip: &ip,
            source_workstation: &name,
            privileged: true,
            logoff_after: Some(55 * MINUTE - t % MINUTE),
        },
    );
    let parent = agent(scene);
    scene.service_state(t + SECOND, "Volume Shadow Copy", "running");
    scene.launch(
        t + 3 * SECOND,
        &Launch {
            image: "C:\\Windows\\System32\\vssadmin.exe",
            command_line: "vssadmin.exe list shadows /for=D:".into(),
            parent: &parent,
            user: &account,
            logon_id: &logon_id,
            integrity: "System",
            current_directory: "C:\\Windows\\system32\\",
            original_file_name: Some("VSSADMIN.EXE"),
        },
    );
    scene.service_state(t + 40 * MINUTE, "Volume Shadow Copy", "stopped");
}

/// Yesterday's web server logs compressed for retention (no password).
fn archive_logs(scene: &mut Scene, hour: &Hour) {
    let system = scene.estate.system.clone();
    let parent = scene.existing(
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
        &system,
    );
    let t = hour.start + 5 * MINUTE + scene.rng.random_range(0..MINUTE);
    let date = crate::clock::iso(hour.start - DAY)[..10].to_string();
    let seven_zip = "C:\\Program Files\\7-Zip\\7z.exe";
    let archive = format!("E:\\LogArchive\\iis-{date}.7z");
    let proc = scene.launch(
        t,
        &Launch {
            image: seven_zip,
            command_line: format!("\"{seven_zip}\" a -t7z -mx5 {archive} C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex*.log"),
            parent: &parent,
            user: &system,
            logon_id: "0x3E7",
            integrity: "System",
            current_directory: "C:\\Windows\\system32\\",
            original_file_name: Some("7z.exe"),
        },
    );
    scene.file(t + 20 * SECOND, &proc, &archive);
}

/// The backup vendor's updater installs its service: a legitimate 7045/4697.
fn agent_update(scene: &mut Scene, hour: &Hour) {
    let admin = scene.estate.admins[0].clone();
    let t = hour.start + scene.rng.random_range(0..30 * MINUTE);
    scene.install_service(
        t,
        &admin,
        "SVAgentUpdater",
        "\"C:\\Program Files\\SafeVault\\Agent\\svupdate.exe\" --service",
        "auto start",
    );
    scene.service_state(t + 2 * SECOND, "SafeVault Agent Updater", "running");
    scene.register_task(
        t + 5 * SECOND,
        &admin,
        "\\SafeVault\\Verify nightly backup",
        "C:\\Program Files\\SafeVault\\Agent\\svverify.exe",
        "--last --report",
    );
}
