//! Following a log file as it grows, across rotation and truncation.
//!
//! A follower hands out complete lines only (a line still being written,
//! without its newline, waits for the next poll) together with the byte
//! offset just past them, which is what a checkpoint records. The file is
//! identified by its inode: when the path names another file (rotated by
//! `logrotate` or a shipper), the old one is read to its end first, then
//! the new one from its start. When the file shrinks below the offset
//! (truncated in place), reading starts again from the top.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;

/// The longest line read; longer ones are skipped and reported.
pub const MAX_LINE: usize = 16 << 20;

/// Where a followed file was read to: enough to resume after a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checkpoint {
    /// The file's inode.
    pub identity: u64,
    /// Bytes consumed, up to the end of the last complete line.
    pub offset: u64,
    /// Lines consumed.
    pub line: u64,
}

/// What one poll of a follower gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Poll {
    /// A complete line (without its line end) and its number in the file.
    Line(String, u64),
    /// A line that is not text or too long: its number and why it was skipped.
    Bad(u64, String),
    /// Nothing more for now.
    Idle,
}

pub struct Follower {
    pub path: PathBuf,
    /// The name detections give as their source: the path as given.
    pub name: Arc<str>,
    reader: Option<BufReader<File>>,
    at: Checkpoint,
    partial: Vec<u8>,
    /// Inside an over-long line: bytes skipped so far.
    skipping: Option<u64>,
}

impl Follower {
    /// Follows `path` from a checkpoint (the start of the file when the
    /// checkpoint is of another file).
    pub fn new(path: PathBuf, from: Option<Checkpoint>) -> Self {
        Follower {
            name: path.display().to_string().into(),
            path,
            reader: None,
            at: from.unwrap_or_default(),
            partial: Vec::new(),
            skipping: None,
        }
    }

    /// The position after the last line handed out.
    pub fn checkpoint(&self) -> Checkpoint {
        self.at
    }

    pub fn poll(&mut self) -> io::Result<Poll> {
        if self.reader.is_none() && !self.open()? {
            return Ok(Poll::Idle);
        }
        if self.skipping.is_some() {
            return self.skip_long_line();
        }
        let Some(reader) = self.reader.as_mut() else {
            return Ok(Poll::Idle);
        };
        let start = self.partial.len();
        let read = reader
            .by_ref()
            .take((MAX_LINE + 1 - start.min(MAX_LINE)) as u64)
            .read_until(b'\n', &mut self.partial)?;
        if self.partial.ends_with(b"\n") {
            let bytes = std::mem::take(&mut self.partial);
            self.at.offset += bytes.len() as u64;
            self.at.line += 1;
            let mut text = &bytes[..bytes.len() - 1];
            if let Some(stripped) = text.strip_suffix(b"\r") {
                text = stripped;
            }
            return Ok(match String::from_utf8(text.to_vec()) {
                Ok(line) => Poll::Line(line, self.at.line),
                Err(error) => Poll::Bad(
                    self.at.line,
                    format!(
                        "not valid UTF-8 at byte {}",
                        error.utf8_error().valid_up_to() + 1
                    ),
                ),
            });
        }
        if self.partial.len() > MAX_LINE {
            self.skipping = Some(self.partial.len() as u64);
            self.partial.clear();
            return self.skip_long_line();
        }
        if read == 0 && self.check_replaced()? {
            return self.poll();
        }
        Ok(Poll::Idle)
    }

