//! `login`, `logout`, `whoami`, `keygen`, the credentials file and `request`
//! with stored logins, through the binary against the test provider. The
//! tests play the user: they read the authorize URL from stderr, then type
//! the verifier or drive the browser's redirects themselves.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::thread::JoinHandle;
use support::cli::{consumer_key_path, fetch_served, Env, Out};
use support::mock_jira::{Consumer, MockJira, Options, Outcome};

fn jira() -> MockJira {
    MockJira::start(Options::default_with_test_consumer())
}

fn credentials_path(env: &Env) -> PathBuf {
    env.home_path().join("config/jira-oauth/credentials.json")
}

fn credentials(env: &Env) -> serde_json::Value {
    let text = std::fs::read_to_string(credentials_path(env)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A `jira-oauth` child waiting for the user, its authorize URL read.
struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    authorize: String,
    token: String,
    stderr: JoinHandle<String>,
}

struct Spawn<'a> {
    args: Vec<String>,
    env: Vec<(&'a str, String)>,
    umask: Option<u32>,
    key: bool,
}

impl<'a> Spawn<'a> {
    fn new(args: &[&str]) -> Spawn<'a> {
        Spawn {
            args: args.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
            umask: None,
            key: true,
        }
    }

    fn env(mut self, k: &'a str, v: &str) -> Self {
        self.env.push((k, v.to_string()));
        self
    }

    /// Without `--private-key`: the default key of the config directory.
    fn default_key(mut self) -> Self {
        self.key = false;
        self
    }

    fn umask(mut self, m: u32) -> Self {
        self.umask = Some(m);
        self
    }

    fn command(&self, env: &Env) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("jira-oauth"));
        cmd.env_clear()
            .env("HOME", env.home_path())
            .env("XDG_CONFIG_HOME", env.home_path().join("config"));
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if self.key {
            cmd.arg("--private-key").arg(consumer_key_path());
        }
        cmd.args(&self.args);
        if let Some(m) = self.umask {
            // SAFETY: umask is async-signal-safe.
            unsafe {
                cmd.pre_exec(move || {
                    libc::umask(m as libc::mode_t);
                    Ok(())
                });
            }
        }
        cmd
    }

    /// Starts it and reads stderr up to the authorize URL.
    fn start(&self, env: &Env) -> Running {
        let mut child = self
            .command(env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let authorize = loop {
            let mut line = String::new();
            if err.read_line(&mut line).unwrap() == 0 {
                let out = child.wait_with_output().unwrap();
                panic!(
                    "no authorize URL; stderr: {seen}\nstdout: {}",
                    String::from_utf8_lossy(&out.stdout)
                );
            }
            seen.push_str(&line);
            if line.contains("/plugins/servlet/oauth/authorize?oauth_token=") {
                break line.trim().to_string();
            }
        };
        let token = authorize.split_once("oauth_token=").unwrap().1.to_string();
        let stderr = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = err.read_to_string(&mut rest);
            seen + &rest
        });
        Running {
            stdin: child.stdin.take(),
            child,
            authorize,
            token,
            stderr,
        }
    }

    /// Runs it to the end without any user.
    fn run(&self, env: &Env) -> Out {
        let o = self.command(env).stdin(Stdio::null()).output().unwrap();
        checked(
            env,
            Out {
                code: o.status.code().expect("exited"),
                stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            },
        )
    }
}

impl Running {
    fn type_line(&mut self, line: &str) {
        let mut stdin = self.stdin.take().unwrap();
        writeln!(stdin, "{line}").unwrap();
    }

    fn finish(mut self, env: &Env) -> Out {
        drop(self.stdin.take());
        checked(env, support::cli::collect(self.child, self.stderr))
    }
}

