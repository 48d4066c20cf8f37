//! `pubkey`, `doctor` against each broken setup made on purpose, every
//! command under `-v` scanned for secrets, every signature method end to
//! end, and `signature_invalid`'s parameter-by-parameter diff, all through
//! the real binary.

mod support;

use base64::Engine;
use sha2::{Digest, Sha256};
use std::net::TcpListener;
use support::cli::{consumer_key_path, data, Env, Out};
use support::mock_jira::{Consumer, MockJira, Options, Outcome, Response, TEST_CONSUMER_KEY};

fn jira() -> MockJira {
    MockJira::start(Options::default_with_test_consumer())
}

/// The fingerprint of a public key PEM, computed here from the file.
fn fingerprint_of(pub_pem: &str) -> String {
    let b64: String = pub_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let digest = Sha256::digest(&der);
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    )
}

/// The doctor's line for `check`, e.g. `✗ clock: …`.
fn line<'a>(out: &'a Out, check: &str) -> &'a str {
    out.stdout
        .lines()
        .find(|l| {
            l.split_once(' ')
                .is_some_and(|(_, rest)| rest.starts_with(&format!("{check}:")))
        })
        .unwrap_or_else(|| panic!("no '{check}' line in:\n{}", out.stdout))
}

fn mark(l: &str) -> char {
    l.chars().next().unwrap()
}

#[test]
fn pubkey_prints_the_public_key_and_its_fingerprint() {
    let env = Env::new();
    let out = env.jira_oauth(&["pubkey"]);
    out.ok();
    let want = std::fs::read_to_string(data("consumer.pub.pem")).unwrap();
    assert!(out.stdout.starts_with(&want), "{}", out.stdout);
    let last = out.stdout.lines().last().unwrap();
    assert_eq!(last, fingerprint_of(&want));
    // No key: exit 2, naming the file.
    let missing = env.home_path().join("none.pem");
    let out = env.run(env.bare().arg("--private-key").arg(&missing).arg("pubkey"));
    out.fails(2);
    assert!(out.error().contains("none.pem"), "{}", out.stderr);
}

