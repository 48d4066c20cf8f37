//! The Java sample's three steps through the real binary, against the test
//! provider: requestToken, approval, accessToken, then signed REST calls.

mod support;

use support::cli::{consumer_key_path, fetch_served, parse_env, Env};
use support::mock_jira::{Consumer, MockJira, Options, Outcome, Response, Source};

fn jira() -> MockJira {
    MockJira::start(Options::default_with_test_consumer())
}

fn jira_tls() -> MockJira {
    MockJira::start(Options {
        tls: true,
        ..Options::default_with_test_consumer()
    })
}

const ISSUE: &str = "/rest/api/2/issue/HSP-1";

/// The three steps with text output, then the issue; `tls` adds `--cacert`.
fn whole_dance_in_text(jira: &MockJira, extra: &[&str]) {
    let env = Env::new();
    let base = jira.base_url();
    let mut args = vec!["-v", "requestToken", base.as_str()];
    args.extend_from_slice(extra);
    let out = env.jira_oauth(&args);
    out.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    assert!(out.stdout.ends_with('\n'));
    let token = lines[0].strip_prefix("Token is ").unwrap();
    let secret = lines[1].strip_prefix("Token secret is ").unwrap();
    env.secret(secret);
    assert_eq!(
        lines[2],
        format!(
            "Retrieved request token. go to {}",
            jira.authorize_url(token)
        )
    );
    let verifier = jira.approve(token);

    let mut args = vec!["-v", "accessToken", base.as_str(), token, secret, &verifier];
    args.extend_from_slice(extra);
    let out = env.jira_oauth(&args);
    out.ok();
    let first = out.stdout.lines().next().unwrap();
    let access = first.strip_prefix("Access token is : ").unwrap();
    assert!(!access.is_empty() && access != token);

    let url = format!("{base}{ISSUE}");
    let mut args = vec!["-v", "request", access, url.as_str()];
    args.extend_from_slice(extra);
    let out = env.jira_oauth(&args);
    out.ok();
    let last = jira.last_request().unwrap();
    assert_eq!(last.outcome, Outcome::Ok);
    assert_eq!(last.param("oauth_token"), Some(access));
    assert!(out.stdout.contains("\"key\":\"HSP-1\""), "{}", out.stdout);
    for r in jira.requests() {
        assert_eq!(r.tls, jira.ca_pem_path().is_some());
        assert_eq!(r.outcome, Outcome::Ok, "{}", r.target);
    }
    if !jira.requests()[0].tls {
        assert_eq!(out.stdout.as_bytes(), fetch_served(jira, ISSUE));
        // Exchanged, the request token's authorize page is JIRA's
        // "invalid or has expired" one.
        let page = fetch_served(
            jira,
            &format!("/plugins/servlet/oauth/authorize?oauth_token={token}"),
        );
        let page = String::from_utf8_lossy(&page);
        assert!(page.contains("invalid or has expired"), "{page}");
    }
}

#[test]
fn the_three_steps_over_http() {
    whole_dance_in_text(&jira(), &[]);
}

#[test]
fn the_three_steps_over_https_with_cacert() {
    let jira = jira_tls();
    let ca = jira.ca_pem_path().unwrap();
    whole_dance_in_text(&jira, &["--cacert", ca.to_str().unwrap()]);
}

#[test]
fn request_prints_the_body_byte_for_byte() {
    let jira = jira();
    let env = Env::new();
    let t = env.dance(&jira, &[]);
    let out = env.run(
        env.cmd()
            .args(["request", &t.access_token])
            .arg(format!("{}{ISSUE}", jira.base_url())),
    );
    out.ok();
    let served = fetch_served(&jira, ISSUE);
    assert!(String::from_utf8_lossy(&served).contains("Grüße"));
    assert_eq!(out.stdout.as_bytes(), served.as_slice());
}

#[test]
fn https_without_cacert_fails_on_the_certificate() {
    let jira = jira_tls();
    let env = Env::new();
    let out = env.jira_oauth(&["requestToken", &jira.base_url()]);
    out.fails(3);
    assert!(
        out.error().contains("certificate") || out.error().contains("TLS"),
        "{}",
        out.stderr
    );
    assert!(out.hint().contains("--cacert"), "{}", out.stderr);
    assert!(jira.requests().is_empty());
}

