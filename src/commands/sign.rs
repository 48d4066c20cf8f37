//! `sign METHOD URL`: the `Authorization` header (or the base string, or a
//! curl command) that a request would carry, for other tools to use.

use super::{check_token, keys};
use crate::body::{self, Body, FORM};
use crate::cli::{Global, SignArgs};
use crate::client::{new_nonce, refuse_plaintext_in_clear, unix_time};
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
    let body = a
        .data
        .as_ref()
        .map(|d| Body::new(a.content_type.clone(), d.clone().into_bytes()));
    if a.curl {
        body::check_auth_in(g.auth_in, &method, body.as_ref())?;
    }

    let protocol = Protocol {
        consumer_key: g.consumer_key.clone(),
        token: a.token.clone(),
        callback: a.callback.clone(),
        verifier: a.verifier.clone(),
        timestamp: a.timestamp.unwrap_or_else(|| unix_time(SystemTime::now())),
        nonce: a.nonce.clone().unwrap_or_else(new_nonce),
    };
    let keys = keys(g, false)?;
    let token_secret = g.token_secret.as_deref().unwrap_or_default();
    let signed = oauth::sign(
        method.as_str(),
        &url,
        body::signed_form(&method, body.as_ref()),
        &protocol,
        &keys.signer(token_secret),
    );

    let out = if a.base_string {
        signed.base_string.clone()
    } else if a.curl {
        let mut cmd = vec!["curl".to_string()];
        if method != reqwest::Method::GET || body.is_some() {
            cmd.push(format!("-X {method}"));
        }
        let target = match g.auth_in {
            AuthIn::Query => signed.url_with_params(&url),
            _ => url.clone(),
        };
        let mut sent = body.clone();
        match g.auth_in {
            AuthIn::Header => cmd.push(format!(
                "-H {}",
                shell_quote(&format!("Authorization: {}", signed.authorization()))
            )),
            AuthIn::Query => {}
            AuthIn::Body => {
                // A POST with a form body or none: checked above.
                let existing = body.as_ref().map(|b| b.bytes.as_slice());
                sent = Some(Body {
                    content_type: body
                        .as_ref()
                        .map_or(FORM.into(), |b| b.content_type.clone()),
                    bytes: signed.body_with_params(existing.unwrap_or_default()),
                });
            }
        }
        if let Some(b) = sent {
            cmd.push(format!(
                "-H {}",
                shell_quote(&format!("Content-Type: {}", b.content_type))
            ));
            if body::needs_xsrf_opt_out(&b.content_type) {
                cmd.push("-H 'X-Atlassian-Token: no-check'".into());
            }
            cmd.push(format!(
                "--data-binary {}",
                shell_quote(&String::from_utf8_lossy(&b.bytes))
            ));
        }
        cmd.push(shell_quote(target.as_str()));
        cmd.join(" ")
    } else {
        signed.authorization()
    };
    crate::print_stdout(format!("{out}\n").as_bytes())
}
