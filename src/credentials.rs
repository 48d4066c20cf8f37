//! The logins that `login` stores: `$XDG_CONFIG_HOME/jira-oauth/credentials.json`,
//! one entry per base URL, mode 0600. Changed under an advisory lock (read,
//! modify, write) and replaced atomically (`atomic_file`), so that neither a
//! crash nor two `login`s at once lose an entry.

use crate::atomic_file;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use url::Url;

const FILE_NAME: &str = "credentials.json";

/// What kind of login an entry is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An OAuth 1.0a access token, signed for with the consumer's key.
    /// A file written before kinds existed holds only these.
    #[default]
    Oauth1,
    /// An OAuth 2.0 access token (JIRA Data Center 8.22+), sent as a bearer.
    Oauth2,
    /// A personal access token (JIRA Data Center 8.14+), sent as a bearer.
    Pat,
}

impl Kind {
    /// Whether the token travels as `Authorization: Bearer` (RFC 6750 §2.1).
    pub fn is_bearer(self) -> bool {
        self != Kind::Oauth1
    }

    /// How `whoami` and `login` name it.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Oauth1 => "OAuth 1.0a",
            Kind::Oauth2 => "OAuth 2.0",
            Kind::Pat => "a personal access token",
        }
    }
}

/// One stored login. `token` is the OAuth 1.0a access token, the OAuth 2.0
/// access token or the PAT, by `kind`; the other fields belong to one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    #[serde(default)]
    pub kind: Kind,
    // Written even when empty: a version before kinds must still read the file.
    #[serde(default)]
    pub consumer_key: String,
    pub token: String,
    #[serde(default)]
    pub token_secret: String,
    /// RFC 3339, UTC.
    pub obtained_at: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
}

/// What an OAuth 2.0 login keeps besides its access token: enough to
/// refresh it without the user (RFC 6749 §6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuth2 {
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
    /// Unix seconds when the access token expires, if JIRA said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    #[serde(default)]
    pub scope: String,
    pub redirect_uri: String,
}

/// The file's content: entries keyed by normalized base URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logins {
    #[serde(default)]
    pub version: u32,
    pub logins: BTreeMap<String, Entry>,
}

impl Logins {
    /// The entry whose base URL is the longest prefix of `url` (a prefix
    /// that ends where a path segment does), so context paths work.
    pub fn lookup(&self, url: &Url) -> Option<(&str, &Entry)> {
        let u = url.as_str();
        self.logins
            .iter()
            .filter(|(base, _)| {
                u.strip_prefix(base.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
            })
            .max_by_key(|(base, _)| base.len())
            .map(|(b, e)| (b.as_str(), e))
    }

    /// The only stored base URL, if there is exactly one.
    pub fn only(&self) -> Option<(&str, &Entry)> {
        let mut it = self.logins.iter();
        match (it.next(), it.next()) {
            (Some((b, e)), None) => Some((b.as_str(), e)),
            _ => None,
        }
    }

    /// The stored base URLs, for messages.
    pub fn bases(&self) -> String {
        self.logins.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// The credentials file and its lock.
#[derive(Debug, Clone)]
pub struct Store {
    pub path: PathBuf,
}

impl Store {
    /// `$XDG_CONFIG_HOME/jira-oauth/credentials.json`.
    pub fn default_location() -> Result<Store> {
        let dir = crate::config_dir().ok_or_else(|| {
            Error::usage("no home directory to keep credentials in")
                .with_hint("set HOME or XDG_CONFIG_HOME")
        })?;
        Ok(Store {
            path: dir.join(FILE_NAME),
        })
    }

    /// The stored logins; none when the file does not exist. A file that
    /// cannot be read or parsed is an error naming it, never an empty store.
    pub fn load(&self) -> Result<Logins> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Logins::default()),
            Err(e) => {
                return Err(Error::usage(format!(
                    "cannot read the credentials file {}: {}",
                    self.path.display(),
                    crate::io_reason(&e)
                )))
            }
        };
        serde_json::from_slice(&bytes).map_err(|e| {
            // serde's message names a line and column, never the content.
            Error::usage(format!(
                "the credentials file {} is not valid: {e}",
                self.path.display()
            ))
            .with_hint("fix it, or move it away and run jira-oauth login again")
        })
    }

