//! The local gate: a client shows the proxy token as a bearer token or as
//! a basic-auth password, so that no other user of the machine can borrow
//! the login. The token is compared in constant time.

use crate::error::{Error, Result};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;
use subtle::ConstantTimeEq;

/// The proxy token, kept as its digest: comparing digests in constant time
/// hides the token's length as well as its bytes.
pub struct Gate {
    digest: [u8; 32],
}

impl Gate {
    pub fn new(token: &str) -> Gate {
        Gate {
            digest: Sha256::digest(token.as_bytes()).into(),
        }
    }

    /// Whether an `Authorization` header carries the token.
    pub fn admits(&self, authorization: Option<&[u8]>) -> bool {
        let Some(presented) = authorization.and_then(presented_token) else {
            return false;
        };
        let digest: [u8; 32] = Sha256::digest(&presented).into();
        digest.ct_eq(&self.digest).into()
    }
}

/// The token in `Bearer TOKEN`, or the password in `Basic base64(user:password)`
/// (schemes are case-insensitive, RFC 9110 §11.1).
fn presented_token(value: &[u8]) -> Option<Vec<u8>> {
    let value = std::str::from_utf8(value).ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.as_bytes().to_vec());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()?;
        let colon = decoded.iter().position(|b| *b == b':')?;
        return Some(decoded[colon + 1..].to_vec());
    }
    None
}

/// A new token: 128 bits from the OS's CSPRNG, as hex.
pub fn new_token() -> String {
    crate::client::new_nonce()
}

/// Where the token came from, for the start-up lines.
pub enum Source {
    File(std::path::PathBuf),
    Env,
    Generated,
}

/// The token from `--proxy-token-file` (created 0600 with a new token when
/// missing), else `JIRA_OAUTH_PROXY_TOKEN`, else a new one.
pub fn load(file: Option<&Path>) -> Result<(String, Source)> {
    if let Some(path) = file {
        return from_file(path).map(|t| (t, Source::File(path.to_path_buf())));
    }
    if let Ok(t) = std::env::var("JIRA_OAUTH_PROXY_TOKEN") {
        crate::config::check_token("proxy token in JIRA_OAUTH_PROXY_TOKEN", &t)?;
        return Ok((t.trim().to_string(), Source::Env));
    }
    Ok((new_token(), Source::Generated))
}

fn from_file(path: &Path) -> Result<String> {
    let shown = path.display();
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let token = text.trim();
            crate::config::check_token(&format!("proxy token in {shown}"), token)?;
            Ok(token.to_string())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let token = new_token();
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(path).map_err(|e| {
                Error::usage(format!(
                    "cannot create the proxy token file {shown}: {}",
                    crate::io_reason(&e)
                ))
            })?;
            writeln!(f, "{token}").map_err(|e| {
                Error::usage(format!(
                    "cannot write the proxy token file {shown}: {}",
                    crate::io_reason(&e)
                ))
            })?;
            Ok(token)
        }
        Err(e) => Err(Error::usage(format!(
            "cannot read the proxy token file {shown}: {}",
            crate::io_reason(&e)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_basic_password() {
        let g = Gate::new("s3cret");
        let basic = |s: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(s)
            )
        };
        assert!(g.admits(Some(b"Bearer s3cret")));
        assert!(g.admits(Some(b"bEaReR s3cret")));
        assert!(g.admits(Some(basic("anyone:s3cret").as_bytes())));
        assert!(g.admits(Some(basic(":s3cret").as_bytes())));
        assert!(!g.admits(Some(basic("s3cret:x").as_bytes())));
        assert!(!g.admits(Some(b"Bearer s3cre")));
        assert!(!g.admits(Some(b"Bearer")));
        assert!(!g.admits(None));
    }
}
