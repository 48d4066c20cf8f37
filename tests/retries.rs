//! How long `request` waits before it tries a 429 or 503 again, through the
//! real binary: the provider records when each try arrived, and the gap
//! must be at least what it asked for (a lower bound only). How often it
//! retries, and what it reports, is tested in `request.rs`.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::cli::{consumer_key_path, Env};
use support::mock_jira::{MockJira, Options, Recorded};

fn start() -> (MockJira, String) {
    let jira = MockJira::start(Options::default_with_test_consumer());
    let (token, _) = jira.issue_access_token("hardcoded-consumer");
    (jira, token)
}

/// The time between each try and the next.
fn gaps(reqs: &[Recorded]) -> Vec<Duration> {
    reqs.windows(2).map(|w| w[1].at - w[0].at).collect()
}

fn myself(jira: &MockJira) -> String {
    format!("{}/rest/api/2/myself", jira.base_url())
}

#[test]
fn retry_after_is_waited_for() {
    let (jira, token) = start();
    // Longer than the backoff without Retry-After (1 s for the first
    // retry), so that a binary ignoring the header falls short.
    jira.fail_next_with(503, 1, Some("2"));
    let env = Env::new();
    let out = env.jira_oauth(&["request", &token, &myself(&jira)]);
    out.ok();
    let reqs = jira.requests();
    let statuses: Vec<u16> = reqs.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 200]);
    let gap = gaps(&reqs)[0];
    assert!(gap >= Duration::from_secs(2), "retried after {gap:?}");
    assert!(out.stderr.contains("retrying in 2 s"), "{}", out.stderr);
}

#[test]
fn without_retry_after_the_backoff_doubles() {
    let (jira, token) = start();
    jira.fail_next_with(429, 2, None);
    let env = Env::new();
    let out = env.jira_oauth(&["request", &token, &myself(&jira)]);
    out.ok();
    let reqs = jira.requests();
    let statuses: Vec<u16> = reqs.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
    let gaps = gaps(&reqs);
    assert!(gaps[0] >= Duration::from_secs(1), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_secs(2), "{gaps:?}");
    assert!(out.stderr.contains("retrying in 1 s"), "{}", out.stderr);
    assert!(out.stderr.contains("retrying in 2 s"), "{}", out.stderr);
}

/// A `Retry-After` of an hour is cut to 60 s, with a warning that says so.
/// The warning comes before the wait: read it, then stop the binary
/// rather than wait a minute.
#[test]
fn a_long_retry_after_is_capped_at_60_s_with_a_warning() {
    let (jira, token) = start();
    jira.fail_next_with(429, 1, Some("3600"));
    let env = Env::new();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("jira-oauth"))
        .env_clear()
        .env("HOME", env.home_path())
        .arg("--private-key")
        .arg(consumer_key_path())
        .args(["request", &token, &myself(&jira)])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let warning = loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            let status = child.wait().unwrap();
            panic!("no retry warning ({status}); stderr: {seen}");
        }
        seen.push_str(&line);
        if line.contains("retrying") {
            break line;
        }
    };
    // Still waiting: the retry has not been sent yet.
    let tries = jira.requests().len();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(warning.starts_with("jira-oauth: warning: "), "{warning}");
    assert!(warning.contains("HTTP 429"), "{warning}");
    assert!(warning.contains("retrying in 60 s"), "{warning}");
    assert!(
        warning.contains("Retry-After asked 3600 s, capped"),
        "{warning}"
    );
    assert_eq!(tries, 1);
}