    /// Reads, changes and writes the logins under the lock, so that
    /// concurrent changes are applied one after the other.
    pub fn update<T>(&self, change: impl FnOnce(&mut Logins) -> T) -> Result<T> {
        atomic_file::create_private_dir(self.dir())?;
        let _lock = Lock::exclusive(&self.lock_path())?;
        atomic_file::remove_stale_temps(&self.path);
        let mut logins = self.load()?;
        let out = change(&mut logins);
        logins.version = 1;
        let mut json = serde_json::to_vec_pretty(&logins).expect("logins serialize");
        json.push(b'\n');
        atomic_file::write(&self.path, &json, 0o600, Some("credentials"))?;
        Ok(out)
    }

    fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        self.path.with_file_name(name)
    }
}

/// An advisory lock on a lock file beside the data (`flock(2)` on unix,
/// `LockFileEx` on Windows); released on drop, and by the system if the
/// process dies.
struct Lock {
    _file: File,
}

impl Lock {
    fn exclusive(path: &Path) -> Result<Lock> {
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(path).map_err(|e| {
            Error::usage(format!(
                "cannot open the lock file {}: {}",
                path.display(),
                crate::io_reason(&e)
            ))
        })?;
        loop {
            match file.lock() {
                Ok(()) => return Ok(Lock { _file: file }),
                // A signal interrupted the wait (EINTR); wait again.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(Error::usage(format!(
                        "cannot lock {}: {}",
                        path.display(),
                        crate::io_reason(&e)
                    )))
                }
            }
        }
    }
}

/// Now as RFC 3339 in UTC, e.g. `2024-05-01T12:00:00Z`.
pub fn now_rfc3339() -> String {
    rfc3339(crate::client::unix_time(std::time::SystemTime::now()))
}

/// Unix seconds as RFC 3339 in UTC, to the second.
pub fn rfc3339(secs: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str) -> Entry {
        Entry {
            consumer_key: key.into(),
            token: "t".into(),
            token_secret: "s".into(),
            obtained_at: rfc3339(0),
            ..Default::default()
        }
    }

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn longest_prefix_on_segment_boundaries() {
        let mut l = Logins::default();
        l.logins.insert("https://h".into(), entry("root"));
        l.logins.insert("https://h/jira".into(), entry("ctx"));
        let find = |u: &str| {
            l.lookup(&Url::parse(u).unwrap())
                .map(|(_, e)| e.consumer_key.clone())
        };
        assert_eq!(find("https://h/jira/rest/api/2/myself").unwrap(), "ctx");
        assert_eq!(find("https://h/jira").unwrap(), "ctx");
        assert_eq!(find("https://h/jiraX/rest").unwrap(), "root");
        assert_eq!(find("https://h/rest?x").unwrap(), "root");
        assert_eq!(find("https://h:8443/rest"), None);
        assert_eq!(find("https://other/jira"), None);
    }

    #[test]
    fn update_round_trips_and_refuses_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store {
            path: dir.path().join("sub/credentials.json"),
        };
        assert_eq!(store.load().unwrap(), Logins::default());
        store
            .update(|l| l.logins.insert("https://h".into(), entry("k")))
            .unwrap();
        assert_eq!(store.load().unwrap().logins["https://h"].consumer_key, "k");
        std::fs::write(&store.path, b"{\"logins\": 3").unwrap();
        let e = store.load().unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.message.contains("credentials.json"), "{e}");
        assert!(store.update(|_| ()).is_err());
    }

    #[test]
    fn a_file_without_kinds_reads_as_oauth1_and_kinds_round_trip() {
        let old = br#"{"version":1,"logins":{"https://h":{"consumer_key":"k","token":"t","token_secret":"s","obtained_at":"2024-01-01T00:00:00Z"}}}"#;
        let l: Logins = serde_json::from_slice(old).unwrap();
        assert_eq!(l.logins["https://h"].kind, Kind::Oauth1);
        assert_eq!(l.logins["https://h"].consumer_key, "k");
        let mut l = Logins::default();
        l.logins.insert(
            "https://p".into(),
            Entry {
                kind: Kind::Pat,
                token: "pat".into(),
                ..Default::default()
            },
        );
        l.logins.insert(
            "https://o".into(),
            Entry {
                kind: Kind::Oauth2,
                token: "at".into(),
                oauth2: Some(OAuth2 {
                    client_id: "c".into(),
                    refresh_token: "rt".into(),
                    expires_at: Some(5),
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        let json = serde_json::to_string(&l).unwrap();
        assert!(json.contains(r#""kind":"pat""#), "{json}");
        assert_eq!(serde_json::from_str::<Logins>(&json).unwrap(), l);
    }
}
