//! `sign [METHOD] URL`: the `Authorization` header (or the base string, or a
//! curl command) that `request` would send, for other tools to use.

use crate::body;
use crate::cli::{parse_method, Global, SignArgs};
use crate::client::{new_nonce, refuse_plaintext_in_clear, unix_time, wire_headers};
use crate::config::{Config, TokenWant, Wants};
use crate::error::{Error, Result};
use crate::oauth::{self, Protocol, Signed};
use crate::outgoing::Outgoing;
use crate::output::shell_quote;
use std::time::SystemTime;

pub fn run(g: &Global, a: &SignArgs) -> Result<()> {
    let (method, target) = match a.args.as_slice() {
        [m, url] => (Some(parse_method(m).map_err(Error::usage)?), url),
        [url] => (None, url),
        _ => return Err(Error::usage("sign takes [METHOD] URL")),
    };
    let config = Config::resolve(
        g,
        Wants {
            targets: std::slice::from_ref(target),
            token: TokenWant::Optional(a.protocol.token.as_deref()),
            ..Default::default()
        },
    )?;
    let url = &config.urls[0];
    let out = Outgoing::from_args(&a.send, a.content_type.as_deref(), method)?;
    let method = &out.method;
    refuse_plaintext_in_clear(config.signature_method, url)?;
    if a.curl {
        body::check_auth_in(config.auth_in, method, out.body.as_ref())?;
    }

    let call = config.call(method.clone(), url.clone());
    let protocol = Protocol {
        consumer_key: config.consumer_key.clone(),
        token: call.token.clone(),
        token_secret: call.token_secret.clone(),
        callback: a.protocol.callback.clone(),
        verifier: a.protocol.verifier.clone(),
        timestamp: a
            .protocol
            .timestamp
            .unwrap_or_else(|| unix_time(SystemTime::now())),
        nonce: a.protocol.nonce.clone().unwrap_or_else(new_nonce),
    };
    let form = body::signed_form(method, out.body.as_ref());
    let signed = oauth::sign(method.as_str(), url, form, &protocol, &config.signer()?);

    if config.token.is_none() && !url.path().contains("/plugins/servlet/oauth/") {
        crate::warn(
            "no access token (none given, JIRA_OAUTH_ACCESS_TOKEN is not set, no login stored \
             for this URL): JIRA refuses a REST call signed without one (parameter_absent)",
        );
    }
    let text = if a.base_string {
        signed.base_string.clone()
    } else if a.curl {
        curl_line(&config, &signed, &out)
    } else {
        signed.authorization()
    };
    crate::output::print_stdout(format!("{text}\n").as_bytes())
}

/// The whole request as a curl command: what `request` would send.
fn curl_line(config: &Config, signed: &Signed, out: &Outgoing) -> String {
    let url = &config.urls[0];
    let body = out.body.as_ref();
    let placed = signed.place(config.auth_in, url, body.map(|b| b.bytes.as_slice()));
    let mut cmd = vec!["curl".to_string()];
    if out.method != reqwest::Method::GET || placed.body.is_some() {
        cmd.push(format!("-X {}", out.method));
    }
    for (name, value) in wire_headers(&out.headers, body, &placed) {
        cmd.push(format!("-H {}", shell_quote(&format!("{name}: {value}"))));
    }
    if let Some(b) = &placed.body {
        cmd.push(format!(
            "--data-binary {}",
            shell_quote(&String::from_utf8_lossy(b))
        ));
    }
    cmd.push(shell_quote(placed.url.as_str()));
    // A shell comment: the line works once, as JIRA remembers nonces.
    format!(
        "{} # one-time: its nonce is spent on first use; sign again for another call",
        cmd.join(" ")
    )
}
