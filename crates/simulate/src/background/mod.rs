//! Benign background activity: what the operator's hosts log on an ordinary
//! day. Busy in office hours and quiet at night, with the nightly backup and its
//! offsite upload, updates, admins at work — and the look-alikes that make naive
//! detection rules noisy (admin PowerShell, `vssadmin list shadows`, a backup
//! agent writing thousands of files, Defender opening LSASS).

mod nightly;
mod server;
mod workstation;

pub(crate) use server::ADMIN_VPN;

use chrono::{Datelike, Timelike, Weekday};
use rand::Rng;

use crate::activity::{Output, Proc, Scene};
use crate::clock::{self, Micros, HOUR};
use crate::estate::{Estate, Role};
use crate::random::{self, label};

/// The hour of a host's day being simulated.
pub(crate) struct Hour {
    pub start: Micros,
    /// 0–23, UTC (the simulated operator keeps its office hours in UTC).
    pub of_day: u32,
    /// A weekday between 07:00 and 18:00, when staff are at work.
    pub office: bool,
}

impl Hour {
    pub(crate) fn new(start: Micros) -> Hour {
        let time = clock::to_datetime(start);
        let weekend = matches!(time.weekday(), Weekday::Sat | Weekday::Sun);
        let of_day = time.hour();
        Hour {
            start,
            of_day,
            office: !weekend && (7..18).contains(&of_day),
        }
    }

    /// How busy a host of `role` is this hour, relative to its daily mean.
    fn load(&self, role: Role) -> f64 {
        match (role.is_workstation(), self.office, self.of_day) {
            (true, true, _) => 2.0,
            (true, false, 18..=21) => 0.4,
            (true, false, _) => 0.15,
            (false, true, _) => 1.4,
            (false, false, _) => 0.7,
        }
    }
}

/// Simulates one host's benign activity during one hour into `out`.
/// `rate` is the mean number of events per host per hour.
pub(crate) fn simulate(
    estate: &Estate,
    host: usize,
    seed: u64,
    rate: u32,
    hour: &Hour,
    out: &mut Output,
) {
    let hour_index = (hour.start / HOUR) as u64;
    let mut rng = random::stream(seed, label::BACKGROUND, host as u64, hour_index);
    let role = estate.hosts[host].role;
    let target = f64::from(rate) * hour.load(role) * rng.random_range(0.8..1.2);
    let target = out.events.len() + target.round() as usize;
    let mut scene = Scene {
        estate,
        host: &estate.hosts[host],
        rng: &mut rng,
        out,
    };
    nightly::simulate(&mut scene, hour);
    while scene.out.events.len() < target {
        if role.is_workstation() {
            workstation::activity(&mut scene, hour);
        } else {
            server::activity(&mut scene, hour);
        }
    }
}

