//! Loading the consumer's RSA private key, the one whose public key sits in
//! JIRA's Application Link, in whatever form users are likely to have it.
//!
//! Accepted: PEM PKCS#8, PEM PKCS#1, encrypted PKCS#8 (PBES2), bare base64 of
//! PKCS#8 DER (the Java sample's form) and raw DER. Everything else is refused
//! with a usage error that names the file, says what it holds and how to fix it.
//! No message ever carries key material or the passphrase.

use std::io::Read;
use std::path::Path;

use base64::Engine;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::der::Decode;
use rsa::pkcs8::pkcs5;
use rsa::pkcs8::{EncodePublicKey, EncryptedPrivateKeyInfo, LineEnding, PrivateKeyInfo};
use rsa::RsaPrivateKey;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The environment variable an encrypted key's passphrase is taken from.
pub const PASSPHRASE_ENV: &str = "JIRA_OAUTH_KEY_PASSPHRASE";

/// Key files are a few kilobytes; anything bigger is the wrong file.
const MAX_KEY_FILE: u64 = 1 << 20;

const FORMATS: &str = "expected PEM PKCS#8, PEM PKCS#1, encrypted PKCS#8 or base64 PKCS#8 DER";

const FORMATS_HINT: &str =
    "give the RSA private key whose public key is in JIRA's Application Link \
(a file starting with -----BEGIN PRIVATE KEY-----), or make a new pair with `jira-oauth keygen`";

const RSA_ONLY_HINT: &str =
    "JIRA's OAuth signs with RSA: make an RSA key with `jira-oauth keygen` \
(or `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out private.pem`) \
and put its public key in the Application Link";

/// Where the passphrase of an encrypted key comes from; asked only when the key is encrypted.
pub trait PassphraseSource {
    fn passphrase(&mut self, key_path: &str) -> Result<Option<String>>;
}

/// Env `JIRA_OAUTH_KEY_PASSPHRASE`, else a no-echo prompt on the terminal when there is one, else None.
pub struct EnvOrTty;

impl PassphraseSource for EnvOrTty {
    fn passphrase(&mut self, key_path: &str) -> Result<Option<String>> {
        // An empty variable counts as unset: scripts often export VAR= to clear it.
        if let Some(value) = std::env::var_os(PASSPHRASE_ENV).filter(|v| !v.is_empty()) {
            return value.into_string().map(Some).map_err(|_| {
                Error::usage(format!("{PASSPHRASE_ENV} is not valid UTF-8"))
                    .with_hint("set it to the key's passphrase as text")
            });
        }
        if !has_terminal() {
            return Ok(None);
        }
        rpassword::prompt_password(format!("Passphrase for {key_path}: "))
            .map(Some)
            .map_err(|e| {
                Error::usage(format!("cannot read the passphrase for {key_path}: {e}"))
                    .with_hint(format!("set {PASSPHRASE_ENV} instead"))
            })
    }
}

#[cfg(unix)]
fn has_terminal() -> bool {
    // rpassword prompts on /dev/tty, so that is the terminal that matters, not stdin.
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}

#[cfg(not(unix))]
fn has_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal()
}

/// A fixed passphrase or none (tests, fuzzing).
pub struct Fixed(pub Option<String>);

impl PassphraseSource for Fixed {
    fn passphrase(&mut self, _key_path: &str) -> Result<Option<String>> {
        Ok(self.0.clone())
    }
}

/// Reads the key file, then [`parse_private_key`].
pub fn load_private_key(path: &Path, pass: &mut dyn PassphraseSource) -> Result<RsaPrivateKey> {
    let name = path.display().to_string();
    let bytes = read_key_file(path, &name)?;
    parse_private_key(&bytes, &name, pass)
}

fn read_key_file(path: &Path, name: &str) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(&e, name))?;
    if meta.is_dir() {
        return Err(
            Error::usage(format!("private key {name} is a directory, not a file")).with_hint(
                format!(
                    "give the path of the key file itself, e.g. {}",
                    quote(&format!("{name}/private.pem"))
                ),
            ),
        );
    }
    let file = std::fs::File::open(path).map_err(|e| io_error(&e, name))?;
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(&e, name))?;
    if bytes.len() as u64 > MAX_KEY_FILE {
        return Err(Error::usage(format!(
            "private key file {name} is over 1 MiB, too large to be a key"
        ))
        .with_hint(FORMATS_HINT));
    }
    Ok(bytes)
}

