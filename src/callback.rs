//! The one-shot server a browser is sent back to after approval: OAuth
//! 1.0a's callback (`login --listen`) and OAuth 2.0's redirect URI (`login
//! --oauth2`). hyper on a small tokio runtime parses the requests; each is
//! answered with a short page until one brings what the login waits for.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::{IpAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// What one request means to the login waiting for it.
pub enum Verdict<T> {
    /// The awaited answer: the wait ends with it, and the browser gets `page`.
    Done(T, &'static str),
    /// Not it (a favicon, a stale tab): answered with `status` and `page`.
    Again(StatusCode, &'static str),
}

/// Listening sockets for the callback, bound before the browser is sent.
pub struct Callback {
    sockets: Vec<TcpListener>,
    port: u16,
}

impl Callback {
    /// Binds `port` (0: any free one) on each address; an address that
    /// cannot be bound is left out (::1 without IPv6), but not all of them.
    pub fn bind(addrs: &[IpAddr], port: u16) -> std::io::Result<Callback> {
        let mut sockets = Vec::new();
        let mut failure = None;
        let mut port = port;
        for addr in addrs {
            match TcpListener::bind((*addr, port)) {
                Ok(s) => {
                    // With port 0, the others listen on the port the first got.
                    port = s.local_addr()?.port();
                    sockets.push(s);
                }
                Err(e) => failure = Some(e),
            }
        }
        match (sockets.is_empty(), failure) {
            (true, Some(e)) => Err(e),
            _ => Ok(Callback { sockets, port }),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `judge`, given a GET's path and decoded query, says
    /// `Done`, or `timeout` passes (`None`).
    pub fn wait<T, F>(self, timeout: Duration, judge: F) -> Option<T>
    where
        T: Send + 'static,
        F: Fn(&str, &[(String, String)]) -> Verdict<T> + Send + Sync + 'static,
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        let judge = Arc::new(judge);
        let (tx, mut rx) = mpsc::channel::<T>(1);
        rt.block_on(async move {
            for socket in self.sockets {
                socket.set_nonblocking(true).ok()?;
                let listener = tokio::net::TcpListener::from_std(socket).ok()?;
                tokio::spawn(accept(listener, Arc::clone(&judge), tx.clone()));
            }
            tokio::time::timeout(timeout, rx.recv())
                .await
                .ok()
                .flatten()
        })
    }
}

async fn accept<T, F>(listener: tokio::net::TcpListener, judge: Arc<F>, tx: mpsc::Sender<T>)
where
    T: Send + 'static,
    F: Fn(&str, &[(String, String)]) -> Verdict<T> + Send + Sync + 'static,
{
    while let Ok((stream, _)) = listener.accept().await {
        let (judge, tx) = (Arc::clone(&judge), tx.clone());
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let (status, page) = answer(&req, &*judge, &tx);
            async move { Ok::<_, std::convert::Infallible>(page_response(status, page)) }
        });
        tokio::spawn(async move {
            // A client that connects and says nothing must not hold it.
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Judges one request; the awaited one is handed over on `tx`.
fn answer<T, F>(
    req: &Request<Incoming>,
    judge: &F,
    tx: &mpsc::Sender<T>,
) -> (StatusCode, &'static str)
where
    F: Fn(&str, &[(String, String)]) -> Verdict<T>,
{
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "GET only.");
    }
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    match judge(req.uri().path(), &query) {
        Verdict::Done(value, page) => {
            let _ = tx.try_send(value);
            (StatusCode::OK, page)
        }
        Verdict::Again(status, page) => (status, page),
    }
}

fn page_response(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>jira-oauth</title></head>\
         <body><p>{text}</p></body></html>\n"
    );
    Response::builder()
        .status(status)
        .header("Content-Type", "text/html; charset=utf-8")
        .header("Cache-Control", "no-store")
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}
