//! Loading the consumer's private key: every accepted form, every refusal.
//! Fixtures: tests/data/keys (made by its make.sh, described in tests/data/README.md).

use std::path::{Path, PathBuf};

use base64::Engine;
use jira_oauth::keys::{
    fingerprint_sha256, load_private_key, parse_private_key, permission_warning, public_key_pem,
    Fixed, PassphraseSource,
};
use jira_oauth::{Error, Kind, Result};

const PASSPHRASE: &str = "correct horse";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keys")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

fn expected_public() -> String {
    String::from_utf8(read("public.pem")).unwrap()
}

fn pass() -> Fixed {
    Fixed(Some(PASSPHRASE.to_string()))
}

/// Fails the test if asked: unencrypted keys must not ask for a passphrase.
struct NeverAsked;

impl PassphraseSource for NeverAsked {
    fn passphrase(&mut self, key_path: &str) -> Result<Option<String>> {
        panic!("passphrase asked for {key_path}")
    }
}

fn refused(name: &str, pass: &mut dyn PassphraseSource) -> Error {
    match load_private_key(&fixture(name), pass) {
        Ok(_) => panic!("{name} loaded"),
        Err(e) => e,
    }
}

/// The base64 lines of the RSA key, none of which may ever appear in a message.
fn secret_lines() -> Vec<String> {
    let mut lines: Vec<String> = [
        "rsa.pkcs8.pem",
        "rsa.pkcs1.pem",
        "rsa.encrypted.pem",
        "rsa.wrapped.b64",
    ]
    .iter()
    .flat_map(|f| {
        String::from_utf8(read(f))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() >= 16)
            .map(str::to_string)
            .collect::<Vec<_>>()
    })
    .collect();
    let one_line = String::from_utf8(read("rsa.pkcs8.b64")).unwrap();
    lines.extend(
        one_line
            .trim()
            .as_bytes()
            .chunks(16)
            .map(|c| String::from_utf8(c.to_vec()).unwrap()),
    );
    lines
}

fn assert_no_secret(e: &Error, secrets: &[String]) {
    let text = format!("{} {}", e.message, e.hint.as_deref().unwrap_or(""));
    for s in secrets {
        assert!(!text.contains(s.as_str()), "key material in: {text}");
    }
    assert!(!text.contains(PASSPHRASE), "passphrase in: {text}");
    assert!(!text.contains('\n'), "not one line: {text}");
}

// ---------------------------------------------------------------------------
// Accepted forms

#[test]
fn every_accepted_form_yields_the_same_public_key() {
    let expected = expected_public();
    for name in [
        "rsa.pkcs8.pem",
        "rsa.pkcs1.pem",
        "rsa.pkcs8.der",
        "rsa.pkcs1.der",
        "rsa.pkcs8.b64",
        "rsa.wrapped.b64",
        "rsa.crlf.pem",
    ] {
        let key = load_private_key(&fixture(name), &mut NeverAsked)
            .unwrap_or_else(|e| panic!("{name}: {}", e.message));
        assert_eq!(public_key_pem(&key), expected, "{name}");
    }
    let key = load_private_key(&fixture("rsa.encrypted.pem"), &mut pass()).unwrap();
    assert_eq!(public_key_pem(&key), expected);
}

#[test]
fn base64_surrounded_by_whitespace_and_crlf_loads() {
    let b64 = String::from_utf8(read("rsa.wrapped.b64")).unwrap();
    let padded = format!("\r\n\t  {}  \r\n\r\n", b64.replace('\n', "\r\n"));
    let key = parse_private_key(padded.as_bytes(), "pasted", &mut NeverAsked).unwrap();
    assert_eq!(public_key_pem(&key), expected_public());
    // Padding lost on the way is tolerated.
    let one = String::from_utf8(read("rsa.pkcs8.b64")).unwrap();
    let unpadded = one.trim().trim_end_matches('=');
    let key = parse_private_key(unpadded.as_bytes(), "pasted", &mut NeverAsked).unwrap();
    assert_eq!(public_key_pem(&key), expected_public());
}

