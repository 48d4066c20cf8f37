//! `keygen`: a new RSA key pair for the consumer (JIRA's RSA-SHA1, RFC 5849
//! §3.4.3), and what to enter in JIRA's Application Link screens.

use crate::atomic_file;
use crate::cli::{Global, KeygenArgs};
use crate::error::{Error, Result};
use crate::keys::{fingerprint_sha256, public_key_pem};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::RsaPrivateKey;
use std::path::Path;

/// Below 2048 bits RSA is no longer considered safe (NIST SP 800-131A);
/// above 8192 generation takes minutes for no gain.
const MIN_BITS: usize = 2048;
const MAX_BITS: usize = 8192;

pub fn run(g: &Global, a: &KeygenArgs) -> Result<()> {
    if !(MIN_BITS..=MAX_BITS).contains(&a.bits) || !a.bits.is_multiple_of(8) {
        return Err(Error::usage(format!(
            "--bits {}: RSA keys here are {MIN_BITS} to {MAX_BITS} bits, a multiple of 8",
            a.bits
        )));
    }
    let dir = match &a.out {
        Some(d) => d.clone(),
        None => crate::config_dir().ok_or_else(|| {
            Error::usage("no home directory to write the keys to").with_hint("pass --out DIR")
        })?,
    };
    let private_path = dir.join("private.pem");
    let public_path = dir.join("public.pem");
    if !a.force {
        refuse_existing(&[&private_path, &public_path])?;
    }
    atomic_file::create_private_dir(&dir)?;

    let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, a.bits)
        .map_err(|e| Error::usage(format!("cannot generate an RSA key: {e}")))?;
    let private_pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| Error::usage(format!("cannot encode the private key: {e}")))?;
    let public_pem = public_key_pem(&key);

    // Both written before either is renamed, so that a failure to write one
    // leaves no mismatched pair (the other's temporary file is dropped).
    let private = atomic_file::prepare(&private_path, private_pem.as_bytes(), 0o600)?;
    let public = atomic_file::prepare(&public_path, public_pem.as_bytes(), 0o644)?;
    private.commit()?;
    public.commit()?;

    let consumer_key = g
        .consumer_key
        .as_deref()
        .unwrap_or(crate::config::DEFAULT_CONSUMER_KEY);
    let text = instructions(&key, &private_path, &public_path, &public_pem, consumer_key);
    crate::output::print_stdout(text.as_bytes())
}

/// Without --force, existing key files stay as they are.
fn refuse_existing(paths: &[&Path]) -> Result<()> {
    let existing: Vec<String> = paths
        .iter()
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if existing.is_empty() {
        return Ok(());
    }
    Err(Error::usage(format!(
        "{} already exists; nothing was written",
        existing.join(" and ")
    ))
    .with_hint(
        "pass --force to replace it (JIRA's Application Link then needs the new public key), \
         or --out another directory",
    ))
}

/// What was written, and what to enter in JIRA's Application Link.
fn instructions(
    key: &RsaPrivateKey,
    private_path: &Path,
    public_path: &Path,
    public_pem: &str,
    consumer_key: &str,
) -> String {
    let default_key = crate::config_dir().map(|d| d.join("private.pem"));
    let key_note = if default_key.as_deref() == Some(private_path) {
        "jira-oauth uses it by default.".to_string()
    } else {
        format!(
            "Use it with --private-key {0} or JIRA_OAUTH_PRIVATE_KEY={0}.",
            crate::output::shell_quote(&private_path.display().to_string())
        )
    };
    format!(
        "Wrote {private} (private key, mode 0600; keep it secret) and {public}.\n\
         {key_note}\n\
         Public key fingerprint: {fp}\n\
         \n\
         In JIRA, as an administrator: Administration > Applications > Application links.\n\
         Create a link to any URL (e.g. https://example.com), ignore the warning that no\n\
         response was received, and enter:\n\
         \x20 Application Name:         jira-oauth\n\
         \x20 Application Type:         Generic Application\n\
         \x20 (leave the other fields empty; tick \"Create incoming link\")\n\
         Then, in the Incoming Authentication (Link applications) screen:\n\
         \x20 Consumer Key:   {ck}\n\
         \x20 Consumer Name:  jira-oauth\n\
         \x20 Public Key:     the lines between the BEGIN and END lines below\n\
         (a consumer key of your own: run jira-oauth with --consumer-key KEY or\n\
         JIRA_OAUTH_CONSUMER_KEY=KEY, and enter that instead)\n\
         \n\
         {public_pem}",
        private = private_path.display(),
        public = public_path.display(),
        fp = fingerprint_sha256(key),
        ck = consumer_key,
    )
}
