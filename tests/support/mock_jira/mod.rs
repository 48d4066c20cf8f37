//! A JIRA-like OAuth 1.0a provider for tests, on 127.0.0.1 over HTTP or
//! HTTPS. It verifies every signature with its own base-string builder
//! (`oauth`), so it checks the crate's signer rather than trusting it.

pub mod http;
mod jira;
mod jql;
pub mod oauth;
pub mod tls;

use std::io;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[allow(unused_imports)]
pub use http::{Request, Response};
#[allow(unused_imports)]
pub use jira::oauth2_provider::{OAuth2Client, Provider};
#[allow(unused_imports)]
pub use oauth::{Param, Problem, Source};

pub const TEST_CONSUMER_KEY: &str = "hardcoded-consumer";
/// Request tokens live 10 minutes on JIRA.
pub const REQUEST_TOKEN_LIFETIME: i64 = 600;
/// Access tokens live 5 years on JIRA.
pub const ACCESS_TOKEN_LIFETIME: i64 = 157_680_000;
/// JIRA's timestamp window, either side of its clock.
pub const TIMESTAMP_WINDOW: i64 = 300;
/// JIRA's nonce cache.
pub const NONCE_WINDOW: i64 = 60;

#[derive(Clone, Debug)]
pub struct Consumer {
    pub key: String,
    pub public_key_pem: String,
    /// For HMAC-* and PLAINTEXT, which JIRA itself does not offer.
    pub secret: Option<String>,
}

impl Consumer {
    pub fn rsa(key: &str, public_key_pem: &str) -> Consumer {
        Consumer {
            key: key.into(),
            public_key_pem: public_key_pem.into(),
            secret: None,
        }
    }

    /// `hardcoded-consumer` with `tests/data/consumer.pub.pem`.
    pub fn test() -> Consumer {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/consumer.pub.pem");
        let pem = std::fs::read_to_string(path).expect("tests/data/consumer.pub.pem");
        Consumer::rsa(TEST_CONSUMER_KEY, &pem)
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    pub tls: bool,
    /// `""` or e.g. `"/jira"` (no trailing slash).
    pub context_path: String,
    pub consumers: Vec<Consumer>,
    /// 0 picks a free port.
    pub port: u16,
    /// Accepted `oauth_signature_method`s; JIRA accepts RSA-SHA1 only. Also
    /// implemented: RSA-SHA256, HMAC-SHA1, HMAC-SHA256, PLAINTEXT.
    pub signature_methods: Vec<String>,
    /// A JSON file that keeps the tokens across restarts: read at start,
    /// replaced atomically after every change.
    pub state_file: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            tls: false,
            context_path: String::new(),
            consumers: Vec::new(),
            port: 0,
            signature_methods: vec!["RSA-SHA1".to_string()],
            state_file: None,
        }
    }
}

impl Options {
    pub fn default_with_test_consumer() -> Options {
        Options {
            consumers: vec![Consumer::test()],
            ..Options::default()
        }
    }
}

/// How many items the paged built-in endpoints hold.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    /// `/rest/api/2/search` (`HSP-1`…).
    pub issues: usize,
    /// `/rest/api/2/issue/{key}/comment`, before any POST.
    pub comments: usize,
    /// `/rest/api/3/project/search` (`P1`…).
    pub projects: usize,
    /// `/rest/agile/1.0/board`.
    pub boards: usize,
}

impl Default for Counts {
    fn default() -> Counts {
        Counts {
            issues: 7,
            comments: 5,
            projects: 5,
            boards: 5,
        }
    }
}

/// What the token endpoints answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TokenReply {
    #[default]
    Normal,
    /// 200 text/html with a login form, as an SSO proxy would.
    LoginPage,
    /// 200 with an empty body.
    Empty,
    /// 200 `oauth_token=…` without `oauth_token_secret`.
    NoSecret,
}

/// Behaviour a test can switch at run time with `MockJira::set_mode`.
#[derive(Clone, Debug)]
pub struct Mode {
    /// The server's clock against the real one (timestamps, `Date`, token ages).
    pub clock_offset_secs: i64,
    /// The `Date` header against the server's clock.
    pub date_skew_secs: i64,
    /// Every request but the authorize page gets JIRA's CAPTCHA refusal (403).
    pub captcha: bool,
    /// REST answers 200 with `X-AUSERNAME: anonymous` whatever the signature.
    pub anonymous: bool,
    pub token_reply: TokenReply,
    /// `signature_invalid` carries `oauth_signature_base_string` and
    /// `oauth_signature`, as JIRA does.
    pub send_base_string: bool,
    /// The paged endpoints answer the first page whatever `startAt` asks,
    /// as endpoints that do not page do.
    pub ignore_start_at: bool,
    /// The search filters its issues by its `jql` (simple JQL, see `jql`);
    /// off, every issue matches, whatever the query (for paging tests).
    pub jql: bool,
}

impl Default for Mode {
    fn default() -> Mode {
        Mode {
            clock_offset_secs: 0,
            date_skew_secs: 0,
            captcha: false,
            anonymous: false,
            token_reply: TokenReply::Normal,
            send_base_string: true,
            ignore_start_at: false,
            jql: false,
        }
    }
}

