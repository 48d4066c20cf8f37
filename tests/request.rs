//! `request` through the real binary, against the test provider, which
//! checks every signature on its own.

mod support;

use assert_cmd::Command;
use serde_json::{json, Value};
use std::borrow::BorrowMut;
use std::collections::HashSet;
use std::process::Output;
use support::mock_jira::{Counts, MockJira, Options, Outcome, Recorded, Response, Source};

struct Jira {
    jira: MockJira,
    token: String,
}

fn start() -> Jira {
    start_with(Options::default_with_test_consumer())
}

fn start_with(opts: Options) -> Jira {
    let jira = MockJira::start(opts);
    let (token, _) = jira.issue_access_token("hardcoded-consumer");
    Jira { jira, token }
}

/// The binary with nothing from the user's environment.
fn bin() -> Command {
    let mut cmd = Command::cargo_bin("jira-oauth").unwrap();
    cmd.env_clear().env("HOME", "/nonexistent").env(
        "JIRA_OAUTH_PRIVATE_KEY",
        support::private_key("consumer.pem"),
    );
    cmd
}

impl Jira {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.jira.base_url())
    }

    /// `request TOKEN` followed by `args`.
    fn request(&self, args: &[&str]) -> Command {
        let mut cmd = bin();
        cmd.arg("request").arg(&self.token).args(args);
        cmd
    }

    fn only_request(&self) -> Recorded {
        let reqs = self.jira.requests();
        assert_eq!(reqs.len(), 1, "requests: {reqs:#?}");
        reqs.into_iter().next().unwrap()
    }
}

fn run(mut cmd: impl BorrowMut<Command>) -> Output {
    cmd.borrow_mut().output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(cmd: impl BorrowMut<Command>) -> Vec<u8> {
    let o = run(cmd);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    o.stdout
}

fn ok_json(cmd: impl BorrowMut<Command>) -> Value {
    serde_json::from_slice(&ok(cmd)).expect("stdout is JSON")
}

/// Exit code, stdout and stderr of a run expected to fail.
fn fails(cmd: impl BorrowMut<Command>, code: i32) -> (Vec<u8>, String) {
    let o = run(cmd);
    assert_eq!(o.status.code(), Some(code), "stderr: {}", stderr(&o));
    let err = stderr(&o);
    let errors = err
        .lines()
        .filter(|l| l.starts_with("jira-oauth: error: "))
        .count();
    assert_eq!(errors, 1, "one error line expected: {err}");
    (o.stdout, err)
}

fn error_line(err: &str) -> &str {
    err.lines()
        .find(|l| l.starts_with("jira-oauth: error: "))
        .expect("an error line")
}

fn nonce(r: &Recorded) -> String {
    r.param("oauth_nonce").expect("oauth_nonce").to_string()
}

fn no_body_params(r: &Recorded) {
    assert!(
        r.params.iter().all(|p| p.source != Source::Body),
        "body parameters signed: {:?}",
        r.params
    );
}

// ---- bodies and headers ----

#[test]
fn json_comment_arrives_byte_for_byte_and_is_not_signed() {
    let j = start();
    let body = r#"{"body":"Fixed in 1.2 & shipped: a=b+c, 100% \"done\" — ü"}"#;
    let out = ok_json(j.request(&[
        "-X",
        "POST",
        "-d",
        body,
        &j.url("/rest/api/2/issue/HSP-1/comment"),
    ]));
    assert_eq!(
        out["body"],
        "Fixed in 1.2 & shipped: a=b+c, 100% \"done\" — ü"
    );
    let r = j.only_request();
    assert_eq!(r.outcome, Outcome::Ok);
    assert_eq!(r.status, 201);
    assert_eq!(r.method, "POST");
    assert_eq!(r.body, body.as_bytes());
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.header("X-Atlassian-Token"), None);
    no_body_params(&r);
    assert!(!r.base_string.contains("shipped"), "{}", r.base_string);
    // The comment is there afterwards.
    let all = ok_json(j.request(&[&j.url("/rest/api/2/issue/HSP-1/comment")]));
    assert_eq!(
        all["comments"].as_array().unwrap().last().unwrap()["body"],
        out["body"]
    );
}

