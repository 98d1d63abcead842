//! Account management as the Security log records it where it happens (the
//! domain controller for domain accounts): an account created, enabled and
//! given a password (4720, 4722, 4724), and a member added to a group (4728
//! global, 4732 local).

use crate::activity::Scene;
use crate::clock::Micros;
use crate::estate::{Account, DNS_SUFFIX};
use crate::windows::{Log, WinEvent};

/// Who made a change: the account and the logon session it acted in.
pub(crate) struct Actor<'a> {
    pub account: &'a Account,
    pub logon_id: &'a str,
}

/// A security group an account is added to.
pub(crate) struct Group<'a> {
    pub name: &'a str,
    pub domain: &'a str,
    pub sid: &'a str,
    /// A domain's global group (4728) rather than a local or domain-local one (4732).
    pub global: bool,
}

impl Scene<'_> {
    /// `net user NAME PASSWORD /add`: the account is created disabled, then
    /// enabled, and its password set (4720, 4722, 4724), one moment apart.
    pub(crate) fn create_account(&mut self, t: Micros, by: &Actor, account: &Account) {
        let created = WinEvent::new(t, Log::Security, 4720)
            .with("TargetUserName", &account.name)
            .with("TargetDomainName", &account.domain)
            .with("TargetSid", &account.sid)
            .with("SubjectUserSid", &by.account.sid)
            .with("SubjectUserName", &by.account.name)
            .with("SubjectDomainName", &by.account.domain)
            .with("SubjectLogonId", by.logon_id.to_string())
            .with("PrivilegeList", "-")
            .with("SamAccountName", &account.name)
            .with("DisplayName", "%%1793")
            .with("UserPrincipalName", "-")
            .with("HomeDirectory", "%%1793")
            .with("HomePath", "%%1793")
            .with("ScriptPath", "%%1793")
            .with("ProfilePath", "%%1793")
            .with("UserWorkstations", "%%1793")
            .with("PasswordLastSet", "%%1794")
            .with("AccountExpires", "%%1794")
            .with("PrimaryGroupId", "513")
            .with("AllowedToDelegateTo", "-")
            .with("OldUacValue", "0x0")
            .with("NewUacValue", "0x15")
            .with(
                "UserAccountControl",
                "\r\n\t\t%%2080\r\n\t\t%%2082\r\n\t\t%%2084",
            )
            .with("UserParameters", "%%1793")
            .with("SidHistory", "-")
            .with("LogonHours", "%%1797");
        self.out.events.push(created);
        for (after, id) in [(30_000, 4722), (60_000, 4724)] {
            let event = WinEvent::new(t + after, Log::Security, id)
                .with("TargetUserName", &account.name)
                .with("TargetDomainName", &account.domain)
                .with("TargetSid", &account.sid)
                .with("SubjectUserSid", &by.account.sid)
                .with("SubjectUserName", &by.account.name)
                .with("SubjectDomainName", &by.account.domain)
                .with("SubjectLogonId", by.logon_id.to_string());
            self.out.events.push(event);
        }
    }

    /// `net group GROUP NAME /add`: a member added to a security group.
    pub(crate) fn add_to_group(&mut self, t: Micros, by: &Actor, member: &Account, group: &Group) {
        let distinguished: String = DNS_SUFFIX
            .split('.')
            .map(|part| format!(",DC={part}"))
            .collect();
        let event = WinEvent::new(t, Log::Security, if group.global { 4728 } else { 4732 })
            .with(
                "MemberName",
                format!("CN={},CN=Users{distinguished}", member.name),
            )
            .with("MemberSid", &member.sid)
            .with("TargetUserName", group.name.to_string())
            .with("TargetDomainName", group.domain.to_string())
            .with("TargetSid", group.sid.to_string())
            .with("SubjectUserSid", &by.account.sid)
            .with("SubjectUserName", &by.account.name)
            .with("SubjectDomainName", &by.account.domain)
            .with("SubjectLogonId", by.logon_id.to_string())
            .with("PrivilegeList", "-");
        self.out.events.push(event);
    }
}
