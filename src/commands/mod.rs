//! One short module per command; each resolves its settings into a
//! [`Config`] first and signs through its [`Client`].

mod access_token;
mod doctor;
mod keygen;
mod login;
pub(crate) mod oauth2_login;
mod pat;
mod proxy;
mod pubkey;
mod request;
mod request_token;
mod sign;
mod token;

use crate::answers::SMALL_BODY;
use crate::cli::{Cli, Command};
use crate::client::{Call, Client};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::signature::percent_encode;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let g = &cli.global;
    match cli.command {
        Command::RequestToken(a) => request_token::run(g, &a),
        Command::AccessToken(a) => access_token::run(g, &a),
        Command::Request(a) => request::run(g, &a),
        Command::Sign(a) => sign::run(g, &a),
        Command::Login(a) => login::login(g, &a),
        Command::Logout(a) => login::logout(g, &a),
        Command::Whoami(a) => login::whoami(g, &a),
        Command::Token(a) => token::run(g, &a),
        Command::Keygen(a) => keygen::run(g, &a),
        Command::Completions(a) => {
            let mut out = Vec::new();
            let mut cmd = crate::command_line::command_to_describe();
            clap_complete::generate(a.shell, &mut cmd, "jira-oauth", &mut out);
            crate::output::print_stdout(&out)
        }
        Command::Man => {
            let out = crate::command_line::manual()
                .map_err(|e| Error::network(format!("cannot render the manual page: {e}")))?;
            crate::output::print_stdout(&out)
        }
        Command::Pubkey => pubkey::run(g),
        Command::Doctor(a) => doctor::run(g, &a),
        Command::Proxy(a) => proxy::run(g, &a),
    }
}

/// Where the user approves a request token ([RFC 5849 §2.2](https://www.rfc-editor.org/rfc/rfc5849#section-2.2)).
fn authorize_url(base: &str, token: &str) -> String {
    format!(
        "{base}/plugins/servlet/oauth/authorize?oauth_token={}",
        percent_encode(token)
    )
}

/// Reads a token endpoint's answer.
fn read_token(client: &Client, call: &Call) -> Result<crate::tokens::TokenResponse> {
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
    let body = client.read_body(&mut resp, Some(SMALL_BODY))?;
    crate::tokens::parse(status, ct.as_deref(), &body, call.url.as_str())
}

/// The settings of a command that needs only the key and the consumer.
fn key_only(g: &crate::cli::Global) -> Result<Config> {
    Config::resolve(g, Default::default())
}