#[test]
fn data_without_x_is_a_post() {
    let j = start();
    ok(j.request(&[
        "-d",
        r#"{"body":"x"}"#,
        &j.url("/rest/api/2/issue/HSP-1/comment"),
    ]));
    let r = j.only_request();
    assert_eq!((r.method.as_str(), r.status), ("POST", 201));
}

#[test]
fn data_may_start_with_a_hyphen() {
    let j = start();
    ok(j.request(&["-X", "PUT", "-d", "-1", &j.url("/rest/echo")]));
    let r = j.only_request();
    assert_eq!(r.method, "PUT");
    assert_eq!(r.body, b"-1");
}

#[test]
fn x_without_data_sends_that_method() {
    let j = start();
    let out = ok_json(j.request(&["-X", "delete", &j.url("/rest/echo")]));
    assert_eq!(out["method"], "DELETE");
    assert_eq!(j.only_request().outcome, Outcome::Ok);
}

#[test]
fn body_from_a_file_byte_for_byte() {
    let j = start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("comment.json");
    let body = b"{\"body\":\"line 1\\nline 2 \xc3\xa9\"}\n\n";
    std::fs::write(&file, body).unwrap();
    let arg = format!("@{}", file.display());
    ok(j.request(&["-d", &arg, &j.url("/rest/api/2/issue/HSP-1/comment")]));
    let r = j.only_request();
    assert_eq!(r.body, body);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.outcome, Outcome::Ok);
}

#[test]
fn body_from_stdin() {
    let j = start();
    let body = "{\"body\":\"from a pipe\"}";
    let out = ok_json(
        j.request(&["-d", "@-", &j.url("/rest/api/2/issue/HSP-1/comment")])
            .write_stdin(body),
    );
    assert_eq!(out["body"], "from a pipe");
    assert_eq!(j.only_request().body, body.as_bytes());
}

#[test]
fn form_body_parameters_are_signed() {
    let j = start();
    let out = ok_json(j.request(&[
        "-H",
        "Content-Type: application/x-www-form-urlencoded",
        "-d",
        "a=1+2&b=%2B",
        &j.url("/rest/echo"),
    ]));
    assert_eq!(out["method"], "POST");
    assert_eq!(out["body"], "a=1+2&b=%2B");
    let r = j.only_request();
    assert_eq!(r.outcome, Outcome::Ok, "{}", r.base_string);
    assert_eq!(r.body, b"a=1+2&b=%2B");
    let body: Vec<(&str, &str)> = r
        .params
        .iter()
        .filter(|p| p.source == Source::Body)
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect();
    assert_eq!(body, [("a", "1 2"), ("b", "+")]);
    // Encoded once as parameters, once more in the base string.
    assert!(r.base_string.contains("a%3D1%25202"), "{}", r.base_string);
    assert!(r.base_string.contains("b%3D%252B"), "{}", r.base_string);
    assert_eq!(r.header("X-Atlassian-Token"), Some("no-check"));
}

#[test]
fn multipart_body_gets_the_xsrf_opt_out_and_is_not_signed() {
    let j = start();
    let body = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
                Content-Type: text/plain\r\n\r\nhello=world\r\n--XyZ--\r\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upload");
    std::fs::write(&file, body).unwrap();
    let arg = format!("@{}", file.display());
    ok(j.request(&[
        "-H",
        "Content-Type: multipart/form-data; boundary=XyZ",
        "-d",
        &arg,
        &j.url("/rest/echo"),
    ]));
    let r = j.only_request();
    assert_eq!(r.outcome, Outcome::Ok);
    assert_eq!(r.body, body.as_bytes());
    assert_eq!(
        r.header("Content-Type"),
        Some("multipart/form-data; boundary=XyZ")
    );
    assert_eq!(r.header("X-Atlassian-Token"), Some("no-check"));
    no_body_params(&r);
}

#[test]
fn headers_are_repeatable_and_sent() {
    let j = start();
    ok(j.request(&[
        "-H",
        "X-One: 1",
        "-H",
        "X-Two:   two words  ",
        "-H",
        "Accept: application/json",
        &j.url("/rest/echo"),
    ]));
    let r = j.only_request();
    assert_eq!(r.header("X-One"), Some("1"));
    assert_eq!(r.header("X-Two"), Some("two words"));
    assert_eq!(r.header("Accept"), Some("application/json"));
    assert_eq!(r.outcome, Outcome::Ok);
}

