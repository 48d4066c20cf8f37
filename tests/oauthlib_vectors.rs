//! Vectors computed by Python's oauthlib (`tests/data/oauthlib_vectors.json`,
//! made by `tests/vectors/generate.py`): our base string, normalized
//! parameters and signature must match oauthlib's to the byte.

use jira_oauth::oauth::{self, Protocol};
use jira_oauth::rsa_backend::RsaKey;
use jira_oauth::signature::{self, SignatureMethod, Signer};
use rsa::pkcs8::DecodePrivateKey;
use serde_json::Value;
use url::Url;

const FORM: &str = "application/x-www-form-urlencoded";

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/oauthlib_vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn opt(v: &Value, key: &str) -> Option<String> {
    v[key].as_str().map(str::to_string)
}

fn field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no {key}", v["name"]))
}

fn signer(v: &Value, key: &RsaKey) -> Signer {
    let method: SignatureMethod = field(v, "signature_method").parse().unwrap();
    // oauthlib treats a missing secret as empty.
    let cs = opt(v, "consumer_secret").unwrap_or_default();
    Signer::new(method, || Ok::<_, ()>(key.clone()), &cs).unwrap()
}

fn protocol(v: &Value) -> Protocol {
    Protocol {
        consumer_key: field(v, "consumer_key").to_string(),
        token: opt(v, "token"),
        token_secret: opt(v, "token_secret").unwrap_or_default(),
        callback: opt(v, "callback"),
        verifier: opt(v, "verifier"),
        timestamp: v["timestamp"].as_u64().unwrap(),
        nonce: field(v, "nonce").to_string(),
    }
}

/// Compares one vector; returns a description of every difference.
fn check(v: &Value, key: &RsaKey) -> Vec<String> {
    let name = field(v, "name");
    let method = field(v, "method");
    let url = Url::parse(field(v, "url")).unwrap();
    // Only a form body is signed (RFC 5849 §3.4.1.3.1); JSON is not.
    let form_body = match v["content_type"].as_str() {
        Some(FORM) => Some(field(v, "body").as_bytes()),
        _ => None,
    };
    let signer = signer(v, key);
    let protocol = protocol(v);
    let signed = oauth::sign(method, &url, form_body, &protocol, &signer);
    let params = protocol.params(signer.method());
    let collected = signature::collect_parameters(url.query(), form_body, &params);

    let ours = [
        (
            "normalized_params",
            signature::normalize_parameters(&collected),
        ),
        ("base_string_uri", signature::base_string_uri(&url)),
        ("base_string", signed.base_string.clone()),
        (
            "base_string",
            signature::base_string_for(method, &url, form_body, &params),
        ),
        ("signature", signed.signature().to_string()),
    ];
    ours.into_iter()
        .filter(|(k, got)| got != field(v, k))
        .map(|(k, got)| {
            format!(
                "{name}: {k}\n  oauthlib: {}\n  ours:     {got}",
                field(v, k)
            )
        })
        .collect()
}

#[test]
fn matches_oauthlib_on_every_vector() {
    let doc = fixture();
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 100, "only {} vectors", vectors.len());
    let rsa_sha1 = vectors
        .iter()
        .filter(|v| v["signature_method"] == "RSA-SHA1")
        .count();
    assert!(rsa_sha1 >= 100, "only {rsa_sha1} RSA-SHA1 vectors");

    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/consumer.pem"
    ))
    .unwrap();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).unwrap();

    let key = RsaKey::new(key);
    let failures: Vec<String> = vectors.iter().flat_map(|v| check(v, &key)).collect();
    assert!(
        failures.is_empty(),
        "{} differences from oauthlib {}:\n{}",
        failures.len(),
        doc["oauthlib_version"],
        failures.join("\n")
    );
}

#[test]
fn covers_every_method_we_share_with_oauthlib() {
    let doc = fixture();
    for m in SignatureMethod::ALL {
        assert!(
            doc["vectors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["signature_method"] == m.name()),
            "no {m} vector"
        );
    }
}

/// The `sort` vectors pin RFC 5849 §3.4.1.3.2's order (the encoded pairs,
/// by name then by value): each orders its parameters differently from a
/// sort of the decoded pairs, and some from a sort of the joined
/// `name=value` strings, so neither mistake can match oauthlib.
#[test]
fn sort_vectors_tell_the_encoded_order_from_near_misses() {
    let doc = fixture();
    let sort: Vec<&Value> = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["category"] == "sort")
        .collect();
    assert!(sort.len() >= 15, "only {} sort vectors", sort.len());
    let encode = |(k, v): &(String, String)| {
        format!(
            "{}={}",
            signature::percent_encode(k),
            signature::percent_encode(v)
        )
    };
    let mut joined_differs = 0;
    for v in &sort {
        let url = Url::parse(field(v, "url")).unwrap();
        let form_body = match v["content_type"].as_str() {
            Some(FORM) => Some(field(v, "body").as_bytes()),
            _ => None,
        };
        let method: SignatureMethod = field(v, "signature_method").parse().unwrap();
        let params = protocol(v).params(method);
        let mut decoded = signature::collect_parameters(url.query(), form_body, &params);
        decoded.sort();
        let decoded: Vec<String> = decoded.iter().map(encode).collect();
        let mut joined = decoded.clone();
        joined.sort();
        let want = field(v, "normalized_params");
        assert_ne!(decoded.join("&"), want, "{}", v["name"]);
        joined_differs += usize::from(joined.join("&") != want);
    }
    assert!(joined_differs >= 4, "{joined_differs}");
}
