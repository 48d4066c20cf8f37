//! An OAuth 2.0 login against the test provider, through the binary: the
//! test plays the browser (the consent page, then the redirect to the
//! listener) and checks every output for every secret it handed out.

use super::cli::{Env, Out};
use super::mock_jira::{MockJira, OAuth2Client, Options};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

pub const CLIENT_ID: &str = "6f3c1a2b9d8e7f60";
pub const CLIENT_SECRET: &str = "cs-4a8e2d1f7b9c3e5a6d0f1b2c3d4e5f6a";

/// A free port on 127.0.0.1 for the redirect URI.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Setup {
    pub jira: MockJira,
    pub env: Env,
    pub redirect: String,
}

pub fn setup() -> Setup {
    let jira = MockJira::start(Options::default_with_test_consumer());
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    jira.oauth2_register(OAuth2Client {
        id: CLIENT_ID.into(),
        secret: CLIENT_SECRET.into(),
        redirect_uris: vec![redirect.clone()],
    });
    let env = Env::new();
    env.secret(CLIENT_SECRET);
    Setup {
        jira,
        env,
        redirect,
    }
}

impl Setup {
    pub fn base(&self) -> String {
        self.jira.base_url()
    }

    pub fn credentials_path(&self) -> PathBuf {
        self.env
            .home_path()
            .join("config/jira-oauth/credentials.json")
    }

    pub fn entry(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.credentials_path()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["logins"][&self.base()].clone()
    }

    /// Every secret the provider handed out or was sent.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = vec![CLIENT_SECRET.to_string()];
        for r in self.jira.requests() {
            let form: Vec<(String, String)> =
                url::form_urlencoded::parse(&r.body).into_owned().collect();
            for (k, v) in form {
                if [
                    "code",
                    "code_verifier",
                    "refresh_token",
                    "token",
                    "client_secret",
                ]
                .contains(&k.as_str())
                {
                    out.push(v);
                }
            }
        }
        if self.credentials_path().exists() {
            for e in serde_json::from_str::<serde_json::Value>(
                &std::fs::read_to_string(self.credentials_path()).unwrap(),
            )
            .unwrap()["logins"]
                .as_object()
                .unwrap()
                .values()
            {
                out.push(e["token"].as_str().unwrap().to_string());
                if let Some(r) = e["refresh_token"].as_str() {
                    out.push(r.to_string());
                }
            }
        }
        out
    }

    /// Neither stream shows a secret (`token` prints the access token on
    /// stdout on purpose: `stdout_ok` lets it).
    pub fn clean(&self, out: &Out, stdout_ok: Option<&str>) {
        for s in self.secrets() {
            assert!(!out.stderr.contains(&s), "secret on stderr: {}", out.stderr);
            if stdout_ok != Some(s.as_str()) {
                assert!(!out.stdout.contains(&s), "secret on stdout: {}", out.stdout);
            }
        }
    }

    pub fn cmd(&self) -> assert_cmd::Command {
        let mut c = self.env.bare();
        c.env("JIRA_OAUTH_CLIENT_SECRET", CLIENT_SECRET);
        c
    }

    pub fn run(&self, args: &[&str]) -> Out {
        let out = self.env.run(self.cmd().args(args));
        self.clean(&out, None);
        out
    }

    /// `login --oauth2` started, its authorize URL read from stderr.
    pub fn spawn(&self, extra: &[&str], stdin: bool) -> Login {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("jira-oauth"));
        cmd.env_clear()
            .env("HOME", self.env.home_path())
            .env("XDG_CONFIG_HOME", self.env.home_path().join("config"))
            .env("JIRA_OAUTH_CLIENT_SECRET", CLIENT_SECRET)
            .args([
                "-v",
                "login",
                &self.base(),
                "--oauth2",
                "--client-id",
                CLIENT_ID,
            ])
            .args(["--redirect-uri", &self.redirect])
            .args(extra)
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let authorize = loop {
            let mut line = String::new();
            if err.read_line(&mut line).unwrap() == 0 {
                let _ = child.wait();
                panic!("no authorize URL: {seen}");
            }
            seen.push_str(&line);
            if let Some(u) = line.trim().strip_prefix("http") {
                if u.contains("/rest/oauth2/latest/authorize") {
                    break format!("http{u}");
                }
            }
        };
        let stderr = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = err.read_to_string(&mut rest);
            seen + &rest
        });
        Login {
            child,
            authorize,
            stderr,
        }
    }
}

pub struct Login {
    pub child: Child,
    pub authorize: String,
    pub stderr: JoinHandle<String>,
}

impl Login {
    pub fn finish(self, s: &Setup) -> Out {
        let out = super::cli::collect(self.child, self.stderr);
        s.clean(&out, None);
        out
    }
}

/// The browser following JIRA's redirect to the listener: status line.
pub fn browse(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    let mut s = TcpStream::connect(("127.0.0.1", u.port().unwrap())).unwrap();
    let target = match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    };
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        u.authority()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer.lines().next().unwrap_or("").to_string()
}

/// The whole login through the listener; the login's output.
pub fn login(s: &Setup) -> Out {
    let l = s.spawn(&[], false);
    let back = s.jira.oauth2_consent(&l.authorize, true).unwrap();
    assert!(browse(&back).contains("200"));
    l.finish(s)
}
