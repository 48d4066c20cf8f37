//! Form bodies as JIRA reads them: its servlet container parses form
//! parameters from POST bodies only, so a form's fields are signed on POST
//! and sent unsigned on PUT, PATCH and DELETE; `--auth-in body` works on
//! POST alone; and `sign` prints the base string that `request` sends.

mod support;

use assert_cmd::Command;
use std::process::Output;
use support::mock_jira::{MockJira, Options, Outcome, Recorded, Source, TEST_CONSUMER_KEY};

const FORM: &str = "application/x-www-form-urlencoded";
const TOKEN: &str = "form-bodies-token";

fn start() -> MockJira {
    let jira = MockJira::start(Options::default_with_test_consumer());
    jira.add_access_token(TEST_CONSUMER_KEY, TOKEN, "form-bodies-secret");
    jira
}

/// The binary with nothing from the user's environment.
fn bin() -> Command {
    let mut cmd = Command::cargo_bin("jira-oauth").unwrap();
    cmd.env_clear()
        .env("HOME", "/nonexistent")
        .env(
            "JIRA_OAUTH_PRIVATE_KEY",
            support::private_key("consumer.pem"),
        )
        .args(["--consumer-key", TEST_CONSUMER_KEY]);
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn succeeds(cmd: &mut Command) -> Output {
    let o = run(cmd);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", text(&o.stderr));
    o
}

fn only_request(jira: &MockJira) -> Recorded {
    let reqs = jira.requests();
    assert_eq!(reqs.len(), 1, "requests: {reqs:#?}");
    reqs.into_iter().next().unwrap()
}

fn body_params(r: &Recorded) -> Vec<(String, String)> {
    r.params
        .iter()
        .filter(|p| p.source == Source::Body)
        .map(|p| (p.name.clone(), p.value.clone()))
        .collect()
}

fn send_form(jira: &MockJira, method: &str, extra: &[&str]) -> Output {
    let url = format!("{}/rest/echo", jira.base_url());
    let mut cmd = bin();
    cmd.args(extra)
        .args(["request", TOKEN, "-X", method])
        .args(["-H", &format!("Content-Type: {FORM}")])
        .args(["-d", "a=1&b=x+y", &url]);
    run(&mut cmd)
}

/// The provider parses a PUT's form as Tomcat does (not at all), so its
/// base string lacks the fields: a client that signed them is refused.
#[test]
fn a_form_body_on_put_patch_delete_is_sent_unsigned_and_accepted() {
    for method in ["PUT", "PATCH", "DELETE"] {
        let jira = start();
        let out = send_form(&jira, method, &[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{method}: stderr: {}",
            text(&out.stderr)
        );
        let echoed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(echoed["method"], method);
        assert_eq!(echoed["body"], "a=1&b=x+y");
        let r = only_request(&jira);
        assert_eq!(r.outcome, Outcome::Ok, "{method}: {}", r.base_string);
        assert_eq!(r.body, b"a=1&b=x+y", "{method}");
        assert_eq!(r.header("Content-Type"), Some(FORM));
        assert_eq!(r.header("X-Atlassian-Token"), Some("no-check"));
        assert!(body_params(&r).is_empty(), "{method}");
        assert!(!r.base_string.contains("a%3D1"), "{}", r.base_string);
    }
}

#[test]
fn a_form_body_on_post_is_signed_and_accepted() {
    let jira = start();
    let out = send_form(&jira, "POST", &[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let r = only_request(&jira);
    assert_eq!(r.outcome, Outcome::Ok, "{}", r.base_string);
    assert_eq!(r.body, b"a=1&b=x+y");
    assert_eq!(
        body_params(&r),
        [("a".into(), "1".into()), ("b".into(), "x y".into())]
    );
    assert!(
        r.base_string.contains("a%3D1%26b%3Dx%2520y"),
        "{}",
        r.base_string
    );

    // With the protocol parameters in the body too.
    let jira = start();
    let out = send_form(&jira, "POST", &["--auth-in", "body"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let r = only_request(&jira);
    assert_eq!(r.outcome, Outcome::Ok, "{}", r.base_string);
    assert_eq!(r.oauth_source(), Some(Source::Body));
    assert_eq!(r.param("b"), Some("x y"));
}

fn refused(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "stderr: {}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.lines()
            .any(|l| l.starts_with("jira-oauth: error: --auth-in body")),
        "{err}"
    );
    err
}

#[test]
fn auth_in_body_on_put_is_refused_before_anything_is_sent() {
    for method in ["PUT", "PATCH", "DELETE"] {
        let jira = start();
        let err = refused(&send_form(&jira, method, &["--auth-in", "body"]));
        assert!(err.contains("POST"), "{err}");
        assert!(
            jira.requests().is_empty(),
            "{method}: {:#?}",
            jira.requests()
        );
    }
    // Whatever the body: none, or JSON.
    let jira = start();
    let url = format!("{}/rest/echo", jira.base_url());
    refused(&run(bin().args([
        "--auth-in",
        "body",
        "request",
        TOKEN,
        "-X",
        "PUT",
        &url,
    ])));
    refused(&run(bin().args([
        "--auth-in",
        "body",
        "request",
        TOKEN,
        "-X",
        "PUT",
        "-d",
        "{}",
        &url,
    ])));
    assert!(jira.requests().is_empty(), "{:#?}", jira.requests());

    // `sign --curl` follows the same rule.
    for method in ["PUT", "GET"] {
        refused(&run(bin().args([
            "--auth-in",
            "body",
            "sign",
            method,
            &url,
            "--token",
            TOKEN,
            "--data",
            "a=1",
            "--content-type",
            FORM,
            "--curl",
        ])));
    }
    let out = succeeds(bin().args([
        "--auth-in",
        "body",
        "sign",
        "POST",
        &url,
        "--token",
        TOKEN,
        "--curl",
    ]));
    let curl = text(&out.stdout);
    assert!(curl.contains(&format!("Content-Type: {FORM}")), "{curl}");
    assert!(curl.contains("--data-binary 'oauth_"), "{curl}");
    assert!(curl.contains("X-Atlassian-Token: no-check"), "{curl}");
}

/// `* signature base string: …` from `request -v`.
fn traced_base_string(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("* signature base string: "))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    lines[0].to_string()
}

/// The base string with the values of `oauth_nonce` and `oauth_timestamp`
/// replaced: within the encoded parameters, `%26` only separates pairs (an
/// `&` inside a value is `%2526` there).
fn masked(base: &str) -> String {
    let mut parts: Vec<&str> = base.splitn(3, '&').collect();
    assert_eq!(parts.len(), 3, "{base}");
    let params: Vec<String> = parts[2]
        .split("%26")
        .map(|p| {
            for name in ["oauth_nonce%3D", "oauth_timestamp%3D"] {
                if p.starts_with(name) {
                    return format!("{name}MASKED");
                }
            }
            p.to_string()
        })
        .collect();
    let joined = params.join("%26");
    parts[2] = &joined;
    parts.join("&")
}

#[test]
fn sign_prints_the_base_string_that_request_sends() {
    let jira = start();
    let url = format!("{}/rest/echo?x=1", jira.base_url());
    let json = r#"{"a":1}"#;
    let form = "a=1&b=x+y";
    // (body, Content-Type given or the shared default)
    let bodies: [(Option<&str>, Option<&str>); 3] =
        [(Some(json), None), (Some(form), Some(FORM)), (None, None)];
    for method in ["POST", "PUT"] {
        for (data, content_type) in bodies {
            let what = format!("{method} {data:?} {content_type:?}");
            jira.clear_requests();
            let mut request = bin();
            request.args(["-v", "request", TOKEN, "-X", method]);
            if let Some(ct) = content_type {
                request.args(["-H", &format!("Content-Type: {ct}")]);
            }
            if let Some(d) = data {
                request.args(["-d", d]);
            }
            let out = succeeds(request.arg(&url));
            let sent = traced_base_string(&text(&out.stderr));
            let r = only_request(&jira);
            assert_eq!(r.outcome, Outcome::Ok, "{what}: {}", r.base_string);
            assert_eq!(r.base_string, sent, "{what}");

            let mut sign = bin();
            sign.args(["sign", method, &url, "--token", TOKEN, "--base-string"]);
            if let Some(ct) = content_type {
                sign.args(["--content-type", ct]);
            }
            if let Some(d) = data {
                sign.args(["--data", d]);
            }
            let printed = text(&succeeds(&mut sign).stdout);
            assert_eq!(masked(printed.trim_end()), masked(&sent), "{what}");
            assert_ne!(masked(&sent), sent, "{what}: nothing masked");
            let signs_fields = method == "POST" && content_type == Some(FORM);
            assert_eq!(sent.contains("a%3D1"), signs_fields, "{what}: {sent}");
        }
    }
}

#[test]
fn masking_hides_only_the_nonce_and_the_timestamp() {
    let a = "POST&http%3A%2F%2Fh%2Fx&a%3D1%26oauth_nonce%3Dn1%26oauth_timestamp%3D1%26z%3D%2526";
    let b = "POST&http%3A%2F%2Fh%2Fx&a%3D1%26oauth_nonce%3Dn2%26oauth_timestamp%3D2%26z%3D%2526";
    assert_eq!(masked(a), masked(b));
    let c = "POST&http%3A%2F%2Fh%2Fx&a%3D2%26oauth_nonce%3Dn1%26oauth_timestamp%3D1%26z%3D%2526";
    assert_ne!(masked(a), masked(c));
}
