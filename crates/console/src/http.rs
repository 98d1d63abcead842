//! A small HTTP/1.1 server for the console: one request per connection, a
//! thread per connection, bounded reads. Written on `std::net` rather than
//! on a crate because live updates (server-sent events) need each event
//! written and flushed as it happens, which buffered chunked encoders hold
//! back.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The request head may not exceed this, nor the body `MAX_BODY`.
const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: usize = 256 * 1024;

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

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Connections served at once at most; more are answered 503 at once, so
/// a flood cannot start threads without end.
const MAX_CONNECTIONS: usize = 128;

/// Accepts connections until the listener fails, answering each on its own
/// thread with `handle`.
pub fn serve<H>(listener: TcpListener, handle: H)
where
    H: Fn(Request, SocketAddr) -> Response + Send + Sync + 'static,
{
    let handle = std::sync::Arc::new(handle);
    let open = std::sync::Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            let busy = Response::text(503, "too many connections; try again");
            let _ = write_response(stream, busy, &crate::routes::security_headers());
            continue;
        }
        let handle = handle.clone();
        let open = open.clone();
        std::thread::spawn(move || {
            let peer = stream
                .peer_addr()
                .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let response = match read_request(&stream) {
                Ok(request) => handle(request, peer),
                Err(status) => Response::text(status, "bad request"),
            };
            let _ = write_response(stream, response, &crate::routes::security_headers());
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// Reads one request; a malformed or oversized one gives the status to
/// answer it with.
fn read_request(stream: impl Read) -> Result<Request, u16> {
    let mut reader = BufReader::new(stream.take((MAX_HEAD + MAX_BODY) as u64));
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = reader.read_until(b'\n', &mut head).map_err(|_| 400u16)?;
        if n == 0 {
            return Err(400);
        }
        if head.len() > MAX_HEAD {
            return Err(413);
        }
        let line = &head[before..];
        if line == b"\r\n" || line == b"\n" {
            break;
        }
    }
    let head = String::from_utf8(head).map_err(|_| 400u16)?;
    let mut lines = head.lines();
    let mut first = lines.next().ok_or(400u16)?.split(' ');
    let method = first.next().ok_or(400u16)?.to_string();
    let target = first.next().ok_or(400u16)?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().map_err(|_| 400u16))
        .transpose()?
        .unwrap_or(0);
    if length > MAX_BODY {
        return Err(413);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(|_| 400u16)?;
    Ok(Request {
        method,
        path: percent_decode(path),
        query: parse_query(query),
        headers,
        body,
    })
}

fn write_response(
    mut stream: TcpStream,
    response: Response,
    always: &[(&str, &str)],
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
    head.push_str("Connection: close\r\n");
    match response.body {
        Body::Bytes(bytes) => {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", bytes.len()));
            stream.write_all(head.as_bytes())?;
            stream.write_all(&bytes)?;
            stream.flush()
        }
        Body::Stream(write) => {
            head.push_str("\r\n");
            stream.write_all(head.as_bytes())?;
            stream.flush()?;
            write(&mut stream);
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

    #[test]
    fn random_bytes_and_truncated_requests_never_panic_the_reader() {
        let valid = b"POST /api/triage/alert/1?x=%41 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\
Cookie: a=b; vigil_session=c\r\nContent-Length: 12\r\n\r\naction=close";
        let request = read_request(&valid[..]).unwrap();
        assert_eq!(request.path, "/api/triage/alert/1");
        assert_eq!(request.cookie("vigil_session"), Some("c"));
        assert_eq!(
            request.form(),
            [("action".to_string(), "close".to_string())]
        );
        for cut in 0..valid.len() {
            let _ = read_request(&valid[..cut]);
        }
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3_000 {
            let mut bytes = valid.to_vec();
            for _ in 0..(next() % 6) {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
            let _ = read_request(&bytes[..]);
            let noise: Vec<u8> = (0..(next() % 200)).map(|_| next() as u8).collect();
            let _ = read_request(&noise[..]);
        }
        // A body larger than allowed is refused before it is read.
        let huge = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        assert_eq!(read_request(huge.as_bytes()).unwrap_err(), 413);
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
