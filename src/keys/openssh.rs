//! OpenSSH's own private key format (`BEGIN OPENSSH PRIVATE KEY`), read only
//! far enough to say what key it holds.

use super::refusals::{quote, RSA_ONLY_HINT};
use crate::error::Error;

/// The key type inside an OpenSSH private key, as far as it can be read.
fn openssh_key_type(blob: &[u8]) -> Option<String> {
    fn string<'a>(data: &mut &'a [u8]) -> Option<&'a [u8]> {
        let (len, rest) = data.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
        if len > rest.len() {
            return None;
        }
        let (s, rest) = rest.split_at(len);
        *data = rest;
        Some(s)
    }
    let mut data = blob.strip_prefix(b"openssh-key-v1\0")?;
    string(&mut data)?; // cipher
    string(&mut data)?; // kdf
    string(&mut data)?; // kdf options
    let (_count, rest) = data.split_first_chunk::<4>()?;
    data = rest;
    let mut public = string(&mut data)?;
    let kind = string(&mut public)?;
    let kind = std::str::from_utf8(kind).ok()?;
    let plausible = kind.len() <= 64 && kind.bytes().all(|b| b.is_ascii_graphic());
    plausible.then(|| kind.to_string())
}

/// Why an OpenSSH private key is refused: a key of another algorithm, or the format itself.
pub(super) fn refusal(blob: &[u8], name: &str) -> Error {
    match openssh_key_type(blob).as_deref() {
        Some(kind) if kind != "ssh-rsa" => Error::usage(format!(
            "private key {name} is an OpenSSH {kind} key, not an RSA one"
        ))
        .with_hint(RSA_ONLY_HINT),
        _ => Error::usage(format!(
            "private key {name} is in OpenSSH's format (BEGIN OPENSSH PRIVATE KEY), which I cannot read"
        ))
        .with_hint(format!(
            "convert it to PKCS#8 in place (keep a copy first): ssh-keygen -p -m PKCS8 -f {}; \
             or make a new key with `jira-oauth keygen` or openssl genpkey",
            quote(name)
        )),
    }
}
