//! `doctor [JIRA_BASE_URL]`: each thing that stands between the user and a
//! working setup, checked in the order they fail in, one line each with
//! what was found and the fix.
//!
//! Exit 0 when every check passes, else the exit code of the first failing
//! check (2 key, 3 no answer, 4 OAuth, 1 another HTTP error).

use super::{private_key_path, transport_options};
use crate::cli::Global;
use crate::client::{Call, Client, Keys};
use crate::error::{Error, Kind, Result};
use crate::problem::{self, Context};
use crate::signature::{SignatureMethod, Signer};
use crate::transport::{self, Transport};
use crate::{keys, urls};
use reqwest::Method;
use std::time::{Duration, SystemTime};

/// JIRA's timestamp window, either side of its clock.
const CLOCK_WINDOW: Duration = Duration::from_secs(300);
/// Beyond this a clock is worth setting right before it drifts out of the window.
const CLOCK_WARN: Duration = Duration::from_secs(60);

/// The lines printed so far and the first failure's class.
#[derive(Default)]
struct Report {
    out: String,
    first_failure: Option<Kind>,
}

impl Report {
    fn pass(&mut self, check: &str, found: &str) {
        self.out.push_str(&format!("✓ {check}: {found}\n"));
    }

    fn warn(&mut self, check: &str, found: &str, fix: &str) {
        self.out
            .push_str(&format!("! {check}: {found}; fix: {fix}\n"));
    }

    fn fail(&mut self, check: &str, kind: Kind, found: &str, fix: Option<&str>) {
        let fix = fix.map(|f| format!("; fix: {f}")).unwrap_or_default();
        self.out.push_str(&format!("✗ {check}: {found}{fix}\n"));
        self.first_failure.get_or_insert(kind);
    }

    fn fail_with(&mut self, check: &str, e: &Error) {
        self.fail(check, e.kind, &e.message, e.hint.as_deref());
    }

    fn skip(&mut self, check: &str, why: &str) {
        self.out.push_str(&format!("- {check}: skipped, {why}\n"));
    }

    fn text(&mut self, text: &str) {
        self.out.push_str(text);
    }
}

pub fn run(g: &Global, base: Option<&str>, token: Option<&str>) -> Result<()> {
    let mut r = Report::default();
    let keys = check_key(g, &mut r);
    if let Some(base) = base {
        if let Err(e) = check_server(g, base, token, keys, &mut r) {
            r.fail_with("base URL", &e);
        }
    }
    crate::print_stdout(r.out.as_bytes())?;
    match r.first_failure {
        None => Ok(()),
        Some(kind) => Err(Error::new(
            kind,
            "doctor found a problem (see the ✗ lines above)",
        )),
    }
}

/// The key loads, is RSA, and only its owner can read it; its public key.
fn check_key(g: &Global, r: &mut Report) -> Option<Keys> {
    let method = g.signature_method;
    if !method.is_rsa() {
        let secret = g.consumer_secret.clone().unwrap_or_default();
        if secret.is_empty() {
            r.warn(
                "consumer secret",
                &format!("{method} signs with the consumer secret, and none is given"),
                "pass --consumer-secret or set JIRA_OAUTH_CONSUMER_SECRET",
            );
        } else {
            r.pass(
                "consumer secret",
                &format!("{method} signs with the consumer secret (given; no RSA key needed)"),
            );
        }
        return Some(Keys::Secret {
            method,
            consumer_secret: secret,
        });
    }
    let path = match private_key_path(g) {
        Ok(p) => p,
        Err(e) => {
            r.fail_with("private key", &e);
            return None;
        }
    };
    let key = match keys::load_private_key(&path, &mut keys::EnvOrTty) {
        Ok(k) => k,
        Err(e) => {
            r.fail_with("private key", &e);
            return None;
        }
    };
    use rsa::traits::PublicKeyParts;
    let bits = key.size() * 8;
    r.pass(
        "private key",
        &format!("{} loads: an RSA key of {bits} bits", path.display()),
    );
    match keys::permission_warning(&path) {
        Some(w) => match w.split_once("; run ") {
            Some((found, fix)) => r.warn("key file mode", found, fix),
            None => r.warn("key file mode", &w, "chmod 600 the key file"),
        },
        None => r.pass("key file mode", "only its owner can read it"),
    }
    r.pass(
        "public key",
        &format!(
            "{} (paste it into the Application Link's Public Key field):",
            keys::fingerprint_sha256(&key)
        ),
    );
    r.text(&keys::public_key_pem(&key));
    let signer = Signer::rsa(method, key).expect("an RSA method");
    Some(Keys::Rsa(Box::new(signer)))
}

