//! `token [BASE]`: a bearer token that works now, for other tools
//! (`curl -H "Authorization: Bearer $(jira-oauth token)"`).

use crate::cli::{Global, TokenArgs};
use crate::config::env_pat;
use crate::credentials::{Entry, Kind, Store};
use crate::error::{Error, Result};
use crate::urls;

pub fn run(g: &Global, a: &TokenArgs) -> Result<()> {
    // JIRA_OAUTH_PAT comes before any stored login.
    if let Some(pat) = env_pat()? {
        return print(&pat);
    }
    let store = Store::default_location()?;
    let logins = store.load()?;
    let named = a.jira_base_url.as_deref().or(g.base_url.as_deref());
    let (base, entry): (String, Entry) = match named {
        Some(b) => {
            let base = urls::normalize_base(b)?;
            let entry = logins.logins.get(&base).cloned().ok_or_else(|| {
                Error::usage(format!("no login is stored for {base}")).with_hint(format!(
                    "run jira-oauth login {base} --pat (or --oauth2), or set JIRA_OAUTH_PAT"
                ))
            })?;
            (base, entry)
        }
        None => match logins.logins.len() {
            0 => {
                return Err(Error::usage(
                    "no bearer token: JIRA_OAUTH_PAT is not set and no login is stored",
                )
                .with_hint("run jira-oauth login JIRA_BASE_URL --pat (or --oauth2)"))
            }
            1 => {
                let (b, e) = logins.only().expect("one login");
                (b.to_string(), e.clone())
            }
            _ => {
                return Err(Error::usage(format!(
                    "several logins are stored, and none is named: {}",
                    logins.bases()
                ))
                .with_hint("name one: jira-oauth token JIRA_BASE_URL"))
            }
        },
    };
    match entry.kind {
        Kind::Oauth1 => Err(Error::usage(format!(
            "the login stored for {base} is OAuth 1.0a, which has no bearer token: each \
             request is signed"
        ))
        .with_hint(
            "print a signed Authorization header with jira-oauth sign METHOD URL, or run \
             jira-oauth proxy for tools that cannot sign",
        )),
        Kind::Pat => print(entry.token.trim()),
        Kind::Oauth2 if crate::oauth2_client::expiring(&entry) => {
            // Under a minute left: refreshed first (under the lock).
            let config = crate::config::Config::resolve(g, Default::default())?;
            let transport = crate::transport::Transport::new(config.transport.clone())?;
            let fresh = crate::oauth2_client::refresh_stored(&transport, &base, &entry.token)?;
            print(&fresh.token)
        }
        Kind::Oauth2 => print(entry.token.trim()),
    }
}

fn print(token: &str) -> Result<()> {
    crate::output::print_stdout(format!("{token}\n").as_bytes())
}