#[test]
fn a_header_without_a_colon_is_a_usage_error() {
    let j = start();
    let (out, err) = fails(j.request(&["-H", "X-One 1", &j.url("/rest/echo")]), 2);
    assert!(out.is_empty());
    assert!(err.contains("X-One 1"), "{err}");
    assert!(j.jira.requests().is_empty());
}

#[test]
fn a_missing_body_file_is_a_usage_error() {
    let j = start();
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("@{}", dir.path().join("missing.json").display());
    let (out, err) = fails(j.request(&["-d", &missing, &j.url("/rest/echo")]), 2);
    assert!(out.is_empty());
    assert!(err.contains("missing.json"), "{err}");
    assert!(j.jira.requests().is_empty());
}

#[test]
fn include_prints_the_status_line_and_headers_first() {
    let j = start();
    let url = j.url("/rest/api/2/myself");
    let plain = ok(j.request(&[&url]));
    let out = ok(j.request(&["-i", &url]));
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    let (head, body) = text
        .split_once("\r\n\r\n")
        .expect("a blank line after the headers");
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains("\r\ncontent-type: application/json;charset=utf-8"),
        "{head}"
    );
    assert!(head.contains("\r\nx-ausername: admin"), "{head}");
    assert_eq!(body.as_bytes(), plain);
}

// ---- URLs, query, tokens ----

#[test]
fn query_parameters_are_taken_literally() {
    let j = start();
    let out = ok_json(j.request(&[
        "-q",
        "jql=summary ~ \"C++\" AND text ~ 100%",
        "-q",
        "fields=key,summary",
        &j.url("/rest/echo"),
    ]));
    assert_eq!(
        out["query"],
        json!([
            ["jql", "summary ~ \"C++\" AND text ~ 100%"],
            ["fields", "key,summary"]
        ])
    );
    assert_eq!(j.only_request().outcome, Outcome::Ok);
}

#[test]
fn query_parameters_follow_those_in_the_url() {
    let j = start();
    let out = ok_json(j.request(&["-q", "b=2 3", &j.url("/rest/echo?a=x+y")]));
    assert_eq!(out["query"], json!([["a", "x y"], ["b", "2 3"]]));
    assert_eq!(j.only_request().outcome, Outcome::Ok);
}

fn with_context() -> Jira {
    start_with(Options {
        context_path: "/jira".into(),
        ..Options::default_with_test_consumer()
    })
}

#[test]
fn paths_are_appended_to_base_url_keeping_the_context_path() {
    let j = with_context();
    let base = j.jira.base_url();
    assert!(base.ends_with("/jira"));
    let out = ok_json(j.request(&["--base-url", &base, "/rest/api/2/myself"]));
    assert_eq!(out["name"], "admin");
    let r = j.only_request();
    assert_eq!(r.path, "/jira/rest/api/2/myself");
    assert_eq!(r.outcome, Outcome::Ok);
}

#[test]
fn paths_are_appended_to_jira_base_url_with_a_trailing_slash() {
    let j = with_context();
    let base = format!("{}/", j.jira.base_url());
    let out = ok_json(
        j.request(&["/rest/api/2/issue/HSP-1"])
            .env("JIRA_BASE_URL", &base),
    );
    assert_eq!(out["key"], "HSP-1");
    let r = j.only_request();
    assert_eq!(r.path, "/jira/rest/api/2/issue/HSP-1");
    assert_eq!(r.outcome, Outcome::Ok);
}

#[test]
fn a_path_without_a_base_url_is_a_usage_error() {
    let j = start();
    let (out, err) = fails(j.request(&["/rest/api/2/myself"]), 2);
    assert!(out.is_empty());
    assert!(err.contains("base URL"), "{err}");
}

#[test]
fn token_from_the_environment_when_the_first_argument_is_a_url() {
    let j = start();
    let url = j.url("/rest/api/2/myself");
    let out = ok_json(
        bin()
            .args(["request", &url])
            .env("JIRA_OAUTH_ACCESS_TOKEN", &j.token),
    );
    assert_eq!(out["name"], "admin");
    let r = j.only_request();
    assert_eq!(r.param("oauth_token"), Some(j.token.as_str()));
    assert_eq!(r.outcome, Outcome::Ok);
}

