//! One resolved configuration per run. The options and environment
//! (`cli::Global`, the low-level settings) and the stored logins are
//! resolved here, once, into an immutable [`Config`]: the consumer key, the
//! signing key, the token and its secret, the base URL, the URLs to reach
//! and the transport options. Every command reads them from here, so a
//! rule (say, where a token comes from) has this one home.

use crate::cli::{Format, Global};
use crate::client::{Call, Client};
use crate::credentials::{Kind, Logins, Store};
use crate::error::{Error, Result};
use crate::oauth::AuthIn;
use crate::rsa_backend::RsaKey;
use crate::signature::{SignatureMethod, Signer};
use crate::{keys, transport, urls};

mod given;
mod stored;

use given::given_token;
pub use given::{check_token, env_pat};
use reqwest::Method;
use std::path::PathBuf;
use stored::{only_base, stored_token};
use url::Url;

/// The Java sample's consumer key, used when none is given or stored.
pub const DEFAULT_CONSUMER_KEY: &str = "hardcoded-consumer";

/// What a command asks of the configuration.
#[derive(Debug, Default, Clone, Copy)]
pub struct Wants<'a> {
    /// A base URL given as the command's argument (`login BASE`).
    pub base: Option<&'a str>,
    /// URLs or `/paths` the command reaches (paths go under the base URL).
    pub targets: &'a [String],
    /// Whether the command signs with an access token, and the one given
    /// on its command line.
    pub token: TokenWant<'a>,
    /// The base URL is needed even without paths (`doctor`, `whoami`).
    pub needs_base: bool,
    /// A bearer token (OAuth 2.0, a PAT, `JIRA_OAUTH_PAT`) serves as well
    /// as an OAuth 1.0a one; `sign` prints OAuth 1.0a headers only.
    pub bearer: bool,
}