#[test]
fn https_insecure_works_and_warns() {
    let jira = jira_tls();
    let env = Env::new();
    let t = env.dance(&jira, &["--insecure"]);
    let out = env.jira_oauth(&[
        "request",
        "--insecure",
        &t.access_token,
        &format!("{}{ISSUE}", jira.base_url()),
    ]);
    out.ok();
    assert!(
        out.stderr.contains("jira-oauth: warning: --insecure"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("HSP-1"));
    assert!(jira
        .requests()
        .iter()
        .all(|r| r.tls && r.outcome == Outcome::Ok));
}

#[test]
fn token_commands_in_json() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    let out = env.jira_oauth(&["requestToken", &base, "--format", "json"]);
    out.ok();
    let v = out.json();
    let token = v["token"].as_str().unwrap();
    let secret = v["token_secret"].as_str().unwrap();
    env.secret(secret);
    assert_eq!(v["authorize_url"], jira.authorize_url(token));
    assert_eq!(v.as_object().unwrap().len(), 3);
    let verifier = jira.approve(token);
    let v = env.access_token(&base, token, secret, &verifier, &[]);
    assert!(!v["token"].as_str().unwrap().is_empty());
    assert!(!v["token_secret"].as_str().unwrap().is_empty());
    assert_eq!(v["expires_in"], "157680000");
    assert_eq!(v["authorization_expires_in"], "157680000");
    assert!(!v["session_handle"].as_str().unwrap().is_empty());
}

#[test]
fn token_commands_in_env_form_eval_back() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    let out = env.jira_oauth(&["requestToken", &base, "--format", "env"]);
    out.ok();
    let vars = parse_env(&out.stdout);
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "JIRA_OAUTH_REQUEST_TOKEN",
            "JIRA_OAUTH_REQUEST_TOKEN_SECRET",
            "JIRA_OAUTH_AUTHORIZE_URL"
        ]
    );
    let (token, secret) = (vars[0].1.clone(), vars[1].1.clone());
    env.secret(&secret);
    assert_eq!(vars[2].1, jira.authorize_url(&token));
    // Every value single-quoted, so `?`, `&` and `=` stay inert under eval.
    for line in out.stdout.lines() {
        assert!(line.split_once('=').unwrap().1.starts_with('\''), "{line}");
        assert!(line.ends_with('\''), "{line}");
    }

    let verifier = jira.approve(&token);
    let out = env.jira_oauth(&[
        "accessToken",
        &base,
        &token,
        &secret,
        &verifier,
        "--format",
        "env",
    ]);
    out.ok();
    let vars = parse_env(&out.stdout);
    assert_eq!(vars.len(), 2);
    assert_eq!(vars[0].0, "JIRA_OAUTH_ACCESS_TOKEN");
    assert_eq!(vars[1].0, "JIRA_OAUTH_ACCESS_TOKEN_SECRET");
    env.secret(&vars[1].1);

    // A shell that runs those lines (as `eval "$(…)"` does) hands the
    // token and its secret to the next jira-oauth, a child process.
    let script = format!(
        "{}\nexec \"$BIN\" --private-key \"$KEY\" request '{base}{ISSUE}'",
        out.stdout
    );
    let sh = env.run(
        assert_cmd::Command::new("sh")
            .args(["-c", &script])
            .env_clear()
            .env("HOME", env.home_path())
            .env("XDG_CONFIG_HOME", env.home_path().join("config"))
            .env("BIN", assert_cmd::cargo::cargo_bin("jira-oauth"))
            .env("KEY", consumer_key_path()),
    );
    sh.ok();
    assert_eq!(jira.last_request().unwrap().outcome, Outcome::Ok);
    assert_eq!(
        jira.last_request().unwrap().param("oauth_token"),
        Some(vars[0].1.as_str())
    );
}

