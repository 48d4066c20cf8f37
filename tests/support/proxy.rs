//! `jira-oauth proxy` as a process in front of the test provider, and
//! curl as the client that nobody here wrote.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};

pub const TOKEN: &str = "proxy-token-for-tests-0123456789abcdef";

pub struct Proxy {
    pub child: Child,
    /// `http://127.0.0.1:PORT`, from the ready line.
    pub url: String,
    /// Everything on stderr so far (the ready line included).
    pub stderr: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

/// The binary with nothing from the caller's environment, the test key,
/// and the access token `token`.
pub fn command(access_token: &str) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("jira-oauth"));
    cmd.env_clear()
        .env("HOME", "/nonexistent")
        .env("JIRA_OAUTH_PRIVATE_KEY", super::private_key("consumer.pem"))
        .env("JIRA_OAUTH_ACCESS_TOKEN", access_token)
        .env("JIRA_OAUTH_PROXY_TOKEN", TOKEN);
    cmd
}

impl Proxy {
    /// `proxy BASE --listen 0 ARGS`, running once its ready line is out.
    pub fn start(access_token: &str, base: &str, args: &[&str]) -> Proxy {
        let mut cmd = command(access_token);
        cmd.args(["proxy", base, "--listen", "0"]).args(args);
        Proxy::spawn(cmd)
    }

    pub fn spawn(mut cmd: Command) -> Proxy {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap());
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut url = None;
        let mut line = String::new();
        while lines.read_line(&mut line).unwrap() > 0 {
            stderr.lock().unwrap().push_str(&line);
            if line.starts_with("Proxy for ") {
                url = line.trim_end().rsplit(" on ").next().map(str::to_string);
                break;
            }
            line.clear();
        }
        let Some(url) = url else {
            let _ = child.wait();
            panic!("no ready line: {}", stderr.lock().unwrap());
        };
        let sink = stderr.clone();
        let reader = std::thread::spawn(move || {
            let mut line = String::new();
            while lines.read_line(&mut line).unwrap_or(0) > 0 {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        Proxy {
            child,
            url,
            stderr,
            reader: Some(reader),
        }
    }

    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// curl with the proxy token as a bearer, and `args`.
    pub fn curl(&self, args: &[&str]) -> Output {
        curl_with_token(args)
    }

    /// SIGTERM, then the exit code and all of stderr.
    pub fn stop(self) -> (i32, String) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        self.wait()
    }

    /// Waits for the exit (no signal sent); the exit code and all of stderr.
    pub fn wait(mut self) -> (i32, String) {
        let status = self.child.wait().unwrap();
        if let Some(r) = self.reader.take() {
            r.join().unwrap();
        }
        let text = self.stderr.lock().unwrap().clone();
        (status.code().unwrap_or(-1), text)
    }

    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// curl, with `args`.
pub fn curl(args: &[&str]) -> Output {
    Command::new("curl").args(args).output().unwrap()
}

/// The HTTP status curl got for `args`, the body thrown away.
pub fn curl_status(args: &[&str]) -> String {
    let out = curl(&[&["-s", "-o", "/dev/null", "-w", "%{http_code}"], args].concat());
    String::from_utf8(out.stdout).unwrap()
}

/// The proxy token as a bearer header, as clients pass the gate.
pub fn token_header() -> String {
    format!("Authorization: Bearer {TOKEN}")
}

/// curl past the gate (the proxy token as a bearer), with `args`.
pub fn curl_with_token(args: &[&str]) -> Output {
    curl(&[&["-sS", "-H", token_header().as_str()], args].concat())
}

/// The HTTP status curl got past the gate for `args`.
pub fn status_with_token(args: &[&str]) -> String {
    curl_status(&[&["-H", token_header().as_str()], args].concat())
}

/// The status line's code and the body of `curl -i` output.
pub fn split_head(out: &[u8]) -> (String, Vec<u8>) {
    let text = out;
    let end = text
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    (
        String::from_utf8_lossy(&text[..end]).into_owned(),
        text[end + 4..].to_vec(),
    )
}
