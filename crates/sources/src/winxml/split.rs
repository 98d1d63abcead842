//! Cutting a stream of Windows event XML into its `<Event>…</Event>` records,
//! whatever lies between them: nothing (`wevtutil qe` writes them back to
//! back), line ends (Splunk's XmlWinEventLog, one per line), an `<Events>`
//! wrapper, XML declarations or comments.
//!
//! Records are found by their tags, not by parsing the stream as one
//! document, so that a damaged record costs that record only: a record with
//! no end before the next `<Event` starts is cut there, and anything else
//! between records is reported rather than dropped unseen.

use std::io::{self, Read};

use memchr::memmem;

/// The largest record read; a longer one is skipped, so that a stream with
/// an `<Event` and no end cannot fill memory. Real records are a few KiB.
pub(crate) const MAX_RECORD: usize = 16 << 20;

const READ_SIZE: usize = 256 << 10;

const START: &[u8] = b"<Event";
const END: &[u8] = b"</Event";

/// What the stream holds next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// A record, from `<Event` to its `</Event>`, and the line it starts on:
    /// [`Splitter::record_bytes`] until the next piece is asked for.
    Record {
        line: u64,
        range: std::ops::Range<usize>,
    },
    /// A record that ends before its `</Event>`: at the next `<Event`, or
    /// at the end of the stream.
    Unclosed { line: u64 },
    /// A record longer than [`MAX_RECORD`], skipped.
    TooLong { line: u64 },
    /// Text between records that is not white space, a declaration, a
    /// comment or the `<Events>` wrapper.
    Stray { line: u64, excerpt: String },
}

/// The records of a stream, in order.
pub(crate) struct Splitter<R> {
    reader: R,
    buffer: Vec<u8>,
    /// Where in `buffer` the next piece starts.
    at: usize,
    /// The line `at` is on, counting from 1.
    line: u64,
    eof: bool,
    /// Whether anything was read yet: an error before that is the file's.
    read_any: bool,
}

/// Whether the byte after `<Event` or `</Event` ends the name `Event`
/// (`<EventData` and `<Events` are other elements).
fn ends_name(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/')
}

/// Where the first `<Event` tag in `hay` starts. A candidate at the very end,
/// whose next byte is not there yet, is not taken.
fn find_start(hay: &[u8]) -> Option<usize> {
    memmem::find_iter(hay, START)
        .find(|&at| hay.get(at + START.len()).is_some_and(|&b| ends_name(b)))
}

/// The end, past its `>`, of the first `</Event>` in `hay`.
fn find_end(hay: &[u8]) -> Option<usize> {
    for at in memmem::find_iter(hay, END) {
        let mut after = at + END.len();
        while hay.get(after).is_some_and(|b| b.is_ascii_whitespace()) {
            after += 1;
        }
        if hay.get(after) == Some(&b'>') {
            return Some(after + 1);
        }
    }
    None
}

fn lines_in(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Where text that is not markup that may stand between records starts in
/// `between`, if it holds any.
fn stray(between: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        let rest = &between[at..];
        let trimmed = rest.trim_ascii_start();
        at += rest.len() - trimmed.len();
        if trimmed.is_empty() {
            return None;
        }
        let wrapper = |tag: &[u8]| {
            trimmed.starts_with(tag) && trimmed.get(tag.len()).is_some_and(|&b| ends_name(b))
        };
        let closing: &[u8] = if trimmed.starts_with(b"<?") {
            b"?>"
        } else if trimmed.starts_with(b"<!--") {
            b"-->"
        } else if wrapper(b"<Events") || wrapper(b"</Events") {
            b">"
        } else {
            return Some(at);
        };
        match memmem::find(trimmed, closing) {
            Some(end) => at += end + closing.len(),
            None => return Some(at),
        }
    }
}

impl<R: Read> Splitter<R> {
    pub(crate) fn new(reader: R) -> Self {
        Splitter {
            reader,
            buffer: Vec::new(),
            at: 0,
            line: 1,
            eof: false,
            read_any: false,
        }
    }

    /// The bytes of the record [`Piece::Record`] named.
    pub(crate) fn record_bytes(&self, range: std::ops::Range<usize>) -> &[u8] {
        &self.buffer[range]
    }

    /// Whether a read error now means nothing of the stream could be read.
    pub(crate) fn read_nothing(&self) -> bool {
        !self.read_any
    }

    /// The next piece, `None` at the end of the stream.
    pub(crate) fn next_piece(&mut self) -> io::Result<Option<Piece>> {
        loop {
            let rest = &self.buffer[self.at..];
            if let Some(start) = find_start(rest) {
                if let Some(offset) = stray(&rest[..start]) {
                    return Ok(Some(self.stray_piece(offset, start)));
                }
                self.advance(start);
                if let Some(piece) = self.record()? {
                    return Ok(Some(piece));
                }
                continue;
            }
            if self.eof {
                let rest = &self.buffer[self.at..];
                let all = rest.len();
                return Ok(stray(rest).map(|offset| self.stray_piece(offset, all)));
            }
            if self.buffer.len() - self.at > MAX_RECORD {
                // No record starts in all this: report it and keep the tail,
                // where a tag may be cut.
                let keep = START.len();
                let len = self.buffer.len() - self.at - keep;
                let rest = &self.buffer[self.at..self.at + len];
                if let Some(offset) = stray(rest) {
                    return Ok(Some(self.stray_piece(offset, len)));
                }
                self.advance(len);
            }
            self.fill()?;
        }
    }

