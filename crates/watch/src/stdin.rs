//! Standard input: lines read in groups into a few buffers that go round
//! between the reader thread and the watcher.
//!
//! The reader reads straight into a group's buffer and only finds where its
//! lines end; the watcher checks the group's text once. A group is handed on
//! when it has [`Sizes::group`] lines, when the input has nothing more for
//! the moment (so a slow stream waits for nothing), or at the end. Its
//! buffer comes back when the watcher drops it; when all are out, the reader
//! waits, so a watcher that falls behind holds the reader back instead of a
//! queue of groups growing.

use std::io::{ErrorKind, Read};
use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender};
use std::time::Instant;

use crate::Intake;

/// How standard input is read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    /// Lines in a group at most.
    pub group: usize,
    /// A buffer's size when made; it grows for a line longer than it.
    pub buffer: usize,
    /// Buffers in all: the group being read and the groups handed on.
    pub buffers: usize,
    /// A buffer grown larger than this for a long line is not used again.
    pub largest: usize,
}

impl Sizes {
    pub(crate) const STDIN: Sizes = Sizes {
        group: 1_000,
        buffer: 1 << 20,
        buffers: 4,
        largest: 16 << 20,
    };
}

/// A group of lines, one after another in `bytes[..end]`, each at its range
/// with its number (counted from 1 over the whole input). Dropped, its
/// buffer goes back to the reader.
pub(crate) struct Group {
    bytes: Vec<u8>,
    end: usize,
    lines: Vec<(Range<usize>, u64)>,
    back: Option<SyncSender<Vec<u8>>>,
}

impl Group {
    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }

    /// Each line's text and number, or its number and why it is not text.
    /// The group's text is checked once (with the processor's vector
    /// instructions); only when it is not all UTF-8 are its lines checked
    /// one by one.
    pub(crate) fn lines(&self) -> impl Iterator<Item = Result<(&str, u64), (u64, String)>> {
        let whole = simdutf8::basic::from_utf8(&self.bytes[..self.end]).ok();
        self.lines.iter().map(move |(at, number)| {
            let text = match whole {
                // Each range starts after a newline and ends before one (or
                // at the end): on character boundaries.
                Some(whole) => whole
                    .get(at.clone())
                    .ok_or_else(|| "not where it was read".into()),
                None => std::str::from_utf8(&self.bytes[at.clone()]).map_err(|error| {
                    format!("not valid UTF-8 at byte {}", error.valid_up_to() + 1)
                }),
            };
            text.map(|text| (text, *number))
                .map_err(|reason| (*number, reason))
        })
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(back) = self.back.take() {
            // The reader has gone when this fails; the buffer is then freed.
            let _ = back.try_send(std::mem::take(&mut self.bytes));
        }
    }
}

/// Reads standard input on a thread of its own, handing its groups to
/// `intake`, then [`Intake::End`].
pub(crate) fn spawn(intake: SyncSender<Intake>) {
    std::thread::spawn(move || {
        let stdin = std::io::stdin().lock();
        let ended = read(stdin, Sizes::STDIN, &mut |group| {
            let group = Intake::Lines {
                group,
                arrived: Instant::now(),
            };
            intake.send(group).is_ok()
        });
        if ended {
            let _ = intake.send(Intake::End);
        }
    });
}

