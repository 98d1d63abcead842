//! Line-oriented files, plain or gzip: the reading loop that JSON lines and
//! syslog share, with its limits and the issues it reports.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

use crate::inflate::{self, Expansion};
use crate::report::Emitter;
use crate::{InputFile, SourceError};

/// The longest line read. A longer one is skipped and reported, so a file that
/// is not line-oriented (or has no newlines) cannot exhaust memory.
pub(crate) const MAX_LINE: usize = 16 << 20;

const BUFFER: usize = 256 << 10;

const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// What one line is handed to: its bytes without the line ending (and without
/// a byte order mark on line 1), its number counting from 1, and the emitter.
pub(crate) type LineReader<'r> = dyn FnMut(&[u8], u64, &mut Emitter) + 'r;

/// Opens `file` (decompressing it if it is gzip) and hands each line to
/// `each`. `kind` names the format in the issue for an overlong line.
pub(crate) fn read(
    file: &InputFile,
    kind: &str,
    out: &mut Emitter,
    each: &mut LineReader,
) -> Result<(), SourceError> {
    read_within(file, kind, Expansion::DEFAULT, out, each)
}

/// [`read`], a gzip file within `bound`.
pub(crate) fn read_within(
    file: &InputFile,
    kind: &str,
    bound: Expansion,
    out: &mut Emitter,
    each: &mut LineReader,
) -> Result<(), SourceError> {
    let handle = File::open(&file.path).map_err(|source| SourceError::Open {
        path: file.path.clone(),
        source,
    })?;
    let plain = BufReader::with_capacity(BUFFER, handle);
    if file.gzip {
        let decoder = BufReader::with_capacity(BUFFER, inflate::decoder(plain, bound));
        read_lines(decoder, MAX_LINE, true, kind, out, each)
    } else {
        read_lines(plain, MAX_LINE, false, kind, out, each)
    }
}

/// Reads every line of `reader`; a read error ends the file, keeping the events
/// read so far, unless nothing could be read at all.
pub(crate) fn read_lines(
    mut reader: impl BufRead,
    max_line: usize,
    gzip: bool,
    kind: &str,
    out: &mut Emitter,
    each: &mut LineReader,
) -> Result<(), SourceError> {
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        number += 1;
        let limit = max_line as u64 + 1;
        match (&mut reader).take(limit).read_until(b'\n', &mut line) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(error) if number == 1 && line.is_empty() => {
                return Err(unreadable(out, error, gzip));
            }
            Err(error) => {
                out.skipped(format!("line {number}"), stream_ended(&error, gzip));
                return Ok(());
            }
        }
        if line.len() > max_line && line.last() != Some(&b'\n') {
            let rest = skip_line(&mut reader);
            out.skipped(
                format!("line {number}"),
                format!(
                    "line is longer than {} MiB; skipped (is this really a {kind} file?)",
                    max_line >> 20
                ),
            );
            if let Err(error) = rest {
                out.skipped(format!("line {number}"), stream_ended(&error, gzip));
                return Ok(());
            }
            continue;
        }
        let mut text = trim_line_end(&line);
        if number == 1 {
            text = text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text);
        }
        each(text, number, out);
    }
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Discards the rest of an overlong line without holding it.
pub fn skip_line<R: BufRead + ?Sized>(reader: &mut R) -> io::Result<()> {
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(());
        }
        match buffer.iter().position(|&b| b == b'\n') {
            Some(end) => {
                reader.consume(end + 1);
                return Ok(());
            }
            None => {
                let all = buffer.len();
                reader.consume(all);
            }
        }
    }
}

/// The error for a file of which nothing could be read. For a gzip file that is
/// almost always a missing or damaged gzip header, and the message quotes the
/// underlying error in case it is not.
fn unreadable(out: &Emitter, source: io::Error, gzip: bool) -> SourceError {
    let path = out.path().to_path_buf();
    if gzip {
        SourceError::Gzip { path, source }
    } else {
        SourceError::Read { path, source }
    }
}

fn stream_ended(error: &io::Error, gzip: bool) -> String {
    if let Some(reason) = inflate::too_expanded(error) {
        return reason;
    }
    if gzip {
        format!(
            "gzip stream is truncated or corrupt ({error}); the lines before this one were read, the rest of the file was not"
        )
    } else {
        format!("read failed ({error}); the lines before this one were read, the rest of the file was not")
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::SourceIssue;

    /// A line of `length` bytes without a newline, then `rest`, made as it
    /// is read: the line is never held in memory, here or by the reader.
    struct HugeLine {
        left: u64,
        rest: &'static [u8],
    }

    impl Read for HugeLine {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            if self.left > 0 {
                let n = (buffer.len() as u64).min(self.left) as usize;
                buffer[..n].fill(b'a');
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
            rest: b"\n{\"a\":1}\n",
        };
        let (mut lines, mut issues) = (Vec::new(), Vec::new());
        let mut on_event = |_| {};
        let mut on_issue = |i: SourceIssue| issues.push(i);
        let mut out = Emitter::new(Path::new("huge.jsonl"), &mut on_event, &mut on_issue);
        let reader = BufReader::with_capacity(BUFFER, huge);
        read_lines(
            reader,
            MAX_LINE,
            false,
            "JSON-lines",
            &mut out,
            &mut |text, number, _| {
                lines.push((number, text.len()));
            },
        )
        .unwrap();
        drop(out);
        assert_eq!(lines, [(2, 7)]);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].location, "line 1");
        assert_eq!(
            issues[0].reason,
            "line is longer than 16 MiB; skipped (is this really a JSON-lines file?)"
        );
    }
}
