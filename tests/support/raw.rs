//! Raw TCP servers on 127.0.0.1 for servers that misbehave: a thread that
//! hands each of a few connections to a handler, then stops.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// The most connections a server takes: the client under test makes one,
/// or a few when it retries.
pub const MAX_CONNECTIONS: usize = 4;

pub struct RawServer<T: Send + 'static> {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<T>>>,
}

impl<T: Send + 'static> RawServer<T> {
    /// Serves up to `MAX_CONNECTIONS` connections, one after the other,
    /// with `handle`; what it returns is collected.
    pub fn start(handle: impl Fn(TcpStream) -> T + Send + 'static) -> RawServer<T> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for _ in 0..MAX_CONNECTIONS {
                let Ok((s, _)) = listener.accept() else {
                    break;
                };
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                seen.push(handle(s));
            }
            seen
        });
        RawServer {
            port,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://127.0.0.1:{}{path}", self.port)
    }

    /// Stops the thread (after the client is done); what the handler returned.
    pub fn finish(mut self) -> Vec<T> {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes an accept waiting for a connection that will not come.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        self.thread.take().unwrap().join().unwrap()
    }
}

/// An HTTP request's head and, by its Content-Length, its body.
pub fn read_request(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(at) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..at]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if got.len() >= at + 4 + len {
                return got;
            }
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}
