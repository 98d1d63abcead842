use std::io::Write;

use super::*;
use crate::record::Action;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn read_one(path: &Path, mapping: Option<&FlowMapping>) -> NetworkLog {
    let format = classify(path, mapping).unwrap().expect("network evidence");
    let mut log = NetworkLog::default();
    read(path, &format, &mut log).unwrap();
    log
}

#[test]
fn zeek_tsv_conn_with_unset_fields_and_a_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\n1521911720.5\tC1\t10.0.0.5\t50000\t198.51.100.7\t443\ttcp\tssl\t12.5\t1000\t200\n1521911721.5\tC2\t10.0.0.5\t50001\t198.51.100.7\t443\ttcp\t-\t-\t-\t-\nnot\ta\trecord\n#close\t2018-03-24-17-15-20\n";
    let path = write(dir.path(), "conn.log", text);
    assert_eq!(
        classify(&path, None).unwrap(),
        Some(NetworkFormat::ZeekTsv(ZeekLog::Conn))
    );
    let log = read_one(&path, None);
    assert_eq!(log.flows.len(), 2);
    assert_eq!(log.flows[0].bytes_out, Some(1000));
    assert_eq!(log.flows[0].duration, Some(12.5));
    assert_eq!(log.flows[0].service.as_deref(), Some("ssl"));
    assert_eq!(log.flows[1].bytes_out, None);
    assert_eq!(log.issues.len(), 1);
    assert_eq!(log.issues[0].line, Some(10));
    assert!(
        log.issues[0].to_string().contains("conn.log line 10"),
        "{}",
        log.issues[0]
    );
}

#[test]
fn zeek_json_dns_by_path_field_and_nested_ids() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"{"_path":"dns","ts":"2018-03-24T17:15:20.865716Z","id.orig_h":"10.47.1.100","id.resp_h":"10.0.0.100","query":"ise.wrccdc.org","qtype_name":"A","answers":["134.71.3.16"]}
{"ts":1521911720.0,"uid":"C1","id":{"orig_h":"10.0.0.9","resp_h":"10.0.0.100"},"query":"x.example.com","qtype_name":"TXT"}
{"_path":"dns","ts":"2018-03-24T17:15:21Z","id.orig_h":"10.47.1.100","id.resp_h":"10.0.0.100"}
{broken
"#;
    let path = write(dir.path(), "dns.json", text);
    let log = read_one(&path, None);
    assert_eq!(log.dns.len(), 2);
    assert_eq!(&*log.dns[0].query, "ise.wrccdc.org");
    assert_eq!(log.dns[1].client.to_string(), "10.0.0.9");
    assert_eq!(log.dns[1].qtype.as_deref(), Some("TXT"));
    assert_eq!(log.inputs[0].records, 3);
    assert_eq!(log.issues.len(), 1);
    assert_eq!(log.issues[0].line, Some(4));
}

