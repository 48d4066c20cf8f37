//! The signature base string and the signature methods of RFC 5849, one
//! function per section, named after it:
//! <https://www.rfc-editor.org/rfc/rfc5849#section-3.4>.
//!
//! Everything here is pure: no clock, no nonce, no I/O (the random factor of
//! RSA blinding cancels out of the signature). The nonce and the timestamp
//! arrive as ordinary `oauth_*` parameters; the key arrives in a [`Signer`].

use crate::rsa_backend::{Hash, RsaKey};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;
use sha2::Sha256;
use std::fmt;
use std::str::FromStr;
use url::Url;

/// Everything but the unreserved characters `ALPHA DIGIT - . _ ~`
/// ([RFC 5849 §3.6](https://www.rfc-editor.org/rfc/rfc5849#section-3.6)).
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A name–value pair, decoded (the encoding of §3.6 is applied when the base
/// string is built, not before).
pub type Param = (String, String);

/// Percent-encodes over UTF-8, keeping only the unreserved characters, with
/// upper-case hex digits ([RFC 5849 §3.6](https://www.rfc-editor.org/rfc/rfc5849#section-3.6)).
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, RESERVED).to_string()
}

/// Decodes `application/x-www-form-urlencoded` text as a servlet container
/// does: pairs split on `&`, `+` is a space, `%XX` an escape, a `%` not
/// followed by two hex digits stays a literal `%`, a name without `=` has an
/// empty value, empty pieces are skipped. Invalid UTF-8 becomes U+FFFD, as
/// Java's decoder makes it. ([RFC 5849 §3.4.1.3.1](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.3.1)
/// defers to the HTML form rules.)
pub fn decode_form(text: &[u8]) -> Vec<Param> {
    url::form_urlencoded::parse(text)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The base string URI: scheme and host in lower case, the port only when it
/// is not the scheme's default, the path as sent, no query and no fragment
/// ([RFC 5849 §3.4.1.2](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.2)).
pub fn base_string_uri(url: &Url) -> String {
    // `Url` has already lower-cased the scheme and a domain host, and drops
    // a port equal to the scheme's default (80, 443).
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let mut uri = format!("{}://{}", url.scheme(), host);
    if let Some(port) = url.port() {
        uri.push_str(&format!(":{port}"));
    }
    let path = url.path();
    uri.push_str(if path.is_empty() { "/" } else { path });
    uri
}

/// The request parameters that are signed: the query, a form body, and the
/// protocol parameters (less `realm`), all without `oauth_signature`
/// ([RFC 5849 §3.4.1.3.1](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.3.1)).
///
/// `form_body` is the entity body only when its Content-Type is
/// `application/x-www-form-urlencoded`; the caller decides that.
pub fn collect_parameters(
    query: Option<&str>,
    form_body: Option<&[u8]>,
    protocol: &[Param],
) -> Vec<Param> {
    let mut params = Vec::new();
    if let Some(q) = query {
        params.extend(decode_form(q.as_bytes()));
    }
    if let Some(body) = form_body {
        params.extend(decode_form(body));
    }
    params.extend(protocol.iter().filter(|(k, _)| k != "realm").cloned());
    params.retain(|(k, _)| k != "oauth_signature");
    params
}

/// Encodes every name and value, sorts by name then by value (byte order),
/// and joins them as `name=value` pairs with `&`
/// ([RFC 5849 §3.4.1.3.2](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.3.2)).
pub fn normalize_parameters(params: &[Param]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD&encoded-uri&encoded-parameters`
/// ([RFC 5849 §3.4.1.1](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.1)).
pub fn signature_base_string(method: &str, base_uri: &str, normalized_params: &str) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(base_uri),
        percent_encode(normalized_params)
    )
}

/// The whole of §3.4.1 for one request: the base string of `method url`,
/// with `form_body` when it is form-encoded, and the protocol parameters.
pub fn base_string_for(
    method: &str,
    url: &Url,
    form_body: Option<&[u8]>,
    protocol: &[Param],
) -> String {
    let params = collect_parameters(url.query(), form_body, protocol);
    signature_base_string(
        method,
        &base_string_uri(url),
        &normalize_parameters(&params),
    )
}

/// The signature methods this tool speaks. JIRA wants `RSA-SHA1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureMethod {
    #[default]
    RsaSha1,
    RsaSha256,
    HmacSha1,
    HmacSha256,
    Plaintext,
}

impl SignatureMethod {
    pub const ALL: [SignatureMethod; 5] = [
        SignatureMethod::RsaSha1,
        SignatureMethod::RsaSha256,
        SignatureMethod::HmacSha1,
        SignatureMethod::HmacSha256,
        SignatureMethod::Plaintext,
    ];

    /// The value of `oauth_signature_method`.
    pub fn name(self) -> &'static str {
        match self {
            SignatureMethod::RsaSha1 => "RSA-SHA1",
            SignatureMethod::RsaSha256 => "RSA-SHA256",
            SignatureMethod::HmacSha1 => "HMAC-SHA1",
            SignatureMethod::HmacSha256 => "HMAC-SHA256",
            SignatureMethod::Plaintext => "PLAINTEXT",
        }
    }
}

impl fmt::Display for SignatureMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SignatureMethod {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SignatureMethod::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "unknown signature method '{s}' (expected one of {})",
                    SignatureMethod::ALL.map(|m| m.name()).join(", ")
                )
            })
    }
}

