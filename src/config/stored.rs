//! The stored login a command falls back on: the only one for a base URL,
//! the one whose base URL a URL falls under for a token.

use super::{check_token, Token, TokenWant, Wants};
use crate::cli::Global;
use crate::credentials::{Entry, Kind, Logins};
use crate::error::{Error, Result};
use crate::urls;
use url::Url;

/// The only stored login's base URL; several are ambiguous when one must
/// be chosen (for a path, or for its token).
pub(super) fn only_base(logins: &Logins, must_choose: bool) -> Result<Option<String>> {
    if must_choose && logins.logins.len() > 1 {
        return Err(Error::usage(format!(
            "several logins are stored, and none is named: {}",
            logins.bases()
        ))
        .with_hint(
            "name one (as the argument, or with --base-url or JIRA_BASE_URL), or give full URLs",
        ));
    }
    Ok(logins.only().map(|(b, _)| b.to_string()))
}

/// The token of the stored login that every URL (or the base URL) falls
/// under, when this command can use it.
pub(super) fn stored_token(
    g: &Global,
    logins: &Logins,
    wants: Wants<'_>,
    resolved: &[Url],
    base: Option<&str>,
) -> Result<Option<Token>> {
    let required = matches!(wants.token, TokenWant::Required(_));
    let base_url = base.map(urls::parse).transpose()?;
    let looked_up: Vec<&Url> = if resolved.is_empty() {
        base_url.iter().collect()
    } else {
        resolved.iter().collect()
    };
    // The request-token call never carries a token.
    if looked_up
        .iter()
        .any(|u| u.path().ends_with("/plugins/servlet/oauth/request-token"))
    {
        return Ok(None);
    }
    match login_for(logins, &looked_up, required)? {
        Some((base, entry)) => usable(g, wants, base, entry, required),
        None => Ok(None),
    }
}

/// The one login the URLs fall under (longest base URL first).
fn login_for<'a>(
    logins: &'a Logins,
    looked_up: &[&Url],
    required: bool,
) -> Result<Option<(&'a str, &'a Entry)>> {
    let mut found: Option<(&str, &Entry)> = None;
    for url in looked_up {
        let Some(hit) = logins.lookup(url) else {
            if !required {
                return Ok(None);
            }
            return Err(Error::usage(format!(
                "no access token: none given, JIRA_OAUTH_ACCESS_TOKEN is not set, \
                 and no login is stored for {url}"
            ))
            .with_hint(format!(
                "run jira-oauth login {}, or give the token as the first argument",
                url.origin().ascii_serialization()
            )));
        };
        match found {
            Some((b, _)) if b != hit.0 => {
                return Err(Error::usage(format!(
                    "the URLs fall under different logins ({b} and {}); request them one login at a time",
                    hit.0
                )))
            }
            _ => found = Some(hit),
        }
    }
    if found.is_none() && required {
        return Err(Error::usage(
            "no access token: none given, JIRA_OAUTH_ACCESS_TOKEN \
             is not set, and no login is stored",
        )
        .with_hint("run jira-oauth login JIRA_BASE_URL, or give the token as the first argument"));
    }
    Ok(found)
}

/// The stored login's token, if this command may sign with it: a bearer
/// login only where a bearer serves, an OAuth 1.0a one only with the
/// consumer key it was obtained with.
fn usable(
    g: &Global,
    wants: Wants<'_>,
    base: &str,
    entry: &Entry,
    required: bool,
) -> Result<Option<Token>> {
    if entry.kind.is_bearer() && !wants.bearer {
        if !required {
            return Ok(None);
        }
        return Err(Error::usage(format!(
            "the login stored for {base} is {}, and this command signs with OAuth 1.0a",
            entry.kind.describe()
        ))
        .with_hint("send requests with jira-oauth request, or print the bearer token with jira-oauth token"));
    }
    if let Some(k) = g
        .consumer_key
        .as_deref()
        .filter(|k| *k != entry.consumer_key && entry.kind == Kind::Oauth1)
    {
        if !required {
            return Ok(None);
        }
        return Err(Error::usage(format!(
            "the login stored for {base} was made with consumer key '{}', not '{k}'",
            entry.consumer_key
        ))
        .with_hint(format!(
            "drop --consumer-key (and JIRA_OAUTH_CONSUMER_KEY), or run jira-oauth login {base} --consumer-key {k}"
        )));
    }
    check_token("stored access token", &entry.token)?;
    Ok(Some(Token {
        kind: entry.kind,
        token: entry.token.trim().to_string(),
        secret: g
            .token_secret
            .clone()
            .unwrap_or_else(|| entry.token_secret.clone()),
        stored_for: Some(base.to_string()),
        expires_at: entry
            .oauth2
            .as_ref()
            .filter(|_| entry.kind == Kind::Oauth2)
            .and_then(|o| o.expires_at),
    }))
}