#[test]
fn base_url_with_context_path_and_trailing_slash() {
    let jira = MockJira::start(Options {
        context_path: "/jira".into(),
        ..Options::default_with_test_consumer()
    });
    let env = Env::new();
    let base = jira.base_url();
    assert!(base.ends_with("/jira"));
    let with_slash = format!("{base}/");
    let out = env.jira_oauth(&["requestToken", &with_slash]);
    out.ok();
    let rec = jira.last_request().unwrap();
    assert_eq!(rec.path, "/jira/plugins/servlet/oauth/request-token");
    assert_eq!(rec.outcome, Outcome::Ok);
    let token = out
        .stdout
        .lines()
        .next()
        .unwrap()
        .strip_prefix("Token is ")
        .unwrap();
    assert!(
        out.stdout
            .contains(&format!("go to {}\n", jira.authorize_url(token))),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("jira//"), "{}", out.stdout);

    let t = env.dance(&jira, &[]);
    let rec = jira.last_request().unwrap();
    assert_eq!(rec.path, "/jira/plugins/servlet/oauth/access-token");
    let out = env.jira_oauth(&[
        "request",
        &t.access_token,
        &format!("{with_slash}rest/api/2/issue/HSP-1"),
    ]);
    out.ok();
    let rec = jira.last_request().unwrap();
    assert_eq!(
        (rec.path.as_str(), rec.outcome),
        ("/jira/rest/api/2/issue/HSP-1", Outcome::Ok)
    );
    for r in jira.requests() {
        assert!(!r.path.contains("//"), "{}", r.path);
    }
}

#[test]
fn upper_case_scheme_is_signed_lower_case() {
    let jira = MockJira::start(Options {
        context_path: "/jira".into(),
        ..Options::default_with_test_consumer()
    });
    let env = Env::new();
    let base = jira.base_url().replacen("http://", "HTTP://", 1);
    let out = env.jira_oauth(&["-v", "requestToken", &base]);
    out.ok();
    let rec = jira.last_request().unwrap();
    assert_eq!(rec.outcome, Outcome::Ok);
    assert_eq!(rec.path, "/jira/plugins/servlet/oauth/request-token");
    assert!(
        out.stderr.contains("POST&http%3A%2F%2F127.0.0.1"),
        "{}",
        out.stderr
    );
    // The authorize URL is one a browser opens as is.
    assert!(
        out.stdout
            .contains(&format!("go to {}/plugins", jira.base_url())),
        "{}",
        out.stdout
    );
}

#[test]
fn token_method_get() {
    let jira = jira();
    let env = Env::new();
    let t = env.dance(&jira, &["--token-method", "GET"]);
    let reqs = jira.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.method, "GET");
        assert_eq!(r.outcome, Outcome::Ok);
        assert_eq!(r.oauth_source(), Some(Source::Header));
    }
    assert_eq!(reqs[1].param("oauth_token"), Some(t.request_token.as_str()));
    assert_eq!(reqs[1].param("oauth_verifier"), Some(t.verifier.as_str()));
}

#[test]
fn callback_gets_a_1_0a_token_whose_verifier_is_checked() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    let cb = "http://127.0.0.1:9/cb?x=1";
    let (token, secret) = env.request_token(&base, &["--callback", cb]);
    let rec = jira.last_request().unwrap();
    assert_eq!(rec.param("oauth_callback"), Some(cb));
    assert_eq!(rec.outcome, Outcome::Ok);
    let verifier = jira.approve(&token);

    let out = env.jira_oauth(&["accessToken", &base, &token, &secret, "wrong-verifier"]);
    out.fails(4);
    assert!(out.error().contains("token_rejected"), "{}", out.stderr);
    assert_eq!(
        jira.last_request().unwrap().problem(),
        Some("token_rejected")
    );

    let v = env.access_token(&base, &token, &secret, &verifier, &[]);
    assert!(v["token"].as_str().is_some());
    assert_eq!(
        jira.last_request().unwrap().param("oauth_verifier"),
        Some(verifier.as_str())
    );
}

#[test]
fn auth_in_header_query_body() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    for (place, source) in [
        ("header", Source::Header),
        ("query", Source::Query),
        ("body", Source::Body),
    ] {
        jira.clear_requests();
        let t = env.dance(&jira, &["--auth-in", place]);
        for r in jira.requests() {
            assert_eq!(r.method, "POST");
            assert_eq!(r.outcome, Outcome::Ok, "{place}");
            assert_eq!(r.oauth_source(), Some(source), "{place}");
            assert!(r
                .params
                .iter()
                .filter(|p| p.name.starts_with("oauth_"))
                .all(|p| p.source == source));
        }
        if place == "header" {
            assert!(jira
                .last_request()
                .unwrap()
                .header("Authorization")
                .is_some());
        }
        if place == "body" {
            let out = env.jira_oauth(&[
                "request",
                "--auth-in",
                "body",
                &t.access_token,
                &format!("{base}{ISSUE}"),
            ]);
            out.fails(2);
            assert!(out.error().contains("--auth-in body"), "{}", out.stderr);
            continue;
        }
        let out = env.jira_oauth(&[
            "request",
            "--auth-in",
            place,
            &t.access_token,
            &format!("{base}{ISSUE}"),
        ]);
        out.ok();
        let r = jira.last_request().unwrap();
        assert_eq!((&r.outcome, r.oauth_source()), (&Outcome::Ok, Some(source)));
    }
}

