//! The token endpoints' answers (`tokens::parse`).
//!
//! Input: `STATUS [CONTENT-TYPE]\nBODY`, e.g. `200 text/plain\noauth_token=…`.
#![no_main]

use jira_oauth::signature::decode_form;
use jira_oauth_fuzz::assert_printable_error;
use libfuzzer_sys::fuzz_target;

const URL: &str = "https://jira.example.com/plugins/servlet/oauth/access-token";

fuzz_target!(|data: &[u8]| {
    let (first, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let first = String::from_utf8_lossy(first);
    let (status, content_type) = match first.split_once(' ') {
        Some((s, ct)) => (s, Some(ct)),
        None => (&*first, None),
    };
    let status = status.parse().unwrap_or(200);

    match jira_oauth::tokens::parse(status, content_type, body, URL) {
        Ok(t) => {
            assert!(!t.token.is_empty() && !t.token_secret.is_empty());
            let params = decode_form(body.trim_ascii());
            let first = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v);
            assert_eq!(first("oauth_token"), Some(&t.token));
            assert_eq!(first("oauth_token_secret"), Some(&t.token_secret));
        }
        Err(e) => {
            assert_printable_error(&e);
            // Refusing a form-encoded answer names its parameters, never a
            // value: a secret that is nowhere else must not be shown.
            if std::str::from_utf8(body).is_ok() {
                let params = decode_form(body.trim_ascii());
                let elsewhere = |v: &str| {
                    v.contains([',', ' '])
                        || URL.contains(v)
                        || params.iter().any(|(k, _)| k.contains(v))
                        || content_type.is_some_and(|ct| ct.contains(v))
                        || e.message.contains("expected a form-encoded token")
                };
                for (k, v) in &params {
                    if k == "oauth_token_secret" && v.len() >= 8 && !elsewhere(v) {
                        assert!(!e.message.contains(v.as_str()), "secret shown: {e:?}");
                    }
                }
            }
        }
    }
});
