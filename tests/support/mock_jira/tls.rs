//! A throw-away CA and a server certificate for 127.0.0.1 and localhost.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use std::path::PathBuf;
use std::sync::Arc;

pub struct TestCa {
    /// Holds the CA file; removed with the server.
    _dir: tempfile::TempDir,
    pub ca_pem_path: PathBuf,
    pub ca_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
}

pub fn make() -> TestCa {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "mock-jira test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");

    let key = KeyPair::generate().expect("server key");
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("server params");
    leaf.distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let cert = leaf
        .signed_by(&key, &ca_cert, &ca_key)
        .expect("server certificate");

    let dir = tempfile::tempdir().expect("tempdir for the CA");
    let ca_pem = ca_cert.pem();
    let ca_pem_path = dir.path().join("mock-jira-ca.pem");
    std::fs::write(&ca_pem_path, &ca_pem).expect("write CA file");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("server config");
    TestCa {
        _dir: dir,
        ca_pem_path,
        ca_pem,
        server_config: Arc::new(server_config),
    }
}
