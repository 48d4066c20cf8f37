//! Servers that misbehave, each a raw TCP listener on 127.0.0.1 serving a
//! few connections from a thread: every case ends in the right exit code,
//! with a clear message, in bounded time and memory.

mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use support::cli::consumer_key_path;
use support::raw::{read_request, RawServer};

/// What the server does with one connection, after reading the request.
#[derive(Clone)]
enum Script {
    /// Writes these bytes, then closes.
    Send(Vec<u8>),
    /// Writes these bytes, then holds the connection until the client leaves.
    SendAndHold(Vec<u8>),
    /// Writes these bytes, then body bytes for as long as the client reads.
    SendForever(Vec<u8>),
}

fn send(bytes: &[u8]) -> Script {
    Script::Send(bytes.to_vec())
}

/// A server that answers every connection by the script; the requests it read.
fn start(script: Script) -> RawServer<Vec<u8>> {
    RawServer::start(move |mut s| {
        let request = read_request(&mut s);
        match &script {
            Script::Send(b) => {
                let _ = s.write_all(b);
            }
            Script::SendAndHold(b) => {
                let _ = s.write_all(b);
                let _ = s.read_to_end(&mut Vec::new());
            }
            Script::SendForever(b) => {
                let _ = s.write_all(b);
                let chunk = vec![b'x'; 64 * 1024];
                while s.write_all(&chunk).is_ok() {}
            }
        }
        request
    })
}

/// The binary, no environment but an empty HOME, the test key, stdout
/// captured as bytes; `time` runs it under /usr/bin/time for its peak memory.
fn binary(home: &Path, time: bool) -> Command {
    let exe = env!("CARGO_BIN_EXE_jira-oauth");
    let mut cmd = if time {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "maxrss-kb=%M", exe]);
        c
    } else {
        Command::new(exe)
    };
    cmd.env_clear()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .arg("--private-key")
        .arg(consumer_key_path())
        .stdin(Stdio::null());
    cmd
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The error form of every refusal: one `jira-oauth: error:` line, maybe a hint,
/// nothing else (lines of /usr/bin/time aside).
fn one_error_line(o: &Output) -> String {
    let err = stderr(o);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("maxrss-kb=") && !l.starts_with("Command exited"))
        .collect();
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    assert!(!err.contains("internal error"), "{err}");
    assert!(
        lines.len() == 1 || (lines.len() == 2 && lines[1].starts_with("hint: ")),
        "{err}"
    );
    lines[0]
        .strip_prefix("jira-oauth: error: ")
        .unwrap_or_else(|| panic!("no error line: {err}"))
        .to_string()
}

struct Case {
    name: &'static str,
    script: Script,
    /// Arguments; `URL` and `BASE` stand for the server's.
    args: &'static [&'static str],
    code: i32,
    /// In the error line (lower-cased), or for exit 0 the exact stdout.
    gist: &'static [u8],
}

