//! `sign` through the real binary, against the published vectors.

use assert_cmd::Command;
use serde_json::Value;

fn vector(name: &str) -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/published_vectors.json"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap()
        .clone()
}

fn jira_oauth() -> Command {
    let mut cmd = Command::cargo_bin("jira-oauth").unwrap();
    cmd.env_clear().env("HOME", "/nonexistent");
    cmd
}

#[test]
fn published_rsa_sha1_vector_through_the_binary() {
    let v = vector("oauth-core-1.0-testcases-rsa-sha1");
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    std::fs::write(&key, v["private_key_pem"].as_str().unwrap()).unwrap();
    let url = format!(
        "{}?file=vacaction.jpg&size=original",
        v["url"].as_str().unwrap()
    );
    let run = |extra: &[&str]| {
        let out = jira_oauth()
            .args(["sign", "GET", &url, "--consumer-key", "dpf43f3p2l4k3l03"])
            .args([
                "--timestamp",
                "1196666512",
                "--nonce",
                "13917289812797014437",
            ])
            .arg("--private-key")
            .arg(&key)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        run(&["--base-string"]).trim_end(),
        v["base_string"].as_str().unwrap()
    );
    let header = run(&[]);
    let sig = percent_encoding::utf8_percent_encode(
        v["signature"].as_str().unwrap(),
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    assert!(
        header.starts_with("OAuth oauth_consumer_key=\"dpf43f3p2l4k3l03\", "),
        "{header}"
    );
    assert!(
        header.contains(&format!("oauth_signature=\"{sig}\"")),
        "{header}"
    );
    let curl = run(&["--curl"]);
    assert!(curl.starts_with("curl -H 'Authorization: OAuth "), "{curl}");
    // The URL last, then a shell comment saying the nonce is one-time.
    assert!(curl.contains(&format!(" '{url}' # one-time")), "{curl}");
}

#[test]
fn rfc5849_hmac_vector_through_the_binary() {
    let v = vector("rfc5849-3.4.1.1-example");
    let out = jira_oauth()
        .args(["sign", "POST", v["url"].as_str().unwrap()])
        .args(["--data", v["body"].as_str().unwrap()])
        .args(["--content-type", "application/x-www-form-urlencoded"])
        .args([
            "--consumer-key",
            "9djdj82h48djs9d2",
            "--token",
            "kkk9d7dh3k39sjv7",
        ])
        .args(["--timestamp", "137131201", "--nonce", "7d8f3e4a"])
        .args(["--signature-method", "HMAC-SHA1"])
        .args([
            "--consumer-secret",
            v["hmac_client_secret"].as_str().unwrap(),
        ])
        .args(["--token-secret", v["hmac_token_secret"].as_str().unwrap()])
        .arg("--base-string")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Our protocol parameters carry oauth_version=1.0, the RFC's example does
    // not: everything else must be identical.
    let ours = String::from_utf8(out.stdout).unwrap();
    let expected = v["base_string"].as_str().unwrap().replace(
        "%26oauth_token%3Dkkk9d7dh3k39sjv7",
        "%26oauth_token%3Dkkk9d7dh3k39sjv7%26oauth_version%3D1.0",
    );
    assert_eq!(ours.trim_end(), expected);
}

#[test]
fn plaintext_over_http_is_refused() {
    jira_oauth()
        .args([
            "sign",
            "GET",
            "http://h/x",
            "--signature-method",
            "PLAINTEXT",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("PLAINTEXT"));
}

/// `--data` is JSON unless `--content-type` says otherwise, as `request -d`
/// is; a form's fields are signed on POST only, as JIRA reads them.
#[test]
fn data_defaults_to_json_and_forms_are_signed_on_post_only() {
    let base_string = |method: &str, extra: &[&str]| {
        let out = jira_oauth()
            .args([
                "sign",
                method,
                "https://h/x",
                "--signature-method",
                "PLAINTEXT",
            ])
            .args(["--timestamp", "1", "--nonce", "n", "--base-string"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let none = base_string("POST", &[]);
    assert_eq!(base_string("POST", &["--data", r#"{"a":1}"#]), none);
    assert_eq!(base_string("POST", &["--data", "a=1"]), none);
    let form = [
        "--data",
        "a=1",
        "--content-type",
        "application/x-www-form-urlencoded",
    ];
    assert!(base_string("POST", &form).contains("&a%3D1%26oauth_consumer_key"));
    for method in ["PUT", "PATCH", "DELETE"] {
        assert_eq!(
            base_string(method, &form),
            base_string(method, &[]),
            "{method}"
        );
    }
}

/// `sign` run with the HMAC test secrets, fixed nonce and timestamp.
fn sign_out(args: &[&str]) -> std::process::Output {
    jira_oauth()
        .args([
            "--signature-method",
            "HMAC-SHA1",
            "--consumer-secret",
            "cs",
            "sign",
            "--timestamp",
            "1",
            "--nonce",
            "n",
        ])
        .args(args)
        .output()
        .unwrap()
}

fn stdout_of(args: &[&str]) -> String {
    let out = sign_out(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn sign_takes_x_d_h_as_request_does() {
    const URL: &str = "https://h/rest/api/2/issue/HSP-1/comment";
    const FORM: &str = "Content-Type: application/x-www-form-urlencoded";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body");
    std::fs::write(&file, "a=1&b=x+y").unwrap();
    let at_file = format!("@{}", file.display());
    let t = ["--token", "t", "--base-string"];
    // -X and -d @FILE and -H, as request takes them...
    let curl_style =
        stdout_of(&[&["-X", "POST", "-d", &at_file, "-H", FORM, URL], &t[..]].concat());
    // ...sign the same as the method as an argument, the body as it is,
    // and --content-type.
    let long_style = stdout_of(
        &[
            &["POST", URL, "--data-raw", "a=1&b=x+y"],
            &["--content-type", "application/x-www-form-urlencoded"][..],
            &t[..],
        ]
        .concat(),
    );
    assert_eq!(curl_style, long_style);
    assert!(curl_style.contains("a%3D1%26b%3Dx%2520y"), "{curl_style}");
    // A body alone means POST, as in curl and request.
    let implied = stdout_of(&[&["-d", &at_file, "-H", FORM, URL], &t[..]].concat());
    assert_eq!(implied, curl_style);
    // --data-raw keeps a leading @.
    let raw = stdout_of(&[&["--data-raw", "@x=1", "-H", FORM, URL], &t[..]].concat());
    assert!(raw.contains("%2540x%3D1"), "{raw}");
    // Two different methods are refused.
    let out = sign_out(&["PUT", URL, "-X", "POST"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("two methods given"));
}

#[test]
fn sign_without_a_token_warns_for_a_rest_url() {
    let out = sign_out(&["GET", "https://h/rest/api/2/myself"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: no access token"), "{err}");
    assert!(err.contains("parameter_absent"), "{err}");
    // With a token, or for the request-token call, nothing to warn of.
    let out = sign_out(&["GET", "https://h/rest/api/2/myself", "--token", "t"]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sign_out(&["POST", "https://h/jira/plugins/servlet/oauth/request-token"]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
