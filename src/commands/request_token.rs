//! `requestToken JIRA_BASE_URL`: a signed call to the request-token
//! endpoint ([RFC 5849 §2.1](https://www.rfc-editor.org/rfc/rfc5849#section-2.1)).

use super::{authorize_url, read_token};
use crate::cli::{Global, RequestTokenArgs};
use crate::config::{Config, Wants};
use crate::error::Result;
use crate::output::render;

pub fn run(g: &Global, a: &RequestTokenArgs) -> Result<()> {
    let config = Config::resolve(
        g,
        Wants {
            base: a.jira_base_url.as_deref(),
            ..Default::default()
        },
    )?;
    let base = config.base()?;
    let url = config.endpoint("/plugins/servlet/oauth/request-token")?;
    let client = config.client()?;
    let mut call = config.call(a.token_method.http(), url);
    call.callback = Some(a.callback.clone());
    call.token_call = true;
    let token = read_token(&client, &call)?;
    let authorize = authorize_url(base, &token.token);
    let text = format!(
        "Token is {}\nToken secret is {}\nRetrieved request token. go to {authorize}\n",
        token.token, token.token_secret
    );
    let json = serde_json::json!({
        "token": token.token,
        "token_secret": token.token_secret,
        "authorize_url": authorize,
    });
    let env = [
        ("JIRA_OAUTH_REQUEST_TOKEN", token.token.as_str()),
        (
            "JIRA_OAUTH_REQUEST_TOKEN_SECRET",
            token.token_secret.as_str(),
        ),
        ("JIRA_OAUTH_AUTHORIZE_URL", authorize.as_str()),
    ];
    crate::output::print_stdout(render(config.format, &text, &env, json).as_bytes())
}
