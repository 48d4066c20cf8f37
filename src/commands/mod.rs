//! One short function per command, joining the signer, the keys and the
//! transport.

mod access_token;
mod doctor;
mod keygen;
mod login;
mod pubkey;
mod request;
mod request_token;
mod sign;
mod stored;

use crate::cli::{Cli, Command, Global, TokenMethod};
use crate::client::{Client, Keys};
use crate::error::{Error, Result};
use crate::signature::{percent_encode, Signer};
use crate::{keys, transport};
use reqwest::Method;
use std::path::PathBuf;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let g = &cli.global;
    match cli.command {
        Command::RequestToken {
            jira_base_url,
            callback,
            token_method,
        } => request_token::run(g, &jira_base_url, &callback, token_method),
        Command::AccessToken {
            jira_base_url,
            request_token,
            request_token_secret,
            verifier,
            token_method,
        } => access_token::run(
            g,
            &jira_base_url,
            &request_token,
            &request_token_secret,
            &verifier,
            token_method,
        ),
        Command::Request(args) => request::run(g, &args),
        Command::Sign(args) => sign::run(g, &args),
        Command::Login(args) => login::login(g, &args),
        Command::Logout { jira_base_url } => login::logout(&jira_base_url),
        Command::Whoami { jira_base_url } => login::whoami(g, jira_base_url.as_deref()),
        Command::Keygen(args) => keygen::run(g, &args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "jira-oauth", &mut out);
            crate::print_stdout(&out)
        }
        Command::Man => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(|e| Error::network(format!("cannot render the manual page: {e}")))?;
            crate::print_stdout(&out)
        }
        Command::Pubkey => pubkey::run(g),
        Command::Doctor {
            jira_base_url,
            token,
        } => doctor::run(g, jira_base_url.as_deref(), token.as_deref()),
    }
}

/// The consumer's client: its key (or secrets), the transport, the
/// placement. `secrets` are the token secrets in play, kept out of `-v`.
fn client(g: &Global, secrets: &[&str], urls: &[&url::Url]) -> Result<Client> {
    client_with_keys(g, keys(g)?, secrets, urls)
}

/// As `client`, with keys already loaded (one passphrase prompt for many clients).
fn client_with_keys(
    g: &Global,
    keys: Keys,
    secrets: &[&str],
    urls: &[&url::Url],
) -> Result<Client> {
    Client::new(
        g.consumer_key.clone(),
        keys,
        transport_options(g, secrets, urls),
        g.auth_in,
    )
}

/// How to reach the server, with every secret in play kept out of `-v`.
fn transport_options(g: &Global, secrets: &[&str], urls: &[&url::Url]) -> transport::Options {
    let mut redact = Vec::new();
    for s in secrets
        .iter()
        .copied()
        .chain(g.consumer_secret.as_deref())
        .chain(g.token_secret.as_deref())
        .filter(|s| !s.is_empty())
    {
        // A PLAINTEXT signature holds the secrets encoded once, and the
        // Authorization header encodes them again.
        let once = percent_encode(s);
        redact.push(percent_encode(&once));
        redact.push(once);
        redact.push(s.to_string());
    }
    transport::Options {
        cacert: g.cacert.clone(),
        insecure: g.insecure,
        timeout: g.timeout,
        verbose: g.verbose,
        redact,
        system_roots: urls.iter().any(|u| u.scheme() == "https"),
    }
}

/// The RSA key, or the consumer secret for the shared-secret methods.
fn keys(g: &Global) -> Result<Keys> {
    let method = g.signature_method;
    if !method.is_rsa() {
        return Ok(Keys::Secret {
            method,
            consumer_secret: g.consumer_secret.clone().unwrap_or_default(),
        });
    }
    let path = private_key_path(g)?;
    if let Some(w) = keys::permission_warning(&path) {
        crate::warn(&w);
    }
    let key = keys::load_private_key(&path, &mut keys::EnvOrTty)?;
    Ok(Keys::Rsa(Box::new(
        Signer::rsa(method, key).expect("an RSA method"),
    )))
}

/// `--private-key`, else `$XDG_CONFIG_HOME/jira-oauth/private.pem`.
fn private_key_path(g: &Global) -> Result<PathBuf> {
    if let Some(p) = &g.private_key {
        return Ok(p.clone());
    }
    let path = crate::config_dir()
        .ok_or_else(|| {
            Error::usage("no private key given, and no home directory to look in")
                .with_hint("pass --private-key FILE or set JIRA_OAUTH_PRIVATE_KEY")
        })?
        .join("private.pem");
    if !path.exists() {
        return Err(Error::usage(format!(
            "no private key given, and {} does not exist",
            path.display()
        ))
        .with_hint(
            "pass --private-key FILE or set JIRA_OAUTH_PRIVATE_KEY; make a key pair with \
             jira-oauth keygen",
        ));
    }
    Ok(path)
}

/// Where the user approves a request token ([RFC 5849 §2.2](https://www.rfc-editor.org/rfc/rfc5849#section-2.2)).
fn authorize_url(base: &str, token: &str) -> String {
    format!(
        "{base}/plugins/servlet/oauth/authorize?oauth_token={}",
        percent_encode(token)
    )
}

/// A token given on the command line: not blank, one line.
fn check_token(what: &str, token: &str) -> Result<()> {
    if token.trim().is_empty() {
        return Err(Error::usage(format!("the {what} is empty")));
    }
    if token.chars().any(char::is_control) {
        return Err(
            Error::usage(format!("the {what} holds a control character (a newline?)"))
                .with_hint("copy the value alone, without line breaks"),
        );
    }
    Ok(())
}

fn token_method(m: TokenMethod) -> Method {
    match m {
        TokenMethod::Post => Method::POST,
        TokenMethod::Get => Method::GET,
    }
}

/// Reads a token endpoint's answer.
fn read_token(client: &Client, call: &crate::client::Call) -> Result<crate::tokens::TokenResponse> {
    let mut resp = client.send(call)?;
    let status = resp.status().as_u16();
    if resp.status().is_redirection() {
        let to = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("nowhere");
        return Err(Error::http(format!(
            "{} answered HTTP {status} with a redirect to {to} instead of a token",
            call.url
        ))
        .with_hint("give JIRA's base URL as JIRA itself sees it (scheme, host and context path)"));
    }
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = crate::problem::read_error_body(&mut resp)?;
    crate::tokens::parse(status, ct.as_deref(), &body, call.url.as_str())
}
