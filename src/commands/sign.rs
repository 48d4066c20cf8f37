//! `sign METHOD URL`: the `Authorization` header (or the base string, or a
//! curl command) that `request` would send, for other tools to use.

use crate::body::{self, Body, FORM};
use crate::cli::{Global, SignArgs};
use crate::client::{new_nonce, refuse_plaintext_in_clear, unix_time};
use crate::config::{Config, TokenWant, Wants};
use crate::error::Result;
use crate::oauth::{self, Protocol};
use crate::output::shell_quote;
use std::time::SystemTime;

pub fn run(g: &Global, a: &SignArgs) -> Result<()> {
    let targets = [a.url.clone()];
    let config = Config::resolve(
        g,
        Wants {
            targets: &targets,
            token: TokenWant::Optional(a.token.as_deref()),
            ..Default::default()
        },
    )?;
    let url = &config.urls[0];
    let method = &a.method;
    refuse_plaintext_in_clear(config.signature_method, url)?;
    let body = a
        .data
        .as_ref()
        .map(|d| Body::new(a.content_type.clone(), d.clone().into_bytes()));
    if a.curl {
        body::check_auth_in(config.auth_in, method, body.as_ref())?;
    }
    let form = body::signed_form(method, body.as_ref());

    let call = config.call(method.clone(), url.clone());
    let protocol = Protocol {
        consumer_key: config.consumer_key.clone(),
        token: call.token.clone(),
        token_secret: call.token_secret.clone(),
        callback: a.callback.clone(),
        verifier: a.verifier.clone(),
        timestamp: a.timestamp.unwrap_or_else(|| unix_time(SystemTime::now())),
        nonce: a.nonce.clone().unwrap_or_else(new_nonce),
    };
    let signed = oauth::sign(method.as_str(), url, form, &protocol, &config.signer()?);

    let out = if a.base_string {
        signed.base_string.clone()
    } else if a.curl {
        let placed = signed.place(
            config.auth_in,
            url,
            body.as_ref().map(|b| b.bytes.as_slice()),
        );
        let mut cmd = vec!["curl".to_string()];
        if *method != reqwest::Method::GET || placed.body.is_some() {
            cmd.push(format!("-X {method}"));
        }
        if let Some(auth) = &placed.authorization {
            cmd.push(format!(
                "-H {}",
                shell_quote(&format!("Authorization: {auth}"))
            ));
        }
        if let Some(b) = &placed.body {
            let content_type = body.as_ref().map_or(FORM, |b| b.content_type.as_str());
            cmd.push(format!(
                "-H {}",
                shell_quote(&format!("Content-Type: {content_type}"))
            ));
            if body::needs_xsrf_opt_out(content_type) {
                cmd.push("-H 'X-Atlassian-Token: no-check'".into());
            }
            cmd.push(format!(
                "--data-binary {}",
                shell_quote(&String::from_utf8_lossy(b))
            ));
        }
        cmd.push(shell_quote(placed.url.as_str()));
        cmd.join(" ")
    } else {
        signed.authorization()
    };
    crate::output::print_stdout(format!("{out}\n").as_bytes())
}
