//! jira-oauth: an OAuth 1.0a (RFC 5849) client for JIRA's REST API.
//!
//! - `signature`: the base string and the signature methods (pure);
//! - `oauth`: one request's protocol parameters, signed and placed (pure);
//! - `keys`: loading the consumer's RSA private key;
//! - `transport`: HTTP over reqwest, TLS, errors classified;
//! - `body`: a request body and its rules (signed fields, defaults);
//! - `client`: the signer and the transport joined, answers checked;
//! - `problem`, `tokens`: reading JIRA's refusals and token answers;
//! - `cli`, `commands`, `output`: the command line.

pub mod answers;
pub mod atomic_file;
pub mod bearer;
pub mod body;
pub mod callback;
pub mod cli;
pub mod client;
pub mod command_line;
pub mod commands;
pub mod config;
pub mod credentials;
pub mod error;
pub mod interrupt;
pub mod keys;
pub mod myself;
pub mod oauth;
pub mod oauth2_client;
pub mod outgoing;
pub mod output;
pub mod paginate;
pub mod problem;
pub mod proxy;
pub mod retry_redirect;
pub mod rsa_backend;
pub mod signature;
pub mod tokens;
pub mod transport;
pub mod urls;

pub use error::{Error, Kind, Result};

use std::io::Write;
use std::path::PathBuf;

/// A warning on stderr, in the same shape as errors.
pub fn warn(message: &str) {
    let _ = writeln!(std::io::stderr(), "jira-oauth: warning: {message}");
}

/// `$XDG_CONFIG_HOME/jira-oauth`, else `~/.config/jira-oauth`.
pub fn config_dir() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let home = || std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config"));
    xdg.or_else(home).map(|d| d.join("jira-oauth"))
}

/// An I/O error's reason without the "(os error N)" noise.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}
