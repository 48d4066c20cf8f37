//! The provider's HTTP/1.1 server: hyper on tokio, TLS through
//! tokio-rustls. Handlers stay synchronous and run on the blocking pool.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{StatusCode, Version};
use hyper_util::rt::TokioIo;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The request target as received (`/path?query`).
    pub target: String,
    pub version: String,
    /// Names in lower case, in order of first appearance, the values of
    /// one name together (hyper's `HeaderMap`).
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

/// One runtime for every server of the process: tests start hundreds of
/// servers, and none then costs threads of its own. Handlers run on its
/// blocking pool, so a slow one stalls no other connection.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("mock-jira")
            .enable_all()
            .build()
            .expect("the mock JIRA's tokio runtime")
    })
}

/// A running server; Drop stops accepting and closes every open connection.
pub struct Server {
    addr: SocketAddr,
    /// Dropping it tells the accept loop and every connection to stop.
    stop: Option<watch::Sender<()>>,
    /// Disconnected once the listener and every connection are closed.
    done: Mutex<mpsc::Receiver<()>>,
    connections: Arc<AtomicUsize>,
}

impl Server {
    pub fn start(
        listener: TcpListener,
        tls: Option<Arc<rustls::ServerConfig>>,
        handler: Handler,
    ) -> io::Result<Server> {
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let rt = runtime();
        let listener = {
            let _in_runtime = rt.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let (stop, stopped) = watch::channel(());
        let (alive, done) = mpsc::channel();
        let connections = Arc::new(AtomicUsize::new(0));
        let server = Accept {
            tls: tls.map(TlsAcceptor::from),
            handler,
            connections: connections.clone(),
            stopped,
            alive,
        };
        rt.spawn(server.run(listener));
        Ok(Server {
            addr,
            stop: Some(stop),
            done: Mutex::new(done),
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
        drop(self.stop.take());
        // Every task holds a sender: once all have ended, the port is free
        // and no connection is left open. A handler still running on the
        // blocking pool finishes on its own, its answer dropped.
        let done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        let _ = done.recv();
    }
}

/// What the accept loop and each connection task share.
#[derive(Clone)]
struct Accept {
    tls: Option<TlsAcceptor>,
    handler: Handler,
    connections: Arc<AtomicUsize>,
    stopped: watch::Receiver<()>,
    alive: mpsc::Sender<()>,
}

impl Accept {
    async fn run(mut self, listener: tokio::net::TcpListener) {
        loop {
            let tcp = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((tcp, _)) => tcp,
                    // Out of descriptors, say: let some close first.
                    Err(_) => {
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                },
                _ = self.stopped.changed() => return,
            };
            let _ = tcp.set_nodelay(true);
            let id = self.connections.fetch_add(1, Ordering::SeqCst) + 1;
            let (conn, mut stopped) = (self.clone(), self.stopped.clone());
            tokio::spawn(async move {
                tokio::select! {
                    _ = conn.serve(tcp, id) => {}
                    _ = stopped.changed() => {}
                }
            });
        }
    }

    async fn serve(&self, tcp: tokio::net::TcpStream, id: usize) {
        match &self.tls {
            None => self.http(TokioIo::new(tcp), id).await,
            Some(acceptor) => {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    self.http(TokioIo::new(tls), id).await;
                }
            }
        }
    }

    /// Requests until the peer closes, either side asks to close, or a
    /// request is malformed (hyper answers 400).
    async fn http<I>(&self, io: I, id: usize)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let handler = self.handler.clone();
        let service = service_fn(move |req| answer(req, handler.clone(), id));
        let _ = http1::Builder::new()
            // Names as the handlers wrote them, near enough for raw tests.
            .title_case_headers(true)
            // The provider sets its own (skewed) Date.
            .auto_date_header(false)
            // A client that shuts its side after a request still gets the answer.
            .half_close(true)
            .serve_connection(io, service)
            .await;
    }
}

/// Reads the body whole, then calls the handler on the blocking pool.
async fn answer(
    req: hyper::Request<Incoming>,
    handler: Handler,
    id: usize,
) -> Result<hyper::Response<Full<Bytes>>, tokio::task::JoinError> {
    let (head, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(e) => {
            let resp = Response::text(400, format!("bad request: {e}\n"));
            return Ok(to_hyper(resp.header("Connection", "close")));
        }
    };
    let headers = head
        .headers
        .iter()
        .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
        .collect();
    let req = Request {
        method: head.method.to_string(),
        target: target(&head.uri),
        version: format!("{:?}", head.version),
        headers,
        body,
        connection: id,
    };
    let close = wants_close(&req);
    // A handler that panics ends the connection without an answer.
    let mut resp = tokio::task::spawn_blocking(move || handler(req)).await?;
    let close = close
        || resp
            .get_header("Connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
    if close {
        resp.set_header("Connection", "close");
    }
    let mut out = to_hyper(resp);
    // Else hyper adds `keep-alive` to the `close` of an HTTP/1.0 exchange.
    if close && head.version == Version::HTTP_10 {
        *out.version_mut() = Version::HTTP_10;
    }
    Ok(out)
}

/// The target as the request line had it: hyper keeps an origin-form's
/// bytes as they came, which the provider's signature check needs.
fn target(uri: &hyper::Uri) -> String {
    match (uri.scheme(), uri.path_and_query()) {
        (None, Some(pq)) => pq.as_str().to_string(),
        // Absolute-form, or a CONNECT's authority-form.
        _ => uri.to_string(),
    }
}

/// An HTTP/1.0 request that did not ask to keep the connection is told it
/// closes, as hyper does for HTTP/1.1.
fn wants_close(req: &Request) -> bool {
    let conn = req.header("Connection").unwrap_or("").to_ascii_lowercase();
    if req.version == "HTTP/1.0" {
        !conn.contains("keep-alive")
    } else {
        conn.split(',').any(|t| t.trim() == "close")
    }
}

fn to_hyper(resp: Response) -> hyper::Response<Full<Bytes>> {
    let mut out = hyper::Response::new(Full::new(Bytes::from(resp.body)));
    let status = StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    *out.status_mut() = status;
    if status.canonical_reason().is_none() {
        let reason = hyper::ext::ReasonPhrase::from_static(reason(resp.status).as_bytes());
        out.extensions_mut().insert(reason);
    }
    for (n, v) in resp.headers {
        // hyper frames the body by its length.
        if n.eq_ignore_ascii_case("Content-Length") || n.eq_ignore_ascii_case("Transfer-Encoding") {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(n.as_bytes()),
            HeaderValue::from_bytes(v.as_bytes()),
        ) {
            out.headers_mut().append(n, v);
        }
    }
    out
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
