//! Which column of a firewall or flow export holds what.
//!
//! A mapping names, for each thing a flow record says, the column (or
//! key) that holds it; each entry is a list, the first column present in a
//! file wins. Column names compare without regard to case, spaces or
//! punctuation (`Bytes Sent` = `bytes_sent`). Exports without a header line
//! name columns by position: `"#7"` is the eighth column.
//!
//! ```yaml
//! name: my-firewall
//! time: [start]            # epoch, RFC 3339 or "YYYY-MM-DD HH:MM:SS" (UTC)
//! src: [source]
//! src_port: [sport]
//! dst: [destination]
//! dst_port: [dport]
//! proto: [protocol]        # names (tcp) or numbers (6)
//! bytes_out: [bytes_sent]  # from the originator
//! bytes_in: [bytes_received]
//! packets_out: [packets_sent]
//! packets_in: [packets_received]
//! duration: [elapsed]      # seconds
//! action: [action]
//! blocked: [deny, drop, reject, block]
//! ```
//!
//! Ready mappings: `vigil` (the simulator's `flows.csv` and any export with
//! the same column names), `fortigate` (FortiOS traffic logs, `key=value`
//! lines or their CSV/JSON export; interim "traffic statistics" records count
//! only their `sentdelta`/`rcvddelta`), `paloalto` (PAN-OS traffic logs,
//! exported with a header or as headerless syslog CSV).

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FlowMapping {
    pub name: String,
    #[serde(default)]
    pub time: Vec<String>,
    /// Date and time of day in two columns, used when no `time` column is present.
    #[serde(default)]
    pub date: Vec<String>,
    #[serde(default)]
    pub time_of_day: Vec<String>,
    pub src: Vec<String>,
    #[serde(default)]
    pub src_port: Vec<String>,
    pub dst: Vec<String>,
    #[serde(default)]
    pub dst_port: Vec<String>,
    #[serde(default)]
    pub proto: Vec<String>,
    #[serde(default)]
    pub bytes_out: Vec<String>,
    #[serde(default)]
    pub bytes_in: Vec<String>,
    #[serde(default)]
    pub packets_out: Vec<String>,
    #[serde(default)]
    pub packets_in: Vec<String>,
    #[serde(default)]
    pub duration: Vec<String>,
    #[serde(default)]
    pub action: Vec<String>,
    /// Action values meaning the connection was refused; any other value is
    /// taken as allowed.
    #[serde(default = "default_blocked")]
    pub blocked: Vec<String>,
    /// Records whose `record_type` column holds another value are not flows
    /// (PAN-OS writes threat and system records to the same stream).
    #[serde(default)]
    pub record_type: Vec<String>,
    #[serde(default)]
    pub record_type_is: Vec<String>,
}

