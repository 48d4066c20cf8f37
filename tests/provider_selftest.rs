//! The test provider checked on its own: its base strings and verification
//! against published vectors, and its HTTP(S) behaviour over real sockets.

mod support;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer as _};
use rsa::RsaPrivateKey;
use serde_json::Value;
use support::mock_jira::{oauth, Consumer, MockJira, Options, Outcome, Source};

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/published_vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn vector(name: &str) -> Value {
    vectors()["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("vector {name}"))
        .clone()
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

#[test]
fn rsa_sha1_vector_base_string_and_signature() {
    let v = vector("oauth-core-1.0-testcases-rsa-sha1");
    let params = pairs(&v["params"]);
    let base = oauth::base_string(
        s(&v["method"]),
        &oauth::base_uri_of_url(s(&v["url"])),
        params.iter().map(|(n, v)| (n.as_str(), v.as_str())),
    );
    assert_eq!(base, s(&v["base_string"]));

    let key = oauth::parse_public_key(s(&v["public_key_pem"])).unwrap();
    let sig = s(&v["signature"]);
    assert!(oauth::verify_rsa_sha1(&key, &base, sig));

    let mut bytes = STANDARD.decode(sig).unwrap();
    bytes[17] ^= 0x04;
    assert!(!oauth::verify_rsa_sha1(
        &key,
        &base,
        &STANDARD.encode(&bytes)
    ));
    assert!(!oauth::verify_rsa_sha1(&key, &format!("{base}x"), sig));
    assert!(!oauth::verify_rsa_sha1(&key, &base, "not base64!"));
}

#[test]
fn rfc5849_vector_from_the_raw_request() {
    let v = vector("rfc5849-3.4.1.1-example");
    // Rebuild the parameters from the request as sent: query, form body, header.
    let http_request = s(&v["http_request"]);
    let auth = http_request
        .lines()
        .find_map(|l| l.strip_prefix("Authorization: "))
        .unwrap();
    let url = s(&v["url"]);
    let query = url.split_once('?').map(|(_, q)| q);
    let body = s(&v["body"]);
    let params = oauth::collect(
        s(&v["method"]),
        query,
        Some("application/x-www-form-urlencoded"),
        body.as_bytes(),
        Some(auth),
    );
    assert!(
        params.iter().all(|p| p.name != "realm"),
        "realm must not be signed"
    );

    let mut got: Vec<(String, String)> = params
        .iter()
        .filter(|p| p.name != "oauth_signature")
        .map(|p| (p.name.clone(), p.value.clone()))
        .collect();
    let mut want = pairs(&v["decoded_params"]);
    got.sort();
    want.sort();
    assert_eq!(got, want);

    let uri = oauth::base_uri_of_url(url);
    assert_eq!(uri, "http://example.com/request");
    let named = params.iter().map(|p| (p.name.as_str(), p.value.as_str()));
    assert_eq!(oauth::normalize(named.clone()), s(&v["normalized_params"]));
    let base = oauth::base_string(s(&v["method"]), &uri, named);
    assert_eq!(base, s(&v["base_string"]));

    let key = oauth::hmac_key(s(&v["hmac_client_secret"]), s(&v["hmac_token_secret"]));
    assert!(oauth::verify_hmac_sha1(
        &key,
        &base,
        s(&v["hmac_sha1_signature_errata_2550"])
    ));
    // The signature printed in the RFC's body is the wrong one (errata 2550).
    assert!(!oauth::verify_hmac_sha1(
        &key,
        &base,
        "bYT5CMsGcbgUdFHObYMEfcx6bsw="
    ));

    // A body that is not a form is not signed.
    let json_params = oauth::collect(
        "POST",
        query,
        Some("application/json"),
        body.as_bytes(),
        Some(auth),
    );
    assert!(json_params.iter().all(|p| p.source != Source::Body));
    // Nor is a form on PUT: Tomcat parses form bodies of POSTs only.
    let put_params = oauth::collect(
        "PUT",
        query,
        Some("application/x-www-form-urlencoded"),
        body.as_bytes(),
        Some(auth),
    );
    assert!(put_params.iter().all(|p| p.source != Source::Body));
}

#[test]
fn base_uri_rules() {
    assert_eq!(
        oauth::base_uri("HTTP", "Example.COM:80", "/a/B"),
        "http://example.com/a/B"
    );
    assert_eq!(
        oauth::base_uri("https", "example.com:443", "/"),
        "https://example.com/"
    );
    assert_eq!(
        oauth::base_uri("https", "example.com:80", "/x"),
        "https://example.com:80/x"
    );
    assert_eq!(
        oauth::base_uri("http", "127.0.0.1:8080", "/jira/rest"),
        "http://127.0.0.1:8080/jira/rest"
    );
    assert_eq!(oauth::encode("a b+~é*"), "a%20b%2B~%C3%A9%2A");
    assert_eq!(oauth::decode("a+b%2Bc%zz%", true), "a b+c%zz%");
    assert_eq!(oauth::decode("a+b", false), "a+b");
}

const ENC: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, ENC).to_string()
}

