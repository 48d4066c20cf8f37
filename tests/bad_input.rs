//! Bad input, row by row through the binary: the exit code, one error line
//! that names the culprit, no panic, nothing on stdout, nothing written, and
//! nothing sent to the server.

mod support;

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use support::cli::{consumer_key_path, data, Env};

/// One row: the arguments, extra environment, stdin, and what must come out.
struct Row {
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    stdin: Vec<u8>,
    code: i32,
    /// A substring of the error line that names the culprit.
    gist: String,
}

fn row(args: &[&str], code: i32, gist: &str) -> Row {
    Row {
        args: args.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        stdin: Vec::new(),
        code,
        gist: gist.to_string(),
    }
}

impl Row {
    fn env(mut self, name: &'static str, value: &str) -> Row {
        self.env.push((name, value.to_string()));
        self
    }

    fn stdin(mut self, bytes: &[u8]) -> Row {
        self.stdin = bytes.to_vec();
        self
    }
}

/// Every file under `dir` with its mode and contents.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u32, Vec<u8>)> {
    let mut seen = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let contents = if meta.is_dir() {
                todo.push(path.clone());
                Vec::new()
            } else {
                std::fs::read(&path).unwrap_or_default()
            };
            seen.insert(path, (meta.permissions().mode(), contents));
        }
    }
    seen
}

/// Key files of every refused kind, in a directory of their own.
struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn new() -> Keys {
        let dir = tempfile::tempdir().unwrap();
        let pem = std::fs::read_to_string(consumer_key_path()).unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        };
        write("empty.pem", b"");
        write("truncated.pem", &pem.as_bytes()[..pem.len() / 2]);
        // Missing its last lines: the END marker is gone.
        let cut: Vec<&str> = pem.lines().collect();
        write("no-end.pem", cut[..cut.len() - 3].join("\n").as_bytes());
        let binary: Vec<u8> = (0..=255u8).cycle().take(1200).collect();
        write("binary.bin", &binary);
        write("text.pem", b"this is not a key\n");
        // The test key's DER with its outer length in three bytes (82 → 83 00):
        // BER, not DER (X.690 10.1).
        let der = std::fs::read(data("keys/rsa.pkcs8.der")).unwrap();
        assert_eq!(der[..2], [0x30, 0x82]);
        write(
            "non-minimal.der",
            &[&[0x30, 0x83, 0x00], &der[2..]].concat(),
        );
        std::fs::create_dir(dir.path().join("a-directory")).unwrap();
        for fixture in [
            "keys/public.pem",
            "keys/cert.pem",
            "keys/ec.pkcs8.pem",
            "keys/ec.sec1.pem",
            "keys/dsa.pem",
            "keys/ed25519.pem",
            "keys/openssh.key",
            "keys/rsa.encrypted.pem",
        ] {
            let name = Path::new(fixture).file_name().unwrap().to_str().unwrap();
            write(name, &std::fs::read(data(fixture)).unwrap());
        }
        Keys { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }
}

/// As `Env::bare`, in a session of its own: with no terminal to prompt on,
/// a passphrase can only come from the environment.
fn detached(home: &Path) -> Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_jira-oauth"));
    cmd.env_clear()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"));
    // SAFETY: setsid is async-signal-safe and touches no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    Command::from_std(cmd)
}