/// Whether a command uses an access token.
#[derive(Debug, Default, Clone, Copy)]
pub enum TokenWant<'a> {
    /// None at all (the request-token step, `login`'s dance).
    #[default]
    Unused,
    /// One is needed: the argument, else the environment, else the login.
    Required(Option<&'a str>),
    /// One is used when there is one (`sign`, `doctor`).
    Optional(Option<&'a str>),
}

/// The access token in play and where it came from.
#[derive(Clone)]
pub struct Token {
    /// OAuth 1.0a tokens are signed for; the others travel as bearers.
    pub kind: Kind,
    pub token: String,
    pub secret: String,
    /// The base URL of the stored login it came from, if it did.
    pub stored_for: Option<String>,
    /// When an OAuth 2.0 token expires (Unix time), if it says.
    pub expires_at: Option<u64>,
}

/// Everything a command needs, resolved once.
pub struct Config {
    pub consumer_key: String,
    pub signature_method: SignatureMethod,
    /// The RSA key file (RSA methods only; checked when loaded).
    private_key: Option<PathBuf>,
    consumer_secret: String,
    /// `--token-secret` as given: a shared-secret signature takes it even
    /// without a token (RFC 5849 §3.4.2), as oauthlib does.
    token_secret: Option<String>,
    pub token: Option<Token>,
    /// Normalized (no trailing slash), with its context path.
    pub base_url: Option<String>,
    /// The targets, resolved to URLs, in the order given.
    pub urls: Vec<Url>,
    pub auth_in: AuthIn,
    pub format: Format,
    pub transport: transport::Options,
}

impl Config {
    /// Resolves the settings for what the command `wants`: the stored
    /// logins are read only when a token or a base URL must come from them.
    pub fn resolve(g: &Global, wants: Wants<'_>) -> Result<Config> {
        let given_token = given_token(wants.token, wants.bearer)?;
        let has_path = wants.targets.iter().any(|t| is_path(t));
        let explicit_base = wants
            .base
            .map(str::to_string)
            .or_else(|| g.base_url.clone());
        let need_base = explicit_base.is_none() && (has_path || wants.needs_base);
        let need_login = given_token.is_none() && !matches!(wants.token, TokenWant::Unused);
        let logins = if need_base || need_login {
            Store::default_location()?.load()?
        } else {
            Logins::default()
        };
        let base_url = match explicit_base {
            Some(b) => Some(urls::normalize_base(&b)?),
            None if need_base => {
                // `doctor` alone may go on without one (it checks the key).
                let optional = matches!(wants.token, TokenWant::Optional(_));
                only_base(&logins, has_path || (wants.needs_base && !optional))?
            }
            None => None,
        };
        let mut resolved = Vec::with_capacity(wants.targets.len());
        for target in wants.targets {
            resolved.push(resolve_target(target, base_url.as_deref())?);
        }
        let consumer_key = g.consumer_key.clone();
        let token = match given_token {
            Some((kind, t)) => Some(Token {
                kind,
                token: t,
                secret: g.token_secret.clone().unwrap_or_default(),
                stored_for: None,
                expires_at: None,
            }),
            None => stored_token(g, &logins, wants, &resolved, base_url.as_deref())?,
        };
        // A stored token belongs to the consumer that obtained it.
        let stored_consumer = token
            .as_ref()
            .and_then(|t| t.stored_for.as_ref())
            .and_then(|b| logins.logins.get(b))
            .map(|e| e.consumer_key.clone());
        let consumer_key = consumer_key
            .or(stored_consumer)
            .unwrap_or_else(|| DEFAULT_CONSUMER_KEY.to_string());

        let transport = transport_options(g, token.as_ref(), &resolved, base_url.as_deref());
        Ok(Config {
            consumer_key,
            signature_method: g.signature_method,
            private_key: g.private_key.clone(),
            consumer_secret: g.consumer_secret.clone().unwrap_or_default(),
            token_secret: g.token_secret.clone(),
            token,
            base_url,
            urls: resolved,
            auth_in: g.auth_in,
            format: g.format,
            transport,
        })
    }

    /// The base URL, which the command cannot do without.
    pub fn base(&self) -> Result<&str> {
        self.base_url.as_deref().ok_or_else(|| {
            Error::usage("no JIRA base URL given").with_hint(
                "give it as the argument, pass --base-url, set JIRA_BASE_URL, or run jira-oauth login",
            )
        })
    }

    /// `base` + `path`, context path kept.
    pub fn endpoint(&self, path: &str) -> Result<Url> {
        urls::endpoint(self.base()?, path)
    }

    /// The signer: the RSA key loaded (and its file's mode checked once it
    /// is known to be a private key), or the consumer secret.
    pub fn signer(&self) -> Result<Signer> {
        Signer::new(
            self.signature_method,
            || Ok(RsaKey::new(self.load_private_key()?)),
            &self.consumer_secret,
        )
    }

    /// The consumer's RSA private key, read from its file.
    pub fn load_private_key(&self) -> Result<rsa::RsaPrivateKey> {
        let path = self.private_key_path()?;
        let key = keys::load_private_key(&path, &mut keys::EnvOrTty)?;
        if let Some(w) = keys::permission_warning(&path) {
            crate::warn(&w);
        }
        Ok(key)
    }

    /// `--private-key`, else `$XDG_CONFIG_HOME/jira-oauth/private.pem`.
    pub fn private_key_path(&self) -> Result<PathBuf> {
        if let Some(p) = &self.private_key {
            return Ok(p.clone());
        }
        let path = crate::config_dir()
            .ok_or_else(|| {
                Error::usage("no private key given, and no home directory to look in")
                    .with_hint("pass --private-key FILE or set JIRA_OAUTH_PRIVATE_KEY")
            })?
            .join("private.pem");
        if !path.exists() {
            return Err(Error::usage(format!(
                "no private key given, and {} does not exist",
                path.display()
            ))
            .with_hint(
                "pass --private-key FILE or set JIRA_OAUTH_PRIVATE_KEY; make a key pair with \
                 jira-oauth keygen",
            ));
        }
        Ok(path)
    }

    /// Whether a consumer secret was given (the HMAC and PLAINTEXT key).
    pub fn has_consumer_secret(&self) -> bool {
        !self.consumer_secret.is_empty()
    }

    /// A client that signs with this configuration's key; with a bearer
    /// token no key is needed (nor loaded).
    pub fn client(&self) -> Result<Client> {
        if self.bearer() {
            let transport = transport::Transport::new(self.transport.clone())?;
            return Client::bearing(self, true, transport);
        }
        let signer = self.signer()?;
        Ok(Client::signing(
            self,
            signer,
            transport::Transport::new(self.transport.clone())?,
        ))
    }

    /// Whether the token in play travels as a bearer (OAuth 2.0, PAT).
    pub fn bearer(&self) -> bool {
        self.token.as_ref().is_some_and(|t| t.kind.is_bearer())
    }

    /// A call to `url` carrying this configuration's token, if any.
    pub fn call(&self, method: Method, url: Url) -> Call {
        let mut call = Call::new(method, url);
        match &self.token {
            Some(t) if t.kind.is_bearer() => call.stored_login = t.stored_for.clone(),
            Some(t) => {
                call.token = Some(t.token.clone());
                call.token_secret = t.secret.clone();
                call.stored_login = t.stored_for.clone();
            }
            None => call.token_secret = self.token_secret.clone().unwrap_or_default(),
        }
        call
    }
}

/// How to reach the server, with every secret in play kept out of `-v`;
/// the system's CA roots only when something is https (they cost start-up).
fn transport_options(
    g: &Global,
    token: Option<&Token>,
    urls: &[Url],
    base: Option<&str>,
) -> transport::Options {
    let mut redact: Vec<String> = g.consumer_secret.iter().cloned().collect();
    redact.extend(token.map(|t| t.secret.clone()));
    // A bearer token is the whole credential (RFC 6750 §5.1).
    redact.extend(
        token
            .filter(|t| t.kind.is_bearer())
            .map(|t| t.token.clone()),
    );
    redact.retain(|s| !s.is_empty());
    let https = urls
        .iter()
        .map(Url::scheme)
        .chain(base.and_then(|b| b.split_once("://")).map(|(s, _)| s))
        .any(|s| s.eq_ignore_ascii_case("https"));
    transport::Options {
        cacert: g.cacert.clone(),
        insecure: g.insecure,
        timeout: g.timeout,
        verbose: g.verbose,
        redact,
        system_roots: https,
    }
}

/// A path under the base URL rather than a whole URL.
fn is_path(target: &str) -> bool {
    target.trim_start().starts_with('/')
}

/// An absolute URL as typed, or a path under the base URL (context path kept).
fn resolve_target(target: &str, base: Option<&str>) -> Result<Url> {
    if !is_path(target) {
        return urls::parse(target);
    }
    let base = base.ok_or_else(|| {
        Error::usage(format!("'{target}' is a path, and no base URL is set")).with_hint(
            "pass --base-url https://jira.example.com, set JIRA_BASE_URL, or run jira-oauth login",
        )
    })?;
    urls::parse(&format!("{base}{}", target.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_the_context_path() {
        let u = resolve_target("/rest/api/2/myself", Some("https://h/jira")).unwrap();
        assert_eq!(u.as_str(), "https://h/jira/rest/api/2/myself");
        assert_eq!(resolve_target("/x", None).unwrap_err().exit_code(), 2);
    }
}