/// Processes every Windows host runs on its own: the OS's and the security tools'.
pub(crate) fn system_process(scene: &mut Scene, hour: &Hour) {
    const PROGRAMS: &[(&str, &str, &str)] = &[
        ("C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule", "C:\\Windows\\System32\\services.exe"),
        ("C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k LocalServiceNetworkRestricted -p -s EventLog", "C:\\Windows\\System32\\services.exe"),
        ("C:\\Windows\\System32\\taskhostw.exe", "taskhostw.exe -RegisterDevice -ProtectionStateChanged -FreeNetworkOnly", "C:\\Windows\\System32\\svchost.exe"),
        ("C:\\Windows\\System32\\wuauclt.exe", "\"C:\\Windows\\system32\\wuauclt.exe\" /UpdateDeploymentProvider UpdateDeploymentProvider.dll /ClassId 0d0ce9b2-7e6b-4a1c-8f1e-7c0f2d5c9e01 /RunHandlerComServer", "C:\\Windows\\System32\\svchost.exe"),
        ("C:\\Windows\\WinSxS\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.20348.2700_none_7d3b6a1f0b4c2e11\\TiWorker.exe", "C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.20348.2700_none_7d3b6a1f0b4c2e11\\TiWorker.exe -Embedding", "C:\\Windows\\System32\\svchost.exe"),
        ("C:\\Program Files\\Windows Defender\\MpCmdRun.exe", "\"C:\\Program Files\\Windows Defender\\MpCmdRun.exe\" -SignatureUpdate -ScheduleJob -RestrictPrivileges", "C:\\Windows\\System32\\svchost.exe"),
        ("C:\\Windows\\System32\\conhost.exe", "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1", "C:\\Windows\\System32\\svchost.exe"),
        ("C:\\Windows\\System32\\backgroundTaskHost.exe", "\"C:\\Windows\\system32\\backgroundTaskHost.exe\" -ServerName:BackgroundTaskHost.WebAccountBackgroundManager", "C:\\Windows\\System32\\svchost.exe"),
        ("C:\\Windows\\System32\\SearchProtocolHost.exe", "\"C:\\Windows\\system32\\SearchProtocolHost.exe\" Global\\UsGthrFltPipeMssGthrPipe1_ Global\\UsGthrCtrlFltPipeMssGthrPipe1 1 -2147483646 \"Software\\Microsoft\\Windows Search\"", "C:\\Windows\\System32\\SearchIndexer.exe"),
        ("C:\\Windows\\System32\\gpupdate.exe", "gpupdate.exe /target:computer", "C:\\Windows\\System32\\svchost.exe"),
    ];
    let &(image, command_line, parent) = random::pick(scene.rng, PROGRAMS);
    let system = scene.estate.system.clone();
    let parent = scene.existing(parent, parent, &system);
    let t = scene.moment(hour.start, HOUR);
    let proc = scene.launch(
        t,
        &crate::activity::Launch {
            image,
            command_line: command_line.to_string(),
            parent: &parent,
            user: &system,
            logon_id: "0x3E7",
            integrity: "System",
            current_directory: "C:\\Windows\\system32\\",
            original_file_name: None,
        },
    );
    if image.ends_with("wuauclt.exe") || image.ends_with("MpCmdRun.exe") {
        let update = crate::internet::UPDATES;
        scene.resolve(t + 50_000, &proc, update.name, &[update.ip]);
        let size = scene.rng.random_range(200_000..40_000_000);
        let duration = scene.rng.random_range(2..120) * clock::SECOND;
        scene.connect(
            t + 120_000,
            &proc,
            update.ip,
            update.name,
            443,
            "ssl",
            12_000,
            size,
            duration,
        );
    }
}

/// The Security log's own background on every host: service logons and
/// Defender or WMI opening LSASS, which is normal and must not alert.
pub(crate) fn housekeeping(scene: &mut Scene, hour: &Hour) {
    let t = scene.moment(hour.start, HOUR);
    match scene.rng.random_range(0..10) {
        0..=5 => {
            let system = scene.estate.system.clone();
            scene.logon(
                t,
                &crate::activity::Logon {
                    account: &system,
                    logon_type: 5,
                    source_ip: "-",
                    source_workstation: "-",
                    privileged: true,
                    logoff_after: None,
                },
            );
        }
        6..=7 => {
            let services = [
                "Windows Update",
                "Background Intelligent Transfer Service",
                "WinHTTP Web Proxy Auto-Discovery Service",
                "Windows Modules Installer",
                "Microsoft Defender Antivirus Network Inspection Service",
            ];
            let name = *random::pick(scene.rng, &services);
            scene.service_state(t, name, "running");
            let later = scene.moment(t, 10 * clock::MINUTE);
            scene.service_state(later, name, "stopped");
        }
        _ => {
            const READERS: &[(&str, &str)] = &[
                ("C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MsMpEng.exe", "0x1fffff"),
                ("C:\\Windows\\system32\\svchost.exe", "0x1000"),
                ("C:\\Windows\\system32\\wbem\\wmiprvse.exe", "0x1400"),
                ("C:\\Windows\\system32\\taskmgr.exe", "0x1400"),
            ];
            let &(image, granted) = random::pick(scene.rng, READERS);
            let system = scene.estate.system.clone();
            let source = scene.existing(image, image, &system);
            let lsass = lsass(scene);
            let trace = "C:\\Windows\\SYSTEM32\\ntdll.dll+9f7a4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|UNKNOWN(00007FFB2D1A3C21)".to_string();
            scene.access(t, &source, &lsass, granted, trace);
        }
    }
}

/// The host's LSASS process.
pub(crate) fn lsass(scene: &mut Scene) -> Proc {
    let system = scene.estate.system.clone();
    let mut proc = scene.existing(
        "C:\\Windows\\system32\\lsass.exe",
        "C:\\Windows\\system32\\lsass.exe",
        &system,
    );
    proc.pid = 652 + 4 * (scene.host.ip.len() as u32 % 8);
    proc
}
