//! JIRA's refusals made plain: an `oauth_problem` (from `WWW-Authenticate`
//! or a form-encoded body), a CAPTCHA'd account, a bare 401. Each becomes one
//! error line and a hint that says what to do.

use crate::error::Error;
use crate::signature::decode_form;
use percent_encoding::percent_decode_str;
use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime};

/// An OAuth problem report
/// ([OAuth Problem Reporting extension](https://wiki.oauth.net/w/page/12238543/ProblemReporting)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub name: String,
    /// Every parameter that came with it (`oauth_problem_advice`,
    /// `oauth_signature_base_string`, `oauth_acceptable_timestamps`, …).
    pub params: Vec<(String, String)>,
}

impl Problem {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the client knew when it sent the request: used to explain a refusal.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub consumer_key: String,
    /// The base string that was signed.
    pub base_string: Option<String>,
    /// The local clock when the request was signed.
    pub sent_at: Option<SystemTime>,
    /// Which call this was, for the hint: a token call or a REST call.
    pub token_call: bool,
    /// The base URL of the stored login whose token was sent, if it was one:
    /// then `login` renews it, no dance by hand is needed.
    pub stored_login: Option<String>,
    /// The request carried a bearer token (OAuth 2.0, a PAT), not a signature.
    pub bearer: bool,
}

/// Parses the auth-params of a `WWW-Authenticate: OAuth …` challenge.
/// Tolerant: a malformed header yields what could be read, never a panic.
pub fn parse_challenge(value: &str) -> Option<Vec<(String, String)>> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("OAuth") {
        return None;
    }
    let mut params = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(c) if *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let name: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ','))
            .collect::<String>()
            .trim()
            .to_string();
        if name.is_empty() && chars.peek().is_none() {
            break;
        }
        let mut val = String::new();
        if chars.next_if_eq(&'=').is_some() {
            if chars.next_if_eq(&'"').is_some() {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => val.extend(chars.next()),
                        '"' => break,
                        c => val.push(c),
                    }
                }
            } else {
                val = std::iter::from_fn(|| chars.next_if(|c| *c != ',')).collect();
                val = val.trim().to_string();
            }
        }
        if !name.is_empty() {
            let decoded = percent_decode_str(&val).decode_utf8_lossy().into_owned();
            params.push((name, decoded));
        }
    }
    Some(params)
}

/// Finds the `oauth_problem` of a response, in its `WWW-Authenticate`
/// header or in a form-encoded body.
pub fn find_problem(headers: &HeaderMap, body: &[u8]) -> Option<Problem> {
    let from_header = headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(parse_challenge)
        .find(|p| p.iter().any(|(k, _)| k == "oauth_problem"));
    let from_body = (body.len() < 64 * 1024
        && std::str::from_utf8(body).is_ok_and(|b| b.contains("oauth_problem=")))
    .then(|| decode_form(body.trim_ascii()));
    // The body carries more (the server's base string); the header is the fallback.
    let params = match (from_body, from_header) {
        (Some(mut b), Some(h)) => {
            b.extend(h.into_iter().filter(|(k, _)| k != "realm"));
            b
        }
        (Some(b), None) => b,
        (None, Some(h)) => h,
        (None, None) => return None,
    };
    let name = params
        .iter()
        .find(|(k, _)| k == "oauth_problem")
        .map(|(_, v)| v.trim().to_string())?;
    Some(Problem { name, params })
}

