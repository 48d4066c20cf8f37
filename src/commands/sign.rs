//! `sign METHOD URL`: the `Authorization` header (or the base string, or a
//! curl command) that a request would carry, for other tools to use.

use super::{check_token, keys};
use crate::cli::{Global, SignArgs};
use crate::client::{new_nonce, refuse_plaintext_in_clear, unix_time, FORM};
use crate::error::{Error, Result};
use crate::oauth::{self, AuthIn, Protocol};
use crate::output::shell_quote;
use crate::urls;
use std::time::SystemTime;

pub fn run(g: &Global, a: &SignArgs) -> Result<()> {
    let method = reqwest::Method::from_bytes(a.method.trim().to_ascii_uppercase().as_bytes())
        .map_err(|_| Error::usage(format!("'{}' is not an HTTP method", a.method)))?;
    let url = urls::parse(&a.url)?;
    refuse_plaintext_in_clear(g.signature_method, &url)?;
    if let Some(t) = &a.token {
        check_token("token", t)?;
    }
    let content_type = a.content_type.as_deref().unwrap_or(FORM);
    let is_form = content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(FORM));
    let form = a.data.as_deref().filter(|_| is_form).map(str::as_bytes);

    let protocol = Protocol {
        consumer_key: g.consumer_key.clone(),
        token: a.token.clone(),
        callback: a.callback.clone(),
        verifier: a.verifier.clone(),
        timestamp: a.timestamp.unwrap_or_else(|| unix_time(SystemTime::now())),
        nonce: a.nonce.clone().unwrap_or_else(new_nonce),
    };
    let keys = keys(g)?;
    let token_secret = g.token_secret.as_deref().unwrap_or_default();
    let signed = oauth::sign(
        method.as_str(),
        &url,
        form,
        &protocol,
        &keys.signer(token_secret),
    );

    let out = if a.base_string {
        signed.base_string.clone()
    } else if a.curl {
        let mut cmd = vec!["curl".to_string()];
        if method != reqwest::Method::GET || a.data.is_some() {
            cmd.push(format!("-X {method}"));
        }
        let target = match g.auth_in {
            AuthIn::Query => signed.url_with_params(&url),
            _ => url.clone(),
        };
        let mut body = a.data.clone().map(String::into_bytes);
        match g.auth_in {
            AuthIn::Header => cmd.push(format!(
                "-H {}",
                shell_quote(&format!("Authorization: {}", signed.authorization()))
            )),
            AuthIn::Query => {}
            AuthIn::Body => {
                body = Some(signed.body_with_params(body.as_deref().unwrap_or_default()))
            }
        }
        if let Some(b) = body {
            cmd.push(format!(
                "-H {}",
                shell_quote(&format!("Content-Type: {content_type}"))
            ));
            cmd.push(format!(
                "--data-binary {}",
                shell_quote(&String::from_utf8_lossy(&b))
            ));
        }
        cmd.push(shell_quote(target.as_str()));
        cmd.join(" ")
    } else {
        signed.authorization()
    };
    crate::print_stdout(format!("{out}\n").as_bytes())
}
