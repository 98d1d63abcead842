//! Zeek's logs of the shared corpus through the sources reader and the whole
//! SigmaHQ ruleset: every line read as a `zeek` event of its log, and only
//! Zeek rules of that log firing.
//!
//! The rules and the corpus live outside the repository, in `../shared` next
//! to the workspace, or wherever `VIGIL_SHARED` points.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use vigil_event::{Event, FieldValue};
use vigil_sigma::{RuleSet, RuleSetBuilder, RuleSetOptions};
use vigil_sources::{discover, read_file, Format, SourceIssue};

fn shared(part: &str) -> Option<PathBuf> {
    vigil_testdata::shared_dir(part)
}

/// Every event of the files under `folder`, and the issues reading them.
fn read_all(folder: &Path) -> (Vec<Event>, Vec<SourceIssue>) {
    let (files, mut issues) = discover(&[folder.to_path_buf()]);
    let mut events = Vec::new();
    for file in &files {
        read_file(file, &mut |e| events.push(e), &mut |i| issues.push(i)).unwrap();
    }
    (events, issues)
}

/// The lines of a gzip file, decompressed.
fn gzip_lines(path: &Path) -> Vec<String> {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines().map(String::from).collect()
}

/// All of SigmaHQ's rules (every product: Windows, Cisco, Linux, cloud, …)
/// and the emerging-threat rules for Zeek.
fn sigma_rules() -> Option<RuleSet> {
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_path(&shared("sigma/rules")?);
    for rule in [
        "2025/Malware/Katz-Stealer/zeek_http_katz_stealer_susp_useragent.yml",
        "2021/Exploits/CVE-2021-1675/zeek_dce_rpc_exploit_cve_2021_1675_printnightmare_print_driver_install.yml",
        "2021/Exploits/CVE-2021-38647/zeek_http_exploit_cve_2021_38647_omigod_no_auth_rce.yml",
    ] {
        builder.add_path(&shared(&format!("sigma/rules-emerging-threats/{rule}"))?);
    }
    let (rules, report) = builder.build();
    assert!(report.rules > 3000, "{} rules", report.rules);
    Some(rules)
}

/// Rule id → the product it names and the logs its service means (empty:
/// any log of the product).
fn scopes(rules: &RuleSet) -> HashMap<String, (Option<String>, Vec<String>)> {
    rules
        .rules()
        .iter()
        .map(|rule| {
            let channels = rule
                .scope
                .variants
                .iter()
                .flat_map(|v| v.channels.iter().map(|c| c.to_ascii_lowercase()))
                .collect();
            (rule.meta.id.clone(), (rule.scope.product.clone(), channels))
        })
        .collect()
}

/// The ids of the rules that fire on `events`, with how often, each checked
/// to be a Zeek rule of the event's log.
fn detections(rules: &RuleSet, events: &[Event]) -> BTreeMap<String, usize> {
    let scopes = scopes(rules);
    let mut found = BTreeMap::new();
    let mut out = Vec::new();
    for event in events {
        out.clear();
        rules.detect(event, &mut out);
        for detection in &out {
            let (product, logs) = &scopes[&*detection.rule_id];
            let log = event.channel().unwrap_or_default();
            assert_eq!(product.as_deref(), Some("zeek"), "{}", detection.rule_title);
            assert!(
                logs.is_empty() || logs.iter().any(|l| l == log),
                "{} ({logs:?}) fired on a {log} record",
                detection.rule_title
            );
            *found.entry(detection.rule_id.to_string()).or_insert(0) += 1;
        }
    }
    found
}

