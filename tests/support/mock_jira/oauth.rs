//! RFC 5849 on the provider's side: parameter collection, the signature base
//! string (section 3.4.1) and verification. Written independently of the
//! crate's signer so that each checks the other.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use sha1::Sha1;
use sha2::Sha256;
use std::fmt::Write as _;

/// Where a parameter was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Header,
    Query,
    Body,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub value: String,
    pub source: Source,
}

/// Section 3.6: unreserved characters kept, everything else `%XX` (upper
/// case) of its UTF-8 bytes.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Percent-decoding as a servlet container does it: `%XX` is a byte, a `%`
/// without two hex digits stays literal, and with `plus_is_space` a `+` is a
/// space.
pub fn decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => match hex_pair(b, i + 1) {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                None => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_pair(b: &[u8], at: usize) -> Option<u8> {
    let hi = (*b.get(at)? as char).to_digit(16)?;
    let lo = (*b.get(at + 1)? as char).to_digit(16)?;
    Some((hi * 16 + lo) as u8)
}

/// `application/x-www-form-urlencoded` (also the query string): `a=1&b`, with
/// `b` meaning an empty value.
pub fn parse_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((n, v)) => (decode(n, true), decode(v, true)),
            None => (decode(p, true), String::new()),
        })
        .collect()
}

/// The parameters of an `Authorization: OAuth …` header, `realm` included.
/// Values are decoded as net.oauth does (with `URLDecoder`, so `+` is a
/// space): an unencoded `+` in a signature breaks it, as on JIRA.
pub fn parse_authorization(value: &str) -> Option<Vec<(String, String)>> {
    let value = value.trim_start();
    let (scheme, rest) = value.split_at(value.find(char::is_whitespace).unwrap_or(value.len()));
    if !scheme.eq_ignore_ascii_case("OAuth") {
        return None;
    }
    let mut out = Vec::new();
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (n, v) = part.split_once('=').unwrap_or((part, ""));
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        out.push((decode(n.trim(), true), decode(v, true)));
    }
    Some(out)
}

/// Every parameter of a request that takes part in signing (section 3.4.1.3),
/// plus `oauth_signature`; the header's `realm` is left out. Order: header,
/// query, body (the first occurrence wins in look-ups, as in net.oauth).
///
/// A form body counts on POST only, as on JIRA: net.oauth takes the
/// servlet's parameters, and Tomcat (`parseBodyMethods` = POST) parses form
/// bodies of POSTs alone. Section 3.4.1.3.1 would include them on any method,
/// so a PUT whose client signed its form's fields fails here as on JIRA.
pub fn collect(
    method: &str,
    query: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
    authorization: Option<&str>,
) -> Vec<Param> {
    let mut out = Vec::new();
    if let Some(h) = authorization.and_then(parse_authorization) {
        for (name, value) in h.into_iter().filter(|(n, _)| n != "realm") {
            out.push(Param {
                name,
                value,
                source: Source::Header,
            });
        }
    }
    for (name, value) in parse_form(query.unwrap_or("")) {
        out.push(Param {
            name,
            value,
            source: Source::Query,
        });
    }
    let is_form = content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| {
            ct.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if is_form && method == "POST" {
        for (name, value) in parse_form(&String::from_utf8_lossy(body)) {
            out.push(Param {
                name,
                value,
                source: Source::Body,
            });
        }
    }
    out
}

/// Section 3.4.1.2: scheme and host lower-cased, default port dropped, path
/// as received.
pub fn base_uri(scheme: &str, host: &str, path: &str) -> String {
    let scheme = scheme.to_ascii_lowercase();
    let mut host = host.to_ascii_lowercase();
    if let Some((h, port)) = host.rsplit_once(':') {
        let default = (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
        if default && !h.is_empty() {
            host = h.to_string();
        }
    }
    let path = if path.is_empty() { "/" } else { path };
    format!("{scheme}://{host}{path}")
}

/// The base URI of a full URL (query and fragment dropped).
pub fn base_uri_of_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("URL with a scheme");
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    base_uri(scheme, host, path)
}

/// Section 3.4.1.3.2: encoded, sorted by name then value, joined.
pub fn normalize<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut enc: Vec<(String, String)> = params
        .into_iter()
        .filter(|(n, _)| *n != "oauth_signature")
        .map(|(n, v)| (encode(n), encode(v)))
        .collect();
    enc.sort();
    enc.iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Section 3.4.1.1: `METHOD&enc(base_uri)&enc(normalized parameters)`.
pub fn base_string<'a>(
    method: &str,
    base_uri: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(base_uri),
        encode(&normalize(params))
    )
}

