//! What every REST call goes through before its endpoint, as JIRA's REST
//! layer does it: anonymous mode, a bearer token (PAT, OAuth 2.0), or the
//! OAuth 1.0a check; then the throttling (429, 503) and page faults a test
//! set up.

use super::oauth::{self, Problem, Source};
use super::verify::Need;
use super::{http, Outcome, PageFault, Recorded, Response, Shared};
use serde_json::json;

/// A token JIRA takes as `Authorization: Bearer` on every REST route.
#[derive(Clone, Debug)]
pub struct Bearer {
    /// By the server's clock; `None` never expires (a PAT made without one).
    pub expires_at: Option<i64>,
    pub revoked: bool,
}

impl Shared {
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
    pub(super) fn rest(
        &self,
        rec: &mut Recorded,
        f: impl FnOnce(&Recorded) -> Response,
    ) -> Response {
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
    pub(super) fn window(&self, rec: &Recorded) -> (usize, usize) {
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
}

/// `startAt` and `maxResults` (JIRA's default 50) from the query.
pub(super) fn window(rec: &Recorded) -> (usize, usize) {
    let num = |name: &str, default: usize| {
        query_params(rec)
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(default)
    };
    // As JIRA: `maxResults=0` answers the total with no items (clients
    // count that way).
    (num("startAt", 0), num("maxResults", 50))
}

pub(super) fn query_params(rec: &Recorded) -> impl Iterator<Item = (&str, &str)> {
    rec.params
        .iter()
        .filter(|p| p.source == Source::Query)
        .map(|p| (p.name.as_str(), p.value.as_str()))
}
