//! Zeek's logs in the shapes Zeek writes them, read as events of product `zeek`.
//!
//! Three shapes give the same event for the same record:
//!
//! * JSON, one log per file, each record naming its log in `_path`
//!   (`LogAscii::use_json`): flattened by `flatten::zeek`;
//! * JSON streaming (the `json-streaming-logs` package), one file for all
//!   logs, each record naming its log in `@stream`, with the fields of
//!   Zeek's nested records joined by `_` (`id_orig_h`): also flattened by
//!   `flatten::zeek`, the joined names renamed to Zeek's dotted ones;
//! * tab-separated, Zeek's default, under `#separator`, `#path`, `#fields`
//!   and `#types` headers: read by the [`tsv`] module.
//!
//! Every event has `event.product = Some("zeek")` and a `Channel` field naming
//! its log (`conn`, `dns`, `smb_files`, …), from `_path`, `@stream`, `#path`
//! or else the file's name (`dns.log`, `dns.json.gz`, the rotated
//! `dns.09:00:00-10:00:00.log.gz`): Sigma's Zeek `service` is routed by it
//! (`vigil-sigma`'s `data/zeek.yml`). Fields keep Zeek's names, which are
//! the names SigmaHQ's Zeek rules use (`id.orig_h`, `query`, `operation`);
//! `ts` is the event's time.

pub(crate) mod tsv;

use std::path::Path;

/// The product of every Zeek event.
pub(crate) const PRODUCT: &str = "zeek";

/// Zeek's JSON, one log per file.
pub(crate) const JSON_SHAPE: &str = "Zeek JSON";

/// The JSON-streaming package's one file for all logs.
pub(crate) const STREAMING_SHAPE: &str = "Zeek JSON streaming";

/// Zeek's own tab-separated logs.
pub(crate) const TSV_SHAPE: &str = "Zeek TSV";

/// The field naming the log an event was written to.
pub(crate) const CHANNEL: &str = "Channel";

/// The fields of Zeek's base logs that are fields of a nested record, as
/// the JSON-streaming shape writes them (the record's name and the field's
/// joined by `_`) and as every other shape does (joined by `.`).
///
/// Listed one by one rather than found by their prefix: `resp_certificate_sha1`,
/// `file_mime_type` and `request_body_len` are fields of their own. The
/// records: `id` (every connection's log), `data_channel` (ftp),
/// `certificate`, `san`, `basic_constraints` (x509), `version` (software),
/// `times` (smb_files), `seen` (intel), `remote_location` (notice, ssh),
/// `request`, `bound` (socks). Sorted, to be searched by halves.
const NESTED_FIELDS: [(&str, &str); 53] = [
    ("basic_constraints_ca", "basic_constraints.ca"),
    ("basic_constraints_path_len", "basic_constraints.path_len"),
    ("bound_host", "bound.host"),
    ("bound_name", "bound.name"),
    ("bound_port", "bound.port"),
    ("certificate_cn", "certificate.cn"),
    ("certificate_curve", "certificate.curve"),
    ("certificate_exponent", "certificate.exponent"),
    ("certificate_issuer", "certificate.issuer"),
    ("certificate_key_alg", "certificate.key_alg"),
    ("certificate_key_length", "certificate.key_length"),
    ("certificate_key_type", "certificate.key_type"),
    ("certificate_not_valid_after", "certificate.not_valid_after"),
    (
        "certificate_not_valid_before",
        "certificate.not_valid_before",
    ),
    ("certificate_serial", "certificate.serial"),
    ("certificate_sig_alg", "certificate.sig_alg"),
    ("certificate_subject", "certificate.subject"),
    ("certificate_version", "certificate.version"),
    ("data_channel_orig_h", "data_channel.orig_h"),
    ("data_channel_passive", "data_channel.passive"),
    ("data_channel_resp_h", "data_channel.resp_h"),
    ("data_channel_resp_p", "data_channel.resp_p"),
    ("id_orig_h", "id.orig_h"),
    ("id_orig_p", "id.orig_p"),
    ("id_resp_h", "id.resp_h"),
    ("id_resp_p", "id.resp_p"),
    ("id_vlan", "id.vlan"),
    ("id_vlan_inner", "id.vlan_inner"),
    ("remote_location_city", "remote_location.city"),
    (
        "remote_location_country_code",
        "remote_location.country_code",
    ),
    ("remote_location_latitude", "remote_location.latitude"),
    ("remote_location_longitude", "remote_location.longitude"),
    ("remote_location_region", "remote_location.region"),
    ("request_host", "request.host"),
    ("request_name", "request.name"),
    ("request_port", "request.port"),
    ("san_dns", "san.dns"),
    ("san_email", "san.email"),
    ("san_ip", "san.ip"),
    ("san_uri", "san.uri"),
    ("seen_indicator", "seen.indicator"),
    ("seen_indicator_type", "seen.indicator_type"),
    ("seen_node", "seen.node"),
    ("seen_where", "seen.where"),
    ("times_accessed", "times.accessed"),
    ("times_changed", "times.changed"),
    ("times_created", "times.created"),
    ("times_modified", "times.modified"),
    ("version_addl", "version.addl"),
    ("version_major", "version.major"),
    ("version_minor", "version.minor"),
    ("version_minor2", "version.minor2"),
    ("version_minor3", "version.minor3"),
];

