//! EVTX files, plain or gzip, read with the `evtx` crate: each record one event.
//!
//! The parser is told not to check chunk checksums, so a chunk whose CRC no
//! longer matches (a log not closed cleanly, a copy from a shadow volume, or
//! tampering) is still read. Whether it matches is checked in a pass over the
//! chunks first (a CRC32 of 64 KiB each, cheap beside parsing them), and each
//! mismatch is reported as a [`Suspect`](crate::IssueKind::Suspect) issue.
//! Records and chunks the parser cannot read are reported as skipped, and the
//! parser goes on past them. A panic inside the parser is caught, reported,
//! and ends the file: its state after a panic cannot be trusted.

use std::any::Any;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use evtx::err::{EvtxError, SerializationError};
use evtx::{EvtxParser, ParserSettings, SerializedEvtxRecord};
use flate2::read::MultiGzDecoder;
use serde_json::Value;
use vigil_event::{Event, FieldValue, Position};

use crate::report::Emitter;
use crate::{flatten, InputFile, SourceError};

/// The most a gzip-compressed EVTX file may decompress to; the parser needs it
/// all in memory. Windows logs rarely exceed a few hundred MiB.
pub(crate) const MAX_GZIP_EVTX: u64 = 2 << 30;

pub(crate) fn read(file: &InputFile, out: &mut Emitter) -> Result<(), SourceError> {
    if file.gzip {
        let buffer = decompress(file, out)?;
        let parser = guarded(out, "", || EvtxParser::from_buffer(buffer));
        read_parser(file, parser, out)
    } else {
        let handle = File::open(&file.path).map_err(|source| SourceError::Open {
            path: file.path.clone(),
            source,
        })?;
        let parser = guarded(out, "", || EvtxParser::from_read_seek(handle));
        read_parser(file, parser, out)
    }
}

fn settings() -> ParserSettings {
    ParserSettings::new()
        .num_threads(1)
        .validate_checksums(false)
        .separate_json_attributes(false)
        .indent(false)
}

/// Runs parser code, turning a panic into a skipped issue (`None`).
fn guarded<T>(out: &mut Emitter, location: &str, run: impl FnOnce() -> T) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(value) => Some(value),
        Err(panic) => {
            out.skipped(
                location,
                format!(
                    "the EVTX parser crashed ({}); the rest of the file was not read",
                    panic_message(&*panic)
                ),
            );
            None
        }
    }
}

fn read_parser<T: Read + Seek>(
    file: &InputFile,
    parser: Option<evtx::err::Result<EvtxParser<T>>>,
    out: &mut Emitter,
) -> Result<(), SourceError> {
    let mut parser = match parser {
        None => return Ok(()),
        Some(Ok(parser)) => parser,
        Some(Err(error)) => {
            return Err(SourceError::NotEvtx {
                path: file.path.clone(),
                reason: describe(&error),
            })
        }
    }
    .with_configuration(settings());
    if !parser.header().validate_checksum() {
        out.suspect(
            "file header",
            "checksum mismatch; the log may not have been closed cleanly, or was altered",
        );
    }
    if !check_chunk_checksums(&mut parser, out) {
        return Ok(());
    }
    let mut records = parser.records_json();
    let mut last_record = None;
    loop {
        let location = match last_record {
            Some(id) => format!("after record {id}"),
            None => String::new(),
        };
        let Some(next) = guarded(out, &location, || records.next()) else {
            return Ok(());
        };
        match next {
            None => return Ok(()),
            Some(Ok(record)) => {
                let header_id = record.event_record_id;
                match record_event(record, out) {
                    Ok(event) => {
                        last_record = Some(header_id);
                        out.event(event);
                    }
                    Err(error) => {
                        let (location, reason) = locate(&error);
                        out.skipped(location, reason);
                    }
                }
            }
            Some(Err(error)) => {
                let (location, reason) = locate(&error);
                out.skipped(location, reason);
            }
        }
    }
}