fn io_error(e: &std::io::Error, name: &str) -> Error {
    match e.kind() {
        std::io::ErrorKind::NotFound => Error::usage(format!("private key file {name} not found"))
            .with_hint(
                "give the key with --private-key FILE or JIRA_OAUTH_PRIVATE_KEY, \
                 or make one with `jira-oauth keygen`",
            ),
        std::io::ErrorKind::PermissionDenied => Error::usage(format!(
            "cannot read private key file {name}: permission denied"
        ))
        .with_hint(format!(
            "run as the key's owner, or fix its owner and mode (chmod 600 {q})",
            q = quote(name)
        )),
        _ => Error::usage(format!("cannot read private key file {name}: {e}"))
            .with_hint("check the path given with --private-key or JIRA_OAUTH_PRIVATE_KEY"),
    }
}

/// Parses a private key in any accepted form. `name` names the source in messages.
/// Pure except for the passphrase callback, which is called only for an encrypted key.
pub fn parse_private_key(
    bytes: &[u8],
    name: &str,
    pass: &mut dyn PassphraseSource,
) -> Result<RsaPrivateKey> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.trim_ascii().is_empty() {
        return Err(
            Error::usage(format!("private key file {name} is empty")).with_hint(FORMATS_HINT)
        );
    }
    if find(bytes, b"-----BEGIN ").is_some() {
        return from_pem(bytes, name, pass);
    }
    if !is_text(bytes) {
        return from_binary(bytes, name, pass);
    }
    from_text(bytes.trim_ascii(), name, pass)
}

/// The public key as SPKI PEM (`BEGIN PUBLIC KEY`), what JIRA's Application Link wants.
pub fn public_key_pem(key: &RsaPrivateKey) -> String {
    key.to_public_key()
        .to_public_key_pem(LineEnding::LF)
        // Only fails for a key with no DER form, which a parsed or generated key always has.
        .expect("SPKI PEM of a valid RSA key")
}

/// SHA-256 of the SPKI DER, as `SHA256:<base64 without padding>` like ssh prints.
pub fn fingerprint_sha256(key: &RsaPrivateKey) -> String {
    let der = key
        .to_public_key()
        .to_public_key_der()
        .expect("SPKI DER of a valid RSA key");
    let digest = Sha256::digest(der.as_bytes());
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    )
}