#[test]
fn doctor_without_a_server_checks_the_key() {
    let env = Env::new();
    let key = env.home_path().join("k.pem");
    std::fs::copy(consumer_key_path(), &key).unwrap();
    set_mode(&key, 0o600);
    let out = env.run(env.bare().arg("--private-key").arg(&key).arg("doctor"));
    out.ok();
    assert_eq!(mark(line(&out, "private key")), '✓');
    assert!(
        line(&out, "private key").contains("2048 bits"),
        "{}",
        out.stdout
    );
    assert_eq!(mark(line(&out, "key file mode")), '✓');
    let pem = std::fs::read_to_string(data("consumer.pub.pem")).unwrap();
    assert!(out.stdout.contains(&pem), "{}", out.stdout);
    assert!(line(&out, "public key").contains(&fingerprint_of(&pem)));

    set_mode(&key, 0o644);
    let out = env.run(env.bare().arg("--private-key").arg(&key).arg("doctor"));
    out.ok();
    let l = line(&out, "key file mode");
    assert!(
        l.starts_with("! ") && l.contains("0644") && l.contains("chmod 600"),
        "{l}"
    );
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn doctor_passes_a_working_setup() {
    let jira = jira();
    let env = Env::new();
    let (t, s) = jira.issue_access_token(TEST_CONSUMER_KEY);
    env.secret(&s);
    let out = env.jira_oauth(&["doctor", &jira.base_url(), "--token", &t]);
    out.ok();
    for check in [
        "private key",
        "public key",
        "server",
        "clock",
        "consumer key",
        "access token",
    ] {
        assert_eq!(mark(line(&out, check)), '✓', "{}", out.stdout);
    }
    assert!(
        line(&out, "access token").contains("signed in as"),
        "{}",
        out.stdout
    );
    // The token may come from the environment too.
    let out = env.run(
        env.cmd()
            .env("JIRA_OAUTH_ACCESS_TOKEN", &t)
            .args(["doctor", &jira.base_url()]),
    );
    out.ok();
    assert_eq!(mark(line(&out, "access token")), '✓');
    // Without a token, that check is skipped, not failed.
    let out = env.jira_oauth(&["doctor", &jira.base_url()]);
    out.ok();
    assert!(
        line(&out, "access token").starts_with("- "),
        "{}",
        out.stdout
    );
}

#[test]
fn doctor_finds_a_wrong_key() {
    let jira = jira();
    let env = Env::new();
    let out = env.run(
        env.bare()
            .arg("--private-key")
            .arg(data("other.pem"))
            .args(["doctor", &jira.base_url()]),
    );
    out.fails(4);
    let l = line(&out, "consumer key");
    assert_eq!(mark(l), '✗');
    assert!(l.contains("does not match") && l.contains("fix:"), "{l}");
    assert_eq!(mark(line(&out, "private key")), '✓');
}

#[test]
fn doctor_finds_an_unknown_consumer() {
    let jira = jira();
    let env = Env::new();
    let out = env.jira_oauth(&["--consumer-key", "nobody", "doctor", &jira.base_url()]);
    out.fails(4);
    let l = line(&out, "consumer key");
    assert_eq!(mark(l), '✗');
    assert!(
        l.contains("consumer_key_unknown") && l.contains("nobody"),
        "{l}"
    );
    assert!(l.contains("fix: create an Application Link"), "{l}");
}

#[test]
fn doctor_finds_a_skewed_clock() {
    let jira = jira();
    jira.set_clock_offset(600);
    let env = Env::new();
    let out = env.jira_oauth(&["doctor", &jira.base_url()]);
    out.fails(4);
    let l = line(&out, "clock");
    assert_eq!(mark(l), '✗');
    assert!(
        l.contains("behind the server's") && l.contains("NTP"),
        "{l}"
    );
    let at = l.find(" min ").expect("N min M s");
    let mins: u64 = l[..at].rsplit(' ').next().unwrap().parse().unwrap();
    assert!((9..=10).contains(&mins), "{l}");
    // The signed call is refused for the same reason.
    assert!(line(&out, "consumer key").contains("timestamp_refused"));
    // Two minutes off is a warning, not a failure.
    jira.set_clock_offset(-120);
    let out = env.jira_oauth(&["doctor", &jira.base_url()]);
    out.ok();
    assert!(line(&out, "clock").starts_with("! "), "{}", out.stdout);
    assert!(line(&out, "clock").contains("ahead of"), "{}", out.stdout);
}

#[test]
fn doctor_finds_an_expired_token() {
    let jira = jira();
    let env = Env::new();
    let (t, s) = jira.issue_access_token(TEST_CONSUMER_KEY);
    env.secret(&s);
    jira.expire_token(&t);
    let out = env.jira_oauth(&["doctor", &jira.base_url(), "--token", &t]);
    out.fails(4);
    let l = line(&out, "access token");
    assert_eq!(mark(l), '✗');
    assert!(
        l.contains("token_expired") && l.contains("dance again"),
        "{l}"
    );
    assert_eq!(mark(line(&out, "consumer key")), '✓');
}

#[test]
fn doctor_finds_an_unreachable_server() {
    let port = {
        let l = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        l.local_addr().unwrap().port()
    };
    let env = Env::new();
    let out = env.jira_oauth(&["doctor", &format!("http://127.0.0.1:{port}/jira")]);
    out.fails(3);
    let l = line(&out, "server");
    assert_eq!(mark(l), '✗');
    assert!(l.contains("cannot connect") && l.contains("fix:"), "{l}");
    assert!(line(&out, "consumer key").starts_with("- "));
    assert_eq!(mark(line(&out, "private key")), '✓');
}

#[test]
fn doctor_finds_a_missing_key_file() {
    let jira = jira();
    let env = Env::new();
    let missing = env.home_path().join("gone.pem");
    let out = env.run(
        env.bare()
            .arg("--private-key")
            .arg(&missing)
            .args(["doctor", &jira.base_url()]),
    );
    out.fails(2);
    let l = line(&out, "private key");
    assert_eq!(mark(l), '✗');
    assert!(l.contains("gone.pem") && l.contains("fix:"), "{l}");
    // The server is still checked; what needs the key is skipped.
    assert_eq!(mark(line(&out, "server")), '✓');
    assert!(line(&out, "consumer key").starts_with("- "));
}

#[test]
fn doctor_finds_an_untrusted_certificate() {
    let jira = MockJira::start(Options {
        tls: true,
        ..Options::default_with_test_consumer()
    });
    let env = Env::new();
    let out = env.jira_oauth(&["doctor", &jira.base_url()]);
    out.fails(3);
    let l = line(&out, "server");
    assert!(l.contains("TLS") && l.contains("--cacert"), "{l}");
    let ca = jira.ca_pem_path().unwrap();
    let out = env.run(
        env.cmd()
            .arg("--cacert")
            .arg(&ca)
            .args(["doctor", &jira.base_url()]),
    );
    out.ok();
    assert!(
        line(&out, "server").contains("TLS verified"),
        "{}",
        out.stdout
    );
}

// Every signature method, and every command under -v.

const CONSUMER_SECRET: &str = "c0ns&sec/ret+ü";

fn provider(tls: bool) -> MockJira {
    let mut consumer = Consumer::test();
    consumer.secret = Some(CONSUMER_SECRET.into());
    MockJira::start(Options {
        tls,
        consumers: vec![consumer],
        signature_methods: [
            "RSA-SHA1",
            "RSA-SHA256",
            "HMAC-SHA1",
            "HMAC-SHA256",
            "PLAINTEXT",
        ]
        .map(String::from)
        .to_vec(),
        ..Options::default()
    })
}

/// A secret as it may show up: raw, percent-encoded once or twice.
fn forms(secret: &str) -> Vec<String> {
    let once = jira_oauth::signature::percent_encode(secret);
    let twice = jira_oauth::signature::percent_encode(&once);
    vec![secret.to_string(), once, twice]
}

fn key_lines() -> Vec<String> {
    std::fs::read_to_string(consumer_key_path())
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(String::from)
        .collect()
}

/// Fails when `out` shows a secret or the key; `stdout_may_show` is the one
/// secret the command exists to print on stdout (a new token's).
fn scan(what: &str, out: &Out, secrets: &[String], stdout_may_show: Option<&str>) {
    for line in key_lines() {
        assert!(
            !out.stdout.contains(&line) && !out.stderr.contains(&line),
            "{what}: the private key"
        );
    }
    for s in secrets.iter().filter(|s| s.len() > 3) {
        assert!(
            !out.stderr.contains(s.as_str()),
            "{what}: {s} on stderr:\n{}",
            out.stderr
        );
        let allowed = stdout_may_show.is_some_and(|a| forms(a).contains(s));
        assert!(
            allowed || !out.stdout.contains(s.as_str()),
            "{what}: {s} on stdout:\n{}",
            out.stdout
        );
    }
}

fn every_command_under_verbose(method: &str, tls: bool) {
    let jira = provider(tls);
    let env = Env::new();
    let base = jira.base_url();
    let mut global: Vec<String> = vec!["-v".into(), "--signature-method".into(), method.into()];
    if !method.starts_with("RSA") {
        global.extend(["--consumer-secret".into(), CONSUMER_SECRET.into()]);
    }
    if let Some(ca) = jira.ca_pem_path() {
        global.extend(["--cacert".into(), ca.display().to_string()]);
    }
    let run = |args: &[&str]| -> Out {
        let out = env.run(env.cmd().args(&global).args(args));
        assert_eq!(
            out.code, 0,
            "{method} {args:?}\n{}\n{}",
            out.stdout, out.stderr
        );
        assert!(
            out.stderr.contains("> "),
            "{method} {args:?}: no trace\n{}",
            out.stderr
        );
        out
    };
    let mut secrets = forms(CONSUMER_SECRET);

    let rt = run(&["requestToken", &base, "--format", "json"]);
    let (rtok, rsec) = (
        rt.json()["token"].as_str().unwrap().to_string(),
        rt.json()["token_secret"].as_str().unwrap().to_string(),
    );
    scan("requestToken", &rt, &secrets, Some(&rsec));
    secrets.extend(forms(&rsec));
    let verifier = jira.approve(&rtok);

    let at = run(&[
        "accessToken",
        &base,
        &rtok,
        &rsec,
        &verifier,
        "--format",
        "json",
    ]);
    let (atok, asec) = (
        at.json()["token"].as_str().unwrap().to_string(),
        at.json()["token_secret"].as_str().unwrap().to_string(),
    );
    scan("accessToken", &at, &secrets, Some(&asec));
    secrets.extend(forms(&asec));
    assert_eq!(jira.last_request().unwrap().outcome, Outcome::Ok);
    assert_eq!(
        jira.last_request().unwrap().param("oauth_signature_method"),
        Some(method)
    );

    let with_secret = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        v.extend(["--token-secret".into(), asec.clone()]);
        v
    };
    let myself = format!("{base}/rest/api/2/myself");
    let a = with_secret(&["request", &atok, &myself]);
    let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    scan("request", &out, &secrets, None);
    assert_eq!(jira.last_request().unwrap().outcome, Outcome::Ok);
    // Not /rest/echo: an echo of the Authorization header would show a
    // PLAINTEXT signature, by the server's doing.
    jira.route("POST", "/rest/form", |_| Response::text(200, "ok"));
    let form_url = format!("{base}/rest/form");
    let a = with_secret(&[
        "request",
        &atok,
        "-X",
        "POST",
        "-d",
        "a=1&b=x y",
        "-H",
        "Content-Type: application/x-www-form-urlencoded",
        &form_url,
    ]);
    let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    scan("request with a form", &out, &secrets, None);
    assert_eq!(jira.last_request().unwrap().outcome, Outcome::Ok);
    assert_eq!(jira.last_request().unwrap().param("b"), Some("x y"));

    for extra in [&[][..], &["--base-string"][..], &["--curl"][..]] {
        let mut a = with_secret(&["sign", "POST", &myself, "--token", &atok, "--data", "a=1"]);
        a.extend(extra.iter().map(|s| s.to_string()));
        let out = env.run(env.cmd().args(&global).args(&a));
        out.ok();
        // PLAINTEXT's signature is the secrets: printing it is what sign is for.
        if method == "PLAINTEXT" && !extra.contains(&"--base-string") {
            scan(
                "sign",
                &Out {
                    stdout: String::new(),
                    ..out
                },
                &secrets,
                None,
            );
        } else {
            scan("sign", &out, &secrets, None);
        }
    }

    let out = env.run(env.cmd().args(&global).arg("pubkey"));
    out.ok();
    scan("pubkey", &out, &secrets, None);

    let a = with_secret(&["doctor", &base, "--token", &atok]);
    let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    scan("doctor", &out, &secrets, None);
    assert!(!out.stdout.contains("✗"), "{}", out.stdout);
}