/// What one page of a paged endpoint answers instead of itself, once the
/// request passed the OAuth check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageFault {
    /// JIRA's refusal with this `oauth_problem` (a token revoked mid-run).
    Refuse(String),
    /// This status with JIRA's JSON error body.
    Status(u16),
    /// 200 with an HTML page, as a proxy's maintenance or login page.
    Html,
    /// The page as usual, its `nextPage` (and `isLast: false`) set to this.
    NextPage(String),
}

/// How the server judged a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Signature and token accepted (or no check needed: the authorize page).
    Ok,
    /// Refused with this `oauth_problem`.
    Problem(String),
    /// No OAuth parameters at all.
    Unauthenticated,
    /// Answered without checking (anonymous mode, canned replies, open routes).
    Unchecked,
    /// No such endpoint.
    NotFound,
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub connection: usize,
    pub tls: bool,
    pub method: String,
    /// As received: path and query.
    pub target: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Decoded parameters from the Authorization header (without `realm`),
    /// the query and a form body, `oauth_signature` included.
    pub params: Vec<Param>,
    /// The signature base string the server computed.
    pub base_string: String,
    pub outcome: Outcome,
    /// The status answered (0 while a route handler runs).
    pub status: u16,
    /// When the server had read it whole.
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        http::header(&self.headers, name)
    }

    /// The first value of a parameter, wherever it came from.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_str())
    }

    /// Where the `oauth_*` parameters travelled (the first one's place).
    pub fn oauth_source(&self) -> Option<Source> {
        self.params
            .iter()
            .find(|p| p.name.starts_with("oauth_"))
            .map(|p| p.source)
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn problem(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Problem(p) => Some(p),
            _ => None,
        }
    }
}

pub struct MockJira {
    server: http::Server,
    shared: Arc<jira::Shared>,
    ca: Option<tls::TestCa>,
    kept: usize,
}

impl MockJira {
    /// Binds 127.0.0.1 (`opts.port`, 0 for any) and serves on threads.
    pub fn start(opts: Options) -> MockJira {
        MockJira::try_start(opts).unwrap_or_else(|e| panic!("mock JIRA: {e}"))
    }