/// The error for a refused request, or `None` when the response is not an
/// OAuth refusal (a 2xx, or an ordinary HTTP error such as a 404).
pub fn refusal(status: u16, headers: &HeaderMap, body: &[u8], ctx: &Context) -> Option<Error> {
    if ctx.bearer {
        return bearer_refusal(status, headers, ctx);
    }
    if let Some(problem) = find_problem(headers, body) {
        return Some(explain(&problem, status, headers, ctx));
    }
    if let Some(e) = account_refused(headers) {
        return Some(e);
    }
    (status == 401).then(|| {
        Error::oauth("JIRA refused the request (HTTP 401) without naming an OAuth problem")
            .with_hint(if ctx.token_call {
                "check the consumer key and that JIRA's Application Link has your public key (jira-oauth pubkey prints it)".to_string()
            } else if let Some(base) = &ctx.stored_login {
                format!("the stored login may be revoked: run jira-oauth login {base}")
            } else {
                "the access token may be revoked or for another server: run the OAuth dance again".to_string()
            })
    })
}

/// A bearer token refused: JIRA answers a dead one with its usual
/// `OAuth realm=...` challenge and no problem worth naming, so a 401 is
/// the whole story.
fn bearer_refusal(status: u16, headers: &HeaderMap, ctx: &Context) -> Option<Error> {
    if let Some(e) = account_refused(headers) {
        return Some(e);
    }
    (status == 401).then(|| bearer_refused(ctx, "HTTP 401"))
}

/// The error for a bearer token JIRA did not take (`why`: what it answered).
pub fn bearer_refused(ctx: &Context, why: &str) -> Error {
    let hint = match &ctx.stored_login {
        Some(base) => {
            format!("the stored login may be revoked or expired: run jira-oauth login {base} again")
        }
        None => "the token may be revoked, expired or for another server: make a new one in \
                 JIRA (profile, Personal Access Tokens)"
            .to_string(),
    };
    Error::oauth(format!("JIRA refused the bearer token ({why})")).with_hint(hint)
}

/// JIRA's Seraph refuses the account itself, usually wanting a CAPTCHA.
fn account_refused(headers: &HeaderMap) -> Option<Error> {
    let reason = header(headers, "x-seraph-loginreason")?;
    let reason = reason.split(',').map(str::trim).find(|r| {
        r.eq_ignore_ascii_case("AUTHENTICATION_DENIED")
            || r.eq_ignore_ascii_case("AUTHENTICATED_FAILED")
    })?;
    let denied = header(headers, "x-authentication-denied-reason").unwrap_or_default();
    let login_url = denied
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("login-url="))
        .next()
        .map(str::to_string);
    let captcha = denied.to_ascii_uppercase().contains("CAPTCHA");
    let message = if captcha || reason.eq_ignore_ascii_case("AUTHENTICATION_DENIED") {
        format!("JIRA refuses this account until a CAPTCHA is answered ({reason})")
    } else {
        format!("JIRA refused to authenticate this account ({reason})")
    };
    let hint = match login_url {
        Some(url) => format!(
            "log in once in a browser at {url} (answering the CAPTCHA), then run the command again"
        ),
        None => {
            "log in to JIRA once in a browser (answering the CAPTCHA), then run the command again"
                .to_string()
        }
    };
    Some(Error::oauth(message).with_hint(hint))
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// One line and a hint for each problem JIRA reports.
fn explain(p: &Problem, status: u16, headers: &HeaderMap, ctx: &Context) -> Error {
    let name = p.name.as_str();
    let advice = p.param("oauth_problem_advice");
    let (message, hint): (String, String) = match name {
        "timestamp_refused" => (
            format!("JIRA refused the timestamp ({name}): {}", clock_skew(headers, ctx)),
            "set this machine's clock right (NTP); JIRA accepts timestamps within 5 minutes of its own".into(),
        ),
        "signature_invalid" => (
            format!("JIRA says the signature is invalid ({name})"),
            signature_hint(p, ctx),
        ),
        "consumer_key_unknown" => (
            format!("JIRA knows no consumer '{}' ({name})", ctx.consumer_key),
            "create an Application Link in JIRA with incoming authentication for this consumer key, or pass the right --consumer-key".into(),
        ),
        "consumer_key_rejected" | "consumer_key_refused" => (
            format!("JIRA refused the consumer '{}' ({name})", ctx.consumer_key),
            "check the Application Link of this consumer key in JIRA's administration".into(),
        ),
        "token_rejected" | "token_expired" | "token_used" | "token_revoked" => (
            format!("JIRA rejected the token ({name})"),
            if ctx.token_call {
                "a request token works once and for 10 minutes: run requestToken again, approve it, then accessToken".into()
            } else if let Some(base) = &ctx.stored_login {
                format!("JIRA no longer accepts the stored login for {base}: run jira-oauth login {base}")
            } else {
                "the access token is no longer valid: run the OAuth dance again (requestToken, approve, accessToken)".into()
            },
        ),
        "permission_unknown" => (
            format!("the request token has not been approved yet ({name})"),
            "open the authorize URL that requestToken printed, click Allow, then run accessToken with the verifier".into(),
        ),
        "permission_denied" => (
            format!("the user denied access to the request token ({name})"),
            "run requestToken again and click Allow on the authorize page".into(),
        ),
        "nonce_used" => (
            format!("JIRA saw this nonce before ({name})"),
            "run the command again: each run draws a new nonce; if it persists, something replays requests".into(),
        ),
        "signature_method_rejected" => (
            format!("JIRA does not accept this signature method ({name})"),
            "JIRA's Application Links sign with RSA-SHA1: use --signature-method RSA-SHA1".into(),
        ),
        "parameter_absent" => (
            format!(
                "JIRA says a parameter is missing ({name}{})",
                p.param("oauth_parameters_absent")
                    .map(|a| format!(": {a}"))
                    .unwrap_or_default()
            ),
            "a proxy may be dropping the Authorization header: try --auth-in query".into(),
        ),
        _ => (
            format!("JIRA refused the request ({name}, HTTP {status})"),
            "run with -v to see the request and the answer".into(),
        ),
    };
    let hint = match advice {
        Some(a) if !a.is_empty() && name != "signature_invalid" => format!("{hint} (JIRA: {a})"),
        _ => hint,
    };
    Error::oauth(message).with_hint(hint)
}