#[test]
fn key_found_among_other_blocks_and_text() {
    let mut bundle = b"subject=CN=jira-oauth-test\n".to_vec();
    bundle.extend(read("cert.pem"));
    bundle.extend(b"\nsome notes\n");
    bundle.extend(read("rsa.pkcs1.pem"));
    bundle.extend(read("public.pem"));
    let key = parse_private_key(&bundle, "bundle.pem", &mut NeverAsked).unwrap();
    assert_eq!(public_key_pem(&key), expected_public());
    // A byte-order mark from a Windows editor.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(read("rsa.pkcs8.pem"));
    parse_private_key(&bom, "bom.pem", &mut NeverAsked).unwrap();
}

#[test]
fn encrypted_der_and_base64_are_accepted_too() {
    let pem = String::from_utf8(read("rsa.encrypted.pem")).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let key = parse_private_key(b64.as_bytes(), "enc.b64", &mut pass()).unwrap();
    assert_eq!(public_key_pem(&key), expected_public());
    let der = base64::engine::general_purpose::STANDARD
        .decode(&b64)
        .unwrap();
    let key = parse_private_key(&der, "enc.der", &mut pass()).unwrap();
    assert_eq!(public_key_pem(&key), expected_public());
}

// ---------------------------------------------------------------------------
// Refused forms

/// (fixture, words the message must hold, words the hint must hold)
const REFUSED: &[(&str, &[&str], &[&str])] = &[
    (
        "public.pem",
        &["public key", "BEGIN PUBLIC KEY"],
        &["Application Link"],
    ),
    (
        "public.pkcs1.pem",
        &["public key", "BEGIN RSA PUBLIC KEY"],
        &["Application Link"],
    ),
    ("openssh.pub", &["OpenSSH public key"], &["ssh-keygen"]),
    (
        "cert.pem",
        &["certificate", "BEGIN CERTIFICATE"],
        &["private key"],
    ),
    ("ec.pkcs8.pem", &["not an RSA key", "EC"], &["keygen"]),
    ("ec.sec1.pem", &["not an RSA key", "EC"], &["keygen"]),
    ("dsa.pem", &["not an RSA key", "DSA"], &["keygen"]),
    ("dsa.pkcs8.pem", &["not an RSA key", "DSA"], &["keygen"]),
    ("ed25519.pem", &["not an RSA key", "Ed25519"], &["keygen"]),
    (
        "rsa.legacy-encrypted.pem",
        &["Proc-Type: 4,ENCRYPTED"],
        &["openssl pkcs8 -topk8"],
    ),
];

#[test]
fn refused_forms_name_the_file_and_the_culprit() {
    let secrets = secret_lines();
    for (name, words, hint_words) in REFUSED {
        let e = refused(name, &mut NeverAsked);
        let path = fixture(name).display().to_string();
        assert_eq!(e.kind, Kind::Usage, "{name}");
        assert_eq!(e.exit_code(), 2);
        assert!(e.message.contains(&path), "{name}: {}", e.message);
        for w in *words {
            assert!(e.message.contains(w), "{name}: {:?} lacks {w:?}", e.message);
        }
        let hint = e.hint.clone().unwrap_or_default();
        for w in *hint_words {
            assert!(hint.contains(w), "{name}: hint {hint:?} lacks {w:?}");
        }
        assert_no_secret(&e, &secrets);
    }
}

#[test]
fn openssh_private_key_gets_the_ssh_keygen_hint() {
    let path = fixture("openssh.key");
    if !path.exists() {
        return; // make.sh skips it without ssh-keygen
    }
    let e = refused("openssh.key", &mut NeverAsked);
    assert_eq!(e.kind, Kind::Usage);
    assert!(e.message.contains("OpenSSH"), "{}", e.message);
    assert!(e.message.contains(&path.display().to_string()));
    let hint = e.hint.unwrap();
    assert!(
        hint.contains(&format!("ssh-keygen -p -m PKCS8 -f {}", path.display())),
        "{hint}"
    );
}

#[test]
fn encrypted_key_without_passphrase_says_how_to_give_one() {
    let e = refused("rsa.encrypted.pem", &mut Fixed(None));
    assert_eq!(e.kind, Kind::Usage);
    assert!(e.message.contains("encrypted"), "{}", e.message);
    assert!(e.message.contains("rsa.encrypted.pem"));
    assert!(e.hint.unwrap().contains("JIRA_OAUTH_KEY_PASSPHRASE"));
}

