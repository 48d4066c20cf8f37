//! Every exit code, and every refusal JIRA reports, through the real
//! binary: one error line naming the problem, and a hint that helps.

mod support;

use std::io::Read;
use std::net::TcpListener;
use support::cli::{data, Env};
use support::mock_jira::{MockJira, Options, Outcome, Response, TokenReply};

fn jira() -> MockJira {
    MockJira::start(Options::default_with_test_consumer())
}

const ISSUE: &str = "/rest/api/2/issue/HSP-1";

/// A valid access token (its secret registered as one never to print).
fn access(env: &Env, jira: &MockJira) -> String {
    let (t, s) = jira.issue_access_token("hardcoded-consumer");
    env.secret(&s);
    t
}

// Exit 1: the server said no, but not OAuth.

#[test]
fn exit_1_on_a_rest_404_with_jiras_messages() {
    let jira = jira();
    let env = Env::new();
    let t = access(&env, &jira);
    let url = format!("{}/rest/api/2/issue/NOPE-9", jira.base_url());
    let out = env.jira_oauth(&["-v", "request", &t, &url]);
    out.fails(1);
    assert!(out.error().contains("404"), "{}", out.stderr);
    assert!(
        out.error().contains("Issue Does Not Exist"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
    assert_eq!(jira.last_request().unwrap().outcome, Outcome::Ok);
}

// Exit 2: bad input, found before anything is sent.

#[test]
fn exit_2_on_bad_input() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    let issue = format!("{base}{ISSUE}");
    let missing = env.home_path().join("no-such.pem");
    let missing = missing.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["requestToken", "jira.example.com"], "not a URL"),
        (vec!["requestToken", "ftp://h/jira"], "scheme"),
        (vec!["request", "tok", "http://h:99999/x"], "invalid URL"),
        (vec!["request", &issue], "no access token"),
        (vec!["request", "", &issue], "empty"),
        (vec!["request", " ", &issue], "empty"),
        (vec!["request", "tok\nen", &issue], "newline"),
        (vec!["accessToken", &base, "rt", "rs", "v\n"], "newline"),
        (vec!["--timeout", "0", "requestToken", &base], "0"),
        (vec!["request", "tok", "/rest/api/2/myself"], "no base URL"),
    ];
    for (args, gist) in cases {
        let out = env.jira_oauth(&args);
        out.fails(2);
        assert!(out.error().contains(gist), "{args:?}: {}", out.stderr);
    }
    let out = env.run(
        env.bare()
            .args(["--private-key", missing, "requestToken", &base]),
    );
    out.fails(2);
    assert!(out.error().contains("no-such.pem"), "{}", out.stderr);
    let out = env.run(env.bare().args(["requestToken", &base]));
    out.fails(2);
    assert!(out.error().contains("no private key"), "{}", out.stderr);
    assert!(out.hint().contains("--private-key"), "{}", out.stderr);
    assert!(jira.requests().is_empty(), "bad input reached the server");
}

#[test]
fn exit_2_on_usage_errors_in_one_line() {
    let env = Env::new();
    for (args, gist) in [
        (vec!["frobnicate"], "frobnicate"),
        (
            vec!["requestToken", "http://h", "--no-such-option"],
            "--no-such-option",
        ),
        (vec!["--format", "yaml", "requestToken", "http://h"], "yaml"),
        (vec!["accessToken", "http://h"], "required"),
        (
            vec!["--auth-in", "cookie", "requestToken", "http://h"],
            "cookie",
        ),
    ] {
        let out = env.run(env.bare().args(&args));
        out.fails(2);
        assert!(out.error().contains(gist), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty());
    }
}

// Exit 3: no answer.

#[test]
fn exit_3_on_connection_refused() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let env = Env::new();
    let out = env.jira_oauth(&["requestToken", &format!("http://127.0.0.1:{port}")]);
    out.fails(3);
    assert!(
        out.error().contains(&format!("127.0.0.1:{port}")),
        "{}",
        out.stderr
    );
    assert!(
        out.error().to_lowercase().contains("refused"),
        "{}",
        out.stderr
    );
}

