//! The command line: options, environment variables and subcommands.
//! Parsing only; `commands` does the work.

use crate::oauth::AuthIn;
use crate::signature::SignatureMethod;
use clap::{Args, Parser, Subcommand, ValueEnum};
use reqwest::Method;
use std::path::PathBuf;
use std::time::Duration;

const AFTER_HELP: &str = "\
First use: a key pair, then one login (the browser approves), then plain calls:
  jira-oauth keygen
  jira-oauth login https://jira.example.com --listen
  jira-oauth request /rest/api/2/issue/HSP-1

The OAuth dance, as Atlassian's Java sample does it:
  jira-oauth requestToken https://jira.example.com
  (open the printed URL, click Allow, note the verifier)
  jira-oauth accessToken https://jira.example.com \\
      REQUEST_TOKEN TOKEN_SECRET VERIFIER
  jira-oauth request TOKEN https://jira.example.com/rest/api/2/issue/HSP-1

Exit codes: 0 success, 1 HTTP error, 2 bad input, 3 no answer, 4 OAuth refused,
130 interrupted.";

#[derive(Debug, Parser)]
#[command(
    name = "jira-oauth",
    version,
    about = "OAuth 1.0a client for JIRA: request and access tokens, signed REST calls",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options that commands share, before or after the command's name; each
/// command offers those it uses (see [`GLOBALS_USED`]).
// One line per option reads as the table it is.
#[rustfmt::skip]
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Consumer key of JIRA's Application Link [default: the stored login's, else
    /// hardcoded-consumer]
    #[arg(long, global = true, env = "JIRA_OAUTH_CONSUMER_KEY", value_name = "KEY")]
    pub consumer_key: Option<String>,

    /// RSA private key: PEM PKCS#8 or PKCS#1, encrypted PKCS#8, or base64 PKCS#8 DER
    /// [default: $XDG_CONFIG_HOME/jira-oauth/private.pem]
    #[arg(long, global = true, env = "JIRA_OAUTH_PRIVATE_KEY", value_name = "FILE")]
    pub private_key: Option<PathBuf>,

    /// RSA-SHA1 (JIRA's), RSA-SHA256, HMAC-SHA1, HMAC-SHA256 or PLAINTEXT
    #[arg(long, global = true, env = "JIRA_OAUTH_SIGNATURE_METHOD", default_value = "RSA-SHA1", value_enum, ignore_case = true, value_name = "M")]
    pub signature_method: SignatureMethod,

    /// Consumer secret, for the HMAC and PLAINTEXT methods only
    #[arg(long, global = true, env = "JIRA_OAUTH_CONSUMER_SECRET", hide_env_values = true, value_name = "S")]
    pub consumer_secret: Option<String>,

    /// The access token's secret (HMAC and PLAINTEXT sign with it; RSA ignores it)
    #[arg(long, global = true, env = "JIRA_OAUTH_ACCESS_TOKEN_SECRET", hide_env_values = true, value_name = "S")]
    pub token_secret: Option<String>,

    /// Extra trusted CA certificates (PEM), added to the system's roots
    #[arg(long, global = true, env = "JIRA_OAUTH_CACERT", value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Skip TLS verification (warns every time)
    #[arg(short = 'k', long, global = true)]
    pub insecure: bool,

    /// Seconds per request, connect included
    #[arg(long, global = true, env = "JIRA_OAUTH_TIMEOUT", default_value = "30", value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// Output of the token commands
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Where the oauth_* parameters travel: header, query or body
    #[arg(long, global = true, env = "JIRA_OAUTH_AUTH_IN", default_value = "header", value_enum, ignore_case = true, value_name = "WHERE")]
    pub auth_in: AuthIn,

    /// Base URL that request paths (/rest/...) are appended to
    #[arg(long, global = true, env = "JIRA_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// Trace every request on stderr: method, URL, base string, headers (never a secret)
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Env,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenMethod {
    #[value(name = "POST", alias = "post")]
    Post,
    #[value(name = "GET", alias = "get")]
    Get,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Get a request token and the URL where the user approves it
    #[command(
        name = "requestToken",
        visible_alias = "request-token",
        after_help = "Example:\n  jira-oauth requestToken https://jira.example.com/jira --format env"
    )]
    RequestToken(RequestTokenArgs),

    /// Swap an approved request token for an access token
    #[command(
        name = "accessToken",
        visible_alias = "access-token",
        after_help = "Example:\n  jira-oauth accessToken https://jira.example.com \\\n      \
                      REQUEST_TOKEN TOKEN_SECRET VERIFIER"
    )]
    AccessToken(AccessTokenArgs),

    /// Signed calls to REST resources; bodies to stdout byte for byte
    #[command(
        override_usage = "jira-oauth request [OPTIONS] [ACCESS_TOKEN] URL...",
        after_help = "\
If the first argument is not a URL or a /path, it is the access token (the Java sample's
order); else the token comes from JIRA_OAUTH_ACCESS_TOKEN, then JIRA_OAUTH_PAT (sent as a
bearer), then the stored login for the URL (OAuth 1.0a, OAuth 2.0 or a PAT).

