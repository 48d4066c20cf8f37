//! The token endpoints' answers: form-encoded bodies such as
//! `oauth_token=…&oauth_token_secret=…` ([RFC 5849 §2.1, §2.3](https://www.rfc-editor.org/rfc/rfc5849#section-2.1)).

use crate::error::{Error, Result};
use crate::problem::snippet;
use crate::signature::decode_form;

/// A request token or an access token, with what JIRA sent beside it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenResponse {
    pub token: String,
    pub token_secret: String,
    pub callback_confirmed: Option<bool>,
    pub expires_in: Option<String>,
    pub authorization_expires_in: Option<String>,
    pub session_handle: Option<String>,
}

/// Parses a token endpoint's 2xx body. Anything that is not a form-encoded
/// token (an HTML login page, an empty body) is an error that shows the
/// status and the start of the body, never a token secret.
pub fn parse(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    url: &str,
) -> Result<TokenResponse> {
    let text = body.trim_ascii();
    if text.is_empty() {
        return Err(Error::http(format!(
            "the answer from {url} is empty (HTTP {status}); expected a token"
        ))
        .with_hint(
            "is this JIRA's base URL? The OAuth endpoints live under /plugins/servlet/oauth/",
        ));
    }
    let ct = content_type.unwrap_or("no Content-Type");
    let looks_html = ct.contains("html") || text.starts_with(b"<");
    if looks_html || std::str::from_utf8(text).is_err() {
        return Err(Error::http(format!(
            "expected a form-encoded token from {url}, got HTTP {status} {ct}: {}",
            snippet(text)
        ))
        .with_hint("a login page or a portal means something in front of JIRA intercepts the call, or the base URL is not JIRA's"));
    }
    let params = decode_form(text);
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    let missing: Vec<&str> = ["oauth_token", "oauth_token_secret"]
        .into_iter()
        .filter(|n| get(n).is_none_or(|v| v.is_empty()))
        .collect();
    if !missing.is_empty() {
        // Only the names: the body may hold a secret.
        return Err(Error::http(format!(
            "the answer from {url} (HTTP {status}) lacks {}; it has: {}",
            missing.join(" and "),
            if names.is_empty() {
                "nothing".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    Ok(TokenResponse {
        token: get("oauth_token").unwrap_or_default(),
        token_secret: get("oauth_token_secret").unwrap_or_default(),
        callback_confirmed: get("oauth_callback_confirmed").map(|v| v == "true"),
        expires_in: get("oauth_expires_in"),
        authorization_expires_in: get("oauth_authorization_expires_in"),
        session_handle: get("oauth_session_handle"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_jira_access_token() {
        let t = parse(
            200,
            Some("text/plain"),
            b"oauth_token=abc&oauth_token_secret=s%2Bt&oauth_expires_in=157680000&oauth_session_handle=h&oauth_authorization_expires_in=157680000\n",
            "u",
        )
        .unwrap();
        assert_eq!(t.token, "abc");
        assert_eq!(t.token_secret, "s+t");
        assert_eq!(t.expires_in.as_deref(), Some("157680000"));
        assert_eq!(t.callback_confirmed, None);
    }

    #[test]
    fn refuses_html_empty_and_partial_without_leaking() {
        let e = parse(200, Some("text/html"), b"<html><title>Log in</title>", "u").unwrap_err();
        assert!(
            e.message.contains("text/html: <html><title>Log in</title>"),
            "{e}"
        );
        assert!(parse(200, None, b"  \n", "u")
            .unwrap_err()
            .message
            .contains("empty"));
        let e = parse(200, None, b"oauth_token_secret=SECRET", "u").unwrap_err();
        assert!(
            e.message.contains("lacks oauth_token;") && !e.message.contains("SECRET"),
            "{e}"
        );
    }
}