/// A minimal RSA-SHA1 client, written from the RFC for this self-test only.
struct Client {
    consumer_key: String,
    key: RsaPrivateKey,
}

impl Client {
    fn vector() -> Client {
        let v = vector("oauth-core-1.0-testcases-rsa-sha1");
        Client {
            consumer_key: s(&v["consumer_key"]).to_string(),
            key: RsaPrivateKey::from_pkcs8_pem(s(&v["private_key_pem"])).unwrap(),
        }
    }

    fn test_consumer() -> Client {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/consumer.pem");
        Client {
            consumer_key: "hardcoded-consumer".into(),
            key: RsaPrivateKey::from_pkcs8_pem(&std::fs::read_to_string(path).unwrap()).unwrap(),
        }
    }

    /// The oauth_* parameters, signature included, for a URL without query.
    fn oauth_params(
        &self,
        method: &str,
        url: &str,
        extra: &[(&str, &str)],
        timestamp: i64,
        nonce: &str,
    ) -> Vec<(String, String)> {
        let mut params: Vec<(String, String)> = vec![
            ("oauth_consumer_key".into(), self.consumer_key.clone()),
            ("oauth_nonce".into(), nonce.into()),
            ("oauth_signature_method".into(), "RSA-SHA1".into()),
            ("oauth_timestamp".into(), timestamp.to_string()),
            ("oauth_version".into(), "1.0".into()),
        ];
        params.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        let mut encoded: Vec<String> = params
            .iter()
            .map(|(n, v)| format!("{}={}", enc(n), enc(v)))
            .collect();
        encoded.sort();
        let base = format!("{method}&{}&{}", enc(url), enc(&encoded.join("&")));
        let sig = SigningKey::<sha1::Sha1>::new(self.key.clone()).sign(base.as_bytes());
        params.push(("oauth_signature".into(), STANDARD.encode(sig.to_bytes())));
        params
    }

    fn header(
        &self,
        method: &str,
        url: &str,
        extra: &[(&str, &str)],
        timestamp: i64,
        nonce: &str,
    ) -> String {
        let params = self.oauth_params(method, url, extra, timestamp, nonce);
        let fields: Vec<String> = params
            .iter()
            .map(|(n, v)| format!("{}=\"{}\"", enc(n), enc(v)))
            .collect();
        format!("OAuth realm=\"\", {}", fields.join(", "))
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn start(tls: bool, context_path: &str) -> MockJira {
    let v = vector("oauth-core-1.0-testcases-rsa-sha1");
    let mut opts = Options::default_with_test_consumer();
    opts.tls = tls;
    opts.context_path = context_path.into();
    opts.consumers.push(Consumer::rsa(
        s(&v["consumer_key"]),
        s(&v["public_key_pem"]),
    ));
    MockJira::start(opts)
}

fn http_client(jira: &MockJira) -> reqwest::blocking::Client {
    let mut b = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none());
    if let Some(pem) = jira.ca_pem() {
        b = b.add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap());
    }
    b.build().unwrap()
}