fn check_server(
    g: &Global,
    base: &str,
    token: Option<&str>,
    keys: Option<Keys>,
    r: &mut Report,
) -> Result<()> {
    let base = urls::normalize_base(base)?;
    let url = urls::endpoint(&base, "/plugins/servlet/oauth/request-token")?;
    let token = token_to_try(g, token, &url);
    let secrets: Vec<&str> = g.token_secret.as_deref().into_iter().collect();
    let opts = transport_options(g, &secrets, &[&url]);

    // An unsigned call: any HTTP answer proves DNS, TCP and TLS, and brings a Date.
    let transport = Transport::new(opts.clone())?;
    let sent_at = SystemTime::now();
    let probe = transport.send(transport::Request {
        method: Method::GET,
        url: url.clone(),
        headers: Vec::new(),
        body: None,
    });
    let resp = match probe {
        Ok(resp) => resp,
        Err(e) => {
            r.fail_with("server", &e);
            for check in ["clock", "consumer key", "access token"] {
                r.skip(check, "the server does not answer");
            }
            return Ok(());
        }
    };
    let tls = if url.scheme() == "https" {
        if g.insecure {
            ", TLS not verified (--insecure)"
        } else {
            ", TLS verified"
        }
    } else {
        ""
    };
    let status = resp.status().as_u16();
    if status == 404 {
        r.fail(
            "server",
            Kind::Http,
            &format!("{url} answers HTTP 404: no OAuth endpoint there"),
            Some("give JIRA's base URL with its context path (https://host/jira)"),
        );
    } else {
        r.pass("server", &format!("{url} answers (HTTP {status}{tls})"));
    }
    check_clock(resp.headers(), sent_at, r);

    let Some(keys) = keys else {
        r.skip("consumer key", "no usable key");
        r.skip("access token", "no usable key");
        return Ok(());
    };
    if keys.method() == SignatureMethod::Plaintext && url.scheme() != "https" {
        let e = Error::usage(format!(
            "PLAINTEXT signatures are sent in the clear: refused over {}",
            url.scheme()
        ))
        .with_hint("RFC 5849 allows PLAINTEXT only over TLS: use an https:// URL");
        r.fail_with("consumer key", &e);
        return Ok(());
    }
    let client = Client::new(g.consumer_key.clone(), keys, opts, g.auth_in)?;
    check_consumer(&client, &url, r);
    match token {
        Some(t) => check_token(g, &client, &base, &t, r)?,
        None => r.skip(
            "access token",
            "none given (pass --token, set JIRA_OAUTH_ACCESS_TOKEN, or log in)",
        ),
    }
    Ok(())
}