/// "the local clock is 7 min 3 s ahead of the server's (…)".
fn clock_skew(headers: &HeaderMap, ctx: &Context) -> String {
    let server = header(headers, "date").and_then(|d| httpdate::parse_http_date(&d).ok());
    let local = ctx.sent_at;
    match (local, server) {
        (Some(local), Some(server)) => clock_offset(local, server).1,
        _ => "the server's clock and this machine's differ by more than 5 minutes".into(),
    }
}

/// How far the local clock is from the server's, and that said in words:
/// "the local clock is 7 min 3 s ahead of the server's (local …, server …)".
pub fn clock_offset(local: SystemTime, server: SystemTime) -> (Duration, String) {
    let (dir, by) = match local.duration_since(server) {
        Ok(d) => ("ahead of", d),
        Err(e) => ("behind", e.duration()),
    };
    let said = format!(
        "the local clock is {} {dir} the server's (local {}, server {})",
        human(by),
        httpdate::fmt_http_date(local),
        httpdate::fmt_http_date(server)
    );
    (by, said)
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

fn signature_hint(p: &Problem, ctx: &Context) -> String {
    let generic = "check that the public key in JIRA's Application Link belongs to --private-key (jira-oauth pubkey prints it)";
    let (Some(theirs), Some(ours)) = (p.param("oauth_signature_base_string"), &ctx.base_string)
    else {
        return generic.into();
    };
    let diffs = base_string_diff(ours, theirs);
    if diffs.is_empty() {
        format!("the base strings agree, so the key differs: {generic}")
    } else {
        format!("JIRA signed another base string: {}", diffs.join("; "))
    }
}

/// Where two signature base strings differ, part by part and parameter by
/// parameter ([RFC 5849 §3.4.1](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1)).
pub fn base_string_diff(ours: &str, theirs: &str) -> Vec<String> {
    let split = |s: &str| -> (String, String, Vec<String>) {
        let mut it = s.splitn(3, '&');
        let method = it.next().unwrap_or_default().to_string();
        let uri = decode(it.next().unwrap_or_default());
        let params = decode(it.next().unwrap_or_default())
            .split('&')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        (method, uri, params)
    };
    let (om, ou, op) = split(ours);
    let (tm, tu, tp) = split(theirs);
    let mut out = Vec::new();
    if om != tm {
        out.push(format!("method: ours {om}, JIRA's {tm}"));
    }
    if ou != tu {
        out.push(format!("URL: ours {ou}, JIRA's {tu}"));
    }
    let only = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|x| !b.contains(x)).cloned().collect()
    };
    let (ours_only, theirs_only) = (only(&op, &tp), only(&tp, &op));
    let name = |p: &str| p.split('=').next().unwrap_or_default().to_string();
    for o in &ours_only {
        match theirs_only.iter().find(|t| name(t) == name(o)) {
            Some(t) => out.push(format!("parameter {}: ours {o}, JIRA's {t}", name(o))),
            None => out.push(format!("only we signed {o}")),
        }
    }
    for t in theirs_only
        .iter()
        .filter(|t| !ours_only.iter().any(|o| name(o) == name(t)))
    {
        out.push(format!("only JIRA signed {t}"));
    }
    out
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// The start of a body, printable, for an error message.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if body.len() > 200 {
        format!("{flat}…")
    } else {
        flat
    }
}

