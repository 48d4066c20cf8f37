//! A request body and the rules that follow from it: its default media type,
//! which of its fields are signed, JIRA's XSRF opt-out, and whether the
//! protocol parameters may travel in it. `request`, `sign` and the client
//! all ask here, so that what `sign` prints is what `request` sends.

use crate::error::{Error, Result};
use crate::oauth::AuthIn;
use reqwest::Method;
use std::io::Read;

/// The form media type, whose fields a signature may cover (RFC 5849 §3.4.1.3.1).
pub const FORM: &str = "application/x-www-form-urlencoded";

/// The Content-Type of `-d`/`--data` when none is given, for `request` and
/// `sign` alike: JIRA's REST resources take JSON.
pub const DEFAULT_CONTENT_TYPE: &str = "application/json";

/// A request body and its media type.
#[derive(Debug, Clone)]
pub struct Body {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Body {
    /// `bytes` as `content_type`, else as [`DEFAULT_CONTENT_TYPE`].
    pub fn new(content_type: Option<String>, bytes: Vec<u8>) -> Body {
        Body {
            content_type: content_type.unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_string()),
            bytes,
        }
    }

    pub fn is_form(&self) -> bool {
        is_form(&self.content_type)
    }
}

/// The media type without its parameters, lower-cased.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

pub fn is_form(content_type: &str) -> bool {
    essence(content_type) == FORM
}

/// The form fields that enter the signature base string. RFC 5849
/// §3.4.1.3.1 includes a form body's on any method, but JIRA's servlet
/// container (Tomcat, `parseBodyMethods` = POST) reads form parameters from
/// POST bodies only: JIRA's base string for a PUT, PATCH or DELETE lacks
/// them, and a signature over them is `signature_invalid` there.
pub fn signed_form<'a>(method: &Method, body: Option<&'a Body>) -> Option<&'a [u8]> {
    body.filter(|b| *method == Method::POST && b.is_form())
        .map(|b| b.bytes.as_slice())
}

/// Whether `--auth-in body` can carry the protocol parameters (RFC 5849
/// §3.5.2) of this request: only in a form body that JIRA reads, which is a
/// POST's (see [`signed_form`]).
pub fn check_auth_in(auth_in: AuthIn, method: &Method, body: Option<&Body>) -> Result<()> {
    if auth_in != AuthIn::Body {
        return Ok(());
    }
    let hint = "use --auth-in header or query";
    if *method == Method::GET || *method == Method::HEAD {
        return Err(Error::usage(format!(
            "--auth-in body cannot be used with {method}: it has no body"
        ))
        .with_hint(hint));
    }
    if *method != Method::POST {
        return Err(Error::usage(format!(
            "--auth-in body cannot be used with {method}: JIRA reads form parameters \
             from POST bodies only"
        ))
        .with_hint(hint));
    }
    match body {
        Some(b) if !b.is_form() => Err(Error::usage(format!(
            "--auth-in body needs a form body, and this one is {}",
            b.content_type
        ))
        .with_hint(hint)),
        _ => Ok(()),
    }
}

/// Whether JIRA's XSRF check applies: it refuses, on REST resources, the
/// media types a browser form can send cross-site unless the request
/// carries `X-Atlassian-Token: no-check`.
pub fn needs_xsrf_opt_out(content_type: &str) -> bool {
    let e = essence(content_type);
    e == FORM || e.starts_with("multipart/") || e == "text/plain"
}

/// `-d DATA`'s bytes: the text itself, `@FILE`, or `@-` for stdin.
pub fn read_data(data: &str) -> Result<Vec<u8>> {
    match data.strip_prefix('@') {
        Some("-") => {
            let mut b = Vec::new();
            std::io::stdin()
                .read_to_end(&mut b)
                .map_err(|e| Error::usage(format!("cannot read the body from stdin: {e}")))?;
            Ok(b)
        }
        Some(path) => std::fs::read(path).map_err(|e| {
            Error::usage(format!(
                "cannot read the body file -d @{path}: {}",
                crate::io_reason(&e)
            ))
        }),
        None => Ok(data.as_bytes().to_vec()),
    }
}

/// `-d` with `-H` headers: the body read, its Content-Type taken out of
/// `headers` (else the default), and JIRA's XSRF opt-out added where needed.
pub fn read_body(data: Option<&str>, headers: &mut Vec<(String, String)>) -> Result<Option<Body>> {
    let Some(data) = data else { return Ok(None) };
    let bytes = read_data(data)?;
    let content_type = headers
        .iter()
        .position(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|i| headers.remove(i).1);
    let body = Body::new(content_type, bytes);
    let opted_out = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("x-atlassian-token"));
    if needs_xsrf_opt_out(&body.content_type) && !opted_out {
        headers.push(("X-Atlassian-Token".into(), "no-check".into()));
    }
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(ct: &str) -> Body {
        Body::new(Some(ct.into()), b"a=1".to_vec())
    }

    #[test]
    fn form_fields_are_signed_on_post_only() {
        let form = body("Application/X-WWW-Form-Urlencoded; charset=UTF-8");
        assert_eq!(signed_form(&Method::POST, Some(&form)), Some(&b"a=1"[..]));
        for m in [Method::PUT, Method::PATCH, Method::DELETE, Method::GET] {
            assert_eq!(signed_form(&m, Some(&form)), None, "{m}");
        }
        let json = Body::new(None, b"a=1".to_vec());
        assert_eq!(json.content_type, DEFAULT_CONTENT_TYPE);
        assert_eq!(signed_form(&Method::POST, Some(&json)), None);
    }

    #[test]
    fn auth_in_body_only_on_post_with_a_form_or_nothing() {
        let form = body(FORM);
        let json = body("application/json");
        let ok = |m: Method, b: Option<&Body>| check_auth_in(AuthIn::Body, &m, b).is_ok();
        assert!(ok(Method::POST, Some(&form)));
        assert!(ok(Method::POST, None));
        assert!(!ok(Method::POST, Some(&json)));
        for m in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            assert!(!ok(m.clone(), None), "{m}");
            assert!(!ok(m.clone(), Some(&form)), "{m}");
        }
        let e = check_auth_in(AuthIn::Body, &Method::PUT, Some(&form)).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        for place in [AuthIn::Header, AuthIn::Query] {
            assert!(check_auth_in(place, &Method::PUT, Some(&json)).is_ok());
        }
    }

    #[test]
    fn xsrf_opt_out_for_what_a_browser_form_can_send() {
        for ct in [FORM, "multipart/form-data; boundary=x", "Text/Plain"] {
            assert!(needs_xsrf_opt_out(ct), "{ct}");
        }
        assert!(!needs_xsrf_opt_out("application/json"));
    }
}
