//! An answer judged: a 2xx or 3xx goes on (a 2xx that JIRA served to
//! `anonymous` warned of, or refused for a bearer), HTTP 400 and above
//! become the error they stand for (`problem` explains JIRA's refusals).

use crate::client::{Call, Client};
use crate::error::{Error, Result};
use crate::problem::{self, Context};
use crate::transport::Response;

/// The bound on an error report or token answer read into memory.
pub const SMALL_BODY: u64 = 256 * 1024;

impl Client {
    /// Classifies an answer: a refusal is exit 4, another HTTP error exit
    /// 1; a 2xx that JIRA served to `anonymous` gets a warning. A 2xx or
    /// 3xx is returned.
    pub fn check(&self, resp: Response, ctx: &Context, call: &Call) -> Result<Response> {
        let status = resp.status();
        if status.is_success() {
            if problem::answered_anonymously(resp.headers()) {
                // A bearer JIRA does not take is served to anonymous: refused.
                if ctx.bearer {
                    return Err(problem::bearer_refused(ctx, "answered as 'anonymous'"));
                }
                crate::warn(problem::ANONYMOUS_WARNING);
            }
            return Ok(resp);
        }
        if status.is_redirection() {
            return Ok(resp);
        }
        Err(self.error_for(resp, ctx, call))
    }

    /// The error an answer of HTTP 400 or above stands for.
    pub fn error_for(&self, resp: Response, ctx: &Context, call: &Call) -> Error {
        match self.read_failure(resp) {
            Ok(f) => f.explain(ctx, call),
            Err(e) => e,
        }
    }

    /// An answer of HTTP 400 or above, read (up to a bound) for its report.
    pub fn read_failure(&self, mut resp: Response) -> Result<Failure> {
        let body = self.read_body(&mut resp, Some(SMALL_BODY))?;
        Ok(Failure {
            status: resp.status(),
            headers: resp.headers().clone(),
            body,
        })
    }
}

/// A failed answer, read.
pub struct Failure {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Failure {
    /// JIRA's refusal explained, else the status with JIRA's `errorMessages`.
    pub fn explain(&self, ctx: &Context, call: &Call) -> Error {
        let status = self.status;
        if let Some(e) = problem::refusal(status.as_u16(), &self.headers, &self.body, ctx) {
            return e;
        }
        let body = &self.body;
        let detail = problem::jira_error_summary(body).unwrap_or_else(|| problem::snippet(body));
        let reason = status.canonical_reason().unwrap_or("");
        let mut msg = format!(
            "HTTP {} {reason} from {} {}",
            status.as_u16(),
            call.method,
            call.url
        );
        if !detail.is_empty() {
            msg.push_str(&format!(": {detail}"));
        }
        Error::http(msg)
    }
}
