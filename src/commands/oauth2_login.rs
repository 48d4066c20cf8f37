//! `login BASE --oauth2`: JIRA Data Center's OAuth 2.0 provider (8.22+),
//! authorization code with PKCE (RFC 6749 §4.1, RFC 7636). The code comes
//! back to a one-shot listener on the redirect URI's port, or is pasted.

use crate::callback::{Callback, Verdict};
use crate::cli::LoginArgs;
use crate::config::{Config, Token};
use crate::credentials::{self, Entry, Kind, OAuth2, Store};
use crate::error::{Error, Result};
use crate::myself::{self, myself};
use crate::oauth2_client::{self, Provider, NO_PROVIDER};
use crate::transport::{self, Transport};
use hyper::StatusCode;
use reqwest::Method;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;
use url::Url;

pub fn login(mut config: Config, a: &LoginArgs) -> Result<()> {
    let base = config.base()?.to_string();
    let store = Store::default_location()?;
    store.load()?;
    let (provider, redirect) = provider(a, &base)?;
    let scope = a.scope.to_ascii_uppercase();
    config.transport.redact.push(provider.client_secret.clone());
    let transport = Transport::new(config.transport.clone())?;
    let auth = provider.authorization(&scope)?;
    probe(&transport, &auth.url, &provider.redirect_uri)?;

    let listener = if a.paste {
        None
    } else {
        Some(Listener::bind(&redirect)?)
    };
    eprintln!(
        "Open this URL in a browser, log in to JIRA if asked, and click Allow:\n  {}",
        auth.url
    );
    if a.open {
        super::login::open_browser(auth.url.as_str());
    }
    let answer = match listener {
        Some(l) => {
            eprintln!("Waiting for JIRA to send the browser back to {redirect} ...");
            l.wait(a.listen_timeout)?
        }
        None => pasted()?,
    };
    let code = check_answer(&answer, &auth.state, &base)?;

    let tokens = provider.exchange(&transport, &code, auth.verifier)?;
    let entry = Entry {
        kind: Kind::Oauth2,
        token: tokens.access.clone(),
        obtained_at: credentials::now_rfc3339(),
        oauth2: Some(OAuth2 {
            client_id: provider.client_id.clone(),
            client_secret: provider.client_secret.clone(),
            refresh_token: tokens.refresh.clone(),
            expires_at: tokens.expires_at,
            scope: tokens.scope.clone(),
            redirect_uri: provider.redirect_uri.clone(),
        }),
        ..Default::default()
    };
    store.update(|l| l.logins.insert(base.clone(), entry))?;
    config
        .transport
        .redact
        .extend([tokens.access.clone(), tokens.refresh]);
    config.token = Some(Token {
        kind: Kind::Oauth2,
        token: tokens.access,
        secret: String::new(),
        stored_for: Some(base.clone()),
        expires_at: None,
    });
    let url = config.endpoint(myself::PATH)?;
    let me = myself(&config.client()?, &config.call(Method::GET, url))?;
    let shown = if tokens.scope.is_empty() {
        scope
    } else {
        tokens.scope
    };
    crate::output::print_stdout(
        format!("Logged in to {base} as {me} with OAuth 2.0 (scope {shown})\n").as_bytes(),
    )
}

/// The incoming link's client as given: its ID, its secret, and the
/// redirect URI it registered.
fn provider(a: &LoginArgs, base: &str) -> Result<(Provider, Url)> {
    let client_id = a
        .client_id
        .clone()
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| {
            Error::usage("login --oauth2 needs the client ID of JIRA's incoming link").with_hint(
                "pass --client-id ID or set JIRA_OAUTH_CLIENT_ID (JIRA shows it with the link)",
            )
        })?;
    let client_secret = client_secret(a)?;
    let redirect = Url::parse(&a.redirect_uri).map_err(|e| {
        Error::usage(format!(
            "--redirect-uri '{}' is not a URL: {e}",
            a.redirect_uri
        ))
    })?;
    let provider = Provider {
        base: base.to_string(),
        client_id: client_id.trim().to_string(),
        client_secret,
        redirect_uri: a.redirect_uri.clone(),
    };
    Ok((provider, redirect))
}

/// `JIRA_OAUTH_CLIENT_SECRET`, else `--client-secret-file`; never an
/// option's value (shell history, `ps`, CI logs).
fn client_secret(a: &LoginArgs) -> Result<String> {
    let secret = match (&a.client_secret_file, std::env::var("JIRA_OAUTH_CLIENT_SECRET")) {
        (Some(path), _) => std::fs::read_to_string(path).map_err(|e| {
            Error::usage(format!(
                "cannot read the client secret file {}: {}",
                path.display(),
                crate::io_reason(&e)
            ))
        })?,
        (None, Ok(s)) => s,
        (None, Err(_)) => {
            return Err(Error::usage("login --oauth2 needs the client secret of JIRA's incoming link")
                .with_hint("set JIRA_OAUTH_CLIENT_SECRET or pass --client-secret-file FILE (JIRA requires it even with PKCE)"))
        }
    };
    let secret = secret.trim().to_string();
    crate::config::check_token("client secret", &secret)?;
    Ok(secret)
}

