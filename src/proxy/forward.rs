//! One request through the proxy: checked, its headers cleaned, signed by
//! the same `Client::prepare` that `request` uses, sent with its body
//! streamed, and the answer streamed back with its links rewritten.

use super::answer::{self, Answer, LogLine};
use super::{refresh, rewrite, State};
use crate::body::{self, Body};
use crate::client::Call;
use crate::problem;
use bytes::Bytes;
use http_body_util::{BodyExt, BodyStream, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;

/// A form body is read whole to be signed; a bigger one is refused.
pub const FORM_LIMIT: usize = 16 * 1024 * 1024;

/// Hop-by-hop headers (RFC 9110 §7.6.1), never forwarded either way.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The client's credentials for the proxy, which must not reach JIRA, and
/// what the proxy sets itself.
const NEVER_FORWARDED: [&str; 6] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "host",
    "content-length",
    "expect",
];

pub async fn handle(
    state: Arc<State>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Response<Answer> {
    let log = LogLine::start(peer, &req);
    if req.method() == Method::CONNECT {
        return answer::error(
            log,
            StatusCode::METHOD_NOT_ALLOWED,
            "CONNECT is not served: this is a gateway to one JIRA",
        );
    }
    if let Some(authority) = req.uri().authority() {
        if !state.is_own(req.uri().scheme_str(), authority.as_str()) {
            return answer::error(
                log,
                StatusCode::FORBIDDEN,
                "requests go to the JIRA this proxy serves, not to another origin",
            );
        }
    }
    if let Some(gate) = &state.gate {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(HeaderValue::as_bytes);
        if !gate.admits(presented) {
            return answer::unauthorized(log);
        }
    }
    match forward(&state, req, log.clone()).await {
        Ok(resp) => resp,
        Err((status, message)) => {
            crate::warn(&format!("{} {}: {message}", log.method, log.path));
            answer::error(log, status, &message)
        }
    }
}

type Failed = (StatusCode, String);

async fn forward(
    state: &Arc<State>,
    req: Request<Incoming>,
    log: LogLine,
) -> Result<Response<Answer>, Failed> {
    let (parts, incoming) = req.into_parts();
    let (call, stream) = outgoing(state, &parts, incoming).await?;
    let resp = exchange(state, &call, stream, &log).await?;
    Ok(answer(state, resp, log))
}

/// The call to JIRA for a client's request: its URL on the base, its
/// headers cleaned, a form body read to be signed, any other body
/// streamed as it comes.
async fn outgoing(
    state: &State,
    parts: &hyper::http::request::Parts,
    incoming: Incoming,
) -> Result<(Call, Option<reqwest::Body>), Failed> {
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let url = url::Url::parse(&format!("{}{path_and_query}", state.base)).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            format!("cannot map {path_and_query} onto the base URL: {e}"),
        )
    })?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let is_form = content_type.as_deref().is_some_and(body::is_form);
    let is_multipart = content_type.as_deref().is_some_and(|c| {
        c.trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/")
    });

    let mut call = state.call(parts.method.clone(), url);
    call.headers = request_headers(&parts.headers, is_form);
    let has_xsrf = parts.headers.contains_key("x-atlassian-token");
    if (is_form || is_multipart) && !has_xsrf {
        call.headers
            .push(("X-Atlassian-Token".into(), "no-check".into()));
    }
    if is_form {
        let bytes = read_form(&parts.headers, incoming).await?;
        call.body = Some(Body::new(content_type, bytes));
        return Ok((call, None));
    }
    if !has_body(&parts.headers) {
        return Ok((call, None));
    }
    if let Some(n) = parts.headers.get(header::CONTENT_LENGTH) {
        call.headers
            .push(("Content-Length".into(), n.to_str().unwrap_or("0").into()));
    }
    let data = BodyStream::new(incoming).filter_map_data();
    Ok((call, Some(reqwest::Body::wrap_stream(data))))
}

/// A form body, read whole (it is signed), up to `FORM_LIMIT`: a larger
/// one is refused as soon as its length says so.
async fn read_form(headers: &HeaderMap, incoming: Incoming) -> Result<Vec<u8>, Failed> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > FORM_LIMIT as u64) {
        return Err(too_large());
    }
    let collected = Limited::new(incoming, FORM_LIMIT)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                too_large()
            } else {
                (
                    StatusCode::BAD_REQUEST,
                    format!("the request's body broke off: {e}"),
                )
            }
        })?;
    Ok(collected.to_bytes().to_vec())
}

/// Sends the call and returns JIRA's answer. A refused OAuth 2.0 token is
/// refreshed; the request goes again when its body is held here (none, or
/// a form), else the refusal goes back and the client's next request
/// carries the new token. An OAuth refusal is logged with its hint.
async fn exchange(
    state: &Arc<State>,
    call: &Call,
    stream: Option<reqwest::Body>,
    log: &LogLine,
) -> Result<reqwest::Response, Failed> {
    refresh::before(state).await;
    let replayable = stream.is_none();
    let (mut resp, mut ctx, sent) = send(state, call, stream).await?;
    let mut outcome = refresh::Outcome::Taken;
    if let Some(sent) = sent {
        outcome = refresh::after(state, &resp, &sent).await;
        if outcome == refresh::Outcome::Refreshed && replayable {
            let again;
            (resp, ctx, again) = send(state, call, None).await?;
            if let Some(token) = again {
                state
                    .client
                    .bearer_refused(&token, resp.status(), resp.headers());
            }
            outcome = refresh::Outcome::Taken;
        }
    }
    let status = resp.status().as_u16();
    match outcome {
        refresh::Outcome::Refreshed => crate::warn(&format!(
            "{} {}: JIRA refused the OAuth 2.0 token; it is refreshed, and the client's next \
             request carries the new one (this body was streamed: it is not sent twice)",
            log.method, log.path
        )),
        // Said already, with its hint.
        refresh::Outcome::Failed => {}
        refresh::Outcome::Taken if status >= 400 => {
            if let Some(e) = problem::refusal(status, resp.headers(), &[], &ctx) {
                let hint = e.hint.map(|h| format!(" (hint: {h})")).unwrap_or_default();
                crate::warn(&format!("{} {}: {}{hint}", log.method, log.path, e.message));
            }
        }
        refresh::Outcome::Taken => {}
    }
    Ok(resp)
}

