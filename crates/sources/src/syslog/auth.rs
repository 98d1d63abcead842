//! Who tried to log on, from where, and how it went: fields taken from sshd's,
//! PAM's and sudo's messages, so that rules and correlations can group and
//! count logons without parsing text.
//!
//! The names are those of Windows logon events (4624/4625), so that one
//! correlation can group SSH and Windows logons alike:
//!
//! | field | what |
//! |---|---|
//! | `TargetUserName` | the account logged on to (or tried) |
//! | `IpAddress`, `IpPort` | the client's address and port; a client given by name goes to `RemoteHost` instead |
//! | `Outcome` | `success`, `failure`, `invalid_user` (no such account), `disconnected` or `closed` |
//! | `AuthMethod` | sshd's method: `password`, `publickey`, `keyboard-interactive/pam`, `none`, … |
//! | `PamModule` | the PAM module that logged the line (`pam_unix`) |
//! | `RepeatCount` | `message repeated N times: [ … ]`: the line stands for N |
//!
//! sshd's messages read are `Failed|Accepted <method> for [invalid user] U
//! from IP port N`, `Invalid user U from IP`, `Disconnected from
//! [invalid|authenticating] user U IP port N`, `Connection closed by
//! [invalid|authenticating user U] IP port N`, and `Received disconnect from
//! IP`. PAM's `authentication failure; … rhost=IP user=U` is read for any
//! program (sshd, su, sudo, login).
//!
//! sudo's `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/id`
//! gives `SubjectUserName` (who ran sudo) and each `KEY=value` under its own
//! name (`TTY`, `PWD`, `USER`, `COMMAND`), as SigmaHQ's sudo rules name them.
//!
//! With PAM on, sshd logs one failed password twice: PAM's `authentication
//! failure` (with `PamModule`) and sshd's own `Failed password` (with
//! `AuthMethod`). Both have `Outcome: failure`; a correlation counting attempts
//! should count one kind, e.g. `AuthMethod: password`, or only PAM's where sshd
//! is too old to log its own (`sshd(pam_unix)` tags).

use std::net::IpAddr;

use vigil_event::{Event, FieldValue};

/// The names sshd logs under (OpenSSH 9.8 split it into sshd-session and sshd-auth).
const SSHD: [&str; 3] = ["sshd", "sshd-session", "sshd-auth"];

pub(super) fn add_fields(
    program: Option<&str>,
    module: Option<&str>,
    message: &str,
    event: &mut Event,
) {
    let message = match repeated(message) {
        Some((count, inner)) => {
            event.insert("RepeatCount", FieldValue::Int(count));
            inner
        }
        None => message,
    };
    let (module, text) = match pam_prefix(message) {
        Some((module, rest)) => (Some(module), rest),
        None => (module, message),
    };
    if let Some(module) = module {
        event.insert("PamModule", FieldValue::from(module));
        if let Some(pairs) = text.strip_prefix("authentication failure;") {
            pam_failure(pairs, event);
        }
        return;
    }
    match program {
        Some(p) if SSHD.contains(&p) => sshd(text, event),
        Some("sudo") => sudo(text, event),
        _ => {}
    }
}

/// `user : [what ; ]KEY=value ; … ; COMMAND=command line`
fn sudo(text: &str, event: &mut Event) {
    let Some((user, rest)) = text.split_once(" : ") else {
        return;
    };
    event.insert("SubjectUserName", FieldValue::from(user.trim()));
    let mut rest = rest;
    while !rest.is_empty() {
        // The command line is last and may itself contain ` ; `.
        if let Some(command) = rest.strip_prefix("COMMAND=") {
            event.insert("COMMAND", FieldValue::from(command));
            return;
        }
        let (part, after) = rest.split_once(" ; ").unwrap_or((rest, ""));
        if let Some((key, value)) = part.split_once('=') {
            if !key.is_empty() && key.bytes().all(|b| b.is_ascii_uppercase()) {
                event.insert(key, FieldValue::from(value));
            }
        }
        rest = after;
    }
}

/// rsyslog's `message repeated N times: [ text]`.
fn repeated(message: &str) -> Option<(i64, &str)> {
    let rest = message.strip_prefix("message repeated ")?;
    let (count, rest) = rest.split_once(" times: [")?;
    let inner = rest.strip_suffix(']')?;
    Some((
        count.parse().ok()?,
        inner.strip_prefix(' ').unwrap_or(inner),
    ))
}

/// `pam_unix(sshd:auth): rest` → (`pam_unix`, `rest`).
fn pam_prefix(message: &str) -> Option<(&str, &str)> {
    let (module, rest) = message.split_once('(')?;
    if !module.starts_with("pam_") || module.contains(' ') {
        return None;
    }
    let (_, rest) = rest.split_once("): ")?;
    Some((module, rest))
}

