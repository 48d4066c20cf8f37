//! Each command's own arguments (the options every command shares are
//! `Global`, in the parent module).

use super::{parse_method, parse_timeout, TokenMethod};
use clap::Args;
use reqwest::Method;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// JIRA's base URL, with its context path [default: --base-url, else the only stored login]
    pub jira_base_url: Option<String>,
    /// Where to listen: [ADDR:]PORT (0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:7650", value_name = "[ADDR:]PORT")]
    pub listen: String,
    /// Allow a non-loopback listen address
    #[arg(long)]
    pub allow_remote: bool,
    /// Read the proxy token from FILE (created 0600 with a new token if missing)
    #[arg(long, value_name = "FILE")]
    pub proxy_token_file: Option<std::path::PathBuf>,
    /// Serve without the proxy token (loopback only)
    #[arg(long)]
    pub no_proxy_auth: bool,
    /// Leave links to JIRA in JSON answers and Location headers as they are
    #[arg(long)]
    pub no_rewrite_links: bool,
    /// Client connections served at once; beyond, 503
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub max_connections: usize,
}

#[derive(Debug, Args)]
pub struct RequestTokenArgs {
    /// JIRA's base URL, with its context path (https://host/jira) [default: --base-url]
    pub jira_base_url: Option<String>,
    /// oauth_callback: where JIRA sends the user after approval
    #[arg(long, default_value = "oob", value_name = "URL")]
    pub callback: String,
    /// HTTP method of the token call (GET for JIRA 5.2 and earlier)
    #[arg(long, value_enum, default_value_t = TokenMethod::Post)]
    pub token_method: TokenMethod,
}

#[derive(Debug, Args)]
pub struct AccessTokenArgs {
    /// JIRA's base URL, with its context path
    pub jira_base_url: String,
    /// The request token
    pub request_token: String,
    /// The request token's secret
    #[arg(value_name = "TOKEN_SECRET")]
    pub request_token_secret: String,
    /// The verifier JIRA showed after approval
    pub verifier: String,
    /// HTTP method of the token call (GET for JIRA 5.2 and earlier)
    #[arg(long, value_enum, default_value_t = TokenMethod::Post)]
    pub token_method: TokenMethod,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// JIRA's base URL, as given to login [default: --base-url, else the only stored login]
    pub jira_base_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// JIRA's base URL [default: the only stored login]
    pub jira_base_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct WhoamiArgs {
    /// JIRA's base URL [default: the only stored login]
    pub jira_base_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// JIRA's base URL, with its context path (https://host/jira)
    pub jira_base_url: Option<String>,
    /// Access token to try [default: $JIRA_OAUTH_ACCESS_TOKEN, else the stored login's]
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// JIRA's base URL, with its context path (https://host/jira)
    #[arg(value_name = "JIRA_BASE_URL")]
    pub jira_base_url: Option<String>,

    /// Arguments beyond the base URL: refused without being printed back
    /// (a token typed there must not reach the terminal again).
    #[arg(hide = true, num_args = 0.., value_name = "EXTRA")]
    pub extra: Vec<String>,

    /// Log in with a personal access token (JIRA Data Center 8.14+), read from
    /// JIRA_OAUTH_PAT, else stdin, else a prompt that does not echo
    #[arg(long, conflicts_with_all = ["listen", "callback", "oauth2"])]
    pub pat: bool,

    /// Log in with OAuth 2.0 (JIRA Data Center 8.22+, an incoming Application Link):
    /// authorization code with PKCE, the code caught on --redirect-uri or pasted
    #[arg(long, conflicts_with_all = ["listen", "callback"])]
    pub oauth2: bool,

    /// OAuth 2.0: the client ID JIRA generated for the incoming link
    #[arg(long, env = "JIRA_OAUTH_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,

    /// OAuth 2.0: a file holding the client secret [default: $JIRA_OAUTH_CLIENT_SECRET]
    #[arg(long, value_name = "FILE")]
    pub client_secret_file: Option<PathBuf>,

    /// OAuth 2.0: the scope asked for
    #[arg(long, default_value = "WRITE", value_parser = ["READ", "WRITE", "ADMIN", "SYSTEM_ADMIN"], ignore_case = true)]
    pub scope: String,

    /// OAuth 2.0: the redirect URL registered in the incoming link (compared exactly)
    #[arg(
        long,
        default_value = "http://localhost:8765/callback",
        value_name = "URI"
    )]
    pub redirect_uri: String,

    /// OAuth 2.0: paste the URL the browser lands on, instead of catching it
    /// (a browser on another machine)
    #[arg(long)]
    pub paste: bool,

    /// Catch the verifier with a one-shot server on 127.0.0.1:PORT (0: any free port)
    #[arg(long, num_args = 0..=1, default_missing_value = "0", value_name = "PORT")]
    pub listen: Option<String>,

    /// Seconds to wait for the browser (request tokens live 10 minutes)
    #[arg(long, hide = true, default_value = "600", value_name = "SECS", value_parser = parse_timeout)]
    pub listen_timeout: Duration,

    /// Without --listen: where JIRA sends the browser after Allow [default: oob]; paste
    /// the URL the browser lands on at the prompt
    #[arg(long, value_name = "URL", conflicts_with = "listen")]
    pub callback: Option<String>,

    /// Start the desktop's browser at the authorize URL
    #[arg(long)]
    pub open: bool,

    /// HTTP method of the token calls (GET for JIRA 5.2 and earlier)
    #[arg(long, value_enum, default_value_t = TokenMethod::Post)]
    pub token_method: TokenMethod,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Directory for private.pem and public.pem [default: $XDG_CONFIG_HOME/jira-oauth]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Key size in bits (2048 to 8192)
    #[arg(long, default_value_t = 2048, value_name = "N")]
    pub bits: usize,

    /// Replace existing files
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
#[command(override_usage = "jira-oauth sign [OPTIONS] [METHOD] <URL>")]
pub struct SignArgs {
    /// [METHOD] URL: the method (else -X, else GET, or POST with a body) and
    /// the URL as it will be requested (or a path under --base-url)
    #[arg(required = true, num_args = 1..=2, value_name = "ARGS")]
    pub args: Vec<String>,
    #[command(flatten)]
    pub send: SendArgs,
    /// Content-Type of the body, as -H 'Content-Type: TYPE' [default: application/json]
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,
    /// Print the signature base string instead
    #[arg(long, conflicts_with = "curl")]
    pub base_string: bool,
    /// Print a complete curl command line instead
    #[arg(long)]
    pub curl: bool,
    #[command(flatten)]
    pub protocol: ProtocolArgs,
}