/// No token secret from the credentials file, and no line of the private
/// key, on either stream.
fn checked(env: &Env, out: Out) -> Out {
    if let Ok(text) = std::fs::read_to_string(credentials_path(env)) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            for e in v["logins"].as_object().into_iter().flat_map(|m| m.values()) {
                let s = e["token_secret"].as_str().unwrap();
                assert!(!out.stderr.contains(s), "token secret on stderr");
                assert!(!out.stdout.contains(s), "token secret on stdout");
            }
        }
    }
    let key = std::fs::read_to_string(consumer_key_path()).unwrap();
    for line in key
        .lines()
        .filter(|l| l.len() > 16 && !l.starts_with("-----"))
    {
        assert!(!out.stdout.contains(line) && !out.stderr.contains(line));
    }
    out
}

/// The prompt flow: approve as the user, type the verifier.
fn login_prompt(env: &Env, jira: &MockJira, extra: &[&str]) -> Out {
    let base = jira.base_url();
    let mut args = vec!["login", base.as_str()];
    args.extend_from_slice(extra);
    let mut r = Spawn::new(&args).start(env);
    let verifier = jira.approve(&r.token);
    r.type_line(&verifier);
    r.finish(env)
}

fn browser() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The user's browser: the authorize page's Allow (or Deny), then JIRA's
/// redirect to the callback. Returns the callback's status and page.
fn click(authorize: &str, approve: bool) -> (u16, String) {
    let b = browser();
    let resp = b
        .get(format!("{authorize}&approve={approve}"))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("http://127.0.0.1:"), "{location}");
    let resp = b.get(location).send().unwrap();
    (resp.status().as_u16(), resp.text().unwrap())
}