#[test]
fn every_command_under_verbose_keeps_secrets_rsa_sha1() {
    every_command_under_verbose("RSA-SHA1", false);
}

#[test]
fn every_command_under_verbose_keeps_secrets_hmac_sha1() {
    every_command_under_verbose("HMAC-SHA1", false);
}

#[test]
fn every_command_under_verbose_keeps_secrets_plaintext_over_https() {
    every_command_under_verbose("PLAINTEXT", true);
}

#[test]
fn every_method_end_to_end() {
    for (method, tls) in [
        ("HMAC-SHA256", false),
        ("RSA-SHA256", false),
        ("HMAC-SHA1", true),
        ("RSA-SHA256", true),
    ] {
        every_command_under_verbose(method, tls);
    }
}

#[test]
fn plaintext_over_http_is_refused() {
    let jira = provider(false);
    let env = Env::new();
    let out = env.jira_oauth(&[
        "--signature-method",
        "PLAINTEXT",
        "--consumer-secret",
        "x",
        "requestToken",
        &jira.base_url(),
    ]);
    out.fails(2);
    assert!(out.hint().contains("https"), "{}", out.stderr);
    assert!(jira.requests().is_empty());
}

// signature_invalid: where JIRA's base string differs from ours.

#[test]
fn signature_invalid_diff_a_plus_against_percent_20() {
    let hint = diff_hint_url(
        "/rest/api/2/search",
        "/rest/api/2/search?jql=a%20b",
        &[],
        |b, _| b.replace("jql%3Da%2520b", "jql%3Da%252Bb"),
    );
    assert!(
        hint.contains("parameter jql: ours jql=a%20b, JIRA's jql=a%2Bb"),
        "{hint}"
    );
}

