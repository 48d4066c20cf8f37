//! `jira-oauth proxy` with an OAuth 2.0 login, through the binary against
//! the test provider (JIRA's rules: rotating refresh tokens, a dead bearer
//! token answered 401): the running proxy refreshes a token about to
//! expire, refreshes after a 401 and sends the request again when its body
//! is held, passes the 401 on when the body was streamed, and a dead
//! refresh token leaves it serving with the refusal logged.

mod support;

use std::process::Command;
use support::oauth2::{login, setup, Setup};
use support::proxy::{status_with_token, Proxy, TOKEN};

/// `proxy --listen 0` on the stored login.
fn start_proxy(s: &Setup) -> Proxy {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("jira-oauth"));
    cmd.env_clear()
        .env("HOME", s.env.home_path())
        .env("XDG_CONFIG_HOME", s.env.home_path().join("config"))
        .env("JIRA_OAUTH_PROXY_TOKEN", TOKEN)
        .args(["-v", "proxy", "--listen", "0"]);
    Proxy::spawn(cmd)
}

fn refreshes(s: &Setup) -> usize {
    s.jira.oauth2(|p| p.refreshes)
}

/// The statuses of the REST calls JIRA saw, in order.
fn rest_statuses(s: &Setup) -> Vec<u16> {
    let rest = s.jira.requests().into_iter();
    rest.filter(|r| r.path.contains("/rest/api/"))
        .map(|r| r.status)
        .collect()
}

#[test]
fn a_running_proxy_keeps_the_login_fresh() {
    let s = setup();
    // Every token the provider issues has under a minute left.
    s.jira.oauth2(|p| p.access_lifetime = Some(30));
    login(&s).ok();
    let proxy = start_proxy(&s);
    assert_eq!(refreshes(&s), 1, "refreshed once at start");
    let myself = format!("{}/rest/api/2/myself", proxy.url);
    let get = || status_with_token(&[&myself]);

    // Before each request, a token about to expire is refreshed.
    assert_eq!(get(), "200");
    assert_eq!(refreshes(&s), 2);
    s.jira.oauth2(|p| p.access_lifetime = Some(3600));
    assert_eq!(get(), "200");
    assert_eq!(refreshes(&s), 3);
    assert_eq!(get(), "200");
    assert_eq!(refreshes(&s), 3, "a token with an hour left is kept");

    // JIRA drops the token: one 401, a refresh, the request again.
    let stored = s.entry()["token"].as_str().unwrap().to_string();
    s.jira.revoke_bearer(&stored);
    s.jira.clear_requests();
    assert_eq!(get(), "200");
    assert_eq!(refreshes(&s), 4);
    assert_eq!(rest_statuses(&s), [401, 200]);
    assert_ne!(s.entry()["token"].as_str().unwrap(), stored);

    // A streamed body cannot be sent twice: the 401 goes back, the token
    // is refreshed for the next request.
    let stored = s.entry()["token"].as_str().unwrap().to_string();
    s.jira.revoke_bearer(&stored);
    s.jira.clear_requests();
    let comment = format!("{}/rest/api/2/issue/HSP-1/comment", proxy.url);
    let status = status_with_token(&[
        "-H",
        "Content-Type: application/json",
        "-d",
        "{\"body\":\"through the proxy\"}",
        &comment,
    ]);
    assert_eq!(status, "401");
    assert_eq!(refreshes(&s), 5);
    assert_eq!(rest_statuses(&s), [401]);
    assert_eq!(get(), "200");
    assert_eq!(refreshes(&s), 5);

    // The proxy stored every rotation: a command beside it still works.
    s.run(&["request", "/rest/api/2/myself"]).ok();

    // A dead refresh token: the 401 goes back, the proxy keeps serving.
    let stored = s.entry()["token"].as_str().unwrap().to_string();
    s.jira.oauth2(|p| p.kill_refresh_tokens());
    s.jira.revoke_bearer(&stored);
    assert_eq!(get(), "401");
    assert_eq!(get(), "401");
    let (code, log) = proxy.stop();
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("it is refreshed, and the client's next request carries the new one"),
        "{log}"
    );
    assert!(
        log.contains("cannot be refreshed") && log.contains("invalid_grant"),
        "{log}"
    );
    assert!(log.contains("login"), "{log}");
    for secret in s.secrets() {
        assert!(!log.contains(&secret), "a secret in the log: {log}");
    }
    assert!(!log.contains(TOKEN), "{log}");
}

#[test]
fn sixteen_clients_refused_at_once_cost_one_refresh() {
    let s = setup();
    login(&s).ok();
    let proxy = start_proxy(&s);
    assert_eq!(refreshes(&s), 0);
    s.jira.revoke_bearer(s.entry()["token"].as_str().unwrap());
    let myself = format!("{}/rest/api/2/myself", proxy.url);
    let statuses: Vec<String> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..16)
            .map(|_| scope.spawn(|| status_with_token(&[&myself])))
            .collect();
        clients.into_iter().map(|c| c.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|c| c == "200"), "{statuses:?}");
    assert_eq!(refreshes(&s), 1);
    let (code, log) = proxy.stop();
    assert_eq!(code, 0, "{log}");
    assert!(!log.contains("warning"), "{log}");
}
