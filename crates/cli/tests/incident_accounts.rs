//! `vigil incidents` on real recordings of account changes, credential
//! attacks and DCSync, through the binary: what the events show was read by
//! hand first (written in each test's comment), then asserted.

mod common;

use std::collections::BTreeSet;

use serde_json::Value;

fn incidents_of(file: &str, extra: &[&str]) -> Option<Value> {
    common::incidents_of_recording("corpus/evtx", file, extra)
}

fn texts(v: &Value, pointer: &str, field: Option<&str>) -> BTreeSet<String> {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| match field {
                    Some(f) => i[f].as_str(),
                    None => i.as_str(),
                })
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The account on the incident's list of accounts to act on.
fn to_rotate<'a>(incident: &'a Value, account: &str) -> &'a Value {
    incident["credentials"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == account)
        .unwrap_or_else(|| panic!("{account} is not among the accounts to rotate"))
}

/// Vigil's own findings are not the hunt's detections: what joined no
/// incident never goes negative or hides a rule's detection.
fn counts_add_up(report: &Value) {
    let rules_attached = report["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["detections"].as_array().unwrap())
        .filter(|d| d["finding"] != true)
        .count() as u64;
    assert_eq!(
        report["unattached_detections"].as_u64().unwrap() + rules_attached,
        report["detections"].as_u64().unwrap()
    );
}

/// DeepBlueCLI's spray. Read in the events: after a log clear (1102,
/// record 42803), 294 × 4648 on DESKTOP-JR78RLP from 19:27:02 to 19:32:17,
/// all by DESKTOP-JR78RLP\jwrig in session 0x3069d, giving explicit
/// credentials of 41 DOMAIN accounts (Administrator, jwright, dpendolino, …)
/// seven times each at most — `LogonUser` in a loop. So: a password spray
/// run from DESKTOP-JR78RLP by jwrig, every sprayed account to check.
#[test]
fn explicit_credentials_for_many_accounts_are_a_spray() {
    let Some(report) = incidents_of("DeepBlueCLI/password-spray.evtx", &[]) else {
        return;
    };
    counts_add_up(&report);
    let incident = &report["incidents"][0];
    let spray = &incident["credential_attacks"][0];
    assert_eq!(spray["kind"], "password_spray");
    assert_eq!(spray["source"], "DESKTOP-JR78RLP");
    assert_eq!(spray["account"], "DESKTOP-JR78RLP\\jwrig");
    assert_eq!(spray["targets"].as_array().unwrap().len(), 41);
    assert_eq!(spray["attempts"], 294);
    assert_eq!(spray["events"][0]["record"], 42804);
    assert_eq!(spray["events"].as_array().unwrap().len(), 20, "a sample");
    assert!(texts(incident, "/attacker_accounts", None).contains("DESKTOP-JR78RLP\\jwrig"));
    let admin = to_rotate(incident, "DOMAIN\\Administrator");
    assert!(admin["reasons"][0]
        .as_str()
        .unwrap()
        .starts_with("password sprayed from DESKTOP-JR78RLP"));
}

/// DeepBlueCLI's SMB guessing. Read in the events: 3,561 × 4625 (type 3)
/// on DESKTOP-M5SN04R from 192.168.198.149 between 16:50:06 and 16:52:49,
/// 3,560 of them for Administrator (domain `.`), each with a new random
/// WorkstationName (Metasploit's smb_login); the rules see "Metasploit SMB
/// Authentication" (high). So: one incident with the target and the
/// address, the guessing attack from the address, not 3,561 sources.
#[test]
fn smb_password_guessing_is_one_attack_from_one_address() {
    let Some(report) = incidents_of("DeepBlueCLI/smb-password-guessing-security.evtx", &[]) else {
        return;
    };
    counts_add_up(&report);
    assert_eq!(report["incidents"].as_array().unwrap().len(), 1);
    let incident = &report["incidents"][0];
    assert_eq!(
        texts(incident, "/hosts", Some("host")),
        set(&["192.168.198.149", "DESKTOP-M5SN04R"])
    );
    let attacks = incident["credential_attacks"].as_array().unwrap();
    assert_eq!(attacks.len(), 1);
    assert_eq!(attacks[0]["kind"], "password_guessing");
    assert_eq!(attacks[0]["source"], "192.168.198.149");
    assert_eq!(attacks[0]["host"], "DESKTOP-M5SN04R");
    assert_eq!(attacks[0]["targets"], serde_json::json!(["Administrator"]));
    assert_eq!(attacks[0]["attempts"], 3560);
}

/// Kerberos guessing against a domain controller. Read in the events:
/// 54 × 4771 (status 0x18, wrong password) on ROOTDC1 for admin-hacker
/// (service krbtgt/OFFSEC.LAN) from ::ffff:10.23.123.11 between 14:54:21
/// and 14:54:37; no rule fires. So: guessing of OFFSEC\admin-hacker from
/// 10.23.123.11, which is in scope; the controller only logged it and is not.
#[test]
fn kerberos_guessing_on_the_controller_puts_the_source_in_scope() {
    let Some(report) = incidents_of(
        "EVTX-to-MITRE-Attack/TA0006-Credential Access/T1110.xxx-Brut force/ID4771-Kerberos brutforce with valid user.evtx",
        &[],
    ) else {
        return;
    };
    counts_add_up(&report);
    let incident = &report["incidents"][0];
    assert_eq!(
        texts(incident, "/hosts", Some("host")),
        set(&["10.23.123.11"])
    );
    let attack = &incident["credential_attacks"][0];
    assert_eq!(attack["kind"], "password_guessing");
    assert_eq!(attack["host"], "ROOTDC1");
    assert_eq!(
        attack["targets"],
        serde_json::json!(["OFFSEC\\admin-hacker"])
    );
    assert_eq!(attack["attempts"], 54);
    assert_eq!(to_rotate(incident, "OFFSEC\\admin-hacker")["urgency"], 2);
}

/// Kerbrute's user enumeration. Read in the events, all on ROOTDC1 from
/// ::ffff:10.23.123.11 within eight seconds: 22 × 4771 (0x18) and 15 × 4768
/// refused (0x12, disabled or locked) for 36 names (Administrator, Guest,
/// krbtgt, svc-ata, Svc-SQL-DB01, HealthMailbox…), and 4768 tickets issued
/// with PreAuthType 0 for admin-test and hacker2 — accounts without
/// pre-authentication, whose answers can be cracked offline. So: a spray
/// and AS-REP roasting from 10.23.123.11; admin-test and hacker2 to rotate
/// for the roasting, not because they "logged on".
#[test]
fn kerbrute_is_a_spray_and_as_rep_roasting() {
    let Some(report) = incidents_of(
        "EVTX-to-MITRE-Attack/TA0006-Credential Access/T1110.xxx-Brut force/ID4768-4771-Kerberos user enumeration (Kerbrute).evtx",
        &[],
    ) else {
        return;
    };
    let incident = &report["incidents"][0];
    let kinds = texts(incident, "/credential_attacks", Some("kind"));
    assert_eq!(kinds, set(&["asrep_roasting", "password_spray"]));
    let roasted = incident["credential_attacks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "asrep_roasting")
        .unwrap();
    assert_eq!(
        roasted["targets"],
        serde_json::json!(["OFFSEC\\admin-test", "OFFSEC\\hacker2"])
    );
    let admin_test = to_rotate(incident, "OFFSEC\\admin-test");
    assert_eq!(admin_test["urgency"], 2);
    assert!(admin_test["reasons"][0]
        .as_str()
        .unwrap()
        .contains("without pre-authentication"));
}

/// Kerberos brute force with names that do not exist. Read in the events:
/// on ROOTDC1 from ::ffff:10.23.123.11 within two seconds, 46 × 4768
/// refused with 0x6 (no such principal), 4771 for administrator and
/// admin-hacker, 0x12 for adminupn42, and one AS-REP without
/// pre-authentication for admin-test. So: a spray whose targets to rotate
/// are only the three names that are accounts.
#[test]
fn names_that_are_no_account_are_not_to_rotate() {
    let Some(report) = incidents_of(
        "EVTX-to-MITRE-Attack/TA0006-Credential Access/T1110.xxx-Brut force/ID4768-4771-Kerberos brutforce with non existing users.evtx",
        &[],
    ) else {
        return;
    };
    let incident = &report["incidents"][0];
    let spray = incident["credential_attacks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "password_spray")
        .unwrap();
    assert_eq!(
        texts(spray, "/targets", None),
        set(&[
            "OFFSEC\\administrator",
            "OFFSEC\\admin-hacker",
            "OFFSEC\\adminupn42"
        ])
    );
    assert_eq!(spray["attempts"], 49);
}

/// A local brute force with `LogonUser`. Read in the events: 16 × 4625 on
/// WIN within 14 ms at 20:39:50, no address, WorkstationName WIN, by the
/// local WIN\Admin (Subject) for WIN\Admin (8) and WIN\Administrator (8).
/// Below ten tries each, but far faster than typing: guessing, at medium.
#[test]
fn fast_local_failures_are_guessing() {
    let Some(report) = incidents_of(
        "EVTX-to-MITRE-Attack/TA0006-Credential Access/T1110.xxx-Brut force/ID 4776,4625-AccountRestore local bruteforce.evtx",
        &["--seed-level", "medium"],
    ) else {
        return;
    };
    let incident = &report["incidents"][0];
    let attacks = incident["credential_attacks"].as_array().unwrap();
    assert_eq!(attacks.len(), 2);
    for a in attacks {
        assert_eq!(a["kind"], "password_guessing");
        assert_eq!(a["source"], "WIN");
        assert_eq!(a["account"], "WIN\\Admin");
        assert_eq!(a["attempts"], 8);
    }
}

/// Kerberoasting one service. Read in the events: on ROOTDC1, 4769
/// (record 24476805) by admmig@OFFSEC.LAN from ::ffff:10.23.23.9 for
/// Svc-SQL-DB01 with TicketEncryptionType 0x17 (RC4) at 11:33:06; the
/// other service tickets are AES (0x12) for computer accounts. The rules
/// see "Kerberoasting Activity - Initial Query" and "Suspicious Kerberos
/// RC4 Ticket Encryption" (medium). So, at --seed-level medium: one
/// incident with 10.23.23.9 and ROOTDC1, Svc-SQL-DB01 to rotate because its
/// ticket can be cracked; no domain-wide reset — the controller only issued
/// a ticket, nothing was taken from it.
#[test]
fn an_rc4_service_ticket_puts_the_service_account_on_the_list() {
    let Some(report) = incidents_of(
        "EVTX-to-MITRE-Attack/TA0006-Credential Access/T1558-Steal or Forge Kerberos Tickets/ID4769-Kerberoast ticket with low encryption.evtx",
        &["--seed-level", "medium"],
    ) else {
        return;
    };
    counts_add_up(&report);
    assert_eq!(report["incidents"].as_array().unwrap().len(), 1);
    let incident = &report["incidents"][0];
    assert_eq!(
        texts(incident, "/hosts", Some("host")),
        set(&["10.23.23.9", "ROOTDC1"])
    );
    let roast = &incident["credential_attacks"][0];
    assert_eq!(roast["kind"], "kerberoasting");
    assert_eq!(roast["account"], "OFFSEC\\admmig");
    assert_eq!(roast["source"], "10.23.23.9");
    assert_eq!(
        roast["targets"],
        serde_json::json!(["OFFSEC\\Svc-SQL-DB01"])
    );
    assert_eq!(roast["events"][0]["record"], 24476805);
    let service = to_rotate(incident, "OFFSEC\\Svc-SQL-DB01");
    assert_eq!(service["urgency"], 2);
    assert_eq!(
        service["reasons"][0],
        "service ticket requested with RC4 by OFFSEC\\admmig from 10.23.23.9 at 2020-08-02 11:33:06: offline cracking of its password is possible"
    );
    assert_eq!(
        incident["credentials"]["domain_wide"],
        serde_json::json!([])
    );
}

/// Kerberoasting in Yamato Security's lab. Read in the events: on
/// DC-Server-1, a TGT for Alice (4768, record 38680) then a service ticket
/// (4769, record 38681) by Alice@LABCORP.LOCAL from ::ffff:192.168.1.200
/// for sql101 with RC4 (0x17), after a log clear by Administrator.
#[test]
fn kerberoasting_in_another_lab() {
    let Some(report) = incidents_of(
        "YamatoSecurity/CredentialAccess/T1558.003_StealOrForgeKerberosTicketsKerberoasting_Security.evtx",
        &["--seed-level", "medium"],
    ) else {
        return;
    };
    let incident = &report["incidents"][0];
    let roast = &incident["credential_attacks"][0];
    assert_eq!(roast["kind"], "kerberoasting");
    assert_eq!(roast["account"], "LABCORP\\Alice");
    assert_eq!(roast["source"], "192.168.1.200");
    assert_eq!(roast["targets"], serde_json::json!(["LABCORP\\sql101"]));
    assert!(texts(incident, "/hosts", Some("host")).contains("192.168.1.200"));
}

/// AS-REP roasting. Read in the events: one 4768 (record 151208121) on
/// ROOTDC1 issuing a TGT for admin-test to ::ffff:10.23.23.9 with
/// PreAuthType 0 and RC4 (0x17). At the default seed level: an incident
/// with 10.23.23.9, admin-test to rotate.
#[test]
fn a_ticket_without_pre_authentication_is_as_rep_roasting() {
    let Some(report) = incidents_of(
        "EVTX-to-MITRE-Attack/TA0006-Credential Access/T1558-Steal or Forge Kerberos Tickets/ID4768-Kerberos AS-REP Roasting.evtx",
        &[],
    ) else {
        return;
    };
    counts_add_up(&report);
    let incident = &report["incidents"][0];
    let roast = &incident["credential_attacks"][0];
    assert_eq!(roast["kind"], "asrep_roasting");
    assert_eq!(roast["source"], "10.23.23.9");
    assert_eq!(roast["targets"], serde_json::json!(["OFFSEC\\admin-test"]));
    assert_eq!(roast["events"][0]["record"], 151208121);
    assert!(texts(incident, "/hosts", Some("host")).contains("10.23.23.9"));
    assert_eq!(to_rotate(incident, "OFFSEC\\admin-test")["urgency"], 2);
}

/// AS-REP roasting in Yamato Security's lab. Read in the events: 4768
/// (record 37870) on DC-Server-1 for Alice to ::ffff:192.168.1.2 with
/// PreAuthType 0; the rules see "Potential AS-REP Roasting via Kerberos TGT
/// Requests" (medium) on the same event and a log clear (high).
#[test]
fn as_rep_roasting_in_another_lab() {
    let Some(report) = incidents_of(
        "YamatoSecurity/CredentialAccess/T1558.004_StealOrForgeKerberosTicketsAS-REP-Roasting_Security.evtx",
        &[],
    ) else {
        return;
    };
    assert_eq!(report["incidents"].as_array().unwrap().len(), 1);
    let incident = &report["incidents"][0];
    let roast = &incident["credential_attacks"][0];
    assert_eq!(roast["kind"], "asrep_roasting");
    assert_eq!(roast["source"], "192.168.1.2");
    assert_eq!(roast["targets"], serde_json::json!(["LABCORP\\Alice"]));
    assert_eq!(
        texts(incident, "/hosts", Some("host")),
        set(&["192.168.1.2", "DC-SERVER-1"])
    );
}

/// A local account created by an administrator. Read in the events: on
/// JUMP01 at 05:12:58, 4720 (record 2775247) by OFFSEC\admmig creating
/// JUMP01\hacking-local-acct, then 4732 (record 2775256) adding its SID to
/// Users. The only rule is "Local User Creation" (low). So, at the default
/// level: an incident; the account to disable then delete; Users, an
/// ordinary group, is nothing to take back.
#[test]
fn a_local_account_created_by_a_person_is_an_incident() {
    let Some(report) = incidents_of(
        "EVTX-to-MITRE-Attack/TA0003-Persistence/T1136-Create account/ID4720-Local user created.evtx",
        &[],
    ) else {
        return;
    };
    counts_add_up(&report);
    let incident = &report["incidents"][0];
    let changes = incident["account_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["account"], "JUMP01\\hacking-local-acct");
    assert_eq!(changes[0]["change"], "created");
    assert_eq!(changes[0]["by"], "OFFSEC\\admmig");
    assert_eq!(
        changes[0]["action"],
        "disable, then delete after evidence is kept"
    );
    assert_eq!(changes[0]["events"][0]["record"], 2775247);
    assert_eq!(
        to_rotate(incident, "JUMP01\\hacking-local-acct")["urgency"],
        1
    );
}

/// Members added to the domain's most powerful groups. Read in the
/// events: on ROOTDC1 at 06:01:13, OFFSEC\lambda-user adds
/// CN=honey-pot1,…,DC=offsec,DC=lan to Domain Admins (4728, RID 512),
/// Enterprise Admins (4756, 519), Enterprise Key Admins (4756, 527) and
/// Schema Admins (4756, 518). The rules see one low "member added to a
/// global group".
#[test]
fn members_added_to_privileged_domain_groups_are_to_remove() {
    let Some(report) = incidents_of(
        "EVTX-to-MITRE-Attack/TA0003-Persistence/T1098.xxx-Account manipulation/ID4728-4756-Member added to sensitive domain groups.evtx",
        &[],
    ) else {
        return;
    };
    let incident = &report["incidents"][0];
    assert_eq!(
        texts(incident, "/account_changes", Some("group")),
        set(&[
            "Domain Admins",
            "Enterprise Admins",
            "Enterprise Key Admins",
            "Schema Admins"
        ])
    );
    for change in incident["account_changes"].as_array().unwrap() {
        assert_eq!(change["account"], "OFFSEC\\honey-pot1");
        assert_eq!(change["by"], "OFFSEC\\lambda-user");
        assert_eq!(change["change"], "added_to_group");
    }
    assert_eq!(
        incident["account_changes"][0]["action"],
        "remove from Domain Admins"
    );
    assert!(texts(incident, "/attacker_accounts", None).contains("OFFSEC\\lambda-user"));
}

/// A local account put in local privileged groups. Read in the events: on
/// JUMP01, OFFSEC\admmig adds S-1-5-21-…-1001 (no name in the events) to
/// Users (4732, 05:12:58), Administrators (S-1-5-32-544, 05:14:30) and
/// Backup Operators (S-1-5-32-551, 05:14:44).
#[test]
fn members_added_to_local_privileged_groups_are_to_remove() {
    let Some(report) = incidents_of(
        "EVTX-to-MITRE-Attack/TA0003-Persistence/T1098.xxx-Account manipulation/ID4732-User added to local admin groups.evtx",
        &[],
    ) else {
        return;
    };
    let incident = &report["incidents"][0];
    assert_eq!(
        texts(incident, "/account_changes", Some("group")),
        set(&["Administrators", "Backup Operators"])
    );
    assert_eq!(
        incident["account_changes"][0]["account"],
        "S-1-5-21-1470532092-3758209836-3742276719-1001"
    );
}

/// A workstation's setup creating its user. Read in the events: on
/// IE8Win7 at 16:22:39, the machine itself (WIN-QALA5Q3KJ43$, SYSTEM's
/// session 0x3e7) creates IEUser (4720, SID …-1000) and adds that SID to
/// None (4728), Users and Administrators (4732). Made by SYSTEM, the
/// changes are medium: no incident at the default level, one at medium
/// with IEUser created and made administrator (the ordinary groups left out).
#[test]
fn accounts_made_by_the_system_weigh_less() {
    let Some(report) = incidents_of("DeepBlueCLI/new-user-security.evtx", &[]) else {
        return;
    };
    assert_eq!(report["incidents"].as_array().unwrap().len(), 0);
    let Some(report) = incidents_of(
        "DeepBlueCLI/new-user-security.evtx",
        &["--seed-level", "medium"],
    ) else {
        return;
    };
    let incident = &report["incidents"][0];
    let changes: BTreeSet<(String, String)> = incident["account_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["change"].as_str().unwrap().to_string(),
                c["group"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [("added_to_group", "Administrators"), ("created", "")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    );
    for c in incident["account_changes"].as_array().unwrap() {
        assert_eq!(c["account"], "IE8WIN7\\IEUser", "the member's SID is named");
    }
}

/// Mimikatz `lsadump::setntlm` against a domain account. Read in the
/// events: on ROOTDC1 at 22:09:13, 4624 type 3 of OFFSEC\admmig from
/// 10.23.23.9 (session 0x10e6e8ef8), 5145 to IPC$\samr, then 4724 (record
/// 233279999) in that session resetting the password of hacker2, and 4738.
/// No rule fires; the reset by another account is medium. So, at medium:
/// the reset, with the hop from 10.23.23.9 found through the session.
#[test]
fn a_password_reset_by_the_attacker_is_to_reset_again() {
    let Some(report) = incidents_of(
        "EVTX-to-MITRE-Attack/TA0003-Persistence/T1098.xxx-Account manipulation/ID4724-5145-password reset with setNTLM (Mimikatz).evtx",
        &["--seed-level", "medium"],
    ) else {
        return;
    };
    let incident = &report["incidents"][0];
    let change = &incident["account_changes"][0];
    assert_eq!(change["account"], "OFFSEC\\hacker2");
    assert_eq!(change["change"], "password_reset");
    assert_eq!(change["by"], "OFFSEC\\admmig");
    assert_eq!(change["action"], "reset again and check who used it");
    assert_eq!(change["events"][0]["record"], 233279999);
    let hop = &incident["lateral_movement"][0];
    assert_eq!(hop["from"], "10.23.23.9");
    assert_eq!(hop["to"], "ROOTDC1");
    assert_eq!(to_rotate(incident, "OFFSEC\\hacker2")["urgency"], 1);
}

/// DCSync without an inventory. Read in the events: on ROOTDC1, 4624 type
/// 3 of OFFSEC\admmig from 10.23.23.9, then three 4662 (records
/// 24485745–47, ObjectServer DS) by admmig with the replication rights.
/// Nothing says ROOTDC1 is a domain controller but its own events: the
/// 4662 directory-service access. At the default level (Vigil's DCSync
/// finding is high): one domain-wide action, which says how the controller
/// was recognised.
#[test]
fn dcsync_without_inventory_recognises_the_controller() {
    let Some(report) = incidents_of(
        "EVTX-to-MITRE-Attack/TA0006-Credential Access/T1003-Credential dumping/ID4662-DCsync attack using Mimikatz.evtx",
        &[],
    ) else {
        return;
    };
    counts_add_up(&report);
    let incident = &report["incidents"][0];
    let domain_wide = incident["credentials"]["domain_wide"].as_array().unwrap();
    assert_eq!(domain_wide.len(), 1);
    let action = domain_wide[0].as_str().unwrap();
    assert!(action.contains("krbtgt"), "{action}");
    assert!(
        action.contains("recognised as a domain controller from its own events")
            && action.contains("4662"),
        "{action}"
    );
    assert!(action.contains("record 24485745"), "{action}");
    assert_eq!(incident["lateral_movement"][0]["from"], "10.23.23.9");
    assert_eq!(to_rotate(incident, "OFFSEC\\admmig")["urgency"], 1);
    let dc = incident["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["host"] == "ROOTDC1")
        .unwrap();
    assert_eq!(
        dc["role"],
        "domain_controller (recognised from its own events)"
    );
}

/// Pre-authentication turned off on an account. Read in the events: on
/// ROOTDC1 at 12:06:53, 4738 (record 105298661) by OFFSEC\admmig on hack1
/// with UserAccountControl %%2096 ('Don't Require Preauth' enabled, UAC
/// 0x210 → 0x10210), later a 4738 with %%2064 turning it back; the rules see
/// "Weak Encryption Enabled and Kerberoast" (high). So: hack1 to act on
/// first, with what was turned off and by whom.
#[test]
fn an_account_made_roastable_is_to_act_on() {
    let Some(report) = incidents_of(
        "EVTX-to-MITRE-Attack/TA0003-Persistence/T1098.xxx-Account manipulation/ID4738-Do not require Kerberos preauthentication.evtx",
        &[],
    ) else {
        return;
    };
    counts_add_up(&report);
    let incident = &report["incidents"][0];
    let hack1 = to_rotate(incident, "OFFSEC\\hack1");
    assert_eq!(hack1["urgency"], 1);
    assert_eq!(
        hack1["reasons"][0],
        "Kerberos pre-authentication turned off (its password can be cracked offline from any AS-REP) by OFFSEC\\admmig on ROOTDC1 at 2021-02-08 12:06:53: turn it back, then rotate the password"
    );
    let finding = incident["detections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["finding"] == true)
        .expect("Vigil's finding is among the detections");
    assert_eq!(finding["record_id"], 105298661);
}
