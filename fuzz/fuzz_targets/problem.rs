//! JIRA's refusals: `WWW-Authenticate` challenges (`parse_challenge`),
//! `find_problem` over headers and body, `refusal` and `base_string_diff`.
//!
//! Input: an HTTP answer as text: `STATUS\nName: value\n…\n\nBODY`. An
//! `X-Fuzz-Ours` header is the base string we signed.
#![no_main]

use jira_oauth::problem::{base_string_diff, find_problem, parse_challenge, refusal, Context};
use jira_oauth_fuzz::{assert_printable_error, split_http};
use libfuzzer_sys::fuzz_target;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::time::{Duration, SystemTime};

fuzz_target!(|data: &[u8]| {
    let (first, lines, body) = split_http(data);
    let status = String::from_utf8_lossy(first).trim().parse().unwrap_or(401);
    let mut headers = HeaderMap::new();
    let mut ours = None;
    for (name, value) in lines {
        if name.eq_ignore_ascii_case(b"x-fuzz-ours") {
            ours = Some(String::from_utf8_lossy(value).into_owned());
            continue;
        }
        if name.eq_ignore_ascii_case(b"www-authenticate") {
            check_challenge(&String::from_utf8_lossy(value));
        }
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            headers.append(n, v);
        }
    }

    let problem = find_problem(&headers, body);
    if let Some(p) = &problem {
        let first = p
            .param("oauth_problem")
            .expect("a problem has oauth_problem");
        assert_eq!(p.name, first.trim());
    }

    let ctx = Context {
        consumer_key: "fuzz-consumer".into(),
        base_string: ours.clone(),
        sent_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
        token_call: status % 2 == 0,
    };
    if let Some(e) = refusal(status, &headers, body, &ctx) {
        assert_printable_error(&e);
    }

    let ours = ours.unwrap_or_default();
    let theirs = problem
        .as_ref()
        .and_then(|p| p.param("oauth_signature_base_string"))
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    assert!(base_string_diff(&ours, &ours).is_empty());
    assert_eq!(
        base_string_diff(&ours, &theirs).is_empty(),
        base_string_diff(&theirs, &ours).is_empty(),
        "diff not symmetric"
    );
});

fn check_challenge(value: &str) {
    let params = parse_challenge(value);
    let trimmed = value.trim();
    let scheme = trimmed
        .split(char::is_whitespace)
        .next()
        .unwrap_or_default();
    assert_eq!(params.is_some(), scheme.eq_ignore_ascii_case("OAuth"));
    for (name, _) in params.into_iter().flatten() {
        assert!(!name.is_empty() && !name.contains(['=', ',']), "{name:?}");
        assert_eq!(name, name.trim());
    }
}