fn default_blocked() -> Vec<String> {
    [
        "deny",
        "drop",
        "reject",
        "block",
        "blocked",
        "denied",
        "reset-both",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn list(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

impl FlowMapping {
    /// Vigil's own flow columns, as `vigil simulate` writes them.
    pub fn vigil() -> FlowMapping {
        FlowMapping {
            name: "vigil".into(),
            time: list(&["ts", "time", "timestamp", "start"]),
            date: vec![],
            time_of_day: vec![],
            src: list(&["src_ip", "src", "source_ip", "source"]),
            src_port: list(&["src_port", "sport", "source_port"]),
            dst: list(&["dst_ip", "dst", "destination_ip", "destination"]),
            dst_port: list(&["dst_port", "dport", "destination_port"]),
            proto: list(&["proto", "protocol", "transport"]),
            bytes_out: list(&["bytes_out", "out_bytes", "orig_bytes", "sent_bytes"]),
            bytes_in: list(&["bytes_in", "in_bytes", "resp_bytes", "received_bytes"]),
            packets_out: list(&["packets_out", "out_pkts", "orig_pkts"]),
            packets_in: list(&["packets_in", "in_pkts", "resp_pkts"]),
            duration: list(&["duration"]),
            action: list(&["action"]),
            blocked: default_blocked(),
            record_type: vec![],
            record_type_is: vec![],
        }
    }

    /// FortiOS traffic logs (`date=… time=… srcip=… sentbyte=…`).
    pub fn fortigate() -> FlowMapping {
        FlowMapping {
            name: "fortigate".into(),
            time: list(&["eventtime"]),
            date: list(&["date"]),
            time_of_day: list(&["time"]),
            src: list(&["srcip"]),
            src_port: list(&["srcport"]),
            dst: list(&["dstip"]),
            dst_port: list(&["dstport"]),
            proto: list(&["proto"]),
            bytes_out: list(&["sentdelta", "sentbyte"]),
            bytes_in: list(&["rcvddelta", "rcvdbyte"]),
            packets_out: list(&["sentpktdelta", "sentpkt"]),
            packets_in: list(&["rcvdpktdelta", "rcvdpkt"]),
            duration: list(&["duration"]),
            action: list(&["action"]),
            blocked: list(&["deny", "ip-conn", "blocked", "dns"]),
            record_type: list(&["type"]),
            record_type_is: list(&["traffic"]),
        }
    }

    /// PAN-OS traffic logs: exported with headers, or syslog CSV by position.
    pub fn paloalto() -> FlowMapping {
        FlowMapping {
            name: "paloalto".into(),
            time: list(&["Start Time", "Generate Time", "Receive Time", "#35"]),
            date: vec![],
            time_of_day: vec![],
            src: list(&["Source address", "Source IP", "src", "#7"]),
            src_port: list(&["Source Port", "sport", "#24"]),
            dst: list(&["Destination address", "Destination IP", "dst", "#8"]),
            dst_port: list(&["Destination Port", "dport", "#25"]),
            proto: list(&["IP Protocol", "Protocol", "proto", "#29"]),
            bytes_out: list(&["Bytes Sent", "bytes_sent", "#32"]),
            bytes_in: list(&["Bytes Received", "bytes_received", "#33"]),
            packets_out: list(&["Packets Sent", "pkts_sent", "#44"]),
            packets_in: list(&["Packets Received", "pkts_received", "#45"]),
            duration: list(&["Elapsed Time (sec)", "Elapsed Time", "elapsed", "#36"]),
            action: list(&["Action", "#30"]),
            blocked: list(&[
                "deny",
                "drop",
                "drop-icmp",
                "reset-both",
                "reset-client",
                "reset-server",
            ]),
            record_type: list(&["Type", "#3"]),
            record_type_is: list(&["TRAFFIC", "end"]),
        }
    }

    /// A ready mapping by name.
    pub fn preset(name: &str) -> Option<FlowMapping> {
        match name.to_ascii_lowercase().as_str() {
            "vigil" | "generic" => Some(FlowMapping::vigil()),
            "fortigate" | "fortios" => Some(FlowMapping::fortigate()),
            "paloalto" | "panos" | "pan-os" => Some(FlowMapping::paloalto()),
            _ => None,
        }
    }

    /// A mapping from a YAML file's text.
    pub fn parse(text: &str) -> Result<FlowMapping, String> {
        vigil_event::check_yaml(text, yaml_serde::Deserializer::from_str)?;
        let mapping: FlowMapping = yaml_serde::from_str(text).map_err(|e| e.to_string())?;
        if mapping.src.is_empty() || mapping.dst.is_empty() {
            return Err("a mapping needs `src` and `dst` columns".into());
        }
        if mapping.time.is_empty() && (mapping.date.is_empty() || mapping.time_of_day.is_empty()) {
            return Err("a mapping needs a `time` column, or `date` and `time_of_day`".into());
        }
        Ok(mapping)
    }

    /// The ready mapping that names the most of a header's columns, among
    /// those whose source and destination columns it has.
    pub fn for_header(header: &[String]) -> Option<FlowMapping> {
        let names: Vec<String> = header.iter().map(|h| normalise(h)).collect();
        let has = |cols: &[String]| cols.iter().any(|c| names.contains(&normalise(c)));
        [
            FlowMapping::fortigate(),
            FlowMapping::paloalto(),
            FlowMapping::vigil(),
        ]
        .into_iter()
        .filter(|m| has(&m.src) && has(&m.dst))
        .max_by_key(|m| {
            [
                &m.time,
                &m.date,
                &m.src_port,
                &m.dst_port,
                &m.proto,
                &m.bytes_out,
                &m.bytes_in,
                &m.packets_out,
                &m.packets_in,
                &m.duration,
                &m.action,
            ]
            .iter()
            .filter(|cols| has(cols))
            .count()
        })
    }
}

/// A column name for comparison: lower case, letters and digits only.
pub fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric() || *c == '#')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_built_to_exhaust_memory_is_refused() {
        let anchor = vec!["x"; 20_000].join(",");
        let aliases = vec!["*a"; 1_000].join(",");
        let bomb = format!("src: &a [{anchor}]\ndst: [{aliases}]\ntime: [ts]\n");
        let error = FlowMapping::parse(&bomb).unwrap_err();
        assert!(
            error.contains("expands to more than 1000000 values"),
            "{error}"
        );
        let deep = format!("src: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let error = FlowMapping::parse(&deep).unwrap_err();
        assert!(error.contains("nested more than 256 deep"), "{error}");
    }

    #[test]
    fn headers_find_their_mapping() {
        let header = |s: &str| s.split(',').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            FlowMapping::for_header(&header(vigil_simulate::FLOWS_HEADER)).map(|m| m.name),
            Some("vigil".into())
        );
        assert_eq!(
            FlowMapping::for_header(&header("date,time,srcip,dstip,sentbyte")).map(|m| m.name),
            Some("fortigate".into())
        );
        assert_eq!(
            FlowMapping::for_header(&header(
                "Receive Time,Type,Source address,Destination address,Bytes Sent"
            ))
            .map(|m| m.name),
            Some("paloalto".into())
        );
        assert!(FlowMapping::for_header(&header("a,b,c")).is_none());
    }

    #[test]
    fn a_mapping_file_is_checked() {
        let m = FlowMapping::parse("name: x\ntime: [t]\nsrc: [a]\ndst: [b]\n").unwrap();
        assert_eq!(m.blocked, default_blocked());
        assert!(FlowMapping::parse("name: x\nsrc: [a]\ndst: [b]\n")
            .unwrap_err()
            .contains("time"));
        assert!(
            FlowMapping::parse("name: x\ntime: [t]\nsrc: [a]\ndst: [b]\ncolour: red\n")
                .unwrap_err()
                .contains("colour")
        );
    }
}
