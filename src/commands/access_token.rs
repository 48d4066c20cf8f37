//! `accessToken JIRA_BASE_URL REQUEST_TOKEN TOKEN_SECRET VERIFIER`: swaps an
//! approved request token for an access token
//! ([RFC 5849 §2.3](https://www.rfc-editor.org/rfc/rfc5849#section-2.3)).

use super::read_token;
use crate::cli::{AccessTokenArgs, Global};
use crate::config::{check_token, Config, Wants};
use crate::error::Result;
use crate::output::render;

pub fn run(g: &Global, a: &AccessTokenArgs) -> Result<()> {
    check_token("request token", &a.request_token)?;
    check_token("verifier", &a.verifier)?;
    let config = Config::resolve(
        g,
        Wants {
            base: Some(&a.jira_base_url),
            ..Default::default()
        },
    )?;
    let url = config.endpoint("/plugins/servlet/oauth/access-token")?;
    let client = config.client()?;
    let mut call = config.call(a.token_method.http(), url);
    call.token = Some(a.request_token.trim().to_string());
    call.token_secret = a.request_token_secret.clone();
    call.verifier = Some(a.verifier.trim().to_string());
    call.token_call = true;
    let token = read_token(&client, &call)?;

    let text = format!("Access token is : {}\n", token.token);
    let mut json = serde_json::json!({
        "token": token.token,
        "token_secret": token.token_secret,
    });
    for (name, value) in [
        ("expires_in", &token.expires_in),
        ("authorization_expires_in", &token.authorization_expires_in),
        ("session_handle", &token.session_handle),
    ] {
        if let Some(v) = value {
            json[name] = serde_json::Value::String(v.clone());
        }
    }
    let env = [
        ("JIRA_OAUTH_ACCESS_TOKEN", token.token.as_str()),
        (
            "JIRA_OAUTH_ACCESS_TOKEN_SECRET",
            token.token_secret.as_str(),
        ),
    ];
    crate::output::print_stdout(render(config.format, &text, &env, json).as_bytes())
}
