//! `jira-oauth proxy` under faults: JIRA down or silent, clients that go
//! away, big bodies, smuggling attempts, too many clients, SIGTERM, load.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::Duration;
use support::mock_jira::{MockJira, Options, Outcome, Response};
use support::proxy::{curl_with_token, split_head, status_with_token, Proxy, TOKEN};
use support::raw::{read_request, RawServer};

fn start_jira() -> (MockJira, String) {
    let jira = MockJira::start(Options::default_with_test_consumer());
    let (token, _) = jira.issue_access_token("hardcoded-consumer");
    (jira, token)
}

/// The proxy's peak resident memory so far, in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

#[test]
fn jira_down_is_502_and_silent_jira_is_504() {
    // A port with nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let proxy = Proxy::start("tok", &format!("http://127.0.0.1:{port}"), &[]);
    let out = proxy.curl(&["-i", &format!("{}/rest/api/2/myself", proxy.url)]);
    let (head, body) = split_head(&out.stdout);
    assert!(head.starts_with("HTTP/1.1 502"), "{head}");
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        v["errorMessages"][0]
            .as_str()
            .unwrap()
            .starts_with("jira-oauth proxy: "),
        "{v}"
    );
    assert_eq!(v["errors"], serde_json::json!({}));
    drop(proxy);

    // Accepts, reads, never answers.
    let silent = RawServer::start(|mut s| {
        let _ = read_request(&mut s);
        std::thread::sleep(Duration::from_secs(4));
    });
    let proxy = Proxy::start("tok", &silent.url("http", ""), &["--timeout", "1"]);
    assert_eq!(
        status_with_token(&[&format!("{}/rest/api/2/myself", proxy.url)]),
        "504"
    );
    let (code, log) = proxy.stop();
    assert_eq!(code, 0);
    assert!(log.contains(" 504 "), "{log}");
}