/// One file for every log, as the JSON-streaming package writes it: the
/// logs the assessment weighs are read by `@stream`, with `id_orig_h` as
/// `id.orig_h`; the others are counted, not reported.
#[test]
fn zeek_json_streaming_holds_every_log() {
    let dir = tempfile::tempdir().unwrap();
    let text = concat!(
        r#"{"@stream":"capture_loss","@system":"nsm","@proc":"zeek","ts":1588317555.874701,"gaps":9}"#,
        "\n",
        r#"{"@stream":"conn","@system":"nsm","ts":1588316619.797806,"uid":"C1","id_orig_h":"10.0.1.5","id_orig_p":55979,"id_resp_h":"10.0.0.4","id_resp_p":53,"proto":"udp","orig_bytes":82,"resp_bytes":207}"#,
        "\n",
        r#"{"@stream":"dns","ts":1588316619.797806,"uid":"C1","id_orig_h":"10.0.1.5","id_resp_h":"10.0.0.4","query":"ctldl.windowsupdate.com","qtype_name":"A","answers":["23.62.7.160"]}"#,
        "\n",
        r#"{"@stream":"ssl","ts":1588316620.1,"uid":"C2","id_orig_h":"10.0.1.5","id_resp_h":"23.62.7.160","server_name":"x.example"}"#,
        "\n",
        r#"{"@stream":"x509","ts":1588316620.2,"id":"F1","certificate_serial":"8BB00EE"}"#,
        "\n",
        r#"{"ts":1588316620.3,"uid":"C3"}"#,
        "\n",
        r#"{"@stream":"conn","ts":1588316621.0,"id_orig_h":"10.0.1.5"}"#,
        "\n",
    );
    for name in ["combined.log", "zeek.json", "combined.log.gz"] {
        let path = dir.path().join(name);
        if name.ends_with(".gz") {
            let mut gz = flate2::write::GzEncoder::new(
                std::fs::File::create(&path).unwrap(),
                flate2::Compression::fast(),
            );
            gz.write_all(text.as_bytes()).unwrap();
            gz.finish().unwrap();
        } else {
            std::fs::write(&path, text).unwrap();
        }
        assert_eq!(
            classify(&path, None).unwrap(),
            Some(NetworkFormat::ZeekStreaming),
            "{name}"
        );
        let log = read_one(&path, None);
        assert_eq!(log.flows.len(), 1, "{name}");
        assert_eq!(log.flows[0].src.to_string(), "10.0.1.5");
        assert_eq!(log.flows[0].dst_port, Some(53));
        assert_eq!(log.flows[0].bytes_out, Some(82));
        assert_eq!(&*log.dns[0].query, "ctldl.windowsupdate.com");
        assert_eq!(&*log.tls[0].server_name, "x.example");
        let input = &log.inputs[0];
        assert_eq!(input.format, "Zeek logs (JSON streaming)");
        assert_eq!(
            (input.records, input.other, input.skipped),
            (3, 2, 2),
            "{name}"
        );
        let lines: Vec<_> = log.issues.iter().map(|i| i.line).collect();
        assert_eq!(lines, [Some(6), Some(7)], "{:?}", log.issues);
        assert!(log.issues[0].message.contains("names no log"));
        assert!(
            log.issues[1].message.contains("id.resp_h"),
            "{}",
            log.issues[1]
        );
    }
}

#[test]
fn fortigate_key_values_with_interim_records() {
    let dir = tempfile::tempdir().unwrap();
    let text = concat!(
        "date=2024-05-01 time=10:00:00 eventtime=1714557600000000000 tz=\"+0200\" type=\"traffic\" subtype=\"forward\" srcip=10.1.1.5 srcport=50000 dstip=203.0.113.9 dstport=443 proto=6 action=\"accept\" duration=60 sentbyte=1000 rcvdbyte=50 sentpkt=10 rcvdpkt=2 sentdelta=1000 rcvddelta=50\n",
        "date=2024-05-01 time=10:02:00 eventtime=1714557720000000000 tz=\"+0200\" type=\"traffic\" subtype=\"forward\" srcip=10.1.1.5 srcport=50000 dstip=203.0.113.9 dstport=443 proto=6 action=\"close\" duration=120 sentbyte=3000 rcvdbyte=90 sentpkt=30 rcvdpkt=4 sentdelta=2000 rcvddelta=40\n",
        "date=2024-05-01 time=10:03:00 tz=\"+0200\" type=\"traffic\" srcip=10.1.1.6 srcport=50001 dstip=203.0.113.9 dstport=22 proto=6 action=\"deny\" sentbyte=0 rcvdbyte=0\n",
        "date=2024-05-01 time=10:03:00 type=\"event\" subtype=\"system\" msg=\"admin login\" srcip=10.1.1.6 dstip=10.1.1.1\n",
        "date=2024-05-01 time=10:04:00 type=\"traffic\" srcip=10.1.1.6 dstip=not-an-ip\n",
    );
    let path = write(dir.path(), "fortigate.log", text);
    let log = read_one(&path, None);
    assert_eq!(
        log.inputs[0].format,
        "flow records (key=value lines, fortigate mapping)"
    );
    assert_eq!(log.flows.len(), 3, "{:?}", log.issues);
    let sent: u64 = log.flows.iter().filter_map(|f| f.bytes_out).sum();
    assert_eq!(sent, 3000, "interim and closing records count their deltas");
    assert_eq!(log.flows[0].time.to_rfc3339(), "2024-05-01T10:00:00+00:00");
    assert_eq!(log.flows[0].proto.as_deref(), Some("tcp"));
    // date and time are local: tz +0200 means 08:03 UTC.
    assert_eq!(log.flows[2].time.to_rfc3339(), "2024-05-01T08:03:00+00:00");
    assert_eq!(log.flows[2].action, Action::Blocked);
    assert_eq!(log.issues.len(), 1);
    assert!(log.issues[0]
        .message
        .contains("destination is not an address"));
}

