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
        format!("Logged in to {base} as Administrator (admin) with OAuth 1.0a\n")
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

#[test]
fn doctor_checks_a_stored_pat() {
    let j = jira();
    let env = env();
    let base = j.base_url();
    env.run(
        env.bare()
            .env("JIRA_OAUTH_PAT", PAT)
            .args(["login", &base, "--pat"]),
    )
    .ok();
    let out = env.run(env.bare().args(["doctor"]));
    out.ok();
    assert!(
        out.stdout.contains("✓ login: a personal access token for"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("✓ access token: works"),
        "{}",
        out.stdout
    );
    clean(&out, &[PAT]);
    j.revoke_bearer(PAT);
    let out = env.run(env.bare().args(["doctor"]));
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(out.stdout.contains("✗ access token"), "{}", out.stdout);
}

/// The PAT typed at a terminal (a pseudo-terminal the child has as its
/// controlling terminal): read without echo.
#[test]
fn login_pat_at_a_prompt_that_does_not_echo() {
    use std::io::{Read, Write};
    use std::os::fd::FromRawFd;
    use std::os::unix::process::CommandExt;
    let j = jira();
    let env = env();
    let base = j.base_url();
    let (mut master, slave) = unsafe {
        let (mut m, mut s) = (0, 0);
        assert_eq!(
            libc::openpty(
                &mut m,
                &mut s,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null()
            ),
            0
        );
        (std::fs::File::from_raw_fd(m), std::fs::File::from_raw_fd(s))
    };
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("jira-oauth"));
    cmd.env_clear()
        .env("HOME", env.home_path())
        .env("XDG_CONFIG_HOME", env.home_path().join("config"))
        .args(["login", &base, "--pat"])
        .stdin(slave.try_clone().unwrap())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    unsafe {
        // A session of its own, with the pty as its controlling terminal.
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().unwrap();
    drop(slave);
    // Wait for the prompt (echo is off by then), then type.
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("Personal access token") {
        let n = master.read(&mut buf).unwrap();
        assert!(n > 0, "no prompt");
        seen.extend_from_slice(&buf[..n]);
    }
    // The prompt is written before echo goes off: wait for the terminal's
    // ECHO flag to drop (the master shares the slave's settings).
    loop {
        use std::os::fd::AsRawFd;
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(master.as_raw_fd(), &mut t) }, 0);
        if t.c_lflag & libc::ECHO == 0 {
            break;
        }
        std::thread::yield_now();
    }
    master.write_all(format!("{PAT}\n").as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stdout.ends_with("with a personal access token\n"),
        "{stdout}"
    );
    // What the terminal showed after the prompt: no PAT.
    unsafe {
        use std::os::fd::AsRawFd;
        let fd = master.as_raw_fd();
        libc::fcntl(
            fd,
            libc::F_SETFL,
            libc::fcntl(fd, libc::F_GETFL) | libc::O_NONBLOCK,
        );
    }
    while let Ok(n) = master.read(&mut buf) {
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(!String::from_utf8_lossy(&seen).contains(PAT), "echoed");
    assert!(!stderr.contains(PAT) && !stdout.contains(PAT));
    assert_eq!(credentials(&env)["logins"][&base]["token"], PAT);
}
