//! `jira-oauth proxy` through the real binary, with curl as the client,
//! against the test provider, which checks every signature it receives.

mod support;

use serde_json::Value;
use support::mock_jira::{MockJira, Options, Outcome, Response};
use support::proxy::{command, curl, curl_status, split_head, status_with_token, Proxy, TOKEN};

fn start_jira(context: &str) -> (MockJira, String) {
    let mut opts = Options::default_with_test_consumer();
    opts.context_path = context.to_string();
    let jira = MockJira::start(opts);
    let (token, _) = jira.issue_access_token("hardcoded-consumer");
    (jira, token)
}

fn body(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn all_signed(jira: &MockJira) {
    let reqs = jira.requests();
    assert!(!reqs.is_empty());
    for r in reqs {
        assert_eq!(
            r.outcome,
            Outcome::Ok,
            "{} {}: {:?}",
            r.method,
            r.target,
            r.problem()
        );
    }
}

#[test]
fn get_is_signed_and_identical_to_a_direct_request() {
    let (jira, token) = start_jira("");
    let proxy = Proxy::start(&token, &jira.base_url(), &["--no-rewrite-links"]);
    let through = proxy.curl(&[&format!("{}/rest/api/2/myself", proxy.url)]);
    let direct = command(&token)
        .args(["request", &format!("{}/rest/api/2/myself", jira.base_url())])
        .output()
        .unwrap();
    assert!(direct.status.success());
    assert_eq!(body(&through).as_bytes(), direct.stdout.as_slice());
    all_signed(&jira);
    let (code, log) = proxy.stop();
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("GET /rest/api/2/myself 200 "), "{log}");
    assert!(!log.contains(TOKEN) && !log.contains(&token), "{log}");
}

#[test]
fn links_in_json_and_location_point_to_the_proxy() {
    let (jira, token) = start_jira("/jira");
    jira.redirect(
        "/rest/moved",
        302,
        &format!("{}/rest/api/2/myself", jira.base_url()),
    );
    jira.redirect("/rest/moved-relative", 302, "/jira/rest/api/2/myself");
    let proxy = Proxy::start(&token, &jira.base_url(), &[]);
    let me = body(&proxy.curl(&[&format!("{}/rest/api/2/myself", proxy.url)]));
    let v: Value = serde_json::from_str(&me).unwrap();
    assert_eq!(
        v["self"],
        format!("{}/rest/api/2/user?username=admin", proxy.url)
    );
    assert!(!me.contains(&jira.base_url()), "{me}");
    // Follows the self link back through the proxy: context path kept.
    let issue = body(&proxy.curl(&[&format!("{}/rest/api/2/issue/HSP-1", proxy.url)]));
    let v: Value = serde_json::from_str(&issue).unwrap();
    let again = body(&proxy.curl(&[v["self"].as_str().unwrap()]));
    assert_eq!(again, issue);
    for path in ["/rest/moved", "/rest/moved-relative"] {
        let out = proxy.curl(&["-i", &format!("{}{path}", proxy.url)]);
        let (head, _) = split_head(&out.stdout);
        let want = format!("location: {}/rest/api/2/myself", proxy.url);
        assert!(head.to_ascii_lowercase().contains(&want), "{head}");
    }
    all_signed(&jira);
}