/// Exit `code` with an error line; login's own lines come before it.
fn failed(out: &Out, code: i32) {
    assert_eq!(
        out.code, code,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(
        out.stderr
            .lines()
            .any(|l| l.starts_with("jira-oauth: error: ")),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

const LOGGED_IN: &str = "as Administrator (admin)\n";
/// `whoami` names the kind of login too.
const WHOAMI: &str = "as Administrator (admin) with OAuth 1.0a\n";

#[test]
fn login_with_listen_the_browser_comes_back() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    let mut r = Spawn::new(&["login", &base, "--listen", "--listen-timeout", "60"]).start(&env);
    assert!(r.authorize.starts_with(&format!(
        "{base}/plugins/servlet/oauth/authorize?oauth_token="
    )));
    let rt = jira
        .requests()
        .into_iter()
        .find(|q| q.path.ends_with("/request-token"))
        .unwrap();
    let callback = rt.param("oauth_callback").unwrap().to_string();
    assert!(callback.starts_with("http://127.0.0.1:"), "{callback}");

    // A stray request (the favicon) is answered and ignored.
    let port_end =
        callback["http://127.0.0.1:".len()..].find('/').unwrap() + "http://127.0.0.1:".len();
    let favicon = browser()
        .get(format!("{}/favicon.ico", &callback[..port_end]))
        .send()
        .unwrap();
    assert_eq!(favicon.status().as_u16(), 404);

    let (status, page) = click(&r.authorize, true);
    assert_eq!(status, 200);
    assert!(page.contains("close this window"), "{page}");
    drop(r.stdin.take());
    let out = r.finish(&env);
    out.ok();
    assert_eq!(out.stdout, format!("Logged in to {base} {LOGGED_IN}"));

    // The 1.0a verifier was sent, and the token stored and used.
    let at = jira
        .requests()
        .into_iter()
        .find(|q| q.path.ends_with("/access-token"))
        .unwrap();
    assert_eq!(at.outcome, Outcome::Ok);
    let v = credentials(&env);
    let e = &v["logins"][&base];
    assert_eq!(e["consumer_key"], "hardcoded-consumer");
    assert!(e["obtained_at"].as_str().unwrap().ends_with('Z'));
    let me = jira.last_request().unwrap();
    assert_eq!(me.path, "/rest/api/2/myself");
    assert_eq!(me.param("oauth_token"), e["token"].as_str());
    assert_eq!(mode(&credentials_path(&env)), 0o600);
}

#[test]
fn listen_accepts_the_url_after_it_and_a_fixed_port() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    // Any free port, found by binding and letting go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let r = Spawn::new(&["login", "--listen", &base]).start(&env);
    assert_eq!(click(&r.authorize, true).0, 200);
    r.finish(&env).ok();
    let r = Spawn::new(&["login", &base, "--listen", &port]).start(&env);
    let rt = jira
        .requests()
        .into_iter()
        .rfind(|q| q.path.ends_with("/request-token"))
        .unwrap();
    assert_eq!(
        rt.param("oauth_callback").unwrap(),
        format!("http://127.0.0.1:{port}/jira-oauth/callback")
    );
    assert_eq!(click(&r.authorize, true).0, 200);
    r.finish(&env).ok();
}

#[test]
fn denied_in_the_browser_is_exit_4() {
    let jira = jira();
    let env = Env::new();
    let r = Spawn::new(&["login", &jira.base_url(), "--listen"]).start(&env);
    let (status, page) = click(&r.authorize, false);
    assert_eq!(status, 200);
    assert!(page.contains("denied"), "{page}");
    let out = r.finish(&env);
    failed(&out, 4);
    assert!(out.error().contains("denied"), "{}", out.stderr);
    assert!(!credentials_path(&env).exists());
}

#[test]
fn listen_gives_up_with_exit_4() {
    let jira = jira();
    let env = Env::new();
    let out = Spawn::new(&[
        "login",
        &jira.base_url(),
        "--listen",
        "--listen-timeout",
        "0.2",
    ])
    .run(&env);
    failed(&out, 4);
    assert!(
        out.error().contains("no approval reached"),
        "{}",
        out.stderr
    );
    assert!(out.hint().contains("10 minutes"));
}

#[test]
fn login_at_the_prompt_then_request_whoami_logout() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    let out = login_prompt(&env, &jira, &[]);
    out.ok();
    assert_eq!(out.stdout, format!("Logged in to {base} {LOGGED_IN}"));
    assert!(out.stderr.contains("verification code"), "{}", out.stderr);

    // request: a path goes under the only login; a full URL finds it.
    let want = fetch_served(&jira, "/rest/api/2/issue/HSP-1");
    let out = env.run(
        env.bare()
            .args(["request", "/rest/api/2/issue/HSP-1"])
            .arg("--private-key")
            .arg(consumer_key_path()),
    );
    out.ok();
    assert_eq!(out.stdout.as_bytes(), want.as_slice());
    assert_eq!(jira.last_request().unwrap().outcome, Outcome::Ok);
    let out = env.jira_oauth(&["request", &format!("{base}/rest/api/2/myself")]);
    out.ok();
    assert!(
        out.stdout.contains("\"name\":\"admin\"") || out.stdout.contains("\"name\": \"admin\"")
    );

    let out = env.jira_oauth(&["whoami"]);
    out.ok();
    assert_eq!(out.stdout, format!("Logged in to {base} {WHOAMI}"));
    let out = env.jira_oauth(&["whoami", &format!("{base}/")]);
    out.ok();
    // doctor tries the stored login's token.
    let out = env.jira_oauth(&["doctor", &base]);
    out.ok();
    assert!(
        out.stdout.contains("✓ access token: works"),
        "{}",
        out.stdout
    );

    let out = env.jira_oauth(&["logout", &base]);
    out.ok();
    assert!(out.stdout.starts_with(&format!("Logged out of {base}")));
    assert_eq!(credentials(&env)["logins"], serde_json::json!({}));
    let out = env.jira_oauth(&["logout", &base]);
    out.ok();
    assert!(out.stdout.starts_with("No login stored"), "{}", out.stdout);
    let out = env.jira_oauth(&["whoami"]);
    out.fails(2);
    assert!(out.hint().contains("login"));
    let out = env.jira_oauth(&["request", "/rest/api/2/myself"]);
    out.fails(2);
}

/// The browser's Allow with a callback token: JIRA's redirect, not followed
/// (the callback is a page elsewhere); returns where the browser lands.
fn allow_to_callback(authorize: &str) -> String {
    let resp = browser()
        .get(format!("{authorize}&approve=true"))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 302);
    resp.headers()["location"].to_str().unwrap().to_string()
}