#[test]
fn token_from_the_environment_when_the_first_argument_is_a_path() {
    let j = start();
    ok(bin()
        .args(["request", "/rest/api/2/myself"])
        .env("JIRA_BASE_URL", j.jira.base_url())
        .env("JIRA_OAUTH_ACCESS_TOKEN", &j.token));
    assert_eq!(
        j.only_request().param("oauth_token"),
        Some(j.token.as_str())
    );
}

#[test]
fn a_first_argument_token_wins_over_the_environment() {
    let j = start();
    ok(j.request(&[&j.url("/rest/api/2/myself")])
        .env("JIRA_OAUTH_ACCESS_TOKEN", "not-this-one"));
    let r = j.only_request();
    assert_eq!(r.param("oauth_token"), Some(j.token.as_str()));
    assert_eq!(r.outcome, Outcome::Ok);
}

#[test]
fn no_token_anywhere_is_a_usage_error() {
    let j = start();
    let (out, err) = fails(bin().args(["request", &j.url("/rest/api/2/myself")]), 2);
    assert!(out.is_empty());
    assert!(err.contains("JIRA_OAUTH_ACCESS_TOKEN"), "{err}");
    assert!(j.jira.requests().is_empty());
}

// ---- several URLs ----

#[test]
fn several_urls_share_one_connection_in_order() {
    let j = start();
    j.jira.route("GET", "/rest/with-newline", |_| {
        Response::text(200, "ends with a newline\n")
    });
    j.jira.route("GET", "/rest/without", |_| {
        Response::text(200, "no newline")
    });
    let issue = ok(j.request(&[&j.url("/rest/api/2/issue/HSP-1")]));
    let myself = ok(j.request(&[&j.url("/rest/api/2/myself")]));
    j.jira.clear_requests();
    let before = j.jira.connections();

    let out = ok(j.request(&[
        &j.url("/rest/api/2/issue/HSP-1"),
        &j.url("/rest/with-newline"),
        &j.url("/rest/without"),
        &j.url("/rest/api/2/myself"),
    ]));
    let mut want = issue.clone();
    want.push(b'\n');
    want.extend_from_slice(b"ends with a newline\nno newline\n");
    want.extend_from_slice(&myself);
    want.push(b'\n');
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&want)
    );
    assert_eq!(j.jira.connections() - before, 1);
    let reqs = j.jira.requests();
    let paths: Vec<&str> = reqs.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/rest/api/2/issue/HSP-1",
            "/rest/with-newline",
            "/rest/without",
            "/rest/api/2/myself"
        ]
    );
    assert!(reqs.iter().all(|r| r.connection == reqs[0].connection));
    assert!(reqs.iter().all(|r| r.outcome == Outcome::Ok));
}

#[test]
fn parallel_output_is_the_sequential_output_in_order() {
    let j = start();
    j.jira.set_counts(Counts {
        issues: 20,
        ..Counts::default()
    });
    let urls: Vec<String> = (0..20)
        .map(|i| j.url(&format!("/rest/api/2/search?startAt={i}&maxResults=1")))
        .collect();
    let args: Vec<&str> = urls.iter().map(String::as_str).collect();
    let sequential = ok(j.request(&args));
    let mut par = args.clone();
    par.splice(0..0, ["--parallel", "4"]);
    let parallel = ok(j.request(&par));
    assert_eq!(
        String::from_utf8_lossy(&parallel),
        String::from_utf8_lossy(&sequential)
    );
    let keys: Vec<String> = sequential
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let v: Value = serde_json::from_slice(l).unwrap();
            v["issues"][0]["key"].as_str().unwrap().to_string()
        })
        .collect();
    let want: Vec<String> = (1..=20).map(|i| format!("HSP-{i}")).collect();
    assert_eq!(keys, want);

    let reqs = j.jira.requests();
    assert_eq!(reqs.len(), 40);
    assert!(reqs.iter().all(|r| r.outcome == Outcome::Ok));
    let nonces: HashSet<String> = reqs.iter().map(nonce).collect();
    assert_eq!(nonces.len(), 40, "every request has its own nonce");
}