#[derive(Debug, Args)]
pub struct RequestArgs {
    /// [ACCESS_TOKEN] URL... (absolute URLs, or paths under --base-url)
    // Not required here: `request` alone gets our own error, with an example.
    #[arg(num_args = 0.., value_name = "ARGS")]
    pub args: Vec<String>,

    #[command(flatten)]
    pub send: SendArgs,

    /// Print the status line and headers before the body (on an HTTP error too)
    #[arg(short = 'i', long = "include")]
    pub include: bool,

    /// Write the bodies to FILE instead of stdout (created or truncated)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Try every URL even after a failure; exit with the highest exit code
    #[arg(long)]
    pub keep_going: bool,

    /// Accepted for curl's sake: jira-oauth prints no progress anyway
    #[arg(short = 's', long = "silent", hide = true)]
    pub silent: bool,

    /// Query parameter NAME=VALUE appended literally, no encoding needed (repeatable)
    #[arg(short = 'q', long = "query", value_name = "NAME=VALUE")]
    pub query: Vec<String>,

    /// Follow JIRA's paging and print one merged JSON document
    #[arg(long)]
    pub paginate: bool,

    /// Retries of a GET or HEAD on HTTP 429 and 503
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub retries: u32,

    /// Requests in flight at once (output stays in the order given)
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub parallel: u32,
}

/// The `oauth_*` values `sign` may be given; the others are drawn or resolved.
#[derive(Debug, Args)]
#[command(next_help_heading = "OAuth parameters")]
pub struct ProtocolArgs {
    /// oauth_token [default: JIRA_OAUTH_ACCESS_TOKEN, else the stored login's]
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// oauth_callback (the request-token call's)
    #[arg(long, value_name = "URL")]
    pub callback: Option<String>,
    /// oauth_verifier (the access-token call's)
    #[arg(long, value_name = "VERIFIER")]
    pub verifier: Option<String>,
    /// oauth_timestamp, fixed [default: now]
    #[arg(long, value_name = "N")]
    pub timestamp: Option<u64>,
    /// oauth_nonce, fixed [default: 128 random bits]
    #[arg(long, value_name = "S")]
    pub nonce: Option<String>,
}

/// What a request sends besides its URL: `request` and `sign` take it alike,
/// so that what `sign` prints is what `request` sends.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// HTTP method [default: GET, or POST with a body]
    #[arg(short = 'X', long = "request", visible_alias = "method", value_name = "METHOD", value_parser = parse_method)]
    pub method: Option<Method>,

    /// Body: text, @FILE, or @- for stdin (Content-Type application/json unless -H says
    /// otherwise); a form body's fields are signed on POST
    #[arg(
        short = 'd',
        long = "data",
        value_name = "DATA",
        allow_hyphen_values = true
    )]
    pub data: Option<String>,

    /// Body taken as it is, even when it starts with @ (as curl's --data-raw)
    #[arg(
        long,
        value_name = "DATA",
        allow_hyphen_values = true,
        conflicts_with = "data"
    )]
    pub data_raw: Option<String>,

    /// JSON body, as curl's --json: like -d, with Accept: application/json too
    #[arg(
        long = "json",
        value_name = "DATA",
        conflicts_with_all = ["data", "data_raw"],
        allow_hyphen_values = true
    )]
    pub json: Option<String>,

    /// Extra header, 'Name: value' (repeatable)
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
}