Several URLs stop at the first failure (nothing more is requested); with --keep-going
every URL is tried, each failure is reported, and the exit code is the highest of them.

Examples:
  jira-oauth request TOKEN https://jira.example.com/rest/api/2/issue/HSP-1
  jira-oauth request /rest/api/2/search -q 'jql=summary ~ \"C++\"' --paginate
  jira-oauth request -d '{\"body\":\"Done.\"}' /rest/api/2/issue/HSP-1/comment
  jira-oauth request --parallel 8 \\
      /rest/api/2/issue/HSP-1 /rest/api/2/issue/HSP-2"
    )]
    Request(RequestArgs),

    /// Print the Authorization header a request would carry (for curl and other tools)
    #[command(after_help = "\
With --timestamp and --nonce fixed, the output is deterministic for the RSA and HMAC methods.

Examples:
  url=https://jira.example.com/rest/api/2/myself
  curl -H \"Authorization: $(jira-oauth sign GET \"$url\" --token TOKEN)\" \"$url\"
  jira-oauth sign GET 'https://h/rest/api/2/search?jql=a b' --token T \\
      --timestamp 1 --nonce n --base-string")]
    Sign(SignArgs),

    /// The whole dance in one go: approve in the browser, the access token is stored
    #[command(after_help = "\
The verifier is typed at the prompt (stdin may be a pipe), or with --listen caught by a
one-shot server on 127.0.0.1 that JIRA redirects the browser to. The access token is
stored in $XDG_CONFIG_HOME/jira-oauth/credentials.json (mode 0600) and checked with
GET /rest/api/2/myself. Waiting for the browser ends after 10 minutes, when the request
token expires (exit 4).

--oauth2 logs in with JIRA's OAuth 2.0 provider (Data Center 8.22+): the client secret
comes from JIRA_OAUTH_CLIENT_SECRET or --client-secret-file. --pat stores a personal
access token (Data Center 8.14+) read from JIRA_OAUTH_PAT, stdin or a prompt; never give
a token as an argument.

Examples:
  jira-oauth login https://jira.example.com/jira --listen --open
  jira-oauth login https://jira.example.com --consumer-key my-cli
  jira-oauth login https://jira.example.com --oauth2 --client-id ID --open
  jira-oauth login https://jira.example.com --pat < ~/.jira-pat")]
    Login(LoginArgs),

    /// Forget the stored login for a JIRA (exit 0 even if there was none)
    #[command(after_help = "\
An OAuth 2.0 login's refresh token is revoked at JIRA first (a failure is a warning). An
OAuth 1.0a token or a PAT stays valid on the server until it is revoked there (profile).

Example:
  jira-oauth logout https://jira.example.com")]
    Logout(LogoutArgs),

    /// Print a bearer token that works now (OAuth 2.0 or a PAT), for other tools
    #[command(after_help = "\
