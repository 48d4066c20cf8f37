//! Text that is not PEM: bare base64 of DER (the Java sample's form), and
//! the wrong files that are text too (OpenSSH public keys, PuTTY keys, a
//! PEM block that lost its BEGIN line).

use rsa::RsaPrivateKey;

use super::der_shape::from_der;
use super::passphrase::PassphraseSource;
use super::pem::decode_base64;
use super::refusals::{corrupt, quote, unknown};
use crate::error::{Error, Result};

/// The key in a text file without a `-----BEGIN ` line; `text` is trimmed.
pub(super) fn from_text(
    text: &[u8],
    name: &str,
    pass: &mut dyn PassphraseSource,
) -> Result<RsaPrivateKey> {
    const SSH_PUBLIC: [&[u8]; 6] = [
        b"ssh-rsa ",
        b"ssh-dss ",
        b"ssh-ed25519 ",
        b"ecdsa-sha2-",
        b"sk-ssh-",
        b"sk-ecdsa-",
    ];
    if SSH_PUBLIC.iter().any(|p| text.starts_with(p)) {
        return Err(Error::usage(format!(
            "private key {name} holds an OpenSSH public key (ssh-…), not a private key"
        ))
        .with_hint(
            "give the private key; for an ssh key pair that is the file without .pub, \
             converted with ssh-keygen -p -m PKCS8 -f FILE",
        ));
    }
    if text.starts_with(b"PuTTY-User-Key-File-") {
        return Err(Error::usage(format!(
            "private key {name} is a PuTTY key (.ppk), which I cannot read"
        ))
        .with_hint(format!(
            "convert it: puttygen {q} -O private-openssh -o private.pem",
            q = quote(name)
        )));
    }
    if super::find(text, b"-----END ").is_some() {
        return Err(Error::usage(format!(
            "private key {name} is truncated: it has an END line but no -----BEGIN line"
        ))
        .with_hint("copy the whole key again, from -----BEGIN to -----END"));
    }
    let is_base64 = text
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"+/=".contains(&b) || b.is_ascii_whitespace());
    if !is_base64 {
        return Err(unknown(name));
    }
    let decoded = std::str::from_utf8(text).ok().and_then(decode_base64);
    match decoded {
        Some(der) if der.first() == Some(&0x30) => from_der(&der, name, "base64 DER", pass),
        // The Java sample's base64 always starts with "MI" (a DER SEQUENCE).
        _ if text.starts_with(b"MI") => Err(corrupt(name, "base64 DER")),
        _ => Err(unknown(name)),
    }
}