/// So that `--signature-method` and its completions offer the five names.
impl clap::ValueEnum for SignatureMethod {
    fn value_variants<'a>() -> &'a [Self] {
        &SignatureMethod::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}

/// The HMAC and PLAINTEXT key: `enc(consumer secret)&enc(token secret)`
/// ([RFC 5849 §3.4.2](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.2)).
fn secret_key(consumer_secret: &str, token_secret: &str) -> String {
    format!(
        "{}&{}",
        percent_encode(consumer_secret),
        percent_encode(token_secret)
    )
}

/// A signature method with what it signs with, made once per run: an RSA
/// key, or the consumer secret of the shared-secret methods (whose key also
/// takes each call's token secret). Its `Debug` never shows a key or secret.
#[derive(Clone)]
pub enum Signer {
    /// RSASSA-PKCS1-v1_5 over SHA-1 or SHA-256 ([RFC 5849 §3.4.3](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.3));
    /// the token secret plays no part.
    Rsa { hash: Hash, key: RsaKey },
    /// HMAC-SHA1/-SHA256 ([§3.4.2](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.2))
    /// or PLAINTEXT ([§3.4.4](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.4)).
    Secret {
        method: SecretMethod,
        consumer_secret: String,
    },
}

/// The methods keyed by the shared secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretMethod {
    HmacSha1,
    HmacSha256,
    Plaintext,
}

/// What a method signs with: the split every caller needs to make once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa(Hash),
    Secret(SecretMethod),
}

impl SignatureMethod {
    pub fn key_kind(self) -> KeyKind {
        match self {
            SignatureMethod::RsaSha1 => KeyKind::Rsa(Hash::Sha1),
            SignatureMethod::RsaSha256 => KeyKind::Rsa(Hash::Sha256),
            SignatureMethod::HmacSha1 => KeyKind::Secret(SecretMethod::HmacSha1),
            SignatureMethod::HmacSha256 => KeyKind::Secret(SecretMethod::HmacSha256),
            SignatureMethod::Plaintext => KeyKind::Secret(SecretMethod::Plaintext),
        }
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({})", self.method())
    }
}

impl Signer {
    /// The signer for `method`: `rsa_key` is asked for only by the RSA
    /// methods, `consumer_secret` only by the others.
    pub fn new<E>(
        method: SignatureMethod,
        rsa_key: impl FnOnce() -> Result<RsaKey, E>,
        consumer_secret: &str,
    ) -> Result<Signer, E> {
        Ok(match method.key_kind() {
            KeyKind::Rsa(hash) => Signer::Rsa {
                hash,
                key: rsa_key()?,
            },
            KeyKind::Secret(method) => Signer::Secret {
                method,
                consumer_secret: consumer_secret.to_string(),
            },
        })
    }

    pub fn method(&self) -> SignatureMethod {
        match self {
            Signer::Rsa {
                hash: Hash::Sha1, ..
            } => SignatureMethod::RsaSha1,
            Signer::Rsa {
                hash: Hash::Sha256, ..
            } => SignatureMethod::RsaSha256,
            Signer::Secret { method, .. } => match method {
                SecretMethod::HmacSha1 => SignatureMethod::HmacSha1,
                SecretMethod::HmacSha256 => SignatureMethod::HmacSha256,
                SecretMethod::Plaintext => SignatureMethod::Plaintext,
            },
        }
    }

    /// The value of `oauth_signature` for a base string (unencoded; the
    /// placement in §3.5 encodes it). RSA ignores `token_secret`.
    pub fn sign(&self, base_string: &str, token_secret: &str) -> String {
        let data = base_string.as_bytes();
        match self {
            Signer::Rsa { hash, key } => BASE64.encode(key.sign(*hash, data)),
            Signer::Secret {
                method,
                consumer_secret,
            } => {
                let key = secret_key(consumer_secret, token_secret);
                match method {
                    SecretMethod::HmacSha1 => BASE64.encode(hmac::<Hmac<Sha1>>(&key, data)),
                    SecretMethod::HmacSha256 => BASE64.encode(hmac::<Hmac<Sha256>>(&key, data)),
                    SecretMethod::Plaintext => key,
                }
            }
        }
    }
}