#[test]
fn exit_3_when_the_server_never_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts and holds the connection until the client gives up.
    let holder = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
        sink
    });
    let env = Env::new();
    let out = env.jira_oauth(&[
        "--timeout",
        "1",
        "requestToken",
        &format!("http://127.0.0.1:{port}"),
    ]);
    out.fails(3);
    assert!(out.error().contains("no answer"), "{}", out.stderr);
    assert!(out.hint().contains("--timeout"), "{}", out.stderr);
    let received = holder.join().unwrap();
    assert!(received.starts_with(b"POST /plugins/servlet/oauth/request-token "));
}

#[test]
fn exit_3_on_an_unknown_ca() {
    let jira = MockJira::start(Options {
        tls: true,
        ..Options::default_with_test_consumer()
    });
    let env = Env::new();
    let t = access(&env, &jira);
    let out = env.jira_oauth(&["-v", "request", &t, &format!("{}{ISSUE}", jira.base_url())]);
    out.fails(3);
    assert!(out.error().contains("TLS"), "{}", out.stderr);
    assert!(out.hint().contains("--cacert"), "{}", out.stderr);
    assert!(jira.requests().is_empty());
}

// Exit 4: OAuth refused, one by one.

/// The `N min M s` of a message, in seconds.
fn minutes_and_seconds(text: &str) -> u64 {
    let words: Vec<&str> = text.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "min").expect("N min M s");
    let m: u64 = words[at - 1].parse().unwrap();
    let s: u64 = words[at + 1].parse().unwrap();
    m * 60 + s
}

#[test]
fn timestamp_refused_shows_the_clock_skew() {
    let jira = jira();
    let env = Env::new();
    for (offset, dir) in [(600, "behind"), (-600, "ahead of")] {
        jira.set_clock_offset(offset);
        let out = env.jira_oauth(&["-v", "requestToken", &jira.base_url()]);
        out.fails(4);
        let e = out.error();
        assert!(e.contains("timestamp_refused"), "{e}");
        assert!(e.contains(&format!("{dir} the server's")), "{e}");
        let skew = minutes_and_seconds(e);
        assert!((595..=605).contains(&skew), "{e}");
        assert!(out.hint().contains("clock"), "{}", out.stderr);
        assert_eq!(
            jira.last_request().unwrap().problem(),
            Some("timestamp_refused")
        );
    }
}

#[test]
fn signature_invalid_with_another_key_shows_the_base_strings_agree() {
    let jira = jira();
    let env = Env::new();
    let other = support::private_key("other.pem");
    let out = env.run(env.bare().arg("--private-key").arg(&other).args([
        "-v",
        "requestToken",
        &jira.base_url(),
    ]));
    out.fails(4);
    assert!(out.error().contains("signature_invalid"), "{}", out.stderr);
    assert!(out.hint().contains("base strings agree"), "{}", out.stderr);
    assert!(out.hint().contains("pubkey"), "{}", out.stderr);
    assert_eq!(
        jira.last_request().unwrap().problem(),
        Some("signature_invalid")
    );
    // Nor may the other key leak.
    let pem = std::fs::read_to_string(&other).unwrap();
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!out.stderr.contains(line) && !out.stdout.contains(line));
    }
}

#[test]
fn signature_invalid_without_the_servers_base_string() {
    let jira = jira();
    jira.set_send_base_string(false);
    let env = Env::new();
    let out = env.run(
        env.bare()
            .arg("--private-key")
            .arg(support::private_key("other.pem"))
            .args(["requestToken", &jira.base_url()]),
    );
    out.fails(4);
    assert!(out.error().contains("signature_invalid"), "{}", out.stderr);
    assert!(out.hint().contains("Application Link"), "{}", out.stderr);
}

#[test]
fn signature_invalid_names_the_parameter_that_differs() {
    let jira = jira();
    let env = Env::new();
    let t = access(&env, &jira);
    // A server that decoded `a b` as `a+b`: it answers with a base string
    // that differs from ours in that one parameter.
    jira.route("GET", "/rest/api/2/search", |rec| {
        let theirs = rec.base_string.replace("jql%3Da%2520b", "jql%3Da%252Bb");
        assert_ne!(theirs, rec.base_string);
        let body = format!(
            "oauth_problem=signature_invalid&oauth_signature_base_string={}",
            support::mock_jira::oauth::encode(&theirs)
        );
        Response::text(401, body).header(
            "WWW-Authenticate",
            "OAuth realm=\"jira\", oauth_problem=\"signature_invalid\"",
        )
    });
    let url = format!("{}/rest/api/2/search?jql=a+b", jira.base_url());
    let out = env.jira_oauth(&["-v", "request", &t, &url]);
    out.fails(4);
    assert!(out.error().contains("signature_invalid"), "{}", out.stderr);
    let hint = out.hint();
    assert!(
        hint.contains("parameter jql: ours jql=a%20b, JIRA's jql=a%2Bb"),
        "{hint}"
    );
    assert!(!hint.contains("oauth_nonce"), "{hint}");
}

