//! `login BASE --pat`: a personal access token (JIRA Data Center 8.14+),
//! checked with `/rest/api/2/myself` and stored as a login of kind `pat`.
//! Never taken from the command line (shell history, `ps`).

use crate::config::{check_token, env_pat, Config, Token};
use crate::credentials::{self, Entry, Kind, Store};
use crate::error::{Error, Result};
use crate::myself::{self, myself};
use reqwest::Method;
use std::io::{IsTerminal, Read};

/// Checks the PAT against `config`'s base URL and stores it.
pub fn login(mut config: Config) -> Result<()> {
    let base = config.base()?.to_string();
    let store = Store::default_location()?;
    // A broken credentials file stops us before anything is sent.
    store.load()?;
    let pat = read_pat()?;
    config.transport.redact.push(pat.clone());
    config.token = Some(Token {
        kind: Kind::Pat,
        token: pat.clone(),
        secret: String::new(),
        stored_for: None,
        expires_at: None,
    });
    let url = config.endpoint(myself::PATH)?;
    let me = myself(&config.client()?, &config.call(Method::GET, url))?;
    let entry = Entry {
        kind: Kind::Pat,
        token: pat,
        obtained_at: credentials::now_rfc3339(),
        ..Default::default()
    };
    store.update(|l| l.logins.insert(base.clone(), entry))?;
    crate::output::print_stdout(
        format!("Logged in to {base} as {me} with a personal access token\n").as_bytes(),
    )
}

/// `JIRA_OAUTH_PAT`, else stdin when it is not a terminal, else a prompt
/// on the terminal that does not echo.
fn read_pat() -> Result<String> {
    if let Some(pat) = env_pat()? {
        return Ok(pat);
    }
    let pat = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Personal access token (not shown): ")
            .map_err(|e| Error::usage(format!("cannot read the personal access token: {e}")))?
    } else {
        let mut text = String::new();
        std::io::stdin()
            .take(64 * 1024)
            .read_to_string(&mut text)
            .map_err(|e| {
                Error::usage(format!(
                    "cannot read the personal access token from stdin: {}",
                    crate::io_reason(&e)
                ))
            })?;
        text
    };
    if pat.trim().is_empty() {
        return Err(
            Error::usage("no personal access token was given").with_hint(
                "set JIRA_OAUTH_PAT, pipe it in, or type it at the prompt; JIRA makes one under \
             profile, Personal Access Tokens",
            ),
        );
    }
    // One line, its end (a pipe's, the prompt's) dropped.
    let pat = pat.trim();
    check_token("personal access token", pat)?;
    Ok(pat.to_string())
}
