//! `pubkey`: the public half of the configured key, what JIRA's Application
//! Link wants pasted, and its fingerprint to compare with.

use super::private_key_path;
use crate::cli::Global;
use crate::error::Result;
use crate::keys;

pub fn run(g: &Global) -> Result<()> {
    let path = private_key_path(g)?;
    let key = keys::load_private_key(&path, &mut keys::EnvOrTty)?;
    let out = format!(
        "{}{}\n",
        keys::public_key_pem(&key),
        keys::fingerprint_sha256(&key)
    );
    crate::print_stdout(out.as_bytes())
}