/// The access token to try: `--token`, else `JIRA_OAUTH_ACCESS_TOKEN`, else
/// the stored login for this server made with the same consumer key.
fn token_to_try(g: &Global, flag: Option<&str>, url: &url::Url) -> Option<String> {
    let stored = || {
        let logins = crate::credentials::Store::default_location()
            .and_then(|s| s.load())
            .ok()?;
        let (_, entry) = logins.lookup(url)?;
        (entry.consumer_key == g.consumer_key).then(|| entry.token.clone())
    };
    flag.map(str::to_string)
        .or_else(|| std::env::var("JIRA_OAUTH_ACCESS_TOKEN").ok())
        .or_else(stored)
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The local clock against the server's `Date`: JIRA refuses timestamps
/// more than 5 minutes off ([RFC 5849 §3.3](https://www.rfc-editor.org/rfc/rfc5849#section-3.3)).
fn check_clock(headers: &reqwest::header::HeaderMap, sent_at: SystemTime, r: &mut Report) {
    let server = headers
        .get("date")
        .and_then(|v| v.to_str().ok())
        .and_then(|d| httpdate::parse_http_date(d).ok());
    let Some(server) = server else {
        r.warn(
            "clock",
            "the server sent no Date header to compare with",
            "make sure this machine's clock is set by NTP",
        );
        return;
    };
    let (off, found) = crate::problem::clock_offset(sent_at, server);
    let fix =
        "set this machine's clock right (NTP); JIRA accepts timestamps within 5 minutes of its own";
    if off > CLOCK_WINDOW {
        r.fail("clock", Kind::OAuth, &found, Some(fix));
    } else if off > CLOCK_WARN {
        r.warn("clock", &found, fix);
    } else {
        r.pass("clock", &found);
    }
}

/// A signed request-token call: the consumer key is known and the server
/// verifies our signature with the key it holds.
fn check_consumer(client: &Client, url: &url::Url, r: &mut Report) {
    let mut call = Call::new(Method::POST, url.clone());
    call.callback = Some("oob".into());
    call.token_call = true;
    match answer(client, &call) {
        Ok(_) => r.pass(
            "consumer key",
            &format!(
                "JIRA knows '{}' and accepts our signature (a request token was issued)",
                client.consumer_key
            ),
        ),
        Err((Some(p), e)) if p == "signature_invalid" => {
            let found = format!(
                "JIRA knows '{}' but rejects our signature: its key does not match ours",
                client.consumer_key
            );
            r.fail("consumer key", e.kind, &found, e.hint.as_deref());
        }
        Err((_, e)) => r.fail_with("consumer key", &e),
    }
}

/// `GET /rest/api/2/myself` with the access token.
fn check_token(g: &Global, client: &Client, base: &str, token: &str, r: &mut Report) -> Result<()> {
    let url = urls::endpoint(base, "/rest/api/2/myself")?;
    let mut call = Call::new(Method::GET, url);
    call.token = Some(token.to_string());
    call.token_secret = g.token_secret.clone().unwrap_or_default();
    match answer(client, &call) {
        Ok((headers, body)) => {
            let user = headers
                .get("x-ausername")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if user.eq_ignore_ascii_case("anonymous") {
                r.fail(
                    "access token",
                    Kind::OAuth,
                    "JIRA answered as 'anonymous': it ignored the signature",
                    Some("check that OAuth is enabled on the Application Link, then run the OAuth dance again"),
                );
                return Ok(());
            }
            let me: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let name = me["name"].as_str().unwrap_or(user);
            let shown = match me["displayName"].as_str() {
                Some(d) => format!("{d} ({name})"),
                None => name.to_string(),
            };
            r.pass("access token", &format!("works: signed in as {shown}"));
        }
        Err((_, e)) => r.fail_with("access token", &e),
    }
    Ok(())
}

type Answer = (reqwest::header::HeaderMap, Vec<u8>);

/// Sends the call; a refusal comes back with its `oauth_problem` name.
fn answer(client: &Client, call: &Call) -> Result<Answer, (Option<String>, Error)> {
    let (mut resp, ctx): (_, Context) = client.send_unchecked(call).map_err(|e| (None, e))?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = problem::read_error_body(&mut resp).map_err(|e| (None, e))?;
    if status.is_success() {
        return Ok((headers, body));
    }
    let name = problem::find_problem(&headers, &body).map(|p| p.name);
    let e = problem::refusal(status.as_u16(), &headers, &body, &ctx).unwrap_or_else(|| {
        Error::http(format!(
            "HTTP {} from {} {}",
            status.as_u16(),
            call.method,
            call.url
        ))
    });
    Err((name, e))
}
