//! The stored logins as `request` uses them: the token for a URL (longest
//! base-URL prefix), and the base URL for paths when only one is stored.

use crate::credentials::{Entry, Logins, Store};
use crate::error::{Error, Result};
use url::Url;

pub struct Stored {
    logins: Logins,
}

impl Stored {
    /// Reads the credentials file only when it is needed: for the token,
    /// or for the base URL of a path.
    pub fn for_request(need_token: bool, need_base: bool, targets: &[String]) -> Result<Stored> {
        let has_path = targets.iter().any(|t| t.trim_start().starts_with('/'));
        let logins = if need_token || (need_base && has_path) {
            Store::default_location()?.load()?
        } else {
            Logins::default()
        };
        if need_base && has_path && logins.logins.len() > 1 {
            return Err(Error::usage(format!(
                "a path needs a base URL, and several logins are stored: {}",
                logins.bases()
            ))
            .with_hint(
                "pass --base-url (or set JIRA_BASE_URL) to one of them, or give full URLs",
            ));
        }
        Ok(Stored { logins })
    }

    /// The base URL for paths: the only stored login's.
    pub fn only_base(&self) -> Option<String> {
        self.logins.only().map(|(b, _)| b.to_string())
    }

    /// The login every URL falls under.
    pub fn login_for(&self, urls: &[Url]) -> Result<&Entry> {
        let mut found: Option<(&str, &Entry)> = None;
        for url in urls {
            let hit = self.logins.lookup(url).ok_or_else(|| {
                Error::usage(format!(
                    "no access token: none given, JIRA_OAUTH_ACCESS_TOKEN is not set, \
                     and no login is stored for {url}"
                ))
                .with_hint(format!(
                    "run jira-oauth login {}, or give the token as the first argument",
                    url.origin().ascii_serialization()
                ))
            })?;
            match found {
                Some((base, _)) if base != hit.0 => {
                    return Err(Error::usage(format!(
                        "the URLs fall under different logins ({base} and {}); request them one login at a time",
                        hit.0
                    )))
                }
                _ => found = Some(hit),
            }
        }
        found
            .map(|(_, e)| e)
            .ok_or_else(|| Error::usage("no URL to request"))
    }
}