#[test]
fn parallel_stops_at_the_first_error_as_sequential_does() {
    let j = start();
    let mut urls: Vec<String> = (0..8)
        .map(|i| j.url(&format!("/rest/api/2/search?startAt={i}&maxResults=1")))
        .collect();
    urls[3] = j.url("/rest/api/2/issue/NOPE-1");
    let args: Vec<&str> = urls.iter().map(String::as_str).collect();
    let (sequential, seq_err) = fails(j.request(&args), 1);
    let mut par = args.clone();
    par.splice(0..0, ["--parallel", "4"]);
    let (parallel, par_err) = fails(j.request(&par), 1);
    assert_eq!(
        String::from_utf8_lossy(&parallel),
        String::from_utf8_lossy(&sequential)
    );
    assert_eq!(
        sequential
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count(),
        3
    );
    assert_eq!(error_line(&par_err), error_line(&seq_err));
    assert!(error_line(&par_err).contains("Issue Does Not Exist"));
}

// ---- --paginate ----

fn keys(v: &Value, array: &str) -> Vec<String> {
    v[array]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn paginate_start_at_style_merges_every_page() {
    let j = start();
    let out = ok_json(j.request(&[
        "--paginate",
        "-q",
        "jql=project = HSP ORDER BY key",
        "-q",
        "maxResults=3",
        &j.url("/rest/api/2/search"),
    ]));
    let want: Vec<String> = (1..=7).map(|i| format!("HSP-{i}")).collect();
    assert_eq!(keys(&out, "issues"), want);
    assert_eq!(out["total"], 7);
    assert_eq!(out["startAt"], 0);
    let reqs = j.jira.requests();
    assert_eq!(reqs.len(), 3);
    let starts: Vec<Option<&str>> = reqs.iter().map(|r| r.param("startAt")).collect();
    assert_eq!(starts, [None, Some("3"), Some("6")]);
    for r in &reqs {
        assert_eq!(r.outcome, Outcome::Ok);
        assert_eq!(r.param("jql"), Some("project = HSP ORDER BY key"));
        assert_eq!(r.param("maxResults"), Some("3"));
    }
}

#[test]
fn paginate_comments() {
    let j = start();
    let out = ok_json(j.request(&[
        "--paginate",
        &j.url("/rest/api/2/issue/HSP-1/comment?maxResults=2"),
    ]));
    let bodies: Vec<&str> = out["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            "Comment 1",
            "Comment 2",
            "Comment 3",
            "Comment 4",
            "Comment 5"
        ]
    );
    assert_eq!(j.jira.requests().len(), 3);
}

#[test]
fn paginate_is_last_style_follows_next_page() {
    let j = start();
    let out = ok_json(j.request(&[
        "--paginate",
        &j.url("/rest/api/3/project/search?maxResults=2"),
    ]));
    assert_eq!(keys(&out, "values"), ["P1", "P2", "P3", "P4", "P5"]);
    assert_eq!(out["isLast"], true);
    assert!(out.get("nextPage").is_none(), "{out}");
    let reqs = j.jira.requests();
    assert_eq!(reqs.len(), 3);
    let starts: Vec<Option<&str>> = reqs.iter().map(|r| r.param("startAt")).collect();
    assert_eq!(starts, [None, Some("2"), Some("4")]);
    assert!(reqs.iter().all(|r| r.outcome == Outcome::Ok));
}

#[test]
fn paginate_is_last_without_next_page_goes_by_start_at() {
    let j = start();
    let out = ok_json(j.request(&["--paginate", &j.url("/rest/agile/1.0/board?maxResults=2")]));
    let names: Vec<&str> = out["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Board 1", "Board 2", "Board 3", "Board 4", "Board 5"]
    );
    assert_eq!(out["isLast"], true);
    let starts: Vec<Option<String>> = j
        .jira
        .requests()
        .iter()
        .map(|r| r.param("startAt").map(str::to_string))
        .collect();
    assert_eq!(starts, [None, Some("2".into()), Some("4".into())]);
}

#[test]
fn paginate_keeps_literal_query_parameters_on_every_page() {
    let j = start();
    let jql = "summary ~ \"C++\" AND text ~ \"100% Grüße\" & x=y";
    ok(j.request(&[
        "--paginate",
        "-q",
        &format!("jql={jql}"),
        "-q",
        "maxResults=3",
        &j.url("/rest/api/2/search"),
    ]));
    let reqs = j.jira.requests();
    assert_eq!(reqs.len(), 3);
    for r in &reqs {
        assert_eq!(r.param("jql"), Some(jql));
        assert_eq!(r.outcome, Outcome::Ok);
    }
}

