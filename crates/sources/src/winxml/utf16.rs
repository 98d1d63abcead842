//! A stream read as UTF-8 whatever its byte order mark says: PowerShell's
//! `>` writes `wevtutil`'s XML as UTF-16, and Windows tools often start
//! UTF-8 with a mark too.

use std::io::{self, Read};

/// The stream's text as UTF-8, without its byte order mark.
pub(crate) struct Utf8Reader<R> {
    inner: R,
    /// `None` until the mark was looked for; then whether the stream is
    /// UTF-16, and in which byte order.
    encoding: Option<Encoding>,
    /// Bytes read from `inner` not yet decoded (half a code unit, half a
    /// surrogate pair, or the start looked at for a mark).
    pending: Vec<u8>,
    /// Decoded text not yet handed out.
    decoded: Vec<u8>,
    handed: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

impl<R: Read> Utf8Reader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Utf8Reader {
            inner,
            encoding: None,
            pending: Vec::new(),
            decoded: Vec::new(),
            handed: 0,
        }
    }

    /// Reads the first bytes and tells the encoding by them.
    fn detect(&mut self) -> io::Result<Encoding> {
        let mut head = [0u8; 3];
        let mut len = 0;
        while len < 3 {
            match self.inner.read(&mut head[len..]) {
                Ok(0) => break,
                Ok(read) => len += read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        let head = &head[..len];
        let (encoding, mark) = match head {
            [0xEF, 0xBB, 0xBF, ..] => (Encoding::Utf8, 3),
            [0xFF, 0xFE, ..] => (Encoding::Utf16Le, 2),
            [0xFE, 0xFF, ..] => (Encoding::Utf16Be, 2),
            _ => (Encoding::Utf8, 0),
        };
        self.pending.extend_from_slice(&head[mark..]);
        Ok(encoding)
    }

    /// Decodes the next block of UTF-16; `false` at the end of the stream.
    fn decode_more(&mut self, encoding: Encoding) -> io::Result<bool> {
        let mut block = vec![0u8; 64 << 10];
        let read = loop {
            match self.inner.read(&mut block) {
                Ok(read) => break read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        };
        self.pending.extend_from_slice(&block[..read]);
        let end = read == 0;
        let units = self.pending.chunks_exact(2).map(|pair| match encoding {
            Encoding::Utf16Be => u16::from_be_bytes([pair[0], pair[1]]),
            _ => u16::from_le_bytes([pair[0], pair[1]]),
        });
        let mut units: Vec<u16> = units.collect();
        let mut used = units.len() * 2;
        // A high surrogate at the end waits for its pair, unless nothing comes.
        if !end && units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
            units.pop();
            used -= 2;
        }
        self.decoded.clear();
        self.handed = 0;
        let mut text = String::with_capacity(units.len());
        for character in char::decode_utf16(units) {
            text.push(character.unwrap_or(char::REPLACEMENT_CHARACTER));
        }
        self.decoded.extend_from_slice(text.as_bytes());
        self.pending.drain(..used);
        if end && !self.pending.is_empty() {
            // An odd byte at the end: half a character.
            self.decoded.extend_from_slice("\u{FFFD}".as_bytes());
            self.pending.clear();
        }
        Ok(!end || !self.decoded.is_empty())
    }
}

impl<R: Read> Read for Utf8Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let encoding = match self.encoding {
            Some(encoding) => encoding,
            None => {
                let encoding = self.detect()?;
                self.encoding = Some(encoding);
                encoding
            }
        };
        if encoding == Encoding::Utf8 {
            if !self.pending.is_empty() {
                let len = self.pending.len().min(out.len());
                out[..len].copy_from_slice(&self.pending[..len]);
                self.pending.drain(..len);
                return Ok(len);
            }
            return self.inner.read(out);
        }
        while self.handed == self.decoded.len() {
            if !self.decode_more(encoding)? {
                return Ok(0);
            }
        }
        let len = (self.decoded.len() - self.handed).min(out.len());
        out[..len].copy_from_slice(&self.decoded[self.handed..self.handed + len]);
        self.handed += len;
        Ok(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> String {
        let mut text = String::new();
        Utf8Reader::new(bytes).read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn marks_say_the_encoding_and_are_dropped() {
        let text = "<Event>é 😀</Event>";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            le.extend_from_slice(&unit.to_le_bytes());
            be.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(read_all(&le), text);
        assert_eq!(read_all(&be), text);
        assert_eq!(read_all(format!("\u{feff}{text}").as_bytes()), text);
        assert_eq!(read_all(text.as_bytes()), text);
        assert_eq!(read_all(b"<E"), "<E");
        // Half a character at the end is replaced, not lost silently.
        le.push(0x41);
        assert_eq!(read_all(&le), format!("{text}\u{FFFD}"));
    }
}
