//! `vigil watch --stdin`: the input read in groups into buffers that go
//! round, with reads of every size. The lines must be exactly those a
//! line-by-line reading gives, whatever the reads, groups and buffers.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Gives at most `step` bytes a read.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(out.len()).min(self.bytes.len());
        out[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let [step, group, buffer, buffers, input @ ..] = data else {
        return;
    };
    let reader = Trickle {
        bytes: input,
        step: usize::from(*step % 64) + 1,
    };
    let (lines, ended) = vigil_watch::read_stdin_lines(
        reader,
        usize::from(*group % 8) + 1,
        usize::from(*buffer % 64) + 1,
        usize::from(*buffers % 4) + 1,
    );
    assert!(ended);
    assert_eq!(lines, line_by_line(input));
});

/// The lines of `input` one by one, without their line ends and the
/// carriage return before them (one, as `hunt` reads lines).
fn line_by_line(input: &[u8]) -> Vec<Result<(String, u64), (u64, String)>> {
    let mut lines = Vec::new();
    let mut number = 0;
    let mut rest = input;
    while !rest.is_empty() {
        let (mut line, after) = match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (&rest[..end], &rest[end + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        if let [head @ .., b'\r'] = line {
            line = head;
        }
        number += 1;
        lines.push(match std::str::from_utf8(line) {
            Ok(text) => Ok((text.to_string(), number)),
            Err(e) => Err((number, format!("not valid UTF-8 at byte {}", e.valid_up_to() + 1))),
        });
        rest = after;
    }
    lines
}