/// With `--callback`, the request token is a 1.0a one, whose verifier the
/// provider checks (an `oob` token's it does not, as JIRA): only the
/// pasted URL's `oauth_verifier`, and nothing else of it, passes.
#[test]
fn a_pasted_callback_url_brings_the_verifier_that_is_checked() {
    let jira = jira();
    let env = Env::new();
    let landing = "https://app.example.com/jira-done?from=cli";
    let mut r = Spawn::new(&["login", &jira.base_url(), "--callback", landing]).start(&env);
    let location = allow_to_callback(&r.authorize);
    let prefix = format!("{landing}&oauth_token={}&oauth_verifier=", r.token);
    assert!(location.starts_with(&prefix), "{location}");
    let verifier = location[prefix.len()..].to_string();
    r.type_line(&location);
    let out = r.finish(&env);
    out.ok();
    assert!(out.stdout.ends_with(LOGGED_IN), "{}", out.stdout);
    let reqs = jira.requests();
    let request_token = reqs
        .iter()
        .find(|q| q.path.ends_with("/oauth/request-token"))
        .unwrap();
    assert_eq!(request_token.param("oauth_callback"), Some(landing));
    let access = reqs
        .iter()
        .find(|q| q.path.ends_with("/oauth/access-token"))
        .unwrap();
    assert_eq!(access.outcome, Outcome::Ok);
    assert_eq!(access.param("oauth_verifier"), Some(verifier.as_str()));

    // The provider does check it: a pasted URL with another verifier fails.
    let mut r = Spawn::new(&["login", &jira.base_url(), "--callback", landing]).start(&env);
    let location = allow_to_callback(&r.authorize);
    let (rest, _) = location.rsplit_once('=').unwrap();
    r.type_line(&format!("{rest}=not-the-verifier"));
    let out = r.finish(&env);
    failed(&out, 4);
    assert!(out.error().contains("token_rejected"), "{}", out.stderr);
}

#[test]
fn callback_and_listen_exclude_each_other() {
    let env = Env::new();
    let out = Spawn::new(&[
        "login",
        "http://127.0.0.1:1",
        "--listen",
        "--callback",
        "https://app.example.com/done",
    ])
    .run(&env);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.error().contains("--callback"), "{}", out.stderr);
}

#[test]
fn denied_at_the_prompt_is_exit_4() {
    let jira = jira();
    let env = Env::new();
    let mut r = Spawn::new(&["login", &jira.base_url()]).start(&env);
    jira.deny(&r.token);
    r.type_line("anything");
    let out = r.finish(&env);
    failed(&out, 4);
    assert!(out.error().contains("permission_denied"), "{}", out.stderr);
    let mut r = Spawn::new(&["login", &jira.base_url()]).start(&env);
    r.type_line("");
    failed(&r.finish(&env), 2);
}

#[test]
fn open_without_a_browser_only_warns() {
    let jira = jira();
    let env = Env::new();
    let mut r = Spawn::new(&["login", &jira.base_url(), "--open"])
        .env("PATH", "/nonexistent")
        .start(&env);
    let v = jira.approve(&r.token);
    r.type_line(&v);
    let out = r.finish(&env);
    out.ok();
    assert!(
        out.stderr
            .contains("jira-oauth: warning: could not start a browser"),
        "{}",
        out.stderr
    );
}

