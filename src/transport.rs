//! HTTP over reqwest (blocking, rustls): TLS roots, timeouts, proxies, the
//! `-v` trace, and errors classified by exit code. Knows nothing of OAuth.

use crate::error::{Error, Result};
use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use url::Url;

/// How to reach the server.
#[derive(Debug, Clone)]
pub struct Options {
    /// Extra trusted CA certificates (PEM), beside the system's roots.
    pub cacert: Option<PathBuf>,
    /// Skip TLS verification (a warning is printed every time).
    pub insecure: bool,
    /// Per request, connect included.
    pub timeout: Duration,
    /// Trace requests and responses on stderr.
    pub verbose: bool,
    /// Secrets never to print in a trace (a PLAINTEXT signature holds them,
    /// encoded once or twice).
    pub redact: Vec<String>,
    /// Load the system's CA roots: only needed for https, and costly
    /// enough at start-up to skip for plain http.
    pub system_roots: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cacert: None,
            insecure: false,
            timeout: Duration::from_secs(30),
            verbose: false,
            redact: Vec::new(),
            system_roots: true,
        }
    }
}

/// One outgoing request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Secrets this request was signed with, never to be traced.
    pub secrets: Vec<String>,
}

/// A client that keeps its connections alive across requests.
pub struct Transport {
    client: Client,
    opts: Options,
}

impl Transport {
    pub fn new(opts: Options) -> Result<Transport> {
        let mut builder = Client::builder()
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("jira-oauth/", env!("CARGO_PKG_VERSION")));
        if opts.system_roots && !opts.insecure {
            for cert in system_roots() {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let Some(path) = &opts.cacert {
            for cert in read_ca_file(path)? {
                builder = builder.add_root_certificate(cert);
            }
        }
        if opts.insecure {
            crate::warn("--insecure: TLS certificates and host names are not verified");
            builder = builder.danger_accept_invalid_certs(true);
        }
        let client = builder
            .build()
            .map_err(|e| Error::network(format!("cannot set up the HTTP client: {}", chain(&e))))?;
        Ok(Transport { client, opts })
    }

    /// Sends the request; an answer of any status is `Ok`.
    pub fn send(&self, req: Request) -> Result<Response> {
        let mut headers = HeaderMap::new();
        for (name, value) in &req.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::usage(format!("invalid header name '{name}'")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| Error::usage(format!("invalid value for header '{name}'")))?;
            headers.append(name, value);
        }
        if self.opts.verbose {
            self.trace_request(&req, &headers);
        }
        let url = req.url.clone();
        let mut builder = self
            .client
            .request(req.method.clone(), req.url.clone())
            .headers(headers);
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let resp = builder
            .send()
            .map_err(|e| classify(&e, &url, self.opts.timeout))?;
        if self.opts.verbose {
            self.trace_response(&resp);
        }
        Ok(resp)
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.opts.timeout
    }

    /// Prints a line of the `-v` trace, with secrets blanked out.
    pub fn trace(&self, line: &str) {
        self.trace_hiding(line, &[]);
    }

    /// As `trace`, hiding `extra` secrets too, raw and percent-encoded once
    /// and twice (a PLAINTEXT signature in an `Authorization` header).
    fn trace_hiding(&self, line: &str, extra: &[String]) {
        if !self.opts.verbose {
            return;
        }
        let mut shown = line.to_string();
        for secret in self
            .opts
            .redact
            .iter()
            .chain(extra)
            .filter(|s| !s.is_empty())
        {
            let once = crate::signature::percent_encode(secret);
            let twice = crate::signature::percent_encode(&once);
            for form in [twice, once, secret.clone()] {
                shown = shown.replace(form.as_str(), "[redacted]");
            }
        }
        let _ = writeln!(std::io::stderr(), "{shown}");
    }

    fn trace_request(&self, req: &Request, headers: &HeaderMap) {
        let hide = req.secrets.as_slice();
        self.trace_hiding(&format!("> {} {}", req.method, req.url), hide);
        for (name, value) in headers {
            let value = value.to_str().unwrap_or("<binary>");
            self.trace_hiding(&format!("> {name}: {value}"), hide);
        }
        if let Some(body) = &req.body {
            self.trace(&format!("> [{} bytes of body]", body.len()));
        }
    }

    fn trace_response(&self, resp: &Response) {
        self.trace(&format!("< {:?} {}", resp.version(), resp.status()));
        for (name, value) in resp.headers() {
            self.trace(&format!(
                "< {}: {}",
                name,
                value.to_str().unwrap_or("<binary>")
            ));
        }
    }
}

/// Where distributions keep their CA bundle (the list curl and OpenSSL
/// probe); one file is far cheaper to read than a directory of them.
const CA_BUNDLES: [&str; 5] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The system's trusted roots: `SSL_CERT_FILE`, else the distribution's
/// bundle, else whatever the platform's store has.
fn system_roots() -> Vec<reqwest::Certificate> {
    let bundle = std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .chain(CA_BUNDLES.iter().map(PathBuf::from))
        .find_map(|p| std::fs::read(p).ok())
        .and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).ok())
        .filter(|certs| !certs.is_empty());
    bundle.unwrap_or_else(|| {
        rustls_native_certs::load_native_certs()
            .certs
            .iter()
            .filter_map(|der| reqwest::Certificate::from_der(der).ok())
            .collect()
    })
}

