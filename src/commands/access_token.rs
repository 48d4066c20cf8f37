//! `accessToken JIRA_BASE_URL REQUEST_TOKEN TOKEN_SECRET VERIFIER`: swaps an
//! approved request token for an access token
//! ([RFC 5849 §2.3](https://www.rfc-editor.org/rfc/rfc5849#section-2.3)).

use super::{check_token, client, read_token, token_method};
use crate::cli::{Global, TokenMethod};
use crate::client::Call;
use crate::error::Result;
use crate::output::render;
use crate::urls;

pub fn run(
    g: &Global,
    base: &str,
    request_token: &str,
    request_secret: &str,
    verifier: &str,
    method: TokenMethod,
) -> Result<()> {
    let base = urls::normalize_base(base)?;
    check_token("request token", request_token)?;
    check_token("verifier", verifier)?;
    let url = urls::endpoint(&base, "/plugins/servlet/oauth/access-token")?;
    let client = client(g, &[request_secret], &[&url])?;
    let mut call = Call::new(token_method(method), url);
    call.token = Some(request_token.trim().to_string());
    call.token_secret = request_secret.to_string();
    call.verifier = Some(verifier.trim().to_string());
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
    crate::print_stdout(render(g.format, &text, &env, json).as_bytes())
}