/// JIRA's JSON error (`errorMessages`, `errors`) in one line, if it is one.
pub fn jira_error_summary(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let mut parts: Vec<String> = v
        .get("errorMessages")?
        .as_array()?
        .iter()
        .filter_map(|m| m.as_str().map(str::to_string))
        .collect();
    if let Some(errors) = v.get("errors").and_then(|e| e.as_object()) {
        parts.extend(
            errors
                .iter()
                .map(|(k, m)| format!("{k}: {}", m.as_str().unwrap_or_default())),
        );
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// JIRA served a 2xx to `anonymous` (`X-AUSERNAME`): it ignored the
/// credentials the request carried.
pub fn answered_anonymously(headers: &HeaderMap) -> bool {
    header(headers, "x-ausername").is_some_and(|u| u.eq_ignore_ascii_case("anonymous"))
}

pub const ANONYMOUS_WARNING: &str = "JIRA answered as user 'anonymous': it ignored the OAuth \
     signature (is OAuth enabled for this Application Link, and the token still valid?)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_jira_challenges() {
        let p = parse_challenge(
            r#"OAuth realm="https%3A%2F%2Fjira", oauth_problem="token_rejected", oauth_problem_advice="a \"b\", c""#,
        )
        .unwrap();
        assert_eq!(
            p,
            vec![
                ("realm".into(), "https://jira".into()),
                ("oauth_problem".into(), "token_rejected".into()),
                ("oauth_problem_advice".into(), "a \"b\", c".into())
            ]
        );
        assert!(parse_challenge("Basic realm=x").is_none());
        for junk in [
            "OAuth",
            "OAuth =,,=\"",
            "OAuth a=\"unterminated",
            "OAuth ,,, b",
        ] {
            parse_challenge(junk);
        }
    }

    #[test]
    fn diff_names_the_parameter() {
        let ours = "GET&https%3A%2F%2Fh%2Fx&a%3Db%2520c%26oauth_nonce%3Dn";
        let theirs = "GET&http%3A%2F%2Fh%3A8080%2Fx&a%3Db%252Bc%26oauth_nonce%3Dn%26z%3D1";
        let d = base_string_diff(ours, theirs);
        assert_eq!(
            d,
            vec![
                "URL: ours https://h/x, JIRA's http://h:8080/x",
                "parameter a: ours a=b%20c, JIRA's a=b%2Bc",
                "only JIRA signed z=1"
            ]
        );
    }
}
