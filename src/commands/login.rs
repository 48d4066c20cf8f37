//! `login`, `logout`, `whoami`: the dance in one command
//! ([RFC 5849 §2](https://www.rfc-editor.org/rfc/rfc5849#section-2)), its
//! access token stored in the credentials file, and asked about later.

use super::{authorize_url, read_token};
use crate::callback::{Callback, Verdict};
use crate::cli::{Global, LoginArgs, LogoutArgs, WhoamiArgs};
use crate::config::{check_token, Config, TokenWant, Wants};
use crate::credentials::{self, Entry, Kind, Store};
use crate::error::{Error, Result};
use crate::myself::{self, myself};
use crate::signature::decode_form;
use crate::urls;
use hyper::StatusCode;
use reqwest::Method;
use std::io::{BufRead, IsTerminal, Write};
use std::net::Ipv4Addr;
use std::time::Duration;

pub fn login(g: &Global, a: &LoginArgs) -> Result<()> {
    refuse_misplaced(a)?;
    let (base, port) = base_and_port(a, g.base_url.as_deref())?;
    let resolved = Config::resolve(
        g,
        Wants {
            base: Some(&base),
            ..Default::default()
        },
    );
    if a.pat {
        let config = resolved.map_err(|e| {
            if e.exit_code() == 2 && !base.contains("://") {
                Error::usage("login --pat: the argument is not JIRA's base URL (not shown)")
                    .with_hint("jira-oauth login https://jira.example.com --pat; the token comes from JIRA_OAUTH_PAT, stdin or a prompt")
            } else {
                e
            }
        })?;
        return super::pat::login(config);
    }
    if a.oauth2 {
        return super::oauth2_login::login(resolved?, a);
    }
    let config = resolved?;
    let base = config.base()?;
    let store = Store::default_location()?;
    // A broken credentials file stops us before the user approves anything.
    store.load()?;

    let request_url = config.endpoint("/plugins/servlet/oauth/request-token")?;
    let access_url = config.endpoint("/plugins/servlet/oauth/access-token")?;
    let myself_url = config.endpoint(myself::PATH)?;
    let client = config.client()?;
    let listener = match port {
        Some(p) => Some(Listener::bind(p)?),
        None => None,
    };
    let method = a.token_method.http();
    let mut call = config.call(method.clone(), request_url);
    // A real callback makes it a 1.0a token, whose verifier JIRA checks (§2.1).
    call.callback = Some(listener.as_ref().map_or_else(
        || a.callback.clone().unwrap_or_else(|| "oob".to_string()),
        |l| l.callback_url(),
    ));
    call.token_call = true;
    let request = read_token(&client, &call)?;

    let verifier = approval(base, &request.token, listener, a)?;

    let mut call = config.call(method, access_url);
    call.token = Some(request.token.clone());
    call.token_secret = request.token_secret.clone();
    call.verifier = Some(verifier);
    call.token_call = true;
    let access = read_token(&client, &call)?;

    let entry = Entry {
        consumer_key: config.consumer_key.clone(),
        token: access.token,
        token_secret: access.token_secret,
        obtained_at: credentials::now_rfc3339(),
        ..Default::default()
    };
    store.update(|l| l.logins.insert(base.to_string(), entry.clone()))?;
    let mut call = config.call(Method::GET, myself_url);
    call.token = Some(entry.token.clone());
    call.token_secret = entry.token_secret.clone();
    let me = myself(&client, &call)?;
    crate::output::print_stdout(format!("Logged in to {base} as {me}\n").as_bytes())
}

/// Arguments that belong elsewhere, refused before anything is read.
fn refuse_misplaced(a: &LoginArgs) -> Result<()> {
    if !a.extra.is_empty() {
        // Not printed back: it may well be a token typed by habit.
        return Err(Error::usage(format!(
            "login takes one argument, JIRA's base URL; {} more given (not shown)",
            a.extra.len()
        ))
        .with_hint(
            "a personal access token is read from JIRA_OAUTH_PAT, stdin or a prompt, never \
             from the command line (shell history, ps)",
        ));
    }
    if !a.oauth2 && (a.paste || a.client_secret_file.is_some()) {
        return Err(
            Error::usage("--paste and --client-secret-file belong to an OAuth 2.0 login")
                .with_hint("add --oauth2"),
        );
    }
    Ok(())
}