#[test]
fn signature_invalid_behind_a_proxy_that_rewrites_the_host() {
    let jira = jira();
    let env = Env::new();
    let t = access(&env, &jira);
    let out = env.jira_oauth(&[
        "request",
        &t,
        &format!("{}{ISSUE}", jira.base_url()),
        "-H",
        "Host: jira.example.com",
    ]);
    out.fails(4);
    assert_eq!(
        jira.last_request().unwrap().problem(),
        Some("signature_invalid")
    );
    let hint = out.hint();
    assert!(hint.contains("URL: ours http://127.0.0.1:"), "{hint}");
    assert!(
        hint.contains("JIRA's http://jira.example.com/rest/api/2/issue/HSP-1"),
        "{hint}"
    );
}

#[test]
fn consumer_key_unknown_names_the_key() {
    let jira = jira();
    let env = Env::new();
    let out = env.jira_oauth(&[
        "-v",
        "--consumer-key",
        "no-such-link",
        "requestToken",
        &jira.base_url(),
    ]);
    out.fails(4);
    assert!(
        out.error().contains("consumer_key_unknown"),
        "{}",
        out.stderr
    );
    assert!(out.error().contains("'no-such-link'"), "{}", out.stderr);
    assert!(out.hint().contains("Application Link"), "{}", out.stderr);
}

#[test]
fn token_rejected_when_a_request_token_is_reused() {
    let jira = jira();
    let env = Env::new();
    let t = env.dance(&jira, &[]);
    let out = env.jira_oauth(&[
        "-v",
        "accessToken",
        &jira.base_url(),
        &t.request_token,
        &t.request_secret,
        &t.verifier,
    ]);
    out.fails(4);
    assert!(out.error().contains("token_rejected"), "{}", out.stderr);
    assert!(out.hint().contains("requestToken again"), "{}", out.stderr);
}

#[test]
fn token_expired_asks_for_the_dance_again() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    let (rt, rs) = env.request_token(&base, &[]);
    let verifier = jira.approve(&rt);
    jira.expire_token(&rt);
    let out = env.jira_oauth(&["-v", "accessToken", &base, &rt, &rs, &verifier]);
    out.fails(4);
    assert!(out.error().contains("token_expired"), "{}", out.stderr);
    assert!(out.hint().contains("requestToken again"), "{}", out.stderr);

    let t = access(&env, &jira);
    jira.expire_token(&t);
    let out = env.jira_oauth(&["-v", "request", &t, &format!("{base}{ISSUE}")]);
    out.fails(4);
    assert!(out.error().contains("token_expired"), "{}", out.stderr);
    assert!(out.hint().contains("dance again"), "{}", out.stderr);
}

#[test]
fn permission_denied_and_unknown() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    let (rt, rs) = env.request_token(&base, &[]);
    let out = env.jira_oauth(&["-v", "accessToken", &base, &rt, &rs, "whatever"]);
    out.fails(4);
    assert!(out.error().contains("permission_unknown"), "{}", out.stderr);
    assert!(out.hint().contains("Allow"), "{}", out.stderr);

    jira.deny(&rt);
    let out = env.jira_oauth(&["-v", "accessToken", &base, &rt, &rs, "whatever"]);
    out.fails(4);
    assert!(out.error().contains("permission_denied"), "{}", out.stderr);
    assert!(out.error().contains("denied"), "{}", out.stderr);
    assert!(out.hint().contains("requestToken again"), "{}", out.stderr);
}

#[test]
fn forced_problems() {
    let jira = jira();
    let env = Env::new();
    let t = access(&env, &jira);
    let issue = format!("{}{ISSUE}", jira.base_url());
    for (problem, gist) in [
        ("nonce_used", "run the command again"),
        ("signature_method_rejected", "RSA-SHA1"),
        ("parameter_absent", "--auth-in query"),
        ("token_rejected", "dance again"),
    ] {
        jira.force_problem(problem);
        let out = env.jira_oauth(&["-v", "request", &t, &issue]);
        out.fails(4);
        assert!(out.error().contains(problem), "{}", out.stderr);
        assert!(out.hint().contains(gist), "{problem}: {}", out.stderr);
        assert_eq!(jira.last_request().unwrap().problem(), Some(problem));
    }
}

