//! `request` as people used to curl type it, through the binary: curl's
//! options we share, hints for those we lack, arguments that cannot be
//! URLs, several URLs with `--keep-going`, `-i` on errors, and Ctrl-C.

mod support;

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use support::cli::{Env, Out};
use support::mock_jira::{MockJira, Options};
use support::raw::{read_request, RawServer};

struct Jira {
    jira: MockJira,
    token: String,
}

fn start(tls: bool) -> Jira {
    let jira = MockJira::start(Options {
        tls,
        ..Options::default_with_test_consumer()
    });
    let (token, _) = jira.issue_access_token("hardcoded-consumer");
    Jira { jira, token }
}

impl Jira {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.jira.base_url())
    }

    /// `request TOKEN` and `args`, run.
    fn request(&self, env: &Env, args: &[&str]) -> Out {
        let mut all = vec!["request", self.token.as_str()];
        all.extend_from_slice(args);
        env.jira_oauth(&all)
    }
}

fn error_lines(out: &Out) -> Vec<&str> {
    out.stderr
        .lines()
        .filter_map(|l| l.strip_prefix("jira-oauth: error: "))
        .collect()
}

#[test]
fn a_jql_split_by_the_shell_is_named_as_such() {
    let j = start(false);
    let env = Env::new();
    // What `request T https://…/search?jql=project = HSP` typed without
    // quotes becomes.
    let url = j.url("/rest/api/2/search?jql=project");
    let out = j.request(&env, &[&url, "=", "HSP"]);
    out.fails(2);
    assert!(out.error().contains("'='"), "{}", out.stderr);
    assert!(out.error().contains("JQL"), "{}", out.stderr);
    let hint = out.hint();
    assert!(
        hint.contains(&format!("'{url} = HSP'")),
        "the URL quoted whole: {hint}"
    );
    assert!(hint.contains("-q 'jql=project = HSP'"), "{hint}");
    assert!(!hint.contains("https://="), "{hint}");

    // A lone JQL word, no URL with a query before it.
    let out = j.request(&env, &[&j.url("/rest/api/2/search"), "AND"]);
    out.fails(2);
    assert!(out.error().contains("JQL"), "{}", out.stderr);
    assert!(out.hint().contains("-q"), "{}", out.stderr);
    assert!(j.jira.requests().is_empty(), "nothing is sent");
}