#[test]
fn every_bad_input_is_one_clear_line() {
    // Any connection here is a failure: bad input must stop before sending.
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    server.set_nonblocking(true).unwrap();
    let base = format!("http://127.0.0.1:{}", server.local_addr().unwrap().port());
    let issue = format!("{base}/rest/api/2/issue/HSP-1");
    let keys = Keys::new();
    let key = consumer_key_path();
    let key = key.to_str().unwrap();
    let missing_key = keys.path("no-such-key.pem");
    let missing_body = format!("@{}", keys.path("no-such-body.json"));
    let missing_ca = keys.path("no-such-ca.pem");
    let not_pem_ca = keys.path("text.pem");
    let k = |name: &str| keys.path(name);
    let with_key = |kfile: &str, code: i32, gist: &str| {
        row(&["--private-key", kfile, "requestToken", &base], code, gist)
    };

    let rows: Vec<Row> = vec![
        // URLs.
        row(
            &["requestToken", "jira.example.com"],
            2,
            "'jira.example.com' is not a URL",
        ),
        row(
            &["requestToken", "ftp://h/jira"],
            2,
            "unsupported URL scheme 'ftp'",
        ),
        row(
            &["requestToken", "file:///etc/passwd"],
            2,
            "unsupported URL scheme 'file'",
        ),
        row(
            &["requestToken", "http://ji ra.example.com"],
            2,
            "'http://ji ra.example.com'",
        ),
        row(
            &["request", "tok", "http://127.0.0.1:99999/x"],
            2,
            "invalid port",
        ),
        row(
            &["request", "tok", "http://127.0.0.1:-1/x"],
            2,
            "'http://127.0.0.1:-1/x'",
        ),
        row(&["requestToken", ""], 2, "empty URL"),
        row(&["requestToken", "  "], 2, "empty URL"),
        row(&["request", "tok", "http://"], 2, "'http://'"),
        row(
            &["request", "tok", "http://u:pw@127.0.0.1/x"],
            2,
            "user names and passwords",
        ),
        row(
            &["requestToken", "http://h/jira?os_authType=basic"],
            2,
            "has a query",
        ),
        row(
            &["--base-url", "ftp://h", "request", "tok", "/rest/x"],
            2,
            "scheme 'ftp'",
        ),
        row(
            &["request", "tok", "/rest/api/2/myself"],
            2,
            "'/rest/api/2/myself' is a path",
        ),
        // Tokens.
        row(&["request", "", &issue], 2, "access token is empty"),
        row(&["request", " \t ", &issue], 2, "access token is empty"),
        row(&["request", "tok\nen", &issue], 2, "newline"),
        row(&["request", "tok\r", &issue], 2, "control character"),
        row(&["request", &issue], 2, "no access token"),
        row(&["request", &issue], 2, "access token is empty").env("JIRA_OAUTH_ACCESS_TOKEN", " "),
        row(&["request", &issue], 2, "newline").env("JIRA_OAUTH_ACCESS_TOKEN", "a\nb"),
        row(&["accessToken", &base, "rt", "rs", "v\n"], 2, "newline"),
        row(
            &["accessToken", &base, "", "rs", "v"],
            2,
            "request token is empty",
        ),
        row(&["sign", "GET", &issue, "--token", "a\nb"], 2, "newline"),
        // Key files.
        with_key(&missing_key, 2, "no-such-key.pem not found"),
        with_key(&k("empty.pem"), 2, "empty.pem is empty"),
        with_key(&k("truncated.pem"), 2, "truncated.pem"),
        with_key(&k("no-end.pem"), 2, "no-end.pem"),
        with_key(&k("binary.bin"), 2, "binary.bin is binary data"),
        with_key(&k("text.pem"), 2, "text.pem is not a private key"),
        with_key(
            &k("non-minimal.der"),
            2,
            "non-minimal.der is corrupt: its DER encodes a length in more bytes than needed, which DER forbids",
        ),
        with_key(&k("a-directory"), 2, "a-directory is a directory"),
        with_key(&k("public.pem"), 2, "holds a public key"),
        with_key(&k("cert.pem"), 2, "certificate"),
        with_key(&k("ec.pkcs8.pem"), 2, "EC"),
        with_key(&k("ec.sec1.pem"), 2, "EC"),
        with_key(&k("dsa.pem"), 2, "DSA"),
        with_key(&k("ed25519.pem"), 2, "Ed25519"),
        with_key(&k("openssh.key"), 2, "OpenSSH"),
        with_key(&k("rsa.encrypted.pem"), 2, "wrong passphrase")
            .env("JIRA_OAUTH_KEY_PASSPHRASE", "battery staple"),
        with_key(&k("rsa.encrypted.pem"), 2, "encrypted"),
        with_key(&k("rsa.encrypted.pem"), 2, "encrypted").env("JIRA_OAUTH_KEY_PASSPHRASE", ""),
        row(
            &["requestToken", &base],
            2,
            "JIRA_OAUTH_PRIVATE_KEY is set but empty",
        )
        .env("JIRA_OAUTH_PRIVATE_KEY", ""),
        row(
            &["requestToken", &base],
            2,
            "JIRA_OAUTH_CACERT is set but empty",
        )
        .env("JIRA_OAUTH_CACERT", ""),
        row(
            &["requestToken", &base],
            2,
            "JIRA_OAUTH_TIMEOUT is set but empty",
        )
        .env("JIRA_OAUTH_TIMEOUT", ""),
        // Options.
        row(
            &["--signature-method", "RSA-MD5", "requestToken", &base],
            2,
            "RSA-MD5",
        ),
        row(&["requestToken", &base], 2, "HMAC-MD5").env("JIRA_OAUTH_SIGNATURE_METHOD", "HMAC-MD5"),
        row(&["--format", "yaml", "requestToken", &base], 2, "'yaml'"),
        row(
            &["--auth-in", "cookie", "requestToken", &base],
            2,
            "'cookie'",
        ),
        row(&["requestToken", &base], 2, "'cookies'").env("JIRA_OAUTH_AUTH_IN", "cookies"),
        row(
            &["request", "tok", "-d", &missing_body, &issue],
            2,
            "no-such-body.json",
        ),
        row(
            &["request", "tok", "-H", "X-One 1", &issue],
            2,
            "-H 'X-One 1' has no colon",
        ),
        row(
            &["request", "tok", "-H", "Bad Name: 1", &issue],
            2,
            "'Bad Name' is not a header name",
        ),
        row(
            &["request", "tok", "-H", "X-A: 1\r\nX-B: 2", &issue],
            2,
            "control character",
        ),
        row(
            &["request", "tok", "-H", "Authorization: Basic eA==", &issue],
            2,
            "-H Authorization",
        ),
        row(
            &["request", "tok", "-X", "GE T", &issue],
            2,
            "'GE T' is not an HTTP method",
        ),
        row(
            &["request", "tok", "-q", "jql", &issue],
            2,
            "-q 'jql' has no '='",
        ),
        row(
            &["request", "tok", "-X", "POST", "--paginate", &issue],
            2,
            "--paginate",
        ),
        row(
            &["--timeout", "0", "requestToken", &base],
            2,
            "'0' must be more than 0",
        ),
        row(&["--timeout", "-1", "requestToken", &base], 2, "'-1'"),
        row(
            &["--timeout", "soon", "requestToken", &base],
            2,
            "'soon' is not a number",
        ),
        row(&["--timeout", "NaN", "requestToken", &base], 2, "'NaN'"),
        row(&["requestToken", &base], 2, "'1e9'").env("JIRA_OAUTH_TIMEOUT", "1e9"),
        row(
            &["request", "tok", "--retries", "many", &issue],
            2,
            "'many'",
        ),
        row(&["request", "tok", "--retries", "-1", &issue], 2, "'-1'"),
        row(&["request", "tok", "--parallel", "0", &issue], 2, "'0'"),
        row(&["request", "tok", "--parallel", "65", &issue], 2, "'65'"),
        row(
            &["sign", "GET", &issue, "--base-string", "--curl"],
            2,
            "'--base-string'",
        ),
        row(
            &["sign", "GET", &issue, "--timestamp", "yesterday"],
            2,
            "'yesterday'",
        ),
        row(&["sign", "GE T", &issue], 2, "'GE T' is not an HTTP method"),
        row(&["frobnicate"], 2, "'frobnicate'"),
        row(
            &["requestToken", &base, "--no-such-option"],
            2,
            "'--no-such-option'",
        ),
        row(&["accessToken", &base], 2, "required"),
        row(&["completions", "tcsh"], 2, "'tcsh'"),
        row(&["keygen", "--bits", "1000"], 2, "--bits 1000"),
        row(&["keygen", "--bits", "lots"], 2, "'lots'"),
        row(
            &[
                "--cacert",
                &missing_ca,
                "request",
                "tok",
                "https://127.0.0.1:1/x",
            ],
            2,
            "no-such-ca.pem",
        ),
        row(
            &[
                "--cacert",
                &not_pem_ca,
                "request",
                "tok",
                "https://127.0.0.1:1/x",
            ],
            2,
            "text.pem",
        ),
        row(
            &["--cacert", key, "request", "tok", "https://127.0.0.1:1/x"],
            2,
            "holds no PEM certificate",
        ),
        row(
            &["--signature-method", "PLAINTEXT", "sign", "GET", &issue],
            2,
            "PLAINTEXT",
        ),
        row(
            &["--signature-method", "PLAINTEXT", "request", "tok", &issue],
            2,
            "PLAINTEXT",
        ),
        row(
            &["--signature-method", "PLAINTEXT", "requestToken", &base],
            2,
            "PLAINTEXT",
        ),
        row(
            &["--auth-in", "body", "request", "tok", &issue],
            2,
            "--auth-in body",
        ),
        row(
            &[
                "request",
                "tok",
                "-d",
                "@-",
                "--auth-in",
                "body",
                "-H",
                "Content-Type: application/json",
                &issue,
            ],
            2,
            "--auth-in body",
        )
        .stdin(b"{}"),
    ];
    assert!(rows.len() >= 40, "{} rows", rows.len());

    let mut failed = Vec::new();
    for r in &rows {
        // Every row runs, and every failing row is reported.
        let checked =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(r, key, &server)));
        if let Err(e) = checked {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failed.push(msg);
        }
    }
    assert!(
        failed.is_empty(),
        "{} rows failed:\n{}",
        failed.len(),
        failed.join("\n\n")
    );
    assert!(
        !keys.dir.path().join("private.pem").exists(),
        "keygen wrote nothing"
    );
}

