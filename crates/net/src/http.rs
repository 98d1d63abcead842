//! A small HTTP/1.1 server for Vigil's listeners (the watcher's intake,
//! the console): a thread per connection up to a cap, bounded heads and
//! bodies (`Content-Length` or chunked), keep-alive, `Expect:
//! 100-continue`, in clear or over TLS. Written on `std::net` because the
//! console's live updates (server-sent events) need each event written and
//! flushed as it happens, which buffered chunked encoders hold back.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::tls::{Connection, Tls};

/// Told of every connection or request the server refuses on its own,
/// before a handler sees it: for the listener's metrics.
pub type RefusalObserver = Arc<dyn Fn(Refusal) + Send + Sync>;

/// What the server refused by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The TLS handshake failed (no or an untrusted client certificate,
    /// a client speaking clear text to a TLS port).
    Handshake,
    /// More connections than allowed.
    Busy,
    /// A malformed or oversized request, with the status it was answered.
    Request(u16),
}

/// What a server accepts.
#[derive(Clone)]
pub struct Options {
    /// The request line and headers may not exceed this.
    pub max_head: usize,
    /// A body (after chunked decoding) may not exceed this: `413`.
    pub max_body: usize,
    /// Serve several requests on one connection when the client asks.
    pub keep_alive: bool,
    /// Connections served at once at most; more are answered `503` at once,
    /// so a flood cannot start threads without end.
    pub max_connections: usize,
    /// How long a connection may be silent, between requests or within one.
    pub idle: Duration,
    /// Headers every response carries unless it sets its own.
    pub headers: Vec<(String, String)>,
    pub on_refusal: Option<RefusalObserver>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_head: 16 * 1024,
            max_body: 256 * 1024,
            keep_alive: false,
            max_connections: 128,
            idle: Duration::from_secs(10),
            headers: Vec::new(),
            on_refusal: None,
        }
    }
}

#[derive(Debug)]
pub struct Request {
    pub method: String,
    /// The path without the query.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    /// The body as form fields (`application/x-www-form-urlencoded`).
    pub fn form(&self) -> Vec<(String, String)> {
        parse_query(&String::from_utf8_lossy(&self.body))
    }
}

/// Who is on the other end of a connection.
#[derive(Debug, Clone)]
pub struct Peer {
    pub addr: SocketAddr,
    /// The name on the client's certificate, under mutual TLS.
    pub certificate: Option<Arc<str>>,
    /// The connection is over TLS.
    pub tls: bool,
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

/// Writes a streamed body as it comes, until the writer fails (the
/// browser went away).
pub type Writer = Box<dyn FnOnce(&mut dyn Write) + Send>;

pub enum Body {
    Bytes(Vec<u8>),
    Stream(Writer),
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: Body::Bytes(body.into()),
        }
    }

    pub fn text(status: u16, text: &str) -> Response {
        Response::new(status, "text/plain; charset=utf-8", text)
    }

    pub fn json(value: &impl serde::Serialize) -> Response {
        Response::new(
            200,
            "application/json",
            serde_json::to_vec(value).unwrap_or_default(),
        )
    }

    pub fn with(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }
}