    /// Opens the file, resuming at the checkpoint when it is the same file.
    fn open(&mut self) -> io::Result<bool> {
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(error) => return Err(error),
        };
        let meta = file.metadata()?;
        let mut reader = BufReader::with_capacity(256 << 10, file);
        if meta.ino() == self.at.identity && self.at.offset <= meta.len() {
            reader.seek(SeekFrom::Start(self.at.offset))?;
        } else {
            self.at = Checkpoint {
                identity: meta.ino(),
                offset: 0,
                line: 0,
            };
        }
        self.partial.clear();
        self.skipping = None;
        self.reader = Some(reader);
        Ok(true)
    }

    /// At the end of the open file: has the path been rotated to a new file,
    /// or the file truncated under the offset? True when reading starts
    /// again (at the new file, or the top of the truncated one).
    fn check_replaced(&mut self) -> io::Result<bool> {
        let now = match std::fs::metadata(&self.path) {
            Ok(meta) => meta,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(error) => return Err(error),
        };
        if now.ino() != self.at.identity {
            // Rotated: the old file was read to its end (a last line with no
            // newline is kept back, as it may never be finished).
            self.reader = None;
            self.at = Checkpoint::default();
            return Ok(true);
        }
        if now.len() < self.at.offset + self.partial.len() as u64 {
            if let Some(reader) = self.reader.as_mut() {
                reader.seek(SeekFrom::Start(0))?;
            }
            self.partial.clear();
            self.at.offset = 0;
            self.at.line = 0;
            return Ok(now.len() > 0);
        }
        Ok(false)
    }

    /// Drops the rest of an over-long line, across polls if it is still
    /// being written.
    fn skip_long_line(&mut self) -> io::Result<Poll> {
        let Some(reader) = self.reader.as_mut() else {
            return Ok(Poll::Idle);
        };
        let mut skipped = self.skipping.unwrap_or(0);
        loop {
            let buffer = reader.fill_buf()?;
            if buffer.is_empty() {
                self.skipping = Some(skipped);
                return Ok(Poll::Idle);
            }
            match buffer.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    reader.consume(end + 1);
                    skipped += end as u64 + 1;
                    break;
                }
                None => {
                    let n = buffer.len();
                    reader.consume(n);
                    skipped += n as u64;
                }
            }
        }
        self.skipping = None;
        self.at.offset += skipped;
        self.at.line += 1;
        Ok(Poll::Bad(
            self.at.line,
            format!("line longer than {} MiB, skipped", MAX_LINE >> 20),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn drain(f: &mut Follower) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            match f.poll().unwrap() {
                Poll::Line(text, _) => lines.push(text),
                Poll::Bad(n, why) => lines.push(format!("bad {n}: {why}")),
                Poll::Idle => return lines,
            }
        }
    }

    #[test]
    fn partial_lines_wait_for_their_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "one\ntw").unwrap();
        let mut f = Follower::new(path.clone(), None);
        assert_eq!(drain(&mut f), ["one"]);
        assert_eq!(f.checkpoint().offset, 4);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"o\r\nthree\n").unwrap();
        assert_eq!(drain(&mut f), ["two", "three"]);
        assert_eq!(f.checkpoint().line, 3);
    }

    #[test]
    fn resumes_at_a_checkpoint_of_the_same_file_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "one\ntwo\n").unwrap();
        let mut f = Follower::new(path.clone(), None);
        drain(&mut f);
        let saved = f.checkpoint();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"three\n")
            .unwrap();
        let mut again = Follower::new(path.clone(), Some(saved));
        assert_eq!(drain(&mut again), ["three"]);
        // Another file at the path (rotated while stopped): from its start.
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, "new\n").unwrap();
        let mut rotated = Follower::new(path, Some(saved));
        assert_eq!(drain(&mut rotated), ["new"]);
    }

    #[test]
    fn follows_rotation_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "one\n").unwrap();
        let mut f = Follower::new(path.clone(), None);
        assert_eq!(drain(&mut f), ["one"]);
        std::fs::rename(&path, dir.path().join("a.log.1")).unwrap();
        std::fs::write(&path, "two\n").unwrap();
        assert_eq!(drain(&mut f), ["two"]);
        std::fs::write(&path, "").unwrap();
        drain(&mut f);
        std::fs::write(&path, "three\n").unwrap();
        assert_eq!(drain(&mut f), ["three"]);
    }

    #[test]
    fn bad_lines_are_named_and_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let mut bytes = b"ok\n\xff\xfe\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        bytes.extend(b"\nlast\n");
        std::fs::write(&path, &bytes).unwrap();
        let mut f = Follower::new(path, None);
        assert_eq!(
            drain(&mut f),
            [
                "ok",
                "bad 2: not valid UTF-8 at byte 1",
                "bad 3: line longer than 16 MiB, skipped",
                "last"
            ]
        );
        assert_eq!(f.checkpoint().offset, bytes.len() as u64);
    }
}