#[test]
fn whoami_chooses_or_lists() {
    let (a, b) = (jira(), jira());
    let env = Env::new();
    login_prompt(&env, &a, &[]).ok();
    login_prompt(&env, &b, &[]).ok();
    let out = env.jira_oauth(&["whoami"]);
    out.fails(2);
    assert!(out.error().contains(&a.base_url()) && out.error().contains(&b.base_url()));
    let out = env.jira_oauth(&["whoami", &b.base_url()]);
    out.ok();
    assert_eq!(
        out.stdout,
        format!("Logged in to {} {WHOAMI}", b.base_url())
    );
    assert_eq!(b.last_request().unwrap().outcome, Outcome::Ok);
    // A path with two logins needs --base-url; a full URL does not.
    env.jira_oauth(&["request", "/rest/api/2/myself"]).fails(2);
    env.jira_oauth(&["request", "/rest/api/2/myself", "--base-url", &a.base_url()])
        .ok();
    assert_eq!(a.last_request().unwrap().outcome, Outcome::Ok);
    env.jira_oauth(&["whoami", "http://127.0.0.1:1"]).fails(2);
}

#[test]
fn request_under_a_context_path() {
    let jira = MockJira::start(Options {
        context_path: "/jira".into(),
        ..Options::default_with_test_consumer()
    });
    let env = Env::new();
    let base = jira.base_url();
    assert!(base.ends_with("/jira"));
    login_prompt(&env, &jira, &[]).ok();
    env.jira_oauth(&["request", "/rest/api/2/issue/HSP-1"]).ok();
    let last = jira.last_request().unwrap();
    assert_eq!(last.path, "/jira/rest/api/2/issue/HSP-1");
    assert_eq!(last.outcome, Outcome::Ok);
    env.jira_oauth(&["request", &format!("{base}/rest/api/2/myself")])
        .ok();
    assert_eq!(jira.last_request().unwrap().outcome, Outcome::Ok);
    // Outside the context path there is no login.
    let root = base.trim_end_matches("/jira");
    let out = env.jira_oauth(&["request", &format!("{root}/rest/api/2/myself")]);
    out.fails(2);
    // The environment's token comes first.
    let (t, _) = jira.issue_access_token("hardcoded-consumer");
    let out = env.run(
        env.cmd()
            .env("JIRA_OAUTH_ACCESS_TOKEN", &t)
            .args(["request", "/rest/api/2/myself"]),
    );
    out.ok();
    assert_eq!(
        jira.last_request().unwrap().param("oauth_token"),
        Some(t.as_str())
    );
}

#[test]
fn keygen_writes_a_pair_that_works_for_the_dance() {
    let env = Env::new();
    let out = env.run(env.bare().args(["keygen", "--consumer-key", "my-cli"]));
    out.ok();
    let dir = env.home_path().join("config/jira-oauth");
    let private = dir.join("private.pem");
    let public = std::fs::read_to_string(dir.join("public.pem")).unwrap();
    assert_eq!(mode(&private), 0o600);
    let private_text = std::fs::read_to_string(&private).unwrap();
    assert!(private_text.starts_with("-----BEGIN PRIVATE KEY-----"));
    for line in private_text.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!out.stdout.contains(line) && !out.stderr.contains(line));
    }
    assert!(out.stdout.contains(&public), "{}", out.stdout);
    for s in [
        "Generic Application",
        "Consumer Key:   my-cli",
        "Consumer Name:",
        "Public Key:",
        "Incoming",
    ] {
        assert!(out.stdout.contains(s), "{s}: {}", out.stdout);
    }

    // Never overwritten without --force, and nothing written then.
    let out = env.run(env.bare().arg("keygen"));
    out.fails(2);
    assert!(out.error().contains("private.pem"), "{}", out.stderr);
    assert!(out.hint().contains("--force"));
    assert_eq!(std::fs::read_to_string(&private).unwrap(), private_text);

    // The new key signs a login that a provider knowing only its public key accepts.
    let jira = MockJira::start(Options {
        consumers: vec![Consumer::rsa("my-cli", &public)],
        ..Options::default()
    });
    let mut r = Spawn::new(&["login", &jira.base_url(), "--consumer-key", "my-cli"])
        .default_key()
        .start(&env);
    let v = jira.approve(&r.token);
    r.type_line(&v);
    r.finish(&env).ok();
    assert_eq!(
        credentials(&env)["logins"][&jira.base_url()]["consumer_key"],
        "my-cli"
    );
    // whoami signs with the stored consumer key, whatever the default.
    env.run(env.bare().arg("whoami")).ok();

    let out = env.run(env.bare().args(["keygen", "--force"]));
    out.ok();
    assert_ne!(std::fs::read_to_string(&private).unwrap(), private_text);
    assert_eq!(mode(&private), 0o600);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp."))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn keygen_into_a_directory_and_refusing_small_keys() {
    let env = Env::new();
    let out_dir = env.home_path().join("keys");
    let out = env.run(
        env.bare()
            .arg("keygen")
            .arg("--out")
            .arg(&out_dir)
            .args(["--bits", "1024"]),
    );
    out.fails(2);
    assert!(out.error().contains("2048"));
    assert!(!out_dir.exists());
    let out = env.run(env.bare().arg("keygen").arg("--out").arg(&out_dir));
    out.ok();
    assert!(out.stdout.contains("--private-key"), "{}", out.stdout);
    assert_eq!(mode(&out_dir.join("private.pem")), 0o600);
    // Only public.pem there is enough to refuse.
    std::fs::remove_file(out_dir.join("private.pem")).unwrap();
    env.run(env.bare().arg("keygen").arg("--out").arg(&out_dir))
        .fails(2);
    assert!(!out_dir.join("private.pem").exists());
}