impl Options {
    fn refused(&self, refusal: Refusal) {
        if let Some(observe) = &self.on_refusal {
            observe(refusal);
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Accepts connections until the listener fails, answering each on its own
/// thread with `handle`; over TLS when `tls` is given (a failed handshake
/// closes that connection only).
pub fn serve<H>(listener: TcpListener, tls: Option<Arc<Tls>>, options: Options, handle: H)
where
    H: Fn(Request, &Peer) -> Response + Send + Sync + 'static,
{
    let handle = Arc::new(handle);
    let options = Arc::new(options);
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if open.fetch_add(1, Ordering::SeqCst) >= options.max_connections {
            open.fetch_sub(1, Ordering::SeqCst);
            options.refused(Refusal::Busy);
            // In clear a refusal can be read; over TLS the connection is
            // simply closed, as no handshake has been made.
            if tls.is_none() {
                let busy = Response::text(503, "too many connections; try again");
                let _ = write_response(&mut &stream, busy, &options.headers, true);
            }
            continue;
        }
        let handle = handle.clone();
        let options = options.clone();
        let open = open.clone();
        let tls = tls.clone();
        std::thread::spawn(move || {
            connection(stream, tls.as_deref(), &options, &*handle);
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

fn connection(
    stream: TcpStream,
    tls: Option<&Tls>,
    options: &Options,
    handle: &dyn Fn(Request, &Peer) -> Response,
) {
    let addr = stream
        .peer_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let _ = stream.set_read_timeout(Some(options.idle));
    let _ = stream.set_nodelay(true);
    let (connection, certificate) = match tls {
        Some(tls) => match tls.accept(stream) {
            Ok((stream, name)) => (Connection::Tls(Box::new(stream)), name),
            Err(_) => {
                options.refused(Refusal::Handshake);
                return;
            }
        },
        None => (Connection::Plain(stream), None),
    };
    let peer = Peer {
        addr,
        certificate,
        tls: tls.is_some(),
    };
    let mut reader = BufReader::new(connection);
    loop {
        let (request, wants_close) = match read_request(&mut reader, options) {
            Ok(Some(read)) => read,
            Ok(None) => break,
            Err(status) => {
                options.refused(Refusal::Request(status));
                let refusal = Response::text(status, reason(status));
                let _ = write_response(reader.get_mut(), refusal, &options.headers, true);
                break;
            }
        };
        let response = handle(request, &peer);
        let close = wants_close || !options.keep_alive || matches!(response.body, Body::Stream(_));
        if write_response(reader.get_mut(), response, &options.headers, close).is_err() || close {
            break;
        }
    }
    reader.get_mut().finish();
}

/// The requests a connection's bytes hold, read as the server reads them,
/// up to the first it refuses (with the status it answers): for fuzzing
/// and tests, without a socket.
pub fn read_requests(bytes: &[u8], options: &Options) -> (Vec<Request>, Option<u16>) {
    struct Wire<'a>(&'a [u8]);
    impl Read for Wire<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0.read(buf)
        }
    }
    impl Write for Wire<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut reader = BufReader::new(Wire(bytes));
    let mut requests = Vec::new();
    loop {
        match read_request(&mut reader, options) {
            Ok(Some((request, _))) => requests.push(request),
            Ok(None) => return (requests, None),
            Err(status) => return (requests, Some(status)),
        }
    }
}

/// Reads one request and whether the client wants the connection closed
/// after it; `None` when the client closed or went silent between
/// requests; a status for a malformed or oversized request.
fn read_request(
    reader: &mut BufReader<impl Read + Write>,
    options: &Options,
) -> Result<Option<(Request, bool)>, u16> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let allowed = (options.max_head + 1).saturating_sub(before) as u64;
        let read = reader.by_ref().take(allowed).read_until(b'\n', &mut head);
        match read {
            Ok(0) if before == 0 => return Ok(None),
            Ok(0) => return Err(400),
            Ok(_) => {}
            Err(_) if before == 0 => return Ok(None),
            Err(_) => return Err(408),
        }
        if head.len() > options.max_head {
            return Err(431);
        }
        let line = &head[before..];
        if line == b"\r\n" || line == b"\n" {
            if before == 0 {
                // A stray empty line between requests is allowed.
                head.clear();
                continue;
            }
            break;
        }
    }
    let head = String::from_utf8(head).map_err(|_| 400u16)?;
    let mut lines = head.lines();
    let mut first = lines.next().ok_or(400u16)?.split(' ');
    let method = first
        .next()
        .filter(|m| !m.is_empty())
        .ok_or(400u16)?
        .to_string();
    let target = first.next().ok_or(400u16)?;
    let version = first.next().unwrap_or("HTTP/1.0");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let connection = header("connection").unwrap_or("").to_ascii_lowercase();
    let wants_close = connection.contains("close")
        || (version != "HTTP/1.1" && !connection.contains("keep-alive"));
    let chunked =
        header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    let length: Option<usize> = header("content-length")
        .map(|v| v.parse().map_err(|_| 400u16))
        .transpose()?;
    if length.is_some_and(|n| n > options.max_body) {
        return Err(413);
    }
    if header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        let _ = reader.get_mut().write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
        let _ = reader.get_mut().flush();
    }
    let body = if chunked {
        read_chunked(reader, options.max_body)?
    } else {
        let mut body = vec![0; length.unwrap_or(0)];
        reader.read_exact(&mut body).map_err(|_| 400u16)?;
        body
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let request = Request {
        method,
        path: percent_decode(path),
        query: parse_query(query),
        headers,
        body,
    };
    Ok(Some((request, wants_close)))
}

/// A chunked body, at most `max` bytes; trailers are read and dropped.
fn read_chunked(reader: &mut impl BufRead, max: usize) -> Result<Vec<u8>, u16> {
    let mut body = Vec::new();
    loop {
        let size_line = bounded_line(reader)?;
        let digits = size_line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(digits, 16).map_err(|_| 400u16)?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !bounded_line(reader)?.is_empty() {}
            return Ok(body);
        }
        if body.len().saturating_add(size) > max {
            return Err(413);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).map_err(|_| 400u16)?;
        if !bounded_line(reader)?.is_empty() {
            return Err(400);
        }
    }
}

