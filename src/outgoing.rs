//! What a request sends besides its URL (method, headers, body), from the
//! options `request` and `sign` share: one reading of them for both, so
//! that what `sign` prints is what `request` sends.

use crate::body::{self, Body};
use crate::cli::SendArgs;
use crate::error::{Error, Result};
use reqwest::Method;

/// A request's method, extra headers and body.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub method: Method,
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
}

impl Outgoing {
    /// Reads `-X`, `-H`, `-d`/`--data-raw`/`--json`; `content_type` is `sign`'s
    /// `--content-type`, `method` a method given as an argument. Without
    /// one, GET, or POST when there is a body (as curl).
    pub fn from_args(
        a: &SendArgs,
        content_type: Option<&str>,
        method: Option<Method>,
    ) -> Result<Outgoing> {
        let mut headers = parse_headers(&a.headers)?;
        if let Some(ct) = content_type {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
            headers.push(("Content-Type".into(), ct.to_string()));
        }
        let bytes = match (&a.data, &a.data_raw, &a.json) {
            (Some(d), _, _) | (None, None, Some(d)) => Some(body::read_data(d)?),
            (None, Some(raw), _) => Some(raw.as_bytes().to_vec()),
            (None, None, None) => None,
        };
        let body = body::with_headers(bytes, &mut headers);
        let asks_for = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
        if a.json.is_some() && !asks_for("accept") {
            // curl's --json (7.82) asks for JSON back, too.
            headers.push(("Accept".into(), "application/json".into()));
        }
        let method = match (method, a.method.clone()) {
            (Some(m), Some(x)) if m != x => {
                return Err(Error::usage(format!("two methods given: {m} and -X {x}")))
            }
            (Some(m), _) | (None, Some(m)) => m,
            (None, None) if body.is_some() => Method::POST,
            (None, None) => Method::GET,
        };
        Ok(Outgoing {
            method,
            headers,
            body,
        })
    }
}

/// `-H 'Name: value'`, checked; `Authorization` is ours to set.
pub fn parse_headers(raw: &[String]) -> Result<Vec<(String, String)>> {
    raw.iter()
        .map(|h| {
            let (name, value) = split_option(h, "-H", ':', "colon", "'Name: value'")?;
            let name = name.trim();
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(Error::usage(format!(
                    "-H '{h}': '{name}' is not a header name"
                )));
            }
            if name.eq_ignore_ascii_case("authorization") {
                return Err(
                    Error::usage("-H Authorization would replace the OAuth signature")
                        .with_hint("jira-oauth signs every request itself; drop that header"),
                );
            }
            let value = value.trim();
            if value.chars().any(char::is_control) {
                return Err(Error::usage(format!(
                    "-H '{name}': the value holds a control character"
                )));
            }
            Ok((name.to_string(), value.to_string()))
        })
        .collect()
}

/// `raw` split at the first `sep`, or what `flag` wants instead.
pub fn split_option<'a>(
    raw: &'a str,
    flag: &str,
    sep: char,
    sep_name: &str,
    form: &str,
) -> Result<(&'a str, &'a str)> {
    raw.split_once(sep).ok_or_else(|| {
        Error::usage(format!("{flag} '{raw}' has no {sep_name}"))
            .with_hint(format!("write it as {flag} {form}"))
    })
}