pub fn parse_public_key(pem: &str) -> Result<RsaPublicKey, String> {
    RsaPublicKey::from_public_key_pem(pem)
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
        .map_err(|e| format!("not an RSA public key (SPKI or PKCS#1 PEM): {e}"))
}

pub fn verify_rsa_sha1(key: &RsaPublicKey, base: &str, signature_b64: &str) -> bool {
    rsa_verify::<Sha1>(key, base, signature_b64)
}

pub fn verify_rsa_sha256(key: &RsaPublicKey, base: &str, signature_b64: &str) -> bool {
    rsa_verify::<Sha256>(key, base, signature_b64)
}

fn rsa_verify<D>(key: &RsaPublicKey, base: &str, signature_b64: &str) -> bool
where
    D: sha2::Digest + rsa::pkcs8::AssociatedOid,
{
    let Ok(bytes) = STANDARD.decode(signature_b64.trim()) else {
        return false;
    };
    let Ok(sig) = Signature::try_from(bytes.as_slice()) else {
        return false;
    };
    VerifyingKey::<D>::new(key.clone())
        .verify(base.as_bytes(), &sig)
        .is_ok()
}

/// Section 3.4.2: the key is `enc(consumer secret)&enc(token secret)`.
pub fn hmac_key(consumer_secret: &str, token_secret: &str) -> String {
    format!("{}&{}", encode(consumer_secret), encode(token_secret))
}

pub fn verify_hmac_sha1(key: &str, base: &str, signature_b64: &str) -> bool {
    let Ok(sig) = STANDARD.decode(signature_b64.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(base.as_bytes());
    mac.verify_slice(&sig).is_ok()
}

pub fn verify_hmac_sha256(key: &str, base: &str, signature_b64: &str) -> bool {
    let Ok(sig) = STANDARD.decode(signature_b64.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(base.as_bytes());
    mac.verify_slice(&sig).is_ok()
}

/// An `oauth_problem` with its extra parameters (`oauth_acceptable_timestamps`, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub name: String,
    pub extra: Vec<(String, String)>,
}

impl Problem {
    pub fn new(name: &str) -> Problem {
        Problem {
            name: name.to_string(),
            extra: Vec::new(),
        }
    }

    pub fn with(mut self, name: &str, value: impl Into<String>) -> Problem {
        self.extra.push((name.to_string(), value.into()));
        self
    }

    pub fn status(&self) -> u16 {
        problem_status(&self.name)
    }
}

/// HTTP status per problem, as net.oauth's `OAuth.Problems.TO_HTTP_CODE`
/// (which JIRA uses); unknown names get 400.
pub fn problem_status(name: &str) -> u16 {
    match name {
        "version_rejected"
        | "parameter_absent"
        | "parameter_rejected"
        | "timestamp_refused"
        | "signature_method_rejected" => 400,
        "nonce_used"
        | "signature_invalid"
        | "consumer_key_unknown"
        | "consumer_key_rejected"
        | "token_used"
        | "token_expired"
        | "token_revoked"
        | "token_rejected"
        | "permission_unknown"
        | "permission_denied"
        | "additional_authorization_required" => 401,
        "consumer_key_refused" | "user_refused" => 503,
        _ => 400,
    }
}