/// The WRCCDC 2018 capture as Zeek's JSON writes it, one file per log.
/// Which Zeek rules fire was checked against the records: only the DCE-RPC
/// execution rule (b640c0b8), on the 9 `svcctl` `CreateServiceW`, 9
/// `StartServiceW`, 3 `SchRpcRegisterTask` and 3 `SchRpcRun` calls of
/// `dce_rpc.json.gz`. The rules that come near do not: every RDP client is
/// in 10.0.0.0/8 (the public-listener rule wants one outside the private
/// ranges), the only DNS records whose `Z` is not 0 are NetBIOS status
/// queries to port 137 (excluded by the Z-bit rule), and the one file
/// written to `ADMIN$` is `Temp\wdszAPrV.tmp`, not under `SYSTEM32\`
/// (the SecretDump rule).
#[test]
fn the_zeek_json_corpus_is_read_as_zeek_logs_and_only_their_rules_fire() {
    let (Some(rules), Some(corpus)) = (sigma_rules(), shared("corpus/zeek")) else {
        return;
    };
    let (events, issues) = read_all(&corpus);
    assert!(issues.is_empty(), "{issues:?}");

    let mut lines_by_log = BTreeMap::new();
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if let Some(log) = name.strip_suffix(".json.gz") {
            lines_by_log.insert(log.to_string(), gzip_lines(&path).len());
        }
    }
    let mut events_by_log = BTreeMap::new();
    for event in &events {
        assert_eq!(event.product, Some("zeek"));
        assert_eq!(event.shape, Some("Zeek JSON"));
        let log = event.channel().expect("every event names its log");
        assert!(
            event.source.contains(&format!("/{log}.json.gz")),
            "{log} in {}",
            event.source
        );
        *events_by_log.entry(log.to_string()).or_insert(0) += 1;
    }
    assert_eq!(events_by_log, lines_by_log);
    assert_eq!(events.len(), 158_439);

    let found = detections(&rules, &events);
    assert_eq!(
        found,
        BTreeMap::from([("b640c0b8-87f8-4daa-aef8-95a24261dd1d".to_string(), 24)])
    );
}

/// The APT29 day-2 capture as the JSON-streaming package writes it: one
/// file, every log in it, fields of nested records joined by `_`. No Zeek
/// rule fires there, and none should: its DCE-RPC calls are `samr`,
/// `epmapper` and `drsuapi` lookups, its SMB files are `sysvol` policy
/// reads, its Kerberos tickets are all AES.
#[test]
fn the_streaming_corpus_is_read_line_for_line() {
    let (Some(rules), Some(path)) = (
        sigma_rules(),
        shared("corpus/zeek-streaming/apt29_day2_combined_zeek.log.gz"),
    ) else {
        return;
    };
    let (files, issues) = discover(std::slice::from_ref(&path));
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(files[0].format, Format::JsonLines);
    let (events, issues) = read_all(&path);
    assert!(issues.is_empty(), "{issues:?}");
    let lines = gzip_lines(&path);
    assert_eq!(events.len(), lines.len());
    assert_eq!(events.len(), 5664);

    let mut by_log: BTreeMap<&str, usize> = BTreeMap::new();
    for (event, line) in events.iter().zip(&lines) {
        assert_eq!(event.product, Some("zeek"));
        assert_eq!(event.shape, Some("Zeek JSON streaming"));
        let log = event.channel().unwrap();
        assert!(
            line.starts_with(&format!("{{\"@stream\":\"{log}\"")),
            "{line}"
        );
        assert_eq!(
            event.timestamp.is_some(),
            line.contains("\"ts\":"),
            "{line}"
        );
        *by_log.entry(log).or_insert(0) += 1;
        if line.contains("\"id_orig_h\"") {
            assert!(event.get("id.orig_h").is_some() && event.get("id_orig_h").is_none());
            assert!(matches!(event.get("id.resp_p"), Some(FieldValue::Int(_))));
        }
    }
    let conn_lines = lines
        .iter()
        .filter(|l| l.contains("\"@stream\":\"conn\""))
        .count();
    assert_eq!(by_log["conn"], conn_lines);
    assert_eq!(
        (by_log["conn"], by_log["dce_rpc"], by_log["smb_files"]),
        (1172, 388, 9)
    );
    let x509 = events.iter().find(|e| e.channel() == Some("x509")).unwrap();
    assert!(x509.get("certificate.serial").is_some());

    let found = detections(&rules, &events);
    eprintln!("{found:?}");
    assert_eq!(found, BTreeMap::new());
}