    /// As `start`; a busy port is `ErrorKind::AddrInUse`, a bad state file
    /// names the file.
    pub fn try_start(opts: Options) -> io::Result<MockJira> {
        let listener = TcpListener::bind(("127.0.0.1", opts.port)).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot listen on 127.0.0.1:{}: {e}", opts.port),
            )
        })?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(jira::Shared::new(&opts, port));
        let kept = shared.load_state()?;
        let ca = opts.tls.then(tls::make);
        let handler_state = shared.clone();
        let handler: http::Handler = Arc::new(move |req| handler_state.handle(req));
        let server = http::Server::start(
            listener,
            ca.as_ref().map(|c| c.server_config.clone()),
            handler,
        )?;
        Ok(MockJira {
            server,
            shared,
            ca,
            kept,
        })
    }

    /// How many tokens the state file held at start.
    pub fn tokens_kept(&self) -> usize {
        self.kept
    }

    /// `http(s)://127.0.0.1:PORT` plus the context path, no trailing slash.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn port(&self) -> u16 {
        self.server.addr().port()
    }

    /// The CA certificate (PEM file) to trust, when serving HTTPS.
    pub fn ca_pem_path(&self) -> Option<PathBuf> {
        self.ca.as_ref().map(|c| c.ca_pem_path.clone())
    }

    pub fn ca_pem(&self) -> Option<String> {
        self.ca.as_ref().map(|c| c.ca_pem.clone())
    }

    /// The URL a user opens to authorize the token.
    pub fn authorize_url(&self, request_token: &str) -> String {
        format!(
            "{}/plugins/servlet/oauth/authorize?oauth_token={}",
            self.shared.base_url,
            oauth::encode(request_token)
        )
    }

    /// The user clicked Allow; returns the verifier. Panics on an unknown token.
    pub fn approve(&self, request_token: &str) -> String {
        self.shared
            .approve(request_token)
            .expect("approve: unknown request token")
    }

    /// The user clicked Deny. Panics on an unknown token.
    pub fn deny(&self, request_token: &str) {
        self.shared
            .deny(request_token)
            .expect("deny: unknown request token")
    }

    /// A valid access token and its secret, without the dance.
    pub fn issue_access_token(&self, consumer_key: &str) -> (String, String) {
        self.shared.issue_access_token(consumer_key)
    }

    /// Registers an access token of one's choosing (for published vectors).
    pub fn add_access_token(&self, consumer_key: &str, token: &str, secret: &str) {
        self.shared.add_access_token(consumer_key, token, secret);
    }

    /// Makes the token (request or access) expired.
    pub fn expire_token(&self, token: &str) {
        self.shared.expire_token(token);
    }

    /// Makes the token revoked (`token_revoked`).
    pub fn revoke_token(&self, token: &str) {
        self.shared.revoke_token(token);
    }

    /// A personal access token that REST takes as a bearer from now on.
    pub fn add_pat(&self, token: &str) {
        self.shared.add_bearer(token, None);
    }

    /// The bearer token (a PAT, an OAuth 2.0 access token) is refused from now on.
    pub fn revoke_bearer(&self, token: &str) {
        self.shared.revoke_bearer(token);
    }

    /// Makes this JIRA an OAuth 2.0 provider (8.22+) with this incoming link.
    pub fn oauth2_register(&self, client: OAuth2Client) {
        self.shared.oauth2_register(client);
    }

    /// The provider's state, read or changed.
    pub fn oauth2<R>(&self, f: impl FnOnce(&mut Provider) -> R) -> R {
        self.shared.oauth2(f)
    }

    /// A logged-in user answers the consent page of `authorize_url`: the
    /// URL JIRA sends the browser to next, or the error page's status.
    pub fn oauth2_consent(&self, authorize_url: &str, allow: bool) -> Result<String, u16> {
        self.shared.oauth2_consent(authorize_url, allow)
    }

    /// Ages every token by `secs`, so that expiry needs no sleeping.
    pub fn age_tokens(&self, secs: i64) {
        self.shared.age_tokens(secs);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests()
    }

    pub fn last_request(&self) -> Option<Recorded> {
        self.shared.requests().pop()
    }

    pub fn clear_requests(&self) {
        self.shared.clear_requests();
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.server.connections()
    }

    pub fn mode(&self) -> Mode {
        self.shared.mode()
    }

    pub fn set_mode(&self, m: Mode) {
        self.shared.update_mode(|mode| *mode = m);
    }

    pub fn set_clock_offset(&self, secs: i64) {
        self.shared.update_mode(|m| m.clock_offset_secs = secs);
    }

    pub fn set_date_skew(&self, secs: i64) {
        self.shared.update_mode(|m| m.date_skew_secs = secs);
    }

    pub fn set_captcha(&self, on: bool) {
        self.shared.update_mode(|m| m.captcha = on);
    }

    pub fn set_anonymous(&self, on: bool) {
        self.shared.update_mode(|m| m.anonymous = on);
    }

    pub fn set_token_reply(&self, r: TokenReply) {
        self.shared.update_mode(|m| m.token_reply = r);
    }

    pub fn set_send_base_string(&self, on: bool) {
        self.shared.update_mode(|m| m.send_base_string = on);
    }

    /// The next request that is checked for OAuth (token endpoints, REST,
    /// `route`s) is refused with this problem, whatever it carries.
    pub fn force_problem(&self, name: &str) {
        self.shared.force_problem(name);
    }

    /// Adds an endpoint (path below the context path, without the query;
    /// method `"*"` for any). The request is checked as REST is: a refusal
    /// never reaches `f`. Routes come before the built-in endpoints.
    pub fn route(
        &self,
        method: &str,
        path: &str,
        f: impl Fn(&Recorded) -> Response + Send + Sync + 'static,
    ) {
        self.shared.add_route(method, path, true, Arc::new(f));
    }

    /// As `route`, without any OAuth check (echo, redirects, 429s).
    pub fn route_open(
        &self,
        method: &str,
        path: &str,
        f: impl Fn(&Recorded) -> Response + Send + Sync + 'static,
    ) {
        self.shared.add_route(method, path, false, Arc::new(f));
    }

    /// How many items the paged endpoints hold (`Counts::default()` at start).
    pub fn set_counts(&self, counts: Counts) {
        self.shared.set_counts(counts);
    }

    /// The next `times` REST requests that pass the OAuth check answer
    /// `status` instead: 429 with JIRA's `X-RateLimit-*` figures, or 503;
    /// both with `Retry-After: 0`.
    pub fn fail_next(&self, status: u16, times: usize) {
        self.shared.fail_next(status, times);
    }

    /// As `fail_next`, with this `Retry-After` (none with `None`).
    pub fn fail_next_with(&self, status: u16, times: usize, retry_after: Option<&str>) {
        self.shared
            .fail_next_with(status, times, retry_after.map(str::to_string));
    }

    /// The page of a paged endpoint (path below the context path) that
    /// starts at `start_at` answers `fault` instead.
    pub fn page_fault(&self, path: &str, start_at: usize, fault: PageFault) {
        self.shared.add_page_fault(path, start_at, fault);
    }

    pub fn set_ignore_start_at(&self, on: bool) {
        self.shared.update_mode(|m| m.ignore_start_at = on);
    }

    /// The search honours simple JQL (`Mode::jql`).
    pub fn set_jql(&self, on: bool) {
        self.shared.update_mode(|m| m.jql = on);
    }

    /// A checked endpoint answering `status` (301, 302, 303, 307, 308) with
    /// `Location: location` (absolute, or relative to the request).
    pub fn redirect(&self, path: &str, status: u16, location: &str) {
        let location = location.to_string();
        self.route("*", path, move |_| {
            Response::new(status).header("Location", location.clone())
        });
    }

    /// Called with each request token issued.
    pub fn on_request_token(&self, f: impl Fn(&str) + Send + Sync + 'static) {
        self.shared.set_on_request_token(Arc::new(f));
    }
}