#[test]
fn environment_variables() {
    let jira = MockJira::start(Options {
        consumers: vec![
            Consumer::test(),
            Consumer::rsa(
                "env-consumer",
                &std::fs::read_to_string(support::cli::data("consumer.pub.pem")).unwrap(),
            ),
        ],
        ..Options::default()
    });
    let env = Env::new();
    let base = jira.base_url();
    let with_env = |cmd: &mut assert_cmd::Command| {
        cmd.env("JIRA_OAUTH_CONSUMER_KEY", "env-consumer")
            .env("JIRA_OAUTH_PRIVATE_KEY", consumer_key_path())
            .env("JIRA_OAUTH_AUTH_IN", "query");
    };
    let mut cmd = env.bare();
    with_env(&mut cmd);
    let out = env.run(cmd.args(["requestToken", &base, "--format", "json"]));
    out.ok();
    let rec = jira.last_request().unwrap();
    assert_eq!(rec.outcome, Outcome::Ok);
    assert_eq!(rec.param("oauth_consumer_key"), Some("env-consumer"));
    assert_eq!(rec.oauth_source(), Some(Source::Query));

    let (access, secret) = jira.issue_access_token("env-consumer");
    env.secret(&secret);
    let mut cmd = env.bare();
    with_env(&mut cmd);
    cmd.env("JIRA_OAUTH_ACCESS_TOKEN", &access)
        .env("JIRA_BASE_URL", format!("{base}/"))
        .args(["request", ISSUE]);
    let out = env.run(&mut cmd);
    out.ok();
    let rec = jira.last_request().unwrap();
    assert_eq!(rec.path, ISSUE);
    assert_eq!(rec.outcome, Outcome::Ok);
    assert_eq!(rec.param("oauth_token"), Some(access.as_str()));
    assert_eq!(rec.param("oauth_consumer_key"), Some("env-consumer"));
    assert!(out.stdout.contains("HSP-1"));

    // An option beats its variable.
    let mut cmd = env.bare();
    with_env(&mut cmd);
    let out = env.run(cmd.args([
        "requestToken",
        &base,
        "--consumer-key",
        "hardcoded-consumer",
        "--auth-in",
        "header",
    ]));
    out.ok();
    let rec = jira.last_request().unwrap();
    assert_eq!(rec.param("oauth_consumer_key"), Some("hardcoded-consumer"));
    assert_eq!(rec.oauth_source(), Some(Source::Header));
}

#[test]
fn options_before_and_after_the_subcommand() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    let key = consumer_key_path();
    let key = key.to_str().unwrap();
    let before = env.run(env.bare().args([
        "--private-key",
        key,
        "--format",
        "json",
        "--auth-in",
        "query",
        "request-token",
        &base,
    ]));
    before.ok();
    assert!(before.json()["token"].is_string());
    env.secret(before.json()["token_secret"].as_str().unwrap());
    assert_eq!(
        jira.last_request().unwrap().oauth_source(),
        Some(Source::Query)
    );
    let after = env.run(env.bare().args([
        "request-token",
        &base,
        "--auth-in",
        "body",
        "--format",
        "json",
        "--private-key",
        key,
    ]));
    after.ok();
    env.secret(after.json()["token_secret"].as_str().unwrap());
    let rec = jira.last_request().unwrap();
    assert_eq!(
        (rec.oauth_source(), rec.outcome),
        (Some(Source::Body), Outcome::Ok)
    );
}

fn text_route(jira: &MockJira, path: &str, body: &'static str) {
    jira.route("GET", path, move |_| Response::text(200, body));
}

#[test]
fn several_urls_one_connection_bodies_in_order() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    text_route(&jira, "/rest/a", "first");
    text_route(&jira, "/rest/b", "second\n");
    text_route(&jira, "/rest/c", "");
    let (access, secret) = jira.issue_access_token("hardcoded-consumer");
    env.secret(&secret);
    let before = jira.connections();
    let out = env.jira_oauth(&[
        "-v",
        "request",
        &access,
        &format!("{base}/rest/b"),
        &format!("{base}/rest/a"),
        &format!("{base}/rest/c"),
        &format!("{base}/rest/a"),
    ]);
    out.ok();
    assert_eq!(out.stdout, "second\nfirst\nfirst\n");
    assert_eq!(jira.connections() - before, 1);
    let paths: Vec<String> = jira.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/rest/b", "/rest/a", "/rest/c", "/rest/a"]);
    assert!(jira.requests().iter().all(|r| r.outcome == Outcome::Ok));
}

