//! gzip decompression with a bound on how far a file may expand: a small file
//! built to inflate into terabytes (a decompression bomb) is stopped, with
//! what was read before kept, instead of being read for hours.

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};
use std::rc::Rc;

use flate2::read::MultiGzDecoder;

/// How far a gzip file may expand: past `after` decompressed bytes, at most
/// `ratio` times its compressed bytes. Logs compress 5 to 50 times; deflate
/// cannot exceed about 1,030.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expansion {
    pub(crate) after: u64,
    pub(crate) ratio: u64,
}

impl Expansion {
    /// The bound every gzip file is read within.
    pub(crate) const DEFAULT: Expansion = Expansion {
        after: 1 << 30,
        ratio: 200,
    };
}

/// The error a bounded reader stops with, told apart from a damaged stream.
#[derive(Debug)]
pub(crate) struct TooExpanded {
    expanded: u64,
    compressed: u64,
}

impl fmt::Display for TooExpanded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gzip data expands {} times ({} MiB from {} KiB), far more than logs do \
             (a decompression bomb?); the lines before this one were read, the rest of the file was not",
            self.expanded / self.compressed.max(1),
            self.expanded >> 20,
            self.compressed >> 10
        )
    }
}

impl std::error::Error for TooExpanded {}

/// The reason to report when `error` is a bounded reader's stop.
pub(crate) fn too_expanded(error: &io::Error) -> Option<String> {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<TooExpanded>())
        .map(TooExpanded::to_string)
}

/// A gzip decoder over `compressed` that stops past `bound`.
pub(crate) fn decoder<R: Read>(compressed: R, bound: Expansion) -> impl Read {
    let consumed = Rc::new(Cell::new(0));
    let counted = Counted {
        inner: compressed,
        consumed: consumed.clone(),
    };
    Bounded {
        inner: MultiGzDecoder::new(counted),
        consumed,
        produced: 0,
        bound,
    }
}

/// Counts the compressed bytes the decoder takes.
struct Counted<R> {
    inner: R,
    consumed: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

struct Bounded<D> {
    inner: D,
    consumed: Rc<Cell<u64>>,
    produced: u64,
    bound: Expansion,
}

impl<D: Read> Read for Bounded<D> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.produced += n as u64;
        let compressed = self.consumed.get();
        if self.produced > self.bound.after && self.produced / compressed.max(1) > self.bound.ratio
        {
            return Err(io::Error::other(TooExpanded {
                expanded: self.produced,
                compressed,
            }));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::GzEncoder;
    use flate2::Compression;

    use super::*;
    use crate::report::Emitter;
    use crate::{lines, Format, InputFile, SourceIssue};

    fn gzip(parts: &[&[u8]]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        for part in parts {
            encoder.write_all(part).unwrap();
        }
        encoder.finish().unwrap()
    }

    /// Reads a gzip JSON-lines file within `bound`: the lines read, the issues.
    fn read(data: &[u8], bound: Expansion) -> (Vec<u64>, Vec<SourceIssue>) {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("bomb.jsonl.gz");
        std::fs::write(&path, data).unwrap();
        let file = InputFile {
            path,
            format: Format::JsonLines,
            gzip: true,
            size: data.len() as u64,
        };
        let (mut read, mut issues) = (Vec::new(), Vec::new());
        let mut on_event = |_| {};
        let mut on_issue = |i: SourceIssue| issues.push(i);
        let mut out = Emitter::new(&file.path, &mut on_event, &mut on_issue);
        lines::read_within(
            &file,
            "JSON-lines",
            bound,
            &mut out,
            &mut |text, number, _| {
                if !text.is_empty() {
                    read.push(number);
                }
            },
        )
        .unwrap();
        drop(out);
        (read, issues)
    }

    // The bound starts at 1 MiB instead of 1 GiB, the ratio kept, so that
    // the bomb is small enough to build in a test.
    const LOW: Expansion = Expansion {
        after: 1 << 20,
        ratio: 200,
    };

    #[test]
    fn a_file_that_expands_past_the_bound_stops_with_what_came_before_read() {
        let blanks = vec![b'\n'; 8 << 20];
        let bomb = gzip(&[b"{\"a\":1}\n{\"a\":2}\n", &blanks, b"{\"a\":3}\n"]);
        assert!(bomb.len() < 40 << 10, "{}", bomb.len());
        let (read, issues) = read(&bomb, LOW);
        assert_eq!(read, [1, 2]);
        assert_eq!(issues.len(), 1);
        assert!(issues[0].file.ends_with("bomb.jsonl.gz"));
        assert!(
            issues[0].location.starts_with("line "),
            "{}",
            issues[0].location
        );
        assert!(
            issues[0].reason.starts_with("gzip data expands")
                && issues[0].reason.contains("a decompression bomb?"),
            "{}",
            issues[0].reason
        );
    }

    #[test]
    fn a_file_that_compresses_as_logs_do_is_read_whole() {
        // Varied lines compress far less than 200 times.
        let lines: String = (0..200_000)
            .map(|n| {
                format!(
                    "{{\"n\":{n},\"h\":\"{:x}\"}}\n",
                    (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                )
            })
            .collect();
        let data = gzip(&[lines.as_bytes()]);
        assert!(lines.len() > 2 * LOW.after as usize);
        let (read, issues) = read(&data, LOW);
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(read.len(), 200_000);
    }
}