#[test]
fn signature_invalid_diff_a_port() {
    let hint = diff_hint_url(
        "/rest/api/2/myself",
        "/rest/api/2/myself",
        &[],
        |b, port| {
            b.replace(&format!("127.0.0.1%253A{port}"), "127.0.0.1")
                .replace(&format!("127.0.0.1%3A{port}"), "127.0.0.1")
        },
    );
    assert!(hint.contains("URL: ours http://127.0.0.1:"), "{hint}");
    assert!(
        hint.contains("JIRA's http://127.0.0.1/rest/api/2/myself"),
        "{hint}"
    );
}

#[test]
fn signature_invalid_diff_a_missing_body_field() {
    let hint = diff_hint_url(
        "/rest/echo",
        "/rest/echo",
        &[
            "-X",
            "POST",
            "-d",
            "a=1&summary=x",
            "-H",
            "Content-Type: application/x-www-form-urlencoded",
        ],
        |b, _| b.replace("%26summary%3Dx", ""),
    );
    assert!(hint.contains("only we signed summary=x"), "{hint}");
}

#[test]
fn signature_invalid_diff_a_different_path() {
    let hint = diff_hint_url("/rest/api/2/myself", "/rest/api/2/myself", &[], |b, _| {
        b.replace("%2Frest%2Fapi", "%2Fjira%2Frest%2Fapi")
    });
    assert!(
        hint.contains("/rest/api/2/myself, JIRA's http://127.0.0.1:"),
        "{hint}"
    );
    assert!(hint.contains("/jira/rest/api/2/myself"), "{hint}");
}