fn header<'a>(r: &'a reqwest::blocking::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

fn unsigned_myself_is_refused(tls: bool) {
    let jira = start(tls, "/jira");
    assert!(jira.base_url().ends_with("/jira"));
    let r = http_client(&jira)
        .get(format!("{}/rest/api/2/myself", jira.base_url()))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let www = header(&r, "WWW-Authenticate").to_string();
    assert!(www.starts_with("OAuth realm=\""), "{www}");
    assert!(www.contains("oauth_problem=\"parameter_absent\""), "{www}");
    assert_eq!(header(&r, "X-AUSERNAME"), "anonymous");
    assert!(!header(&r, "Date").is_empty());
    let body = r.text().unwrap();
    assert!(
        body.starts_with("oauth_problem=parameter_absent&"),
        "{body}"
    );
    assert_eq!(jira.requests()[0].outcome, Outcome::Unauthenticated);
}

#[test]
fn unsigned_myself_is_refused_http() {
    unsigned_myself_is_refused(false);
}

#[test]
fn unsigned_myself_is_refused_https() {
    unsigned_myself_is_refused(true);
}

fn keep_alive(tls: bool) {
    let jira = start(tls, "");
    let client = http_client(&jira);
    for _ in 0..3 {
        let r = client
            .get(format!("{}/rest/api/2/myself", jira.base_url()))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        r.text().unwrap();
    }
    assert_eq!(jira.connections(), 1);
    let reqs = jira.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs.iter().all(|r| r.connection == 1 && r.tls == tls));
}

#[test]
fn keep_alive_reuses_one_connection_http() {
    keep_alive(false);
}

#[test]
fn keep_alive_reuses_one_connection_https() {
    keep_alive(true);
}

fn signed_requests(tls: bool) {
    let jira = start(tls, "/jira");
    let client = http_client(&jira);
    let signer = Client::vector();
    let (token, _) = jira.issue_access_token(&signer.consumer_key);
    let url = format!("{}/rest/api/2/issue/HSP-1", jira.base_url());
    let extra = [("oauth_token", token.as_str())];

    let auth = signer.header("GET", &url, &extra, now(), "n-1");
    let r = client
        .get(&url)
        .header("Authorization", &auth)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{:?}", jira.last_request());
    assert_eq!(header(&r, "X-AUSERNAME"), "admin");
    let issue: Value = serde_json::from_str(&r.text().unwrap()).unwrap();
    assert_eq!(issue["key"], "HSP-1");
    assert!(!issue["fields"]["summary"].as_str().unwrap().is_ascii());

    // The same request again: its nonce is spent.
    let r = client
        .get(&url)
        .header("Authorization", &auth)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(header(&r, "WWW-Authenticate").contains("oauth_problem=\"nonce_used\""));

    // Ten minutes off: 400 with the acceptable window.
    let auth = signer.header("GET", &url, &extra, now() - 600, "n-2");
    let r = client
        .get(&url)
        .header("Authorization", &auth)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body = r.text().unwrap();
    assert!(
        body.starts_with("oauth_problem=timestamp_refused&oauth_acceptable_timestamps="),
        "{body}"
    );

    // A signature over another URL: 401 with the server's base string.
    let auth = signer.header("GET", &format!("{url}x"), &extra, now(), "n-3");
    let r = client
        .get(&url)
        .header("Authorization", &auth)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let body = oauth::parse_form(&r.text().unwrap());
    let base = &body
        .iter()
        .find(|(n, _)| n == "oauth_signature_base_string")
        .unwrap()
        .1;
    assert_eq!(base, &jira.last_request().unwrap().base_string);
    assert!(base.starts_with(&format!("GET&{}", enc(&url))), "{base}");

    // The oauth_* parameters in the query instead of the header.
    let params = signer.oauth_params("GET", &url, &extra, now(), "n-4");
    let r = client.get(&url).query(&params).send().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        jira.last_request().unwrap().oauth_source(),
        Some(Source::Query)
    );

    // Unknown issue.
    let url = format!("{}/rest/api/2/issue/HSP-9", jira.base_url());
    let auth = signer.header("GET", &url, &extra, now(), "n-5");
    let r = client
        .get(&url)
        .header("Authorization", &auth)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(
        serde_json::from_str::<Value>(&r.text().unwrap()).unwrap()["errorMessages"][0],
        "Issue Does Not Exist"
    );
}