fn read_ca_file(path: &PathBuf) -> Result<Vec<reqwest::Certificate>> {
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|e| {
        Error::usage(format!(
            "cannot read the CA file {shown}: {}",
            crate::io_reason(&e)
        ))
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|_| Error::usage(format!("{shown} is not a PEM file of CA certificates")))?;
    if certs.is_empty() {
        return Err(Error::usage(format!(
            "{shown} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)"
        )));
    }
    Ok(certs)
}

/// Turns a failed send into an exit-3 error that says which kind of failure.
fn classify(e: &reqwest::Error, url: &Url, timeout: Duration) -> Error {
    let host = format!(
        "{}:{}",
        url.host_str().unwrap_or("?"),
        url.port_or_known_default().unwrap_or(0)
    );
    let detail = chain(e);
    let lower = detail.to_ascii_lowercase();
    if e.is_builder() {
        return Error::usage(format!("cannot send a request to {url}: {detail}"));
    }
    if e.is_timeout() || lower.contains("timed out") {
        return Error::network(format!(
            "no answer from {host} within {} s",
            timeout.as_secs_f64()
        ))
        .with_hint(
            "the server or the network is slow or down; raise --timeout if it is only slow",
        );
    }
    if let Some(e) = tls_answer_to_http(&lower, url, &host) {
        return e;
    }
    if let Some((what, hint)) = tls_failure(&lower) {
        return Error::network(format!(
            "TLS failure with {host}: {what} ({})",
            last_cause(&detail)
        ))
        .with_hint(hint);
    }
    if e.is_connect() {
        return Error::network(format!("cannot connect to {host}: {}", last_cause(&detail)))
            .with_hint(
            "check the URL, that the server is running and that no firewall or proxy is in the way",
        );
    }
    Error::network(format!(
        "no valid answer from {host}: {}",
        last_cause(&detail)
    ))
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

/// A body that failed while being read: exit 3, naming the URL, and
/// saying so when it was the timeout.
pub fn body_error(e: &std::io::Error, url: &Url, timeout: Duration) -> Error {
    let detail = chain(e);
    if e.kind() == std::io::ErrorKind::TimedOut || detail.contains("timed out") {
        return Error::network(format!(
            "the answer from {url} broke off: its body did not end within {} s",
            timeout.as_secs_f64()
        ))
        .with_hint(
            "the server stopped sending or sends without end; raise --timeout if it is only slow",
        );
    }
    Error::network(format!(
        "the answer from {url} broke off: {}",
        last_cause(&detail)
    ))
}

/// An http:// URL whose server answered in TLS: its first bytes were a
/// TLS record (an alert), which HTTP/1 parsing rejects as a bad version.
fn tls_answer_to_http(lower: &str, url: &Url, host: &str) -> Option<Error> {
    if url.scheme() != "http" || !lower.contains("invalid http version") {
        return None;
    }
    // Without the query: with --auth-in query it holds the signature.
    let https = format!("https://{host}{}", url.path());
    Some(
        Error::network(format!(
            "{host} answered in TLS, not in plain HTTP (invalid HTTP version parsed)"
        ))
        .with_hint(format!("the server speaks TLS: use https:// ({https})")),
    )
}

/// Which TLS failure the error chain tells of, in words, and what to do.
fn tls_failure(lower: &str) -> Option<(&'static str, &'static str)> {
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    Some(if has(&["unknownissuer", "unknown issuer"]) {
        (
            "its certificate is signed by an unknown issuer",
            "the server's certificate is signed by a CA this machine does not trust: add it with --cacert FILE",
        )
    } else if has(&["notvalidforname", "not valid for name"]) {
        (
            "its certificate is for another host name",
            "the certificate is for another host name: use the name it was issued for",
        )
    } else if has(&["expired"]) {
        (
            "its certificate has expired",
            "the server's certificate has expired: ask the server's administrators to renew it",
        )
    } else if has(&["notvalidyet", "not valid yet"]) {
        (
            "its certificate is not valid yet",
            "check this machine's clock, or ask the server's administrators about the certificate",
        )
    } else if has(&[
        "protocolversion",
        "protocol version",
        "tlsversion",
        "tls12notoffered",
        "doesnotsupporttls",
    ]) {
        (
            "the server offers no TLS version this client speaks (an old protocol version)",
            "jira-oauth needs TLS 1.2 or 1.3; the server offers only an older version: ask its administrators to enable TLS 1.2",
        )
    } else if has(&["invalidcontenttype", "corrupt message"]) {
        (
            "the server did not answer in TLS",
            "is it plain HTTP? then use an http:// URL",
        )
    } else if has(&["certificate", "tls", "handshake"]) {
        (
            "the TLS handshake failed",
            "check the server's TLS setup; --insecure skips verification (not for production)",
        )
    } else {
        return None;
    })
}

/// The error and its sources, joined.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

fn last_cause(detail: &str) -> String {
    let last = detail.rsplit(": ").next().unwrap_or(detail);
    match last.find(" (os error") {
        Some(i) => last[..i].to_string(),
        None => last.to_string(),
    }
}
