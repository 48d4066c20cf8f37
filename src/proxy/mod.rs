//! `jira-oauth proxy`: a local gateway that signs every request it
//! forwards to one JIRA. hyper serves the clients (HTTP/1.1 parsing,
//! framing and keep-alive are its job); each request is signed by the
//! `Client` that `request` uses and sent through the same transport.

mod answer;
mod forward;
pub mod gate;
mod refresh;
pub mod rewrite;

use crate::client::{Call, Client};
use crate::error::{Error, Result};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long requests in flight may take to finish after SIGINT or SIGTERM.
const DRAIN: Duration = Duration::from_secs(10);

/// What every request is served with.
pub struct State {
    pub client: Client,
    /// The call every request starts from: the token and its secret.
    pub template: Call,
    /// The base URL, normalized (no trailing slash), context path kept.
    pub base: String,
    pub context_path: String,
    /// `http://ADDR:PORT`, as printed at start-up.
    pub proxy_url: String,
    pub listen: SocketAddr,
    pub gate: Option<gate::Gate>,
    pub rewrite: bool,
}

impl State {
    fn call(&self, method: hyper::Method, url: url::Url) -> Call {
        let mut call = self.template.clone();
        call.method = method;
        call.url = url;
        call
    }

    /// An absolute-form target naming the proxy itself.
    fn is_own(&self, scheme: Option<&str>, authority: &str) -> bool {
        let port = self.listen.port();
        scheme.is_none_or(|s| s.eq_ignore_ascii_case("http"))
            && (authority == format!("{}", self.listen)
                || (self.listen.ip().is_loopback()
                    && authority.eq_ignore_ascii_case(&format!("localhost:{port}"))))
    }
}

/// The settings of one run.
pub struct Settings {
    pub listen: SocketAddr,
    pub token: Option<String>,
    pub rewrite: bool,
    pub max_connections: usize,
}

/// One line on stderr, written at once (lines of tasks do not interleave).
pub fn log_line(line: &str) {
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}

/// Serves until SIGINT or SIGTERM; `ready` is called with the proxy's URL
/// once connections are accepted.
pub fn serve(
    client: Client,
    template: Call,
    base: &str,
    settings: Settings,
    ready: impl FnOnce(&str),
) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::network(format!("cannot start the proxy's runtime: {e}")))?;
    let listener = std::net::TcpListener::bind(settings.listen).map_err(|e| {
        Error::usage(format!(
            "cannot listen on {}: {}",
            settings.listen,
            crate::io_reason(&e)
        ))
        .with_hint("another program may use the port: pick another with --listen PORT")
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::network(format!("cannot listen: {e}")))?;
    let listen = listener
        .local_addr()
        .map_err(|e| Error::network(format!("cannot listen: {e}")))?;
    let proxy_url = format!("http://{listen}");
    let context_path = url::Url::parse(base)
        .map(|u| u.path().trim_end_matches('/').to_string())
        .unwrap_or_default();
    let state = Arc::new(State {
        client,
        template,
        base: base.to_string(),
        context_path,
        proxy_url: proxy_url.clone(),
        listen,
        gate: settings.token.as_deref().map(gate::Gate::new),
        rewrite: settings.rewrite,
    });
    crate::interrupt::hand_over();
    let result = rt.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| Error::network(format!("cannot listen: {e}")))?;
        let stop = shutdown_signal()?;
        ready(&proxy_url);
        accept_loop(listener, state.clone(), settings.max_connections, stop).await;
        Ok(())
    });
    // The state (and the client in it) outlives every task.
    rt.shutdown_timeout(Duration::from_secs(1));
    drop(state);
    result
}

/// Resolves on the first SIGINT or SIGTERM.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let err = |e: std::io::Error| Error::network(format!("cannot watch for signals: {e}"));
    let mut int = signal(SignalKind::interrupt()).map_err(err)?;
    let mut term = signal(SignalKind::terminate()).map_err(err)?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    state: Arc<State>,
    max: usize,
    stop: impl std::future::Future<Output = ()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let open = Arc::new(AtomicUsize::new(0));
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of descriptors, or a connection reset before accept:
                // the listener itself is fine.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let over = open.fetch_add(1, Ordering::SeqCst) >= max;
        let counted = Counted(open.clone());
        let state = state.clone();
        let service = service_fn(move |req| {
            let state = state.clone();
            async move {
                if over {
                    let log = answer::LogLine::start(peer, &req);
                    return Ok::<_, std::convert::Infallible>(answer::busy(log));
                }
                Ok(forward::handle(state, peer, req).await)
            }
        });
        let mut builder = http1::Builder::new();
        builder.keep_alive(!over);
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _counted = counted;
            let _ = conn.await;
        });
    }
    drop(listener);
    log_line("jira-oauth proxy: stopping; finishing the requests in flight");
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        log_line("jira-oauth proxy: requests still in flight after 10 s were cut off");
    }
}

/// One open client connection, counted while it lives.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `[ADDR:]PORT`: the address defaults to 127.0.0.1; `localhost` and
/// `[::1]` are loopback too.
pub fn parse_listen(text: &str) -> Result<SocketAddr> {
    let bad = || {
        Error::usage(format!("invalid --listen '{text}'"))
            .with_hint("give [ADDR:]PORT, as 7650, 127.0.0.1:7650 or [::1]:7650")
    };
    let (host, port) = match text.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() => (h, p),
        _ => ("127.0.0.1", text.trim_start_matches(':')),
    };
    let port: u16 = port.parse().map_err(|_| bad())?;
    let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::from([127, 0, 0, 1])
    } else {
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| bad())?
    };
    Ok(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_forms() {
        let p = |s| parse_listen(s).map(|a| a.to_string()).ok();
        assert_eq!(p("7650").as_deref(), Some("127.0.0.1:7650"));
        assert_eq!(p("localhost:0").as_deref(), Some("127.0.0.1:0"));
        assert_eq!(p("[::1]:8080").as_deref(), Some("[::1]:8080"));
        assert_eq!(p("0.0.0.0:80").as_deref(), Some("0.0.0.0:80"));
        assert_eq!(p("host:x"), None);
    }
}