/// Zeek's dotted name for a field the JSON-streaming shape writes with `_`
/// (`id_orig_h` → `id.orig_h`), or `None` when the name is Zeek's own.
///
/// ```
/// use vigil_sources::zeek_dotted_name;
///
/// assert_eq!(zeek_dotted_name("id_resp_p"), Some("id.resp_p"));
/// assert_eq!(zeek_dotted_name("certificate_serial"), Some("certificate.serial"));
/// assert_eq!(zeek_dotted_name("resp_certificate_sha1"), None);
/// ```
pub fn zeek_dotted_name(name: &str) -> Option<&'static str> {
    if !name.contains('_') {
        return None;
    }
    NESTED_FIELDS
        .binary_search_by(|(joined, _)| (*joined).cmp(name))
        .ok()
        .map(|at| NESTED_FIELDS[at].1)
}

/// The log a file's name says it holds: the name up to its first dot, so
/// that `dns.log`, `dns.json.gz` and the rotated `dns.09:00:00-10:00:00.log.gz`
/// are all `dns`. `None` when that part is not a log's name (letters,
/// digits and `_`), and for a name without a dot, which is no file's but a
/// stream's (`vigil watch` names its inputs `stdin` and `http`).
pub(crate) fn log_of_file(path: &str) -> Option<&str> {
    let name = Path::new(path).file_name()?.to_str()?;
    let (stem, _) = name.split_once('.')?;
    let is_name = !stem.is_empty()
        && stem
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    is_name.then_some(stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_say_their_log() {
        for (path, log) in [
            ("/evidence/dns.log", Some("dns")),
            ("dns.json.gz", Some("dns")),
            ("x/conn.09:00:00-10:00:00.log.gz", Some("conn")),
            ("smb_files.log", Some("smb_files")),
            ("Security.evtx", None),
            ("my-logs.json", None),
            (".hidden", None),
            ("stdin", None),
            ("http", None),
        ] {
            assert_eq!(log_of_file(path), log, "{path}");
        }
    }

    #[test]
    fn every_nested_field_is_its_record_and_field_joined() {
        assert!(
            NESTED_FIELDS.windows(2).all(|pair| pair[0].0 < pair[1].0),
            "sorted"
        );
        for (joined, dotted) in NESTED_FIELDS {
            assert_eq!(joined, dotted.replacen('.', "_", 1), "{joined}");
            assert_eq!(zeek_dotted_name(joined), Some(dotted));
        }
        for own in [
            "ts",
            "uid",
            "id",
            "query",
            "resp_certificate_sha1",
            "request_body_len",
        ] {
            assert_eq!(zeek_dotted_name(own), None, "{own}");
        }
    }
}