#[test]
fn credentials_are_0600_under_umask_000() {
    let jira = jira();
    let env = Env::new();
    let mut r = Spawn::new(&["login", &jira.base_url()])
        .umask(0)
        .start(&env);
    let v = jira.approve(&r.token);
    r.type_line(&v);
    r.finish(&env).ok();
    assert_eq!(mode(&credentials_path(&env)), 0o600);
    assert_eq!(mode(credentials_path(&env).parent().unwrap()), 0o700);
}

#[test]
fn a_crash_before_the_rename_leaves_the_old_file_whole() {
    let (a, b) = (jira(), jira());
    let env = Env::new();
    login_prompt(&env, &a, &[]).ok();
    let before = std::fs::read_to_string(credentials_path(&env)).unwrap();

    let mut r = Spawn::new(&["login", &b.base_url()])
        .env("JIRA_OAUTH_CRASH_BEFORE_RENAME", "credentials")
        .start(&env);
    let v = b.approve(&r.token);
    r.type_line(&v);
    let out = r.finish(&env);
    assert_eq!(out.code, 86, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(credentials_path(&env)).unwrap(),
        before
    );
    let dir = credentials_path(&env).parent().unwrap().to_path_buf();
    let temps = || {
        std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp."))
            .count()
    };
    assert_eq!(temps(), 1, "the crashed write's temporary file");
    env.jira_oauth(&["whoami"]).ok();

    // The next write goes through and sweeps the leftover.
    login_prompt(&env, &b, &[]).ok();
    let v = credentials(&env);
    assert!(v["logins"].get(a.base_url()).is_some() && v["logins"].get(b.base_url()).is_some());
    assert_eq!(temps(), 0);
}

#[test]
fn concurrent_logins_keep_every_entry() {
    let jiras: Vec<MockJira> = (0..4).map(|_| jira()).collect();
    let env = Env::new();
    let mut running: Vec<Running> = jiras
        .iter()
        .map(|j| Spawn::new(&["login", &j.base_url()]).start(&env))
        .collect();
    let verifiers: Vec<String> = running
        .iter()
        .zip(&jiras)
        .map(|(r, j)| j.approve(&r.token))
        .collect();
    // All waiting at the prompt; released together, they store at once.
    for (r, v) in running.iter_mut().zip(&verifiers) {
        r.type_line(v);
    }
    for r in running {
        r.finish(&env).ok();
    }
    let v = credentials(&env);
    for j in &jiras {
        assert!(v["logins"].get(j.base_url()).is_some(), "{v}");
    }
    assert_eq!(v["logins"].as_object().unwrap().len(), 4);
}