#[test]
fn signed_requests_http() {
    signed_requests(false);
}

#[test]
fn signed_requests_https() {
    signed_requests(true);
}

#[test]
fn timestamps_at_the_ends_of_i64_are_refused() {
    let jira = start(false, "");
    let client = http_client(&jira);
    let signer = Client::vector();
    let (token, _) = jira.issue_access_token(&signer.consumer_key);
    let url = format!("{}/rest/api/2/myself", jira.base_url());
    for (i, ts) in [i64::MIN, i64::MAX].into_iter().enumerate() {
        let auth = signer.header(
            "GET",
            &url,
            &[("oauth_token", &token)],
            ts,
            &format!("n-{i}"),
        );
        let r = client
            .get(&url)
            .header("Authorization", &auth)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{ts}");
        assert!(
            header(&r, "WWW-Authenticate").contains("oauth_problem=\"timestamp_refused\""),
            "{ts}"
        );
    }
}

#[test]
fn the_dance_with_a_callback_and_form_bodies() {
    let jira = start(false, "/jira");
    let client = http_client(&jira);
    let signer = Client::test_consumer();
    let base = jira.base_url();

    // Request token, parameters in a form body.
    let url = format!("{base}/plugins/servlet/oauth/request-token");
    let cb = "http://127.0.0.1:9/cb?x=1";
    let params = signer.oauth_params("POST", &url, &[("oauth_callback", cb)], now(), "d-1");
    let r = client.post(&url).form(&params).send().unwrap();
    assert_eq!(r.status().as_u16(), 200, "{:?}", jira.last_request());
    let reply = oauth::parse_form(&r.text().unwrap());
    assert_eq!(reply.len(), 3);
    assert_eq!(reply[2], ("oauth_callback_confirmed".into(), "true".into()));
    let (token, _secret) = (reply[0].1.clone(), reply[1].1.clone());
    assert_eq!(
        jira.last_request().unwrap().oauth_source(),
        Some(Source::Body)
    );

    // Not approved yet.
    let url = format!("{base}/plugins/servlet/oauth/access-token");
    let extra = [("oauth_token", token.as_str()), ("oauth_verifier", "nope")];
    let auth = signer.header("POST", &url, &extra, now(), "d-2");
    let r = client
        .post(&url)
        .header("Authorization", auth)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(
        jira.last_request().unwrap().problem(),
        Some("permission_unknown")
    );

    // The user clicks Allow: a redirect to the callback with the verifier.
    let page = client
        .get(jira.authorize_url(&token))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("Allow"));
    let r = client
        .get(format!("{}&approve=true", jira.authorize_url(&token)))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let loc = header(&r, "Location").to_string();
    assert!(
        loc.starts_with("http://127.0.0.1:9/cb?x=1&oauth_token="),
        "{loc}"
    );
    let verifier = loc.rsplit_once("oauth_verifier=").unwrap().1.to_string();

    // A wrong verifier, then the right one; then the token is spent.
    let auth = signer.header("POST", &url, &extra, now(), "d-3");
    let r = client
        .post(&url)
        .header("Authorization", auth)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(
        jira.last_request().unwrap().problem(),
        Some("token_rejected")
    );
    let extra = [
        ("oauth_token", token.as_str()),
        ("oauth_verifier", verifier.as_str()),
    ];
    let auth = signer.header("POST", &url, &extra, now(), "d-4");
    let r = client
        .post(&url)
        .header("Authorization", &auth)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{:?}", jira.last_request());
    let reply = oauth::parse_form(&r.text().unwrap());
    let names: Vec<&str> = reply.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "oauth_token",
            "oauth_token_secret",
            "oauth_expires_in",
            "oauth_session_handle",
            "oauth_authorization_expires_in"
        ]
    );
    let access = reply[0].1.clone();
    let auth = signer.header("POST", &url, &extra, now(), "d-5");
    let r = client
        .post(&url)
        .header("Authorization", auth)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // The access token works for REST.
    let url = format!("{base}/rest/api/2/myself");
    let auth = signer.header("GET", &url, &[("oauth_token", &access)], now(), "d-6");
    let r = client
        .get(&url)
        .header("Authorization", auth)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        serde_json::from_str::<Value>(&r.text().unwrap()).unwrap()["displayName"],
        "Administrator"
    );
}

