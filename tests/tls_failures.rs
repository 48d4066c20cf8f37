//! TLS failures through the binary: an expired certificate, a wrong host
//! name, an unknown CA, an old protocol. Each is exit 3 with a message that
//! says which.

mod support;

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use support::cli::{consumer_key_path, Env, Out};
use support::raw::RawServer;

/// A CA (written to a file for --cacert) and a server certificate it signed.
struct Pki {
    _dir: tempfile::TempDir,
    ca_path: PathBuf,
    config: Arc<rustls::ServerConfig>,
}

fn pki(names: &[&str], leaf: impl FnOnce(&mut CertificateParams)) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();

    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    leaf(&mut params);
    let cert = params.signed_by(&key, &ca_cert, &ca_key).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, ca_cert.pem()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    Pki {
        _dir: dir,
        ca_path,
        config: Arc::new(config),
    }
}

/// A TLS server that answers 200 to whoever completes the handshake; for
/// each connection, whether a handshake completed.
fn tls_server(config: Arc<rustls::ServerConfig>) -> RawServer<bool> {
    RawServer::start(move |sock| {
        let conn = rustls::ServerConnection::new(config.clone()).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, sock);
        let mut buf = [0u8; 4096];
        if tls.read(&mut buf).is_err() || tls.conn.is_handshaking() {
            return false;
        }
        let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
        let _ = tls.flush();
        true
    })
}

fn run(env: &Env, args: &[&str]) -> Out {
    let mut cmd = env.bare();
    cmd.arg("--private-key")
        .arg(consumer_key_path())
        .args(["--timeout", "10"])
        .args(args)
        .timeout(Duration::from_secs(60));
    env.run(&mut cmd)
}

/// Exit 3, and an error line and hint that contain the words.
fn fails_saying(out: &Out, error: &[&str], hint: &str) {
    out.fails(3);
    let line = out.error().to_lowercase();
    for word in error {
        assert!(line.contains(word), "wanted {word:?}: {}", out.stderr);
    }
    assert!(out.hint().contains(hint), "wanted {hint:?}: {}", out.stderr);
    assert!(out.stdout.is_empty());
}

#[test]
fn a_good_certificate_works() {
    // The servers below differ from this one in one thing each.
    let pki = pki(&["127.0.0.1"], |_| {});
    let server = tls_server(pki.config.clone());
    let env = Env::new();
    let ca = pki.ca_path.to_str().unwrap();
    let out = run(
        &env,
        &["--cacert", ca, "request", "tok", &server.url("https", "/x")],
    );
    assert_eq!(server.finish(), vec![true]);
    out.ok();
    assert_eq!(out.stdout, "ok\n");
}

#[test]
fn an_expired_certificate() {
    let pki = pki(&["127.0.0.1"], |p| {
        p.not_before = date_time_ymd(2019, 1, 1);
        p.not_after = date_time_ymd(2020, 1, 1);
    });
    let server = tls_server(pki.config.clone());
    let env = Env::new();
    let ca = pki.ca_path.to_str().unwrap();
    let out = run(
        &env,
        &["--cacert", ca, "request", "tok", &server.url("https", "/x")],
    );
    assert_eq!(server.finish(), vec![false]);
    fails_saying(&out, &["127.0.0.1", "expired"], "renew");
}

#[test]
fn a_certificate_not_yet_valid() {
    let pki = pki(&["127.0.0.1"], |p| {
        p.not_before = date_time_ymd(2999, 1, 1);
        p.not_after = date_time_ymd(3000, 1, 1);
    });
    let server = tls_server(pki.config.clone());
    let env = Env::new();
    let ca = pki.ca_path.to_str().unwrap();
    let out = run(
        &env,
        &["--cacert", ca, "request", "tok", &server.url("https", "/x")],
    );
    assert_eq!(server.finish(), vec![false]);
    fails_saying(&out, &["not valid yet"], "clock");
}

