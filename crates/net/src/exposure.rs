//! Whether an input may listen where it is asked to: on loopback always;
//! elsewhere only encrypted and with senders authenticated, unless the
//! operator says `--insecure-listen` and so takes the risk knowingly.

use std::net::SocketAddr;

/// How a listener is protected.
#[derive(Debug, Clone, Copy, Default)]
pub struct Protection {
    /// Traffic is encrypted (TLS).
    pub encrypted: bool,
    /// Every sender proves who it is (a token or a client certificate).
    pub authenticated: bool,
}

/// `Ok` when `input` may listen on `addr`; otherwise the reason, with what
/// to give to make it safe.
pub fn check(
    input: &str,
    addr: SocketAddr,
    protection: Protection,
    insecure: bool,
    remedy: &str,
) -> Result<(), String> {
    if addr.ip().is_loopback() || insecure {
        return Ok(());
    }
    let missing = match (protection.encrypted, protection.authenticated) {
        (true, true) => return Ok(()),
        (false, false) => "neither encrypted nor authenticated: anyone who can reach it could send forged events, and anyone on the path could read them",
        (false, true) => "not encrypted: anyone on the path could read the events and the senders' credentials",
        (true, false) => "not authenticated: anyone who can reach it could send forged events",
    };
    Err(format!(
        "refusing to listen for {input} on {addr}, which is not loopback: the input would be {missing}. \
Give {remedy}, or --insecure-listen to listen anyway"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_or_a_protected_input_listens_without_the_explicit_flag() {
        let open = Protection::default();
        let both = Protection {
            encrypted: true,
            authenticated: true,
        };
        let local: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let local6: SocketAddr = "[::1]:1".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:1".parse().unwrap();
        assert!(check("HTTP", local, open, false, "x").is_ok());
        assert!(check("HTTP", local6, open, false, "x").is_ok());
        let refused = check("HTTP", any, open, false, "--tls-cert").unwrap_err();
        assert!(refused.contains("0.0.0.0:1") && refused.contains("--insecure-listen"));
        assert!(check("HTTP", any, both, false, "x").is_ok());
        assert!(check("HTTP", any, open, true, "x").is_ok());
        for half in [
            Protection {
                encrypted: true,
                authenticated: false,
            },
            Protection {
                encrypted: false,
                authenticated: true,
            },
        ] {
            assert!(check("HTTP", any, half, false, "x").is_err());
        }
    }
}