#[test]
fn oob_tokens_expire_and_modes_apply() {
    let jira = start(false, "");
    let client = http_client(&jira);
    let signer = Client::test_consumer();
    let base = jira.base_url();
    let url = format!("{base}/plugins/servlet/oauth/request-token");
    let auth = signer.header("POST", &url, &[("oauth_callback", "oob")], now(), "m-1");
    let r = client
        .post(&url)
        .header("Authorization", auth)
        .send()
        .unwrap();
    let reply = oauth::parse_form(&r.text().unwrap());
    assert_eq!(reply.len(), 2, "no oauth_callback_confirmed for oob");
    let token = reply[0].1.clone();
    let verifier = jira.approve(&token);

    // Eleven minutes later the request token is gone.
    jira.age_tokens(660);
    let url = format!("{base}/plugins/servlet/oauth/access-token");
    let extra = [
        ("oauth_token", token.as_str()),
        ("oauth_verifier", verifier.as_str()),
    ];
    let auth = signer.header("POST", &url, &extra, now(), "m-2");
    let r = client
        .post(&url)
        .header("Authorization", auth)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(
        jira.last_request().unwrap().problem(),
        Some("token_expired")
    );

    // CAPTCHA.
    let myself = format!("{base}/rest/api/2/myself");
    jira.set_captcha(true);
    let r = client.get(&myself).send().unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(header(&r, "X-Seraph-LoginReason"), "AUTHENTICATION_DENIED");
    assert_eq!(
        header(&r, "X-Authentication-Denied-Reason"),
        format!("CAPTCHA_CHALLENGE; login-url={base}/login.jsp")
    );
    jira.set_captcha(false);

    // Anonymous: 200 whatever the signature.
    jira.set_anonymous(true);
    let r = client.get(&myself).send().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(&r, "X-AUSERNAME"), "anonymous");
    jira.set_anonymous(false);

    // A forced problem, once.
    jira.force_problem("consumer_key_refused");
    let r = client.get(&myself).send().unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert!(header(&r, "WWW-Authenticate").contains("oauth_problem=\"consumer_key_refused\""));
    assert_eq!(client.get(&myself).send().unwrap().status().as_u16(), 401);

    // A server clock ten minutes behind shows in Date and refuses our timestamps.
    jira.set_clock_offset(-600);
    let (access, _) = jira.issue_access_token("hardcoded-consumer");
    let auth = signer.header("GET", &myself, &[("oauth_token", &access)], now(), "m-3");
    let before = now();
    let r = client
        .get(&myself)
        .header("Authorization", auth)
        .send()
        .unwrap();
    let after = now();
    assert_eq!(r.status().as_u16(), 400);
    let dates: Vec<String> = (before..=after)
        .map(|t| support::mock_jira::http::http_date(t - 600))
        .collect();
    assert!(dates.iter().any(|d| d == header(&r, "Date")), "{dates:?}");

    // Routes see what the client sent.
    jira.route_open("POST", "/echo", |rec| {
        support::mock_jira::Response::text(200, rec.body.clone())
    });
    let r = client
        .post(format!("{base}/echo"))
        .body("héllo")
        .send()
        .unwrap();
    assert_eq!(r.text().unwrap(), "héllo");
}

