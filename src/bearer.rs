//! The bearer token a client sends (an OAuth 2.0 access token or a PAT,
//! RFC 6750 §2.1), kept fresh when it is a stored OAuth 2.0 login's: it is
//! refreshed when it has under a minute left, and after JIRA refuses it,
//! at most once per refused token (a token got by such a refresh and
//! refused too goes back as refused until JIRA takes one again). The
//! refresh itself, under the credentials lock with JIRA's rotating refresh
//! tokens, is `oauth2_client::refresh_stored`.
//!
//! Every method that may refresh blocks on I/O: the proxy calls them on
//! tokio's blocking pool. They refresh through a transport of their own,
//! used only through its blocking face: a connection it opened on its
//! runtime must never be pooled for the proxy's.

use crate::error::Result;
use crate::oauth2_client::{self, expires_soon as expiring};
use crate::transport::{self, Transport};
use std::sync::{Mutex, MutexGuard, OnceLock};

pub struct Bearer {
    current: Mutex<Current>,
    /// The stored OAuth 2.0 login the token comes from; none for a PAT,
    /// a token given in the environment, or one checked as it is.
    login: Option<Box<Login>>,
}

struct Login {
    base: String,
    options: transport::Options,
    transport: OnceLock<Transport>,
    /// One refresh at a time in this process (other processes wait on
    /// the credentials lock); requests never wait on it to read the token.
    refreshing: Mutex<()>,
}

#[derive(Clone)]
struct Current {
    token: String,
    expires_at: Option<u64>,
    /// Got by a refresh after a refusal, and not yet taken by JIRA.
    after_refusal: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Bearer {
    /// A token sent as it is, never refreshed.
    pub fn fixed(token: &str) -> Bearer {
        Bearer {
            current: Mutex::new(Current {
                token: token.to_string(),
                expires_at: None,
                after_refusal: false,
            }),
            login: None,
        }
    }

    /// The access token of the OAuth 2.0 login stored for `base`.
    pub fn stored(
        token: &str,
        expires_at: Option<u64>,
        base: &str,
        options: transport::Options,
    ) -> Bearer {
        Bearer {
            current: Mutex::new(Current {
                token: token.to_string(),
                expires_at,
                after_refusal: false,
            }),
            login: Some(Box::new(Login {
                base: base.to_string(),
                options,
                transport: OnceLock::new(),
                refreshing: Mutex::new(()),
            })),
        }
    }

    /// The token to send now.
    pub fn token(&self) -> String {
        lock(&self.current).token.clone()
    }

    /// Whether it can be refreshed at all.
    pub fn refreshable(&self) -> bool {
        self.login.is_some()
    }

    /// A refreshable token with under a minute left.
    pub fn due(&self) -> bool {
        self.login.is_some() && expiring(lock(&self.current).expires_at)
    }

    /// Refreshes the token if it is due. Blocks.
    pub fn refresh_if_due(&self) -> Result<()> {
        if self.due() {
            let spent = self.token();
            self.refresh(&spent, false)?;
        }
        Ok(())
    }

    /// After JIRA refused `sent`: refreshes it unless that was done for it
    /// already, and says whether a token is there to send again. Blocks.
    pub fn refresh_after_refusal(&self, sent: &str) -> Result<bool> {
        self.refresh(sent, true)
    }

    /// JIRA took `sent`: a later refusal of it may be refreshed again.
    pub fn accepted(&self, sent: &str) {
        let mut current = lock(&self.current);
        if current.after_refusal && current.token == sent {
            current.after_refusal = false;
        }
    }

    fn refresh(&self, spent: &str, refused: bool) -> Result<bool> {
        let Some(login) = &self.login else {
            return Ok(false);
        };
        let _one = lock(&login.refreshing);
        let now = lock(&self.current).clone();
        if now.token != spent {
            // Another request refreshed it meanwhile.
            return Ok(true);
        }
        if refused && now.after_refusal {
            return Ok(false);
        }
        if !refused && !expiring(now.expires_at) {
            return Ok(true);
        }
        let transport = match login.transport.get() {
            Some(t) => t,
            None => {
                let t = Transport::new(login.options.clone())?;
                login.transport.get_or_init(|| t)
            }
        };
        let entry = oauth2_client::refresh_stored(transport, &login.base, spent)?;
        *lock(&self.current) = Current {
            token: entry.token,
            expires_at: entry.oauth2.and_then(|o| o.expires_at),
            after_refusal: refused,
        };
        Ok(true)
    }
}
