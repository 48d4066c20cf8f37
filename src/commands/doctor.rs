//! `doctor [JIRA_BASE_URL]`: each thing that stands between the user and a
//! working setup, checked in the order they fail in, one line each with
//! what was found and the fix.
//!
//! Exit 0 when every check passes, else the exit code of the first failing
//! check (2 key, 3 no answer, 4 OAuth, 1 another HTTP error).

use crate::answers::SMALL_BODY;
use crate::cli::{DoctorArgs, Global};
use crate::client::{refuse_plaintext_in_clear, Call, Client};
use crate::config::{Config, TokenWant, Wants};
use crate::error::{Error, Kind, Result};
use crate::myself::{self, myself};
use crate::problem;
use crate::rsa_backend::RsaKey;
use crate::signature::{KeyKind, Signer};
use crate::{keys, transport};
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

pub fn run(g: &Global, a: &DoctorArgs) -> Result<()> {
    let mut r = Report::default();
    // With nothing given, the server of the only stored login is checked.
    let config = Config::resolve(
        g,
        Wants {
            base: a.jira_base_url.as_deref(),
            token: TokenWant::Optional(a.token.as_deref()),
            needs_base: true,
            bearer: true,
            ..Default::default()
        },
    );
    // A bearer login (OAuth 2.0, a PAT) needs no key: its own checks.
    if let Some(config) = config.as_ref().ok().filter(|c| c.bearer()) {
        check_bearer(config, &mut r)?;
        return finish(r);
    }
    // A bad base URL (or login) still leaves the key to check.
    let (config, base_error) = match config {
        Ok(c) => (c, None),
        Err(e) => (super::key_only(g)?, Some(e)),
    };
    let signer = check_key(&config, &mut r);
    if let Some(e) = base_error {
        r.fail_with("base URL", &e);
    } else if config.base_url.is_some() {
        if let Err(e) = check_server(&config, signer, &mut r) {
            r.fail_with("base URL", &e);
        }
    }
    finish(r)
}

fn finish(r: Report) -> Result<()> {
    crate::output::print_stdout(r.out.as_bytes())?;
    match r.first_failure {
        None => Ok(()),
        Some(kind) => Err(Error::new(
            kind,
            "doctor found a problem (see the ✗ lines above)",
        )),
    }
}