#[test]
fn big_download_streams_in_flat_memory_and_a_client_may_leave_midway() {
    let (jira, token) = start_jira();
    let big = vec![b'x'; 20 * 1024 * 1024];
    jira.route("GET", "/rest/big", move |_| {
        Response::with_body(200, "application/octet-stream", big.clone())
    });
    jira.route("PUT", "/rest/upload", |r| {
        Response::json(200, &serde_json::json!({ "bytes": r.body.len() }))
    });
    let proxy = Proxy::start(&token, &jira.base_url(), &[]);
    let url = format!("{}/rest/big", proxy.url);
    assert_eq!(
        status_with_token(&[&format!("{}/rest/api/2/myself", proxy.url)]),
        "200"
    );
    let before = peak_rss(proxy.child.id());

    // A client that reads a little and goes away.
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
    write!(
        s,
        "GET /rest/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    )
    .unwrap();
    let mut first = [0u8; 65536];
    let n = s.read(&mut first).unwrap();
    assert!(n > 0);
    drop(s);

    // Others are served meanwhile and after.
    let out = proxy.curl(&["-o", "-", &url]);
    assert!(out.status.success());
    assert_eq!(out.stdout.len(), 20 * 1024 * 1024);
    let upload = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(upload.path(), vec![b'y'; 20 * 1024 * 1024]).unwrap();
    let out = proxy.curl(&[
        "-H",
        "Content-Type: application/octet-stream",
        "-T",
        upload.path().to_str().unwrap(),
        &format!("{}/rest/upload", proxy.url),
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        r#"{"bytes":20971520}"#
    );
    // Flat: 20 MB each way, and the peak grew by far less than either.
    let peak = peak_rss(proxy.child.id());
    eprintln!("proxy peak RSS: {before} bytes before, {peak} after");
    assert!(peak < 40 * 1024 * 1024, "peak RSS {peak} bytes");
    assert!(
        peak - before < 8 * 1024 * 1024,
        "peak RSS {before} -> {peak} bytes"
    );
    assert_eq!(
        status_with_token(&[&format!("{}/rest/api/2/myself", proxy.url)]),
        "200"
    );
    let (code, log) = proxy.stop();
    assert_eq!(code, 0);
    // The client that left midway, and only it, is logged as broken off.
    let big: Vec<&str> = log.lines().filter(|l| l.contains("/rest/big")).collect();
    assert_eq!(big.len(), 2, "{log}");
    assert_eq!(
        big.iter().filter(|l| l.ends_with("(broken off)")).count(),
        1,
        "{log}"
    );
    assert!(big.iter().any(|l| l.contains(" 200 20971520 B ")), "{log}");
}

#[test]
fn content_length_with_transfer_encoding_never_makes_two_requests() {
    let (jira, token) = start_jira();
    let proxy = Proxy::start(&token, &jira.base_url(), &[]);
    // Both orders of the two headers (RFC 9112 §6.3: the chunked framing
    // wins, and the connection closes after the answer).
    for framing in [
        "Content-Length: 60\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: chunked\r\nContent-Length: 60",
    ] {
        jira.clear_requests();
        let mut s = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(
            s,
            "POST /rest/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
             Content-Type: application/json\r\n{framing}\r\n\r\n\
             0\r\n\r\nGET /rest/api/2/myself HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
        )
        .unwrap();
        let mut answer = Vec::new();
        // The connection is closed after one answer.
        s.read_to_end(&mut answer).unwrap();
        let text = String::from_utf8_lossy(&answer);
        assert_eq!(text.matches("HTTP/1.1 ").count(), 1, "{text}");
        let reqs = jira.requests();
        assert!(reqs.len() <= 1, "{reqs:#?}");
        assert!(reqs.iter().all(|r| r.path == "/rest/echo"));
    }
}

#[test]
fn beyond_max_connections_is_503() {
    let (jira, token) = start_jira();
    let proxy = Proxy::start(&token, &jira.base_url(), &["--max-connections", "1"]);
    let held = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
    // The held connection is accepted before the next one.
    let out = proxy.curl(&["-i", &format!("{}/rest/api/2/myself", proxy.url)]);
    let (head, _) = split_head(&out.stdout);
    let lower = head.to_ascii_lowercase();
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    assert!(
        lower.contains("retry-after: 1") && lower.contains("connection: close"),
        "{head}"
    );
    drop(held);
    assert!(jira.requests().is_empty());
}

#[test]
fn a_held_answer_delays_no_other_and_sigterm_lets_it_finish() {
    let (jira, token) = start_jira();
    let (arrived, wait_arrival) = mpsc::channel::<()>();
    let arrived = std::sync::Mutex::new(arrived);
    let (release, released) = mpsc::channel::<()>();
    let released = std::sync::Mutex::new(released);
    jira.route("GET", "/rest/slow", move |_| {
        arrived.lock().unwrap().send(()).unwrap();
        released.lock().unwrap().recv().unwrap();
        Response::json(200, &serde_json::json!({"done": true}))
    });
    let proxy = Proxy::start(&token, &jira.base_url(), &[]);
    let url = format!("{}/rest/slow", proxy.url);
    let client = std::thread::spawn(move || curl_with_token(&[&url]));
    wait_arrival.recv().unwrap();
    // The held answer delays no other client.
    assert_eq!(
        status_with_token(&[&format!("{}/rest/api/2/myself", proxy.url)]),
        "200"
    );
    unsafe { libc::kill(proxy.child.id() as i32, libc::SIGTERM) };
    // The listener closes at once: a new connection is refused.
    let port = proxy.port();
    let mut refused = false;
    for _ in 0..200 {
        if TcpStream::connect(("127.0.0.1", port)).is_err() {
            refused = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    release.send(()).unwrap();
    let out = client.join().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), r#"{"done":true}"#);
    let (code, log) = proxy.stop();
    assert_eq!(code, 0, "{log}");
    assert!(refused, "still accepting after SIGTERM");
}

#[test]
fn two_thousand_requests_from_sixteen_clients() {
    let (jira, token) = start_jira();
    let proxy = Proxy::start(&token, &jira.base_url(), &[]);
    let url = format!("{}/rest/api/2/myself", proxy.url);
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                let mut failed = 0;
                for _ in 0..125 {
                    let ok = client
                        .get(&url)
                        .bearer_auth(TOKEN)
                        .send()
                        .is_ok_and(|r| r.status() == 200 && r.bytes().is_ok());
                    failed += usize::from(!ok);
                }
                failed
            })
        })
        .collect();
    let failed: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(failed, 0);
    let reqs = jira.requests();
    assert_eq!(reqs.len(), 2000);
    assert!(reqs
        .iter()
        .all(|r| r.outcome == Outcome::Ok && r.problem().is_none()));
    // Kept alive and pooled: far fewer connections to JIRA than requests.
    assert!(
        jira.connections() < 200,
        "{} connections",
        jira.connections()
    );
}

#[test]
fn sigint_stops_with_exit_0_and_failures_are_logged() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let proxy = Proxy::start("tok", &format!("http://127.0.0.1:{port}"), &[]);
    assert_eq!(
        status_with_token(&[&format!("{}/rest/api/2/myself", proxy.url)]),
        "502"
    );
    unsafe { libc::kill(proxy.child.id() as i32, libc::SIGINT) };
    let (code, log) = proxy.wait();
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("GET /rest/api/2/myself: cannot connect to 127.0.0.1:"),
        "{log}"
    );
    assert!(!log.contains("interrupted"), "{log}");
}
