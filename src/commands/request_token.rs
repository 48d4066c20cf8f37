//! `requestToken JIRA_BASE_URL`: a signed call to the request-token
//! endpoint ([RFC 5849 §2.1](https://www.rfc-editor.org/rfc/rfc5849#section-2.1)).

use super::{authorize_url, client, read_token, token_method};
use crate::cli::{Global, TokenMethod};
use crate::client::Call;
use crate::error::Result;
use crate::output::render;
use crate::urls;

pub fn run(g: &Global, base: &str, callback: &str, method: TokenMethod) -> Result<()> {
    let base = urls::normalize_base(base)?;
    let url = urls::endpoint(&base, "/plugins/servlet/oauth/request-token")?;
    let client = client(g, &[], &[&url])?;
    let mut call = Call::new(token_method(method), url);
    call.callback = Some(callback.to_string());
    call.token_call = true;
    let token = read_token(&client, &call)?;
    let authorize = authorize_url(&base, &token.token);
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
    crate::print_stdout(render(g.format, &text, &env, json).as_bytes())
}
