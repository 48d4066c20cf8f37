//! HTTP over reqwest (async at its core, rustls): TLS roots, timeouts,
//! proxies, the `-v` trace, and errors classified by exit code. The
//! commands use its blocking face ([`Transport::send`], [`Response`]); the
//! proxy sends through the same client with [`Transport::send_async`].
//! Knows nothing of OAuth.

mod blocking;
mod errors;

pub use blocking::{copy_body, read_body, Bounded, Response};

pub use errors::{body_error, chain, classify, last_cause, timeout_error};

use crate::error::{Error, Result};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::runtime::Runtime;
use url::Url;

/// How to reach the server.
#[derive(Debug, Clone)]
pub struct Options {
    /// Extra trusted CA certificates (PEM), beside the system's roots.
    pub cacert: Option<PathBuf>,
    /// Skip TLS verification (a warning is printed every time).
    pub insecure: bool,
    /// A bound on the connect and on each wait for the server's next bytes.
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
    client: reqwest::Client,
    opts: Options,
    /// The blocking face's runtime, made on its first use (the proxy,
    /// which runs its own, never needs it).
    runtime: OnceLock<Arc<Runtime>>,
}

impl Transport {
    pub fn new(opts: Options) -> Result<Transport> {
        // No bound on a whole transfer: `read_timeout` bounds each wait
        // for the server's next bytes, the blocking face bounds the rest.
        let mut builder = reqwest::Client::builder()
            .connect_timeout(opts.timeout)
            .read_timeout(opts.timeout)
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
        Ok(Transport {
            client,
            opts,
            runtime: OnceLock::new(),
        })
    }

    fn runtime(&self) -> Result<Arc<Runtime>> {
        if let Some(rt) = self.runtime.get() {
            return Ok(rt.clone());
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::network(format!("cannot start the HTTP runtime: {e}")))?;
        Ok(self.runtime.get_or_init(|| Arc::new(rt)).clone())
    }

    /// Sends the request and waits for the answer's head, within the
    /// timeout; an answer of any status is `Ok`. The blocking face.
    pub fn send(&self, req: Request) -> Result<Response> {
        let rt = self.runtime()?;
        let url = req.url.clone();
        let timeout = self.opts.timeout;
        let inner = rt.block_on(async {
            match tokio::time::timeout(timeout, self.send_async(req, None)).await {
                Ok(r) => r,
                Err(_) => Err(timeout_error(&url, timeout)),
            }
        })?;
        Ok(Response::new(inner, rt, timeout))
    }

    /// Sends the request, with `stream` as its body if given (else the
    /// request's own); an answer of any status is `Ok`. The async face.
    pub async fn send_async(
        &self,
        req: Request,
        stream: Option<reqwest::Body>,
    ) -> Result<reqwest::Response> {
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
        if let Some(body) = stream {
            builder = builder.body(body);
        } else if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let resp = builder
            .send()
            .await
            .map_err(|e| classify(&e, &url, self.opts.timeout))?;
        if self.opts.verbose {
            self.trace_response(resp.version(), resp.status(), resp.headers());
        }
        Ok(resp)
    }

    /// The bound on each wait for the server.
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

    fn trace_response(
        &self,
        version: reqwest::Version,
        status: reqwest::StatusCode,
        headers: &HeaderMap,
    ) {
        self.trace(&format!("< {version:?} {status}"));
        for (name, value) in headers {
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
