//! The endpoints and JIRA's rules: tokens, approval, timestamps, nonces, REST.
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
use super::oauth::{self, Problem, Source};
use super::{
    Counts, Mode, Options, Outcome, PageFault, Recorded, TokenReply, ACCESS_TOKEN_LIFETIME,
    NONCE_WINDOW, REQUEST_TOKEN_LIFETIME, TIMESTAMP_WINDOW,
};
use rand::distributions::{Alphanumeric, DistString};
use rsa::RsaPublicKey;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

#[path = "oauth2_provider.rs"]
pub mod oauth2_provider;

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

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Request,
    Access,
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Approval {
    Pending,
    Approved,
    Denied,
}

#[derive(Serialize, Deserialize)]
struct Token {
    kind: Kind,
    consumer: String,
    secret: String,
    /// None for `oob` (an OAuth 1.0 token, whose verifier is not checked).
    callback: Option<String>,
    verifier: Option<String>,
    approval: Approval,
    issued_at: i64,
    used: bool,
    revoked: bool,
}

impl Token {
    fn expired(&self, now: i64) -> bool {
        let life = match self.kind {
            Kind::Request => REQUEST_TOKEN_LIFETIME,
            Kind::Access => ACCESS_TOKEN_LIFETIME,
        };
        now - self.issued_at > life
    }
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

/// A token JIRA takes as `Authorization: Bearer` on every REST route.
#[derive(Clone, Debug)]
pub struct Bearer {
    /// By the server's clock; `None` never expires (a PAT made without one).
    pub expires_at: Option<i64>,
    pub revoked: bool,
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

/// The state file: every token, by its value.
#[derive(Serialize, Deserialize)]
struct State<T> {
    tokens: T,
}

/// Which check a request gets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    RequestToken,
    AccessToken,
    Rest,
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

/// Writes the tokens (sorted, for a stable file) atomically: a temporary
/// file in the same folder (mode 0600: it holds secrets), then a rename.
fn write_state(path: &Path, tokens: &HashMap<String, Token>) -> io::Result<()> {
    let sorted: BTreeMap<&String, &Token> = tokens.iter().collect();
    let mut text = serde_json::to_vec_pretty(&State { tokens: sorted })?;
    text.push(b'\n');
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(&text)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{}={}", oauth::encode(n), oauth::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
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

    /// Reads the state file's tokens (none when it does not exist yet) and
    /// writes it back, so that an unwritable place fails at start. Returns
    /// how many tokens it held.
    pub fn load_state(&self) -> io::Result<usize> {
        let Some(path) = &self.state_file else {
            return Ok(0);
        };
        let tokens: HashMap<String, Token> = match std::fs::read(path) {
            Ok(bytes) => {
                serde_json::from_slice::<State<_>>(&bytes)
                    .map_err(|e| {
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("{}: not a mock-jira state file: {e}", path.display()),
                        )
                    })?
                    .tokens
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
        };
        let n = tokens.len();
        let mut inner = self.lock();
        inner.tokens = tokens;
        write_state(path, &inner.tokens)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        Ok(n)
    }

    /// Changes the tokens, then saves them to the state file, if any.
    fn with_tokens<R>(&self, f: impl FnOnce(&mut HashMap<String, Token>) -> R) -> R {
        let mut inner = self.lock();
        let r = f(&mut inner.tokens);
        if let Some(path) = &self.state_file {
            // Under the lock, so that writes land in the order of the changes.
            if let Err(e) = write_state(path, &inner.tokens) {
                eprintln!("mock-jira: cannot save {}: {e}", path.display());
            }
        }
        r
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

    pub fn fail_next(&self, status: u16, times: usize) {
        self.fail_next_with(status, times, Some("0".to_string()));
    }

    pub fn fail_next_with(&self, status: u16, times: usize, retry_after: Option<String>) {
        self.lock()
            .throttle
            .extend(std::iter::repeat_n((status, retry_after), times));
    }

    pub fn add_page_fault(&self, path: &str, start_at: usize, fault: PageFault) {
        self.lock()
            .page_faults
            .push((path.to_string(), start_at, fault));
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

    pub fn approve(&self, token: &str) -> Option<String> {
        self.with_tokens(|tokens| {
            let t = tokens.get_mut(token).filter(|t| t.kind == Kind::Request)?;
            t.approval = Approval::Approved;
            // JIRA keeps the verifier it first showed.
            Some(t.verifier.get_or_insert_with(|| random(6)).clone())
        })
    }

    pub fn deny(&self, token: &str) -> Option<()> {
        self.with_tokens(|tokens| {
            let t = tokens.get_mut(token).filter(|t| t.kind == Kind::Request)?;
            t.approval = Approval::Denied;
            Some(())
        })
    }

    pub fn issue_access_token(&self, consumer: &str) -> (String, String) {
        let now = self.now();
        self.new_token(Kind::Access, consumer, None, now)
    }

    pub fn add_access_token(&self, consumer: &str, token: &str, secret: &str) {
        let now = self.now();
        let (t, _) = self.new_token(Kind::Access, consumer, None, now);
        self.with_tokens(|tokens| {
            let mut tok = tokens.remove(&t).expect("just issued");
            tok.secret = secret.to_string();
            tokens.insert(token.to_string(), tok);
        });
    }

    fn new_token(
        &self,
        kind: Kind,
        consumer: &str,
        callback: Option<String>,
        now: i64,
    ) -> (String, String) {
        let (token, secret) = (random(32), random(32));
        let t = Token {
            kind,
            consumer: consumer.to_string(),
            secret: secret.clone(),
            callback,
            verifier: None,
            approval: if kind == Kind::Access {
                Approval::Approved
            } else {
                Approval::Pending
            },
            issued_at: now,
            used: false,
            revoked: false,
        };
        self.with_tokens(|tokens| tokens.insert(token.clone(), t));
        (token, secret)
    }

    pub fn expire_token(&self, token: &str) {
        self.with_tokens(|tokens| {
            if let Some(t) = tokens.get_mut(token) {
                t.issued_at = i64::MIN / 2;
            }
        });
    }

    pub fn revoke_token(&self, token: &str) {
        self.with_tokens(|tokens| {
            if let Some(t) = tokens.get_mut(token) {
                t.revoked = true;
            }
        });
    }

    pub fn age_tokens(&self, secs: i64) {
        self.with_tokens(|tokens| {
            for t in tokens.values_mut() {
                t.issued_at -= secs;
            }
        });
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
        let forced = self.lock().forced.take();
        if let Some(p) = forced {
            let mut problem = Problem::new(&p);
            if p == "timestamp_refused" {
                let now = self.now();
                problem = problem.with(
                    "oauth_acceptable_timestamps",
                    format!("{}-{}", now - TIMESTAMP_WINDOW, now + TIMESTAMP_WINDOW),
                );
            } else if p == "signature_invalid" {
                problem = self.with_base_string(problem, rec);
            }
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

    fn with_base_string(&self, problem: Problem, rec: &Recorded) -> Problem {
        if !self.mode().send_base_string {
            return problem;
        }
        problem
            .with(
                "oauth_signature",
                rec.param("oauth_signature").unwrap_or(""),
            )
            .with("oauth_signature_base_string", rec.base_string.clone())
            .with(
                "oauth_signature_method",
                rec.param("oauth_signature_method").unwrap_or(""),
            )
    }

    /// JIRA's refusal: status by problem, `WWW-Authenticate` with every
    /// parameter, and the same parameters form-encoded in a text/plain body.
    fn refuse(&self, rec: &mut Recorded, p: Problem) -> Response {
        rec.outcome = Outcome::Problem(p.name.clone());
        let mut pairs = vec![("oauth_problem", p.name.as_str())];
        pairs.extend(p.extra.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let mut www = format!("OAuth realm=\"{}\"", oauth::encode(&self.base_url));
        for (n, v) in &pairs {
            www.push_str(&format!(", {}=\"{}\"", oauth::encode(n), oauth::encode(v)));
        }
        Response::text(p.status(), form(&pairs)).header("WWW-Authenticate", www)
    }

    /// The checks of net.oauth's validator and JIRA's token store, in order.
    /// On success returns the token, if the request named one.
    fn verify(&self, rec: &Recorded, need: Need) -> Result<Option<String>, Problem> {
        let p = |n: &str| rec.param(n);
        if let Some(v) = p("oauth_version") {
            if v != "1.0" {
                return Err(
                    Problem::new("version_rejected").with("oauth_acceptable_versions", "1.0-1.0")
                );
            }
        }
        let mut required = vec![
            "oauth_consumer_key",
            "oauth_signature_method",
            "oauth_signature",
            "oauth_timestamp",
            "oauth_nonce",
        ];
        if need != Need::RequestToken {
            required.push("oauth_token");
        }
        let absent: Vec<&str> = required.into_iter().filter(|n| p(n).is_none()).collect();
        if !absent.is_empty() {
            return Err(
                Problem::new("parameter_absent").with("oauth_parameters_absent", absent.join("&"))
            );
        }
        let method = p("oauth_signature_method").unwrap_or_default();
        let ck = p("oauth_consumer_key").unwrap_or_default();
        let rejected_method = || {
            Problem::new("signature_method_rejected")
                .with("oauth_acceptable_signature_methods", self.methods.join("&"))
        };
        if !self.methods.iter().any(|m| m == method) {
            return Err(rejected_method());
        }
        let Some(consumer) = self.consumers.get(ck) else {
            return Err(Problem::new("consumer_key_unknown"));
        };
        let usable = match method {
            "RSA-SHA1" | "RSA-SHA256" => consumer.public_key.is_some(),
            "HMAC-SHA1" | "HMAC-SHA256" | "PLAINTEXT" => consumer.secret.is_some(),
            _ => false,
        };
        if !usable {
            return Err(rejected_method());
        }
        let now = self.now();
        let Ok(ts) = p("oauth_timestamp").unwrap_or_default().parse::<i64>() else {
            return Err(Problem::new("parameter_rejected")
                .with("oauth_parameters_rejected", "oauth_timestamp"));
        };
        if (ts - now).abs() > TIMESTAMP_WINDOW {
            return Err(Problem::new("timestamp_refused").with(
                "oauth_acceptable_timestamps",
                format!("{}-{}", now - TIMESTAMP_WINDOW, now + TIMESTAMP_WINDOW),
            ));
        }
        let nonce_key = (
            ck.to_string(),
            p("oauth_nonce").unwrap_or_default().to_string(),
        );
        if self
            .lock()
            .nonces
            .get(&nonce_key)
            .is_some_and(|seen| now - seen < NONCE_WINDOW)
        {
            return Err(Problem::new("nonce_used"));
        }
        let token = p("oauth_token").filter(|_| need != Need::RequestToken);
        let token_secret = match token {
            None => String::new(),
            Some(t) => {
                let inner = self.lock();
                match inner.tokens.get(t) {
                    Some(tok) if tok.consumer == ck => tok.secret.clone(),
                    _ => return Err(Problem::new("token_rejected")),
                }
            }
        };
        let sig = p("oauth_signature").unwrap_or_default();
        let base = rec.base_string.as_str();
        let hmac_key = || oauth::hmac_key(consumer.secret.as_deref().unwrap_or(""), &token_secret);
        let good = match method {
            "RSA-SHA1" => oauth::verify_rsa_sha1(consumer.public_key.as_ref().unwrap(), base, sig),
            "RSA-SHA256" => {
                oauth::verify_rsa_sha256(consumer.public_key.as_ref().unwrap(), base, sig)
            }
            "HMAC-SHA1" => oauth::verify_hmac_sha1(&hmac_key(), base, sig),
            "HMAC-SHA256" => oauth::verify_hmac_sha256(&hmac_key(), base, sig),
            "PLAINTEXT" => sig == hmac_key(),
            _ => false,
        };
        if !good {
            return Err(self.with_base_string(Problem::new("signature_invalid"), rec));
        }
        {
            // Only a verified request spends its nonce.
            let mut inner = self.lock();
            inner.nonces.retain(|_, seen| now - *seen < NONCE_WINDOW);
            inner.nonces.insert(nonce_key, now);
        }
        let Some(t) = token else { return Ok(None) };
        let inner = self.lock();
        let tok = &inner.tokens[t];
        match need {
            Need::RequestToken => {}
            Need::Rest => {
                if tok.kind != Kind::Access {
                    return Err(Problem::new("token_rejected").with(
                        "oauth_problem_advice",
                        "a request token cannot sign REST calls",
                    ));
                }
                if tok.revoked {
                    return Err(Problem::new("token_revoked"));
                }
                if tok.expired(now) {
                    return Err(Problem::new("token_expired"));
                }
            }
            Need::AccessToken => {
                if tok.kind != Kind::Request {
                    return Err(Problem::new("token_rejected")
                        .with("oauth_problem_advice", "not a request token"));
                }
                // JIRA removes a request token once exchanged.
                if tok.used || tok.revoked {
                    return Err(Problem::new("token_rejected")
                        .with("oauth_problem_advice", "request token already exchanged"));
                }
                if tok.expired(now) {
                    return Err(Problem::new("token_expired"));
                }
                match tok.approval {
                    Approval::Pending => return Err(Problem::new("permission_unknown")),
                    Approval::Denied => return Err(Problem::new("permission_denied")),
                    Approval::Approved => {}
                }
                // Only 1.0a tokens (with a callback) have their verifier checked.
                if tok.callback.is_some() {
                    match p("oauth_verifier") {
                        None => {
                            return Err(Problem::new("parameter_absent")
                                .with("oauth_parameters_absent", "oauth_verifier"))
                        }
                        Some(v) if Some(v) != tok.verifier.as_deref() => {
                            return Err(Problem::new("token_rejected")
                                .with("oauth_problem_advice", "oauth_verifier does not match"))
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        Ok(Some(t.to_string()))
    }

    /// The token endpoints' canned replies, when the mode asks for one.
    fn canned_token_reply(&self, rec: &mut Recorded) -> Option<Response> {
        let reply = match self.mode().token_reply {
            TokenReply::Normal => return None,
            TokenReply::LoginPage => Response::html(
                200,
                format!(
                    "<!DOCTYPE html><html><head><title>Log in - JIRA</title></head><body>\
                     <form id=\"login-form\" action=\"{}/login.jsp\" method=\"post\">\
                     <input name=\"os_username\"><input name=\"os_password\" type=\"password\">\
                     <input type=\"submit\" value=\"Log In\"></form></body></html>\n",
                    self.base_url
                ),
            ),
            TokenReply::Empty => Response::text(200, ""),
            TokenReply::NoSecret => Response::text(200, form(&[("oauth_token", &random(32))])),
        };
        rec.outcome = Outcome::Unchecked;
        Some(reply)
    }

    fn request_token(&self, rec: &mut Recorded) -> Response {
        if !matches!(rec.method.as_str(), "POST" | "GET") {
            rec.outcome = Outcome::NotFound;
            return Response::text(405, "").header("Allow", "GET, POST");
        }
        if let Some(r) = self.canned_token_reply(rec) {
            return r;
        }
        if let Err(p) = self.verify(rec, Need::RequestToken) {
            return self.refuse(rec, p);
        }
        // No callback, or `oob`: an OAuth 1.0 token.
        let callback = match rec.param("oauth_callback") {
            None => None,
            Some(c) if c.eq_ignore_ascii_case("oob") => None,
            Some(c) if url::Url::parse(c).is_ok_and(|u| u.has_host()) => Some(c.to_string()),
            Some(_) => {
                return self.refuse(
                    rec,
                    Problem::new("parameter_rejected")
                        .with("oauth_parameters_rejected", "oauth_callback"),
                )
            }
        };
        let ck = rec
            .param("oauth_consumer_key")
            .unwrap_or_default()
            .to_string();
        let confirmed = callback.is_some();
        let (token, secret) = self.new_token(Kind::Request, &ck, callback, self.now());
        rec.outcome = Outcome::Ok;
        let hook = self.lock().on_request_token.clone();
        if let Some(hook) = hook {
            hook(&token);
        }
        let mut pairs = vec![
            ("oauth_token", token.as_str()),
            ("oauth_token_secret", secret.as_str()),
        ];
        if confirmed {
            pairs.push(("oauth_callback_confirmed", "true"));
        }
        Response::text(200, form(&pairs))
    }

    fn access_token(&self, rec: &mut Recorded) -> Response {
        if !matches!(rec.method.as_str(), "POST" | "GET") {
            rec.outcome = Outcome::NotFound;
            return Response::text(405, "").header("Allow", "GET, POST");
        }
        if let Some(r) = self.canned_token_reply(rec) {
            return r;
        }
        let request_token = match self.verify(rec, Need::AccessToken) {
            Ok(t) => t.expect("access-token requires oauth_token"),
            Err(p) => return self.refuse(rec, p),
        };
        let consumer = self.with_tokens(|tokens| {
            let t = tokens.get_mut(&request_token).expect("verified token");
            t.used = true;
            t.consumer.clone()
        });
        let (token, secret) = self.issue_access_token(&consumer);
        rec.outcome = Outcome::Ok;
        let life = ACCESS_TOKEN_LIFETIME.to_string();
        let session = random(32);
        Response::text(
            200,
            form(&[
                ("oauth_token", &token),
                ("oauth_token_secret", &secret),
                ("oauth_expires_in", &life),
                ("oauth_session_handle", &session),
                ("oauth_authorization_expires_in", &life),
            ]),
        )
    }

    /// The authorize page, and the user's Allow/Deny (`approve=true|false`).
    fn authorize(&self, rec: &mut Recorded) -> Response {
        rec.outcome = Outcome::Ok;
        let Some(token) = rec.param("oauth_token").map(str::to_string) else {
            rec.outcome = Outcome::Problem("parameter_absent".into());
            return Response::html(
                400,
                "<html><body><p>Missing oauth_token.</p></body></html>\n",
            );
        };
        let known = {
            let inner = self.lock();
            inner
                .tokens
                .get(&token)
                .filter(|t| t.kind == Kind::Request)
                .map(|t| (t.consumer.clone(), t.callback.clone()))
        };
        let Some((consumer, callback)) = known else {
            rec.outcome = Outcome::Problem("token_rejected".into());
            return Response::html(
                400,
                "<html><body><p>The request token is invalid or has expired.</p></body></html>\n",
            );
        };
        let t = html_escape(&token);
        let redirect = |verifier: &str| {
            let cb = callback.as_deref().unwrap_or_default();
            let sep = if cb.contains('?') { '&' } else { '?' };
            let loc = format!(
                "{cb}{sep}{}",
                form(&[("oauth_token", &token), ("oauth_verifier", verifier)])
            );
            Response::html(302, "").header("Location", loc)
        };
        match rec.param("approve") {
            Some("true") => {
                let verifier = self.approve(&token).expect("known token");
                if callback.is_some() {
                    return redirect(&verifier);
                }
                Response::html(
                    200,
                    format!(
                        "<html><head><title>Access Approved</title></head><body>\
                         <p>You have successfully authorized '{}'. Your verification code is '{}'. \
                         You will need to enter this exact text when prompted.</p>\
                         <p id=\"verifier\">{}</p></body></html>\n",
                        html_escape(&consumer),
                        html_escape(&verifier),
                        html_escape(&verifier)
                    ),
                )
            }
            Some(_) => {
                self.deny(&token);
                if callback.is_some() {
                    // Atlassian's provider tells the callback `denied`.
                    return redirect("denied");
                }
                Response::html(
                    200,
                    "<html><head><title>Access Denied</title></head><body>\
                     <p>You have denied access.</p></body></html>\n",
                )
            }
            None => Response::html(
                200,
                format!(
                    "<html><head><title>OAuth Access Request</title></head><body>\
                     <p>'{}' would like to read and write data on your behalf.</p>\
                     <form method=\"post\" action=\"{}/plugins/servlet/oauth/authorize\">\
                     <input type=\"hidden\" name=\"oauth_token\" value=\"{t}\">\
                     <button name=\"approve\" value=\"true\">Allow</button>\
                     <button name=\"approve\" value=\"false\">Deny</button>\
                     </form></body></html>\n",
                    html_escape(&consumer),
                    self.base_url
                ),
            ),
        }
    }

    pub fn add_bearer(&self, token: &str, expires_at: Option<i64>) {
        self.lock().bearers.insert(
            token.to_string(),
            Bearer {
                expires_at,
                revoked: false,
            },
        );
    }

    pub fn revoke_bearer(&self, token: &str) {
        if let Some(b) = self.lock().bearers.get_mut(token) {
            b.revoked = true;
        }
    }

    /// Whether REST takes this bearer token now.
    fn bearer_ok(&self, token: &str) -> bool {
        let now = self.now();
        self.lock()
            .bearers
            .get(token)
            .is_some_and(|b| !b.revoked && b.expires_at.is_none_or(|e| now < e))
    }

    /// Authenticates as JIRA's REST layer does, then calls `f`.
    fn rest(&self, rec: &mut Recorded, f: impl FnOnce(&Recorded) -> Response) -> Response {
        if self.mode().anonymous {
            rec.outcome = Outcome::Unchecked;
            return f(rec).header("X-AUSERNAME", "anonymous");
        }
        let bearer = rec.header("Authorization").and_then(|a| {
            let (scheme, token) = a.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("Bearer")
                .then(|| token.trim().to_string())
        });
        if let Some(token) = bearer {
            if !self.bearer_ok(&token) {
                // JIRA answers a dead bearer with its OAuth 1.0a challenge.
                rec.outcome = Outcome::Problem("bearer_refused".into());
                return Response::json(
                    401,
                    &json!({"message": "Client must be authenticated to access this resource.", "status-code": 401}),
                )
                .header(
                    "WWW-Authenticate",
                    format!("OAuth realm=\"{}\"", oauth::encode(&self.base_url)),
                );
            }
            rec.outcome = Outcome::Ok;
            return f(rec);
        }
        if !rec.params.iter().any(|p| p.name.starts_with("oauth_")) {
            rec.outcome = Outcome::Unauthenticated;
            return self.unauthenticated(rec);
        }
        if let Err(p) = self.verify(rec, Need::Rest) {
            return self.refuse(rec, p);
        }
        rec.outcome = Outcome::Ok;
        let throttled = self.lock().throttle.pop_front();
        if let Some((status, retry_after)) = throttled {
            return self.throttled(status, retry_after);
        }
        let fault = self.page_fault(rec);
        match fault {
            None => f(rec),
            Some(PageFault::Refuse(p)) => self.refuse(rec, Problem::new(&p)),
            Some(PageFault::Status(status)) => Response::json(
                status,
                &json!({"errorMessages": [http::reason(status)], "errors": {}}),
            ),
            Some(PageFault::Html) => Response::html(
                200,
                "<html><head><title>Down for maintenance</title></head>\
                 <body><p>JIRA is being upgraded.</p></body></html>\n",
            ),
            Some(PageFault::NextPage(next)) => {
                let mut r = f(rec);
                let mut page: serde_json::Value =
                    serde_json::from_slice(&r.body).expect("a paged endpoint answers JSON");
                page["isLast"] = json!(false);
                page["nextPage"] = json!(next);
                r.body = serde_json::to_vec(&page).expect("JSON serializes");
                r
            }
        }
    }

    /// The fault set for this request's page, if any.
    fn page_fault(&self, rec: &Recorded) -> Option<PageFault> {
        let local = rec.path.strip_prefix(self.ctx.as_str())?;
        let (start, _) = window(rec);
        self.lock()
            .page_faults
            .iter()
            .find(|(p, s, _)| p == local && *s == start)
            .map(|(_, _, f)| f.clone())
    }

    /// `startAt` and `maxResults` (JIRA's default 50) from the query;
    /// `startAt` is 0 when the mode ignores it.
    fn window(&self, rec: &Recorded) -> (usize, usize) {
        let (start, max) = window(rec);
        if self.mode().ignore_start_at {
            (0, max)
        } else {
            (start, max)
        }
    }

    /// JIRA's rate limiter (429, with its figures) or a node going down
    /// (503), with `retry_after` if any.
    fn throttled(&self, status: u16, retry_after: Option<String>) -> Response {
        let mut r = Response::json(
            status,
            &json!({"errorMessages": [http::reason(status)], "errors": {}}),
        );
        if let Some(v) = retry_after {
            r = r.header("Retry-After", v);
        }
        if status != 429 {
            return r;
        }
        r.header("X-RateLimit-Limit", "100")
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-FillRate", "10")
            .header("X-RateLimit-Interval-Seconds", "1")
    }

    /// A REST call without any OAuth: authentication required.
    fn unauthenticated(&self, rec: &mut Recorded) -> Response {
        let mut r = self.refuse(
            rec,
            Problem::new("parameter_absent").with(
                "oauth_parameters_absent",
                "oauth_consumer_key&oauth_token&oauth_signature_method&oauth_signature&oauth_timestamp&oauth_nonce",
            ),
        );
        r.status = 401;
        rec.outcome = Outcome::Unauthenticated;
        r
    }

    fn builtin_rest(&self, path: &str, rec: &Recorded) -> Response {
        let get = matches!(rec.method.as_str(), "GET" | "HEAD");
        if let Some(key) = path
            .strip_prefix("/rest/api/2/issue/")
            .and_then(|p| p.strip_suffix("/comment"))
        {
            return self.comments(key, rec);
        }
        match path {
            "/rest/api/2/myself" if get => Response::json(200, &self.myself()),
            // What clients such as Python's `jira` ask for first.
            "/rest/api/2/serverInfo" if get => Response::json(
                200,
                &json!({"baseUrl": self.base_url, "version": "9.12.0", "versionNumbers": [9, 12, 0],
                        "deploymentType": "Server", "serverTitle": "mock JIRA"}),
            ),
            "/rest/api/2/field" if get => Response::json(
                200,
                &json!([{"id": "summary", "name": "Summary", "custom": false, "navigable": true,
                         "searchable": true, "clauseNames": ["summary"],
                         "schema": {"type": "string", "system": "summary"}}]),
            ),
            "/rest/api/2/search" if get => self.search(rec),
            "/rest/api/3/project/search" if get => self.project_search(rec),
            "/rest/agile/1.0/board" if get => self.boards(rec),
            "/rest/echo" => echo(rec),
            p if get && p.starts_with("/rest/api/2/issue/") => {
                match self.issue_number(&p["/rest/api/2/issue/".len()..]) {
                    Some(n) => Response::json(200, &self.issue(n)),
                    None => Response::json(
                        404,
                        &json!({"errorMessages": ["Issue Does Not Exist"], "errors": {}}),
                    ),
                }
            }
            _ => Response::json(
                404,
                &json!({"message": "null for uri: ".to_string() + &rec.target, "status-code": 404}),
            ),
        }
    }

    /// `HSP-N` or its id `1000(N-1)`, for N from 1 to the issue count.
    fn issue_number(&self, key_or_id: &str) -> Option<usize> {
        let n = match key_or_id.strip_prefix("HSP-") {
            Some(n) => n.parse::<usize>().ok()?,
            None => key_or_id.parse::<usize>().ok()?.checked_sub(10000)? + 1,
        };
        (n >= 1 && n <= self.lock().counts.issues).then_some(n)
    }

    /// `startAt`/`maxResults`/`total` over the issues `HSP-1`…, those the
    /// `jql` selects when the mode honours it (else all of them).
    fn search(&self, rec: &Recorded) -> Response {
        let (count, honour_jql) = {
            let inner = self.lock();
            (inner.counts.issues, inner.mode.jql)
        };
        let mut numbers: Vec<usize> = (1..=count).collect();
        let jql = query_params(rec).find(|(n, _)| *n == "jql").map(|(_, v)| v);
        if let (true, Some(jql)) = (honour_jql, jql) {
            let refused =
                |msg: String| Response::json(400, &json!({"errorMessages": [msg], "errors": {}}));
            let query = match jql::parse(jql) {
                Ok(q) => q,
                Err(msg) => return refused(msg),
            };
            if let Err(msg) = query.check_projects(&[(PROJECT_KEY, PROJECT_NAME)]) {
                return refused(msg);
            }
            numbers.retain(|&n| {
                query.matches(&jql::Issue {
                    key: &format!("HSP-{n}"),
                    project_key: PROJECT_KEY,
                    project_name: PROJECT_NAME,
                    summary: &summary(n),
                })
            });
            if query.key_descending {
                numbers.reverse();
            }
        }
        let total = numbers.len();
        let (start, max) = self.window(rec);
        // JIRA answers the `fields` asked for (names it does not know are
        // left out, `*all` and `*navigable` mean every one); without it, JIRA
        // sends every navigable field, where this provider keeps to summary.
        let wanted: Vec<&str> = query_params(rec)
            .find(|(n, _)| *n == "fields")
            .map_or(vec!["summary"], |(_, v)| {
                v.split(',').map(str::trim).collect()
            });
        let all = wanted.iter().any(|f| matches!(*f, "*all" | "*navigable"));
        let issues: Vec<_> = numbers
            .iter()
            .skip(start)
            .take(max)
            .map(|&n| {
                let mut issue = self.issue(n);
                issue["expand"] = json!("operations,editmeta,changelog,renderedFields");
                if let Some(fields) = issue["fields"].as_object_mut() {
                    fields.retain(|name, _| all || wanted.contains(&name.as_str()));
                }
                issue
            })
            .collect();
        Response::json(
            200,
            &json!({
                "expand": "schema,names",
                "startAt": start,
                "maxResults": max,
                "total": total,
                "issues": issues
            }),
        )
    }

    /// GET: the fake comments then the posted ones, paged as JIRA does.
    /// POST: adds the JSON body's `body` as a comment and echoes it (201).
    fn comments(&self, key: &str, rec: &Recorded) -> Response {
        let b = self.base_url.clone();
        let author = json!({"name": "admin", "key": "admin", "displayName": "Administrator"});
        match rec.method.as_str() {
            "POST" => {
                let text = serde_json::from_slice::<serde_json::Value>(&rec.body)
                    .ok()
                    .and_then(|v| v.get("body").and_then(|b| b.as_str()).map(str::to_string));
                let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
                    return Response::json(
                        400,
                        &json!({"errorMessages": [], "errors": {"comment": "Comment body can not be empty!"}}),
                    );
                };
                let mut inner = self.lock();
                let fake = inner.counts.comments;
                let posted = inner.comments.entry(key.to_string()).or_default();
                let id = 20000 + fake + posted.len();
                let c = json!({
                    "self": format!("{b}/rest/api/2/issue/{key}/comment/{id}"),
                    "id": id.to_string(),
                    "author": author,
                    "body": text,
                    "created": "2024-03-06T09:00:00.000+0000",
                    "updated": "2024-03-06T09:00:00.000+0000"
                });
                posted.push(c.clone());
                Response::json(201, &c)
            }
            "GET" | "HEAD" => {
                let (fake, posted) = {
                    let inner = self.lock();
                    (
                        inner.counts.comments,
                        inner.comments.get(key).cloned().unwrap_or_default(),
                    )
                };
                let all: Vec<_> = (0..fake)
                    .map(|i| {
                        json!({
                            "self": format!("{b}/rest/api/2/issue/{key}/comment/{}", 20000 + i),
                            "id": (20000 + i).to_string(),
                            "author": author,
                            "body": format!("Comment {}", i + 1),
                            "created": "2024-03-05T09:00:00.000+0000"
                        })
                    })
                    .chain(posted)
                    .collect();
                let (start, max) = self.window(rec);
                let page: Vec<_> = all.iter().skip(start).take(max).cloned().collect();
                Response::json(
                    200,
                    &json!({"startAt": start, "maxResults": max, "total": all.len(), "comments": page}),
                )
            }
            _ => Response::text(405, "").header("Allow", "GET, POST"),
        }
    }

    /// The newer style: `isLast`, `nextPage` (absolute) and `values`.
    fn project_search(&self, rec: &Recorded) -> Response {
        let total = self.lock().counts.projects;
        let (start, max) = self.window(rec);
        let end = total.min(start + max);
        let b = &self.base_url;
        let values: Vec<_> = (start..end)
            .map(|i| {
                json!({
                    "self": format!("{b}/rest/api/3/project/{}", 10000 + i),
                    "id": (10000 + i).to_string(),
                    "key": format!("P{}", i + 1),
                    "name": format!("Project {}", i + 1)
                })
            })
            .collect();
        let url = |s: usize| format!("{b}/rest/api/3/project/search?startAt={s}&maxResults={max}");
        let mut page = json!({
            "self": url(start),
            "maxResults": max,
            "startAt": start,
            "total": total,
            "isLast": end >= total,
            "values": values
        });
        if end < total {
            page["nextPage"] = json!(url(end));
        }
        Response::json(200, &page)
    }

    /// JIRA Software's style: `startAt`, `maxResults` and `isLast`, without
    /// `nextPage` or `total`.
    fn boards(&self, rec: &Recorded) -> Response {
        let total = self.lock().counts.boards;
        let (start, max) = self.window(rec);
        let end = total.min(start + max);
        let b = &self.base_url;
        let values: Vec<_> = (start..end)
            .map(|i| {
                json!({
                    "id": i + 1,
                    "self": format!("{b}/rest/agile/1.0/board/{}", i + 1),
                    "name": format!("Board {}", i + 1),
                    "type": "scrum"
                })
            })
            .collect();
        Response::json(
            200,
            &json!({"maxResults": max, "startAt": start, "isLast": end >= total, "values": values}),
        )
    }

    fn myself(&self) -> serde_json::Value {
        let b = &self.base_url;
        json!({
            "self": format!("{b}/rest/api/2/user?username=admin"),
            "key": "admin",
            "name": "admin",
            "emailAddress": "admin@example.com",
            "avatarUrls": {
                "48x48": format!("{b}/secure/useravatar?avatarId=10122"),
                "24x24": format!("{b}/secure/useravatar?size=small&avatarId=10122"),
            },
            "displayName": "Administrator",
            "active": true,
            "timeZone": "Etc/UTC",
            "locale": "en_US",
            "groups": {"size": 2, "items": []},
            "applicationRoles": {"size": 1, "items": []},
            "expand": "groups,applicationRoles"
        })
    }

    /// `HSP-n`; `HSP-1` has non-ASCII text in its summary and description.
    fn issue(&self, n: usize) -> serde_json::Value {
        let b = &self.base_url;
        let id = 10000 + n - 1;
        let description = if n == 1 {
            "Steps: export the menu as CSV.\r\nExpected: 'Café' stays 'Café'.".to_string()
        } else {
            format!("{}.", summary(n))
        };
        json!({
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": id.to_string(),
            "self": format!("{b}/rest/api/2/issue/{id}"),
            "key": format!("HSP-{n}"),
            "fields": {
                "summary": summary(n),
                "issuetype": {
                    "self": format!("{b}/rest/api/2/issuetype/1"),
                    "id": "1",
                    "name": "Bug",
                    "subtask": false
                },
                "project": {
                    "self": format!("{b}/rest/api/2/project/10000"),
                    "id": "10000",
                    "key": PROJECT_KEY,
                    "name": PROJECT_NAME
                },
                "status": {
                    "self": format!("{b}/rest/api/2/status/1"),
                    "id": "1",
                    "name": "Open",
                    "statusCategory": {"id": 2, "key": "new", "name": "To Do"}
                },
                "priority": {"id": "3", "name": "Major"},
                "assignee": null,
                "reporter": {
                    "self": format!("{b}/rest/api/2/user?username=admin"),
                    "name": "admin",
                    "key": "admin",
                    "displayName": "Administrator",
                    "active": true
                },
                "labels": if n == 1 { json!(["export", "i18n"]) } else { json!([]) },
                "created": "2024-03-04T10:15:30.000+0000",
                "updated": "2024-03-05T08:01:12.000+0000",
                "description": description
            }
        })
    }
}

const PROJECT_KEY: &str = "HSP";
const PROJECT_NAME: &str = "homosapien";

/// The summaries of `HSP-1`…: words for the README's JQL examples
/// (`crash`, and `+`, `&`, `#`, which a URL typed as is would mangle).
const SUMMARIES: &[&str] = &[
    "Café menu: umlauts (Grüße) break the export — again",
    "Crash when a comment quotes C++ code",
    "R&D dashboard loads forever",
    "Export drops the comments of ticket #42",
    "Board crashes on an empty sprint",
    "Dark mode for the issue navigator",
    "Upgrade the build to Java 17",
];

fn summary(n: usize) -> String {
    SUMMARIES
        .get(n - 1)
        .map_or_else(|| format!("Issue {n}"), |s| s.to_string())
}

/// `startAt` and `maxResults` (JIRA's default 50) from the query.
fn window(rec: &Recorded) -> (usize, usize) {
    let num = |name: &str, default: usize| {
        query_params(rec)
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(default)
    };
    (num("startAt", 0), num("maxResults", 50).max(1))
}

fn query_params(rec: &Recorded) -> impl Iterator<Item = (&str, &str)> {
    rec.params
        .iter()
        .filter(|p| p.source == Source::Query)
        .map(|p| (p.name.as_str(), p.value.as_str()))
}

/// The request as the server saw it: method, decoded query parameters (the
/// `oauth_*` ones left out), headers, and the body as text.
fn echo(rec: &Recorded) -> Response {
    let query: Vec<_> = query_params(rec)
        .filter(|(n, _)| !n.starts_with("oauth_"))
        .map(|(n, v)| json!([n, v]))
        .collect();
    let headers: Vec<_> = rec.headers.iter().map(|(n, v)| json!([n, v])).collect();
    Response::json(
        200,
        &json!({
            "method": rec.method,
            "path": rec.path,
            "query": query,
            "headers": headers,
            "body": rec.body_text()
        }),
    )
}