const TOKEN: &[&str] = &["--timeout", "5", "requestToken", "BASE"];
const GET: &[&str] = &["--timeout", "5", "request", "tok", "URL"];
const GET_1S: &[&str] = &["--timeout", "1", "request", "tok", "URL"];

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "closed before the status line",
            script: send(b""),
            args: GET,
            code: 3,
            gist: b"closed",
        },
        Case {
            name: "closed in the middle of the status line",
            script: send(b"HTTP/1.1 20"),
            args: GET,
            code: 3,
            gist: b"127.0.0.1",
        },
        Case {
            name: "closed in the middle of the headers",
            script: send(b"HTTP/1.1 200 OK\r\nContent-Type: appli"),
            args: GET,
            code: 3,
            gist: b"127.0.0.1",
        },
        Case {
            name: "closed in the middle of a token answer's headers",
            script: send(b"HTTP/1.1 200 OK\r\nContent-Type: text/pl"),
            args: TOKEN,
            code: 3,
            gist: b"127.0.0.1",
        },
        Case {
            name: "closed in the middle of a chunked body",
            script: send(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                  Transfer-Encoding: chunked\r\n\r\n6\r\n{\"a\":1\r\n",
            ),
            args: GET,
            code: 3,
            gist: b"broke off",
        },
        Case {
            name: "a body shorter than its Content-Length, then closed",
            script: send(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                  Content-Length: 100\r\n\r\n{\"a\":1}",
            ),
            args: GET,
            code: 3,
            gist: b"broke off",
        },
        Case {
            name: "a token answer shorter than its Content-Length",
            script: send(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
                  Content-Length: 100\r\n\r\noauth_token=t",
            ),
            args: TOKEN,
            code: 3,
            gist: b"broke off",
        },
        Case {
            name: "a body longer than its Content-Length: the extra is not the body",
            script: send(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
                  Content-Length: 5\r\n\r\nhello, and more",
            ),
            args: GET,
            code: 0,
            gist: b"hello",
        },
        Case {
            name: "a token answer that is an HTML page",
            script: send(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html;charset=UTF-8\r\n\
                  Content-Length: 58\r\n\r\n<html><head><title>Log in</title></head><body></body></html>",
            ),
            args: TOKEN,
            code: 1,
            gist: b"http 200",
        },
        Case {
            name: "an empty token answer",
            script: send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n"),
            args: TOKEN,
            code: 1,
            gist: b"empty",
        },
        Case {
            name: "a token answer without oauth_token_secret",
            script: send(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
                  Content-Length: 13\r\n\r\noauth_token=t",
            ),
            args: TOKEN,
            code: 1,
            gist: b"lacks oauth_token_secret",
        },
        Case {
            name: "a token answer that is binary",
            script: send(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n\xff\xfe\x00\x01"),
            args: TOKEN,
            code: 1,
            gist: b"http 200",
        },
        Case {
            name: "a 401 with a malformed WWW-Authenticate",
            script: send(
                b"HTTP/1.1 401 Unauthorized\r\n\
                  WWW-Authenticate: OAuth realm=\"x, oauth_problem=\r\n\
                  Content-Length: 0\r\n\r\n",
            ),
            args: GET,
            code: 4,
            gist: b"401",
        },
        Case {
            name: "a 401 with a WWW-Authenticate of binary bytes",
            script: send(
                b"HTTP/1.1 401 Unauthorized\r\n\
                  WWW-Authenticate: OAuth oauth_problem=\"\xff\xfe\"\r\n\
                  Content-Length: 0\r\n\r\n",
            ),
            args: TOKEN,
            code: 4,
            gist: b"401",
        },
        Case {
            name: "a 401 with an empty WWW-Authenticate",
            script: send(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate:\r\nContent-Length: 0\r\n\r\n"),
            args: GET,
            code: 4,
            gist: b"401",
        },
        Case {
            name: "a status line that is not HTTP",
            script: send(b"SSH-2.0-OpenSSH_9.6\r\n"),
            args: GET,
            code: 3,
            gist: b"127.0.0.1",
        },
        Case {
            name: "a Content-Length that is not a number",
            script: send(b"HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\nabc"),
            args: GET,
            code: 3,
            gist: b"127.0.0.1",
        },
        Case {
            name: "a header far too long",
            script: Script::Send({
                let mut b = b"HTTP/1.1 200 OK\r\nX-Long: ".to_vec();
                b.extend(std::iter::repeat_n(b'a', 1 << 20));
                b.extend_from_slice(b"\r\n\r\n");
                b
            }),
            args: GET,
            code: 3,
            gist: b"127.0.0.1",
        },
        Case {
            name: "a redirect without a Location",
            script: send(b"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n"),
            args: GET,
            code: 1,
            gist: b"without a location",
        },
        Case {
            name: "a 500 with an HTML page",
            script: send(
                b"HTTP/1.1 500 Server Error\r\nContent-Type: text/html\r\n\
                  Content-Length: 25\r\n\r\n<html>java.lang.NPE</html>",
            ),
            args: GET,
            code: 1,
            gist: b"500",
        },
        Case {
            name: "accepts and never answers",
            script: Script::SendAndHold(Vec::new()),
            args: GET_1S,
            code: 3,
            gist: b"no answer",
        },
        Case {
            name: "the headers, then nothing",
            script: Script::SendAndHold(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"a\"".to_vec(),
            ),
            args: GET_1S,
            code: 3,
            gist: b"within 1 s",
        },
        Case {
            name: "invalid UTF-8 in a JSON body, passed through byte for byte",
            script: send(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=UTF-8\r\n\
                  Content-Length: 14\r\n\r\n{\"k\":\"\xff\xfe\xc3(\x80\"}\n",
            ),
            args: GET,
            code: 0,
            gist: b"{\"k\":\"\xff\xfe\xc3(\x80\"}\n",
        },
    ]
}

fn run_case(c: &Case, home: &Path) {
    let server = start(c.script.clone());
    let (url, base) = (
        server.url("http", "/rest/api/2/myself"),
        server.url("http", ""),
    );
    let args: Vec<&str> = c
        .args
        .iter()
        .map(|a| match *a {
            "URL" => url.as_str(),
            "BASE" => base.as_str(),
            a => a,
        })
        .collect();
    let out = assert_cmd::Command::from_std(binary(home, false))
        .args(&args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let requests = server.finish();
    assert!(!requests.is_empty(), "{}: no request arrived", c.name);
    assert_eq!(
        out.status.code(),
        Some(c.code),
        "{}: {}",
        c.name,
        stderr(&out)
    );
    if c.code == 0 {
        assert_eq!(out.stdout, c.gist, "{}: {}", c.name, stderr(&out));
        return;
    }
    let line = one_error_line(&out).to_lowercase();
    let gist = String::from_utf8_lossy(c.gist);
    assert!(
        line.contains(&*gist),
        "{}: wanted {gist:?} in {line}",
        c.name
    );
    if c.args.contains(&"requestToken") {
        assert!(out.stdout.is_empty(), "{}: token output", c.name);
    }
}

#[test]
fn every_faulty_server_ends_cleanly() {
    let home = tempfile::tempdir().unwrap();
    let cases = cases();
    assert!(cases.len() >= 20);
    for c in &cases {
        run_case(c, home.path());
    }
}

#[test]
fn a_never_ending_body_ends_at_the_timeout() {
    let home = tempfile::tempdir().unwrap();
    let server = start(Script::SendForever(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: identity\r\n\r\n"
            .to_vec(),
    ));
    // The body streams to stdout; a sink keeps it from piling up here.
    let out = binary(home.path(), false)
        .args([
            "--timeout",
            "1",
            "request",
            "tok",
            &server.url("http", "/x"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    server.finish();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let line = one_error_line(&out);
    assert!(line.contains("did not end within 1 s"), "{line}");
}

#[test]
fn a_five_gigabyte_content_length_that_never_comes() {
    let home = tempfile::tempdir().unwrap();
    let time = Path::new("/usr/bin/time").exists();
    for args in [GET_1S, &["--timeout", "1", "requestToken", "BASE"][..]] {
        let server = start(Script::SendAndHold(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5000000000\r\n\r\nab"
                .to_vec(),
        ));
        let (url, base) = (server.url("http", "/x"), server.url("http", ""));
        let args: Vec<&str> = args
            .iter()
            .map(|a| match *a {
                "URL" => url.as_str(),
                "BASE" => base.as_str(),
                a => a,
            })
            .collect();
        let out = binary(home.path(), time)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        server.finish();
        let err = stderr(&out);
        if !time {
            eprintln!("no /usr/bin/time: the memory bound is not checked");
        }
        // /usr/bin/time passes the exit code on.
        assert_eq!(out.status.code(), Some(3), "{err}");
        let line = one_error_line(&out);
        assert!(
            line.contains("broke off") && line.contains("within"),
            "names the timeout: {line}"
        );
        if time {
            let kb: u64 = err
                .lines()
                .find_map(|l| l.strip_prefix("maxrss-kb="))
                .expect("time's figure")
                .trim()
                .parse()
                .unwrap();
            assert!(kb < 64 * 1024, "peak memory {kb} kB: {err}");
        }
    }
}
