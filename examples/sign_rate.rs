//! RSA-SHA1 signatures per second of jira-oauth's own signer, on one core:
//! the signing floor `bench/run.sh` holds bulk requests against.
//!
//!     cargo run --release --example sign_rate -- [SECONDS]
//!
//! Signs with the key in `JIRA_OAUTH_PRIVATE_KEY` (else the test consumer
//! key) for SECONDS (default 3) on this thread alone, then prints one line:
//!
//!     sign_rate method=RSA-SHA1 bits=2048 threads=1 signatures=1371 seconds=3.001 per_second=456.8

use jira_oauth::keys::{load_private_key, EnvOrTty};
use jira_oauth::rsa_backend::RsaKey;
use jira_oauth::signature::{SignatureMethod, Signer};
use rsa::traits::PublicKeyParts;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

// What a GET of one issue signs (RFC 5849 §3.4.1).
const BASE_STRING: &str = "GET&http%3A%2F%2F127.0.0.1%3A18181%2Frest%2Fapi%2F2%2Fissue%2FHSP-1&\
    oauth_consumer_key%3Djira-oauth%26oauth_nonce%3D3f1c0b6e2a9d4c7f8e5a1b2c3d4e5f60%26\
    oauth_signature_method%3DRSA-SHA1%26oauth_timestamp%3D1700000000%26\
    oauth_token%3Dbench-token%26oauth_version%3D1.0";

fn main() {
    let seconds: f64 = match std::env::args().nth(1) {
        None => 3.0,
        Some(s) => s.parse().unwrap_or_else(|_| {
            eprintln!("sign_rate: error: SECONDS must be a number, not {s:?}");
            std::process::exit(2)
        }),
    };
    let path = std::env::var_os("JIRA_OAUTH_PRIVATE_KEY")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/consumer.pem"
            ))
        });
    let key = load_private_key(&path, &mut EnvOrTty).unwrap_or_else(|e| {
        eprintln!("sign_rate: error: {e}");
        std::process::exit(2)
    });
    let bits = key.n().bits();
    let signer = Signer::new(
        SignatureMethod::RsaSha1,
        || Ok::<_, ()>(RsaKey::new(key)),
        "",
    )
    .expect("an RSA key at hand");

    // One signature first: page faults and lazy set-up stay out of the count.
    black_box(signer.sign(BASE_STRING, ""));
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut signatures = 0u64;
    while start.elapsed() < budget {
        black_box(signer.sign(black_box(BASE_STRING), ""));
        signatures += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "sign_rate method=RSA-SHA1 bits={bits} threads=1 signatures={signatures} \
         seconds={elapsed:.3} per_second={:.1}",
        signatures as f64 / elapsed
    );
}