    /// The record starting at `at`, once its end (or the next start, or the
    /// end of the stream) is in the buffer; `None` when more must be read.
    fn record(&mut self) -> io::Result<Option<Piece>> {
        let line = self.line;
        loop {
            let rest = &self.buffer[self.at..];
            let end = find_end(rest);
            let next_start =
                find_start(&rest[1..end.unwrap_or(rest.len()).max(1)]).map(|at| at + 1);
            match (end, next_start) {
                (_, Some(next)) => {
                    self.advance(next);
                    return Ok(Some(Piece::Unclosed { line }));
                }
                (Some(end), None) if end > MAX_RECORD => {
                    self.advance(end);
                    return Ok(Some(Piece::TooLong { line }));
                }
                (Some(end), None) => {
                    let range = self.at..self.at + end;
                    self.advance(end);
                    return Ok(Some(Piece::Record { line, range }));
                }
                (None, None) if self.eof => {
                    let all = rest.len();
                    self.advance(all);
                    return Ok(Some(Piece::Unclosed { line }));
                }
                (None, None) if rest.len() > MAX_RECORD => {
                    // Skip to the next record, reading on until it comes.
                    while !self.eof {
                        let rest = &self.buffer[self.at..];
                        if let Some(next) = rest.get(1..).and_then(find_start) {
                            self.advance(next + 1);
                            return Ok(Some(Piece::TooLong { line }));
                        }
                        let len = rest.len().saturating_sub(START.len());
                        self.advance(len);
                        self.fill()?;
                    }
                    let all = self.buffer.len() - self.at;
                    self.advance(all);
                    return Ok(Some(Piece::TooLong { line }));
                }
                (None, None) => self.fill()?,
            }
        }
    }

    /// The stray text at `offset` from `at`, up to `skip`, which is then passed.
    fn stray_piece(&mut self, offset: usize, skip: usize) -> Piece {
        let rest = &self.buffer[self.at..self.at + skip];
        let text = &rest[offset..];
        let cut = text.len().min(60);
        let mut excerpt = String::from_utf8_lossy(&text[..cut]).trim_end().to_string();
        if cut < text.len() {
            excerpt.push('…');
        }
        let line = self.line + lines_in(&rest[..offset]);
        self.advance(skip);
        Piece::Stray { line, excerpt }
    }

    fn advance(&mut self, by: usize) {
        self.line += lines_in(&self.buffer[self.at..self.at + by]);
        self.at += by;
    }

    /// Reads more of the stream, dropping what was handed out.
    fn fill(&mut self) -> io::Result<()> {
        if self.at > 0 {
            self.buffer.drain(..self.at);
            self.at = 0;
        }
        let old = self.buffer.len();
        self.buffer.resize(old + READ_SIZE, 0);
        let read = loop {
            match self.reader.read(&mut self.buffer[old..]) {
                Ok(read) => break read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    self.buffer.truncate(old);
                    return Err(error);
                }
            }
        };
        self.buffer.truncate(old + read);
        self.read_any |= read > 0;
        self.eof = read == 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A piece with its record's text, to compare.
    #[derive(Debug, PartialEq, Eq)]
    enum Owned {
        Record(u64, String),
        Other(Piece),
    }

    fn pieces(text: &[u8]) -> Vec<Owned> {
        let mut splitter = Splitter::new(text);
        let mut all = Vec::new();
        while let Some(piece) = splitter.next_piece().unwrap() {
            all.push(match piece {
                Piece::Record { line, range } => Owned::Record(
                    line,
                    String::from_utf8_lossy(splitter.record_bytes(range)).into_owned(),
                ),
                other => Owned::Other(other),
            });
        }
        all
    }

    fn record(line: u64, text: &str) -> Owned {
        Owned::Record(line, text.to_string())
    }

    #[test]
    fn records_back_to_back_in_a_wrapper_and_on_lines() {
        let text = "<?xml version=\"1.0\"?>\n<Events><Event xmlns='x'><System/></Event><Event><EventData><Data>1</Data></EventData></Event >\n<!-- c -->\r\n<Event>\n<a/>\n</Event></Events>\n";
        assert_eq!(
            pieces(text.as_bytes()),
            [
                record(2, "<Event xmlns='x'><System/></Event>"),
                record(2, "<Event><EventData><Data>1</Data></EventData></Event >"),
                record(4, "<Event>\n<a/>\n</Event>"),
            ]
        );
    }

    #[test]
    fn a_record_without_its_end_is_cut_at_the_next() {
        let text = b"<Event><System>\n<Event><System/></Event>\nstray words\n<Event><System>";
        assert_eq!(
            pieces(text),
            [
                Owned::Other(Piece::Unclosed { line: 1 }),
                record(2, "<Event><System/></Event>"),
                Owned::Other(Piece::Stray {
                    line: 3,
                    excerpt: "stray words".to_string()
                }),
                Owned::Other(Piece::Unclosed { line: 4 }),
            ]
        );
    }

    /// Records across the reads' boundaries, and a record too long to hold.
    #[test]
    fn records_across_reads_and_an_overlong_one() {
        let one = format!(
            "<Event><EventData><Data>{}</Data></EventData></Event>\n",
            "x".repeat(1000)
        );
        let text = one.repeat(600);
        let found = pieces(text.as_bytes());
        assert_eq!(found.len(), 600);
        assert!(found
            .iter()
            .enumerate()
            .all(|(i, piece)| *piece == record(i as u64 + 1, one.trim_end())));

        let long = format!(
            "<Event>{}</Event>\n<Event></Event>",
            "y".repeat(MAX_RECORD + 10)
        );
        let found = pieces(long.as_bytes());
        assert!(
            found
                == [
                    Owned::Other(Piece::TooLong { line: 1 }),
                    record(2, "<Event></Event>")
                ],
            "{:?}",
            found
                .iter()
                .map(|p| format!("{p:?}").chars().take(80).collect::<String>())
                .collect::<Vec<_>>()
        );
    }
}
