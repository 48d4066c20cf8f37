//! Loading the consumer's RSA private key, the one whose public key sits in
//! JIRA's Application Link, in whatever form users are likely to have it.
//!
//! Accepted: PEM PKCS#8, PEM PKCS#1, encrypted PKCS#8 (PBES2), bare base64 of
//! PKCS#8 DER (the Java sample's form) and raw DER. Everything else is refused
//! with a usage error that names the file, says what it holds and how to fix it.
//! No message ever carries key material or the passphrase.
//!
//! Here: the public API and the way from a path to a key. The forms a file
//! comes in each have a module: `pem` (armoured blocks), `der_shape` (binary
//! DER told apart by its structure), `text` (text that is not PEM), `openssh`;
//! `pkcs` decodes the forms that can hold an RSA key, `refusals` holds the words of the
//! refusals the forms share, `passphrase` and `file_mode` serve the callers.

use std::io::Read;
use std::path::Path;

use base64::Engine;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::RsaPrivateKey;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

mod der_shape;
mod file_mode;
mod openssh;
mod passphrase;
mod pem;
mod pkcs;
mod refusals;
mod text;

pub use file_mode::permission_warning;
pub use passphrase::{EnvOrTty, Fixed, PassphraseSource, PASSPHRASE_ENV};

use refusals::{quote, FORMATS_HINT};

/// Key files are a few kilobytes; anything bigger is the wrong file.
const MAX_KEY_FILE: u64 = 1 << 20;

/// Reads the key file, then [`parse_private_key`].
pub fn load_private_key(path: &Path, pass: &mut dyn PassphraseSource) -> Result<RsaPrivateKey> {
    let name = path.display().to_string();
    let bytes = read_key_file(path, &name)?;
    parse_private_key(&bytes, &name, pass)
}

/// Parses a private key in any accepted form. `name` names the source in messages.
/// Pure except for the passphrase callback, which is called only for an encrypted key.
pub fn parse_private_key(
    bytes: &[u8],
    name: &str,
    pass: &mut dyn PassphraseSource,
) -> Result<RsaPrivateKey> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.trim_ascii().is_empty() {
        return Err(
            Error::usage(format!("private key file {name} is empty")).with_hint(FORMATS_HINT)
        );
    }
    if find(bytes, b"-----BEGIN ").is_some() {
        return pem::from_pem(bytes, name, pass);
    }
    if !is_text(bytes) {
        return der_shape::from_binary(bytes, name, pass);
    }
    text::from_text(bytes.trim_ascii(), name, pass)
}

/// The public key as SPKI PEM (`BEGIN PUBLIC KEY`), what JIRA's Application Link wants.
pub fn public_key_pem(key: &RsaPrivateKey) -> String {
    key.to_public_key()
        .to_public_key_pem(LineEnding::LF)
        // Only fails for a key with no DER form, which a parsed or generated key always has.
        .expect("SPKI PEM of a valid RSA key")
}

/// SHA-256 of the SPKI DER, as `SHA256:<base64 without padding>` like ssh prints.
pub fn fingerprint_sha256(key: &RsaPrivateKey) -> String {
    let der = key
        .to_public_key()
        .to_public_key_der()
        .expect("SPKI DER of a valid RSA key");
    let digest = Sha256::digest(der.as_bytes());
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    )
}

fn read_key_file(path: &Path, name: &str) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(&e, name))?;
    if meta.is_dir() {
        return Err(
            Error::usage(format!("private key {name} is a directory, not a file")).with_hint(
                format!(
                    "give the path of the key file itself, e.g. {}",
                    quote(&format!("{name}/private.pem"))
                ),
            ),
        );
    }
    let file = std::fs::File::open(path).map_err(|e| io_error(&e, name))?;
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(&e, name))?;
    if bytes.len() as u64 > MAX_KEY_FILE {
        return Err(Error::usage(format!(
            "private key file {name} is over 1 MiB, too large to be a key"
        ))
        .with_hint(FORMATS_HINT));
    }
    Ok(bytes)
}

fn io_error(e: &std::io::Error, name: &str) -> Error {
    match e.kind() {
        std::io::ErrorKind::NotFound => Error::usage(format!("private key file {name} not found"))
            .with_hint(
                "give the key with --private-key FILE or JIRA_OAUTH_PRIVATE_KEY, \
                 or make one with `jira-oauth keygen`",
            ),
        std::io::ErrorKind::PermissionDenied => Error::usage(format!(
            "cannot read private key file {name}: permission denied"
        ))
        .with_hint(format!(
            "run as the key's owner, or fix its owner and mode (chmod 600 {q})",
            q = quote(name)
        )),
        _ => Error::usage(format!("cannot read private key file {name}: {e}"))
            .with_hint("check the path given with --private-key or JIRA_OAUTH_PRIVATE_KEY"),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// UTF-8 without control characters other than whitespace.
fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| {
        s.chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'))
    })
}