/// `logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root`
fn pam_failure(pairs: &str, event: &mut Event) {
    event.insert("Outcome", FieldValue::from("failure"));
    for pair in pairs.split_whitespace() {
        match pair.split_once('=') {
            Some(("user", user)) if !user.is_empty() => {
                event.insert("TargetUserName", FieldValue::from(user));
            }
            Some(("rhost", host)) if !host.is_empty() => remote(host, event),
            _ => {}
        }
    }
}

fn sshd(text: &str, event: &mut Event) {
    // sshd marks messages logged at error level so.
    let text = text.strip_prefix("error: ").unwrap_or(text);
    if let Some(rest) = text.strip_prefix("Failed ") {
        logon(rest, "failure", event);
    } else if let Some(rest) = text.strip_prefix("Accepted ") {
        logon(rest, "success", event);
    } else if let Some(rest) = text.strip_prefix("Invalid user ") {
        if let Some((user, from)) = rest.rsplit_once(" from ") {
            event.insert("Outcome", FieldValue::from("invalid_user"));
            event.insert("TargetUserName", FieldValue::from(user));
            address(from, event);
        }
    } else if let Some(rest) = text.strip_prefix("Disconnected from ") {
        ended(rest, "disconnected", event);
    } else if let Some(rest) = text.strip_prefix("Connection closed by ") {
        ended(rest, "closed", event);
    } else if let Some(rest) = text.strip_prefix("Received disconnect from ") {
        // `IP port N:11: text` or, before OpenSSH 7.3, `IP: 11: text`.
        let peer = match rest.split_once(" port ") {
            Some((ip, after)) if !ip.contains(' ') => {
                format!("{ip} port {}", after.split(':').next().unwrap_or_default())
            }
            _ => {
                let word = rest.split(' ').next().unwrap_or_default();
                word.trim_end_matches(':').to_string()
            }
        };
        event.insert("Outcome", FieldValue::from("disconnected"));
        address(&peer, event);
    }
}

/// `<method> for [invalid user ]U from IP port N ssh2…`
fn logon(rest: &str, outcome: &str, event: &mut Event) {
    let Some((method, rest)) = rest.split_once(" for ") else {
        return;
    };
    let Some((user, from)) = rest.rsplit_once(" from ") else {
        return;
    };
    let user = user.strip_prefix("invalid user ").unwrap_or(user);
    event.insert("Outcome", FieldValue::from(outcome));
    event.insert("AuthMethod", FieldValue::from(method));
    event.insert("TargetUserName", FieldValue::from(user));
    address(from, event);
}

/// `[invalid user |authenticating user |user ]U IP port N[ [preauth]]`, or
/// just `IP[ port N][ [preauth]]`.
fn ended(rest: &str, outcome: &str, event: &mut Event) {
    let rest = rest.strip_suffix(" [preauth]").unwrap_or(rest);
    let user_prefix = ["invalid user ", "authenticating user ", "user "]
        .iter()
        .find_map(|prefix| rest.strip_prefix(prefix));
    event.insert("Outcome", FieldValue::from(outcome));
    match user_prefix.and_then(|named| named.rsplit_once(" port ")) {
        Some((user_and_ip, port)) => {
            let (user, ip) = user_and_ip.rsplit_once(' ').unwrap_or(("", user_and_ip));
            if !user.is_empty() {
                event.insert("TargetUserName", FieldValue::from(user));
            }
            address(&format!("{ip} port {port}"), event);
        }
        None => address(rest, event),
    }
}

/// `IP[ port N][ anything]`: the address (or host name) and the port.
fn address(text: &str, event: &mut Event) {
    let mut words = text.split_whitespace();
    let Some(host) = words.next() else {
        return;
    };
    remote(host, event);
    if words.next() == Some("port") {
        if let Some(port) = words.next().and_then(|p| p.parse::<i64>().ok()) {
            event.insert("IpPort", FieldValue::Int(port));
        }
    }
}