/// The verifier of the request token `token` once the user approved it
/// in the browser: caught by the listener, or typed in (§2.2).
fn approval(base: &str, token: &str, listener: Option<Listener>, a: &LoginArgs) -> Result<String> {
    let authorize = authorize_url(base, token);
    eprintln!(
        "Open this URL in a browser, log in to JIRA if asked, and click Allow:\n  {authorize}"
    );
    if a.open {
        open_browser(&authorize);
    }
    let verifier = match listener {
        Some(l) => {
            eprintln!(
                "Waiting for JIRA to send the browser back to {} ...",
                l.callback_url()
            );
            l.wait(token, a.listen_timeout)?
        }
        None => prompt_verifier()?,
    };
    if verifier == "denied" {
        return Err(Error::oauth(
            "access was denied in the browser: JIRA sent oauth_verifier=denied",
        )
        .with_hint("run jira-oauth login again and click Allow"));
    }
    check_token("verifier", &verifier)?;
    Ok(verifier)
}

pub fn logout(g: &Global, a: &LogoutArgs) -> Result<()> {
    let config = Config::resolve(
        g,
        Wants {
            base: a.jira_base_url.as_deref(),
            needs_base: true,
            ..Default::default()
        },
    )?;
    let base = config.base()?;
    let store = Store::default_location()?;
    // RFC 7009: revoke the refresh token (its access token goes with it at
    // JIRA) before forgetting it; a failure is only a warning.
    let stored = store.load()?.logins.get(base).cloned();
    let mut revoked = false;
    if let Some(o) = stored.as_ref().and_then(|e| e.oauth2.as_ref()) {
        let mut opts = config.transport.clone();
        opts.redact
            .extend([o.client_secret.clone(), o.refresh_token.clone()]);
        let done = crate::transport::Transport::new(opts)
            .and_then(|t| crate::oauth2_client::Provider::of(base, o).revoke(&t, &o.refresh_token));
        match done {
            Ok(()) => revoked = true,
            Err(e) => crate::warn(&format!(
                "could not revoke the refresh token at JIRA ({e}); it stays valid there until \
                 it expires or an admin revokes it"
            )),
        }
    }
    let had = if store.path.exists() {
        store.update(|l| l.logins.remove(base))?
    } else {
        None
    };
    let text = match had.map(|e| e.kind) {
        Some(Kind::Pat) => format!(
            "Logged out of {base}: its personal access token is forgotten here; to revoke it, \
             use JIRA's profile page (Personal Access Tokens)\n"
        ),
        Some(Kind::Oauth2) if revoked => {
            format!("Logged out of {base}: its OAuth 2.0 tokens are revoked and forgotten\n")
        }
        Some(_) => format!("Logged out of {base}: its access token is forgotten\n"),
        None => format!("No login stored for {base}: nothing to forget\n"),
    };
    crate::output::print_stdout(text.as_bytes())
}

pub fn whoami(g: &Global, a: &WhoamiArgs) -> Result<()> {
    let config = Config::resolve(
        g,
        Wants {
            base: a.jira_base_url.as_deref(),
            token: TokenWant::Required(None),
            needs_base: true,
            bearer: true,
            ..Default::default()
        },
    )?;
    let base = match config.token.as_ref().and_then(|t| t.stored_for.as_deref()) {
        Some(b) => b,
        None => config.base()?,
    };
    let url = urls::endpoint(base, myself::PATH)?;
    let me = myself(&config.client()?, &config.call(Method::GET, url))?;
    let kind = config.token.as_ref().map_or(Kind::Oauth1, |t| t.kind);
    crate::output::print_stdout(
        format!("Logged in to {base} as {me}{}\n", with_kind(kind)).as_bytes(),
    )
}

/// How `whoami` names the login's kind after `as <user>`.
fn with_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::Oauth1 => " with OAuth 1.0a",
        Kind::Oauth2 => " with OAuth 2.0",
        Kind::Pat => " with a personal access token",
    }
}

