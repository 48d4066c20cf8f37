//! `GET /rest/api/2/myself`: whom JIRA takes the credentials for. The one
//! check that `login`, `whoami` and `doctor` make of a token.

use crate::answers::SMALL_BODY;
use crate::client::{Call, Client};
use crate::error::{Error, Result};
use crate::problem;
use std::fmt;

pub const PATH: &str = "/rest/api/2/myself";

/// The user JIRA answered for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Me {
    pub display_name: String,
    /// Server and Data Center's `name`; Cloud has only an `accountId`.
    pub name: String,
}

impl fmt::Display for Me {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.display_name, self.name)
    }
}

/// Sends `call` (a GET of [`PATH`] with the token to check). An answer
/// served to `anonymous` means JIRA ignored the credentials: refused.
pub fn myself(client: &Client, call: &Call) -> Result<Me> {
    let (resp, ctx) = client.send_unchecked(call)?;
    if resp.status().is_success() && problem::answered_anonymously(resp.headers()) {
        if ctx.bearer {
            return Err(problem::bearer_refused(&ctx, "answered as 'anonymous'"));
        }
        return Err(Error::oauth(format!(
            "{} answered as 'anonymous': JIRA ignored the signature",
            call.url
        ))
        .with_hint(
            "check that OAuth is enabled on the Application Link, then run jira-oauth login again",
        ));
    }
    let mut resp = client.check(resp, &ctx, call)?;
    let body = client.read_body(&mut resp, Some(SMALL_BODY))?;
    let v: serde_json::Value = serde_json::from_slice(&body).map_err(|_| {
        Error::http(format!(
            "{} did not answer with JSON: {}",
            call.url,
            problem::snippet(&body)
        ))
    })?;
    let field = |k: &str| v.get(k).and_then(|x| x.as_str());
    Ok(Me {
        display_name: field("displayName").unwrap_or("?").to_string(),
        name: field("name")
            .or_else(|| field("accountId"))
            .unwrap_or("?")
            .to_string(),
    })
}
