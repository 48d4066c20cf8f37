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
    assert!(curl.trim_end().ends_with(&format!("'{url}'")), "{curl}");
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
