//! The transport's blocking face for the commands: an answer whose body
//! is an `io::Read` (each read within the timeout), and the two ways a
//! body is consumed, whole or streamed to the output.

use super::body_error;
use crate::error::Result;
use reqwest::header::HeaderMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use url::Url;

/// An answer for the blocking face: its head, and its body as a reader
/// whose every read waits at most the timeout.
pub struct Response {
    inner: reqwest::Response,
    rt: Arc<Runtime>,
    pending: bytes::Bytes,
    timeout: Duration,
}

impl Response {
    pub(super) fn new(inner: reqwest::Response, rt: Arc<Runtime>, timeout: Duration) -> Response {
        Response {
            inner,
            rt,
            pending: bytes::Bytes::new(),
            timeout,
        }
    }

    pub fn status(&self) -> reqwest::StatusCode {
        self.inner.status()
    }

    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    pub fn url(&self) -> &Url {
        self.inner.url()
    }

    pub fn version(&self) -> reqwest::Version {
        self.inner.version()
    }
}

impl std::io::Read for Response {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            // The timer is made inside the runtime, which owns the clock.
            let (timeout, inner) = (self.timeout, &mut self.inner);
            let next = async move { tokio::time::timeout(timeout, inner.chunk()).await };
            match self.rt.block_on(next) {
                Err(_) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "operation timed out",
                    ))
                }
                Ok(Err(e)) => {
                    let kind = if e.is_timeout() {
                        std::io::ErrorKind::TimedOut
                    } else {
                        std::io::ErrorKind::Other
                    };
                    return Err(std::io::Error::new(kind, e));
                }
                Ok(Ok(None)) => return Ok(0),
                Ok(Ok(Some(chunk))) => self.pending = chunk,
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        bytes::Buf::advance(&mut self.pending, n);
        Ok(n)
    }
}

/// A response body that must end within the timeout of when reading
/// began: reqwest's timeout bounds each read, not a body that never ends.
pub struct Bounded<R> {
    inner: R,
    deadline: Instant,
}

impl<R: std::io::Read> Bounded<R> {
    pub fn new(inner: R, timeout: Duration) -> Bounded<R> {
        Bounded {
            inner,
            deadline: Instant::now() + timeout,
        }
    }
}

impl<R: std::io::Read> std::io::Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if Instant::now() > self.deadline {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "operation timed out",
            ));
        }
        self.inner.read(buf)
    }
}

/// Reads an answer's body into memory, at most `limit` bytes, ending
/// within `timeout` of when reading began: the one way a body is read whole
/// (token answers, error reports, pages, `myself`).
pub fn read_body(
    resp: &mut Response,
    url: &Url,
    timeout: Duration,
    limit: Option<u64>,
) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut body = Vec::new();
    Bounded::new(resp, timeout)
        .take(limit.unwrap_or(u64::MAX))
        .read_to_end(&mut body)
        .map_err(|e| body_error(&e, url, timeout))?;
    Ok(body)
}

/// Streams an answer's body to `out` as it arrives, within `timeout` of
/// when reading began; a failed write of the output is the output's error.
pub fn copy_body(
    resp: &mut Response,
    out: &mut dyn Write,
    url: &Url,
    timeout: Duration,
) -> Result<()> {
    use std::io::Read;
    let mut from = Bounded::new(resp, timeout);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(body_error(&e, url, timeout)),
        };
        out.write_all(&buf[..n])
            .map_err(|e| crate::output::write_error(&e))?;
    }
}
