//! One logical request as scripts need it: retried on 429 and 503 (GET and
//! HEAD only, honouring `Retry-After`), redirects on the same origin
//! followed, every try signed afresh with a new nonce.

use crate::client::{Call, Client, Prepared};
use crate::error::{Error, Result};
use crate::problem::Context;
use crate::transport::Response;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use std::time::{Duration, SystemTime};
use url::Url;

/// How far to go for one request.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Tries after the first, on 429 and 503.
    pub retries: u32,
    /// The longest wait for one `Retry-After`.
    pub max_wait: Duration,
    /// Same-origin redirects followed before giving up.
    pub max_redirects: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            retries: 2,
            max_wait: Duration::from_secs(60),
            max_redirects: 5,
        }
    }
}

/// Sends `call`, following its policy; returns a 2xx answer.
pub fn send(client: &Client, call: &Call, policy: &Policy) -> Result<Response> {
    send_prepared(client, call, None, policy)
}

/// As [`send`], with the first try already signed (`first` must be `call`
/// prepared); retries and redirects are signed afresh.
pub fn send_prepared(
    client: &Client,
    call: &Call,
    first: Option<Prepared>,
    policy: &Policy,
) -> Result<Response> {
    answer(client, call, first, policy)?.check(client)
}

/// The last answer of one logical request (after retries and redirects),
/// not yet judged: `-i` prints an error's head before it is reported.
pub struct Answer {
    pub response: Response,
    context: Context,
    /// The call as last sent (a redirect changes its URL, maybe its method).
    call: Call,
    /// Tries made, when a 429 outlasted them.
    rate_limited: Option<u32>,
}

impl Answer {
    /// The 2xx or 3xx answer, else the error it stands for.
    pub fn check(self, client: &Client) -> Result<Response> {
        if let Some(tries) = self.rate_limited {
            return Err(rate_limited(&self.response, &self.call, tries));
        }
        client.check(self.response, &self.context, &self.call)
    }
}

/// As [`send_prepared`], the final answer returned whatever its status.
pub fn answer(
    client: &Client,
    call: &Call,
    first: Option<Prepared>,
    policy: &Policy,
) -> Result<Answer> {
    let mut call = call.clone();
    let mut first = first;
    let mut redirects = 0;
    let mut tries = 0;
    loop {
        let (resp, ctx) = match first.take() {
            Some(prepared) => client.dispatch(prepared)?,
            None => client.send_unchecked(&call)?,
        };
        let status = resp.status();
        if is_redirect(status) {
            let to = redirect_target(&resp, &call.url)?;
            redirects += 1;
            if redirects > policy.max_redirects {
                return Err(Error::http(format!(
                    "more than {} redirects, the last from {} to {to}",
                    policy.max_redirects, call.url
                )));
            }
            client
                .transport()
                .trace(&format!("* HTTP {} redirect to {to}", status.as_u16()));
            redirect(&mut call, status, to);
            continue;
        }
        let retryable = matches!(call.method, Method::GET | Method::HEAD)
            && matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            )
            && !has_oauth_problem(resp.headers());
        if retryable && tries < policy.retries {
            tries += 1;
            let wait = retry_after(resp.headers(), SystemTime::now())
                .unwrap_or_else(|| Duration::from_secs(1 << (tries - 1).min(5)));
            let capped = wait.min(policy.max_wait);
            crate::warn(&format!(
                "HTTP {} from {}: retrying in {} (try {} of {}){}",
                status.as_u16(),
                call.url,
                seconds(capped),
                tries + 1,
                policy.retries + 1,
                if capped < wait {
                    format!("; Retry-After asked {}, capped", seconds(wait))
                } else {
                    String::new()
                }
            ));
            drop(resp);
            std::thread::sleep(capped);
            continue;
        }
        let rate_limited = (retryable && status == StatusCode::TOO_MANY_REQUESTS).then_some(tries);
        return Ok(Answer {
            response: resp,
            context: ctx,
            call,
            rate_limited,
        });
    }
}

/// The 3xx that point elsewhere; 304 Not Modified (a conditional
/// request's answer), 300 and 305 are answers in their own right.
fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Where a 3xx points; another origin is refused, since following it would
/// sign a request for a server the user never named.
fn redirect_target(resp: &Response, from: &Url) -> Result<Url> {
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::http(format!("HTTP {status} from {from} without a Location")))?;
    let to = from.join(location).map_err(|_| {
        Error::http(format!(
            "HTTP {status} from {from} to an invalid Location '{location}'"
        ))
    })?;
    if to.origin() != from.origin() {
        return Err(Error::http(format!(
            "{from} redirects (HTTP {status}) to another origin, {to}: not followed"
        ))
        .with_hint(
            "request that URL directly if you trust it; the token is not sent to another server",
        ));
    }
    Ok(to)
}

/// 303 (and 301/302 after anything but GET/HEAD) become a GET without a
/// body, as browsers and curl do; 307 and 308 repeat the request.
fn redirect(call: &mut Call, status: StatusCode, to: Url) {
    let keep = matches!(
        status,
        StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT
    ) || (status != StatusCode::SEE_OTHER
        && matches!(call.method, Method::GET | Method::HEAD));
    if !keep {
        call.method = Method::GET;
        call.body = None;
    }
    call.url = to;
}

fn has_oauth_problem(headers: &HeaderMap) -> bool {
    headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|s| s.contains("oauth_problem")))
}

/// `Retry-After` as seconds or as an HTTP date
/// ([RFC 9110 §10.2.3](https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3)).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64().round())
}

/// A 429 that outlasted the retries, with JIRA's rate-limit figures.
fn rate_limited(resp: &Response, call: &Call, tries: u32) -> Error {
    let mut figures: Vec<String> = resp
        .headers()
        .iter()
        .filter(|(k, _)| {
            k.as_str().starts_with("x-ratelimit-") || *k == reqwest::header::RETRY_AFTER
        })
        .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or("?")))
        .collect();
    figures.sort();
    let mut msg = format!(
        "HTTP 429 Too Many Requests from {} {} after {} tries",
        call.method,
        call.url,
        tries + 1
    );
    if !figures.is_empty() {
        msg.push_str(&format!(" ({})", figures.join(", ")));
    }
    Error::http(msg).with_hint("JIRA is rate-limiting this user: wait, or raise --retries")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        h.insert("retry-after", HeaderValue::from_str(&later).unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn see_other_becomes_get() {
        let cases = [
            (Method::POST, StatusCode::SEE_OTHER, Method::GET),
            (Method::PUT, StatusCode::TEMPORARY_REDIRECT, Method::PUT),
        ];
        for (from, status, to) in cases {
            let mut c = Call::new(from, Url::parse("https://h/a").unwrap());
            redirect(&mut c, status, Url::parse("https://h/b").unwrap());
            assert_eq!(c.method, to, "{status}");
        }
    }
}
