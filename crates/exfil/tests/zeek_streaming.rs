//! The APT29 day-2 capture as Zeek's JSON-streaming package wrote it, in
//! `../shared/corpus/zeek-streaming/`: one file, every log in it.

use std::io::Read;

use vigil_exfil::read::{classify, read, NetworkFormat, NetworkLog};

#[test]
fn every_line_is_read_and_conn_records_are_flows() {
    let Some(path) =
        vigil_testdata::shared_dir("corpus/zeek-streaming/apt29_day2_combined_zeek.log.gz")
    else {
        return;
    };
    let format = classify(&path, None).unwrap();
    assert_eq!(format, Some(NetworkFormat::ZeekStreaming));
    let mut log = NetworkLog::default();
    read(&path, &format.unwrap(), &mut log).unwrap();
    assert!(log.issues.is_empty(), "{:?}", log.issues.first());

    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let of = |stream: &str| {
        let tag = format!("\"@stream\":\"{stream}\"");
        lines.iter().filter(|l| l.contains(&tag)).count()
    };
    let input = &log.inputs[0];
    assert_eq!(
        input.records + input.other + input.skipped,
        lines.len() as u64
    );
    assert_eq!(log.flows.len(), of("conn"));
    assert_eq!(log.flows.len(), 1172);
    assert_eq!(
        input.records as usize,
        of("conn") + of("dns") + of("ssl") + of("http") + of("files")
    );
    assert_eq!(log.http.len(), of("http"));
    assert_eq!(log.files.len(), of("files"));
    assert!(log.dns.len() <= of("dns") && log.tls.len() <= of("ssl"));
    // The flows are the capture's: its domain controller answered DNS.
    assert!(log
        .flows
        .iter()
        .any(|f| f.dst.to_string() == "10.0.0.4" && f.dst_port == Some(53)));
}