#[test]
fn wrong_passphrase_is_reported_without_the_passphrase() {
    for wrong in ["hunter2-secret", "", "correct horse ", "x"] {
        let e = refused("rsa.encrypted.pem", &mut Fixed(Some(wrong.to_string())));
        assert_eq!(e.kind, Kind::Usage);
        assert!(e.message.contains("wrong passphrase"), "{}", e.message);
        assert!(e.message.contains("rsa.encrypted.pem"));
        let text = format!("{} {}", e.message, e.hint.unwrap());
        if !wrong.is_empty() {
            assert!(!text.contains(wrong), "{text}");
        }
    }
}

#[test]
fn passphrase_source_errors_pass_through() {
    struct Failing;
    impl PassphraseSource for Failing {
        fn passphrase(&mut self, _: &str) -> Result<Option<String>> {
            Err(Error::usage("no terminal"))
        }
    }
    let e = refused("rsa.encrypted.pem", &mut Failing);
    assert_eq!(e.message, "no terminal");
}

#[test]
fn file_problems() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.pem");
    let e = load_private_key(&missing, &mut NeverAsked).unwrap_err();
    assert_eq!(e.kind, Kind::Usage);
    assert!(
        e.message.contains("not found") && e.message.contains("nope.pem"),
        "{}",
        e.message
    );
    assert!(e.hint.unwrap().contains("--private-key"));

    let e = load_private_key(dir.path(), &mut NeverAsked).unwrap_err();
    assert_eq!(e.kind, Kind::Usage);
    assert!(e.message.contains("directory"), "{}", e.message);

    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let e = load_private_key(&empty, &mut NeverAsked).unwrap_err();
    assert!(
        e.message.contains("empty") && e.message.contains("empty.pem"),
        "{}",
        e.message
    );
    std::fs::write(&empty, " \r\n\n").unwrap();
    let e = load_private_key(&empty, &mut NeverAsked).unwrap_err();
    assert!(e.message.contains("empty"), "{}", e.message);
}

/// Files the loader cannot read: each one exit 2 through the binary, with an
/// error line naming it. Root reads a mode 0000 file, but not a directory nor
/// a path that runs through a regular file, so those two are checked whoever
/// runs the test (CI runs as root).
#[cfg(unix)]
#[test]
fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    std::fs::write(&key, read("rsa.pkcs8.pem")).unwrap();
    let subdir = dir.path().join("keys");
    std::fs::create_dir(&subdir).unwrap();
    let through_file = key.join("private.pem"); // ENOTDIR
    for (path, error) in [
        (
            &subdir,
            format!(
                "private key {} is a directory, not a file",
                subdir.display()
            ),
        ),
        (
            &through_file,
            format!("cannot read private key file {}: ", through_file.display()),
        ),
    ] {
        let (code, stderr) = sign_with_key(path, dir.path());
        assert_eq!(code, Some(2), "{stderr}");
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with(&format!("jira-oauth: error: {error}")),
            "{stderr}"
        );
        assert_eq!(stderr.matches("jira-oauth: error:").count(), 1, "{stderr}");
    }

    let locked = dir.path().join("locked.pem");
    std::fs::write(&locked, read("rsa.pkcs8.pem")).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_ok() {
        eprintln!("unreadable_file: mode 0000 part skipped, this user (root) reads such a file");
        return;
    }
    let e = load_private_key(&locked, &mut NeverAsked).unwrap_err();
    assert_eq!(e.kind, Kind::Usage);
    assert!(
        e.message.contains("permission denied") && e.message.contains("locked.pem"),
        "{}",
        e.message
    );
}

