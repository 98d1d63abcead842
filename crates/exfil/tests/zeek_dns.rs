//! The DNS-tunnelling check on real traffic: the Zeek DNS log of the WRCCDC
//! 2018 capture in `../shared/corpus/zeek/` (53,615 records of a competition
//! network: workstations, Linux mirrors, CDNs, Windows telemetry).
//!
//! No domain there is a tunnel, and none is flagged. The domains that come
//! closest are checked by name below, each with why it is not one.

use std::path::Path;

use vigil_exfil::dns::{profile, TunnelThresholds};
use vigil_exfil::read::{classify, read, NetworkLog};

fn load() -> Option<NetworkLog> {
    let path = vigil_testdata::shared_dir("corpus/zeek/dns.json.gz")?;
    let format = classify(Path::new(&path), None)
        .unwrap()
        .expect("a Zeek dns log");
    let mut log = NetworkLog::default();
    read(&path, &format, &mut log).unwrap();
    Some(log)
}

#[test]
fn no_domain_of_the_real_capture_is_taken_for_a_tunnel() {
    let Some(log) = load() else { return };
    assert_eq!(log.inputs[0].records, 53_615);
    // Fourteen records carry no question (2 without the field, 12 with an
    // empty name): read and counted, not profiled.
    assert_eq!(log.dns.len(), 53_601);
    assert!(log.issues.is_empty(), "{:?}", log.issues.first());
    let profiles = profile(&log.dns, &TunnelThresholds::default());
    let flagged: Vec<&str> = profiles
        .iter()
        .filter(|p| p.tunnel)
        .map(|p| p.domain.as_str())
        .collect();
    assert!(flagged.is_empty(), "flagged: {flagged:?}");

    let get = |d: &str| {
        profiles
            .iter()
            .find(|p| p.domain == d)
            .unwrap_or_else(|| panic!("{d} not profiled"))
    };
    // Steam's content servers: the most distinct names (valve311, valve804, …),
    // but short, numbered and low in entropy.
    let steam = get("steamcontent.com");
    assert!(
        steam.unique_names >= 40 && steam.mean_length < 12.0,
        "{}",
        steam.reason
    );
    // Microsoft's network measurement (footprintdns.com): 32-hex-digit labels,
    // long and random-looking, but only a score of names from a few clients —
    // the shape of a tunnel without the volume of one.
    let footprint = get("footprintdns.com");
    assert!(
        footprint.mean_length >= 24.0 && footprint.entropy >= 3.6,
        "{}",
        footprint.reason
    );
    assert!(footprint.unique_names < 40, "{}", footprint.reason);
    // CloudFront distribution names (d2hzlohlg26lpl…): random but 14 characters.
    let cloudfront = get("cloudfront.net");
    assert!(cloudfront.mean_length < 24.0, "{}", cloudfront.reason);
    // Google: 50 distinct names, but ordinary host names (play, lh2.l, …).
    let google = get("google.com");
    assert!(
        google.unique_names >= 40 && google.mean_length < 24.0,
        "{}",
        google.reason
    );
    // AWS load balancer and S3 names: long, random parts, but 23 of them.
    let aws = get("amazonaws.com");
    assert!(
        aws.mean_length >= 24.0 && aws.unique_names < 40,
        "{}",
        aws.reason
    );
    // Reverse lookups are not profiled at all.
    assert!(profiles.iter().all(|p| !p.domain.ends_with("arpa")));

    for p in profiles.iter().take(8) {
        eprintln!("{}: {} queries; {}", p.domain, p.queries, p.reason);
    }
}

/// The check finds a tunnel when one is there: the real capture with a
/// tunnel's queries added from one of its own clients.
#[test]
fn a_tunnel_added_to_the_real_capture_is_found() {
    let Some(mut log) = load() else { return };
    let client = log.dns[0].client;
    let start = log.dns[0].time;
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..300u32 {
        let label: String = (0..52)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b"abcdefghijklmnopqrstuvwxyz234567"[(x % 32) as usize] as char
            })
            .collect();
        let mut q = log.dns[0].clone();
        q.client = client;
        q.time = start + chrono::Duration::seconds(i64::from(i));
        q.query = format!("{label}.{i}.up.tunnel-example.net").into();
        q.qtype = Some("TXT".into());
        log.dns.push(q);
    }
    let profiles = profile(&log.dns, &TunnelThresholds::default());
    let flagged: Vec<&str> = profiles
        .iter()
        .filter(|p| p.tunnel)
        .map(|p| p.domain.as_str())
        .collect();
    assert_eq!(flagged, ["tunnel-example.net"]);
    assert_eq!(profiles[0].clients, vec![client]);
}
