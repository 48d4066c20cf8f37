//! The provider's state, and how a request is recorded and sent to its
//! endpoint. JIRA's rules live by concern:
//! - `verify`: the OAuth 1.0a check of a signed request, and JIRA's refusal;
//! - `dance`: request-token, the authorize page, access-token;
//! - `tokens`: the OAuth 1.0a tokens and the state file;
//! - `rest`: what every REST call goes through (bearer, throttling, faults);
//! - `rest_endpoints` and `issues`: the built-in REST answers;
//! - `oauth2_provider`: JIRA Data Center's OAuth 2.0 provider.
//!
//! Choices where JIRA's exact answer is not pinned down:
//! - a request token exchanged twice, or with a wrong verifier (1.0a only):
//!   `token_rejected` with an `oauth_problem_advice` (JIRA drops used tokens);
//! - a REST call without any `oauth_*` parameter: 401 `parameter_absent`;
//! - only a verified request spends its nonce;
//! - `realm` and every value in `WWW-Authenticate` are percent-encoded, as
//!   net.oauth writes them.

use super::http::{self, Request, Response};
use super::jql;
use super::oauth;
use super::{
    Counts, Mode, Options, Outcome, PageFault, Recorded, TokenReply, ACCESS_TOKEN_LIFETIME,
    NONCE_WINDOW, REQUEST_TOKEN_LIFETIME, TIMESTAMP_WINDOW,
};
use rand::distributions::{Alphanumeric, DistString};
use rsa::RsaPublicKey;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

mod dance;
mod issues;
pub mod oauth2_provider;
mod rest;
mod rest_endpoints;
mod tokens;
mod verify;

use rest::Bearer;
use tokens::Token;

pub type RouteFn = Arc<dyn Fn(&Recorded) -> Response + Send + Sync>;
pub type TokenHook = Arc<dyn Fn(&str) + Send + Sync>;

struct Route {
    method: String,
    path: String,
    checked: bool,
    f: RouteFn,
}

struct ConsumerEntry {
    public_key: Option<RsaPublicKey>,
    secret: Option<String>,
}

#[derive(Default)]
struct Inner {
    mode: Mode,
    counts: Counts,
    /// Comments added by POST, by issue key.
    comments: HashMap<String, Vec<serde_json::Value>>,
    /// Statuses (429, 503) the next verified REST requests get instead,
    /// with their `Retry-After`.
    throttle: VecDeque<(u16, Option<String>)>,
    /// (path below the context path, startAt) → what that page answers.
    page_faults: Vec<(String, usize, PageFault)>,
    forced: Option<String>,
    tokens: HashMap<String, Token>,
    /// (consumer key, nonce) → when first seen, by the server's clock.
    nonces: HashMap<(String, String), i64>,
    requests: Vec<Recorded>,
    routes: Vec<Route>,
    on_request_token: Option<TokenHook>,
    /// Bearer tokens REST takes (PATs, OAuth 2.0 access tokens), by value.
    bearers: HashMap<String, Bearer>,
    oauth2: oauth2_provider::Provider,
}

/// The server's clock, with the lock already held.
fn now_of(inner: &Inner) -> i64 {
    real_now() + inner.mode.clock_offset_secs
}

pub struct Shared {
    pub base_url: String,
    scheme: &'static str,
    port: u16,
    ctx: String,
    consumers: HashMap<String, ConsumerEntry>,
    methods: Vec<String>,
    /// Where the tokens are kept across restarts, if anywhere.
    state_file: Option<PathBuf>,
    inner: Mutex<Inner>,
}

fn random(n: usize) -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), n)
}