fn hmac<M: Mac + hmac::digest::KeyInit>(key: &str, data: &[u8]) -> Vec<u8> {
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The `Authorization` header value: `OAuth ` and the protocol parameters as
/// `name="value"` pairs, both encoded per §3.6, joined by `, `
/// ([RFC 5849 §3.5.1](https://www.rfc-editor.org/rfc/rfc5849#section-3.5.1)).
pub fn authorization_header(protocol: &[Param], realm: Option<&str>) -> String {
    let mut parts = Vec::with_capacity(protocol.len() + 1);
    if let Some(realm) = realm {
        // The realm is a quoted-string of RFC 2617, not percent-encoded.
        parts.push(format!(
            "realm=\"{}\"",
            realm.replace('\\', "\\\\").replace('"', "\\\"")
        ));
    }
    parts.extend(
        protocol
            .iter()
            .map(|(k, v)| format!("{}=\"{}\"", percent_encode(k), percent_encode(v))),
    );
    format!("OAuth {}", parts.join(", "))
}

/// The protocol parameters as a form-encoded string, for the query or the
/// body ([RFC 5849 §3.5.2, §3.5.3](https://www.rfc-editor.org/rfc/rfc5849#section-3.5.2)).
pub fn form_encode(params: &[Param]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<Param> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn encodes_all_but_unreserved_in_upper_case() {
        assert_eq!(percent_encode("Az09-._~"), "Az09-._~");
        assert_eq!(percent_encode(" +%&=*/"), "%20%2B%25%26%3D%2A%2F");
        assert_eq!(percent_encode("ü€"), "%C3%BC%E2%82%AC");
    }

    #[test]
    fn form_rules_for_query_and_body() {
        assert_eq!(
            decode_form(b"a=1+2&b=%2B&c&&d=&e=100%&f=%zz&g=%e2%82%ac"),
            pairs(&[
                ("a", "1 2"),
                ("b", "+"),
                ("c", ""),
                ("d", ""),
                ("e", "100%"),
                ("f", "%zz"),
                ("g", "€")
            ])
        );
    }

    #[test]
    fn base_uri_drops_default_ports_only() {
        let cases = [
            (
                "HTTP://Example.COM:80/r%20v/X?id=1#f",
                "http://example.com/r%20v/X",
            ),
            (
                "https://www.example.net:8080/?q=1",
                "https://www.example.net:8080/",
            ),
            (
                "https://jira.example.com:443/jira/rest",
                "https://jira.example.com/jira/rest",
            ),
            ("http://example.com:443/", "http://example.com:443/"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
        ];
        for (input, want) in cases {
            assert_eq!(
                base_string_uri(&Url::parse(input).unwrap()),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn realm_and_signature_are_not_signed() {
        let params = collect_parameters(
            Some("a=1"),
            None,
            &pairs(&[
                ("realm", "x"),
                ("oauth_signature", "s"),
                ("oauth_nonce", "n"),
            ]),
        );
        assert_eq!(params, pairs(&[("a", "1"), ("oauth_nonce", "n")]));
    }

    #[test]
    fn sorts_by_encoded_name_then_value() {
        let p = pairs(&[
            ("b", "2"),
            ("a", "z"),
            ("a", "a"),
            ("a b", "1"),
            ("a+", "1"),
        ]);
        assert_eq!(normalize_parameters(&p), "a=a&a=z&a%20b=1&a%2B=1&b=2");
    }

    #[test]
    fn methods_parse_case_insensitively() {
        assert_eq!("rsa-sha1".parse(), Ok(SignatureMethod::RsaSha1));
        assert!("MD5".parse::<SignatureMethod>().is_err());
    }

    #[test]
    fn header_quotes_and_encodes() {
        let h = authorization_header(&pairs(&[("oauth_callback", "http://x/?a=b")]), Some("J"));
        assert_eq!(
            h,
            "OAuth realm=\"J\", oauth_callback=\"http%3A%2F%2Fx%2F%3Fa%3Db\""
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let no_key = || -> Result<RsaKey, ()> { unreachable!("HMAC needs no RSA key") };
        let s = Signer::new(SignatureMethod::HmacSha1, no_key, "cs3cret").unwrap();
        assert_eq!(format!("{s:?}"), "Signer(HMAC-SHA1)");
    }
}