/// JIRA's answer for the client: its headers cleaned, `Location` and the
/// links in a JSON body rewritten to the proxy, the body streamed.
fn answer(state: &State, resp: reqwest::Response, mut log: LogLine) -> Response<Answer> {
    let status = resp.status();
    let json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.to_ascii_lowercase().contains("json"));
    let rewriter =
        (state.rewrite && json).then(|| rewrite::Rewriter::new(&state.base, &state.proxy_url));
    let mut builder = Response::builder().status(status);
    let headers = builder.headers_mut().expect("a new builder");
    for (name, value) in answer_headers(resp.headers()) {
        if rewriter.is_some() && name == header::CONTENT_LENGTH {
            continue;
        }
        let value = match (&name, state.rewrite) {
            (&header::LOCATION, true) => value
                .to_str()
                .ok()
                .and_then(|v| {
                    rewrite::location(v, &state.base, &state.context_path, &state.proxy_url)
                })
                .and_then(|v| HeaderValue::from_str(&v).ok())
                .unwrap_or(value),
            _ => value,
        };
        headers.append(name, value);
    }
    log.status = status.as_u16();
    // No body follows a HEAD answer, a 204 or a 304 (RFC 9110 §9.3.2,
    // §15.3.5, §15.4.5): hyper sends none, so it is whole as it is.
    let bodiless = log.method == "HEAD" || matches!(status.as_u16(), 204 | 304);
    log.complete = bodiless;
    let length = resp.content_length();
    let body = Answer::streamed(Box::pin(resp.bytes_stream()), rewriter, log, length);
    builder.body(body).expect("a valid head")
}

/// Signs the call (the same `Client::prepare` as `request`) and sends it,
/// with `stream` as its body if given; returns the bearer token it carried.
async fn send(
    state: &State,
    call: &Call,
    stream: Option<reqwest::Body>,
) -> Result<(reqwest::Response, problem::Context, Option<String>), Failed> {
    let prepared = state
        .client
        .prepare(call)
        .map_err(|e| (StatusCode::BAD_REQUEST, e.message))?;
    let sent = prepared.bearer().map(str::to_string);
    let (request, ctx) = prepared.into_parts();
    if let Some(base) = &ctx.base_string {
        state
            .client
            .transport()
            .trace(&format!("* signature base string: {base}"));
    }
    let resp = state
        .client
        .transport()
        .send_async(request, stream)
        .await
        .map_err(|e| {
            let status = if e.message.starts_with("no answer from") {
                StatusCode::GATEWAY_TIMEOUT
            } else {
                StatusCode::BAD_GATEWAY
            };
            (status, e.message)
        })?;
    Ok((resp, ctx, sent))
}

fn too_large() -> Failed {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("a form body is read to be signed, up to {FORM_LIMIT} bytes; this one is larger"),
    )
}

/// A body follows the head: a length above 0, or chunked framing.
fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

/// The headers named in `Connection` (RFC 9110 §7.6.1), lower-cased.
fn connection_named(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// The client's headers that go on to JIRA: no credentials of its own,
/// nothing hop-by-hop; a form's `Content-Type` is set by the signed call.
/// Without `Accept-Encoding`: links in a compressed answer could not be
/// rewritten.
pub fn request_headers(headers: &HeaderMap, is_form: bool) -> Vec<(String, String)> {
    let named = connection_named(headers);
    headers
        .iter()
        .filter(|(name, _)| {
            let n = name.as_str();
            let dropped = HOP_BY_HOP.contains(&n)
                || NEVER_FORWARDED.contains(&n)
                || n == "accept-encoding"
                || (is_form && n == "content-type")
                || named.iter().any(|c| c == n);
            !dropped
        })
        .filter_map(|(name, value)| {
            Some((name.as_str().to_string(), value.to_str().ok()?.to_string()))
        })
        .collect()
}

/// JIRA's answer headers that go back: nothing hop-by-hop, no cookies
/// (a JIRA session must not outlive the signed request).
pub fn answer_headers(headers: &HeaderMap) -> Vec<(HeaderName, HeaderValue)> {
    let named = connection_named(headers);
    headers
        .iter()
        .filter(|(name, _)| {
            let n = name.as_str();
            !HOP_BY_HOP.contains(&n) && n != "set-cookie" && !named.iter().any(|c| c == n)
        })
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

/// Data frames only (trailers are not forwarded).
trait DataOnly {
    fn filter_map_data(
        self,
    ) -> impl futures_util::Stream<Item = Result<Bytes, hyper::Error>> + Send + 'static;
}

impl DataOnly for BodyStream<Incoming> {
    fn filter_map_data(
        self,
    ) -> impl futures_util::Stream<Item = Result<Bytes, hyper::Error>> + Send + 'static {
        use futures_util::StreamExt;
        self.filter_map(|frame| async move {
            match frame {
                Ok(f) => f.into_data().ok().map(Ok),
                Err(e) => Some(Err(e)),
            }
        })
    }
}