fn search_route(jira: &MockJira) {
    jira.route("GET", "/rest/api/2/search", |_| {
        Response::json(200, &serde_json::json!({"issues": [], "total": 0}))
    });
}

fn query_params(jira: &MockJira) -> Vec<(String, String)> {
    let rec = jira.last_request().unwrap();
    assert_eq!(rec.outcome, Outcome::Ok, "{}", rec.target);
    rec.params
        .iter()
        .filter(|p| p.source == Source::Query)
        .map(|p| (p.name.clone(), p.value.clone()))
        .collect()
}

#[test]
fn urls_as_typed_are_signed_as_the_server_decodes_them() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    search_route(&jira);
    let (access, secret) = jira.issue_access_token("hardcoded-consumer");
    env.secret(&secret);
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            r#"jql=summary ~ "C++" AND text ~ 100%"#,
            &[("jql", r#"summary ~ "C  " AND text ~ 100%"#)],
        ),
        (
            r#"jql=summary ~ "C%2B%2B"&fields=a+b"#,
            &[("jql", r#"summary ~ "C++""#), ("fields", "a b")],
        ),
        (
            "jql=text ~ \"Grüße 日本\"",
            &[("jql", "text ~ \"Grüße 日本\"")],
        ),
        ("a=1&a=2&b=%41", &[("a", "1"), ("a", "2"), ("b", "A")]),
        (
            "expand&jql=x=y&empty=",
            &[("expand", ""), ("jql", "x=y"), ("empty", "")],
        ),
        ("q=[1]{2}|<3>%zz", &[("q", "[1]{2}|<3>%zz")]),
    ];
    for (query, want) in cases {
        let out = env.jira_oauth(&[
            "request",
            &access,
            &format!("{base}/rest/api/2/search?{query}"),
        ]);
        out.ok();
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(query_params(&jira), want, "{query}");
    }
}

#[test]
fn dash_q_is_taken_literally() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    search_route(&jira);
    let (access, secret) = jira.issue_access_token("hardcoded-consumer");
    env.secret(&secret);
    let out = env.jira_oauth(&[
        "request",
        &access,
        &format!("{base}/rest/api/2/search?maxResults=1"),
        "-q",
        r#"jql=summary ~ "C++" & x=100%"#,
        "-q",
        "fields=a+b",
    ]);
    out.ok();
    assert_eq!(
        query_params(&jira),
        [
            ("maxResults".to_string(), "1".to_string()),
            ("jql".into(), r#"summary ~ "C++" & x=100%"#.into()),
            ("fields".into(), "a+b".into()),
        ]
    );
}

#[test]
fn env_format_quotes_what_a_shell_would_expand() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    // Tokens are opaque: a server may put quotes and `$` in them.
    jira.route_open("POST", "/plugins/servlet/oauth/request-token", |_| {
        Response::text(
            200,
            "oauth_token=it%27s%20%24HOME&oauth_token_secret=a%27%27b%60c%60",
        )
    });
    let out = env.jira_oauth(&["requestToken", &base, "--format", "env"]);
    out.ok();
    let vars = parse_env(&out.stdout);
    assert_eq!(vars[0].1, "it's $HOME");
    assert_eq!(vars[1].1, "a''b`c`");
    assert!(
        vars[2].1.ends_with("oauth_token=it%27s%20%24HOME"),
        "{}",
        vars[2].1
    );
    // And a real shell reads the same values back.
    let script = format!(
        "{}printf '%s|%s' \"$JIRA_OAUTH_REQUEST_TOKEN\" \"$JIRA_OAUTH_REQUEST_TOKEN_SECRET\"",
        out.stdout
    );
    let sh = std::process::Command::new("sh")
        .args(["-c", &script])
        .env_clear()
        .env("HOME", "/nowhere")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&sh.stdout), "it's $HOME|a''b`c`");
    let out = env.jira_oauth(&["requestToken", &base, "--format", "json"]);
    out.ok();
    assert_eq!(out.json()["token"], "it's $HOME");
}
