//! How hosts, accounts and addresses are spelled once they leave an event:
//! the same machine or person must compare equal whichever log named it.

use std::net::IpAddr;

/// A host's short name: the first DNS label, upper case (`fs-01.clinic.example` → `FS-01`).
/// Addresses stay as they are.
pub fn host_name(raw: &str) -> Option<String> {
    let raw = raw.trim().trim_start_matches('\\');
    if raw.is_empty() || raw == "-" || raw == "localhost" {
        return None;
    }
    if raw.parse::<IpAddr>().is_ok() {
        return Some(raw.to_string());
    }
    let first = raw.split('.').next().unwrap_or(raw);
    if first.is_empty() {
        return None;
    }
    Some(first.to_ascii_uppercase())
}

/// An address from a log field, without IPv4-mapped IPv6 decoration; `None`
/// for the placeholders Windows writes when there is no address.
pub fn address(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let raw = raw.strip_prefix("::ffff:").unwrap_or(raw);
    match raw.parse::<IpAddr>() {
        Ok(ip) if !ip.is_loopback() && !ip.is_unspecified() => Some(ip.to_string()),
        _ => None,
    }
}

/// Whether an address belongs to a private, link-local or loopback range:
/// inside the estate rather than on the internet.
pub fn is_internal(ip: &str) -> bool {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
        Err(_) => false,
    }
}

/// An account as `DOMAIN\name`, the domain upper case and cut to its first
/// label; `None` for empty names and Windows placeholders.
pub fn account(domain: Option<&str>, name: &str) -> Option<String> {
    let name = name.trim();
    if name.is_empty() || name == "-" {
        return None;
    }
    if let Some((d, n)) = name.split_once('\\') {
        return account(Some(d), n);
    }
    if let Some((n, d)) = name.split_once('@') {
        return account(Some(d), n);
    }
    let domain = domain
        .map(str::trim)
        .filter(|d| !d.is_empty() && *d != "-" && *d != ".")
        .map(|d| d.split('.').next().unwrap_or(d).to_ascii_uppercase());
    Some(match domain {
        Some(d) => format!("{d}\\{name}"),
        None => name.to_string(),
    })
}

/// The account's name without its domain.
pub fn user_part(account: &str) -> &str {
    account.rsplit('\\').next().unwrap_or(account)
}

/// Built-in identities that are not credentials anyone can steal and reuse:
/// SYSTEM, the service identities, anonymous, window-manager sessions.
pub fn is_builtin(account: &str) -> bool {
    let user = user_part(account).to_ascii_uppercase();
    matches!(
        user.as_str(),
        "SYSTEM"
            | "LOCAL SERVICE"
            | "NETWORK SERVICE"
            | "ANONYMOUS LOGON"
            | "LOCALSERVICE"
            | "NETWORKSERVICE"
    ) || user.starts_with("DWM-")
        || user.starts_with("UMFD-")
        || user.starts_with("FONT DRIVER HOST")
        || user.starts_with("WINDOW MANAGER")
        || account.to_ascii_uppercase().starts_with("NT AUTHORITY\\")
        || account.to_ascii_uppercase().starts_with("NT SERVICE\\")
        || account.to_ascii_uppercase().starts_with("IIS APPPOOL\\")
}

/// A computer's own account (`HOST$`).
pub fn is_machine(account: &str) -> bool {
    account.ends_with('$')
}

/// Logon sessions every machine has and no user owns (SYSTEM, LOCAL
/// SERVICE, NETWORK SERVICE): they say nothing about who did what.
pub fn is_shared_session(logon_id: &str) -> bool {
    matches!(
        logon_id.to_ascii_lowercase().as_str(),
        "0x3e7" | "0x3e4" | "0x3e5" | "0x0" | "0" | "999" | "996" | "997"
    )
}

/// Whether a path is one of the operating system's own binaries, the same
/// file on every Windows machine. Folders where attackers drop payloads
/// (`Windows\Temp`, `ProgramData`, user profiles) are not.
pub fn is_system_binary(path: &str) -> bool {
    let path = path.to_ascii_lowercase();
    [
        "\\windows\\system32\\",
        "\\windows\\syswow64\\",
        "\\windows\\winsxs\\",
        "\\windows\\microsoft.net\\",
    ]
    .iter()
    .any(|folder| path.contains(folder))
}

/// Whether a time can be a Windows or Unix log's: between 1601 (FILETIME's
/// epoch) and 30828 (its end). Times outside it are damage or forgery, and
/// the arithmetic of incident building (a day's gap, a clock skew) would
/// overflow near the calendar's limits.
pub fn is_plausible_time(time: &chrono::DateTime<chrono::Utc>) -> bool {
    use chrono::Datelike;
    (1601..=30828).contains(&time.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_accounts_compare_across_logs() {
        assert_eq!(host_name("fs-01.clinic.example").as_deref(), Some("FS-01"));
        assert_eq!(host_name("10.0.0.1").as_deref(), Some("10.0.0.1"));
        assert_eq!(host_name("-"), None);
        assert_eq!(
            account(Some("clinic.example"), "bob").as_deref(),
            Some("CLINIC\\bob")
        );
        assert_eq!(account(None, "CLINIC\\bob").as_deref(), Some("CLINIC\\bob"));
        // `.` is how a logon names the local machine without naming it.
        assert_eq!(
            account(Some("."), "Administrator").as_deref(),
            Some("Administrator")
        );
        assert_eq!(
            account(None, "bob@clinic.example").as_deref(),
            Some("CLINIC\\bob")
        );
        assert!(is_builtin("NT AUTHORITY\\SYSTEM"));
        assert!(is_machine("CLINIC\\WS-01$"));
        assert_eq!(address("::ffff:10.1.2.3").as_deref(), Some("10.1.2.3"));
        assert_eq!(address("-"), None);
        assert!(is_internal("10.1.2.3") && !is_internal("203.0.113.9"));
    }
}
