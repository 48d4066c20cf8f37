//! Python's `jira` library (a client nobody here wrote) through `jira-oauth
//! proxy`, over HTTP and HTTPS to the test provider. Needs the library:
//! `JIRA_OAUTH_PYTHON` names a Python that has tests/interop/requirements-proxy.txt
//! (tests/interop/python_jira.sh sets it up); without it the test says so and
//! does nothing.

mod support;

use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use support::mock_jira::{MockJira, Options, Outcome, Recorded, Response};
use support::proxy::{command, Proxy, TOKEN};

const ISSUES: usize = 250;

/// What python-jira writes: HSP-1's summary, the issue it creates, the
/// attachment it uploads.
#[derive(Default)]
struct Writes {
    summary: Option<String>,
    created: Option<String>,
    attachment: Option<(String, Vec<u8>)>,
}

fn issue_json(base: &str, n: usize, summary: &str) -> Value {
    let id = 10000 + n - 1;
    json!({
        "id": id.to_string(),
        "self": format!("{base}/rest/api/2/issue/{id}"),
        "key": format!("HSP-{n}"),
        "fields": {
            "summary": summary,
            "issuetype": {"self": format!("{base}/rest/api/2/issuetype/1"), "id": "1", "name": "Bug"},
            "project": {"self": format!("{base}/rest/api/2/project/10000"), "id": "10000", "key": "HSP"},
            "attachment": [],
            "comment": {"comments": [], "total": 0}
        }
    })
}

/// The REST routes python-jira needs beyond the provider's own.
fn add_routes(jira: &MockJira) {
    let base = jira.base_url();
    let writes = Arc::new(Mutex::new(Writes::default()));
    for path in ["/rest/api/2/issue/HSP-1", "/rest/api/2/issue/10000"] {
        let (w, b) = (writes.clone(), base.clone());
        jira.route("GET", path, move |_| {
            let summary = w
                .lock()
                .unwrap()
                .summary
                .clone()
                .unwrap_or("Issue 1".into());
            Response::json(200, &issue_json(&b, 1, &summary))
        });
        let w = writes.clone();
        jira.route("PUT", path, move |r: &Recorded| {
            let v: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            w.lock().unwrap().summary = v["fields"]["summary"].as_str().map(str::to_string);
            Response::new(204)
        });
    }
    let (w, b) = (writes.clone(), base.clone());
    jira.route("POST", "/rest/api/2/issue", move |r: &Recorded| {
        let v: Value = serde_json::from_slice(&r.body).unwrap_or_default();
        w.lock().unwrap().created = v["fields"]["summary"].as_str().map(str::to_string);
        Response::json(201, &json!({"id": "10099", "key": "HSP-100", "self": format!("{b}/rest/api/2/issue/10099")}))
    });
    let (w, b) = (writes.clone(), base.clone());
    jira.route("GET", "/rest/api/2/issue/HSP-100", move |_| {
        let summary = w.lock().unwrap().created.clone().unwrap_or_default();
        Response::json(200, &issue_json(&b, 100, &summary))
    });
    let (w, b) = (writes.clone(), base.clone());
    jira.route("POST", "/rest/api/2/issue/HSP-1/attachments", move |r: &Recorded| {
        if r.header("X-Atlassian-Token") != Some("no-check") {
            return Response::json(403, &json!({"errorMessages": ["XSRF check failed"], "errors": {}}));
        }
        let (name, data) = multipart_file(r);
        let size = data.len();
        w.lock().unwrap().attachment = Some((name.clone(), data));
        Response::json(200, &json!([{
            "self": format!("{b}/rest/api/2/attachment/30000"),
            "id": "30000", "filename": name, "size": size, "mimeType": "application/octet-stream",
            "content": format!("{b}/secure/attachment/30000/{name}")
        }]))
    });
    let w = writes.clone();
    jira.route("GET", "/secure/attachment/30000/data.bin", move |_| {
        let data = w
            .lock()
            .unwrap()
            .attachment
            .clone()
            .map(|a| a.1)
            .unwrap_or_default();
        Response::with_body(200, "application/octet-stream", data)
    });
}

/// The one file part of a multipart/form-data body: its name and bytes.
fn multipart_file(r: &Recorded) -> (String, Vec<u8>) {
    let ct = r.header("Content-Type").unwrap_or_default();
    let boundary = format!(
        "--{}",
        ct.split("boundary=")
            .nth(1)
            .unwrap_or_default()
            .trim_matches('"')
    );
    let body = &r.body;
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    };
    let start = find(body, boundary.as_bytes(), 0).unwrap();
    let head_end = find(body, b"\r\n\r\n", start).unwrap();
    let head = String::from_utf8_lossy(&body[start..head_end]).into_owned();
    let name = head
        .split("filename=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_string();
    let end = find(body, format!("\r\n{boundary}").as_bytes(), head_end).unwrap();
    (name, body[head_end + 4..end].to_vec())
}

fn run_python(python: &str, tls: bool) {
    let mut opts = Options::default_with_test_consumer();
    opts.tls = tls;
    let jira = MockJira::start(opts);
    jira.set_counts(support::mock_jira::Counts {
        issues: ISSUES,
        ..Default::default()
    });
    let (token, _) = jira.issue_access_token("hardcoded-consumer");
    add_routes(&jira);
    let mut cmd = command(&token);
    cmd.args(["proxy", &jira.base_url(), "--listen", "0"]);
    if let Some(ca) = jira.ca_pem_path() {
        cmd.arg("--cacert").arg(ca);
    }
    let proxy = Proxy::spawn(cmd);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/python_jira.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .env("PROXY_URL", &proxy.url)
        .env("PROXY_TOKEN", TOKEN)
        .env("ISSUE_COUNT", ISSUES.to_string())
        .output()
        .unwrap();
    let (code, log) = proxy.stop();
    assert!(
        out.status.success(),
        "python-jira failed:\n{}\n{}\nproxy log:\n{log}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(code, 0);
    let reqs = jira.requests();
    assert!(reqs.len() >= 10, "{} requests", reqs.len());
    for r in &reqs {
        assert_eq!(r.outcome, Outcome::Ok, "{} {}", r.method, r.target);
        assert!(r
            .header("Authorization")
            .is_some_and(|a| a.starts_with("OAuth ")));
    }
    // Several pages of the search, all signed.
    let pages = reqs
        .iter()
        .filter(|r| r.path.ends_with("/rest/api/2/search"))
        .count();
    assert!(pages >= 3, "{pages} search pages");
    assert!(!log.contains(TOKEN) && !log.contains(&token));
}

/// The Python to run: without one, these tests are ignored (reported as
/// such by cargo), never passed without running.
fn python() -> String {
    std::env::var("JIRA_OAUTH_PYTHON").expect(
        "JIRA_OAUTH_PYTHON names a Python with python-jira: run tests/interop/python_jira.sh",
    )
}

#[test]
#[ignore = "needs python-jira: tests/interop/python_jira.sh runs it"]
fn python_jira_through_the_proxy_over_http() {
    run_python(&python(), false);
}

#[test]
#[ignore = "needs python-jira: tests/interop/python_jira.sh runs it"]
fn python_jira_through_the_proxy_over_https() {
    run_python(&python(), true);
}
