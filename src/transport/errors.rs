//! A failed exchange turned into an exit-3 error that says what failed:
//! a timeout, a TLS failure (and which), a refused connection, a body that
//! broke off.

use crate::error::Error;
use std::time::Duration;
use url::Url;

/// No answer within the timeout: exit 3.
pub fn timeout_error(url: &Url, timeout: Duration) -> Error {
    Error::network(format!(
        "no answer from {} within {} s",
        host_port(url),
        timeout.as_secs_f64()
    ))
    .with_hint("the server or the network is slow or down; raise --timeout if it is only slow")
}

fn host_port(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or("?"),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// Turns a failed send into an exit-3 error that says which kind of failure.
pub fn classify(e: &reqwest::Error, url: &Url, timeout: Duration) -> Error {
    let host = host_port(url);
    let detail = chain(e);
    let lower = detail.to_ascii_lowercase();
    if e.is_builder() {
        return Error::usage(format!("cannot send a request to {url}: {detail}"));
    }
    if e.is_timeout() || lower.contains("timed out") {
        return timeout_error(url, timeout);
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
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
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

pub fn last_cause(detail: &str) -> String {
    let last = detail.rsplit(": ").next().unwrap_or(detail);
    match last.find(" (os error") {
        Some(i) => last[..i].to_string(),
        None => last.to_string(),
    }
}