#[test]
fn a_corrupt_credentials_file_is_exit_2_naming_it() {
    let jira = jira();
    let env = Env::new();
    let path = credentials_path(&env);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "{\"logins\": {\"http://h\": ").unwrap();
    let base = jira.base_url();
    for args in [
        vec!["request", "/rest/api/2/myself", "--base-url", base.as_str()],
        vec!["whoami"],
        vec!["login", base.as_str()],
        vec!["logout", base.as_str()],
    ] {
        let out = env.jira_oauth(&args);
        out.fails(2);
        assert!(
            out.error().contains(&path.display().to_string()),
            "{}",
            out.stderr
        );
    }
    // Left as it was, never reset; login stopped before asking for approval.
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"logins\": {\"http://h\": "
    );
    assert!(!jira
        .requests()
        .iter()
        .any(|r| r.path.ends_with("request-token")));
    // An unreadable one too (unless root, who reads anything).
    std::fs::write(&path, "{}").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_err() {
        env.jira_oauth(&["whoami"]).fails(2);
    }
}

#[test]
fn completions_man_page_and_examples() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = env.jira_oauth(&["completions", shell]);
        out.ok();
        assert!(
            out.stdout.contains("login") && out.stdout.contains("keygen"),
            "{shell}"
        );
    }
    env.jira_oauth(&["completions", "tcsh"]).fails(2);
    let out = env.jira_oauth(&["man"]);
    out.ok();
    assert!(
        out.stdout.starts_with(".ie") || out.stdout.contains(".TH"),
        "{}",
        &out.stdout[..200]
    );
    // Every command's help has an example: tests/help.rs.
    env.jira_oauth(&["--help"]).ok();
}

#[test]
fn base_url_and_the_only_login_serve_every_command() {
    let jira = jira();
    let env = Env::new();
    let base = jira.base_url();
    // login takes its base from --base-url too.
    let mut r = Spawn::new(&["login", "--base-url", &base]).start(&env);
    let verifier = jira.approve(&r.token);
    r.type_line(&verifier);
    let out = r.finish(&env);
    out.ok();
    assert_eq!(out.stdout, format!("Logged in to {base} {LOGGED_IN}"));
    let stored = credentials(&env)["logins"][&base]["token"]
        .as_str()
        .unwrap()
        .to_string();

    // sign: a path goes under the only login, signed with its token.
    let out = env.jira_oauth(&["sign", "GET", "/rest/api/2/myself", "--base-string"]);
    out.ok();
    let encoded_base = base.replace(':', "%3A").replace('/', "%2F");
    assert!(out
        .stdout
        .starts_with(&format!("GET&{encoded_base}%2Frest%2Fapi%2F2%2Fmyself&")));
    assert!(
        out.stdout.contains(&format!("oauth_token%3D{stored}")),
        "{}",
        out.stdout
    );
    // ...and never to the request-token call.
    let url = format!("{base}/plugins/servlet/oauth/request-token");
    let out = env.jira_oauth(&["sign", "POST", &url, "--base-string"]);
    out.ok();
    assert!(!out.stdout.contains("oauth_token%3D"), "{}", out.stdout);

    // doctor with nothing given checks the only login's server and token.
    let out = env.jira_oauth(&["doctor"]);
    out.ok();
    assert!(out.stdout.contains("✓ server"), "{}", out.stdout);
    assert!(
        out.stdout.contains("✓ access token: works"),
        "{}",
        out.stdout
    );

    // requestToken takes JIRA_BASE_URL.
    let out =
        env.run(
            env.cmd()
                .env("JIRA_BASE_URL", &base)
                .args(["requestToken", "--format", "json"]),
        );
    out.ok();
    assert!(out.json()["authorize_url"]
        .as_str()
        .unwrap()
        .starts_with(&base));

    // logout alone forgets the only login.
    let out = env.jira_oauth(&["logout"]);
    out.ok();
    assert!(out.stdout.starts_with(&format!("Logged out of {base}")));
    assert_eq!(credentials(&env)["logins"], serde_json::json!({}));
}