fn check(r: &Row, key: &str, server: &TcpListener) {
    let env = Env::new();
    let cwd = tempfile::tempdir().unwrap();
    let before = snapshot(env.home_path());
    env.secret("battery staple");
    env.secret(":pw@");
    let mut cmd = detached(env.home_path());
    // The test consumer's key unless the row names its own.
    let names_key = r.args.iter().any(|a| a == "--private-key")
        || r.env.iter().any(|(n, _)| *n == "JIRA_OAUTH_PRIVATE_KEY");
    if !names_key {
        cmd.arg("--private-key").arg(key);
    }
    cmd.args(&r.args)
        .current_dir(cwd.path())
        .write_stdin(r.stdin.clone())
        .timeout(std::time::Duration::from_secs(60));
    for (name, value) in &r.env {
        cmd.env(name, value);
    }
    let out = env.run(&mut cmd);
    let what = format!("{:?} {:?}", r.args, r.env);
    assert_eq!(out.code, r.code, "{what}: {}", out.stderr);
    out.fails(r.code);
    assert_eq!(
        out.stderr
            .lines()
            .filter(|l| l.starts_with("jira-oauth: error:"))
            .count(),
        1,
        "{what}: {}",
        out.stderr
    );
    assert!(
        out.error().contains(&r.gist),
        "{what}: wanted {:?} in: {}",
        r.gist,
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{what}: stdout {:?}", out.stdout);
    assert!(!out.stderr.contains("stack backtrace"), "{what}");
    assert_eq!(snapshot(env.home_path()), before, "{what}: wrote in HOME");
    assert!(
        std::fs::read_dir(cwd.path()).unwrap().next().is_none(),
        "{what}: wrote in the working directory"
    );
    match server.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("{what}: bad input reached the server: {other:?}"),
    }
}