/// The key loads, is RSA, and only its owner can read it; its public key.
fn check_key(config: &Config, r: &mut Report) -> Option<Signer> {
    let method = config.signature_method;
    let KeyKind::Rsa(_) = method.key_kind() else {
        let signer = config.signer().ok()?;
        if config.has_consumer_secret() {
            r.pass(
                "consumer secret",
                &format!("{method} signs with the consumer secret (given; no RSA key needed)"),
            );
        } else {
            r.warn(
                "consumer secret",
                &format!("{method} signs with the consumer secret, and none is given"),
                "pass --consumer-secret or set JIRA_OAUTH_CONSUMER_SECRET",
            );
        }
        return Some(signer);
    };
    let loaded = config
        .private_key_path()
        .and_then(|path| Ok((keys::load_private_key(&path, &mut keys::EnvOrTty)?, path)));
    let (key, path) = match loaded {
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
    Signer::new(method, || Ok::<_, Error>(RsaKey::new(key)), "").ok()
}

fn check_server(config: &Config, signer: Option<Signer>, r: &mut Report) -> Result<()> {
    let url = config.endpoint("/plugins/servlet/oauth/request-token")?;

    // An unsigned call: any HTTP answer proves DNS, TCP and TLS, and brings a Date.
    let transport = transport::Transport::new(config.transport.clone())?;
    let sent_at = SystemTime::now();
    let probe = transport.send(transport::Request {
        method: Method::GET,
        url: url.clone(),
        headers: Vec::new(),
        body: None,
        secrets: Vec::new(),
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
        if config.transport.insecure {
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

    let Some(signer) = signer else {
        r.skip("consumer key", "no usable key");
        r.skip("access token", "no usable key");
        return Ok(());
    };
    if let Err(e) = refuse_plaintext_in_clear(signer.method(), &url) {
        r.fail_with("consumer key", &e);
        return Ok(());
    }
    let client = Client::signing(config, signer, transport);
    check_consumer(&client, &url, r);
    match &config.token {
        Some(_) => check_token(config, &client, r)?,
        None => r.skip(
            "access token",
            "none given (pass --token, set JIRA_OAUTH_ACCESS_TOKEN, or log in)",
        ),
    }
    Ok(())
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
    let key = client.consumer_key();
    match answer(client, &call) {
        Ok(()) => r.pass(
            "consumer key",
            &format!("JIRA knows '{key}' and accepts our signature (a request token was issued)"),
        ),
        Err((Some(p), e)) if p == "signature_invalid" => {
            let found = format!(
                "JIRA knows '{key}' but rejects our signature: its key does not match ours"
            );
            r.fail("consumer key", e.kind, &found, e.hint.as_deref());
        }
        Err((_, e)) => r.fail_with("consumer key", &e),
    }
}

/// `GET /rest/api/2/myself` with the access token.
fn check_token(config: &Config, client: &Client, r: &mut Report) -> Result<()> {
    let call = config.call(Method::GET, config.endpoint(myself::PATH)?);
    match myself(client, &call) {
        Ok(me) => r.pass("access token", &format!("works: signed in as {me}")),
        Err(e) => r.fail_with("access token", &e),
    }
    Ok(())
}

/// An OAuth 2.0 login (the provider, the expiry, the scope, the token) or
/// a PAT (the token). Never refreshes: a refresh rotates the refresh token,
/// and a check should change nothing.
fn check_bearer(config: &Config, r: &mut Report) -> Result<()> {
    let token = config.token.as_ref().expect("a bearer token");
    let base = token
        .stored_for
        .clone()
        .map_or_else(|| config.base().map(str::to_string), Ok)?;
    let entry = crate::credentials::Store::default_location()?
        .load()?
        .logins
        .get(&base)
        .cloned()
        .filter(|_| token.stored_for.is_some());
    r.pass("login", &format!("{} for {base}", token.kind.describe()));
    let transport = transport::Transport::new(config.transport.clone())?;
    let mut expired = false;
    if let Some(o) = entry.as_ref().and_then(|e| e.oauth2.as_ref()) {
        let provider = crate::oauth2_client::Provider::of(&base, o);
        match provider
            .authorization(&o.scope)
            .and_then(|a| crate::commands::oauth2_login::probe(&transport, &a.url, &o.redirect_uri))
        {
            Ok(()) => r.pass(
                "OAuth 2.0 provider",
                "JIRA answers at /rest/oauth2/latest/authorize",
            ),
            Err(e) => r.fail_with("OAuth 2.0 provider", &e),
        }
        let now = crate::client::unix_time(SystemTime::now());
        match o.expires_at {
            Some(at) if at <= now => {
                expired = true;
                r.warn(
                    "expiry",
                    &format!("the access token expired {} s ago", now - at),
                    "none needed: the next request refreshes it",
                );
            }
            Some(at) => r.pass(
                "expiry",
                &format!("the access token has {} s left", at - now),
            ),
            None => r.pass("expiry", "JIRA gave the access token no expiry"),
        }
        r.pass("scope", &o.scope);
    }
    if expired {
        r.skip(
            "access token",
            "expired (doctor does not spend the refresh token)",
        );
        return Ok(());
    }
    // A client that does not refresh: the token is checked as it is.
    let mut call = config.call(Method::GET, crate::urls::endpoint(&base, myself::PATH)?);
    call.stored_login = Some(base.clone());
    let client = Client::bearing(config, false, transport)?;
    match myself(&client, &call) {
        Ok(me) => r.pass("access token", &format!("works: signed in as {me}")),
        Err(e) => r.fail_with("access token", &e),
    }
    Ok(())
}

/// Sends the call; a refusal comes back with its `oauth_problem` name.
fn answer(client: &Client, call: &Call) -> Result<(), (Option<String>, Error)> {
    let (mut resp, ctx) = client.send_unchecked(call).map_err(|e| (None, e))?;
    if resp.status().is_success() {
        return client
            .read_body(&mut resp, Some(SMALL_BODY))
            .map(drop)
            .map_err(|e| (None, e));
    }
    let failure = client.read_failure(resp).map_err(|e| (None, e))?;
    let name = problem::find_problem(&failure.headers, &failure.body).map(|p| p.name);
    Err((name, failure.explain(&ctx, call)))
}