/// Renders every record of an EVTX file to JSON text and drops it: what an
/// EVTX-to-JSON converter does, and the floor against which reading and
/// matching are measured. Returns the records rendered and the bytes of JSON.
pub fn render_only(path: &std::path::Path) -> Result<(u64, u64), SourceError> {
    let handle = File::open(path).map_err(|source| SourceError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut parser = EvtxParser::from_read_seek(handle)
        .map_err(|error| SourceError::NotEvtx {
            path: path.to_path_buf(),
            reason: describe(&error),
        })?
        .with_configuration(
            ParserSettings::new()
                .num_threads(1)
                .validate_checksums(false)
                .indent(false),
        );
    let (mut records, mut bytes) = (0, 0);
    for record in parser.records_json_bytes().flatten() {
        records += 1;
        bytes += record.data.len() as u64;
    }
    Ok((records, bytes))
}

/// Reports chunks whose checksum fails; `false` when the parser crashed.
fn check_chunk_checksums<T: Read + Seek>(parser: &mut EvtxParser<T>, out: &mut Emitter) -> bool {
    let mut chunks = parser.chunks();
    loop {
        let Some(next) = guarded(out, "", || chunks.next()) else {
            return false;
        };
        // Chunks that cannot be read are reported by the record pass.
        let chunk = match next {
            None => return true,
            Some(Ok(chunk)) => chunk,
            Some(Err(_)) => continue,
        };
        let header_ok = chunk.validate_header_checksum();
        let data_ok = chunk.validate_data_checksum();
        if header_ok && data_ok {
            continue;
        }
        let location = match chunk.number {
            Some(number) => format!("chunk {number}"),
            None => "a chunk".to_string(),
        };
        let part = if header_ok { "records" } else { "header" };
        out.suspect(
            location,
            format!(
                "chunk {part} checksum mismatch; its records were read anyway but may be damaged or altered"
            ),
        );
    }
}

fn record_event(record: SerializedEvtxRecord<String>, out: &Emitter) -> Result<Event, EvtxError> {
    let mut event = flatten_record(&record.data, out.source.clone())?;
    // The record's own EventRecordID is what Event Viewer and other tools show.
    // The record header's number differs in logs saved from a filtered view,
    // which renumbers the headers only.
    let content_id = event
        .get("EventRecordID")
        .and_then(FieldValue::as_i64)
        .and_then(|id| u64::try_from(id).ok());
    event.position = Position::Record(content_id.unwrap_or(record.event_record_id));
    if event.timestamp.is_none() {
        let written = record.timestamp;
        event.timestamp = chrono::DateTime::from_timestamp(
            written.as_second(),
            written.subsec_nanosecond() as u32,
        );
    }
    Ok(event)
}

/// The fields of one record rendered to JSON text. The record is flattened
/// while its text is parsed; the few it cannot be (see
/// [`flatten::event_xml_stream`]) are parsed into a `Value` and flattened from
/// that. An error is the text not being JSON, reported as the parser reports it.
fn flatten_record(json: &str, source: Arc<str>) -> Result<Event, EvtxError> {
    let mut event = Event::new(source.clone());
    if flatten::event_xml_stream(json, &mut event).is_ok() {
        event.shape = Some(SHAPE);
        return Ok(event);
    }
    let value = serde_json::from_str(json).map_err(SerializationError::from)?;
    let mut event = flatten_value(value, source);
    event.shape = Some(SHAPE);
    Ok(event)
}

/// The shape an EVTX record's event is counted under.
const SHAPE: &str = "EVTX";

fn flatten_value(value: Value, source: Arc<str>) -> Event {
    let mut event = Event::new(source);
    match value {
        Value::Object(map) => flatten::event_xml(map, &mut event),
        // The parser renders every record as an object; keep anything else searchable.
        other => event.insert("Event", FieldValue::from_json(&other)),
    }
    event
}

/// Where a parser error is in the file, and what went wrong there.
fn locate(error: &EvtxError) -> (String, String) {
    match error {
        EvtxError::FailedToParseChunk { chunk_id, source } => (
            format!("chunk {chunk_id}"),
            format!("{}; the chunk's records were skipped", chain(&**source)),
        ),
        EvtxError::FailedToParseRecord { record_id, source } => (
            format!("record {record_id}"),
            format!("{}; the record was skipped", describe(source)),
        ),
        EvtxError::FailedToReadRecordAt {
            chunk,
            offset,
            source,
        } => {
            let location = match chunk {
                Some(chunk) => format!("chunk {chunk}, offset {offset:#x}"),
                None => format!("offset {offset:#x} of a chunk"),
            };
            (
                location,
                format!("{}; the record there was skipped", describe(source)),
            )
        }
        other => (String::new(), describe(other)),
    }
}

/// The parser's error without its generic wrappers ("An error occurred while
/// trying to deserialize evtx stream."), which say nothing a reader can use.
fn describe(error: &EvtxError) -> String {
    match error {
        EvtxError::DeserializationError(inner) => chain(inner),
        EvtxError::SerializationError(inner) => chain(inner),
        EvtxError::InputError(inner) => chain(inner),
        EvtxError::IoError(inner) => chain(inner),
        EvtxError::FailedToParseRecord { source, .. } => describe(source),
        EvtxError::FailedToReadRecordAt { source, .. } => describe(source),
        other => chain(other),
    }
}

/// An error and its causes, outermost first.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let inner_text = inner.to_string();
        // Transparent wrappers repeat their cause's message.
        if !text.ends_with(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        cause = inner.source();
    }
    text
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message")
}