/// A key others can read works, with a warning naming `chmod 600`, as ssh
/// warns; an owner-only key gets none.
#[test]
fn key_mode_warning_through_the_binary() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("private.pem");
    std::fs::copy(consumer_key_path(), &path).unwrap();
    let sign = |mode: u32| {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let mut cmd = detached(env.home_path());
        cmd.arg("--private-key").arg(&path).args([
            "sign",
            "GET",
            "http://127.0.0.1:1/rest/api/2/myself",
            "--token",
            "t",
            "--timestamp",
            "1",
            "--nonce",
            "n",
        ]);
        env.run(&mut cmd)
    };
    for mode in [0o644, 0o640, 0o604] {
        let out = sign(mode);
        out.ok();
        assert!(out.stdout.starts_with("OAuth "), "{}", out.stdout);
        let warning: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(warning.len(), 1, "{}", out.stderr);
        assert!(
            warning[0].starts_with("jira-oauth: warning: "),
            "{}",
            out.stderr
        );
        assert!(warning[0].contains("chmod 600"), "{}", out.stderr);
        assert!(
            warning[0].contains(&format!("{mode:04o}")),
            "{}",
            out.stderr
        );
        assert!(
            warning[0].contains(path.to_str().unwrap()),
            "{}",
            out.stderr
        );
    }
    let quiet = sign(0o600);
    quiet.ok();
    assert_eq!(quiet.stderr, "");
    assert_eq!(
        quiet.stdout,
        sign(0o644).stdout,
        "same signature either way"
    );
    let quiet = sign(0o400);
    quiet.ok();
    assert_eq!(quiet.stderr, "");
}