#[test]
fn methods_bodies_and_jql() {
    let (jira, token) = start_jira("");
    jira.set_jql(true);
    let proxy = Proxy::start(&token, &jira.base_url(), &[]);
    let echo = format!("{}/rest/echo", proxy.url);
    let json = |out: std::process::Output| -> Value { serde_json::from_str(&body(&out)).unwrap() };

    let v = json(proxy.curl(&[
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"a":1}"#,
        &echo,
    ]));
    assert_eq!(
        (v["method"].as_str(), v["body"].as_str()),
        (Some("POST"), Some(r#"{"a":1}"#))
    );
    // A form body is signed (the provider checks its fields are in the base string).
    let v = json(proxy.curl(&["-d", "name=a b&x=%2B1", &echo]));
    assert_eq!(v["body"], "name=a b&x=%2B1");
    let last = jira.last_request().unwrap();
    assert!(
        last.base_string.contains("name%3Da%2520b"),
        "{}",
        last.base_string
    );
    assert_eq!(last.header("X-Atlassian-Token"), Some("no-check"));
    let v = json(proxy.curl(&[
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/json",
        "-d",
        "{}",
        &echo,
    ]));
    assert_eq!(v["method"], "PUT");
    let v = json(proxy.curl(&["-X", "DELETE", &echo]));
    assert_eq!(v["method"], "DELETE");
    let head = proxy.curl(&["-I", &format!("{}/rest/api/2/myself", proxy.url)]);
    assert!(body(&head).starts_with("HTTP/1.1 200"));
    // JQL typed with spaces and quotes.
    let v = json(proxy.curl(&[
        "-G",
        "--data-urlencode",
        r#"jql=project = "HSP" AND summary ~ "issue" ORDER BY key DESC"#,
        &format!("{}/rest/api/2/search", proxy.url),
    ]));
    assert!(v["total"].as_u64().unwrap() > 0, "{v}");
    // Multipart gets JIRA's XSRF opt-out and streams through.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), b"attached bytes").unwrap();
    let form = format!("file=@{}", file.path().display());
    let v = json(proxy.curl(&["-F", &form, &echo]));
    assert!(v["body"].as_str().unwrap().contains("attached bytes"));
    assert_eq!(
        jira.last_request().unwrap().header("X-Atlassian-Token"),
        Some("no-check")
    );
    all_signed(&jira);
    // Every answer went out whole, HEAD's too.
    let (code, log) = proxy.stop();
    assert_eq!(code, 0);
    assert!(!log.contains("broken off"), "{log}");
    assert!(log.contains(" HEAD /rest/api/2/myself 200 "), "{log}");
}

#[test]
fn headers_that_never_reach_jira() {
    let (jira, token) = start_jira("");
    jira.route_open("GET", "/rest/cookie", |_| {
        Response::json(200, &serde_json::json!({})).header("Set-Cookie", "JSESSIONID=abc")
    });
    let proxy = Proxy::start(&token, &jira.base_url(), &[]);
    let out = proxy.curl(&[
        "-i",
        "-H",
        "Cookie: JSESSIONID=stolen",
        "-H",
        "Proxy-Authorization: Basic eDp5",
        "-H",
        "Connection: keep-alive, X-Private",
        "-H",
        "X-Private: 1",
        "-H",
        "Keep-Alive: timeout=5",
        "-H",
        "X-Kept: yes",
        &format!("{}/rest/api/2/myself", proxy.url),
    ]);
    assert!(out.status.success());
    let r = jira.last_request().unwrap();
    for gone in ["Cookie", "Proxy-Authorization", "X-Private", "Keep-Alive"] {
        assert_eq!(r.header(gone), None, "{gone} reached JIRA: {:?}", r.headers);
    }
    assert_eq!(r.header("X-Kept"), Some("yes"));
    assert!(r.header("Authorization").unwrap().starts_with("OAuth "));
    assert!(!r.header("Authorization").unwrap().contains(TOKEN));
    assert_eq!(
        r.header("Host"),
        Some(format!("127.0.0.1:{}", jira.port()).as_str())
    );
    let out = proxy.curl(&["-i", &format!("{}/rest/cookie", proxy.url)]);
    let (head, _) = split_head(&out.stdout);
    assert!(!head.to_ascii_lowercase().contains("set-cookie"), "{head}");
}

#[test]
fn the_gate() {
    let (jira, token) = start_jira("");
    let proxy = Proxy::start(&token, &jira.base_url(), &[]);
    let url = format!("{}/rest/api/2/myself", proxy.url);
    let status = |args: &[&str]| curl_status(&[args, &[url.as_str()]].concat());
    let bearer = format!("Authorization: Bearer {TOKEN}");
    let lower = format!("Authorization: bearer {TOKEN}");
    let basic = format!("anyone:{TOKEN}");
    let empty_user = format!(":{TOKEN}");
    assert_eq!(status(&["-H", &bearer]), "200");
    assert_eq!(status(&["-H", &lower]), "200");
    assert_eq!(status(&["-u", &basic]), "200");
    assert_eq!(status(&["-u", &empty_user]), "200");
    jira.clear_requests();
    assert_eq!(status(&[]), "401");
    assert_eq!(status(&["-H", "Authorization: Bearer wrong"]), "401");
    assert_eq!(status(&["-u", "anyone:wrong"]), "401");
    assert_eq!(status(&["-u", &format!("{TOKEN}:")]), "401");
    assert!(jira.requests().is_empty(), "a refused request reached JIRA");
    let out = curl(&["-si", &url]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("WWW-Authenticate: Bearer realm=\"jira-oauth proxy\"")
            || text
                .to_ascii_lowercase()
                .contains("www-authenticate: bearer realm=\"jira-oauth proxy\""),
        "{text}"
    );
    let (head, b) = split_head(&out.stdout);
    let length = format!("content-length: {}", b.len());
    assert!(head.to_ascii_lowercase().contains(&length), "{head}");
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert!(v["errorMessages"][0]
        .as_str()
        .unwrap()
        .starts_with("jira-oauth proxy: "));
    // Another origin (before the gate) and CONNECT.
    assert_eq!(
        curl_status(&["-x", &proxy.url, "http://example.invalid/rest/api/2/myself",]),
        "403"
    );
    assert_eq!(curl_status(&["-X", "CONNECT", &url,]), "405");
    assert_eq!(
        curl_status(&["-H", &bearer, "-x", &proxy.url, &url,]),
        "200"
    );
    let (code, log) = proxy.stop();
    assert_eq!(code, 0);
    assert!(!log.contains(TOKEN), "{log}");
    // The proxy's own answers were sent whole.
    for status in [" 401 ", " 403 ", " 405 "] {
        let line = log.lines().find(|l| l.contains(status)).unwrap();
        assert!(line.ends_with(" ms"), "{line}");
    }
}

#[test]
fn token_file_generated_token_and_no_auth() {
    use std::os::unix::fs::PermissionsExt;
    let (jira, token) = start_jira("");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("proxy-token");
    let mut cmd = command(&token);
    cmd.env_remove("JIRA_OAUTH_PROXY_TOKEN")
        .args([
            "proxy",
            &jira.base_url(),
            "--listen",
            "0",
            "--proxy-token-file",
        ])
        .arg(&file);
    let proxy = Proxy::spawn(cmd);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let saved = std::fs::read_to_string(&file).unwrap().trim().to_string();
    assert!(saved.len() >= 32);
    let url = format!("{}/rest/api/2/myself", proxy.url);
    assert_eq!(
        curl_status(&["-H", &format!("Authorization: Bearer {saved}"), &url,]),
        "200"
    );
    let (_, log) = proxy.stop();
    assert!(!log.contains(&saved), "the file's token was printed: {log}");

    // Generated: printed once.
    let mut cmd = command(&token);
    cmd.env_remove("JIRA_OAUTH_PROXY_TOKEN")
        .args(["proxy", &jira.base_url(), "--listen", "0"]);
    let proxy = Proxy::spawn(cmd);
    let log = proxy.log();
    let shown = log
        .lines()
        .find_map(|l| l.strip_prefix("Proxy token (shown once): "))
        .unwrap()
        .to_string();
    assert!(shown.len() >= 32);
    assert_eq!(
        curl_status(&[
            "-H",
            &format!("Authorization: Bearer {shown}"),
            &format!("{}/rest/api/2/myself", proxy.url),
        ]),
        "200"
    );
    let (_, log) = proxy.stop();
    assert_eq!(log.matches(&shown).count(), 1, "{log}");

    // No gate, with a warning; refused beside --allow-remote.
    let proxy = Proxy::start(&token, &jira.base_url(), &["--no-proxy-auth"]);
    assert!(proxy.log().contains("warning: --no-proxy-auth"));
    assert_eq!(
        curl_status(&[&format!("{}/rest/api/2/myself", proxy.url),]),
        "200"
    );
    drop(proxy);
    for args in [
        vec!["--no-proxy-auth", "--allow-remote", "--listen", "0.0.0.0:0"],
        vec!["--listen", "0.0.0.0:0"],
    ] {
        let out = command(&token)
            .args(["proxy", &jira.base_url()])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn refusals_pass_through_verbose_shows_base_strings_big_forms_are_413() {
    let (jira, token) = start_jira("");
    let proxy = Proxy::start(&token, &jira.base_url(), &["-v"]);
    let url = format!("{}/rest/api/2/myself", proxy.url);
    body(&proxy.curl(&[&url]));
    jira.revoke_token(&token);
    let out = proxy.curl(&["-i", &url]);
    let (head, b) = split_head(&out.stdout);
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    assert!(head.contains("oauth_problem=\"token_revoked\""), "{head}");
    assert!(String::from_utf8_lossy(&b).contains("oauth_problem=token_revoked"));
    // A form body over 16 MiB: refused before anything goes to JIRA.
    jira.clear_requests();
    let big = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(big.path(), vec![b'a'; 16 * 1024 * 1024 + 1]).unwrap();
    let form = format!("@{}", big.path().display());
    let out = proxy.curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--data-binary",
        &form,
        "-H",
        "Content-Type: application/x-www-form-urlencoded",
        &format!("{}/rest/echo", proxy.url),
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "413");
    assert!(jira.requests().is_empty());
    let (code, log) = proxy.stop();
    assert_eq!(code, 0);
    assert!(log.contains("* signature base string: GET&"), "{log}");
    assert!(
        log.contains("token_revoked") && log.contains("hint: "),
        "{log}"
    );
    assert!(!log.contains(TOKEN), "{log}");
}

#[test]
fn a_personal_access_token_travels_as_the_bearer_to_jira() {
    let (jira, _) = start_jira("");
    jira.add_pat("pat-for-the-proxy-test");
    let mut cmd = command("unused");
    cmd.env_remove("JIRA_OAUTH_ACCESS_TOKEN")
        .env("JIRA_OAUTH_PAT", "pat-for-the-proxy-test")
        .args(["proxy", &jira.base_url(), "--listen", "0"]);
    let proxy = Proxy::spawn(cmd);
    let me = body(&proxy.curl(&[&format!("{}/rest/api/2/myself", proxy.url)]));
    assert!(me.contains("\"name\":\"admin\""), "{me}");
    let r = jira.last_request().unwrap();
    assert_eq!(
        r.header("Authorization"),
        Some("Bearer pat-for-the-proxy-test")
    );
    let (code, log) = proxy.stop();
    assert_eq!(code, 0);
    assert!(
        !log.contains("pat-for-the-proxy-test") && !log.contains(TOKEN),
        "{log}"
    );
}

#[test]
fn listens_on_ipv6_loopback_and_localhost() {
    let (jira, token) = start_jira("");
    for listen in ["[::1]:0", "localhost:0"] {
        let mut cmd = command(&token);
        cmd.args(["proxy", &jira.base_url(), "--listen", listen]);
        let proxy = Proxy::spawn(cmd);
        let me = body(&proxy.curl(&[&format!("{}/rest/api/2/myself", proxy.url)]));
        assert!(me.contains("\"name\":\"admin\""), "{listen}: {me}");
        // The proxy's own URL in absolute form is served like a path.
        let absolute = format!("{}/rest/api/2/myself", proxy.url);
        let status = status_with_token(&["--request-target", &absolute, &absolute]);
        assert_eq!(status, "200", "{listen}");
        let (code, _) = proxy.stop();
        assert_eq!(code, 0);
    }
}