#[test]
fn signature_method_rejected_for_a_method_jira_lacks() {
    let jira = jira();
    let env = Env::new();
    let out = env.jira_oauth(&[
        "--signature-method",
        "RSA-SHA256",
        "requestToken",
        &jira.base_url(),
    ]);
    out.fails(4);
    assert!(
        out.error().contains("signature_method_rejected"),
        "{}",
        out.stderr
    );
    assert!(
        out.hint().contains("--signature-method RSA-SHA1"),
        "{}",
        out.stderr
    );
}

#[test]
fn captcha_says_so_and_where_to_log_in() {
    let jira = jira();
    jira.set_captcha(true);
    let env = Env::new();
    let t = access(&env, &jira);
    for args in [
        vec!["-v".to_string(), "requestToken".into(), jira.base_url()],
        vec![
            "request".into(),
            t.clone(),
            format!("{}{ISSUE}", jira.base_url()),
        ],
    ] {
        let out = env.run(env.cmd().args(&args));
        out.fails(4);
        assert!(out.error().contains("CAPTCHA"), "{}", out.stderr);
        assert!(
            out.hint()
                .contains(&format!("{}/login.jsp", jira.base_url())),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn anonymous_answer_is_a_warning() {
    let jira = jira();
    jira.set_anonymous(true);
    let env = Env::new();
    let out = env.jira_oauth(&[
        "-v",
        "request",
        "not-a-real-token",
        &format!("{}{ISSUE}", jira.base_url()),
    ]);
    out.ok();
    assert!(out.stdout.contains("HSP-1"));
    let warning = out
        .stderr
        .lines()
        // Not the first warning: a checkout may leave the test key mode 0644.
        .find(|l| l.starts_with("jira-oauth: warning: ") && l.contains("anonymous"))
        .unwrap_or_else(|| panic!("no warning: {}", out.stderr));
    assert!(warning.contains("signature"), "{warning}");
}

#[test]
fn odd_token_answers_are_clear_errors() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    for (reply, gist) in [
        (TokenReply::LoginPage, "Log in - JIRA"),
        (TokenReply::Empty, "empty"),
        (TokenReply::NoSecret, "lacks oauth_token_secret"),
    ] {
        jira.set_token_reply(reply);
        let out = env.jira_oauth(&["-v", "requestToken", &base]);
        out.fails(1);
        assert!(
            out.error().contains("HTTP 200"),
            "{reply:?}: {}",
            out.stderr
        );
        assert!(out.error().contains(gist), "{reply:?}: {}", out.stderr);
        assert!(out.stdout.is_empty());
    }

    // An access-token answer must not echo its secret in the error.
    jira.set_token_reply(TokenReply::Normal);
    let (rt, rs) = env.request_token(&base, &[]);
    let verifier = jira.approve(&rt);
    jira.route_open("POST", "/plugins/servlet/oauth/access-token", |_| {
        Response::text(200, "oauth_token_secret=LEAKED-SECRET&oauth_expires_in=1")
    });
    env.secret("LEAKED-SECRET");
    let out = env.jira_oauth(&["-v", "accessToken", &base, &rt, &rs, &verifier]);
    out.fails(1);
    assert!(out.error().contains("lacks oauth_token;"), "{}", out.stderr);
    assert!(!out.stdout.contains("LEAKED-SECRET"));
}

#[test]
fn exit_2_on_a_key_that_is_not_an_rsa_private_key() {
    let env = Env::new();
    let junk = env.home_path().join("junk.pem");
    std::fs::write(&junk, "not a key\n").unwrap();
    for (key, culprit) in [
        (data("consumer.pub.pem"), "holds a public key"),
        (junk, "not a private key I can read"),
    ] {
        let out = env.run(
            env.bare()
                .arg("--private-key")
                .arg(&key)
                .args(["requestToken", "http://127.0.0.1:9"]),
        );
        out.fails(2);
        let line = out.error();
        assert!(line.contains(culprit), "{}", out.stderr);
        assert!(
            line.contains(&*key.to_string_lossy()),
            "names the file: {}",
            out.stderr
        );
    }
}

#[test]
fn a_bare_401_and_a_body_only_problem_are_refusals() {
    let jira = jira();
    let env = Env::new();
    let t = access(&env, &jira);
    jira.route_open("GET", "/rest/bare", |_| Response::text(401, ""));
    jira.route_open("GET", "/rest/body-only", |_| {
        Response::text(
            400,
            "oauth_problem=token_rejected&oauth_problem_advice=gone",
        )
    });
    let base = jira.base_url();
    let out = env.jira_oauth(&["request", &t, &format!("{base}/rest/bare")]);
    out.fails(4);
    assert!(out.error().contains("401"), "{}", out.stderr);
    let out = env.jira_oauth(&["request", &t, &format!("{base}/rest/body-only")]);
    out.fails(4);
    assert!(out.error().contains("token_rejected"), "{}", out.stderr);
    assert!(out.hint().contains("gone"), "{}", out.stderr);
}

#[test]
fn authenticated_failed_without_captcha() {
    let jira = jira();
    let env = Env::new();
    let t = access(&env, &jira);
    jira.route_open("GET", "/rest/api/2/myself", |_| {
        Response::html(401, "<html></html>").header("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
    });
    let out = env.jira_oauth(&[
        "request",
        &t,
        &format!("{}/rest/api/2/myself", jira.base_url()),
    ]);
    out.fails(4);
    assert!(
        out.error().contains("AUTHENTICATED_FAILED"),
        "{}",
        out.stderr
    );
    assert!(out.hint().contains("browser"), "{}", out.stderr);
}

#[test]
fn verbose_never_shows_plaintext_secrets() {
    let jira = MockJira::start(Options {
        tls: true,
        consumers: vec![support::mock_jira::Consumer {
            key: "shared".into(),
            public_key_pem: String::new(),
            secret: Some("cons+sec/ret=".into()),
        }],
        signature_methods: vec!["PLAINTEXT".into()],
        ..Options::default()
    });
    let env = Env::new();
    jira.add_access_token("shared", "tok", "tok sec&ret");
    env.secret("cons+sec/ret=");
    env.secret("tok sec&ret");
    env.secret("cons%2Bsec%2Fret%3D");
    env.secret("tok%20sec%26ret");
    let ca = jira.ca_pem_path().unwrap();
    let out = env.run(
        env.bare()
            .args([
                "-v",
                "--signature-method",
                "PLAINTEXT",
                "--consumer-key",
                "shared",
            ])
            .args([
                "--consumer-secret",
                "cons+sec/ret=",
                "--token-secret",
                "tok sec&ret",
            ])
            .arg("--cacert")
            .arg(&ca)
            .args(["request", "tok", &format!("{}{ISSUE}", jira.base_url())]),
    );
    out.ok();
    assert_eq!(jira.last_request().unwrap().outcome, Outcome::Ok);
    assert!(
        out.stderr.to_lowercase().contains("authorization: oauth"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("[redacted]"), "{}", out.stderr);
}

#[test]
fn a_stored_login_jira_no_longer_accepts_says_login_again() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    let t = access(&env, &jira);
    let dir = env.home_path().join("config/jira-oauth");
    std::fs::create_dir_all(&dir).unwrap();
    let store = serde_json::json!({"version": 1, "logins": {&base: {
        "consumer_key": "hardcoded-consumer", "token": &t,
        "token_secret": "", "obtained_at": "2024-01-01T00:00:00Z"}}});
    std::fs::write(dir.join("credentials.json"), store.to_string()).unwrap();
    jira.revoke_token(&t);
    for problem in [None, Some("token_expired")] {
        if let Some(p) = problem {
            jira.force_problem(p);
        }
        // The token comes from the store: `login` renews it.
        let out = env.jira_oauth(&["request", ISSUE]);
        out.fails(4);
        let hint = out.hint();
        assert!(
            hint.contains(&format!("run jira-oauth login {base}")),
            "{hint}"
        );
        assert!(!hint.contains("dance"), "{hint}");
        // The same token given by hand: the dance by hand.
        let out = env.jira_oauth(&["request", &t, &format!("{base}{ISSUE}")]);
        out.fails(4);
        assert!(out.hint().contains("dance again"), "{}", out.stderr);
    }
}
