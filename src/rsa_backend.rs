//! RSASSA-PKCS1-v1_5 signatures ([RFC 8017 §8.2](https://www.rfc-editor.org/rfc/rfc8017#section-8.2)),
//! the primitive under RSA-SHA1 ([RFC 5849 §3.4.3](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.3)),
//! by the pure-Rust `rsa` crate.
//!
//! The crate's big-number arithmetic is not constant-time (RUSTSEC-2023-0071,
//! still open for it), so signing is blinded: the private operation runs on
//! a randomly masked value, which hides most of the key-dependent timing.
//! The mask cancels out and PKCS#1 v1.5 is deterministic: the same key and
//! data always give the same signature.

use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha1::{Digest, Sha1};
use sha2::Sha256;

/// The digest inside the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha1,
    Sha256,
}

/// A private key ready to sign.
#[derive(Clone)]
pub struct RsaKey(Box<RsaPrivateKey>);

impl RsaKey {
    pub fn new(key: RsaPrivateKey) -> RsaKey {
        RsaKey(Box::new(key))
    }

    /// Signs `data` (hashing it first).
    pub fn sign(&self, hash: Hash, data: &[u8]) -> Vec<u8> {
        let mut rng = rand::rngs::OsRng;
        let signed = match hash {
            Hash::Sha1 => {
                self.0
                    .sign_with_rng(&mut rng, Pkcs1v15Sign::new::<Sha1>(), &Sha1::digest(data))
            }
            Hash::Sha256 => self.0.sign_with_rng(
                &mut rng,
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(data),
            ),
        };
        signed.expect("a valid RSA key signs any digest")
    }
}

impl From<RsaPrivateKey> for RsaKey {
    fn from(key: RsaPrivateKey) -> RsaKey {
        RsaKey::new(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::RsaPublicKey;

    fn key() -> RsaPrivateKey {
        let pem = include_str!("../tests/data/consumer.pem");
        RsaPrivateKey::from_pkcs8_pem(pem).unwrap()
    }

    fn scheme_and_digest(hash: Hash, data: &[u8]) -> (Pkcs1v15Sign, Vec<u8>) {
        match hash {
            Hash::Sha1 => (Pkcs1v15Sign::new::<Sha1>(), Sha1::digest(data).to_vec()),
            Hash::Sha256 => (Pkcs1v15Sign::new::<Sha256>(), Sha256::digest(data).to_vec()),
        }
    }

    #[test]
    fn blinded_signatures_are_deterministic_and_verify() {
        let private = key();
        let public = RsaPublicKey::from(&private);
        let signer = RsaKey::new(private.clone());
        let data = b"GET&https%3A%2F%2Fjira.example%2Frest%2Fapi%2F2%2Fmyself&oauth_nonce%3Dn";
        for hash in [Hash::Sha1, Hash::Sha256] {
            let (scheme, digest) = scheme_and_digest(hash, data);
            // Each call draws a fresh blinding factor; the signature must
            // not depend on it (RFC 8017 §8.2.1: a function of key and
            // message alone).
            let first = signer.sign(hash, data);
            let second = signer.sign(hash, data);
            assert_eq!(first, second, "{hash:?}");
            assert_eq!(
                first,
                private.sign(scheme.clone(), &digest).unwrap(),
                "{hash:?}"
            );
            public.verify(scheme.clone(), &digest, &first).unwrap();

            let other = signer.sign(hash, b"POST&x&y");
            assert_ne!(first, other, "{hash:?}");
            assert!(public.verify(scheme, &digest, &other).is_err(), "{hash:?}");
        }
    }
}