#[test]
fn a_path_without_its_slash_is_named_as_such() {
    let j = start(false);
    let env = Env::new();
    let base = j.jira.base_url();
    for args in [
        vec!["request", j.token.as_str(), "rest/api/2/myself"],
        vec!["request", "rest/api/2/myself"],
        vec!["--base-url", &base, "request", "rest/api/2/myself"],
    ] {
        let out = env.jira_oauth(&args);
        out.fails(2);
        assert!(
            out.error().contains("'rest/api/2/myself'"),
            "{}",
            out.stderr
        );
        assert!(
            out.hint().contains("did you mean /rest/api/2/myself?"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("https://rest"), "{}", out.stderr);
    }
    // A word that is no host name is not offered https:// either.
    let out = j.request(&env, &["HSP"]);
    out.fails(2);
    assert!(!out.hint().contains("https://HSP"), "{}", out.stderr);
    // A host name still is.
    let out = j.request(&env, &["jira.example.com/rest/api/2/myself"]);
    out.fails(2);
    assert!(
        out.hint()
            .contains("did you mean https://jira.example.com/rest/api/2/myself?"),
        "{}",
        out.stderr
    );
    assert!(j.jira.requests().is_empty(), "nothing is sent");
}

#[test]
fn no_url_points_at_the_help_with_an_example() {
    let env = Env::new();
    for (args, gist) in [
        (vec!["request"], "no URL to request"),
        (vec!["request", "SECRETTOKEN42"], "after the access token"),
    ] {
        let out = env.jira_oauth(&args);
        out.fails(2);
        assert!(out.error().contains(gist), "{}", out.stderr);
        let hint = out.hint();
        assert!(hint.contains("jira-oauth request --help"), "{hint}");
        assert!(hint.contains("e.g. jira-oauth request "), "{hint}");
        assert!(!out.stderr.contains("SECRETTOKEN42"), "{}", out.stderr);
    }
}

#[test]
fn curl_options_we_share() {
    let j = start(false);
    let env = Env::new();
    let echo = j.url("/rest/echo");

    // --json as curl 7.82: the body, both JSON headers, POST.
    let out = j.request(&env, &["-s", "--json", r#"{"a":1}"#, &echo]);
    out.ok();
    let v = out.json();
    assert_eq!(v["method"], "POST");
    assert_eq!(v["body"], r#"{"a":1}"#);
    let header = |v: &Value, name: &str| -> Vec<String> {
        v["headers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
            .map(|h| h[1].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(header(&v, "content-type"), ["application/json"]);
    assert_eq!(header(&v, "accept"), ["application/json"]);

    // --request for -X; --silent is accepted and changes nothing.
    let out = j.request(&env, &["--request", "PUT", "--silent", "-d", "x", &echo]);
    out.ok();
    assert_eq!(out.json()["method"], "PUT");

    // -o FILE: the body there, stdout empty; an existing file truncated.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.json");
    std::fs::write(&file, "x".repeat(100_000)).unwrap();
    let myself = j.url("/rest/api/2/myself");
    let out = j.request(&env, &["-o", file.to_str().unwrap(), &myself]);
    out.ok();
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let got: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(got["name"].as_str().is_some(), "{got}");
    // A failed request creates no file (as curl).
    let missing = dir.path().join("missing.json");
    let out = j.request(
        &env,
        &[
            "-o",
            missing.to_str().unwrap(),
            &j.url("/rest/api/2/issue/HSP-404"),
        ],
    );
    out.fails(1);
    assert!(!missing.exists());
    let out = j.request(
        &env,
        &[
            "--keep-going",
            "-o",
            missing.to_str().unwrap(),
            &j.url("/rest/api/2/issue/HSP-404"),
            &j.url("/rest/api/2/issue/HSP-405"),
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!missing.exists());
    // An empty body still makes the file.
    j.jira.route_open("GET", "/rest/empty", |_| {
        support::mock_jira::Response::new(204)
    });
    let out = j.request(
        &env,
        &["-o", missing.to_str().unwrap(), &j.url("/rest/empty")],
    );
    out.ok();
    assert_eq!(std::fs::read(&missing).unwrap(), b"");
    // A file that cannot be created is named.
    let out = j.request(&env, &["-o", "/nonexistent/dir/out.json", &myself]);
    out.fails(2);
    assert!(
        out.error().contains("/nonexistent/dir/out.json"),
        "{}",
        out.stderr
    );
}

#[test]
fn dash_k_is_insecure() {
    let j = start(true);
    let env = Env::new();
    let myself = j.url("/rest/api/2/myself");
    let out = j.request(&env, &[&myself]);
    out.fails(3);
    let out = j.request(&env, &["-k", &myself]);
    out.ok();
    assert!(out.stderr.contains("--insecure"), "{}", out.stderr);
    assert!(out.json()["name"].is_string());
}

#[test]
fn curl_options_we_lack_name_our_equivalent() {
    let env = Env::new();
    for (flag, gist) in [
        ("-L", "followed already"),
        ("--location", "followed already"),
        ("-u", "basic auth"),
        ("--user=me:pw", "basic auth"),
        ("--data-binary", "-d"),
        ("-G", "-q"),
        ("--get", "-q"),
        ("-I", "-X HEAD -i"),
        ("--head", "-X HEAD -i"),
        ("-f", "exits 1"),
        ("--fail", "exits 1"),
    ] {
        let out = env.jira_oauth(&["request", flag, "TOKEN", "https://jira.example.com/x"]);
        out.fails(2);
        let shown = flag.split('=').next().unwrap();
        assert!(out.error().contains(shown), "{flag}: {}", out.stderr);
        assert!(out.hint().contains(gist), "{flag}: {}", out.stderr);
        assert!(!out.stderr.contains("pw"), "{flag}: {}", out.stderr);
        assert!(!out.stderr.contains("'-- "), "{flag}: {}", out.stderr);
    }
}

#[test]
fn several_urls_stop_at_the_first_failure_unless_keep_going() {
    let j = start(false);
    let env = Env::new();
    let good = j.url("/rest/api/2/issue/HSP-1");
    let missing = j.url("/rest/api/2/issue/HSP-404");
    let body = support::cli::fetch_served(&j.jira, "/rest/api/2/issue/HSP-1");
    let body = String::from_utf8(body).unwrap();
    let one = if body.ends_with('\n') {
        body.clone()
    } else {
        format!("{body}\n")
    };

    j.jira.clear_requests();
    let out = j.request(&env, &[&good, &missing, &good]);
    out.fails(1);
    assert_eq!(out.stdout, one);
    assert_eq!(j.jira.requests().len(), 2, "nothing after the failure");

    // A port nobody listens on: exit 3, higher than the 404's 1.
    let refused = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}/x", l.local_addr().unwrap().port())
    };
    for parallel in ["1", "3"] {
        let out = j.request(
            &env,
            &[
                "--keep-going",
                "--parallel",
                parallel,
                &good,
                &missing,
                &refused,
                &good,
            ],
        );
        assert_eq!(out.code, 3, "{}", out.stderr);
        assert_eq!(
            out.stdout,
            format!("{one}{one}"),
            "each good body, in order"
        );
        let errors = error_lines(&out);
        assert_eq!(errors.len(), 2, "{}", out.stderr);
        assert!(errors[0].contains("HSP-404"), "{}", out.stderr);
        assert!(errors[1].contains("127.0.0.1"), "{}", out.stderr);
        assert!(!out.stderr.contains("internal error"), "{}", out.stderr);
    }
}

#[test]
fn include_on_an_http_error_prints_the_head_not_the_body() {
    let j = start(false);
    let env = Env::new();
    let out = j.request(&env, &["-i", &j.url("/rest/api/2/issue/HSP-404")]);
    out.fails(1);
    assert!(
        out.stdout.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.ends_with("\r\n\r\n"), "no body: {}", out.stdout);
    assert!(out
        .stdout
        .to_ascii_lowercase()
        .contains("content-type: application/json"));
    assert!(!out.stdout.contains("Does Not Exist"), "{}", out.stdout);
    assert!(
        out.error().contains("Issue Does Not Exist"),
        "{}",
        out.stderr
    );

    // The first page's headers would describe another body than the
    // merged document: refused before anything is sent.
    j.jira.clear_requests();
    let out = j.request(&env, &["-i", "--paginate", &j.url("/rest/api/2/search")]);
    out.fails(2);
    assert!(out.error().contains("--paginate"), "{}", out.stderr);
    assert!(j.jira.requests().is_empty());
}

#[test]
fn ctrl_c_is_exit_130() {
    // A server that takes the request and never answers.
    let (seen_tx, seen) = mpsc::channel();
    let server = RawServer::start(move |mut s: TcpStream| {
        let request = read_request(&mut s);
        let _ = seen_tx.send(());
        let _ = s.read_to_end(&mut Vec::new());
        request
    });
    let env = Env::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_jira-oauth"))
        .env_clear()
        .env("HOME", env.home_path())
        .arg("--private-key")
        .arg(support::cli::consumer_key_path())
        .args(["request", "tok", &server.url("http", "/never")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The binary is waiting for the answer, its handler long installed.
    seen.recv_timeout(Duration::from_secs(60)).unwrap();
    // SAFETY: a signal to the child this test started.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    server.finish();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert_eq!(stderr, "jira-oauth: interrupted\n");
    let _ = std::io::stdout().flush();
}

/// Whether the terminal behind `fd` echoes what is typed.
fn echoes(fd: i32) -> bool {
    // SAFETY: tcgetattr fills the struct, on an fd this test opened.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::tcgetattr(fd, &mut t) }, 0);
    t.c_lflag & libc::ECHO != 0
}

#[test]
fn ctrl_c_at_the_passphrase_prompt_gives_the_echo_back() {
    use std::os::fd::FromRawFd;
    use std::os::unix::process::CommandExt;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty fills two fds; the others may be null.
    let r = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(r, 0);
    assert!(echoes(slave));
    let env = Env::new();
    let key = support::private_key("keys/rsa.encrypted.pem");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jira-oauth"));
    cmd.env_clear()
        .env("HOME", env.home_path())
        .arg("--private-key")
        .arg(key)
        .args(["request", "tok", "http://127.0.0.1:9/x"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: only async-signal-safe calls between fork and exec: the
    // pseudo-terminal becomes the child's controlling terminal (/dev/tty).
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() < 0 || libc::ioctl(slave, libc::TIOCSCTTY as _, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    // SAFETY: the master fd is this test's, owned by the File from now on.
    let mut terminal = unsafe { std::fs::File::from_raw_fd(master) };
    let mut shown = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&shown).contains("Passphrase for") {
        let n = terminal.read(&mut buf).unwrap();
        assert!(n > 0, "no prompt: {}", String::from_utf8_lossy(&shown));
        shown.extend_from_slice(&buf[..n]);
    }
    // The prompt turns the echo off right after printing itself.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while echoes(slave) {
        assert!(std::time::Instant::now() < deadline, "echo never off");
        std::thread::yield_now();
    }
    // SAFETY: a signal to the child this test started.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130), "{stderr}");
    assert_eq!(stderr, "jira-oauth: interrupted\n");
    assert!(echoes(slave), "the echo stays off after Ctrl-C");
    // SAFETY: closing the fd this test opened.
    unsafe { libc::close(slave) };
}
