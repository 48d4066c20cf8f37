//! TEMPORARY STUB (not committed): the real module comes from the keys branch.
use crate::error::{Error, Result};
use rsa::pkcs8::DecodePrivateKey;
use std::path::Path;
pub trait PassphraseSource {
    fn passphrase(&mut self, key_path: &str) -> Result<Option<String>>;
}
pub struct EnvOrTty;
impl PassphraseSource for EnvOrTty {
    fn passphrase(&mut self, _k: &str) -> Result<Option<String>> {
        Ok(None)
    }
}
pub fn load_private_key(path: &Path, _p: &mut dyn PassphraseSource) -> Result<rsa::RsaPrivateKey> {
    let s = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
    rsa::RsaPrivateKey::from_pkcs8_pem(&s).map_err(|_| Error::usage("bad key"))
}
pub fn permission_warning(_path: &Path) -> Option<String> {
    None
}
