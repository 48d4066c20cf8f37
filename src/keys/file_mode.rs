//! Whether others can read the key file. Only Unix modes say so; elsewhere
//! (Windows ACLs) there is nothing comparable to check, so no warning.

use std::path::Path;

/// A one-line warning when group or others can read the key file (Unix only).
/// Call it once the file loaded as a private key: for any other file the
/// error about what it really is says enough.
#[cfg(unix)]
pub fn permission_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o7777;
    if mode & 0o044 == 0 {
        return None;
    }
    let name = path.display().to_string();
    Some(format!(
        "private key {name} is readable by others (mode {mode:04o}); run chmod 600 {}",
        super::quote(&name)
    ))
}

/// A one-line warning when group or others can read the key file (Unix only).
#[cfg(not(unix))]
pub fn permission_warning(path: &Path) -> Option<String> {
    let _ = path;
    None
}
