//! The signature base string (RFC 5849 §3.4.1) of an arbitrary request.
//!
//! Input: `METHOD\nURL\nPROTOCOL\nBODY`. A URL starting with `!` is parsed
//! with `url::Url::parse`, else as typed (`urls::parse`). PROTOCOL is the
//! protocol parameters, form-encoded. BODY (the rest, optional) is the form
//! body.
#![no_main]

use jira_oauth::signature::{base_string_for, base_string_uri, collect_parameters, decode_form};
use jira_oauth_fuzz::{is_rfc5849_encoded, percent_decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |&b| b == b'\n');
    let method = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let Ok(url) = std::str::from_utf8(parts.next().unwrap_or_default()) else {
        return;
    };
    let protocol = decode_form(parts.next().unwrap_or_default());
    let body = parts.next();
    // The method is a token of letters as sent; '&' in it would be ambiguous.
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return;
    }
    let url = match url.strip_prefix('!') {
        Some(raw) => match url::Url::parse(raw) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            _ => return,
        },
        None => match jira_oauth::urls::parse(url) {
            Ok(u) => u,
            Err(_) => return,
        },
    };

    let base = base_string_for(&method, &url, body, &protocol);

    let parts: Vec<&str> = base.split('&').collect();
    assert_eq!(parts.len(), 3, "not three parts: {base:?}");
    assert_eq!(parts[0], method.to_ascii_uppercase());
    for part in &parts[1..] {
        assert!(is_rfc5849_encoded(part), "not encoded per §3.6: {base:?}");
    }

    let uri = percent_decode(parts[1]);
    assert_eq!(uri, base_string_uri(&url));
    assert!(!uri.contains(['?', '#']), "query or fragment in {uri:?}");
    let authority_end = uri[url.scheme().len() + 3..]
        .find('/')
        .map(|i| i + url.scheme().len() + 3)
        .expect("a path");
    assert_eq!(
        uri[..authority_end],
        uri[..authority_end].to_ascii_lowercase(),
        "scheme and host not lower case: {uri:?}"
    );

    // The parameters: each pair encoded, sorted, and decoding back to
    // exactly the collected ones.
    let normalized = percent_decode(parts[2]);
    let pairs: Vec<(&str, &str)> = if normalized.is_empty() {
        Vec::new()
    } else {
        normalized
            .split('&')
            .map(|p| p.split_once('=').expect("name=value"))
            .collect()
    };
    for (k, v) in &pairs {
        assert!(is_rfc5849_encoded(k) && is_rfc5849_encoded(v), "{k}={v}");
        assert_ne!(percent_decode(k), "oauth_signature");
    }
    assert!(pairs.is_sorted(), "not sorted: {normalized:?}");
    let mut decoded: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect();
    let mut collected = collect_parameters(url.query(), body, &protocol);
    decoded.sort();
    collected.sort();
    assert_eq!(decoded, collected);
});
