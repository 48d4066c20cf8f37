//! Binary files: DER told apart by the shape of its outer SEQUENCE (PKCS#8,
//! encrypted PKCS#8, PKCS#1, and the wrong files that look like them), and
//! the binary formats that are not DER at all.

use der::{AnyRef, Reader, SliceReader, Tag, Tagged};
use rsa::RsaPrivateKey;

use super::passphrase::PassphraseSource;
use super::pkcs;
use super::refusals::{
    certificate, corrupt, not_rsa, public_key, quote, undecodable, unknown, FORMATS, FORMATS_HINT,
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

/// Tells the DER structures apart by shape, then parses with the matching decoder.
pub(super) fn from_der(
    bytes: &[u8],
    name: &str,
    what: &str,
    pass: &mut dyn PassphraseSource,
) -> Result<RsaPrivateKey> {
    use Tag::{BitString, Integer, OctetString, Sequence};
    let (der, items) = match outer_sequence(bytes) {
        // Whitespace may follow the DER: base64 decoders and editors leave it.
        Ok((der, items)) if bytes[der.len()..].trim_ascii().is_empty() => (der, items),
        Ok(_) => return Err(corrupt(name, what)),
        Err(e) => return Err(undecodable(name, what, &e)),
    };
    let tags: Vec<Tag> = items.iter().map(Tagged::tag).collect();
    let int = |i: usize| -> Option<&[u8]> {
        items
            .get(i)
            .filter(|item| item.tag() == Tag::Integer)
            .map(|item| item.value())
    };
    match tags.as_slice() {
        [Integer, Sequence, OctetString, ..] => pkcs::from_pkcs8(der, name, what),
        [Sequence, OctetString] => pkcs::from_encrypted(der, name, what, pass),
        [Sequence, BitString] => Err(public_key(name, &format!("{what} SubjectPublicKeyInfo"))),
        [Sequence, Sequence, BitString] => Err(certificate(name, &format!("{what} X.509"))),
        [Integer, Integer] => Err(public_key(name, &format!("{what} PKCS#1 RSA public key"))),
        [Integer, OctetString, ..] if int(0) == Some(&[1]) => Err(not_rsa(name, "EC")),
        [Integer, Sequence, ..] if int(0) == Some(&[3]) => Err(Error::usage(format!(
            "private key {name} is a PKCS#12 bundle (.p12/.pfx), not a private key file"
        ))
        .with_hint(format!(
            "extract the key: openssl pkcs12 -in {q} -nocerts -nodes -out private.pem",
            q = quote(name)
        ))),
        t if t.len() == 6 && t.iter().all(|&t| t == Integer) && int(0) == Some(&[0]) => {
            Err(not_rsa(name, "DSA"))
        }
        t if t.len() >= 9 && t.iter().all(|&t| t == Integer) => pkcs::from_pkcs1(der, name, what),
        _ => Err(unknown(name)),
    }
}

/// The SEQUENCE at the start of `bytes`: its own DER (without what follows
/// it), and the tag and content of each of its elements.
fn outer_sequence(bytes: &[u8]) -> der::Result<(&[u8], Vec<AnyRef<'_>>)> {
    let mut reader = SliceReader::new(bytes)?;
    let outer: AnyRef<'_> = reader.decode()?;
    outer.tag().assert_eq(Tag::Sequence)?;
    let der = &bytes[..usize::try_from(reader.position())?];
    let mut elements = SliceReader::new(outer.value())?;
    let mut items = Vec::new();
    while !elements.is_finished() {
        items.push(elements.decode()?);
    }
    Ok((der, items))
}
