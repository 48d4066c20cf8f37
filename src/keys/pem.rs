//! PEM armour (RFC 7468, with RFC 1421 headers): finding the blocks of a
//! file, decoding their base64, and going by the label of the one that counts.

use base64::Engine;
use rsa::RsaPrivateKey;

use super::passphrase::PassphraseSource;
use super::refusals::{
    certificate, not_rsa, public_key, quote, unknown, FORMATS, FORMATS_HINT, RSA_ONLY_HINT,
};
use super::{openssh, pkcs};
use crate::error::{Error, Result};

/// Why a PEM block could not be decoded.
#[derive(Clone, Copy)]
enum Fault {
    /// No END line: the file was cut short.
    Truncated,
    /// The END line names another label.
    Mismatch,
    /// The body is not base64.
    BadBase64,
}

struct Block {
    label: String,
    /// `Proc-Type: 4,ENCRYPTED`: OpenSSL's legacy encryption of PKCS#1 and SEC1 keys.
    legacy_encrypted: bool,
    body: std::result::Result<Vec<u8>, Fault>,
}

/// The key in a file that holds at least one `-----BEGIN ` line.
pub(super) fn from_pem(
    bytes: &[u8],
    name: &str,
    pass: &mut dyn PassphraseSource,
) -> Result<RsaPrivateKey> {
    let text = String::from_utf8_lossy(bytes);
    let blocks = pem_blocks(&text);
    // A file may hold a certificate chain beside the key; the key is what counts.
    let Some(block) = blocks
        .iter()
        .find(|b| b.label.contains("PRIVATE KEY"))
        .or_else(|| blocks.first())
    else {
        return Err(unknown(name));
    };
    let label = block.label.as_str();
    let der = block_der(block, name)?;
    let what = format!("PEM block (BEGIN {label})");
    match label {
        "PRIVATE KEY" => pkcs::from_pkcs8(der, name, &what),
        "RSA PRIVATE KEY" if block.legacy_encrypted => Err(legacy_encrypted(name)),
        "RSA PRIVATE KEY" => pkcs::from_pkcs1(der, name, &what),
        "ENCRYPTED PRIVATE KEY" => pkcs::from_encrypted(der, name, &what, pass),
        "EC PRIVATE KEY" => Err(not_rsa(name, "EC")),
        "DSA PRIVATE KEY" => Err(not_rsa(name, "DSA")),
        "OPENSSH PRIVATE KEY" => Err(openssh::refusal(der, name)),
        "PGP PRIVATE KEY BLOCK" => Err(Error::usage(format!(
            "private key {name} is an OpenPGP key (BEGIN {label}), not an RSA private key I can read"
        ))
        .with_hint(RSA_ONLY_HINT)),
        "PUBLIC KEY" | "RSA PUBLIC KEY" | "DSA PUBLIC KEY" | "EC PUBLIC KEY" => {
            Err(public_key(name, &format!("BEGIN {label}")))
        }
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
            Err(certificate(name, &format!("BEGIN {label}")))
        }
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => Err(Error::usage(format!(
            "private key {name} holds a certificate request (BEGIN {label}), not a private key"
        ))
        .with_hint("give the private key the request was made with")),
        _ => Err(Error::usage(format!(
            "private key {name} holds a PEM block BEGIN {label}, not a private key I can read: {FORMATS}"
        ))
        .with_hint(FORMATS_HINT)),
    }
}

/// The block's DER, or why it has none.
fn block_der<'a>(block: &'a Block, name: &str) -> Result<&'a [u8]> {
    let label = block.label.as_str();
    let fault = match &block.body {
        Ok(der) => return Ok(der.as_slice()),
        Err(fault) => *fault,
    };
    let message = match fault {
        Fault::Truncated => format!(
            "private key {name} is truncated: its PEM block (BEGIN {label}) has no END line"
        ),
        Fault::Mismatch => format!(
            "private key {name} is corrupt: its PEM block (BEGIN {label}) ends with another label"
        ),
        Fault::BadBase64 => format!(
            "private key {name} is corrupt: its PEM block (BEGIN {label}) is not valid base64"
        ),
    };
    Err(Error::usage(message).with_hint("copy the whole key again, from -----BEGIN to -----END"))
}

fn legacy_encrypted(name: &str) -> Error {
    Error::usage(format!(
        "private key {name} is encrypted the legacy OpenSSL way (Proc-Type: 4,ENCRYPTED), which I cannot decrypt"
    ))
    .with_hint(format!(
        "convert it to encrypted PKCS#8: openssl pkcs8 -topk8 -v2 aes-256-cbc -in {q} -out private.pem",
        q = quote(name)
    ))
}

/// The label of a `-----BEGIN LABEL-----` line, when the line is one.
fn armor_label<'a>(line: &'a str, kind: &str) -> Option<&'a str> {
    let label = line
        .trim()
        .strip_prefix("-----")?
        .strip_prefix(kind)?
        .strip_prefix(' ')?
        .strip_suffix("-----")?;
    let plausible = !label.is_empty()
        && label.len() <= 64
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-' || b == b'_');
    plausible.then_some(label)
}

/// Every PEM block of the file, in order; scanning stops at a damaged block.
fn pem_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(label) = armor_label(line, "BEGIN") else {
            continue;
        };
        let mut legacy_encrypted = false;
        let mut b64 = String::new();
        let mut end = None;
        let mut in_headers = true;
        for line in lines.by_ref() {
            if let Some(end_label) = armor_label(line, "END") {
                end = Some(end_label);
                break;
            }
            let line = line.trim();
            // RFC 1421 headers come first, before any base64 line.
            if in_headers && line.contains(':') {
                if line.starts_with("Proc-Type:") && line.contains("ENCRYPTED") {
                    legacy_encrypted = true;
                }
                continue;
            }
            in_headers = false;
            b64.push_str(line);
        }
        let body = match end {
            None => Err(Fault::Truncated),
            Some(end_label) if end_label != label => Err(Fault::Mismatch),
            Some(_) => decode_base64(&b64).ok_or(Fault::BadBase64),
        };
        let damaged = body.is_err();
        blocks.push(Block {
            label: label.to_string(),
            legacy_encrypted,
            body,
        });
        if damaged {
            break;
        }
    }
    blocks
}

/// Base64 as pasted keys come: whitespace anywhere, padding kept or lost.
pub(super) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{
        general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig,
    };
    // Padding is often lost when keys are pasted from one place to another.
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    LENIENT.decode(compact).ok()
}