fn remote(host: &str, event: &mut Event) {
    if host.parse::<IpAddr>().is_ok() {
        event.insert("IpAddress", FieldValue::from(host));
    } else {
        event.insert("RemoteHost", FieldValue::from(host));
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::super::{parse_line, SyslogContext};

    /// The auth fields of an sshd line with `message`, as `name=value` text.
    fn fields(program: &str, message: &str) -> Vec<String> {
        let line = format!("Dec 10 06:55:46 LabSZ {program}[24200]: {message}");
        let mut context = SyslogContext::new("t", Utc::now());
        let event = parse_line(&line, &mut context).unwrap();
        event
            .fields()
            .skip_while(|(name, _)| *name != "Message")
            .skip(1)
            .map(|(name, value)| format!("{name}={value}"))
            .collect()
    }

    #[test]
    fn failed_and_accepted_logons() {
        assert_eq!(
            fields(
                "sshd",
                "Failed password for root from 5.36.59.76 port 42393 ssh2"
            ),
            [
                "Outcome=failure",
                "AuthMethod=password",
                "TargetUserName=root",
                "IpAddress=5.36.59.76",
                "IpPort=42393"
            ]
        );
        assert_eq!(
            fields(
                "sshd",
                "Failed password for invalid user  0101 from 5.188.10.180 port 49805 ssh2"
            ),
            [
                "Outcome=failure",
                "AuthMethod=password",
                "TargetUserName= 0101",
                "IpAddress=5.188.10.180",
                "IpPort=49805"
            ]
        );
        assert_eq!(
            fields(
                "sshd-session",
                "Accepted publickey for alice from 2001:db8::7 port 50000 ssh2: ED25519 SHA256:abc"
            ),
            [
                "Outcome=success",
                "AuthMethod=publickey",
                "TargetUserName=alice",
                "IpAddress=2001:db8::7",
                "IpPort=50000"
            ]
        );
    }

    #[test]
    fn invalid_users() {
        assert_eq!(
            fields("sshd", "Invalid user webmaster from 173.234.31.186"),
            [
                "Outcome=invalid_user",
                "TargetUserName=webmaster",
                "IpAddress=173.234.31.186"
            ]
        );
        assert_eq!(
            fields("sshd", "Invalid user test from 10.0.0.1 port 22"),
            [
                "Outcome=invalid_user",
                "TargetUserName=test",
                "IpAddress=10.0.0.1",
                "IpPort=22"
            ]
        );
    }

    #[test]
    fn pam_failures_in_either_layout() {
        assert_eq!(
            fields(
                "sshd",
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=112.95.230.3  user=root"
            ),
            [
                "PamModule=pam_unix",
                "Outcome=failure",
                "IpAddress=112.95.230.3",
                "TargetUserName=root"
            ]
        );
        assert_eq!(
            fields(
                "sshd(pam_unix)",
                "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root"
            ),
            [
                "PamModule=pam_unix",
                "Outcome=failure",
                "RemoteHost=220-135-151-1.hinet-ip.hinet.net",
                "TargetUserName=root"
            ]
        );
        assert_eq!(
            fields("sshd", "pam_unix(sshd:auth): check pass; user unknown"),
            ["PamModule=pam_unix"]
        );
    }

    #[test]
    fn disconnects_and_closed_connections() {
        assert_eq!(
            fields(
                "sshd",
                "Disconnected from invalid user admin 203.0.113.9 port 51234 [preauth]"
            ),
            [
                "Outcome=disconnected",
                "TargetUserName=admin",
                "IpAddress=203.0.113.9",
                "IpPort=51234"
            ]
        );
        assert_eq!(
            fields(
                "sshd",
                "Connection closed by authenticating user root 203.0.113.9 port 4 [preauth]"
            ),
            [
                "Outcome=closed",
                "TargetUserName=root",
                "IpAddress=203.0.113.9",
                "IpPort=4"
            ]
        );
        assert_eq!(
            fields("sshd", "Connection closed by 173.234.31.186 [preauth]"),
            ["Outcome=closed", "IpAddress=173.234.31.186"]
        );
        assert_eq!(
            fields("sshd", "Disconnected from 10.1.1.1 port 22"),
            ["Outcome=disconnected", "IpAddress=10.1.1.1", "IpPort=22"]
        );
        assert_eq!(
            fields(
                "sshd",
                "Received disconnect from 139.59.209.18: 11: Bye Bye [preauth]"
            ),
            ["Outcome=disconnected", "IpAddress=139.59.209.18"]
        );
        assert_eq!(
            fields(
                "sshd",
                "error: Received disconnect from 10.0.0.2 port 5000:11: disconnected by user"
            ),
            ["Outcome=disconnected", "IpAddress=10.0.0.2", "IpPort=5000"]
        );
    }

    #[test]
    fn a_repeated_message_stands_for_its_count() {
        assert_eq!(
            fields(
                "sshd",
                "message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]"
            ),
            [
                "RepeatCount=5",
                "Outcome=failure",
                "AuthMethod=password",
                "TargetUserName=root",
                "IpAddress=5.36.59.76",
                "IpPort=42393"
            ]
        );
    }

    #[test]
    fn sudo_commands() {
        assert_eq!(
            fields(
                "sudo",
                "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=#-1 ; COMMAND=/bin/sh -c 'a ; b'"
            ),
            [
                "SubjectUserName=alice",
                "TTY=pts/0",
                "PWD=/home/alice",
                "USER=#-1",
                "COMMAND=/bin/sh -c 'a ; b'"
            ]
        );
        assert_eq!(
            fields(
                "sudo",
                "bob : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/su"
            ),
            [
                "SubjectUserName=bob",
                "TTY=pts/1",
                "PWD=/",
                "USER=root",
                "COMMAND=/bin/su"
            ]
        );
    }

    #[test]
    fn other_programs_are_not_read_as_sshd() {
        assert!(fields("ftpd", "Failed password for root from 1.2.3.4 port 1 ssh2").is_empty());
        assert!(fields("sshd", "Server listening on 0.0.0.0 port 22.").is_empty());
    }
}
