//! Decoding the forms that can hold an RSA key: PKCS#8 (RFC 5208), PKCS#1
//! (RFC 8017, appendix A.1.2) and encrypted PKCS#8 (RFC 5958 with PBES2 of
//! RFC 8018).

use der::Decode;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::pkcs5;
use rsa::pkcs8::{EncryptedPrivateKeyInfo, PrivateKeyInfo};
use rsa::RsaPrivateKey;

use super::passphrase::{PassphraseSource, PASSPHRASE_ENV};
use super::refusals::{
    invalid_numbers, invalid_rsa, not_rsa, quote, undecodable, unsupported_encryption,
    RSA_ONLY_HINT,
};
use crate::error::{Error, Result};

/// An RSA key from PKCS#8 DER; a key of another algorithm is refused by name.
pub(super) fn from_pkcs8(der: &[u8], name: &str, what: &str) -> Result<RsaPrivateKey> {
    let info = PrivateKeyInfo::from_der(der).map_err(|e| undecodable(name, what, &e))?;
    let oid = info.algorithm.oid.to_string();
    let algorithm = match oid.as_str() {
        "1.2.840.113549.1.1.1" => {
            return RsaPrivateKey::try_from(info).map_err(|e| invalid_rsa(name, what, &e))
        }
        "1.2.840.113549.1.1.10" => "RSASSA-PSS (RSA restricted to PSS signatures)",
        "1.2.840.10045.2.1" => "EC",
        "1.2.840.10040.4.1" => "DSA",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.2.840.113549.1.3.1" | "1.2.840.10046.2.1" => "Diffie-Hellman",
        "1.2.156.10197.1.301" => "SM2",
        _ => {
            return Err(Error::usage(format!(
                "private key {name} is a PKCS#8 key of algorithm {oid}, not RSA"
            ))
            .with_hint(RSA_ONLY_HINT))
        }
    };
    Err(not_rsa(name, algorithm))
}

/// A two-prime RSA key from PKCS#1 DER.
pub(super) fn from_pkcs1(der: &[u8], name: &str, what: &str) -> Result<RsaPrivateKey> {
    let parsed =
        rsa::pkcs1::RsaPrivateKey::from_der(der).map_err(|e| undecodable(name, what, &e))?;
    if parsed.version() != rsa::pkcs1::Version::TwoPrime {
        return Err(Error::usage(format!(
            "private key {name} is a multi-prime RSA key, which I cannot use"
        ))
        .with_hint(RSA_ONLY_HINT));
    }
    RsaPrivateKey::from_pkcs1_der(der).map_err(|_| invalid_numbers(name, what))
}

/// An RSA key from encrypted PKCS#8 DER, asking for the passphrase once the
/// encryption is known to be one that can be undone.
pub(super) fn from_encrypted(
    der: &[u8],
    name: &str,
    what: &str,
    pass: &mut dyn PassphraseSource,
) -> Result<RsaPrivateKey> {
    let info = EncryptedPrivateKeyInfo::from_der(der).map_err(|e| undecodable(name, what, &e))?;
    check_encryption(&info.encryption_algorithm, name)?;
    let Some(passphrase) = pass.passphrase(name)? else {
        return Err(Error::usage(format!(
            "private key {name} is encrypted and no passphrase was given"
        ))
        .with_hint(format!(
            "set {PASSPHRASE_ENV} to its passphrase, or run on a terminal to be asked for it"
        )));
    };
    let wrong = || {
        Error::usage(format!("wrong passphrase for private key {name}")).with_hint(format!(
            "check {PASSPHRASE_ENV} (or what you typed); `openssl pkey -in {q} -noout` tells whether a passphrase fits",
            q = quote(name)
        ))
    };
    match info.decrypt(passphrase.as_bytes()) {
        Ok(plain) => {
            if PrivateKeyInfo::from_der(plain.as_bytes()).is_err() {
                // CBC padding can come out right by chance under a wrong key.
                return Err(wrong());
            }
            from_pkcs8(plain.as_bytes(), name, what)
        }
        Err(rsa::pkcs8::Error::EncryptedPrivateKey(
            pkcs5::Error::UnsupportedAlgorithm { .. }
            | pkcs5::Error::AlgorithmParametersInvalid { .. }
            | pkcs5::Error::NoPbes1CryptSupport,
        )) => Err(unsupported_encryption(name, "a cipher or key derivation")),
        Err(_) => Err(wrong()),
    }
}

/// Refuses what cannot be decrypted, and key derivations so costly that the
/// file is more likely hostile than careful, before any passphrase is asked.
fn check_encryption(scheme: &pkcs5::EncryptionScheme<'_>, name: &str) -> Result<()> {
    use pkcs5::pbes2::Kdf;
    let pkcs5::EncryptionScheme::Pbes2(params) = scheme else {
        return Err(unsupported_encryption(name, "the old PBES1 scheme"));
    };
    let too_costly = match &params.kdf {
        Kdf::Pbkdf2(p) => p.iteration_count > 10_000_000,
        // scrypt needs 128 * N * r bytes; OpenSSL's default is 16 MiB.
        Kdf::Scrypt(s) => {
            let memory = 128u128 * u128::from(s.cost_parameter) * u128::from(s.block_size);
            memory > 256 << 20 || s.parallelization > 16
        }
        _ => false,
    };
    if too_costly {
        return Err(Error::usage(format!(
            "private key {name} is encrypted with a key derivation too costly to attempt"
        ))
        .with_hint(format!(
            "re-encrypt it: openssl pkcs8 -topk8 -v2 aes-256-cbc -in {q} -out private.pem",
            q = quote(name)
        )));
    }
    Ok(())
}
