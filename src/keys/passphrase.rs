//! Where an encrypted key's passphrase comes from.

use crate::error::{Error, Result};

/// The environment variable an encrypted key's passphrase is taken from.
pub const PASSPHRASE_ENV: &str = "JIRA_OAUTH_KEY_PASSPHRASE";

/// Where the passphrase of an encrypted key comes from; asked only when the key is encrypted.
pub trait PassphraseSource {
    fn passphrase(&mut self, key_path: &str) -> Result<Option<String>>;
}

/// Env `JIRA_OAUTH_KEY_PASSPHRASE`, else a no-echo prompt on the terminal when there is one, else None.
pub struct EnvOrTty;

impl PassphraseSource for EnvOrTty {
    fn passphrase(&mut self, key_path: &str) -> Result<Option<String>> {
        // An empty variable counts as unset: scripts often export VAR= to clear it.
        if let Some(value) = std::env::var_os(PASSPHRASE_ENV).filter(|v| !v.is_empty()) {
            return value.into_string().map(Some).map_err(|_| {
                Error::usage(format!("{PASSPHRASE_ENV} is not valid UTF-8"))
                    .with_hint("set it to the key's passphrase as text")
            });
        }
        if !has_terminal() {
            return Ok(None);
        }
        // rpassword restores the echo when it returns, not on Ctrl-C's exit.
        let _guard = crate::interrupt::TerminalGuard::save();
        rpassword::prompt_password(format!("Passphrase for {key_path}: "))
            .map(Some)
            .map_err(|e| {
                Error::usage(format!("cannot read the passphrase for {key_path}: {e}"))
                    .with_hint(format!("set {PASSPHRASE_ENV} instead"))
            })
    }
}

#[cfg(unix)]
fn has_terminal() -> bool {
    // rpassword prompts on /dev/tty, so that is the terminal that matters, not stdin.
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}

#[cfg(not(unix))]
fn has_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal()
}

/// A fixed passphrase or none (tests, fuzzing).
pub struct Fixed(pub Option<String>);

impl PassphraseSource for Fixed {
    fn passphrase(&mut self, _key_path: &str) -> Result<Option<String>> {
        Ok(self.0.clone())
    }
}