/// A one-line warning when group or others can read the key file (Unix only).
pub fn permission_warning(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o7777;
        if mode & 0o044 != 0 {
            let name = path.display().to_string();
            return Some(format!(
                "private key {name} is readable by others (mode {mode:04o}); run chmod 600 {}",
                quote(&name)
            ));
        }
        None
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

// ---------------------------------------------------------------------------
// PEM

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

fn decode_base64(text: &str) -> Option<Vec<u8>> {
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

fn from_pem(bytes: &[u8], name: &str, pass: &mut dyn PassphraseSource) -> Result<RsaPrivateKey> {
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
    let der = match &block.body {
        Ok(der) => der.as_slice(),
        Err(Fault::Truncated) => {
            return Err(Error::usage(format!(
                "private key {name} is truncated: its PEM block (BEGIN {label}) has no END line"
            ))
            .with_hint("copy the whole key again, from -----BEGIN to -----END"))
        }
        Err(Fault::Mismatch) => {
            return Err(Error::usage(format!(
            "private key {name} is corrupt: its PEM block (BEGIN {label}) ends with another label"
        ))
            .with_hint("copy the whole key again, from -----BEGIN to -----END"))
        }
        Err(Fault::BadBase64) => {
            return Err(Error::usage(format!(
                "private key {name} is corrupt: its PEM block (BEGIN {label}) is not valid base64"
            ))
            .with_hint("copy the whole key again, from -----BEGIN to -----END"))
        }
    };
    let what = format!("PEM block (BEGIN {label})");
    match label {
        "PRIVATE KEY" => from_pkcs8(der, name, &what),
        "RSA PRIVATE KEY" if block.legacy_encrypted => Err(Error::usage(format!(
            "private key {name} is encrypted the legacy OpenSSL way (Proc-Type: 4,ENCRYPTED), which I cannot decrypt"
        ))
        .with_hint(format!(
            "convert it to encrypted PKCS#8: openssl pkcs8 -topk8 -v2 aes-256-cbc -in {q} -out private.pem", q = quote(name)
        ))),
        "RSA PRIVATE KEY" => from_pkcs1(der, name, &what),
        "ENCRYPTED PRIVATE KEY" => from_encrypted(der, name, &what, pass),
        "EC PRIVATE KEY" => Err(not_rsa(name, "EC")),
        "DSA PRIVATE KEY" => Err(not_rsa(name, "DSA")),
        "OPENSSH PRIVATE KEY" => Err(openssh(der, name)),
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

// ---------------------------------------------------------------------------
// DER

fn from_binary(bytes: &[u8], name: &str, pass: &mut dyn PassphraseSource) -> Result<RsaPrivateKey> {
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

/// One DER element: its tag, its content, and what follows it.
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    if tag & 0x1f == 0x1f {
        return None; // high tag numbers appear in no key format
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None; // indefinite length is not DER
        }
        let (len_bytes, after) = rest.split_at(n);
        rest = after;
        len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    if len > rest.len() {
        return None;
    }
    let (content, after) = rest.split_at(len);
    Some((tag, content, after))
}

const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const SEQUENCE: u8 = 0x30;

/// The tags and contents of a SEQUENCE's elements, or None when they do not parse.
fn elements(content: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (tag, value, after) = tlv(rest)?;
        out.push((tag, value));
        rest = after;
    }
    Some(out)
}

/// Tells the DER structures apart by shape, then parses with the matching decoder.
fn from_der(
    bytes: &[u8],
    name: &str,
    what: &str,
    pass: &mut dyn PassphraseSource,
) -> Result<RsaPrivateKey> {
    let parsed = tlv(bytes).and_then(|(tag, content, rest)| {
        let items = elements(content)?;
        (tag == SEQUENCE && rest.trim_ascii().is_empty()).then_some(items)
    });
    let Some(items) = parsed else {
        return Err(corrupt(name, what));
    };
    let der = &bytes[..der_len(bytes)];
    let tags: Vec<u8> = items.iter().map(|(t, _)| *t).collect();
    let int = |i: usize| -> Option<&[u8]> {
        items.get(i).filter(|(t, _)| *t == INTEGER).map(|(_, v)| *v)
    };
    match tags.as_slice() {
        [INTEGER, SEQUENCE, OCTET_STRING, ..] => from_pkcs8(der, name, what),
        [SEQUENCE, OCTET_STRING] => from_encrypted(der, name, what, pass),
        [SEQUENCE, BIT_STRING] => Err(public_key(name, &format!("{what} SubjectPublicKeyInfo"))),
        [SEQUENCE, SEQUENCE, BIT_STRING] => Err(certificate(name, &format!("{what} X.509"))),
        [INTEGER, INTEGER] => Err(public_key(name, &format!("{what} PKCS#1 RSA public key"))),
        [INTEGER, OCTET_STRING, ..] if int(0) == Some(&[1]) => Err(not_rsa(name, "EC")),
        [INTEGER, SEQUENCE, ..] if int(0) == Some(&[3]) => Err(Error::usage(format!(
            "private key {name} is a PKCS#12 bundle (.p12/.pfx), not a private key file"
        ))
        .with_hint(format!(
            "extract the key: openssl pkcs12 -in {q} -nocerts -nodes -out private.pem",
            q = quote(name)
        ))),
        t if t.len() == 6 && t.iter().all(|&t| t == INTEGER) && int(0) == Some(&[0]) => {
            Err(not_rsa(name, "DSA"))
        }
        t if t.len() >= 9 && t.iter().all(|&t| t == INTEGER) => from_pkcs1(der, name, what),
        _ => Err(unknown(name)),
    }
}

/// Length of the outer DER element at the start of `bytes` (0 when there is none).
fn der_len(bytes: &[u8]) -> usize {
    tlv(bytes).map_or(0, |(_, _, rest)| bytes.len() - rest.len())
}

fn from_pkcs8(der: &[u8], name: &str, what: &str) -> Result<RsaPrivateKey> {
    let info = PrivateKeyInfo::from_der(der).map_err(|_| corrupt(name, what))?;
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

fn from_pkcs1(der: &[u8], name: &str, what: &str) -> Result<RsaPrivateKey> {
    let parsed = rsa::pkcs1::RsaPrivateKey::from_der(der).map_err(|_| corrupt(name, what))?;
    if parsed.version() != rsa::pkcs1::Version::TwoPrime {
        return Err(Error::usage(format!(
            "private key {name} is a multi-prime RSA key, which I cannot use"
        ))
        .with_hint(RSA_ONLY_HINT));
    }
    RsaPrivateKey::from_pkcs1_der(der).map_err(|_| invalid_numbers(name, what))
}

fn from_encrypted(
    der: &[u8],
    name: &str,
    what: &str,
    pass: &mut dyn PassphraseSource,
) -> Result<RsaPrivateKey> {
    let info = EncryptedPrivateKeyInfo::from_der(der).map_err(|_| corrupt(name, what))?;
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

// ---------------------------------------------------------------------------
// Text that is not PEM

fn from_text(text: &[u8], name: &str, pass: &mut dyn PassphraseSource) -> Result<RsaPrivateKey> {
    const SSH_PUBLIC: [&[u8]; 6] = [
        b"ssh-rsa ",
        b"ssh-dss ",
        b"ssh-ed25519 ",
        b"ecdsa-sha2-",
        b"sk-ssh-",
        b"sk-ecdsa-",
    ];
    if SSH_PUBLIC.iter().any(|p| text.starts_with(p)) {
        return Err(Error::usage(format!(
            "private key {name} holds an OpenSSH public key (ssh-…), not a private key"
        ))
        .with_hint(
            "give the private key; for an ssh key pair that is the file without .pub, \
             converted with ssh-keygen -p -m PKCS8 -f FILE",
        ));
    }
    if text.starts_with(b"PuTTY-User-Key-File-") {
        return Err(Error::usage(format!(
            "private key {name} is a PuTTY key (.ppk), which I cannot read"
        ))
        .with_hint(format!(
            "convert it: puttygen {q} -O private-openssh -o private.pem",
            q = quote(name)
        )));
    }
    if find(text, b"-----END ").is_some() {
        return Err(Error::usage(format!(
            "private key {name} is truncated: it has an END line but no -----BEGIN line"
        ))
        .with_hint("copy the whole key again, from -----BEGIN to -----END"));
    }
    let is_base64 = text
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"+/=".contains(&b) || b.is_ascii_whitespace());
    if !is_base64 {
        return Err(unknown(name));
    }
    let decoded = std::str::from_utf8(text).ok().and_then(decode_base64);
    match decoded {
        Some(der) if der.first() == Some(&0x30) => from_der(&der, name, "base64 DER", pass),
        // The Java sample's base64 always starts with "MI" (a DER SEQUENCE).
        _ if text.starts_with(b"MI") => Err(corrupt(name, "base64 DER")),
        _ => Err(unknown(name)),
    }
}

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

fn openssh(blob: &[u8], name: &str) -> Error {
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

// ---------------------------------------------------------------------------
// Messages

fn public_key(name: &str, what: &str) -> Error {
    Error::usage(format!(
        "private key {name} holds a public key ({what}), not a private key"
    ))
    .with_hint(
        "signing needs the private key; the public key is what goes into JIRA's Application Link",
    )
}

fn certificate(name: &str, what: &str) -> Error {
    Error::usage(format!(
        "private key {name} holds a certificate ({what}), not a private key"
    ))
    .with_hint("give the private key that goes with the certificate")
}

fn not_rsa(name: &str, algorithm: &str) -> Error {
    Error::usage(format!(
        "private key {name} is not an RSA key (algorithm: {algorithm})"
    ))
    .with_hint(RSA_ONLY_HINT)
}

fn corrupt(name: &str, what: &str) -> Error {
    Error::usage(format!(
        "private key {name} is truncated or corrupt: its {what} does not decode"
    ))
    .with_hint("copy the whole key again, or export it afresh from where it was made")
}

fn invalid_numbers(name: &str, what: &str) -> Error {
    Error::usage(format!(
        "private key {name} is corrupt: its {what} holds RSA numbers that do not form a valid key"
    ))
    .with_hint("export the key afresh from where it was made")
}

fn invalid_rsa(name: &str, what: &str, e: &rsa::pkcs8::Error) -> Error {
    match e {
        rsa::pkcs8::Error::KeyMalformed => invalid_numbers(name, what),
        _ => corrupt(name, what),
    }
}

fn unsupported_encryption(name: &str, scheme: &str) -> Error {
    Error::usage(format!(
        "private key {name} is encrypted with {scheme}, which I cannot decrypt"
    ))
    .with_hint(format!(
        "re-encrypt it: openssl pkcs8 -topk8 -v2 aes-256-cbc -in {q} -out private.pem",
        q = quote(name)
    ))
}

fn unknown(name: &str) -> Error {
    Error::usage(format!("{name} is not a private key I can read: {FORMATS}"))
        .with_hint(FORMATS_HINT)
}

/// A path as a POSIX shell needs it in the commands the hints suggest.
fn quote(path: &str) -> String {
    let plain = !path.is_empty()
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:@%".contains(&b));
    if plain {
        path.to_string()
    } else {
        format!("'{}'", path.replace('\'', r"'\''"))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// UTF-8 without control characters other than whitespace.
fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| {
        s.chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'))
    })
}
