//! Shared test support. Each test binary uses a subset of it.
#![allow(dead_code)]

pub mod cli;
pub mod mock_jira;
pub mod oauth2;
pub mod proxy;
pub mod raw;

use std::path::{Path, PathBuf};

/// A private key from `tests/data`, made owner-only first: git keeps no
/// such mode, and the binary warns (as ssh does) about a key others can read.
pub fn private_key(name: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}
