//! Running the real binary against the test provider: a clean environment,
//! the whole dance in one call, and leak checks on every run.

use super::mock_jira::MockJira;
use assert_cmd::Command;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::Output;

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub fn consumer_key_path() -> PathBuf {
    super::private_key("consumer.pem")
}

/// The base64 lines of a PEM file: none may ever be printed.
fn pem_body_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .map(str::to_string)
        .collect()
}

/// One test's surroundings: an empty HOME and XDG_CONFIG_HOME, and the
/// secrets seen so far, which stderr must never show.
pub struct Env {
    home: tempfile::TempDir,
    secrets: RefCell<Vec<String>>,
    key_lines: Vec<String>,
}

/// A finished child's exit code and output; its stderr was read by the
/// thread `stderr` (while the test read the lines it waited for).
pub fn collect(mut child: std::process::Child, stderr: std::thread::JoinHandle<String>) -> Out {
    use std::io::Read;
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).unwrap();
    }
    let status = child.wait().unwrap();
    Out {
        code: status.code().expect("exited, not killed"),
        stdout,
        stderr: stderr.join().unwrap(),
    }
}

/// A finished run.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn ok(&self) -> &Out {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Exit `code`, and stderr's error line is `jira-oauth: error: …`,
    /// maybe with a `hint:` line, and nothing else (no usage, no panic).
    pub fn fails(&self, code: i32) -> &Out {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.starts_with("jira-oauth: warning: "))
            .filter(|l| !l.starts_with("> ") && !l.starts_with("< ") && !l.starts_with("* "))
            .collect();
        assert!(
            lines
                .first()
                .is_some_and(|l| l.starts_with("jira-oauth: error: ")),
            "{}",
            self.stderr
        );
        assert!(
            lines.len() <= 2,
            "more than an error and a hint: {}",
            self.stderr
        );
        if let Some(hint) = lines.get(1) {
            assert!(hint.starts_with("hint: "), "{}", self.stderr);
        }
        for bad in [
            "Usage:",
            "panicked",
            "backtrace",
            "RUST_BACKTRACE",
            "internal error",
        ] {
            assert!(!self.stderr.contains(bad), "{bad} in: {}", self.stderr);
        }
        self
    }

    /// The `jira-oauth: error: ` line, without its prefix.
    pub fn error(&self) -> &str {
        self.stderr
            .lines()
            .find_map(|l| l.strip_prefix("jira-oauth: error: "))
            .unwrap_or_else(|| panic!("no error line: {}", self.stderr))
    }

    pub fn hint(&self) -> &str {
        self.stderr
            .lines()
            .find_map(|l| l.strip_prefix("hint: "))
            .unwrap_or_else(|| panic!("no hint: {}", self.stderr))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: not JSON: {}", self.stdout))
    }
}

/// What the dance produced.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub request_token: String,
    pub request_secret: String,
    pub verifier: String,
    pub access_token: String,
    pub access_secret: String,
}

impl Default for Env {
    fn default() -> Self {
        Env::new()
    }
}

impl Env {
    pub fn new() -> Env {
        Env {
            home: tempfile::tempdir().unwrap(),
            secrets: RefCell::new(Vec::new()),
            key_lines: pem_body_lines(&consumer_key_path()),
        }
    }

    pub fn home_path(&self) -> &Path {
        self.home.path()
    }

    /// A secret that stderr must never show from now on.
    pub fn secret(&self, s: &str) {
        self.secrets.borrow_mut().push(s.to_string());
    }

    /// The binary with nothing from the caller's environment, and no key.
    pub fn bare(&self) -> Command {
        let mut cmd = Command::cargo_bin("jira-oauth").unwrap();
        cmd.env_clear()
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join("config"));
        cmd
    }

    /// The binary with the test consumer's key.
    pub fn cmd(&self) -> Command {
        let mut cmd = self.bare();
        cmd.arg("--private-key").arg(consumer_key_path());
        cmd
    }

    /// Runs and checks that nothing leaked: the key on either stream,
    /// a known secret on stderr.
    pub fn run(&self, cmd: &mut Command) -> Out {
        let o: Output = cmd.output().unwrap();
        let out = Out {
            code: o.status.code().expect("exited, not killed"),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        };
        for line in &self.key_lines {
            assert!(!out.stdout.contains(line), "private key on stdout");
            assert!(!out.stderr.contains(line), "private key on stderr");
        }
        for s in self.secrets.borrow().iter() {
            assert!(
                !out.stderr.contains(s.as_str()),
                "secret {s} on stderr: {}",
                out.stderr
            );
        }
        out
    }

    /// `cmd()` plus `args`, run.
    pub fn jira_oauth(&self, args: &[&str]) -> Out {
        self.run(self.cmd().args(args))
    }

    /// requestToken (json) for `base`, with `extra` options.
    pub fn request_token(&self, base: &str, extra: &[&str]) -> (String, String) {
        let mut args = vec!["-v", "requestToken", base, "--format", "json"];
        args.extend_from_slice(extra);
        let out = self.jira_oauth(&args);
        out.ok();
        let v = out.json();
        let (t, s) = (
            v["token"].as_str().unwrap().to_string(),
            v["token_secret"].as_str().unwrap().to_string(),
        );
        self.secret(&s);
        (t, s)
    }

    /// accessToken (json); the answer's JSON.
    pub fn access_token(
        &self,
        base: &str,
        token: &str,
        secret: &str,
        verifier: &str,
        extra: &[&str],
    ) -> serde_json::Value {
        let mut args = vec!["-v", "accessToken", base, token, secret, verifier];
        args.extend_from_slice(&["--format", "json"]);
        args.extend_from_slice(extra);
        let out = self.jira_oauth(&args);
        out.ok();
        let v = out.json();
        self.secret(v["token_secret"].as_str().unwrap());
        v
    }

    /// The three steps of the jar: requestToken, approval, accessToken.
    pub fn dance(&self, jira: &MockJira, extra: &[&str]) -> Tokens {
        let base = jira.base_url();
        let (request_token, request_secret) = self.request_token(&base, extra);
        let verifier = jira.approve(&request_token);
        let v = self.access_token(&base, &request_token, &request_secret, &verifier, extra);
        Tokens {
            request_token,
            request_secret,
            verifier,
            access_token: v["token"].as_str().unwrap().to_string(),
            access_secret: v["token_secret"].as_str().unwrap().to_string(),
        }
    }
}

/// The body the provider serves at `path` (plain HTTP, in anonymous mode),
/// fetched without the binary, to compare its output with.
pub fn fetch_served(jira: &MockJira, path: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let was = jira.mode();
    jira.set_anonymous(true);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", jira.port())).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        jira.port()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    jira.set_mode(was);
    let at = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    raw[at + 4..].to_vec()
}

/// Parses `export NAME='value'` lines as a POSIX shell would (single
/// quotes, with `'\''` for a quote), refusing anything else.
pub fn parse_env(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(|line| {
            let assignment = line.strip_prefix("export ").expect("export NAME=");
            let (name, rest) = assignment.split_once('=').expect("NAME=");
            assert!(
                name.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{line}"
            );
            let mut value = String::new();
            let mut chars = rest.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\'' => loop {
                        match chars.next().expect("unterminated quote") {
                            '\'' => break,
                            c => value.push(c),
                        }
                    },
                    '\\' => value.push(chars.next().expect("escape")),
                    c => panic!("unquoted {c:?} in {line}"),
                }
            }
            (name.to_string(), value)
        })
        .collect()
}
