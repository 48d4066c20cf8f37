//! `login --oauth2` and what follows, through the binary against the test
//! provider's OAuth 2.0 endpoints (JIRA Data Center's rules): the test plays
//! the browser (the consent page, then the redirect to the listener), and
//! scans every output for every secret: the client secret, the code, the
//! PKCE verifier, the access and refresh tokens.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use support::cli::Out;
use support::mock_jira::{MockJira, Options};
use support::oauth2::*;

/// A refusal: exit `code`, the error line and a hint last, no panic.
fn refused(out: &Out, code: i32) -> (String, String) {
    assert_eq!(out.code, code, "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    let n = lines.len();
    assert!(n >= 2, "{}", out.stderr);
    let error = lines[n - 2]
        .strip_prefix("jira-oauth: error: ")
        .expect("error line");
    let hint = lines[n - 1].strip_prefix("hint: ").expect("hint line");
    assert!(!out.stderr.contains("panicked"));
    (error.to_string(), hint.to_string())
}

#[test]
fn login_through_the_listener_then_whoami_request_and_token() {
    let s = setup();
    let base = s.base();
    let out = login(&s);
    out.ok();
    assert_eq!(
        out.stdout,
        format!("Logged in to {base} as Administrator (admin) with OAuth 2.0 (scope WRITE)\n")
    );
    // The authorize URL asked for PKCE S256 and a state.
    let e = s.entry();
    assert_eq!(e["kind"], "oauth2");
    assert_eq!(e["client_id"], CLIENT_ID);
    assert_eq!(e["scope"], "WRITE");
    assert_eq!(e["redirect_uri"], s.redirect.as_str());
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(s.credentials_path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode, 0o600);
    // The client's credentials went in the form body, never in a Basic header.
    let exchange = s
        .jira
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/rest/oauth2/latest/token"))
        .unwrap();
    assert!(exchange.header("Authorization").is_none());
    let body = exchange.body_text();
    assert!(
        body.contains("client_secret=") && body.contains("code_verifier="),
        "{body}"
    );
    let probe = s
        .jira
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/rest/oauth2/latest/authorize"))
        .unwrap();
    assert!(probe
        .query
        .as_deref()
        .unwrap()
        .contains("code_challenge_method=S256"));

    let out = s.run(&["whoami"]);
    out.ok();
    assert_eq!(
        out.stdout,
        format!("Logged in to {base} as Administrator (admin) with OAuth 2.0\n")
    );
    let out = s.run(&["-v", "request", "/rest/api/2/issue/HSP-1"]);
    out.ok();
    let access = e["token"].as_str().unwrap().to_string();
    assert_eq!(
        s.jira.last_request().unwrap().header("Authorization"),
        Some(format!("Bearer {access}").as_str())
    );
    let out = s.env.run(s.cmd().arg("token"));
    out.ok();
    assert_eq!(out.stdout, format!("{access}\n"));
    s.clean(&out, Some(&access));
}

#[test]
fn login_with_a_pasted_redirect() {
    let s = setup();
    let mut l = s.spawn(&["--paste"], true);
    let back = s.jira.oauth2_consent(&l.authorize, true).unwrap();
    let mut stdin = l.child.stdin.take().unwrap();
    writeln!(stdin, "{back}").unwrap();
    drop(stdin);
    let out = l.finish(&s);
    out.ok();
    assert!(
        out.stdout.ends_with("with OAuth 2.0 (scope WRITE)\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn denied_and_wrong_state_are_exit_4_and_store_nothing() {
    let s = setup();
    let l = s.spawn(&[], false);
    let back = s.jira.oauth2_consent(&l.authorize, false).unwrap();
    browse(&back);
    let out = l.finish(&s);
    let (error, _) = refused(&out, 4);
    assert!(error.contains("access_denied"), "{}", out.stderr);

    let l = s.spawn(&[], false);
    let back = s.jira.oauth2_consent(&l.authorize, true).unwrap();
    let forged = back.replace("state=", "state=x");
    browse(&forged);
    let out = l.finish(&s);
    let (error, _) = refused(&out, 4);
    assert!(error.contains("state"), "{}", out.stderr);
    assert!(!s.credentials_path().exists());
    // The code was never exchanged.
    assert!(!s.jira.requests().iter().any(|r| r.path.ends_with("/token")));
}

#[test]
fn a_wrong_client_secret_is_invalid_client() {
    let s = setup();
    let wrong = "cs-wrong-wrong-wrong";
    s.env.secret(wrong);
    let l = {
        // The file form of the secret, wrong.
        let file = s.env.home_path().join("secret.txt");
        std::fs::write(&file, format!("{wrong}\n")).unwrap();
        s.spawn(&["--client-secret-file", file.to_str().unwrap()], false)
    };
    let back = s.jira.oauth2_consent(&l.authorize, true).unwrap();
    browse(&back);
    let out = l.finish(&s);
    let (error, hint) = refused(&out, 4);
    assert!(error.contains("invalid_client"), "{}", out.stderr);
    assert!(hint.contains("client ID and secret"), "{}", out.stderr);
    assert!(!out.stderr.contains(wrong));
}

#[test]
fn an_unregistered_redirect_uri_and_a_jira_without_provider() {
    let s = setup();
    let other = format!("http://127.0.0.1:{}/elsewhere", free_port());
    let out = s.run(&[
        "login",
        &s.base(),
        "--oauth2",
        "--client-id",
        CLIENT_ID,
        "--redirect-uri",
        &other,
    ]);
    out.fails(4);
    assert!(out.error().contains(&other), "{}", out.stderr);
    assert!(out.hint().contains(&other), "{}", out.stderr);

    let plain = MockJira::start(Options::default_with_test_consumer());
    let out = s.run(&[
        "login",
        &plain.base_url(),
        "--oauth2",
        "--client-id",
        CLIENT_ID,
    ]);
    out.fails(1);
    assert_eq!(
        out.error(),
        "this JIRA has no OAuth 2.0 provider (Data Center 8.22 or later)"
    );
}

#[test]
fn refresh_before_expiry_and_after_a_401_rotates_the_stored_pair() {
    let s = setup();
    s.jira.oauth2(|p| p.access_lifetime = Some(30));
    login(&s).ok();
    let first = s.entry();
    s.jira.oauth2(|p| p.access_lifetime = Some(3600));
    // Under a minute left: refreshed before the request.
    let out = s.run(&["-v", "request", "/rest/api/2/myself"]);
    out.ok();
    assert!(
        out.stderr.contains("/rest/oauth2/latest/token"),
        "{}",
        out.stderr
    );
    assert_eq!(s.jira.oauth2(|p| p.refreshes), 1);
    let second = s.entry();
    assert_ne!(first["token"], second["token"]);
    assert_ne!(first["refresh_token"], second["refresh_token"]);

    // JIRA drops the access token: one 401, a refresh, the request again
    // (with its body).
    s.jira.revoke_bearer(second["token"].as_str().unwrap());
    s.jira.clear_requests();
    let out = s.run(&[
        "-v",
        "request",
        "-d",
        "{\"body\":\"x\"}",
        "/rest/api/2/issue/HSP-1/comment",
    ]);
    out.ok();
    assert_eq!(s.jira.oauth2(|p| p.refreshes), 2);
    let posts: Vec<_> = s
        .jira
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/comment"))
        .collect();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].status, 401);
    assert_eq!(posts[1].body, posts[0].body);
    assert_ne!(s.entry()["token"], second["token"]);
}

#[test]
fn eight_concurrent_requests_on_an_expired_token_refresh_once() {
    let s = setup();
    s.jira.oauth2(|p| p.access_lifetime = Some(30));
    login(&s).ok();
    s.jira.oauth2(|p| p.access_lifetime = Some(3600));
    let children: Vec<_> = (0..8)
        .map(|_| {
            let mut c = Command::new(assert_cmd::cargo::cargo_bin("jira-oauth"));
            c.env_clear()
                .env("HOME", s.env.home_path())
                .env("XDG_CONFIG_HOME", s.env.home_path().join("config"))
                .args(["request", "/rest/api/2/myself"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(s.jira.oauth2(|p| p.refreshes), 1);
}

/// A request whose refresh JIRA refuses: exit 4, `invalid_grant`, and a
/// hint to log in again.
fn refused_for_a_dead_refresh_token(s: &Setup) {
    let out = s.run(&["request", "/rest/api/2/myself"]);
    out.fails(4);
    assert!(out.error().contains("invalid_grant"), "{}", out.stderr);
    assert!(out.hint().contains("login"), "{}", out.stderr);
}

#[test]
fn a_dead_refresh_token_means_login_again() {
    let s = setup();
    s.jira.oauth2(|p| p.access_lifetime = Some(30));
    login(&s).ok();
    s.jira.oauth2(|p| p.kill_refresh_tokens());
    refused_for_a_dead_refresh_token(&s);
}

#[test]
fn logout_revokes_and_a_failed_revocation_is_a_warning() {
    let s = setup();
    login(&s).ok();
    let refresh = s.entry()["refresh_token"].as_str().unwrap().to_string();
    let secrets = s.secrets();
    let out = s.env.run(s.env.bare().args(["logout", &s.base()]));
    out.ok();
    assert!(
        out.stdout.contains("revoked"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert_eq!(s.jira.oauth2(|p| p.revoked.clone()), vec![refresh]);
    for x in &secrets {
        assert!(!out.stdout.contains(x) && !out.stderr.contains(x));
    }
    assert!(s.entry().is_null());

    login(&s).ok();
    s.jira.oauth2(|p| p.revoke_fails = true);
    let out = s.env.run(s.env.bare().args(["logout", &s.base()]));
    out.ok();
    assert!(
        out.stderr.contains("warning: could not revoke"),
        "{}",
        out.stderr
    );
    assert!(s.entry().is_null());
}

#[test]
fn doctor_checks_an_oauth2_login_without_refreshing() {
    let s = setup();
    login(&s).ok();
    let out = s.run(&["doctor"]);
    out.ok();
    for line in [
        "✓ login: OAuth 2.0 for",
        "✓ OAuth 2.0 provider:",
        "✓ expiry: the access token has",
        "✓ scope: WRITE",
        "✓ access token: works: signed in as Administrator (admin)",
    ] {
        assert!(out.stdout.contains(line), "{line} in {}", out.stdout);
    }

    // Expired: reported, and the refresh token is kept for the next request.
    let s = setup();
    s.jira.oauth2(|p| p.access_lifetime = Some(0));
    // (login's own check refreshes the token JIRA gave no life, and fails.)
    login(&s);
    assert!(s.entry()["kind"] == "oauth2");
    let refreshes = s.jira.oauth2(|p| p.refreshes);
    let out = s.run(&["doctor"]);
    out.ok();
    assert!(
        out.stdout.contains("! expiry: the access token expired"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("- access token: skipped"),
        "{}",
        out.stdout
    );
    assert_eq!(s.jira.oauth2(|p| p.refreshes), refreshes);
}

#[test]
fn token_refreshes_a_token_about_to_expire() {
    let s = setup();
    s.jira.oauth2(|p| p.access_lifetime = Some(30));
    login(&s).ok();
    s.jira.oauth2(|p| p.access_lifetime = Some(3600));
    let before = s.entry()["token"].as_str().unwrap().to_string();
    let out = s.env.run(s.cmd().arg("token"));
    out.ok();
    let after = s.entry()["token"].as_str().unwrap().to_string();
    assert_ne!(before, after);
    assert_eq!(out.stdout, format!("{after}\n"));
    assert_eq!(s.jira.oauth2(|p| p.refreshes), 1);
    s.clean(&out, Some(&after));
    // It works now.
    let out = s.env.run(
        s.env
            .bare()
            .env("JIRA_OAUTH_PAT", &after)
            .args(["request", &format!("{}/rest/api/2/myself", s.base())]),
    );
    out.ok();
}

/// POSTs a form to the provider as another client would; the status.
fn post_form(s: &Setup, path: &str, form: &str) -> u16 {
    let mut t = TcpStream::connect(("127.0.0.1", s.jira.port())).unwrap();
    write!(
        t,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let mut answer = String::new();
    t.read_to_string(&mut answer).unwrap();
    answer.split(' ').nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_code_used_twice_revokes_what_it_issued() {
    let s = setup();
    s.jira.oauth2(|p| p.access_lifetime = Some(30));
    login(&s).ok();
    s.jira.oauth2(|p| p.access_lifetime = Some(3600));
    // A request rotates the pair: the new one descends from the code too.
    s.run(&["request", "/rest/api/2/myself"]).ok();
    assert_eq!(s.jira.oauth2(|p| p.refreshes), 1);
    let exchange = s
        .jira
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/rest/oauth2/latest/token"))
        .unwrap();
    // The same form again (code, verifier, secret): RFC 6749 §4.1.2.
    assert_eq!(
        post_form(&s, "/rest/oauth2/latest/token", &exchange.body_text()),
        400
    );
    // Every token issued from it, rotations included, is dead: the
    // request is refused and its refresh fails.
    refused_for_a_dead_refresh_token(&s);
}

#[test]
fn a_bearer_served_to_anonymous_counts_as_refused() {
    let s = setup();
    login(&s).ok();
    s.jira.set_anonymous(true);
    let out = s.run(&["request", "/rest/api/2/myself"]);
    out.fails(4);
    assert!(out.error().contains("anonymous"), "{}", out.stderr);
    // It refreshed once, and gave up when the new token fared no better.
    assert_eq!(s.jira.oauth2(|p| p.refreshes), 1);
}

#[test]
fn nothing_at_the_listener_in_time_is_exit_4() {
    let s = setup();
    let l = s.spawn(&["--listen-timeout", "0.3"], false);
    let out = l.finish(&s);
    let (error, _) = refused(&out, 4);
    assert!(error.contains(&s.redirect), "{}", out.stderr);
    assert!(!s.credentials_path().exists());
}

#[test]
fn a_failing_provider_is_exit_1() {
    let s = setup();
    s.jira
        .route_open("GET", "/rest/oauth2/latest/authorize", |_| {
            support::mock_jira::Response::json(503, &serde_json::json!({"errorMessages": ["down"]}))
        });
    let out = s.run(&["login", &s.base(), "--oauth2", "--client-id", CLIENT_ID]);
    out.fails(1);
    assert!(out.error().contains("503"), "{}", out.stderr);
}

#[test]
fn each_refusal_at_the_token_endpoint_is_one_line_a_hint_and_exit_4() {
    for (code, hint) in [
        ("invalid_grant", "login"),
        ("invalid_scope", "READ, WRITE, ADMIN or SYSTEM_ADMIN"),
        ("unauthorized_client", "incoming link"),
        ("invalid_client", "client ID and secret"),
    ] {
        let s = setup();
        s.jira.oauth2(|p| p.next_error = Some(code.to_string()));
        let l = s.spawn(&[], false);
        let back = s.jira.oauth2_consent(&l.authorize, true).unwrap();
        browse(&back);
        let out = l.finish(&s);
        let (error, h) = refused(&out, 4);
        assert!(error.contains(code), "{}", out.stderr);
        assert!(h.contains(hint), "{code}: {}", out.stderr);
        assert!(!s.credentials_path().exists());
    }
}