#[test]
fn paginate_passes_an_unpaged_answer_through() {
    let j = start();
    let url = j.url("/rest/api/2/issue/HSP-1");
    let plain = ok(j.request(&[&url]));
    let paged = ok(j.request(&["--paginate", &url]));
    assert_eq!(paged, plain);
}

// ---- retries ----

#[test]
fn a_429_is_retried_signed_afresh() {
    let j = start();
    j.jira.fail_next(429, 1);
    let out = ok_json(j.request(&[&j.url("/rest/api/2/myself")]));
    assert_eq!(out["name"], "admin");
    let reqs = j.jira.requests();
    let statuses: Vec<u16> = reqs.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 200]);
    assert!(reqs.iter().all(|r| r.outcome == Outcome::Ok));
    assert_ne!(nonce(&reqs[0]), nonce(&reqs[1]));
}

#[test]
fn retries_are_reported_on_stderr() {
    let j = start();
    j.jira.fail_next(503, 2);
    let o = run(j.request(&[&j.url("/rest/api/2/myself")]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.matches("HTTP 503").count(), 2, "{err}");
    assert!(err.contains("retrying"), "{err}");
    let reqs = j.jira.requests();
    let statuses: Vec<u16> = reqs.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
    let nonces: HashSet<String> = reqs.iter().map(nonce).collect();
    assert_eq!(nonces.len(), 3);
}

#[test]
fn a_429_that_outlasts_the_retries_reports_the_rate_limit() {
    let j = start();
    j.jira.fail_next(429, 10);
    let (out, err) = fails(
        j.request(&["--retries", "1", &j.url("/rest/api/2/myself")]),
        1,
    );
    assert!(out.is_empty());
    let first = error_line(&err);
    assert!(first.contains("429"), "{err}");
    for figure in [
        "x-ratelimit-limit: 100",
        "x-ratelimit-remaining: 0",
        "x-ratelimit-fillrate: 10",
        "retry-after: 0",
    ] {
        assert!(
            first.to_ascii_lowercase().contains(figure),
            "{figure}: {err}"
        );
    }
    assert_eq!(j.jira.requests().len(), 2);
}

#[test]
fn retries_zero_tries_once() {
    let j = start();
    j.jira.fail_next(503, 1);
    let (out, err) = fails(
        j.request(&["--retries", "0", &j.url("/rest/api/2/myself")]),
        1,
    );
    assert!(out.is_empty());
    assert!(err.contains("503"), "{err}");
    assert_eq!(j.jira.requests().len(), 1);
}

#[test]
fn a_post_is_not_retried() {
    let j = start();
    j.jira.fail_next(429, 1);
    let (out, err) = fails(
        j.request(&[
            "-d",
            r#"{"body":"once"}"#,
            &j.url("/rest/api/2/issue/HSP-1/comment"),
        ]),
        1,
    );
    assert!(out.is_empty());
    assert!(err.contains("429"), "{err}");
    assert!(!err.contains("retrying"), "{err}");
    let reqs = j.jira.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    // Nothing was posted, and the issue's comments show it.
    let all = ok_json(j.request(&[&j.url("/rest/api/2/issue/HSP-1/comment")]));
    assert_eq!(all["total"], 5);
}

// ---- redirects ----

#[test]
fn a_same_origin_redirect_is_followed_and_signed_afresh() {
    let j = start();
    j.jira
        .redirect("/rest/api/2/issue/OLD-7", 302, "/rest/api/2/issue/HSP-1");
    let out = ok_json(j.request(&[&j.url("/rest/api/2/issue/OLD-7")]));
    assert_eq!(out["key"], "HSP-1");
    let reqs = j.jira.requests();
    let hops: Vec<(&str, u16)> = reqs.iter().map(|r| (r.path.as_str(), r.status)).collect();
    assert_eq!(
        hops,
        [
            ("/rest/api/2/issue/OLD-7", 302),
            ("/rest/api/2/issue/HSP-1", 200)
        ]
    );
    assert!(reqs.iter().all(|r| r.outcome == Outcome::Ok));
    assert_ne!(nonce(&reqs[0]), nonce(&reqs[1]));
    assert!(reqs[1].base_string.contains("HSP-1"));
}

#[test]
fn a_307_repeats_a_form_post_signed_afresh() {
    let j = start();
    j.jira.redirect("/rest/old-echo", 307, "/rest/echo");
    let out = ok_json(j.request(&[
        "-H",
        "Content-Type: application/x-www-form-urlencoded",
        "-d",
        "a=1",
        &j.url("/rest/old-echo"),
    ]));
    assert_eq!(
        (out["method"].as_str(), out["body"].as_str()),
        (Some("POST"), Some("a=1"))
    );
    let reqs = j.jira.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.outcome, Outcome::Ok, "{}", r.base_string);
        assert_eq!(r.param("a"), Some("1"));
    }
    assert_ne!(nonce(&reqs[0]), nonce(&reqs[1]));
}

