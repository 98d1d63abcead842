//! The network sensor's view: connection records written twice, as generic
//! flow records (`flows.csv`) and as Zeek `conn.log` JSON (`conn.jsonl`), and
//! DNS queries as Zeek `dns.log` JSON (`dns.jsonl`).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::clock::{self, Micros, SECOND};
use crate::random;
use crate::windows::json_string;

/// The header line of `flows.csv`.
pub const FLOWS_HEADER: &str =
    "ts,src_ip,src_port,dst_ip,dst_port,proto,bytes_out,bytes_in,packets_out,packets_in,duration,action";

/// One connection, from its originator's side.
#[derive(Debug, Clone)]
pub(crate) struct Flow {
    pub time: Micros,
    pub uid: String,
    pub src_ip: String,
    pub src_port: u16,
    pub dst_ip: String,
    pub dst_port: u16,
    pub proto: &'static str,
    /// Zeek's service guess (`ssl`, `smb`, …), `-` when it has none.
    pub service: &'static str,
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub duration: Micros,
}

impl Flow {
    /// A completed connection; ports, uid and packet counts come from `rng`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        rng: &mut ChaCha8Rng,
        time: Micros,
        src_ip: &str,
        dst_ip: &str,
        dst_port: u16,
        service: &'static str,
        bytes_out: u64,
        bytes_in: u64,
        duration: Micros,
    ) -> Flow {
        let proto = if matches!(service, "dns" | "rtp") {
            "udp"
        } else {
            "tcp"
        };
        Flow {
            time,
            uid: random::zeek_uid(rng),
            src_ip: src_ip.to_string(),
            src_port: rng.random_range(49152..65535),
            dst_ip: dst_ip.to_string(),
            dst_port,
            proto,
            service,
            bytes_out,
            bytes_in,
            duration,
        }
    }

    fn packets(bytes: u64) -> u64 {
        // Full-size segments plus the handshake and acknowledgements.
        bytes / 1380 + 3
    }
}

/// One DNS query and its answer.
#[derive(Debug, Clone)]
pub(crate) struct DnsQuery {
    pub time: Micros,
    pub uid: String,
    pub client_ip: String,
    pub client_port: u16,
    pub server_ip: String,
    pub query: String,
    pub answers: Vec<String>,
}

impl DnsQuery {
    pub(crate) fn new(
        rng: &mut ChaCha8Rng,
        time: Micros,
        client_ip: &str,
        server_ip: &str,
        query: &str,
        answers: Vec<String>,
    ) -> DnsQuery {
        DnsQuery {
            time,
            uid: random::zeek_uid(rng),
            client_ip: client_ip.to_string(),
            client_port: rng.random_range(49152..65535),
            server_ip: server_ip.to_string(),
            query: query.to_string(),
            answers,
        }
    }
}

/// The three network files, written in time order hour by hour.
pub(crate) struct NetworkLog {
    flows: BufWriter<File>,
    conn: BufWriter<File>,
    dns: BufWriter<File>,
    line: String,
    pub records: u64,
    pub bytes: u64,
}

impl NetworkLog {
    pub(crate) fn create(folder: &Path) -> io::Result<(NetworkLog, Vec<PathBuf>)> {
        let paths = vec![
            folder.join("flows.csv"),
            folder.join("conn.jsonl"),
            folder.join("dns.jsonl"),
        ];
        let open = |p: &PathBuf| File::create(p).map(|f| BufWriter::with_capacity(256 << 10, f));
        let mut log = NetworkLog {
            flows: open(&paths[0])?,
            conn: open(&paths[1])?,
            dns: open(&paths[2])?,
            line: String::with_capacity(512),
            records: 0,
            bytes: 0,
        };
        writeln!(log.flows, "{FLOWS_HEADER}")?;
        log.bytes += FLOWS_HEADER.len() as u64 + 1;
        Ok((log, paths))
    }

    pub(crate) fn write_flow(&mut self, flow: &Flow) -> io::Result<()> {
        let (packets_out, packets_in) =
            (Flow::packets(flow.bytes_out), Flow::packets(flow.bytes_in));
        let seconds = flow.duration as f64 / SECOND as f64;
        let line = &mut self.line;
        line.clear();
        let _ = writeln!(
            line,
            "{},{},{},{},{},{},{},{},{},{},{:.3},allow",
            clock::iso(flow.time),
            flow.src_ip,
            flow.src_port,
            flow.dst_ip,
            flow.dst_port,
            flow.proto,
            flow.bytes_out,
            flow.bytes_in,
            packets_out,
            packets_in,
            seconds
        );
        self.flows.write_all(line.as_bytes())?;
        self.bytes += line.len() as u64;

        line.clear();
        let _ = write!(
            line,
            r#"{{"ts":{},"uid":"{}","id.orig_h":"{}","id.orig_p":{},"id.resp_h":"{}","id.resp_p":{},"proto":"{}","#,
            clock::epoch(flow.time),
            flow.uid,
            flow.src_ip,
            flow.src_port,
            flow.dst_ip,
            flow.dst_port,
            flow.proto
        );
        if flow.service != "-" {
            let _ = write!(line, r#""service":"{}","#, flow.service);
        }
        let _ = writeln!(
            line,
            r#""duration":{seconds:.6},"orig_bytes":{},"resp_bytes":{},"conn_state":"SF","local_orig":{},"local_resp":{},"orig_pkts":{packets_out},"resp_pkts":{packets_in}}}"#,
            flow.bytes_out,
            flow.bytes_in,
            is_internal(&flow.src_ip),
            is_internal(&flow.dst_ip)
        );
        self.conn.write_all(line.as_bytes())?;
        self.bytes += line.len() as u64;
        self.records += 2;
        Ok(())
    }

    pub(crate) fn write_dns(&mut self, query: &DnsQuery) -> io::Result<()> {
        let line = &mut self.line;
        line.clear();
        let _ = write!(
            line,
            r#"{{"ts":{},"uid":"{}","id.orig_h":"{}","id.orig_p":{},"id.resp_h":"{}","id.resp_p":53,"proto":"udp","trans_id":{},"query":"#,
            clock::epoch(query.time),
            query.uid,
            query.client_ip,
            query.client_port,
            query.server_ip,
            query.client_port ^ 0x5a5a
        );
        json_string(&query.query, line);
        let rcode = if query.answers.is_empty() {
            "NXDOMAIN"
        } else {
            "NOERROR"
        };
        let _ = write!(
            line,
            r#","qclass":1,"qclass_name":"C_INTERNET","qtype":1,"qtype_name":"A","rcode":{},"rcode_name":"{rcode}","AA":false,"RD":true,"RA":true,"answers":["#,
            if query.answers.is_empty() { 3 } else { 0 }
        );
        for (i, answer) in query.answers.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            json_string(answer, line);
        }
        line.push_str("]}\n");
        self.dns.write_all(line.as_bytes())?;
        self.bytes += line.len() as u64;
        self.records += 1;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.flows.flush()?;
        self.conn.flush()?;
        self.dns.flush()
    }
}

/// Whether an address is inside the operator's network (10.20.0.0/16).
pub(crate) fn is_internal(ip: &str) -> bool {
    ip.starts_with("10.20.")
}