#[test]
fn paloalto_with_and_without_header() {
    let dir = tempfile::tempdir().unwrap();
    let headed = "Receive Time,Type,Threat/Content Type,Source address,Destination address,Source Port,Destination Port,IP Protocol,Action,Bytes,Bytes Sent,Bytes Received,Start Time,Elapsed Time (sec)\n2026/01/02 10:15:32,TRAFFIC,end,192.168.1.100,203.0.113.50,54321,443,tcp,allow,1523,800,723,2026/01/02 10:15:00,32\n";
    let log = read_one(&write(dir.path(), "pan.csv", headed), None);
    assert_eq!(log.flows.len(), 1, "{:?}", log.issues);
    let f = &log.flows[0];
    assert_eq!(
        (f.bytes_out, f.bytes_in, f.duration),
        (Some(800), Some(723), Some(32.0))
    );
    assert_eq!(f.time.to_rfc3339(), "2026-01-02T10:15:00+00:00");
    let syslog = "1,2026/01/02 10:15:32,007654321012,TRAFFIC,end,2560,2026/01/02 10:15:32,192.168.1.100,203.0.113.50,0.0.0.0,0.0.0.0,Allow-Outbound,domain\\jsmith,,web-browsing,vsys1,trust,untrust,ethernet1/2,ethernet1/1,Forward-to-Panorama,2026/01/02 10:15:32,12345,1,54321,443,0,0,0x400000,tcp,allow,1523,800,723,15,2026/01/02 10:15:00,0,any,0,123456789,0x8000000000000000,192.168.0.0-192.168.255.255,United States,0,8,7,aged-out\n1,2026/01/02 10:16:00,007654321012,THREAT,url,2560,2026/01/02 10:16:00,192.168.1.100,203.0.113.50\n";
    let path = write(dir.path(), "pan.log", syslog);
    assert!(matches!(
        classify(&path, None).unwrap(),
        Some(NetworkFormat::Flows(FlowLayout::Csv { header: false }, _))
    ));
    let log = read_one(&path, None);
    assert_eq!(
        log.flows.len(),
        1,
        "the THREAT record is not a flow: {:?}",
        log.issues
    );
    assert_eq!(log.flows[0].bytes_out, Some(800));
    assert_eq!(log.flows[0].dst_port, Some(443));
}

#[test]
fn a_custom_mapping_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = FlowMapping::parse(
        "name: lab\ntime: [start]\nsrc: [from]\ndst: [to]\nbytes_out: [up]\nbytes_in: [down]\n",
    )
    .unwrap();
    let path = dir.path().join("export.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(b"start,from,to,up,down\n2024-01-01T00:00:00Z,10.0.0.1,8.8.8.8,5,6\n")
        .unwrap();
    gz.finish().unwrap();
    assert!(classify(&path, None).unwrap().is_none(), "unknown columns");
    let log = read_one(&path, Some(&mapping));
    assert_eq!(log.flows.len(), 1);
    assert_eq!(log.flows[0].bytes_in, Some(6));
}

#[test]
fn other_files_are_not_network_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let windows = write(
        dir.path(),
        "host.jsonl",
        "{\"Event\":{\"System\":{\"EventID\":4624}}}\n",
    );
    let weird = write(
        dir.path(),
        "weird.json",
        "{\"_path\":\"weird\",\"ts\":1.0,\"id.orig_h\":\"10.0.0.1\"}\n",
    );
    let text = write(dir.path(), "notes.txt", "hello\n");
    for p in [windows, weird, text] {
        assert!(classify(&p, None).unwrap().is_none(), "{}", p.display());
    }
}

