//! A doctor's or call-centre agent's workstation: Office, browsers, Teams, the
//! clinical and telephony clients, and the person locking and unlocking it.

use rand::Rng;

use super::{housekeeping, system_process, Hour};
use crate::activity::{Launch, Logon, Proc, Scene};
use crate::clock::{HOUR, MINUTE, SECOND};
use crate::estate::{Account, Role};
use crate::internet::CLOUD;
use crate::random;

/// Programs people start, by role: `(image, arguments)`.
const DOCTOR_APPS: &[(&str, &str)] = &[
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE", ""),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE", " /n"),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE", ""),
    ("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", " --profile-directory=Default"),
    ("C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe", " --single-argument https://portal.clinic.example/"),
    ("C:\\Program Files\\TeleMed\\Clinician\\ClinicianDesk.exe", " --server https://api-01.clinic.example"),
    ("C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\\ms-teams.exe", ""),
    ("C:\\Program Files\\Adobe\\Acrobat DC\\Acrobat\\Acrobat.exe", ""),
    ("C:\\Windows\\System32\\notepad.exe", ""),
];
const AGENT_APPS: &[(&str, &str)] = &[
    ("C:\\Program Files\\CallDesk\\CallDesk.exe", " /autologin"),
    ("C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe", " --single-argument https://portal.clinic.example/agent"),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE", ""),
    ("C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\\ms-teams.exe", ""),
    ("C:\\Windows\\System32\\notepad.exe", ""),
];

pub(super) fn activity(scene: &mut Scene, hour: &Hour) {
    let person =
        hour.office || (hour.of_day >= 18 && hour.of_day < 22 && scene.rng.random_bool(0.3));
    match (person, scene.rng.random_range(0..100)) {
        (true, 0..=29) => app(scene, hour),
        (true, 30..=54) => app_traffic(scene, hour),
        (true, 55..=59) => unlock(scene, hour),
        (true, 60..=64) => documents(scene, hour),
        (true, 65..=66) => attachment(scene, hour),
        (true, 67) => mistyped_password(scene, hour),
        (_, 68..=84) | (false, 0..=40) => system_process(scene, hour),
        (_, 85..=92) => machine_logon(scene, hour),
        _ => housekeeping(scene, hour),
    }
}

fn user(scene: &Scene) -> Account {
    scene.host.user.clone().expect("workstations have a user")
}

fn explorer(scene: &mut Scene) -> Proc {
    let user = user(scene);
    scene.existing(
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\Explorer.EXE",
        &user,
    )
}

fn start(scene: &mut Scene, t: i64, image: &str, command_line: String, parent: &Proc) -> Proc {
    let user = user(scene);
    let logon_id = parent.logon_id.clone();
    let directory = format!("C:\\Users\\{}\\Documents\\", user.name);
    scene.launch(
        t,
        &Launch {
            image,
            command_line,
            parent,
            user: &user,
            logon_id: &logon_id,
            integrity: "Medium",
            current_directory: &directory,
            original_file_name: None,
        },
    )
}

fn apps(scene: &Scene) -> &'static [(&'static str, &'static str)] {
    if scene.host.role == Role::DoctorWorkstation {
        DOCTOR_APPS
    } else {
        AGENT_APPS
    }
}

fn app(scene: &mut Scene, hour: &Hour) {
    let &(image, arguments) = random::pick(scene.rng, apps(scene));
    let parent = explorer(scene);
    let t = scene.moment(hour.start, HOUR);
    start(scene, t, image, format!("\"{image}\"{arguments}"), &parent);
}

/// A running application talking to a cloud service or an internal server.
fn app_traffic(scene: &mut Scene, hour: &Hour) {
    let &(image, arguments) = random::pick(scene.rng, apps(scene));
    let user = user(scene);
    let proc = scene.existing(image, &format!("\"{image}\"{arguments}"), &user);
    let t = scene.moment(hour.start, HOUR - MINUTE);
    let estate = scene.estate;
    let (name, ip, port, service, up, down): (String, String, u16, &str, u64, u64) =
        if image.ends_with("ClinicianDesk.exe") {
            let api = estate.first(Role::ApiServer);
            let video = scene.rng.random_bool(0.4);
            let (up, down) = if video {
                (
                    scene.rng.random_range(20_000_000..180_000_000),
                    scene.rng.random_range(20_000_000..180_000_000),
                )
            } else {
                (
                    scene.rng.random_range(2_000..40_000),
                    scene.rng.random_range(10_000..400_000),
                )
            };
            (api.fqdn(), api.ip.clone(), 443, "ssl", up, down)
        } else if image.ends_with("CallDesk.exe") {
            let voip = estate.first(Role::Telephony);
            (
                voip.fqdn(),
                voip.ip.clone(),
                5061,
                "ssl",
                scene.rng.random_range(4_000..30_000),
                scene.rng.random_range(4_000..30_000),
            )
        } else if image.ends_with("msedge.exe") && scene.rng.random_bool(0.5) {
            let app = estate.first(Role::AppServer);
            (
                app.fqdn(),
                app.ip.clone(),
                443,
                "ssl",
                scene.rng.random_range(2_000..60_000),
                scene.rng.random_range(20_000..2_000_000),
            )
        } else if scene.rng.random_bool(0.15) {
            let fs = estate.first(Role::FileServer);
            (
                fs.fqdn(),
                fs.ip.clone(),
                445,
                "smb",
                scene.rng.random_range(5_000..3_000_000),
                scene.rng.random_range(20_000..8_000_000),
            )
        } else {
            let cloud = random::pick(scene.rng, CLOUD);
            (
                cloud.name.to_string(),
                cloud.ip.to_string(),
                443,
                "ssl",
                scene.rng.random_range(1_500..250_000),
                scene.rng.random_range(4_000..3_000_000),
            )
        };
    if port == 443 && !super::super::network::is_internal(&ip) || scene.rng.random_bool(0.3) {
        scene.resolve(t, &proc, &name, &[&ip]);
    }
    let duration = scene.rng.random_range(SECOND / 5..5 * MINUTE);
    scene.connect(
        t + 30_000,
        &proc,
        &ip,
        &name,
        port,
        service,
        up,
        down,
        duration,
    );
}

