//! `pubkey`: the public half of the configured key, what JIRA's Application
//! Link wants pasted, and its fingerprint to compare with.

use crate::cli::Global;
use crate::error::Result;
use crate::keys;

pub fn run(g: &Global) -> Result<()> {
    let key = super::key_only(g)?.load_private_key()?;
    let out = format!(
        "{}{}\n",
        keys::public_key_pem(&key),
        keys::fingerprint_sha256(&key)
    );
    crate::output::print_stdout(out.as_bytes())
}
