//! URLs as people type them, made into the exact URL that goes on the wire
//! and is signed.

use crate::error::{Error, Result};
use crate::signature::{decode_form, percent_encode};
use url::Url;

/// Parses a URL typed on the command line.
///
/// In the query, `%XX` is an escape, a `%` not followed by two hex digits is
/// a literal `%`, and `+` is a space, as JIRA's servlet decodes it. The query
/// is then re-encoded with the unreserved set of RFC 5849 §3.6, so that the
/// server decodes exactly the parameters that were signed. The fragment is
/// dropped: it never reaches the server.
pub fn parse(input: &str) -> Result<Url> {
    let typed = input.trim();
    let lower = typed.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(match typed.split_once("://") {
            Some((scheme, _)) => Error::usage(format!(
                "unsupported URL scheme '{scheme}' in '{typed}': only http and https are supported"
            )),
            None if typed.is_empty() => Error::usage("empty URL"),
            None => {
                let e = Error::usage(format!(
                    "'{typed}' is not a URL: it has no http:// or https://"
                ));
                if looks_like_host(typed) {
                    e.with_hint(format!("did you mean https://{typed}?"))
                } else {
                    e.with_hint(
                        "a URL starts with https:// or http://, a path under the base URL with /",
                    )
                }
            }
        });
    }
    let without_fragment = typed.split('#').next().unwrap_or(typed);
    let (head, query) = match without_fragment.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (without_fragment, None),
    };
    let mut url =
        Url::parse(head).map_err(|e| Error::usage(format!("invalid URL '{typed}': {e}")))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::usage(format!("invalid URL '{typed}': no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::usage(format!(
            "invalid URL '{}': user names and passwords in URLs are not used with OAuth",
            redact_userinfo(&url)
        )));
    }
    if let Some(q) = query {
        set_typed_query(&mut url, q);
    }
    Ok(url)
}

/// `jira.example.com/x`, `localhost:8080`: what can stand after `https://`
/// (a dot or a port in the host name, so neither `=` nor `HSP` nor `rest`).
fn looks_like_host(typed: &str) -> bool {
    let host = typed.split(['/', '?']).next().unwrap_or_default();
    let name = host.split(':').next().unwrap_or_default();
    let port_ok = host
        .split_once(':')
        .is_none_or(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
        && (name.contains('.') || name.eq_ignore_ascii_case("localhost") || host.contains(':'))
        && port_ok
}

/// Appends `name=value` to the query, both taken literally (`-q`).
pub fn append_param(url: &mut Url, name: &str, value: &str) {
    let pair = format!("{}={}", percent_encode(name), percent_encode(value));
    let query = match url.query() {
        Some(q) if !q.is_empty() => format!("{q}&{pair}"),
        _ => pair,
    };
    url.set_query(Some(&query));
}

/// A JIRA endpoint below a base URL: the context path is kept and a
/// trailing slash does not make a `//`.
pub fn endpoint(base: &str, path: &str) -> Result<Url> {
    let base = base.trim();
    parse(&format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    ))
}

/// The base URL as the user gave it, cleaned: no trailing slash, no query.
pub fn normalize_base(base: &str) -> Result<String> {
    let url = parse(base)?;
    if url.query().is_some() {
        return Err(Error::usage(format!(
            "the base URL '{}' has a query; give JIRA's base URL, e.g. https://jira.example.com/jira",
            base.trim()
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn set_typed_query(url: &mut Url, query: &str) {
    let encoded: Vec<String> = query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (pair, has_eq) = match decode_form(piece.as_bytes()).pop() {
                Some(pair) => (pair, piece.contains('=')),
                None => ((String::new(), String::new()), false),
            };
            if has_eq {
                format!("{}={}", percent_encode(&pair.0), percent_encode(&pair.1))
            } else {
                percent_encode(&pair.0)
            }
        })
        .collect();
    let joined = encoded.join("&");
    url.set_query((!joined.is_empty()).then_some(joined.as_str()));
}

fn redact_userinfo(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(input: &str) -> String {
        parse(input).unwrap().to_string()
    }

    #[test]
    fn jql_as_typed_is_encoded_once() {
        assert_eq!(
            wire("https://jira.example.com/rest/api/2/search?jql=summary ~ \"C++\" AND text ~ 100%&x=a+b"),
            "https://jira.example.com/rest/api/2/search?jql=summary%20~%20%22C%20%20%22%20AND%20text%20~%20100%25&x=a%20b"
        );
        assert_eq!(
            wire("https://h/s?jql=summary%20~%20%22C%2B%2B%22"),
            "https://h/s?jql=summary%20~%20%22C%2B%2B%22"
        );
        assert_eq!(
            wire("http://h/p?q=日本&flag"),
            "http://h/p?q=%E6%97%A5%E6%9C%AC&flag"
        );
    }

    #[test]
    fn host_and_port_normalized_fragment_dropped() {
        assert_eq!(
            wire("HTTPS://JIRA.Example.com:443/jira/x#frag"),
            "https://jira.example.com/jira/x"
        );
        assert_eq!(wire("http://h:8080/jira/"), "http://h:8080/jira/");
    }

    #[test]
    fn refuses_what_is_not_http() {
        for bad in [
            "ftp://h/x",
            "jira.example.com/x",
            "",
            "http://",
            "http://h:99999/",
            "http://a b/",
            "https://u:p@h/",
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}: {e}");
            assert!(!e.message.contains(":p@"), "{e}");
        }
    }

    #[test]
    fn suggests_https_only_for_host_names() {
        let hint = |s: &str| parse(s).unwrap_err().hint.unwrap();
        assert_eq!(
            hint("jira.example.com/x"),
            "did you mean https://jira.example.com/x?"
        );
        assert_eq!(
            hint("localhost:8080/jira"),
            "did you mean https://localhost:8080/jira?"
        );
        for word in ["=", "HSP", "rest", "a:b"] {
            assert!(!hint(word).contains("did you mean"), "{word}");
        }
    }

    #[test]
    fn endpoints_keep_context_path_without_double_slash() {
        for base in ["https://h/jira", "https://h/jira/", "https://h/jira//"] {
            assert_eq!(
                endpoint(base, "/plugins/servlet/oauth/request-token")
                    .unwrap()
                    .as_str(),
                "https://h/jira/plugins/servlet/oauth/request-token"
            );
        }
        assert_eq!(
            normalize_base("https://H:443/jira/").unwrap(),
            "https://h/jira"
        );
        assert_eq!(normalize_base("https://h").unwrap(), "https://h");
    }

    #[test]
    fn literal_query_params() {
        let mut u = parse("https://h/s?a=1").unwrap();
        append_param(&mut u, "jql", "summary ~ \"C++\" & x=100%");
        assert_eq!(
            u.query(),
            Some("a=1&jql=summary%20~%20%22C%2B%2B%22%20%26%20x%3D100%25")
        );
    }
}