/// The user comes back and unlocks the screen; if the session is new, logs on.
fn unlock(scene: &mut Scene, hour: &Hour) {
    let user = user(scene);
    let t = scene.moment(hour.start, HOUR - 20 * MINUTE);
    let first_of_day = hour.of_day == 7 && scene.rng.random_bool(0.5);
    let logoff = scene.rng.random_range(5 * MINUTE..19 * MINUTE);
    let ip = scene.host.ip.clone();
    scene.logon(
        t,
        &Logon {
            account: &user,
            logon_type: if first_of_day { 2 } else { 7 },
            source_ip: "127.0.0.1",
            source_workstation: &scene.host.name.clone(),
            privileged: false,
            logoff_after: (!first_of_day).then_some(logoff),
        },
    );
    let _ = ip;
    if first_of_day {
        let system = scene.estate.system.clone();
        let winlogon = scene.existing(
            "C:\\Windows\\System32\\winlogon.exe",
            "winlogon.exe",
            &system,
        );
        let userinit = start(
            scene,
            t + 2 * SECOND,
            "C:\\Windows\\System32\\userinit.exe",
            "C:\\Windows\\system32\\userinit.exe".into(),
            &winlogon,
        );
        start(
            scene,
            t + 3 * SECOND,
            "C:\\Windows\\explorer.exe",
            "C:\\Windows\\Explorer.EXE".into(),
            &userinit,
        );
    }
}

/// Files the user saves: letters, scans, downloads.
fn documents(scene: &mut Scene, hour: &Hour) {
    let user = user(scene);
    let &(image, _) = random::pick(scene.rng, apps(scene));
    let proc = scene.existing(image, image, &user);
    let t = scene.moment(hour.start, HOUR - MINUTE);
    let folder = random::pick(
        scene.rng,
        &["Documents", "Downloads", "Desktop", "AppData\\Local\\Temp"],
    );
    let kind = random::pick(
        scene.rng,
        &[
            "Befund",
            "Rezept",
            "Ueberweisung",
            "Arztbrief",
            "Scan",
            "Protokoll",
        ],
    );
    let extension = random::pick(scene.rng, &["pdf", "docx", "xlsx", "tmp"]);
    let path = format!(
        "C:\\Users\\{}\\{folder}\\{kind}_{}.{extension}",
        user.name,
        scene.rng.random_range(1000..99999)
    );
    scene.file(t, &proc, &path);
}

/// A mail attachment opened from Outlook: the same process chain a phishing
/// document starts with, but Word opens a document and starts nothing.
fn attachment(scene: &mut Scene, hour: &Hour) {
    let parent = explorer(scene);
    let t = scene.moment(hour.start, HOUR - MINUTE);
    let outlook = "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE";
    let outlook = start(scene, t, outlook, format!("\"{outlook}\""), &parent);
    let user = user(scene);
    let folder = random::hex(scene.rng, 8);
    let file = random::pick(
        scene.rng,
        &["Laborbefund", "Terminbestaetigung", "Zuweisung", "Rechnung"],
    );
    let path = format!("C:\\Users\\{}\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\{folder}\\{file}.docx", user.name);
    scene.file(t + SECOND, &outlook, &path);
    let word = "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE";
    start(
        scene,
        t + 2 * SECOND,
        word,
        format!("\"{word}\" /n \"{path}\" /o \"\""),
        &outlook,
    );
}

fn mistyped_password(scene: &mut Scene, hour: &Hour) {
    let user = user(scene);
    let t = scene.moment(hour.start, HOUR);
    let name = scene.host.name.clone();
    scene.failed_logon(t, &user, 7, "127.0.0.1", &name);
}

/// The machine account or a user reaching this host over the network
/// (group policy, management): type 3 logons that end at once.
fn machine_logon(scene: &mut Scene, hour: &Hour) {
    let dc = scene.estate.first(Role::DomainController);
    let account = dc.machine.clone();
    let (ip, name) = (dc.ip.clone(), dc.name.clone());
    let t = scene.moment(hour.start, HOUR - MINUTE);
    let after = scene.rng.random_range(SECOND..30 * SECOND);
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
}