/// The whole decompressed file; a truncated stream keeps what came out of it.
fn decompress(file: &InputFile, out: &mut Emitter) -> Result<Vec<u8>, SourceError> {
    let handle = File::open(&file.path).map_err(|source| SourceError::Open {
        path: file.path.clone(),
        source,
    })?;
    let mut buffer = Vec::new();
    let result = MultiGzDecoder::new(BufReader::new(handle))
        .take(MAX_GZIP_EVTX + 1)
        .read_to_end(&mut buffer);
    if buffer.len() as u64 > MAX_GZIP_EVTX {
        return Err(SourceError::TooLarge {
            path: file.path.clone(),
            limit: MAX_GZIP_EVTX,
        });
    }
    if let Err(source) = result {
        if buffer.is_empty() {
            return Err(SourceError::Gzip {
                path: file.path.clone(),
                source,
            });
        }
        out.skipped(
            format!("decompressed byte {}", buffer.len()),
            format!(
                "gzip stream is truncated or corrupt ({source}); the records before this point were read, the rest of the file was not"
            ),
        );
    }
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::Path;

    use evtx::checksum_ieee;
    use flate2::write::GzEncoder;
    use flate2::Compression;

    use super::*;
    use crate::{read_file, FileReport, Format, IssueKind, SourceIssue};

    const CHUNK: usize = 64 << 10;

    fn put(bytes: &mut [u8], at: usize, value: &[u8]) {
        bytes[at..at + value.len()].copy_from_slice(value);
    }

    fn file_header(chunks: u16, intact: bool) -> Vec<u8> {
        let mut header = vec![0; 4096];
        put(&mut header, 0, b"ElfFile\0");
        put(&mut header, 16, &(u64::from(chunks) - 1).to_le_bytes());
        put(&mut header, 24, &1u64.to_le_bytes());
        put(&mut header, 32, &128u32.to_le_bytes());
        put(&mut header, 36, &1u16.to_le_bytes());
        put(&mut header, 38, &3u16.to_le_bytes());
        put(&mut header, 40, &4096u16.to_le_bytes());
        put(&mut header, 42, &chunks.to_le_bytes());
        let crc = checksum_ieee(&header[..120]) ^ u32::from(!intact);
        put(&mut header, 124, &crc.to_le_bytes());
        header
    }

    /// A chunk holding no records, whose header checksum is right or not.
    fn empty_chunk(intact: bool) -> Vec<u8> {
        let mut chunk = vec![0; CHUNK];
        put(&mut chunk, 0, b"ElfChnk\0");
        for at in [8, 16, 24, 32] {
            put(&mut chunk, at, &1u64.to_le_bytes());
        }
        put(&mut chunk, 40, &128u32.to_le_bytes());
        put(&mut chunk, 44, &512u32.to_le_bytes());
        put(&mut chunk, 48, &512u32.to_le_bytes());
        put(&mut chunk, 52, &checksum_ieee(&[]).to_le_bytes());
        let covered = [&chunk[..120], &chunk[128..512]].concat();
        let crc = checksum_ieee(&covered) ^ u32::from(!intact);
        put(&mut chunk, 124, &crc.to_le_bytes());
        chunk
    }

    fn garbage_chunk() -> Vec<u8> {
        (0..CHUNK).map(|i| (i * 7 + 1) as u8).collect()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn read(path: &Path, gzip: bool) -> (Result<FileReport, SourceError>, Vec<SourceIssue>) {
        let file = InputFile {
            path: path.to_path_buf(),
            format: Format::Evtx,
            gzip,
            size: 0,
        };
        let mut issues = Vec::new();
        let result = read_file(&file, &mut |_| {}, &mut |issue| issues.push(issue));
        (result, issues)
    }

    fn summary(issues: &[SourceIssue]) -> Vec<(&str, IssueKind)> {
        issues
            .iter()
            .map(|issue| (issue.location.as_str(), issue.kind))
            .collect()
    }

    #[test]
    fn a_file_that_is_not_evtx_is_an_error_naming_it() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("notes.evtx");
        std::fs::write(&path, b"these are not the logs").unwrap();
        let (result, issues) = read(&path, false);
        let error = result.unwrap_err();
        assert!(matches!(error, SourceError::NotEvtx { .. }));
        assert!(error.to_string().contains("notes.evtx"));
        assert!(issues.is_empty());
    }

    #[test]
    fn an_empty_log_reads_cleanly() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("empty.evtx");
        std::fs::write(&path, [file_header(1, true), empty_chunk(true)].concat()).unwrap();
        let (result, issues) = read(&path, false);
        assert_eq!(result.unwrap(), FileReport::default());
        assert!(issues.is_empty(), "{issues:?}");
    }

    fn damaged_log() -> Vec<u8> {
        [file_header(2, false), empty_chunk(false), garbage_chunk()].concat()
    }

    #[test]
    fn failed_checksums_are_suspect_and_unreadable_chunks_skipped() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("damaged.evtx");
        std::fs::write(&path, damaged_log()).unwrap();
        let (result, issues) = read(&path, false);
        let report = result.unwrap();
        assert_eq!((report.events, report.skipped, report.suspect), (0, 1, 2));
        assert_eq!(
            summary(&issues),
            [
                ("file header", IssueKind::Suspect),
                ("chunk 0", IssueKind::Suspect),
                ("chunk 1", IssueKind::Skipped),
            ]
        );
        assert!(
            issues[2].reason.contains("chunk header magic"),
            "{}",
            issues[2]
        );
    }

    #[test]
    fn gzip_logs_read_like_plain_ones() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("damaged.evtx.gz");
        std::fs::write(&path, gzip(&damaged_log())).unwrap();
        let (result, issues) = read(&path, true);
        assert_eq!(result.unwrap().skipped, 1);
        assert_eq!(summary(&issues).len(), 3);
    }

    #[test]
    fn a_truncated_gzip_log_keeps_what_was_read() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("cut.evtx.gz");
        let whole = gzip(&[file_header(2, true), empty_chunk(true), empty_chunk(true)].concat());
        std::fs::write(&path, &whole[..whole.len() - 20]).unwrap();
        let (result, issues) = read(&path, true);
        assert!(result.is_ok());
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert!(issues[0].location.starts_with("decompressed byte"));
        assert!(issues[0].reason.contains("truncated"));
    }

    #[test]
    fn a_file_that_is_not_gzip_is_an_error() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("plain.evtx.gz");
        std::fs::write(&path, [file_header(1, true), empty_chunk(true)].concat()).unwrap();
        let (result, _) = read(&path, true);
        assert!(
            matches!(result, Err(SourceError::Gzip { .. })),
            "{result:?}"
        );
    }

    /// The one-pass flattening gives every record of the EVTX corpora exactly
    /// the fields the tree walk gives it, and leaves few records to the tree.
    #[test]
    fn one_pass_flattening_matches_the_tree_walk_over_the_corpus() {
        let Some(corpus) = vigil_testdata::shared_dir("corpus/evtx") else {
            return;
        };
        let damaged = vigil_testdata::shared_dir("corpus/evtx-robustness");
        let files = [Some(corpus), damaged]
            .into_iter()
            .flatten()
            .flat_map(|folder| walkdir::WalkDir::new(folder).sort_by_file_name());
        let (mut records, mut tree_only) = (0, 0);
        for entry in files {
            let path = entry.unwrap().into_path();
            if path.extension().is_none_or(|extension| extension != "evtx") {
                continue;
            }
            let Ok(parser) = EvtxParser::from_path(&path) else {
                continue;
            };
            let mut parser = parser.with_configuration(settings());
            for record in parser.records_json().flatten() {
                records += 1;
                let source: Arc<str> = Arc::from(path.to_string_lossy());
                let value = serde_json::from_str(&record.data).unwrap();
                let tree = flatten_value(value, source.clone());
                let mut streamed = Event::new(source);
                if flatten::event_xml_stream(&record.data, &mut streamed).is_err() {
                    tree_only += 1;
                    continue;
                }
                let id = record.event_record_id;
                assert_eq!(
                    streamed.fields().collect::<Vec<_>>(),
                    tree.fields().collect::<Vec<_>>(),
                    "{}: record {id}",
                    path.display()
                );
                assert_eq!(streamed.timestamp, tree.timestamp, "record {id}");
                assert_eq!(streamed.product, tree.product, "record {id}");
            }
        }
        eprintln!("{records} records, {tree_only} flattened from a Value");
        assert!(records > 10_000, "{records} records");
        assert!(tree_only * 100 < records, "{tree_only} of {records}");
    }

    #[test]
    fn a_parser_panic_becomes_an_issue() {
        let path = Path::new("x.evtx");
        let (mut on_event, mut issues) = (|_| {}, Vec::new());
        let mut on_issue = |issue| issues.push(issue);
        let mut out = Emitter::new(path, &mut on_event, &mut on_issue);
        let value: Option<()> = guarded(&mut out, "after record 9", || panic!("boom"));
        assert_eq!(value, None);
        assert_eq!(out.report.skipped, 1);
        drop(out);
        assert_eq!(issues[0].location, "after record 9");
        assert!(issues[0].reason.contains("crashed (boom)"));
    }
}
