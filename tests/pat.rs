//! Personal access tokens and the kinds of login, through the binary
//! against the test provider: `JIRA_OAUTH_PAT` alone, `login --pat` from the
//! environment, a pipe and a terminal, `whoami`, `token`, `logout`, and a
//! credentials file written before kinds existed. Every output is scanned
//! for every secret.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use support::cli::{Env, Out};
use support::mock_jira::{MockJira, Options, Outcome};

const PAT: &str = "NjE0MzI3OTk5NzE2OqPatSecretValue0123456789";

fn jira() -> MockJira {
    let j = MockJira::start(Options::default_with_test_consumer());
    j.add_pat(PAT);
    j
}

fn credentials_path(env: &Env) -> PathBuf {
    env.home_path().join("config/jira-oauth/credentials.json")
}

fn credentials(env: &Env) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(credentials_path(env)).unwrap()).unwrap()
}

/// Neither stream shows any of `secrets`.
fn clean(out: &Out, secrets: &[&str]) {
    for s in secrets {
        assert!(!out.stderr.contains(s), "secret on stderr: {}", out.stderr);
        assert!(!out.stdout.contains(s), "secret on stdout: {}", out.stdout);
    }
}

fn env() -> Env {
    let env = Env::new();
    env.secret(PAT);
    env
}

