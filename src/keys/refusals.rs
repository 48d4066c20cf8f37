//! The words of every refusal that more than one form shares: what the file
//! really is (a public key, a certificate, a key of another algorithm), how it
//! is damaged, and the hints that say what to give instead.

use crate::error::Error;

pub(super) const FORMATS: &str =
    "expected PEM PKCS#8, PEM PKCS#1, encrypted PKCS#8 or base64 PKCS#8 DER";

pub(super) const FORMATS_HINT: &str =
    "give the RSA private key whose public key is in JIRA's Application Link \
(a file starting with -----BEGIN PRIVATE KEY-----), or make a new pair with `jira-oauth keygen`";

pub(super) const RSA_ONLY_HINT: &str =
    "JIRA's OAuth signs with RSA: make an RSA key with `jira-oauth keygen` \
(or `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out private.pem`) \
and put its public key in the Application Link";

pub(super) fn public_key(name: &str, what: &str) -> Error {
    Error::usage(format!(
        "private key {name} holds a public key ({what}), not a private key"
    ))
    .with_hint(
        "signing needs the private key; the public key is what goes into JIRA's Application Link",
    )
}

pub(super) fn certificate(name: &str, what: &str) -> Error {
    Error::usage(format!(
        "private key {name} holds a certificate ({what}), not a private key"
    ))
    .with_hint("give the private key that goes with the certificate")
}

pub(super) fn not_rsa(name: &str, algorithm: &str) -> Error {
    Error::usage(format!(
        "private key {name} is not an RSA key (algorithm: {algorithm})"
    ))
    .with_hint(RSA_ONLY_HINT)
}

pub(super) fn corrupt(name: &str, what: &str) -> Error {
    Error::usage(format!(
        "private key {name} is truncated or corrupt: its {what} does not decode"
    ))
    .with_hint("copy the whole key again, or export it afresh from where it was made")
}

/// Why DER did not decode: the general word, or a precise one for a length
/// in more bytes than needed, which BER allows and DER does not (X.690 10.1).
pub(super) fn undecodable(name: &str, what: &str, e: &der::Error) -> Error {
    if !matches!(e.kind(), der::ErrorKind::Length { .. }) {
        return corrupt(name, what);
    }
    Error::usage(format!(
        "private key {name} is corrupt: its {what} encodes a length in more bytes than needed, which DER forbids"
    ))
    .with_hint(format!(
        "export the key afresh from where it was made, or let OpenSSL re-encode it: \
         openssl pkey -in {q} -out private.pem (with -inform DER for a binary file)",
        q = quote(name)
    ))
}

pub(super) fn invalid_numbers(name: &str, what: &str) -> Error {
    Error::usage(format!(
        "private key {name} is corrupt: its {what} holds RSA numbers that do not form a valid key"
    ))
    .with_hint("export the key afresh from where it was made")
}

pub(super) fn invalid_rsa(name: &str, what: &str, e: &rsa::pkcs8::Error) -> Error {
    match e {
        rsa::pkcs8::Error::KeyMalformed => invalid_numbers(name, what),
        _ => corrupt(name, what),
    }
}

pub(super) fn unsupported_encryption(name: &str, scheme: &str) -> Error {
    Error::usage(format!(
        "private key {name} is encrypted with {scheme}, which I cannot decrypt"
    ))
    .with_hint(format!(
        "re-encrypt it: openssl pkcs8 -topk8 -v2 aes-256-cbc -in {q} -out private.pem",
        q = quote(name)
    ))
}

pub(super) fn unknown(name: &str) -> Error {
    Error::usage(format!("{name} is not a private key I can read: {FORMATS}"))
        .with_hint(FORMATS_HINT)
}

/// A path as a POSIX shell needs it in the commands the hints suggest.
pub(super) fn quote(path: &str) -> String {
    let plain = !path.is_empty()
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:@%".contains(&b));
    if plain {
        path.to_string()
    } else {
        format!("'{}'", path.replace('\'', r"'\''"))
    }
}
