//! RSASSA-PKCS1-v1_5 signatures ([RFC 8017 §8.2](https://www.rfc-editor.org/rfc/rfc8017#section-8.2)),
//! the primitive under RSA-SHA1 ([RFC 5849 §3.4.3](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.3)).
//!
//! Two backends sign the same bytes (PKCS#1 v1.5 is deterministic): the
//! pure-Rust `rsa` crate starts fast, which is what one call from a shell
//! script needs; OpenSSL signs about three times faster once started, which
//! is what hundreds of URLs in one call need.

use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha1::{Digest, Sha1};
use sha2::Sha256;

/// The digest inside the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha1,
    Sha256,
}

/// A private key ready to sign, in one backend or the other.
#[derive(Clone)]
pub enum RsaKey {
    Pure(Box<RsaPrivateKey>),
    #[cfg(feature = "openssl")]
    OpenSsl(openssl::pkey::PKey<openssl::pkey::Private>),
}

impl RsaKey {
    /// A key ready to sign.
    pub fn new(key: RsaPrivateKey) -> RsaKey {
        RsaKey::pure(key)
    }

    /// The fast-starting backend.
    pub fn pure(key: RsaPrivateKey) -> RsaKey {
        RsaKey::Pure(Box::new(key))
    }

    /// The fastest backend built in: OpenSSL when the `openssl` feature is
    /// on, else the pure one.
    pub fn bulk(key: RsaPrivateKey) -> RsaKey {
        #[cfg(feature = "openssl")]
        {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            let pkey = key
                .to_pkcs1_der()
                .ok()
                .and_then(|der| openssl::rsa::Rsa::private_key_from_der(der.as_bytes()).ok())
                .and_then(|rsa| openssl::pkey::PKey::from_rsa(rsa).ok());
            if let Some(pkey) = pkey {
                return RsaKey::OpenSsl(pkey);
            }
        }
        RsaKey::pure(key)
    }

    /// Signs `data` (hashing it first).
    pub fn sign(&self, hash: Hash, data: &[u8]) -> Vec<u8> {
        match self {
            RsaKey::Pure(key) => {
                let signed = match hash {
                    Hash::Sha1 => key.sign(Pkcs1v15Sign::new::<Sha1>(), &Sha1::digest(data)),
                    Hash::Sha256 => key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(data)),
                };
                signed.expect("a valid RSA key signs any digest")
            }
            #[cfg(feature = "openssl")]
            RsaKey::OpenSsl(pkey) => {
                let md = match hash {
                    Hash::Sha1 => openssl::hash::MessageDigest::sha1(),
                    Hash::Sha256 => openssl::hash::MessageDigest::sha256(),
                };
                openssl::sign::Signer::new(md, pkey)
                    .and_then(|mut s| s.sign_oneshot_to_vec(data))
                    .expect("OpenSSL signs with a key it loaded")
            }
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            RsaKey::Pure(_) => "rsa",
            #[cfg(feature = "openssl")]
            RsaKey::OpenSsl(_) => "openssl",
        }
    }
}
