//! A token given by the user: as an argument, in `JIRA_OAUTH_ACCESS_TOKEN`,
//! or (where a bearer serves) a PAT in `JIRA_OAUTH_PAT`.

use super::TokenWant;
use crate::credentials::Kind;
use crate::error::{Error, Result};

/// The token given as an argument, else in `JIRA_OAUTH_ACCESS_TOKEN`,
/// else (where a bearer serves) a PAT in `JIRA_OAUTH_PAT`; checked to be
/// one non-blank line.
pub(super) fn given_token(want: TokenWant<'_>, bearer: bool) -> Result<Option<(Kind, String)>> {
    let arg = match want {
        TokenWant::Unused => return Ok(None),
        TokenWant::Required(a) | TokenWant::Optional(a) => a,
    };
    let token = arg
        .map(str::to_string)
        .or_else(|| std::env::var("JIRA_OAUTH_ACCESS_TOKEN").ok());
    if let Some(t) = token {
        check_token("access token", &t)?;
        return Ok(Some((Kind::Oauth1, t.trim().to_string())));
    }
    if bearer {
        if let Some(pat) = env_pat()? {
            return Ok(Some((Kind::Pat, pat)));
        }
    }
    Ok(None)
}

/// `JIRA_OAUTH_PAT`, checked and trimmed, when it is set.
pub fn env_pat() -> Result<Option<String>> {
    match std::env::var("JIRA_OAUTH_PAT") {
        Ok(t) => {
            check_token("personal access token in JIRA_OAUTH_PAT", &t)?;
            Ok(Some(t.trim().to_string()))
        }
        Err(_) => Ok(None),
    }
}

/// A token given on the command line: not blank, one line.
pub fn check_token(what: &str, token: &str) -> Result<()> {
    if token.trim().is_empty() {
        return Err(Error::usage(format!("the {what} is empty")));
    }
    if token.chars().any(char::is_control) {
        return Err(
            Error::usage(format!("the {what} holds a control character (a newline?)"))
                .with_hint("copy the value alone, without line breaks"),
        );
    }
    Ok(())
}
