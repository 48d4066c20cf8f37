//! JIRA's OAuth 1.0a token store: request and access tokens, the user's
//! approval, and the state file that keeps them across restarts.

use super::{random, Shared, ACCESS_TOKEN_LIFETIME, REQUEST_TOKEN_LIFETIME};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write as _};
use std::path::Path;
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Kind {
    Request,
    Access,
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Approval {
    Pending,
    Approved,
    Denied,
}

#[derive(Serialize, Deserialize)]
pub(super) struct Token {
    pub(super) kind: Kind,
    pub(super) consumer: String,
    pub(super) secret: String,
    /// None for `oob` (an OAuth 1.0 token, whose verifier is not checked).
    pub(super) callback: Option<String>,
    pub(super) verifier: Option<String>,
    pub(super) approval: Approval,
    pub(super) issued_at: i64,
    pub(super) used: bool,
    pub(super) revoked: bool,
}

impl Token {
    pub(super) fn expired(&self, now: i64) -> bool {
        let life = match self.kind {
            Kind::Request => REQUEST_TOKEN_LIFETIME,
            Kind::Access => ACCESS_TOKEN_LIFETIME,
        };
        now - self.issued_at > life
    }
}

/// The state file: every token, by its value.
#[derive(Serialize, Deserialize)]
struct State<T> {
    tokens: T,
}

/// Writes the tokens (sorted, for a stable file) atomically: a temporary
/// file in the same folder (mode 0600: it holds secrets), then a rename.
fn write_state(path: &Path, tokens: &HashMap<String, Token>) -> io::Result<()> {
    let sorted: BTreeMap<&String, &Token> = tokens.iter().collect();
    let mut text = serde_json::to_vec_pretty(&State { tokens: sorted })?;
    text.push(b'\n');
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(&text)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

impl Shared {
    /// Reads the state file's tokens (none when it does not exist yet) and
    /// writes it back, so that an unwritable place fails at start. Returns
    /// how many tokens it held.
    pub fn load_state(&self) -> io::Result<usize> {
        let Some(path) = &self.state_file else {
            return Ok(0);
        };
        let tokens: HashMap<String, Token> = match std::fs::read(path) {
            Ok(bytes) => {
                serde_json::from_slice::<State<_>>(&bytes)
                    .map_err(|e| {
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("{}: not a mock-jira state file: {e}", path.display()),
                        )
                    })?
                    .tokens
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
        };
        let n = tokens.len();
        let mut inner = self.lock();
        inner.tokens = tokens;
        write_state(path, &inner.tokens)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        Ok(n)
    }

    /// Changes the tokens, then saves them to the state file, if any.
    pub(super) fn with_tokens<R>(&self, f: impl FnOnce(&mut HashMap<String, Token>) -> R) -> R {
        let mut inner = self.lock();
        let r = f(&mut inner.tokens);
        if let Some(path) = &self.state_file {
            // Under the lock, so that writes land in the order of the changes.
            if let Err(e) = write_state(path, &inner.tokens) {
                eprintln!("mock-jira: cannot save {}: {e}", path.display());
            }
        }
        r
    }

    pub fn approve(&self, token: &str) -> Option<String> {
        self.with_tokens(|tokens| {
            let t = tokens.get_mut(token).filter(|t| t.kind == Kind::Request)?;
            t.approval = Approval::Approved;
            // JIRA keeps the verifier it first showed.
            Some(t.verifier.get_or_insert_with(|| random(6)).clone())
        })
    }

    pub fn deny(&self, token: &str) -> Option<()> {
        self.with_tokens(|tokens| {
            let t = tokens.get_mut(token).filter(|t| t.kind == Kind::Request)?;
            t.approval = Approval::Denied;
            Some(())
        })
    }

    pub fn issue_access_token(&self, consumer: &str) -> (String, String) {
        let now = self.now();
        self.new_token(Kind::Access, consumer, None, now)
    }

    pub fn add_access_token(&self, consumer: &str, token: &str, secret: &str) {
        let now = self.now();
        let (t, _) = self.new_token(Kind::Access, consumer, None, now);
        self.with_tokens(|tokens| {
            let mut tok = tokens.remove(&t).expect("just issued");
            tok.secret = secret.to_string();
            tokens.insert(token.to_string(), tok);
        });
    }

    pub(super) fn new_token(
        &self,
        kind: Kind,
        consumer: &str,
        callback: Option<String>,
        now: i64,
    ) -> (String, String) {
        let (token, secret) = (random(32), random(32));
        let t = Token {
            kind,
            consumer: consumer.to_string(),
            secret: secret.clone(),
            callback,
            verifier: None,
            approval: if kind == Kind::Access {
                Approval::Approved
            } else {
                Approval::Pending
            },
            issued_at: now,
            used: false,
            revoked: false,
        };
        self.with_tokens(|tokens| tokens.insert(token.clone(), t));
        (token, secret)
    }

    pub fn expire_token(&self, token: &str) {
        self.with_tokens(|tokens| {
            if let Some(t) = tokens.get_mut(token) {
                t.issued_at = i64::MIN / 2;
            }
        });
    }

    pub fn revoke_token(&self, token: &str) {
        self.with_tokens(|tokens| {
            if let Some(t) = tokens.get_mut(token) {
                t.revoked = true;
            }
        });
    }

    pub fn age_tokens(&self, secs: i64) {
        self.with_tokens(|tokens| {
            for t in tokens.values_mut() {
                t.issued_at -= secs;
            }
        });
    }
}
