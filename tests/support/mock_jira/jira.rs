//! The provider's state, how a request is recorded and sent to its
//! endpoint, and the REST endpoints. JIRA's OAuth rules live by concern:
//! - `verify`: the OAuth 1.0a check of a signed request, and JIRA's refusal;
//! - `dance`: request-token, the authorize page, access-token;
//! - `tokens`: the OAuth 1.0a tokens and the state file;
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
use super::oauth::{self, Problem, Source};
use super::{
    Counts, Mode, Options, Outcome, PageFault, Recorded, TokenReply, ACCESS_TOKEN_LIFETIME,
    NONCE_WINDOW, REQUEST_TOKEN_LIFETIME, TIMESTAMP_WINDOW,
};
use rand::distributions::{Alphanumeric, DistString};
use rsa::RsaPublicKey;
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

mod dance;
#[path = "oauth2_provider.rs"]
pub mod oauth2_provider;
mod tokens;
mod verify;

use tokens::Token;
use verify::Need;

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
