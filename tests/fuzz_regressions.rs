//! Inputs the fuzz targets (fuzz/) found, kept as tests. Each error must
//! print as one line: text from a URL, a server or a file is escaped.

use jira_oauth::problem::{refusal, Context};
use jira_oauth::Error;
use reqwest::header::HeaderMap;

fn assert_one_line(e: &Error) {
    for text in std::iter::once(&e.message).chain(&e.hint) {
        assert!(!text.chars().any(char::is_control), "{text:?}");
    }
}

#[test]
fn typed_url_with_control_characters() {
    let e = jira_oauth::urls::parse("ftp://h/x\u{14}").unwrap_err();
    assert_one_line(&e);
    assert_eq!(
        e.message,
        r"unsupported URL scheme 'ftp' in 'ftp://h/x\u{14}': only http and https are supported"
    );
    let e = jira_oauth::urls::parse("https://jira example.com/\x1b[2J\n x y").unwrap_err();
    assert_one_line(&e);
    assert!(e.message.contains(r"\u{1b}[2J\n x y"), "{}", e.message);
}

#[test]
fn token_answer_with_control_characters_in_a_name() {
    let e = jira_oauth::tokens::parse(
        302,
        Some("application/x-www-form-urlencoded"),
        b"oauth_token=&oauth_\0\0\0\0\0\0\0Ccret=",
        "https://jira.example.com/plugins/servlet/oauth/access-token",
    )
    .unwrap_err();
    assert_one_line(&e);
    assert!(
        e.message
            .ends_with(r"it has: oauth_token, oauth_\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}Ccret"),
        "{}",
        e.message
    );
}

#[test]
fn problem_advice_with_line_breaks() {
    let body = b"oauth_problem=permission_unknown&oauth_problem_advice=open%20the%20autext/plain\n\noauth_problem=permissiothorize%20URL";
    let e = refusal(500, &HeaderMap::new(), body, &Context::default()).unwrap();
    assert_one_line(&e);
    assert!(e
        .hint
        .unwrap()
        .ends_with(r"(JIRA: open the autext/plain\n\noauth_problem=permissiothorize URL)"));
}