#[test]
fn http_date_format() {
    assert_eq!(
        support::mock_jira::http::http_date(784111777),
        "Sun, 06 Nov 1994 08:49:37 GMT"
    );
    assert_eq!(
        support::mock_jira::http::http_date(0),
        "Thu, 01 Jan 1970 00:00:00 GMT"
    );
    assert_eq!(
        support::mock_jira::http::http_date(951782400),
        "Tue, 29 Feb 2000 00:00:00 GMT"
    );
}

fn raw_exchange(jira: &MockJira, requests: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", jira.port())).unwrap();
    s.write_all(requests).unwrap();
    let mut out = String::new();
    // The last request asks to close, so this ends.
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn rfc5849_request_replayed_over_the_wire() {
    let v = vector("rfc5849-3.4.1.1-example");
    let mut opts = Options {
        signature_methods: vec!["HMAC-SHA1".into()],
        ..Options::default()
    };
    opts.consumers.push(Consumer {
        key: "9djdj82h48djs9d2".into(),
        public_key_pem: String::new(),
        secret: Some(s(&v["hmac_client_secret"]).into()),
    });
    let jira = MockJira::start(opts);
    jira.add_access_token(
        "9djdj82h48djs9d2",
        "kkk9d7dh3k39sjv7",
        s(&v["hmac_token_secret"]),
    );
    jira.route("POST", "/request", |_| {
        support::mock_jira::Response::text(200, "signed\n")
    });
    // Back to 1974, when the example was signed.
    jira.set_clock_offset(137131201 - now());

    // The RFC's request with the errata signature, its body sent chunked.
    let good = enc(s(&v["hmac_sha1_signature_errata_2550"]));
    let raw = s(&v["http_request"])
        .replace("bYT5CMsGcbgUdFHObYMEfcx6bsw%3D", &good)
        .replace('\n', "\r\n")
        .replace(
            "\r\n\r\nc2&a3=2+q",
            "\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nc2&a\r\n5;x=y\r\n3=2+q\r\n0\r\n\r\n",
        );
    // The same again: the nonce is spent. Then a bad signature, closing.
    let bad = raw
        .replace(&good, "AAAA")
        .replace("7d8f3e4a", "7d8f3e4b")
        .replace("HTTP/1.1\r\n", "HTTP/1.1\r\nConnection: close\r\n");
    let out = raw_exchange(&jira, format!("{raw}{raw}{bad}").as_bytes());

    let statuses: Vec<&str> = out
        .match_indices("HTTP/1.1 ")
        .map(|(i, _)| &out[i..i + 12])
        .collect();
    assert_eq!(
        statuses,
        ["HTTP/1.1 200", "HTTP/1.1 401", "HTTP/1.1 401"],
        "{out}"
    );
    assert!(out.contains("signed\n"));
    assert!(out.contains("Connection: close\r\n"));
    assert_eq!(jira.connections(), 1);
    let reqs = jira.requests();
    assert_eq!(reqs[0].outcome, Outcome::Ok, "{:?}", reqs[0]);
    assert_eq!(reqs[0].base_string, s(&v["base_string"]));
    assert_eq!(reqs[0].body, b"c2&a3=2+q");
    assert_eq!(reqs[1].problem(), Some("nonce_used"));
    assert_eq!(reqs[2].problem(), Some("signature_invalid"));
    let sent = format!("oauth_signature_base_string={}", enc(&reqs[2].base_string));
    assert!(
        out.ends_with(&sent) || out.contains(&format!("{sent}&")),
        "{out}"
    );
}

#[test]
fn http_framing_details() {
    let jira = start(false, "");
    let out = raw_exchange(
        &jira,
        b"HEAD /rest/api/2/myself HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n\
          GET /nowhere HTTP/1.0\r\n\r\n",
    );
    // hyper answers an HTTP/1.0 request in HTTP/1.0.
    let (head, not_found) = out.split_once("HTTP/1.0 ").expect(&out);
    let head = head.strip_prefix("HTTP/1.1 ").expect(&out);
    assert!(head.starts_with("401 "), "{out}");
    assert!(head.contains("Content-Length: "));
    assert!(head.ends_with("\r\n\r\n"), "HEAD has no body: {out}");
    assert!(
        not_found.starts_with("404 ") && not_found.contains("Connection: close"),
        "{out}"
    );
    assert_eq!(jira.connections(), 1);
}

#[test]
fn dropping_the_server_closes_its_connections_and_port() {
    use std::io::{Read, Write};
    use std::sync::mpsc;
    use std::time::Duration;
    let jira = start(false, "");
    let port = jira.port();
    let (entered, handler_runs) = mpsc::channel();
    let (release, held) = mpsc::channel::<()>();
    let held = std::sync::Mutex::new(held);
    jira.route_open("GET", "/slow", move |_| {
        entered.send(()).unwrap();
        // Bounded, so that a Drop that waited for it would still end.
        let _ = held.lock().unwrap().recv_timeout(Duration::from_secs(30));
        support::mock_jira::Response::text(200, "late")
    });
    let connect = || {
        let s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        // A guard against hanging, not a timing.
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s
    };
    let mut idle = connect();
    idle.write_all(b"GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    assert!(idle.read(&mut buf).unwrap() > 0);
    let mut busy = connect();
    busy.write_all(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    handler_runs.recv().unwrap();

    // Neither the kept-alive connection nor the running handler holds it up.
    drop(jira);
    for s in [&mut idle, &mut busy] {
        let got = s.read(&mut buf);
        assert!(matches!(got, Ok(0)), "still open: {got:?}");
    }
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free again");
    drop(release);
}

#[test]
fn search_answers_the_fields_asked_for() {
    let jira = start(false, "");
    let fields = |query: &str| -> Vec<Vec<String>> {
        let path = format!("/rest/api/2/search?jql=project%20%3D%20HSP{query}");
        let body = support::cli::fetch_served(&jira, &path);
        let v: Value = serde_json::from_slice(&body).unwrap();
        let issues = v["issues"].as_array().unwrap();
        assert!(!issues.is_empty(), "{v}");
        issues
            .iter()
            .map(|i| {
                let mut names: Vec<String> =
                    i["fields"].as_object().unwrap().keys().cloned().collect();
                names.sort();
                names
            })
            .collect()
    };
    for names in fields("&fields=status,summary,nosuchfield") {
        assert_eq!(names, ["status", "summary"]);
    }
    for names in fields("") {
        assert_eq!(names, ["summary"]);
    }
    // maxResults=0: the total alone, as JIRA answers it.
    let counted = support::cli::fetch_served(&jira, "/rest/api/2/search?maxResults=0");
    let v: Value = serde_json::from_slice(&counted).unwrap();
    assert_eq!(v["issues"], serde_json::json!([]));
    assert!(v["total"].as_u64().unwrap() > 0, "{v}");
    for names in fields("&fields=*all") {
        assert!(
            names.len() > 2 && names.iter().any(|n| n == "issuetype"),
            "{names:?}"
        );
    }
}

#[test]
fn comments_of_an_issue_that_does_not_exist_are_404() {
    let jira = start(false, "");
    let body = support::cli::fetch_served(&jira, "/rest/api/2/issue/HSP-99999/comment");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["errorMessages"][0], "Issue Does Not Exist");
    assert_eq!(jira.requests().last().unwrap().status, 404);
    let body = support::cli::fetch_served(&jira, "/rest/api/2/issue/HSP-1/comment");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v["comments"].is_array(), "{v}");
}