#[test]
fn a_redirect_loop_ends_in_an_error() {
    let j = start();
    j.jira.redirect("/rest/loop", 302, "/rest/loop");
    let (out, err) = fails(j.request(&[&j.url("/rest/loop")]), 1);
    assert!(out.is_empty());
    assert!(error_line(&err).contains("redirects"), "{err}");
    assert_eq!(j.jira.requests().len(), 6);
}

#[test]
fn not_modified_is_an_answer_not_a_redirect() {
    let j = start();
    j.jira.route("GET", "/rest/etag", |r| {
        if r.header("If-None-Match") == Some("\"v1\"") {
            Response::new(304).header("ETag", "\"v1\"")
        } else {
            Response::text(200, "fresh").header("ETag", "\"v1\"")
        }
    });
    let url = j.url("/rest/etag");
    let out = ok(j.request(&["-i", "-H", "If-None-Match: \"v1\"", &url]));
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 304 Not Modified\r\n"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("\r\netag: \"v1\"\r\n"),
        "{text}"
    );
    assert!(text.ends_with("\r\n\r\n"), "{text}");
    assert!(ok(j.request(&["-H", "If-None-Match: \"v1\"", &url])).is_empty());
    assert_eq!(ok(j.request(&[&url])), b"fresh");
    let statuses: Vec<u16> = j.jira.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [304, 304, 200]);
}

#[test]
fn a_redirect_to_another_origin_is_not_followed() {
    let j = start();
    let other = MockJira::start(Options::default_with_test_consumer());
    let target = format!("{}/rest/api/2/myself", other.base_url());
    j.jira.redirect("/rest/api/2/myself", 302, &target);
    let (out, err) = fails(j.request(&[&j.url("/rest/api/2/myself")]), 1);
    assert!(out.is_empty());
    assert!(error_line(&err).contains(&target), "{err}");
    assert_eq!(j.jira.requests().len(), 1);
    assert!(other.requests().is_empty());
    assert_eq!(other.connections(), 0);
}

// ---- output ----

#[test]
fn a_body_is_written_byte_for_byte() {
    let j = start();
    let bytes: &[u8] = b"\xff\xfe not UTF-8 \xc3\x28 \x00 end\r";
    j.jira.route("GET", "/rest/raw", move |_| {
        Response::with_body(200, "application/octet-stream", bytes)
    });
    let out = ok(j.request(&[&j.url("/rest/raw")]));
    assert_eq!(out, bytes);
}

#[test]
fn a_large_body_is_streamed_intact() {
    let j = start();
    // 4 MiB from a fixed linear congruential sequence.
    let mut x: u32 = 12345;
    let big: Vec<u8> = (0..4 << 20)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect();
    let served = big.clone();
    j.jira.route("GET", "/rest/big", move |_| {
        Response::with_body(200, "application/octet-stream", served.clone())
    });
    let out = ok(j.request(&[&j.url("/rest/big")]));
    assert_eq!(out.len(), big.len());
    assert!(out == big, "the body differs");
}

#[test]
fn http_404_is_exit_1_with_jiras_error_messages() {
    let j = start();
    let (out, err) = fails(j.request(&[&j.url("/rest/api/2/issue/NOPE-1")]), 1);
    assert!(out.is_empty());
    let first = error_line(&err);
    assert!(first.contains("404"), "{err}");
    assert!(first.contains("Issue Does Not Exist"), "{err}");
}

#[test]
fn an_oauth_refusal_is_exit_4() {
    let j = start();
    let (out, err) = fails(
        bin().args(["request", "not-a-real-token", &j.url("/rest/api/2/myself")]),
        4,
    );
    assert!(out.is_empty());
    assert!(err.contains("token_rejected"), "{err}");
    let r = j.only_request();
    assert_eq!(r.status, 401);
    assert_eq!(r.problem(), Some("token_rejected"));
}