/// Reads `input` to its end in groups, handing each to `send`; stops early
/// when `send` returns false. Returns whether the input was read to its end.
pub(crate) fn read(
    mut input: impl Read,
    sizes: Sizes,
    send: &mut dyn FnMut(Group) -> bool,
) -> bool {
    // The next buffer is taken before the group in hand is handed on: with
    // one buffer in all, the reader would wait for itself.
    let sizes = Sizes {
        buffers: sizes.buffers.max(2),
        ..sizes
    };
    let (back, returned) = std::sync::mpsc::sync_channel::<Vec<u8>>(sizes.buffers);
    let mut buffers = Buffers {
        made: 1,
        sizes,
        returned,
    };
    let mut buffer = vec![0; sizes.buffer];
    // `buffer[..taken]` holds the lines in `lines`; `buffer[taken..filled]`
    // what was read after them, with no newline before `scanned`.
    let (mut taken, mut scanned, mut filled) = (0, 0, 0);
    let mut lines = Vec::with_capacity(sizes.group);
    let mut number = 0;
    let (mut ended, mut drained) = (false, false);
    loop {
        while lines.len() < sizes.group {
            let Some(at) = memchr::memchr(b'\n', &buffer[scanned..filled]) else {
                scanned = filled;
                break;
            };
            number += 1;
            lines.push((line(&buffer, taken, scanned + at), number));
            taken = scanned + at + 1;
            scanned = taken;
        }
        if ended && taken < filled && lines.len() < sizes.group {
            // The last line, without a newline.
            number += 1;
            lines.push((line(&buffer, taken, filled), number));
            (taken, scanned) = (filled, filled);
        }
        let full = lines.len() >= sizes.group || filled == buffer.len();
        let at_end = ended && taken == filled;
        if !lines.is_empty() && (full || drained || at_end) {
            let Some(mut next) = buffers.next() else {
                return false;
            };
            // What follows the group's lines starts the next buffer.
            let rest = filled - taken;
            if next.len() < 2 * rest {
                next.resize(2 * rest, 0);
            }
            next[..rest].copy_from_slice(&buffer[taken..filled]);
            let group = Group {
                bytes: std::mem::replace(&mut buffer, next),
                end: taken,
                lines: std::mem::replace(&mut lines, Vec::with_capacity(sizes.group)),
                back: Some(back.clone()),
            };
            if !send(group) {
                return false;
            }
            (taken, scanned, filled) = (0, scanned - taken, rest);
            drained = false;
            continue;
        }
        if at_end {
            return true;
        }
        if filled == buffer.len() {
            // One line fills the buffer: room for more of it.
            buffer.resize(2 * buffer.len(), 0);
        }
        let room = buffer.len() - filled;
        match input.read(&mut buffer[filled..]) {
            Ok(0) => ended = true,
            Ok(read) => {
                filled += read;
                // Less than asked for: the input has no more for now.
                drained = read < room;
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            // What a failed read left of a line is not a line.
            Err(_) => {
                filled = taken;
                scanned = taken;
                ended = true;
            }
        }
    }
}

/// The range of the line from `start` to the newline at `end`, without the
/// carriage return before the newline (one, as `hunt` and followed files
/// read lines).
fn line(buffer: &[u8], start: usize, mut end: usize) -> Range<usize> {
    if end > start && buffer[end - 1] == b'\r' {
        end -= 1;
    }
    start..end
}

/// The buffers going round: made up to their number, then waited for.
struct Buffers {
    made: usize,
    sizes: Sizes,
    returned: Receiver<Vec<u8>>,
}

impl Buffers {
    /// A buffer to read the next group into; `None` when none will come back.
    fn next(&mut self) -> Option<Vec<u8>> {
        // One grown too large to use again is replaced by a new one.
        let sizes = self.sizes;
        let usable = |bytes: Vec<u8>| {
            if bytes.len() <= sizes.largest {
                bytes
            } else {
                vec![0; sizes.buffer]
            }
        };
        if let Ok(bytes) = self.returned.try_recv() {
            return Some(usable(bytes));
        }
        if self.made < self.sizes.buffers {
            self.made += 1;
            return Some(vec![0; self.sizes.buffer]);
        }
        // Every buffer is out: wait for the watcher to drop a group.
        self.returned.recv().ok().map(usable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that gives at most `step` bytes a read, and fails once it
    /// has given `fail_after` bytes, if that is set.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
        fail_after: Option<usize>,
        given: usize,
    }

    impl<'a> Trickle<'a> {
        fn new(bytes: &'a [u8], step: usize, fail_after: Option<usize>) -> Self {
            let given = 0;
            Trickle {
                bytes,
                step,
                fail_after,
                given,
            }
        }
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let left = self.fail_after.map_or(usize::MAX, |at| at - self.given);
            if left == 0 {
                return Err(std::io::Error::other("gone"));
            }
            let n = self.step.min(out.len()).min(self.bytes.len()).min(left);
            out[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            self.given += n;
            Ok(n)
        }
    }

    type Lines = Vec<Result<(String, u64), (u64, String)>>;

    /// Every line read, with the groups' sizes; groups are dropped (their
    /// buffers going back) as they come.
    fn read_all(
        input: &[u8],
        step: usize,
        sizes: Sizes,
        fail_after: Option<usize>,
    ) -> (Lines, bool) {
        let mut lines = Vec::new();
        let reader = Trickle::new(input, step, fail_after);
        let ended = read(reader, sizes, &mut |group| {
            assert!(group.len() <= sizes.group);
            let texts = group
                .lines()
                .map(|line| line.map(|(t, n)| (t.to_string(), n)));
            lines.extend(texts);
            true
        });
        (lines, ended)
    }

    /// The lines as a line-by-line reading gives them.
    fn expected(input: &[u8]) -> Lines {
        let mut lines = Vec::new();
        let mut rest = input;
        let mut number = 0;
        while !rest.is_empty() {
            let end = rest.iter().position(|&b| b == b'\n');
            let (mut line, after) = match end {
                Some(end) => (&rest[..end], &rest[end + 1..]),
                None => (rest, &rest[rest.len()..]),
            };
            if let [head @ .., b'\r'] = line {
                line = head;
            }
            number += 1;
            lines.push(match std::str::from_utf8(line) {
                Ok(text) => Ok((text.to_string(), number)),
                Err(e) => Err((
                    number,
                    format!("not valid UTF-8 at byte {}", e.valid_up_to() + 1),
                )),
            });
            rest = after;
        }
        lines
    }

    const SMALL: Sizes = Sizes {
        group: 3,
        buffer: 16,
        buffers: 2,
        largest: 64,
    };

    #[test]
    fn lines_come_in_order_whatever_the_reads_and_buffers() {
        let mut input = Vec::new();
        for i in 0..200 {
            match i % 7 {
                0 => input.extend_from_slice(b"\n"),
                1 => input.extend_from_slice(b"crlf line\r\n"),
                2 => input.extend_from_slice(&b"x".repeat(40 + i)),
                3 => input.extend_from_slice(b"bad \xff byte\n"),
                4 => input.extend_from_slice("caf\u{e9}\n".as_bytes()),
                _ => input.extend_from_slice(format!("{{\"n\":{i}}}\n").as_bytes()),
            }
        }
        input.extend_from_slice(b"no newline at the end");
        for step in [1, 2, 5, 16, 17, 1000, 1 << 20] {
            for sizes in [SMALL, Sizes::STDIN] {
                let (lines, ended) = read_all(&input, step, sizes, None);
                assert!(ended);
                assert_eq!(lines, expected(&input), "reads of {step}, {sizes:?}");
            }
        }
    }

    #[test]
    fn one_buffer_asked_for_still_reads_to_the_end() {
        // Found by fuzzing: with a single buffer the reader waited for itself.
        let input = b"0ef123d2c87d5d3df28c96bcab4f0faccc87\n";
        let sizes = Sizes {
            group: 2,
            buffer: 37,
            buffers: 1,
            largest: 148,
        };
        let (lines, ended) = read_all(input, 37, sizes, None);
        assert!(ended);
        assert_eq!(lines, expected(input));
    }

    #[test]
    fn a_failed_read_ends_the_input_without_its_partial_line() {
        let input = b"one\ntwo\nthr";
        let (lines, ended) = read_all(input, 4, SMALL, Some(10));
        assert!(ended);
        assert_eq!(lines, expected(b"one\ntwo\n"));
    }

    #[test]
    fn reading_stops_when_the_watcher_is_gone() {
        let input = b"a\nb\nc\nd\ne\nf\ng\n".repeat(10);
        let mut groups = 0;
        let reader = Trickle::new(&input, 3, None);
        let ended = read(reader, SMALL, &mut |_| {
            groups += 1;
            groups < 3
        });
        assert!(!ended);
        assert_eq!(groups, 3);
    }

    /// With every buffer held, the reader waits; a group dropped lets it go
    /// on with that group's buffer.
    #[test]
    fn the_reader_waits_for_a_buffer_to_come_back() {
        let input = b"a\nb\nc\nd\ne\nf\ng\nh\n".repeat(4);
        let mut held = Vec::new();
        let reader = Trickle::new(&input, 2, None);
        let mut seen = 0;
        let three = Sizes {
            buffers: 3,
            ..SMALL
        };
        let ended = read(reader, three, &mut |group| {
            seen += group.len();
            held.push(group);
            // Keep one group (and its buffer) out at a time, beyond the
            // one being read: the reader must get the others back.
            if held.len() > 1 {
                held.remove(0);
            }
            true
        });
        assert!(ended);
        assert_eq!(seen, 32);
    }
}