/// Asks for the authorize URL as an anonymous browser would, without
/// following: JIRA sends a good request to its login (or consent) page,
/// and answers a client or redirect URI it does not know with an error page.
pub(crate) fn probe(transport: &Transport, url: &Url, redirect: &str) -> Result<()> {
    let mut resp = transport.send(transport::Request {
        method: Method::GET,
        url: url.clone(),
        headers: Vec::new(),
        body: None,
        secrets: Vec::new(),
    })?;
    let status = resp.status();
    if status.as_u16() == 404 {
        return Err(Error::http(NO_PROVIDER).with_hint(format!(
            "{} answered HTTP 404",
            url.as_str().split('?').next().unwrap_or("")
        )));
    }
    if status.is_server_error() {
        return Err(Error::http(format!(
            "JIRA's OAuth 2.0 authorize page answered HTTP {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )));
    }
    if status.is_redirection() || status.is_success() {
        return Ok(());
    }
    let _ = transport::read_body(&mut resp, url, transport.timeout(), Some(4096));
    Err(Error::oauth(format!(
        "JIRA refuses the authorization request (HTTP {}): the client ID is unknown, or the \
         redirect URI {redirect} is not registered",
        status.as_u16()
    ))
    .with_hint(format!(
        "register {redirect} exactly (port included) in the incoming link, or pass the one \
         registered with --redirect-uri"
    )))
}

/// The redirect URL's query: `code` and `state`, or `error`.
fn check_answer(query: &[(String, String)], state: &str, base: &str) -> Result<String> {
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("state") != Some(state) {
        return Err(Error::oauth(
            "the answer's state is not the one this login sent: refused (another login's \
             answer, or a forged one)",
        )
        .with_hint("run jira-oauth login again, and use the URL it prints"));
    }
    if let Some(e) = get("error") {
        return Err(oauth2_client::refusal(e, get("error_description"), base));
    }
    match get("code") {
        Some(c) if !c.is_empty() => Ok(c.to_string()),
        _ => Err(Error::oauth("JIRA's answer has no authorization code")
            .with_hint("run jira-oauth login again")),
    }
}

/// The redirect URL the user pastes (`--paste`).
fn pasted() -> Result<Vec<(String, String)>> {
    let line = super::login::prompt_line("Then paste the URL the browser was sent to: ", "URL")?;
    let line = line.trim();
    let query = line.split_once('?').map_or(line, |(_, q)| q);
    Ok(url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect())
}

/// The one-shot server on the redirect URI's port: for `localhost` on
/// both 127.0.0.1 and ::1 (the browser may resolve either).
struct Listener {
    callback: Callback,
    path: String,
    shown: String,
}

impl Listener {
    fn bind(redirect: &Url) -> Result<Listener> {
        let v4: IpAddr = Ipv4Addr::LOCALHOST.into();
        let v6: IpAddr = Ipv6Addr::LOCALHOST.into();
        let addrs: &[IpAddr] = match redirect.host_str().unwrap_or("") {
            "localhost" => &[v4, v6],
            "127.0.0.1" => &[v4],
            "[::1]" | "::1" => &[v6],
            _ => {
                return Err(Error::usage(format!(
                "the redirect URI {redirect} is not on this machine, so it cannot be caught here"
            ))
                .with_hint("add --paste, and paste the URL the browser lands on"))
            }
        };
        let port = redirect.port_or_known_default().unwrap_or(80);
        // ::1 may be missing (no IPv6): 127.0.0.1 alone will do.
        let callback = Callback::bind(addrs, port).map_err(|e| {
            Error::usage(format!(
                "cannot listen for the redirect on port {port}: {}",
                crate::io_reason(&e)
            ))
            .with_hint("free that port, or use --paste")
        })?;
        Ok(Listener {
            callback,
            path: redirect.path().to_string(),
            shown: redirect.to_string(),
        })
    }

    /// The redirect's query, once one with a code or an error arrives;
    /// anything else (a favicon) is answered and ignored.
    fn wait(self, timeout: Duration) -> Result<Vec<(String, String)>> {
        let path = self.path;
        let judge = move |p: &str, q: &[(String, String)]| {
            let has = |k: &str| q.iter().any(|(n, _)| n == k);
            if p != path || !(has("code") || has("error")) {
                return Verdict::Again(StatusCode::NOT_FOUND, "Not found.");
            }
            let page = if has("error") {
                "Access was not granted. You can close this window."
            } else {
                "jira-oauth has the answer. You can close this window and return to the terminal."
            };
            Verdict::Done(q.to_vec(), page)
        };
        self.callback.wait(timeout, judge).ok_or_else(|| {
            Error::oauth(format!(
                "no answer reached {} within {} seconds",
                self.shown,
                timeout.as_secs_f64()
            ))
            .with_hint("run jira-oauth login again (or use --paste)")
        })
    }
}
