//! The command line: options, environment variables and subcommands.
//! Parsing only; `commands` does the work.

mod args;

pub use args::*;

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

/// An HTTP method, upper-cased as servers expect (one rule for `-X` and `sign`).
pub fn parse_method(s: &str) -> Result<Method, String> {
    let m = s.trim().to_ascii_uppercase();
    Method::from_bytes(m.as_bytes())
        .ok()
        .filter(|_| !m.is_empty())
        .ok_or_else(|| format!("'{s}' is not an HTTP method"))
}

pub(crate) fn parse_timeout(s: &str) -> Result<Duration, String> {
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