/// Lines cut short, bytes that are not UTF-8, odd quoting: each is an issue
/// or a record, never a panic, and the good lines around them are read.
#[test]
fn damaged_lines_never_stop_a_reader() {
    let dir = tempfile::tempdir().unwrap();
    let damage: [&[u8]; 9] = [
        b"\xff\xfe\x00garbage",
        b"\"unterminated,quote",
        b"srcip=\"10.0.0.1 dstip=",
        b"{\"ts\":",
        b"\\x4",
        b",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,",
        b"=====",
        "é..b..com,\u{1F600}".as_bytes(),
        b"",
    ];
    let good_csv = "2024-01-01T00:00:00Z,10.0.0.1,1,8.8.8.8,53,udp,10,20,1,1,0.1,allow";
    let good_kv =
        "date=2024-01-01 time=00:00:00 type=traffic srcip=10.0.0.1 dstip=8.8.8.8 sentbyte=10";
    let good_conn = r#"{"ts":1.0,"uid":"C","id.orig_h":"10.0.0.1","id.resp_h":"8.8.8.8","orig_bytes":10,"conn_state":"SF"}"#;
    let good_tsv = "1.0\t10.0.0.1\t8.8.8.8\t10";
    let good_stream = r#"{"@stream":"conn","ts":1.0,"uid":"C","id_orig_h":"10.0.0.1","id_resp_h":"8.8.8.8","orig_bytes":10}"#;
    for (name, head, good) in [
        (
            "flows.csv",
            format!("{}\n", vigil_simulate::FLOWS_HEADER),
            good_csv,
        ),
        ("fw.log", format!("{good_kv}\n"), good_kv),
        ("conn.json", format!("{good_conn}\n"), good_conn),
        ("all.log", format!("{good_stream}\n"), good_stream),
        (
            "conn.log",
            "#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\tid.resp_h\torig_bytes\n"
                .to_string(),
            good_tsv,
        ),
    ] {
        let mut bytes = head.into_bytes();
        for d in damage {
            bytes.extend_from_slice(d);
            bytes.push(b'\n');
            bytes.extend_from_slice(good.as_bytes());
            bytes.push(b'\n');
        }
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let log = read_one(&path, None);
        assert!(
            log.flows.len() >= damage.len(),
            "{name}: {} flows of {} good lines; issues {:?}",
            log.flows.len(),
            damage.len(),
            log.issues
        );
        assert!(!log.issues.is_empty(), "{name}: damage reported");
        assert!(
            log.issues.iter().all(|i| i.line.is_some()),
            "{name}: {:?}",
            log.issues
        );
    }
}

#[test]
fn csv_quoting_within_a_line() {
    let fields = flows::split_csv(r#"a,"b,""c""",,"unterminated"#);
    assert_eq!(fields, ["a", "b,\"c\"", "", "unterminated"]);
    assert_eq!(flows::split_csv(""), [""]);
}

/// A line of `left` bytes without a newline, then `rest`, made as it is read.
struct HugeLine {
    left: u64,
    rest: &'static [u8],
}

impl Read for HugeLine {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.left > 0 {
            let n = (buffer.len() as u64).min(self.left) as usize;
            buffer[..n].fill(b'1');
            self.left -= n as u64;
            return Ok(n);
        }
        let n = buffer.len().min(self.rest.len());
        buffer[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

#[test]
fn a_line_of_a_gigabyte_is_skipped_without_holding_it_and_the_next_read() {
    let huge = HugeLine {
        left: 1 << 30,
        rest: b"\nts,src_ip,dst_ip\n",
    };
    let mut reader = BufReader::with_capacity(256 << 10, huge);
    let mut seen = Vec::new();
    lines(&mut reader, |number, line| {
        seen.push((number, line.map(str::to_string)));
        true
    })
    .unwrap();
    assert_eq!(
        seen,
        [
            (1, Err("line longer than 16 MiB; skipped".to_string())),
            (2, Ok("ts,src_ip,dst_ip".to_string()))
        ]
    );
}

#[test]
fn an_overlong_flow_line_is_an_issue_and_the_next_lines_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let long = "9".repeat(17 << 20);
    let text = format!(
        "ts,src_ip,dst_ip,dst_port,bytes_out\n2024-03-01T10:00:00Z,10.0.0.5,203.0.113.9,443,{long}\n2024-03-01T10:00:01Z,10.0.0.5,203.0.113.9,443,100\n"
    );
    let path = write(dir.path(), "flows.csv", &text);
    let log = read_one(&path, None);
    assert_eq!(log.flows.len(), 1);
    assert_eq!(log.flows[0].bytes_out, Some(100));
    assert_eq!(log.issues.len(), 1);
    assert_eq!(log.issues[0].line, Some(2));
    assert!(
        log.issues[0].to_string().contains("flows.csv line 2"),
        "{}",
        log.issues[0]
    );
    assert!(
        log.issues[0].message.contains("longer than 16 MiB"),
        "{}",
        log.issues[0]
    );
}