JIRA_OAUTH_PAT, when set, comes first; else the stored login (the only one, or the one
named). An OAuth 1.0a login has no bearer token: use jira-oauth sign or jira-oauth proxy.

Example:
  curl -H \"Authorization: Bearer $(jira-oauth token)\" \\
      https://jira.example.com/rest/api/2/myself")]
    Token(TokenArgs),

    /// Ask JIRA who the stored login is (GET /rest/api/2/myself)
    #[command(after_help = "\
Without a base URL: the only stored login (with several, they are listed).

Examples:
  jira-oauth whoami
  jira-oauth whoami https://jira.example.com/jira")]
    Whoami(WhoamiArgs),

    /// Write a new RSA key pair and say what to enter in JIRA's Application Link
    #[command(after_help = "\
Writes private.pem (PKCS#8, mode 0600) and public.pem into --out, and prints the public key
with the values for JIRA's Application Link screens. Keys below 2048 bits are refused.

Examples:
  jira-oauth keygen
  jira-oauth keygen --out ./keys --bits 4096 --consumer-key my-cli")]
    Keygen(KeygenArgs),

    /// Print shell completions: bash, zsh, fish, powershell or elvish
    #[command(after_help = "\
Examples:
  jira-oauth completions bash \\
      > ~/.local/share/bash-completion/completions/jira-oauth
  jira-oauth completions zsh > \"${fpath[1]}/_jira-oauth\"
  jira-oauth completions fish > ~/.config/fish/completions/jira-oauth.fish")]
    Completions(CompletionsArgs),

    /// Print the manual page (roff), every command's options included
    #[command(after_help = "Example:\n  jira-oauth man > jira-oauth.1 && man ./jira-oauth.1")]
    Man,

    /// Print the public key (PEM) of --private-key and its SHA-256 fingerprint
    #[command(after_help = "\
Paste the PEM into the Public Key field of JIRA's Application Link (incoming
authentication).

Example:
  jira-oauth pubkey --private-key ./keys/private.pem")]
    Pubkey,

    /// Check the setup, one line per check with what to fix
    #[command(after_help = "\
Without a base URL only the key is checked. With one: the server answers at the OAuth
endpoints, the local clock against the server's Date, the consumer key is known (a signed
request-token call), and the access token works (GET /rest/api/2/myself) when one is given
with --token or JIRA_OAUTH_ACCESS_TOKEN.

Exit 0 when every check passes; else the exit code of the first failing check:
2 the key, 3 no answer (DNS, refused, TLS), 4 OAuth (clock, consumer, key mismatch, token),
1 another HTTP error.

Example:
  jira-oauth doctor https://jira.example.com/jira --token ACCESS_TOKEN")]
    Doctor(DoctorArgs),

    /// Serve JIRA on a local port, signing every request: for tools that cannot sign OAuth
    #[command(after_help = "\
Clients present the proxy token as `Authorization: Bearer TOKEN` or as the password of
basic auth. It comes from --proxy-token-file, else JIRA_OAUTH_PROXY_TOKEN, else a new one
printed once. Paths map onto the base URL; JSON links to JIRA are rewritten to the proxy.

Examples:
  jira-oauth proxy
  jira-oauth proxy https://jira.example.com --listen 8080 --proxy-token-file ~/.jira-proxy
  curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:7650/rest/api/2/myself")]
    Proxy(ProxyArgs),
}

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

/// An HTTP method, upper-cased as servers expect (one rule for `-X` and `sign`).
pub fn parse_method(s: &str) -> Result<Method, String> {
    let m = s.trim().to_ascii_uppercase();
    Method::from_bytes(m.as_bytes())
        .ok()
        .filter(|_| !m.is_empty())
        .ok_or_else(|| format!("'{s}' is not an HTTP method"))
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 86_400.0) {
        return Err(format!(
            "'{s}' must be more than 0 and at most 86400 seconds"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

impl TokenMethod {
    /// The HTTP method of a token call.
    pub fn http(self) -> Method {
        match self {
            TokenMethod::Post => Method::POST,
            TokenMethod::Get => Method::GET,
        }
    }
}
