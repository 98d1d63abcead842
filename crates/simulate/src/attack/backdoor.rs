//! Persistence in the first wave, after the WinRM hop: from patient zero the
//! attacker runs `wmic /node:DC-01 process call create` with the stolen
//! domain admin's password (4648 on the source), and the command it starts
//! on the domain controller creates a domain account and puts it in Domain
//! Admins — a way back in should the admin's password be changed.

use rand::Rng;

use super::Attacker;
use crate::activity::{Caller, Launch, Logon};
use crate::clock::{self, HOUR, MINUTE, SECOND};
use crate::directory::{Actor, Group};
use crate::estate::{Account, Role, DOMAIN};
use crate::random;
use crate::truth::{BackdoorAccount, Method};

const WMIC: &str = "C:\\Windows\\System32\\wbem\\WMIC.exe";
const WMIPRVSE: &str = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe";
const CMD: &str = "C:\\Windows\\System32\\cmd.exe";
const NET: &str = "C:\\Windows\\System32\\net.exe";
const NET1: &str = "C:\\Windows\\System32\\net1.exe";
/// Names chosen to pass for service or support accounts at a glance.
const NAMES: &[&str] = &[
    "svc_backup",
    "svc-update",
    "sql_svc",
    "helpdesk2",
    "backup_admin",
];
const GROUP: &str = "Domain Admins";

pub(super) fn run(a: &mut Attacker) {
    let dc = a.host(Role::DomainController);
    let pz = a.patient_zero;
    let shell = a.shell.clone().expect("the attacker's shell runs");
    let admin = a.admin.clone();
    let t = a.first + 3 * HOUR + 30 * MINUTE + a.rng.random_range(0..15 * MINUTE);
    // The domain's SID is the admin's without its relative id.
    let domain_sid = admin
        .sid
        .rsplit_once('-')
        .map(|(domain, _)| domain.to_string())
        .expect("domain account SIDs end in a relative id");
    let backdoor = Account {
        name: random::pick(&mut a.rng, NAMES).to_string(),
        domain: DOMAIN.to_string(),
        sid: format!("{domain_sid}-{}", a.rng.random_range(2100..2200)),
    };
    let mut password = || {
        format!(
            "{}{}!",
            random::letters(&mut a.rng, 7),
            a.rng.random_range(10..99)
        )
    };
    let (password, stolen) = (password(), password());
    let add_user = format!("net user {} {password} /add /domain", backdoor.name);
    let add_group = format!("net group \"{GROUP}\" {} /add /domain", backdoor.name);
    let payload = format!("cmd.exe /Q /c {add_user} & {add_group}");
    let (src_ip, src_name) = (
        a.estate.hosts[pz].ip.clone(),
        a.estate.hosts[pz].name.clone(),
    );
    let (dst_ip, dst_fqdn, dst_name) = (
        a.estate.hosts[dc].ip.clone(),
        a.estate.hosts[dc].fqdn(),
        a.estate.hosts[dc].name.clone(),
    );

    // The source: wmic logs on with the admin's credentials, asks the
    // endpoint mapper (135), then talks DCOM on a dynamic port.
    let mut s = a.on(pz);
    let wmic = super::first_wave::run_as(
        &mut s,
        t - 3 * SECOND,
        WMIC,
        format!(
            "wmic /node:{dst_name} /user:{} /password:{stolen} process call create \"{}\"",
            admin.qualified(),
            payload.replace('"', "\\\"")
        ),
        &shell,
        "High",
    );
    s.explicit_credentials(
        t - 2 * SECOND - 100_000,
        &shell.user,
        &admin,
        &dst_name,
        Caller::Proc(&wmic),
    );
    s.connect(
        t - 2 * SECOND,
        &wmic,
        &dst_ip,
        &dst_fqdn,
        135,
        "dce_rpc",
        1_900,
        1_300,
        300_000,
    );
    let dynamic = s.rng.random_range(49_664..49_700);
    s.connect(
        t - 1_500_000,
        &wmic,
        &dst_ip,
        &dst_fqdn,
        dynamic,
        "dce_rpc",
        7_400,
        3_900,
        2 * SECOND,
    );

    // The target: a network logon of the admin, and WmiPrvSE starting the
    // payload in that logon session.
    let mut s = a.on(dc);
    let session = s.logon(
        t - SECOND,
        &Logon {
            account: &admin,
            logon_type: 3,
            source_ip: &src_ip,
            source_workstation: &src_name,
            privileged: true,
            logoff_after: Some(MINUTE),
        },
    );
    let network_service = Account {
        name: "NETWORK SERVICE".into(),
        domain: "NT AUTHORITY".into(),
        sid: "S-1-5-20".into(),
    };
    let mut provider = s.existing(
        WMIPRVSE,
        "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding",
        &network_service,
    );
    provider.logon_id = "0x3E4".into();
    let payload_launch = Launch {
        image: CMD,
        command_line: payload.clone(),
        parent: &provider,
        user: &admin,
        logon_id: &session,
        integrity: "High",
        current_directory: "C:\\Windows\\system32\\",
        original_file_name: None,
    };
    let cmd = s.launch(t, &payload_launch);
    // net.exe hands the work to net1.exe, with the same arguments.
    let net_command = |s: &mut crate::activity::Scene, at: clock::Micros, command: &str| {
        let net = s.launch(
            at,
            &Launch {
                image: NET,
                command_line: command.to_string(),
                parent: &cmd,
                ..payload_launch
            },
        );
        s.launch(
            at + 20_000,
            &Launch {
                image: NET1,
                command_line: format!("C:\\Windows\\system32\\net1 {}", &command[4..]),
                parent: &net,
                ..payload_launch
            },
        );
    };
    net_command(&mut s, t + SECOND, &add_user);
    net_command(&mut s, t + 2 * SECOND, &add_group);
    let by = Actor {
        account: &admin,
        logon_id: &session,
    };
    let created = t + SECOND + 400_000;
    s.create_account(created, &by, &backdoor);
    let added = t + 2 * SECOND + 300_000;
    let group_sid = format!("{domain_sid}-512");
    s.add_to_group(
        added,
        &by,
        &backdoor,
        &Group {
            name: GROUP,
            domain: DOMAIN,
            sid: &group_sid,
            global: true,
        },
    );

    a.step(
        "lateral_movement_wmi",
        dc,
        t,
        "T1047",
        format!(
            "wmic /node:{dst_name} process call create from {src_name} as {}: WmiPrvSE started cmd.exe on {dst_name}",
            admin.qualified()
        ),
    );
    a.moved(pz, dc, t, Method::Wmi);
    a.step(
        "backdoor_account",
        dc,
        created,
        "T1136.002",
        format!(
            "domain account {} created by {}",
            backdoor.qualified(),
            admin.qualified()
        ),
    );
    a.step(
        "backdoor_admin_group",
        dc,
        added,
        "T1098.007",
        format!("{} added to {GROUP}", backdoor.qualified()),
    );
    a.backdoors.push(BackdoorAccount {
        account: backdoor.qualified(),
        host: dst_name,
        time: clock::rfc3339(created),
        group: Some(GROUP.to_string()),
        created_by: admin.qualified(),
    });
}
