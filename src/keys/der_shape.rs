//! Binary files: DER told apart by the shape of its outer SEQUENCE (PKCS#8,
//! encrypted PKCS#8, PKCS#1, and the wrong files that look like them), and
//! the binary formats that are not DER at all.

use rsa::RsaPrivateKey;

use super::passphrase::PassphraseSource;
use super::pkcs;
use super::refusals::{
    certificate, corrupt, not_rsa, public_key, quote, unknown, FORMATS, FORMATS_HINT,
};
use crate::error::{Error, Result};

/// The key in a file that is not text.
pub(super) fn from_binary(
    bytes: &[u8],
    name: &str,
    pass: &mut dyn PassphraseSource,
) -> Result<RsaPrivateKey> {
    if bytes.first() == Some(&0x30) {
        return from_der(bytes, name, "DER", pass);
    }
    if bytes.starts_with(&[0xFE, 0xED, 0xFE, 0xED]) || bytes.starts_with(&[0xCE, 0xCE, 0xCE, 0xCE])
    {
        return Err(Error::usage(format!(
            "private key {name} is a Java keystore, not a private key file"
        ))
        .with_hint(format!(
            "export the key: keytool -importkeystore -srckeystore {name} -destkeystore key.p12 \
             -deststoretype PKCS12, then openssl pkcs12 -in key.p12 -nocerts -nodes -out private.pem",
            name = quote(name)
        )));
    }
    Err(Error::usage(format!(
        "private key {name} is binary data, not a private key I can read: {FORMATS}"
    ))
    .with_hint(FORMATS_HINT))
}

/// One DER element: its tag, its content, and what follows it.
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    if tag & 0x1f == 0x1f {
        return None; // high tag numbers appear in no key format
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None; // indefinite length is not DER
        }
        let (len_bytes, after) = rest.split_at(n);
        rest = after;
        len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    if len > rest.len() {
        return None;
    }
    let (content, after) = rest.split_at(len);
    Some((tag, content, after))
}

const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const SEQUENCE: u8 = 0x30;

/// The tags and contents of a SEQUENCE's elements, or None when they do not parse.
fn elements(content: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (tag, value, after) = tlv(rest)?;
        out.push((tag, value));
        rest = after;
    }
    Some(out)
}

/// Tells the DER structures apart by shape, then parses with the matching decoder.
pub(super) fn from_der(
    bytes: &[u8],
    name: &str,
    what: &str,
    pass: &mut dyn PassphraseSource,
) -> Result<RsaPrivateKey> {
    let parsed = tlv(bytes).and_then(|(tag, content, rest)| {
        let items = elements(content)?;
        (tag == SEQUENCE && rest.trim_ascii().is_empty()).then_some(items)
    });
    let Some(items) = parsed else {
        return Err(corrupt(name, what));
    };
    let der = &bytes[..der_len(bytes)];
    let tags: Vec<u8> = items.iter().map(|(t, _)| *t).collect();
    let int = |i: usize| -> Option<&[u8]> {
        items.get(i).filter(|(t, _)| *t == INTEGER).map(|(_, v)| *v)
    };
    match tags.as_slice() {
        [INTEGER, SEQUENCE, OCTET_STRING, ..] => pkcs::from_pkcs8(der, name, what),
        [SEQUENCE, OCTET_STRING] => pkcs::from_encrypted(der, name, what, pass),
        [SEQUENCE, BIT_STRING] => Err(public_key(name, &format!("{what} SubjectPublicKeyInfo"))),
        [SEQUENCE, SEQUENCE, BIT_STRING] => Err(certificate(name, &format!("{what} X.509"))),
        [INTEGER, INTEGER] => Err(public_key(name, &format!("{what} PKCS#1 RSA public key"))),
        [INTEGER, OCTET_STRING, ..] if int(0) == Some(&[1]) => Err(not_rsa(name, "EC")),
        [INTEGER, SEQUENCE, ..] if int(0) == Some(&[3]) => Err(Error::usage(format!(
            "private key {name} is a PKCS#12 bundle (.p12/.pfx), not a private key file"
        ))
        .with_hint(format!(
            "extract the key: openssl pkcs12 -in {q} -nocerts -nodes -out private.pem",
            q = quote(name)
        ))),
        t if t.len() == 6 && t.iter().all(|&t| t == INTEGER) && int(0) == Some(&[0]) => {
            Err(not_rsa(name, "DSA"))
        }
        t if t.len() >= 9 && t.iter().all(|&t| t == INTEGER) => pkcs::from_pkcs1(der, name, what),
        _ => Err(unknown(name)),
    }
}

/// Length of the outer DER element at the start of `bytes` (0 when there is none).
fn der_len(bytes: &[u8]) -> usize {
    tlv(bytes).map_or(0, |(_, _, rest)| bytes.len() - rest.len())
}