/// One line of a chunked body's framing, without its end, at most 1 KiB.
fn bounded_line(reader: &mut impl BufRead) -> Result<String, u16> {
    let mut line = Vec::new();
    reader
        .by_ref()
        .take(1024)
        .read_until(b'\n', &mut line)
        .map_err(|_| 400u16)?;
    if line.last() != Some(&b'\n') {
        return Err(400);
    }
    let text = String::from_utf8(line).map_err(|_| 400u16)?;
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

fn write_response(
    stream: &mut impl Write,
    response: Response,
    always: &[(String, String)],
    close: bool,
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (name, value) in always {
        if !response
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    for (name, value) in &response.headers {
        // Header values are ours, but never let one end the head early.
        let value = value.replace(['\r', '\n'], " ");
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(if close {
        "Connection: close\r\n"
    } else {
        "Connection: keep-alive\r\n"
    });
    match response.body {
        Body::Bytes(bytes) => {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", bytes.len()));
            let mut whole = head.into_bytes();
            whole.extend_from_slice(&bytes);
            stream.write_all(&whole)?;
            stream.flush()
        }
        Body::Stream(write) => {
            head.push_str("\r\n");
            stream.write_all(head.as_bytes())?;
            stream.flush()?;
            write(stream);
            Ok(())
        }
    }
}

pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(n), percent_decode(v))
        })
        .collect()
}

pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(b)) => {
                out.push(b);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes to read from, and what is written back.
    struct Wire {
        input: std::io::Cursor<Vec<u8>>,
        output: Vec<u8>,
    }

    impl Read for Wire {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.input.read(buf)
        }
    }

    impl Write for Wire {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.output.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn wire(bytes: &[u8]) -> BufReader<Wire> {
        BufReader::new(Wire {
            input: std::io::Cursor::new(bytes.to_vec()),
            output: Vec::new(),
        })
    }

    fn read(bytes: &[u8]) -> Result<Option<(Request, bool)>, u16> {
        read_request(&mut wire(bytes), &Options::default())
    }

    #[test]
    fn requests_follow_each_other_on_one_connection() {
        let two = b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc\
POST /b?x=%41 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
2\r\nde\r\n3;ext=1\r\nfgh\r\n0\r\nTrailer: t\r\n\r\n";
        let mut reader = wire(two);
        let (first, close) = read_request(&mut reader, &Options::default())
            .unwrap()
            .unwrap();
        assert_eq!(
            (first.path.as_str(), &first.body[..], close),
            ("/a", &b"abc"[..], false)
        );
        let (second, close) = read_request(&mut reader, &Options::default())
            .unwrap()
            .unwrap();
        assert_eq!(second.param("x"), Some("A"));
        assert_eq!((&second.body[..], close), (&b"defgh"[..], true));
        assert!(read_request(&mut reader, &Options::default())
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_client_that_expects_100_continue_is_told_to_go_on() {
        let mut reader =
            wire(b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx");
        let (request, _) = read_request(&mut reader, &Options::default())
            .unwrap()
            .unwrap();
        assert_eq!(request.body, b"x");
        assert_eq!(reader.get_ref().output, b"HTTP/1.1 100 Continue\r\n\r\n");
    }

    #[test]
    fn oversized_heads_and_bodies_are_refused_before_they_are_read() {
        let huge = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            256 * 1024 + 1
        );
        assert_eq!(read(huge.as_bytes()).unwrap_err(), 413);
        let chunks = format!(
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
            256 * 1024 + 1
        );
        assert_eq!(read(chunks.as_bytes()).unwrap_err(), 413);
        let head = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(20_000));
        assert_eq!(read(head.as_bytes()).unwrap_err(), 431);
        let endless = format!(
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{}",
            "1".repeat(5000)
        );
        assert_eq!(read(endless.as_bytes()).unwrap_err(), 400);
    }

    #[test]
    fn random_bytes_and_truncated_requests_never_panic_the_reader() {
        let valid = b"POST /api/triage/alert/1?x=%41 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\
Cookie: a=b; vigil_session=c\r\nContent-Length: 12\r\n\r\naction=close";
        let (request, _) = read(&valid[..]).unwrap().unwrap();
        assert_eq!(request.path, "/api/triage/alert/1");
        assert_eq!(request.cookie("vigil_session"), Some("c"));
        assert_eq!(
            request.form(),
            [("action".to_string(), "close".to_string())]
        );
        for cut in 0..valid.len() {
            let _ = read(&valid[..cut]);
        }
        let chunked =
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3_000 {
            for valid in [&valid[..], &chunked[..]] {
                let mut bytes = valid.to_vec();
                for _ in 0..(next() % 6) {
                    let at = (next() % bytes.len() as u64) as usize;
                    bytes[at] = next() as u8;
                }
                let _ = read(&bytes);
            }
            let noise: Vec<u8> = (0..(next() % 200)).map(|_| next() as u8).collect();
            let _ = read(&noise);
        }
    }

    #[test]
    fn percent_decoding_never_panics_on_broken_escapes() {
        assert_eq!(percent_decode("a%3Cb+c"), "a<b c");
        let mut state: u64 = 0x9e3779b97f4a7c15;
        let alphabet = ['%', 'a', 'F', '3', '+', '\u{e9}', '&', '='];
        for _ in 0..5_000 {
            let mut text = String::new();
            for _ in 0..(state % 9) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push(alphabet[(state % alphabet.len() as u64) as usize]);
            }
            let _ = percent_decode(&text);
            let _ = parse_query(&text);
        }
    }
}
