//! The key loader (`keys::parse_private_key`) over arbitrary file contents,
//! with the passphrase of the encrypted test key.
#![no_main]

use jira_oauth::keys::{self, Fixed};
use jira_oauth::rsa_backend::RsaKey;
use jira_oauth::signature::{SignatureMethod, Signer};
use jira_oauth_fuzz::assert_printable_error;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut pass = Fixed(Some("correct horse".into()));
    match keys::parse_private_key(data, "fuzz.pem", &mut pass) {
        Ok(key) => {
            keys::public_key_pem(&key);
            keys::fingerprint_sha256(&key);
            Signer::new(SignatureMethod::RsaSha1, || Ok::<_, ()>(RsaKey::new(key)), "")
                .expect("an RSA signer")
                .sign("GET&x&y", "");
        }
        Err(e) => {
            assert_printable_error(&e);
            for run in base64_runs(data) {
                let shown =
                    e.message.contains(run) || e.hint.as_ref().is_some_and(|h| h.contains(run));
                assert!(!shown, "key material {run:?} in {e:?}");
            }
        }
    }
});

/// Runs of 16 or more base64 characters, but none that a `-----` armor
/// line holds (a message may name the block's label).
fn base64_runs(data: &[u8]) -> Vec<&str> {
    let b64 = |b: &u8| b.is_ascii_alphanumeric() || b"+/=".contains(b);
    let armor = |line: &&[u8]| line.windows(5).any(|w| w == b"-----");
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n' || b == b'\r').collect();
    let armor_lines: Vec<&[u8]> = lines.iter().copied().filter(armor).collect();
    lines
        .iter()
        .flat_map(|line| line.split(|b| !b64(b)))
        .filter(|run| run.len() >= 16)
        .filter(|run| {
            !armor_lines
                .iter()
                .any(|l| l.windows(run.len()).any(|w| w == *run))
        })
        .map(|run| std::str::from_utf8(run).expect("ASCII"))
        .collect()
}