fn real_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{}={}", oauth::encode(n), oauth::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Shared {
    pub fn new(opts: &Options, port: u16) -> Shared {
        let scheme = if opts.tls { "https" } else { "http" };
        let ctx = opts.context_path.trim_end_matches('/').to_string();
        let consumers = opts
            .consumers
            .iter()
            .map(|c| {
                let public_key = (!c.public_key_pem.trim().is_empty()).then(|| {
                    oauth::parse_public_key(&c.public_key_pem)
                        .unwrap_or_else(|e| panic!("consumer {}: {e}", c.key))
                });
                (
                    c.key.clone(),
                    ConsumerEntry {
                        public_key,
                        secret: c.secret.clone(),
                    },
                )
            })
            .collect();
        Shared {
            base_url: format!("{scheme}://127.0.0.1:{port}{ctx}"),
            scheme,
            port,
            ctx,
            consumers,
            methods: opts.signature_methods.clone(),
            state_file: opts.state_file.clone(),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> i64 {
        real_now() + self.lock().mode.clock_offset_secs
    }

    pub fn mode(&self) -> Mode {
        self.lock().mode.clone()
    }

    pub fn update_mode(&self, f: impl FnOnce(&mut Mode)) {
        f(&mut self.lock().mode);
    }

    pub fn force_problem(&self, name: &str) {
        self.lock().forced = Some(name.to_string());
    }

    pub fn add_route(&self, method: &str, path: &str, checked: bool, f: RouteFn) {
        self.lock().routes.push(Route {
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            checked,
            f,
        });
    }

    pub fn set_counts(&self, counts: Counts) {
        self.lock().counts = counts;
    }

    pub fn set_on_request_token(&self, f: TokenHook) {
        self.lock().on_request_token = Some(f);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// Entry point for every request: record it, answer it.
    pub fn handle(&self, req: Request) -> Response {
        let mut rec = self.record(req);
        let mut resp = self.dispatch(&mut rec);
        let mode = self.mode();
        let date = real_now() + mode.clock_offset_secs + mode.date_skew_secs;
        resp.set_header("Date", http::http_date(date));
        if resp.get_header("X-AUSERNAME").is_none() {
            let user = if rec.outcome == Outcome::Ok {
                "admin"
            } else {
                "anonymous"
            };
            resp.headers.push(("X-AUSERNAME".into(), user.into()));
        }
        rec.status = resp.status;
        self.lock().requests.push(rec);
        resp
    }

    fn record(&self, req: Request) -> Recorded {
        let at = std::time::Instant::now();
        let (path, query) = match req.target.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (req.target.clone(), None),
        };
        let params = oauth::collect(
            &req.method,
            query.as_deref(),
            req.header("Content-Type"),
            &req.body,
            req.header("Authorization"),
        );
        let fallback_host = format!("127.0.0.1:{}", self.port);
        let host = req.header("Host").unwrap_or(&fallback_host);
        let base_uri = oauth::base_uri(self.scheme, host, &path);
        let base_string = oauth::base_string(
            &req.method,
            &base_uri,
            params.iter().map(|p| (p.name.as_str(), p.value.as_str())),
        );
        Recorded {
            connection: req.connection,
            tls: self.scheme == "https",
            method: req.method,
            target: req.target,
            path,
            query,
            headers: req.headers,
            body: req.body,
            params,
            base_string,
            outcome: Outcome::Unchecked,
            status: 0,
            at,
        }
    }

    fn dispatch(&self, rec: &mut Recorded) -> Response {
        let Some(local) = rec.path.strip_prefix(self.ctx.as_str()).map(str::to_string) else {
            return self.not_found(rec);
        };
        let local = if local.is_empty() {
            "/".to_string()
        } else {
            local
        };
        let route = {
            let inner = self.lock();
            inner
                .routes
                .iter()
                .find(|r| {
                    r.path == local
                        && (r.method == "*" || r.method.eq_ignore_ascii_case(&rec.method))
                })
                .map(|r| (r.checked, r.f.clone()))
        };
        if let Some((false, f)) = &route {
            return f(rec);
        }
        if local == "/plugins/servlet/oauth/authorize" {
            return self.authorize(rec);
        }
        if let Some(r) = self.oauth2_endpoint(rec, &local) {
            return r;
        }
        if self.mode().captcha {
            rec.outcome = Outcome::Problem("CAPTCHA_CHALLENGE".into());
            return self.captcha();
        }
        if let Some(problem) = self.take_forced_problem(rec) {
            return self.refuse(rec, problem);
        }
        match (local.as_str(), route) {
            (_, Some((_, f))) => self.rest(rec, |r| f(r)),
            ("/plugins/servlet/oauth/request-token", _) => self.request_token(rec),
            ("/plugins/servlet/oauth/access-token", _) => self.access_token(rec),
            (p, _) if p.starts_with("/rest/") => {
                let p = p.to_string();
                self.rest(rec, |r| self.builtin_rest(&p, r))
            }
            _ => self.not_found(rec),
        }
    }

    fn not_found(&self, rec: &mut Recorded) -> Response {
        rec.outcome = Outcome::NotFound;
        Response::html(404, "<html><body><h1>404 Not Found</h1></body></html>\n")
    }

    fn captcha(&self) -> Response {
        Response::html(
            403,
            "<html><body><p>Authentication denied: CAPTCHA required. Log in with a browser.</p></body></html>\n",
        )
        .header("X-Seraph-LoginReason", "AUTHENTICATION_DENIED")
        .header(
            "X-Authentication-Denied-Reason",
            format!("CAPTCHA_CHALLENGE; login-url={}/login.jsp", self.base_url),
        )
    }
}