/// The mode is checked only once the file loaded as a private key: for a
/// public key, a certificate or garbage that others can read, the error about
/// what the file really is comes alone, with no word about `chmod 600`.
#[test]
fn readable_wrong_files_get_the_real_error_alone() {
    let env = Env::new();
    let keys = Keys::new();
    let sign = |path: &str| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut cmd = detached(env.home_path());
        cmd.arg("--private-key").arg(path).args([
            "sign",
            "GET",
            "http://127.0.0.1:1/rest/api/2/myself",
            "--token",
            "t",
            "--timestamp",
            "1",
            "--nonce",
            "n",
        ]);
        env.run(&mut cmd)
    };
    for (name, gist) in [
        ("public.pem", "holds a public key"),
        ("cert.pem", "holds a certificate"),
        ("text.pem", "is not a private key I can read"),
        ("binary.bin", "is binary data"),
    ] {
        let path = keys.path(name);
        let out = sign(&path);
        assert_eq!(out.code, 2, "{name}: {}", out.stderr);
        // The error line first and the only one of its kind; a hint may follow.
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert!(
            lines[0].starts_with("jira-oauth: error: ")
                && lines[0].contains(&path)
                && lines[0].contains(gist),
            "{name}: {}",
            out.stderr
        );
        assert!(
            lines[1..].iter().all(|l| l.starts_with("hint: ")),
            "{name}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("chmod"), "{name}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{name}: {}", out.stdout);
    }
    // The private key itself, just as readable, still works and warns.
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("private.pem");
    std::fs::copy(consumer_key_path(), &key).unwrap();
    let out = sign(key.to_str().unwrap());
    out.ok();
    assert!(out.stdout.starts_with("OAuth "), "{}", out.stdout);
    assert!(
        out.stderr.starts_with("jira-oauth: warning: private key ")
            && out.stderr.contains("(mode 0644); run chmod 600"),
        "{}",
        out.stderr
    );
}
