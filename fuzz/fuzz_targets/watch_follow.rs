//! `vigil watch FILE`: a followed file that grows in pieces of every size,
//! is polled between them, truncated, rotated (renamed and made again) and
//! resumed from a checkpoint. Nothing may panic; while the file only grows,
//! the lines handed out must be exactly its complete lines, in order.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use vigil_watch::{Follower, Poll};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("app.jsonl");
    let mut follower = Follower::new(path.clone(), None);
    // Everything appended since the file was last truncated or rotated,
    // and the lines handed out since; `None` once the order is not known.
    let mut written: Option<Vec<u8>> = Some(Vec::new());
    let mut seen: Vec<String> = Vec::new();
    let mut rest = data;
    while let [op, arg, tail @ ..] = rest {
        rest = tail;
        match op % 8 {
            0..=3 => {
                let n = usize::from(*arg).min(rest.len());
                let (piece, after) = rest.split_at(n);
                rest = after;
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .expect("the file opens");
                file.write_all(piece).expect("written");
                if let Some(written) = &mut written {
                    written.extend_from_slice(piece);
                }
            }
            4 | 5 => poll(&mut follower, usize::from(*arg) + 1, &mut seen),
            6 => {
                let _ = std::fs::write(&path, b"");
                written = None;
            }
            _ => {
                let _ = std::fs::rename(&path, dir.path().join("app.jsonl.1"));
                if arg % 2 == 0 {
                    // Resumed from its checkpoint, as after a restart.
                    follower = Follower::new(path.clone(), Some(follower.checkpoint()));
                }
                written = None;
            }
        }
    }
    poll(&mut follower, usize::MAX, &mut seen);
    if let Some(written) = written {
        let complete = match written.iter().rposition(|&b| b == b'\n') {
            Some(end) => &written[..end + 1],
            None => &[][..],
        };
        let expected: Vec<String> = complete
            .split(|&b| b == b'\n')
            .take(complete.iter().filter(|&&b| b == b'\n').count())
            .filter_map(|line| {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                std::str::from_utf8(line).ok().map(str::to_string)
            })
            .collect();
        assert_eq!(seen, expected);
    }
});

fn poll(follower: &mut Follower, times: usize, seen: &mut Vec<String>) {
    for _ in 0..times {
        match follower.poll() {
            Ok(Poll::Line(text, _)) => seen.push(text),
            Ok(Poll::Bad(..)) => {}
            Ok(Poll::Idle) | Err(_) => return,
        }
    }
}