#[test]
fn jira_oauth_pat_alone_serves_a_request_as_a_bearer_and_stores_nothing() {
    let j = jira();
    let env = env();
    let url = format!("{}/rest/api/2/myself", j.base_url());
    // No key at all: a bearer needs none.
    let out = env.run(
        env.bare()
            .env("JIRA_OAUTH_PAT", PAT)
            .args(["-v", "request", &url]),
    );
    out.ok();
    assert!(
        out.stdout.contains("\"displayName\":\"Administrator\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("authorization: Bearer [redacted]"),
        "{}",
        out.stderr
    );
    clean(&out, &[PAT]);
    let r = j.last_request().unwrap();
    assert_eq!(
        r.header("Authorization"),
        Some(format!("Bearer {PAT}").as_str())
    );
    assert_eq!(r.outcome, Outcome::Ok);
    assert!(r.params.is_empty(), "no oauth_* parameters: {:?}", r.params);
    assert!(!credentials_path(&env).exists());
}

#[test]
fn a_refused_pat_is_exit_4_and_never_sent_as_basic() {
    let j = jira();
    let env = env();
    j.revoke_bearer(PAT);
    let url = format!("{}/rest/api/2/myself", j.base_url());
    let out = env.run(
        env.bare()
            .env("JIRA_OAUTH_PAT", PAT)
            .args(["request", &url]),
    );
    out.fails(4);
    assert!(
        out.error().contains("refused the bearer token"),
        "{}",
        out.stderr
    );
    clean(&out, &[PAT]);
    assert!(j.requests().iter().all(|r| r
        .header("Authorization")
        .is_some_and(|a| a.starts_with("Bearer "))));

    // A 2xx served to anonymous means the bearer was ignored: refused too.
    let j = jira();
    j.set_anonymous(true);
    let url = format!("{}/rest/api/2/myself", j.base_url());
    let out = env.run(
        env.bare()
            .env("JIRA_OAUTH_PAT", PAT)
            .args(["request", &url]),
    );
    out.fails(4);
    assert!(out.error().contains("anonymous"), "{}", out.stderr);
}

#[test]
fn login_pat_from_the_environment_then_whoami_request_token_logout() {
    let j = jira();
    let env = env();
    let base = j.base_url();
    let out = env.run(
        env.bare()
            .env("JIRA_OAUTH_PAT", PAT)
            .args(["login", &base, "--pat"]),
    );
    out.ok();
    assert_eq!(
        out.stdout,
        format!("Logged in to {base} as Administrator (admin) with a personal access token\n")
    );
    clean(&out, &[PAT]);
    let c = credentials(&env);
    assert_eq!(c["logins"][&base]["kind"], "pat");
    assert_eq!(c["logins"][&base]["token"], PAT);
    let mode = std::fs::metadata(credentials_path(&env))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let out = env.run(env.bare().args(["whoami"]));
    out.ok();
    assert_eq!(
        out.stdout,
        format!("Logged in to {base} as Administrator (admin) with a personal access token\n")
    );
    let out = env.run(env.bare().args(["request", "/rest/api/2/issue/HSP-2"]));
    out.ok();
    assert!(out.stdout.contains("HSP-2"));
    assert_eq!(
        j.last_request().unwrap().header("Authorization"),
        Some(format!("Bearer {PAT}").as_str())
    );

    // `token` prints it for other tools (stdout is where it belongs).
    let out = env.run(env.bare().args(["token"]));
    out.ok();
    assert_eq!(out.stdout, format!("{PAT}\n"));
    assert!(!out.stderr.contains(PAT));

    let out = env.run(env.bare().args(["logout", &base]));
    out.ok();
    assert!(out.stdout.contains("forgotten"), "{}", out.stdout);
    assert!(out.stdout.contains("profile page"), "{}", out.stdout);
    clean(&out, &[PAT]);
    assert!(credentials(&env)["logins"].get(&base).is_none());
}

#[test]
fn login_pat_from_a_pipe() {
    let j = jira();
    let env = env();
    let base = j.base_url();
    let out = env.run(
        env.bare()
            .args(["login", &base, "--pat"])
            .write_stdin(format!("{PAT}\n")),
    );
    out.ok();
    assert!(out.stdout.ends_with("with a personal access token\n"));
    clean(&out, &[PAT]);
    assert_eq!(credentials(&env)["logins"][&base]["token"], PAT);

    // An empty pipe is bad input, and nothing is stored.
    let env = Env::new();
    let out = env.run(env.bare().args(["login", &base, "--pat"]).write_stdin(""));
    out.fails(2);
    assert!(!credentials_path(&env).exists());
}

#[test]
fn a_pat_jira_refuses_is_not_stored() {
    let j = jira();
    let env = env();
    let base = j.base_url();
    let wrong = "WrongPatValue123456789";
    env.secret(wrong);
    let out = env.run(
        env.bare()
            .env("JIRA_OAUTH_PAT", wrong)
            .args(["login", &base, "--pat"]),
    );
    out.fails(4);
    clean(&out, &[wrong, PAT]);
    assert!(!credentials_path(&env).exists());
}

#[test]
fn a_pat_as_an_argument_is_refused_without_being_printed() {
    let j = jira();
    let env = env();
    let base = j.base_url();
    for args in [
        vec!["login", base.as_str(), "--pat", PAT],
        vec!["login", "--pat", base.as_str(), PAT],
        vec!["login", "--pat", PAT],
    ] {
        let out = env.run(env.bare().args(&args).write_stdin(""));
        out.fails(2);
        clean(&out, &[PAT]);
    }
    assert!(j.requests().is_empty());
    assert!(!credentials_path(&env).exists());
}

#[test]
fn token_picks_the_pat_first_refuses_oauth1_and_asks_among_several() {
    let j = jira();
    let env = env();
    let base = j.base_url();
    let (token, secret) = j.issue_access_token("hardcoded-consumer");
    env.secret(&secret);
    // A file as written before kinds existed: it reads as OAuth 1.0a.
    let dir = env.home_path().join("config/jira-oauth");
    std::fs::create_dir_all(&dir).unwrap();
    let old = serde_json::json!({"version": 1, "logins": {&base: {
        "consumer_key": "hardcoded-consumer", "token": token, "token_secret": secret,
        "obtained_at": "2024-01-01T00:00:00Z"}}});
    std::fs::write(dir.join("credentials.json"), old.to_string()).unwrap();
    std::fs::set_permissions(
        dir.join("credentials.json"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();

    let out = env.jira_oauth(&["request", "/rest/api/2/myself"]);
    out.ok();
    assert_eq!(
        j.last_request().unwrap().param("oauth_token"),
        Some(token.as_str())
    );
    let out = env.jira_oauth(&["whoami"]);
    out.ok();
    assert_eq!(
        out.stdout,
        format!("Logged in to {base} as Administrator (admin)\n")
    );

    let out = env.run(env.bare().args(["token"]));
    out.fails(2);
    assert!(out.error().contains("OAuth 1.0a"), "{}", out.stderr);
    assert!(
        out.hint().contains("sign") && out.hint().contains("proxy"),
        "{}",
        out.stderr
    );
    clean(&out, &[&token, &secret]);

    // JIRA_OAUTH_PAT comes before the stored login.
    let out = env.run(env.bare().env("JIRA_OAUTH_PAT", PAT).args(["token"]));
    out.ok();
    assert_eq!(out.stdout, format!("{PAT}\n"));

    // A second login (a PAT elsewhere): `token` without a base lists both.
    let other = jira();
    let out =
        env.run(
            env.bare()
                .env("JIRA_OAUTH_PAT", PAT)
                .args(["login", &other.base_url(), "--pat"]),
        );
    out.ok();
    let out = env.run(env.bare().args(["token"]));
    out.fails(2);
    assert!(out.error().contains(&base) && out.error().contains(&other.base_url()));
    let out = env.run(env.bare().args(["token", &other.base_url()]));
    out.ok();
    assert_eq!(out.stdout, format!("{PAT}\n"));
    // The OAuth 1.0a entry is still there, still of no kind it did not have.
    let c = credentials(&env);
    assert_eq!(c["logins"][&base]["token"], token.as_str());
    assert_eq!(c["logins"][&base]["kind"], "oauth1");
}