/// `jira-oauth sign` with the key at `key`, in a bare environment whose home
/// is `home`: the exit code and stderr.
#[cfg(unix)]
fn sign_with_key(key: &Path, home: &Path) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jira-oauth"))
        .env_clear()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .arg("--private-key")
        .arg(key)
        .args(["sign", "GET", "http://127.0.0.1:1/rest/api/2/myself"])
        .args(["--timestamp", "1", "--nonce", "n"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.stdout.is_empty());
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn truncated_corrupt_and_garbage_inputs() {
    let secrets = secret_lines();
    let pem = read("rsa.pkcs8.pem");
    let check = |bytes: &[u8], words: &[&str]| {
        let e = parse_private_key(bytes, "key.pem", &mut NeverAsked).unwrap_err();
        assert_eq!(e.kind, Kind::Usage);
        assert!(e.message.contains("key.pem"), "{}", e.message);
        for w in words {
            assert!(e.message.contains(w), "{:?} lacks {w:?}", e.message);
        }
        assert!(e.hint.is_some());
        assert_no_secret(&e, &secrets);
    };
    check(&pem[..pem.len() / 2], &["truncated", "no END line"]);
    check(&pem[pem.len() / 2..], &["truncated"]);
    let mut bad = pem.clone();
    bad[100] = b'!';
    check(&bad, &["corrupt", "base64"]);
    let der = read("rsa.pkcs8.der");
    check(&der[..der.len() - 10], &["truncated or corrupt", "DER"]);
    let b64 = read("rsa.pkcs8.b64");
    check(
        &b64[..b64.len() / 2],
        &["truncated or corrupt", "base64 DER"],
    );
    check(
        &[0x00, 0xff, 0x13, 0x37, 0x80, 0x01, 0x02],
        &["binary data"],
    );
    check(
        b"hello: this is not a key\n",
        &["not a private key I can read: expected PEM PKCS#8, PEM PKCS#1, encrypted PKCS#8 or base64 PKCS#8 DER"],
    );
    check(
        b"-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n",
        &["BEGIN FOO"],
    );
    // RSA numbers that do not fit together: one byte of the modulus changed.
    let mut wrong = der.clone();
    wrong[60] ^= 0x01;
    check(&wrong, &["corrupt"]);
}

#[test]
fn der_forms_of_refused_keys() {
    for (name, word) in [
        ("public.pem", "public key"),
        ("public.pkcs1.pem", "public key"),
        ("cert.pem", "certificate"),
        ("ec.sec1.pem", "EC"),
        ("ec.pkcs8.pem", "EC"),
        ("dsa.pem", "DSA"),
        ("ed25519.pem", "Ed25519"),
    ] {
        let e = parse_private_key(&pem_body(name), "k.der", &mut NeverAsked).unwrap_err();
        assert_eq!(e.kind, Kind::Usage);
        assert!(
            e.message.contains(word) && e.message.contains("k.der"),
            "{name}: {}",
            e.message
        );
    }
}

/// DER has one length encoding, the shortest (X.690 10.1); BER's longer ones
/// are refused by name, not taken for a key or for what the key resembles.
#[test]
fn non_minimal_der_lengths_are_refused() {
    let der = read("rsa.pkcs8.der");
    assert_eq!(der[..2], [0x30, 0x82], "outer length in two bytes");
    // The outer length in three bytes, the first of them zero.
    let mut outer = vec![0x30, 0x83, 0x00];
    outer.extend_from_slice(&der[2..]);
    // The version INTEGER's length (01) as 81 01, the outer length one more.
    assert_eq!(der[4..7], [0x02, 0x01, 0x00], "version INTEGER 0");
    let inner_len = u16::from_be_bytes([der[2], der[3]]) + 1;
    let mut inner = vec![0x30, 0x82];
    inner.extend_from_slice(&inner_len.to_be_bytes());
    inner.extend_from_slice(&[0x02, 0x81, 0x01, 0x00]);
    inner.extend_from_slice(&der[7..]);
    let public = pem_body("public.pem");
    assert_eq!(public[..2], [0x30, 0x82], "SPKI length in two bytes");
    let mut public_outer = vec![0x30, 0x83, 0x00];
    public_outer.extend_from_slice(&public[2..]);

    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let pem = |bytes: &[u8]| {
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            b64(bytes)
        )
    };
    let inputs: [(&str, Vec<u8>); 5] = [
        ("outer.der", outer.clone()),
        ("inner.der", inner),
        ("outer.pem", pem(&outer).into_bytes()),
        ("outer.b64", b64(&outer).into_bytes()),
        ("public.der", public_outer),
    ];
    let secrets = secret_lines();
    for (name, bytes) in inputs {
        let e = parse_private_key(&bytes, name, &mut NeverAsked).unwrap_err();
        assert_eq!(e.kind, Kind::Usage, "{name}");
        assert!(
            e.message
                .starts_with(&format!("private key {name} is corrupt: its "))
                && e.message
                    .ends_with(" encodes a length in more bytes than needed, which DER forbids"),
            "{name}: {}",
            e.message
        );
        assert!(
            e.hint.as_ref().unwrap().contains("openssl pkey -in"),
            "{name}"
        );
        assert_no_secret(&e, &secrets);
    }
}

