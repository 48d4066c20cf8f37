//! URLs as typed (`urls::parse`), and the base URL (`urls::normalize_base`).
#![no_main]

use jira_oauth::urls;
use jira_oauth_fuzz::{assert_printable_error, is_unreserved};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(typed) = std::str::from_utf8(data) else {
        return;
    };
    match urls::parse(typed) {
        Ok(url) => {
            assert!(matches!(url.scheme(), "http" | "https"));
            assert!(url.host_str().is_some_and(|h| !h.is_empty()));
            assert!(url.fragment().is_none() && url.username().is_empty());
            if let Some(q) = url.query() {
                // Re-encoded with the §3.6 set: what is signed is what is sent.
                assert!(
                    !q.is_empty() && q.split('&').all(|p| !p.is_empty()),
                    "{q:?}"
                );
                assert!(
                    q.bytes().all(|b| is_unreserved(b) || b"%&=".contains(&b)),
                    "{q:?}"
                );
            }
            // What goes on the wire parses to itself.
            let again = urls::parse(url.as_str()).expect("the wire URL parses");
            assert_eq!(again, url);
        }
        Err(e) => assert_printable_error(&e),
    }
    match urls::normalize_base(typed) {
        Ok(base) => {
            assert!(!base.ends_with('/'), "{base:?}");
            assert_eq!(urls::normalize_base(&base).as_ref(), Ok(&base));
        }
        Err(e) => assert_printable_error(&e),
    }
});
