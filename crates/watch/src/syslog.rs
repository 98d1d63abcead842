//! Syslog over the network: UDP datagrams (one message each), and TCP
//! streams framed either by octet counting (`LEN SP MSG`, RFC 6587) or by
//! newlines, told apart per message by its first character. Messages are
//! RFC 3164 or RFC 5424; they are parsed by the watcher, like every input.
//! With TLS the TCP input is syslog over TLS (RFC 5425: octet-counted
//! frames in a TLS stream); under mutual TLS the name on each sender's
//! certificate is recorded on its events (their source is
//! `syslog-tcp:NAME`).

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use vigil_net::tls::{Connection, Tls};

use crate::metrics::Metrics;
use crate::Intake;

pub const UDP: &str = "syslog-udp";
pub const TCP: &str = "syslog-tcp";

/// The longest message accepted on TCP; longer frames end the connection.
const MAX_MESSAGE: usize = 1 << 20;
/// The most digits an octet count may have (with its space): more cannot be
/// a count below [`MAX_MESSAGE`], and a sender of endless digits must not
/// make the count itself grow without end.
const MAX_COUNT: u64 = 20;
/// Connections read at once at most; more are closed at once.
const MAX_CONNECTIONS: usize = 256;

pub fn serve_udp(addr: SocketAddr, intake: SyncSender<Intake>) -> anyhow::Result<SocketAddr> {
    let socket = UdpSocket::bind(addr).with_context(|| format!("cannot listen on udp {addr}"))?;
    let bound = socket.local_addr()?;
    std::thread::spawn(move || {
        let mut buffer = vec![0u8; 64 << 10];
        let mut number = 0;
        loop {
            let Ok((n, _)) = socket.recv_from(&mut buffer) else {
                continue;
            };
            number += 1;
            let text = String::from_utf8_lossy(&buffer[..n])
                .trim_end_matches(['\n', '\r', '\0'])
                .to_string();
            let line = Intake::Line {
                input: UDP,
                sender: None,
                text,
                number,
                arrived: Instant::now(),
            };
            if intake.send(line).is_err() {
                return;
            }
        }
    });
    Ok(bound)
}

pub fn serve_tcp(
    addr: SocketAddr,
    tls: Option<Arc<Tls>>,
    intake: SyncSender<Intake>,
    metrics: Arc<Metrics>,
) -> anyhow::Result<SocketAddr> {
    let listener =
        TcpListener::bind(addr).with_context(|| format!("cannot listen on tcp {addr}"))?;
    let bound = listener.local_addr()?;
    let open = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                open.fetch_sub(1, Ordering::SeqCst);
                metrics.refused("connections");
                continue;
            }
            let (intake, tls, metrics, open) =
                (intake.clone(), tls.clone(), metrics.clone(), open.clone());
            std::thread::spawn(move || {
                read_stream(stream, tls.as_deref(), &intake, &metrics);
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    Ok(bound)
}

fn read_stream(
    stream: TcpStream,
    tls: Option<&Tls>,
    intake: &SyncSender<Intake>,
    metrics: &Metrics,
) {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    let (connection, sender) = match tls {
        Some(tls) => match tls.accept(stream) {
            Ok((stream, name)) => (Connection::Tls(Box::new(stream)), name),
            Err(error) => {
                metrics.refused("tls");
                crate::log(
                    "warn",
                    "syslog TLS handshake failed",
                    &[("peer", peer), ("reason", error.to_string())],
                );
                return;
            }
        },
        None => (Connection::Plain(stream), None),
    };
    let mut reader = BufReader::new(connection);
    let mut number = 0;
    loop {
        let message = match next_message(&mut reader) {
            Ok(Some(message)) => message,
            Ok(None) => return,
            Err(reason) => {
                crate::log(
                    "warn",
                    "syslog connection closed",
                    &[("peer", peer), ("reason", reason)],
                );
                return;
            }
        };
        number += 1;
        let line = Intake::Line {
            input: TCP,
            sender: sender.clone(),
            text: message,
            number,
            arrived: Instant::now(),
        };
        if intake.send(line).is_err() {
            return;
        }
    }
}

/// One framed message: octet-counted when it starts with a digit, else up
/// to the next newline.
pub fn next_message(reader: &mut impl BufRead) -> Result<Option<String>, String> {
    let first = match reader.fill_buf() {
        Ok([]) => return Ok(None),
        Ok(bytes) => bytes[0],
        Err(error) => return Err(error.to_string()),
    };
    if first.is_ascii_digit() {
        let mut length = Vec::new();
        reader
            .by_ref()
            .take(MAX_COUNT)
            .read_until(b' ', &mut length)
            .map_err(|e| e.to_string())?;
        let digits = std::str::from_utf8(&length).unwrap_or("").trim_end();
        let n: usize = digits
            .parse()
            .map_err(|_| format!("bad octet count '{digits}'"))?;
        if n > MAX_MESSAGE {
            return Err(format!("frame of {n} bytes is too long"));
        }
        let mut message = vec![0; n];
        reader
            .read_exact(&mut message)
            .map_err(|e| format!("frame cut short: {e}"))?;
        return Ok(Some(
            String::from_utf8_lossy(&message)
                .trim_end_matches(['\n', '\r'])
                .to_string(),
        ));
    }
    let mut line = Vec::new();
    reader
        .by_ref()
        .take(MAX_MESSAGE as u64 + 1)
        .read_until(b'\n', &mut line)
        .map_err(|e| e.to_string())?;
    if line.len() > MAX_MESSAGE {
        return Err("line too long".to_string());
    }
    Ok(Some(
        String::from_utf8_lossy(&line)
            .trim_end_matches(['\n', '\r'])
            .to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::next_message;

    #[test]
    fn octet_counted_and_newline_frames_mix() {
        let stream = b"12 <13>1 - - x\n<13>Mar  1 10:00:00 h p: hi\n5 abcde";
        let mut reader = &stream[..];
        assert_eq!(next_message(&mut reader).unwrap().unwrap(), "<13>1 - - x");
        assert_eq!(
            next_message(&mut reader).unwrap().unwrap(),
            "<13>Mar  1 10:00:00 h p: hi"
        );
        assert_eq!(next_message(&mut reader).unwrap().unwrap(), "abcde");
        assert_eq!(next_message(&mut reader).unwrap(), None);
        let mut bad = &b"99999999 x"[..];
        assert!(next_message(&mut bad).is_err());
        let mut short = &b"10 abc"[..];
        assert!(next_message(&mut short).is_err());
    }

    /// Digits without end, made as they are read.
    struct Digits;

    impl std::io::Read for Digits {
        fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
            buffer.fill(b'7');
            Ok(buffer.len())
        }
    }

    #[test]
    fn an_octet_count_without_end_closes_the_connection() {
        let mut endless = std::io::BufReader::new(Digits);
        let error = next_message(&mut endless).unwrap_err();
        assert_eq!(error, "bad octet count '77777777777777777777'");
        // A new connection is read as before.
        let mut next = &b"5 hello"[..];
        assert_eq!(next_message(&mut next).unwrap().unwrap(), "hello");
    }
}