fn pem_body(name: &str) -> Vec<u8> {
    let text = String::from_utf8(read(name)).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

#[test]
fn hints_quote_paths_for_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my key's.pem");
    std::fs::copy(fixture("rsa.legacy-encrypted.pem"), &path).unwrap();
    let e = load_private_key(&path, &mut NeverAsked).unwrap_err();
    let quoted = format!("'{}'", path.display().to_string().replace('\'', r"'\''"));
    assert!(e.hint.unwrap().contains(&format!("-in {quoted} ")));
}

// ---------------------------------------------------------------------------
// Never panics

const ALL_FIXTURES: &[&str] = &[
    "rsa.pkcs8.pem",
    "rsa.pkcs1.pem",
    "rsa.encrypted.pem",
    "rsa.pkcs8.der",
    "rsa.pkcs1.der",
    "rsa.pkcs8.b64",
    "rsa.wrapped.b64",
    "rsa.crlf.pem",
    "rsa.legacy-encrypted.pem",
    "public.pem",
    "public.pkcs1.pem",
    "cert.pem",
    "ec.pkcs8.pem",
    "ec.sec1.pem",
    "dsa.pem",
    "dsa.pkcs8.pem",
    "ed25519.pem",
];

fn every_prefix(name: &str) {
    let bytes = read(name);
    let secrets = secret_lines();
    for len in 0..bytes.len() {
        match parse_private_key(&bytes[..len], name, &mut pass()) {
            // Only a whole key, maybe short of its last newline or padding, may load.
            Ok(_) => assert!(len + 3 >= bytes.len(), "{name}: prefix of {len} loaded"),
            Err(e) => {
                assert_eq!(e.kind, Kind::Usage);
                assert_no_secret(&e, &secrets);
            }
        }
    }
}

#[test]
fn every_prefix_of_a_pem_key_is_refused_cleanly() {
    every_prefix("rsa.pkcs8.pem");
}

#[test]
fn every_prefix_of_a_der_key_is_refused_cleanly() {
    every_prefix("rsa.pkcs8.der");
}

#[test]
fn every_prefix_of_an_encrypted_key_is_refused_cleanly() {
    every_prefix("rsa.encrypted.pem");
}

#[test]
fn prefixes_and_byte_flips_of_every_fixture_never_panic() {
    for name in ALL_FIXTURES {
        let bytes = read(name);
        for len in (0..bytes.len()).step_by(7) {
            let _ = parse_private_key(&bytes[..len], name, &mut pass());
        }
        for i in (0..bytes.len()).step_by(29) {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x5a;
            let _ = parse_private_key(&flipped, name, &mut pass());
        }
    }
}

#[test]
fn damaged_encryption_parameters_never_panic() {
    let pem = String::from_utf8(read("rsa.encrypted.pem")).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    // The algorithm identifiers, salt, iteration count and IV sit in the first ~100 bytes.
    for i in 0..100.min(der.len()) {
        for mask in [0x01, 0x80, 0xff] {
            let mut bad = der.clone();
            bad[i] ^= mask;
            if let Err(e) = parse_private_key(&bad, "enc.der", &mut pass()) {
                assert_eq!(e.kind, Kind::Usage);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Public key, fingerprint, permissions

#[test]
fn fingerprint_is_sha256_of_the_spki_der() {
    let key = load_private_key(&fixture("rsa.pkcs8.pem"), &mut NeverAsked).unwrap();
    let fp = fingerprint_sha256(&key);
    let b64 = fp.strip_prefix("SHA256:").expect(&fp);
    assert_eq!(b64.len(), 43, "{fp}");
    assert!(!b64.contains('='));
    let public = expected_public();
    let body: String = public.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    use sha2::Digest;
    let want = base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha2::Sha256::digest(der));
    assert_eq!(b64, want);
}

#[cfg(unix)]
#[test]
fn permission_warning_for_readable_keys_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("private.pem");
    std::fs::write(&path, read("rsa.pkcs8.pem")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let w = permission_warning(&path).expect("0644 warns");
    assert!(w.contains("(mode 0644)") && w.contains("chmod 600"), "{w}");
    assert!(w.contains(&path.display().to_string()));
    assert!(!w.contains('\n'));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(permission_warning(&path).unwrap().contains("0640"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(permission_warning(&path), None);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    assert_eq!(permission_warning(&path), None);
    assert_eq!(permission_warning(&dir.path().join("missing")), None);
}
