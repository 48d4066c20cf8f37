//! A small HTTP/1.1 server over std::net: a thread per connection,
//! keep-alive, request bodies by Content-Length or chunked.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The request target as received (`/path?query`).
    pub target: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Which accepted connection (1-based) carried it.
    pub connection: usize,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn with_body(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response::new(status)
            .header("Content-Type", content_type)
            .body(body)
    }

    pub fn text(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response::with_body(status, "text/plain;charset=UTF-8", body)
    }

    pub fn html(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response::with_body(status, "text/html;charset=UTF-8", body)
    }

    pub fn json(status: u16, value: &serde_json::Value) -> Response {
        Response::with_body(status, "application/json;charset=UTF-8", value.to_string())
    }

    /// Adds a header (several of one name are allowed).
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Replaces every header of that name.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.into()));
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }

    pub fn get_header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

pub type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

/// A running server; Drop stops accepting and shuts every open connection.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    live: Arc<Mutex<HashMap<usize, TcpStream>>>,
    connections: Arc<AtomicUsize>,
}

impl Server {
    pub fn start(
        listener: TcpListener,
        tls: Option<Arc<rustls::ServerConfig>>,
        handler: Handler,
    ) -> io::Result<Server> {
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let live = Arc::new(Mutex::new(HashMap::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (s, l, c) = (stop.clone(), live.clone(), connections.clone());
        let accept = std::thread::Builder::new()
            .name("mock-jira-accept".into())
            .spawn(move || accept_loop(listener, tls, handler, s, l, c))?;
        Ok(Server {
            addr,
            stop,
            accept: Some(accept),
            live,
            connections,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocked accept() so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        for s in self.live.lock().unwrap().values() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

fn accept_loop(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    handler: Handler,
    stop: Arc<AtomicBool>,
    live: Arc<Mutex<HashMap<usize, TcpStream>>>,
    connections: Arc<AtomicUsize>,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        let id = connections.fetch_add(1, Ordering::SeqCst) + 1;
        if let Ok(c) = stream.try_clone() {
            live.lock().unwrap().insert(id, c);
        }
        let (tls, handler, mine) = (tls.clone(), handler.clone(), live.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("mock-jira-conn-{id}"))
            .spawn(move || {
                match tls {
                    Some(cfg) => serve_tls(stream, cfg, id, &handler),
                    None => {
                        let _ = serve(stream, id, &handler);
                    }
                }
                mine.lock().unwrap().remove(&id);
            });
        if spawned.is_err() {
            live.lock().unwrap().remove(&id);
        }
    }
}

fn serve_tls(stream: TcpStream, cfg: Arc<rustls::ServerConfig>, id: usize, handler: &Handler) {
    let Ok(conn) = rustls::ServerConnection::new(cfg) else {
        return;
    };
    let mut s = serve(rustls::StreamOwned::new(conn, stream), id, handler);
    s.conn.send_close_notify();
    let _ = s.conn.complete_io(&mut s.sock);
}

/// Serves requests until the peer closes, asks to close, or errs.
fn serve<S: Read + Write>(stream: S, id: usize, handler: &Handler) -> S {
    let mut r = BufReader::new(stream);
    loop {
        let req = match read_request(&mut r, id) {
            Ok(Some(req)) => req,
            Ok(None) => break,
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                let resp = Response::text(400, format!("bad request: {e}\n"))
                    .header("Connection", "close");
                let _ = write_response(r.get_mut(), &resp, false);
                break;
            }
            Err(_) => break,
        };
        let close = wants_close(&req);
        let head = req.method.eq_ignore_ascii_case("HEAD");
        let mut resp = handler(req);
        let close = close
            || resp
                .get_header("Connection")
                .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        if close {
            resp.set_header("Connection", "close");
        }
        if write_response(r.get_mut(), &resp, head).is_err() || close {
            break;
        }
    }
    r.into_inner()
}

fn wants_close(req: &Request) -> bool {
    let conn = req.header("Connection").unwrap_or("").to_ascii_lowercase();
    if req.version == "HTTP/1.0" {
        !conn.contains("keep-alive")
    } else {
        conn.split(',').any(|t| t.trim() == "close")
    }
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

fn read_line<R: BufRead>(r: &mut R) -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    if r.by_ref().take(64 * 1024).read_until(b'\n', &mut buf)? == 0 {
        return Ok(None);
    }
    if !buf.ends_with(b"\n") {
        return Err(bad("line too long or cut short"));
    }
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| bad("header is not UTF-8"))
}

fn read_request<S: Read + Write>(r: &mut BufReader<S>, id: usize) -> io::Result<Option<Request>> {
    let line = loop {
        match read_line(r)? {
            None => return Ok(None),
            // Stray CRLFs between requests are allowed (RFC 9112 section 2.2).
            Some(l) if l.is_empty() => continue,
            Some(l) => break l,
        }
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(bad("unsupported HTTP version"));
    }
    let mut headers = Vec::new();
    loop {
        let l = read_line(r)?.ok_or_else(|| bad("headers cut short"))?;
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':').ok_or_else(|| bad("malformed header"))?;
        headers.push((n.trim().to_string(), v.trim().to_string()));
    }
    if header(&headers, "Expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        r.get_mut().write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        r.get_mut().flush()?;
    }
    let chunked = header(&headers, "Transfer-Encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        read_chunked(r)?
    } else if let Some(len) = header(&headers, "Content-Length") {
        let len: usize = len.parse().map_err(|_| bad("bad Content-Length"))?;
        let mut body = vec![0; len];
        r.read_exact(&mut body)?;
        body
    } else {
        Vec::new()
    };
    Ok(Some(Request {
        method: method.to_string(),
        target: target.to_string(),
        version: version.to_string(),
        headers,
        body,
        connection: id,
    }))
}

fn read_chunked<R: BufRead>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(r)?.ok_or_else(|| bad("chunk cut short"))?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| bad("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !read_line(r)?
                .ok_or_else(|| bad("trailers cut short"))?
                .is_empty()
            {}
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])?;
        if !read_line(r)?
            .ok_or_else(|| bad("chunk cut short"))?
            .is_empty()
        {
            return Err(bad("chunk longer than its size"));
        }
    }
}

fn write_response<W: Write>(w: &mut W, resp: &Response, head: bool) -> io::Result<()> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (n, v) in &resp.headers {
        if n.eq_ignore_ascii_case("Content-Length") || n.eq_ignore_ascii_case("Transfer-Encoding") {
            continue;
        }
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", resp.body.len()));
    let mut bytes = out.into_bytes();
    if !head {
        bytes.extend_from_slice(&resp.body);
    }
    w.write_all(&bytes)?;
    w.flush()
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// RFC 9110 IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(unix: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix.max(0) as u64);
    httpdate::fmt_http_date(t)
}