#[test]
fn a_certificate_for_another_host_name() {
    let pki = pki(&["jira.example.com"], |_| {});
    let server = tls_server(pki.config.clone());
    let env = Env::new();
    let ca = pki.ca_path.to_str().unwrap();
    let out = run(
        &env,
        &[
            "--cacert",
            ca,
            "requestToken",
            &server.url("https", "/jira"),
        ],
    );
    assert_eq!(server.finish(), vec![false]);
    fails_saying(
        &out,
        &["not valid for", "127.0.0.1", "jira.example.com"],
        "host name",
    );
}

#[test]
fn a_certificate_from_an_unknown_ca() {
    let pki = pki(&["127.0.0.1"], |_| {});
    let server = tls_server(pki.config.clone());
    let env = Env::new();
    let out = run(&env, &["request", "tok", &server.url("https", "/x")]);
    assert_eq!(server.finish(), vec![false]);
    fails_saying(&out, &["unknown issuer"], "--cacert");
}

/// A server stuck at TLS 1.0: it reads the ClientHello and answers `reply`.
fn tls10_server(reply: &'static [u8]) -> RawServer<Vec<u8>> {
    RawServer::start(move |mut s: TcpStream| {
        let mut hello = vec![0u8; 5];
        if s.read_exact(&mut hello).is_err() {
            return hello;
        }
        let len = u16::from_be_bytes([hello[3], hello[4]]) as usize;
        hello.resize(5 + len, 0);
        let _ = s.read_exact(&mut hello[5..]);
        let _ = s.write_all(reply);
        let _ = s.read_to_end(&mut Vec::new());
        hello
    })
}

/// A fatal protocol_version alert, in a TLS 1.0 record.
const ALERT_PROTOCOL_VERSION: &[u8] = &[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46];

/// A ServerHello choosing TLS 1.0 and TLS_RSA_WITH_AES_128_CBC_SHA.
const SERVER_HELLO_TLS10: &[u8] = &[
    0x16, 0x03, 0x01, 0x00, 0x2a, // handshake record, TLS 1.0, 42 bytes
    0x02, 0x00, 0x00, 0x26, // ServerHello, 38 bytes
    0x03, 0x01, // TLS 1.0
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, // random
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,   //
    0x00, // no session id
    0x00, 0x2f, // cipher suite
    0x00, // no compression
];

#[test]
fn a_tls_1_0_only_server() {
    for reply in [ALERT_PROTOCOL_VERSION, SERVER_HELLO_TLS10] {
        let server = tls10_server(reply);
        let env = Env::new();
        let out = run(&env, &["request", "tok", &server.url("https", "/x")]);
        let hellos = server.finish();
        // The client spoke TLS: a handshake record carrying a ClientHello.
        assert_eq!(hellos.len(), 1, "{}", out.stderr);
        assert_eq!(hellos[0][0], 0x16);
        assert_eq!(hellos[0][5], 0x01);
        fails_saying(&out, &["tls", "protocol version"], "TLS 1.2");
    }
}

#[test]
fn plain_http_where_tls_was_expected() {
    let server = RawServer::start(|mut s: TcpStream| {
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf);
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    let env = Env::new();
    let out = run(&env, &["request", "tok", &server.url("https", "/x")]);
    server.finish();
    fails_saying(&out, &["did not answer in tls"], "http://");
}

#[test]
fn plain_http_to_a_tls_port() {
    // The server speaks TLS: what it answers to plain HTTP is a TLS alert.
    let pki = pki(&["127.0.0.1"], |_| {});
    let server = tls_server(pki.config.clone());
    let env = Env::new();
    let out = run(&env, &["request", "tok", &server.url("http", "/x")]);
    let https = server.url("https", "/x");
    assert_eq!(server.finish(), vec![false]);
    fails_saying(&out, &["127.0.0.1", "tls"], "use https://");
    assert!(out.hint().contains(&https), "{}", out.stderr);
}