/// `login URL --listen` and `login --listen URL` both work: an optional
/// value that is not a port is the base URL.
fn base_and_port(a: &LoginArgs, base_url: Option<&str>) -> Result<(String, Option<u16>)> {
    let missing = || {
        Error::usage("login needs JIRA's base URL")
            .with_hint("jira-oauth login https://jira.example.com [--listen [PORT]]")
    };
    let given = a
        .jira_base_url
        .clone()
        .or_else(|| base_url.map(str::to_string));
    match (&given, &a.listen) {
        (base, None) => Ok((base.clone().ok_or_else(missing)?, None)),
        (base, Some(v)) => match v.parse::<u16>() {
            Ok(p) => Ok((base.clone().ok_or_else(missing)?, Some(p))),
            Err(_) if base.is_none() => Ok((v.clone(), Some(0))),
            Err(_) => Err(Error::usage(format!(
                "--listen '{v}': not a port number (0 to 65535)"
            ))),
        },
    }
}

pub(super) fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let started = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = started {
        crate::warn(&format!(
            "could not start a browser ({opener}: {}); open the URL above by hand",
            crate::io_reason(&e)
        ));
    }
}

/// The verifier, typed or piped in. A pasted callback URL works too: its
/// `oauth_verifier` is taken.
fn prompt_verifier() -> Result<String> {
    let line = prompt_line(
        "Then enter the verification code JIRA shows: ",
        "verification code",
    )?;
    let line = line.trim();
    if line.is_empty() {
        return Err(Error::usage("no verification code was entered")
            .with_hint("or use --listen to have the browser deliver it"));
    }
    if let Some((_, query)) = line.split_once('?') {
        if let Some((_, v)) = decode_form(query.as_bytes())
            .into_iter()
            .find(|(k, _)| k == "oauth_verifier")
        {
            return Ok(v);
        }
    }
    Ok(line.to_string())
}

/// One line from stdin (a terminal or a pipe), after `prompt` on stderr.
pub(super) fn prompt_line(prompt: &str, what: &str) -> Result<String> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::usage(format!("cannot read the {what}: {e}")))?;
    if !std::io::stdin().is_terminal() {
        // Nothing echoed the line's end: keep what follows on a line of its own.
        eprintln!();
    }
    Ok(line)
}

/// The one-shot callback server on 127.0.0.1.
struct Listener {
    callback: Callback,
}

const CALLBACK_PATH: &str = "/jira-oauth/callback";

impl Listener {
    fn bind(port: u16) -> Result<Listener> {
        let callback = Callback::bind(&[Ipv4Addr::LOCALHOST.into()], port).map_err(|e| {
            Error::usage(format!(
                "cannot listen on 127.0.0.1:{port}: {}",
                crate::io_reason(&e)
            ))
            .with_hint("pick another port, or --listen alone for any free one")
        })?;
        Ok(Listener { callback })
    }

    fn callback_url(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.callback.port())
    }

    /// Answers requests until the callback for `token` brings a verifier,
    /// or `timeout` passes (exit 4: the request token is spent by then).
    fn wait(self, token: &str, timeout: Duration) -> Result<String> {
        let url = self.callback_url();
        let token = token.to_string();
        self.callback
            .wait(timeout, move |path, params| verdict(path, params, &token))
            .ok_or_else(|| {
                Error::oauth(format!(
                    "no approval reached {url} within {} seconds",
                    timeout.as_secs_f64()
                ))
                .with_hint("request tokens expire after 10 minutes: run jira-oauth login again")
            })
    }
}

/// One browser request: the callback with a verifier ends the wait; any
/// other request (a favicon, a stale tab) is answered and ignored.
fn verdict(path: &str, params: &[(String, String)], token: &str) -> Verdict<String> {
    if path != CALLBACK_PATH {
        return Verdict::Again(StatusCode::NOT_FOUND, "Not found.");
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if get("oauth_token").is_some_and(|t| t != token) {
        return Verdict::Again(
            StatusCode::BAD_REQUEST,
            "This approval is for another request token; jira-oauth is still waiting.",
        );
    }
    match get("oauth_verifier") {
        Some(v) if v == "denied" => {
            Verdict::Done(v, "Access was denied. You can close this window.")
        }
        Some(v) if !v.is_empty() => Verdict::Done(
            v,
            "jira-oauth is approved. You can close this window and return to the terminal.",
        ),
        _ => Verdict::Again(
            StatusCode::BAD_REQUEST,
            "No oauth_verifier in this request; jira-oauth is still waiting.",
        ),
    }
}
