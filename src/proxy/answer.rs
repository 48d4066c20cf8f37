//! What the proxy sends back: JIRA's body as it streams (links rewritten),
//! or an error of its own in JIRA's JSON shape; and the log line of each
//! request, written when its answer has been sent or dropped.

use super::rewrite::Rewriter;
use bytes::Bytes;
use futures_util::Stream;
use hyper::body::{Body, Frame};
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

type Chunks = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// One request's log line: client, method, path, status, bytes, ms.
#[derive(Clone)]
pub struct LogLine {
    pub peer: SocketAddr,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub bytes: u64,
    pub started: Instant,
    pub complete: bool,
}

impl LogLine {
    /// The line for a request just received.
    pub fn start<B>(peer: SocketAddr, req: &hyper::Request<B>) -> LogLine {
        LogLine {
            peer,
            method: req.method().to_string(),
            path: req.uri().path().to_string(),
            status: 0,
            bytes: 0,
            started: Instant::now(),
            complete: false,
        }
    }

    fn write(&self) {
        let end = if self.complete { "" } else { " (broken off)" };
        super::log_line(&format!(
            "{} {} {} {} {} B {} ms{end}",
            self.peer,
            self.method,
            self.path,
            self.status,
            self.bytes,
            self.started.elapsed().as_millis()
        ));
    }
}

/// An answer's body.
pub struct Answer {
    chunks: Chunks,
    rewriter: Option<Rewriter>,
    done: bool,
    log: LogLine,
    /// The body's length when known (Content-Length): hyper stops polling
    /// once that much is sent, so the log line counts it complete then.
    exact: Option<u64>,
}

impl Answer {
    /// JIRA's body as it comes; `length` is its Content-Length when it is
    /// passed on unchanged.
    pub fn streamed(
        chunks: Chunks,
        rewriter: Option<Rewriter>,
        log: LogLine,
        length: Option<u64>,
    ) -> Answer {
        Answer {
            chunks,
            exact: length.filter(|_| rewriter.is_none()),
            rewriter,
            done: false,
            log,
        }
    }

    fn whole(bytes: Bytes, log: LogLine) -> Answer {
        let len = bytes.len() as u64;
        let chunks = futures_util::stream::once(async move { Ok(bytes) });
        Answer::streamed(Box::pin(chunks), None, log, Some(len))
    }
}

impl Body for Answer {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            let out = match this.chunks.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => match &mut this.rewriter {
                    Some(r) => r.push(&chunk),
                    None => chunk,
                },
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    // JIRA broke off or fell silent: the client sees the
                    // connection end before the body does.
                    return Poll::Ready(Some(Err(std::io::Error::other(e))));
                }
                Poll::Ready(None) => {
                    this.done = true;
                    this.log.complete = true;
                    match &mut this.rewriter {
                        Some(r) => r.finish(),
                        None => Bytes::new(),
                    }
                }
            };
            if !out.is_empty() {
                this.log.bytes += out.len() as u64;
                if this.exact == Some(this.log.bytes) {
                    this.log.complete = true;
                }
                return Poll::Ready(Some(Ok(Frame::data(out))));
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match self.exact {
            Some(n) if !self.done => {
                hyper::body::SizeHint::with_exact(n.saturating_sub(self.log.bytes))
            }
            _ => hyper::body::SizeHint::default(),
        }
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        self.log.write();
    }
}

/// JIRA's error shape, with the proxy named.
fn jira_json(message: &str) -> Bytes {
    let body = serde_json::json!({
        "errorMessages": [format!("jira-oauth proxy: {message}")],
        "errors": {},
    });
    Bytes::from(body.to_string())
}

/// An error of the proxy's own.
pub fn error(log: LogLine, status: StatusCode, message: &str) -> Response<Answer> {
    error_with(log, status, message, &[])
}

/// As `error`, with headers of its own.
fn error_with(
    mut log: LogLine,
    status: StatusCode,
    message: &str,
    headers: &[(header::HeaderName, &'static str)],
) -> Response<Answer> {
    log.status = status.as_u16();
    let mut resp = Response::new(Answer::whole(jira_json(message), log));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    for (name, value) in headers {
        h.insert(name.clone(), HeaderValue::from_static(value));
    }
    resp
}

/// The gate's refusal (RFC 6750 §3's challenge).
pub fn unauthorized(log: LogLine) -> Response<Answer> {
    error_with(
        log,
        StatusCode::UNAUTHORIZED,
        "the proxy token is missing or wrong: send it as 'Authorization: Bearer TOKEN' or as the basic-auth password",
        &[(header::WWW_AUTHENTICATE, "Bearer realm=\"jira-oauth proxy\"")],
    )
}

/// Beyond `--max-connections`.
pub fn busy(log: LogLine) -> Response<Answer> {
    error_with(
        log,
        StatusCode::SERVICE_UNAVAILABLE,
        "too many connections; try again",
        &[(header::RETRY_AFTER, "1"), (header::CONNECTION, "close")],
    )
}