/// A server that answers `signature_invalid` with a base string made by
/// `change` from the one it computed; the hint the binary gives.
fn diff_hint_url(
    route: &str,
    target: &str,
    extra: &[&str],
    change: fn(&str, u16) -> String,
) -> String {
    let jira = jira();
    let env = Env::new();
    let (t, s) = jira.issue_access_token(TEST_CONSUMER_KEY);
    env.secret(&s);
    let port = jira.port();
    jira.route("*", route, move |rec| {
        let theirs = change(&rec.base_string, port);
        assert_ne!(theirs, rec.base_string, "the change changed nothing");
        let body = format!(
            "oauth_problem=signature_invalid&oauth_signature_base_string={}",
            support::mock_jira::oauth::encode(&theirs)
        );
        Response::text(401, body).header(
            "WWW-Authenticate",
            "OAuth realm=\"jira\", oauth_problem=\"signature_invalid\"",
        )
    });
    let url = format!("{}{target}", jira.base_url());
    let mut a = vec!["-v", "request", &t];
    a.extend_from_slice(extra);
    a.push(&url);
    let out = env.jira_oauth(&a);
    out.fails(4);
    assert!(out.error().contains("signature_invalid"), "{}", out.stderr);
    assert!(!out.hint().contains("oauth_nonce"), "{}", out.stderr);
    out.hint().to_string()
}

#[test]
fn doctor_finds_a_bad_base_url() {
    let env = Env::new();
    let out = env.jira_oauth(&["doctor", "jira.example.com/jira"]);
    out.fails(2);
    let l = line(&out, "base URL");
    assert!(
        l.starts_with("✗ ") && l.contains("https://jira.example.com/jira"),
        "{l}"
    );
    assert_eq!(mark(line(&out, "private key")), '✓');
}
