//! Replacing a file atomically: a crash leaves the old file or the new one,
//! never a mix. The new content goes to a temporary file beside the target,
//! is fsynced, renamed over the target, and the directory is fsynced so that
//! the rename itself survives a crash.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// A new content written and fsynced beside its target, not yet in place.
/// Dropped without `commit`, the temporary file is removed.
#[derive(Debug)]
pub struct Pending {
    file: NamedTempFile,
    target: PathBuf,
}

/// Replaces `path` with `bytes`. `mode` is the file's permission bits on
/// unix, exact whatever the umask (elsewhere the directory's defaults
/// apply). `failpoint` names this write for the crash tests (debug builds).
pub fn write(path: &Path, bytes: &[u8], mode: u32, failpoint: Option<&str>) -> Result<()> {
    let pending = prepare(path, bytes, mode)?;
    crash_point(failpoint);
    pending.commit()
}

/// The first half of `write`: the temporary file, written and fsynced.
/// Several can be prepared before any is committed, so that a failure to
/// write one leaves none of them in place.
pub fn prepare(path: &Path, bytes: &[u8], mode: u32) -> Result<Pending> {
    let fail = |e: std::io::Error| {
        Error::usage(format!(
            "cannot write {}: {}",
            path.display(),
            crate::io_reason(&e)
        ))
    };
    // On error the temporary file is dropped, which removes it.
    let mut file = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .tempfile_in(dir_of(path))
        .map_err(fail)?;
    set_mode(file.as_file(), mode).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.as_file().sync_all().map_err(fail)?;
    Ok(Pending {
        file,
        target: path.to_path_buf(),
    })
}

impl Pending {
    /// Renames the temporary file over the target, then fsyncs the directory.
    pub fn commit(self) -> Result<()> {
        let Pending { file, target } = self;
        // On error the temporary file comes back in the error and is dropped.
        file.persist(&target).map_err(|e| {
            Error::usage(format!(
                "cannot replace {}: {}",
                target.display(),
                crate::io_reason(&e.error)
            ))
        })?;
        sync_dir(dir_of(&target));
        Ok(())
    }
}

/// Removes the temporary files that a crashed writer of `path` left. Call it
/// only when no other writer of `path` can be running (under a lock).
pub fn remove_stale_temps(path: &Path) {
    let prefix = temp_prefix(path);
    if let Ok(entries) = std::fs::read_dir(dir_of(path)) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Creates the directory (and its parents) if missing; on unix with mode
/// 0700, as it holds secrets.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| {
        Error::usage(format!(
            "cannot create the directory {}: {}",
            dir.display(),
            crate::io_reason(&e)
        ))
    })
}

/// `.NAME.tmp.`: hidden, and recognizably this file's.
fn temp_prefix(path: &Path) -> String {
    format!(
        ".{}.tmp.",
        path.file_name().unwrap_or_default().to_string_lossy()
    )
}

fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// The umask may have taken bits away (never added any), so set them exactly.
#[cfg(unix)]
fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

/// Elsewhere there are no mode bits; the file keeps the directory's access
/// rules.
#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// A rename is durable once its directory is fsynced (POSIX `fsync(2)` on
/// the directory). Best effort: the new content is already in place.
#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Windows cannot open a directory as a file; its rename is flushed with
/// the file system's metadata.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

/// Debug builds only: `JIRA_OAUTH_CRASH_BEFORE_RENAME=<name>` ends the
/// process between the write and the rename, as a crash would.
fn crash_point(name: Option<&str>) {
    if !cfg!(debug_assertions) {
        return;
    }
    if let (Some(name), Ok(want)) = (name, std::env::var("JIRA_OAUTH_CRASH_BEFORE_RENAME")) {
        if want == name {
            std::process::exit(86);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// A temporary directory holding `name` with `old` in it.
    fn dir_with(name: &str, old: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, old).unwrap();
        (dir, path)
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_file() {
        let (dir, path) = dir_with("f.json", b"old");
        write(&path, b"new", 0o600, None).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(names(dir.path()), ["f.json"]);
    }

    #[test]
    fn nothing_changes_until_commit_and_a_dropped_write_leaves_nothing() {
        let (dir, a) = dir_with("a", b"old a");
        let b = dir.path().join("b");
        let pa = prepare(&a, b"new a", 0o600).unwrap();
        let pb = prepare(&b, b"new b", 0o644).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"old a");
        assert!(!b.exists());
        assert_eq!(names(dir.path()).len(), 3, "a and two temporary files");
        pa.commit().unwrap();
        drop(pb);
        assert_eq!(std::fs::read(&a).unwrap(), b"new a");
        assert_eq!(names(dir.path()), ["a"]);
    }

    #[test]
    fn stale_temporary_files_are_swept_and_only_this_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let other = dir.path().join("g");
        std::mem::forget(prepare(&path, b"x", 0o600).unwrap());
        std::mem::forget(prepare(&other, b"x", 0o600).unwrap());
        remove_stale_temps(&path);
        let left = names(dir.path());
        assert_eq!(left.len(), 1);
        assert!(left[0].starts_with(".g.tmp."), "{left:?}");
    }

    #[cfg(unix)]
    #[test]
    fn the_mode_is_exact() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o600, 0o644] {
            let path = dir.path().join(format!("{mode:o}"));
            write(&path, b"x", mode, None).unwrap();
            let got = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(got, mode);
        }
    }
}
