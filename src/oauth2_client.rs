//! JIRA Data Center's OAuth 2.0 provider (8.22+) seen from the client: the
//! authorize URL (PKCE S256, RFC 7636), the code exchange and the refresh
//! (RFC 6749 §4.1, §6), and revocation (RFC 7009). The `oauth2` crate builds
//! and reads these; it talks through our transport (the same TLS roots,
//! `--cacert`, `--timeout` and `-v` redaction as every other call). JIRA
//! reads the client ID and secret from the form body only, never from a
//! Basic header, so the crate is set to put them there.

use crate::answers::SMALL_BODY;
use crate::credentials::{self, Entry, Kind, OAuth2, Store};
use crate::error::{Error, Result};
use crate::transport::{self, Transport};
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, RevocationUrl, Scope,
    TokenResponse, TokenUrl,
};
use std::time::SystemTime;
use url::Url;

pub const AUTHORIZE: &str = "/rest/oauth2/latest/authorize";
pub const TOKEN: &str = "/rest/oauth2/latest/token";
pub const REVOKE: &str = "/rest/oauth2/latest/revoke";

/// A stored access token with less than this left is refreshed first.
pub const REFRESH_MARGIN_SECS: u64 = 60;

pub const NO_PROVIDER: &str = "this JIRA has no OAuth 2.0 provider (Data Center 8.22 or later)";

/// An incoming link's client, at one JIRA.
#[derive(Clone)]
pub struct Provider {
    pub base: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
}

/// What the token endpoint answered.
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub expires_at: Option<u64>,
    pub scope: String,
}

/// The authorization request to send the browser to.
pub struct Authorization {
    pub url: Url,
    pub state: String,
    pub verifier: PkceCodeVerifier,
}

/// Our transport as the `oauth2` crate's HTTP client.
struct Http<'a> {
    transport: &'a Transport,
    /// What the request carries and the trace must not show.
    secrets: Vec<String>,
}

impl oauth2::SyncHttpClient for Http<'_> {
    type Error = Error;

    fn call(&self, req: oauth2::HttpRequest) -> Result<oauth2::HttpResponse> {
        let (parts, body) = req.into_parts();
        let url = crate::urls::parse(&parts.uri.to_string())?;
        let headers = parts
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let mut resp = self.transport.send(transport::Request {
            method: parts.method,
            url: url.clone(),
            headers,
            body: (!body.is_empty()).then_some(body),
            secrets: self.secrets.clone(),
        })?;
        let status = resp.status();
        if status.as_u16() == 404 {
            return Err(Error::http(NO_PROVIDER).with_hint(format!("{url} answered HTTP 404")));
        }
        if status.is_server_error() {
            return Err(Error::http(format!(
                "{url} answered HTTP {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )));
        }
        let head = resp.headers().clone();
        let body =
            transport::read_body(&mut resp, &url, self.transport.timeout(), Some(SMALL_BODY))?;
        let mut out = oauth2::HttpResponse::new(body);
        *out.status_mut() = status;
        *out.headers_mut() = head;
        Ok(out)
    }
}

impl Provider {
    fn endpoint(&self, path: &str) -> Result<Url> {
        crate::urls::endpoint(&self.base, path)
    }

    fn client(
        &self,
    ) -> Result<
        BasicClient<
            oauth2::EndpointSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointSet,
            oauth2::EndpointSet,
        >,
    > {
        let redirect = RedirectUrl::new(self.redirect_uri.clone()).map_err(|e| {
            Error::usage(format!(
                "--redirect-uri '{}' is not a URL: {e}",
                self.redirect_uri
            ))
        })?;
        Ok(BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.clone()))
            // JIRA reads the client's credentials from the form only.
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(AuthUrl::from_url(self.endpoint(AUTHORIZE)?))
            .set_token_uri(TokenUrl::from_url(self.endpoint(TOKEN)?))
            .set_revocation_url(RevocationUrl::from_url(self.endpoint(REVOKE)?))
            .set_redirect_uri(redirect))
    }

    /// The authorize URL with a fresh `state` and PKCE challenge (S256).
    pub fn authorization(&self, scope: &str) -> Result<Authorization> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client()?
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new(scope.to_string()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Authorization {
            url,
            state: state.secret().clone(),
            verifier,
        })
    }

    fn http<'a>(&self, transport: &'a Transport, more: &[&str]) -> Http<'a> {
        let mut secrets = vec![self.client_secret.clone()];
        secrets.extend(more.iter().map(|s| s.to_string()));
        Http { transport, secrets }
    }

    /// Swaps the authorization code for tokens (RFC 6749 §4.1.3).
    pub fn exchange(
        &self,
        transport: &Transport,
        code: &str,
        verifier: PkceCodeVerifier,
    ) -> Result<Tokens> {
        let http = self.http(transport, &[code, verifier.secret()]);
        let answer = self
            .client()?
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(verifier)
            .request(&http);
        self.tokens(answer, "", &self.base)
    }

    /// A new pair for the refresh token (RFC 6749 §6); JIRA rotates it.
    pub fn refresh(&self, transport: &Transport, refresh: &str, scope: &str) -> Result<Tokens> {
        let http = self.http(transport, &[refresh]);
        let token = RefreshToken::new(refresh.to_string());
        let answer = self
            .client()?
            .exchange_refresh_token(&token)
            // JIRA's documented refresh request carries the redirect URI.
            .add_extra_param("redirect_uri", self.redirect_uri.clone())
            .request(&http);
        self.tokens(answer, scope, &self.base)
    }

    /// Revokes the refresh token (RFC 7009 §2.1). Sent by hand: the
    /// `oauth2` crate refuses a revocation endpoint over plain http, which
    /// a JIRA behind http (a test instance, a TLS-terminating proxy) has.
    pub fn revoke(&self, transport: &Transport, refresh: &str) -> Result<()> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", refresh)
            .append_pair("token_type_hint", "refresh_token")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", &self.client_secret)
            .finish();
        let url = self.endpoint(REVOKE)?;
        let mut resp = transport.send(transport::Request {
            method: reqwest::Method::POST,
            url: url.clone(),
            headers: vec![(
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: Some(body.into_bytes()),
            secrets: vec![refresh.to_string(), self.client_secret.clone()],
        })?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body = transport::read_body(&mut resp, &url, transport.timeout(), Some(SMALL_BODY))?;
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if let Some(code) = v.get("error").and_then(|e| e.as_str()) {
            let d = v.get("error_description").and_then(|e| e.as_str());
            return Err(refusal(code, d, &self.base));
        }
        Err(Error::http(format!(
            "{url} answered HTTP {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )))
    }

    fn tokens(
        &self,
        answer: std::result::Result<
            BasicTokenResponse,
            RequestTokenError<Error, oauth2::StandardErrorResponse<BasicErrorResponseType>>,
        >,
        old_scope: &str,
        base: &str,
    ) -> Result<Tokens> {
        let t = answer.map_err(|e| match e {
            RequestTokenError::Request(e) => e,
            RequestTokenError::ServerResponse(r) => refusal(
                r.error().as_ref(),
                r.error_description().map(String::as_str),
                base,
            ),
            RequestTokenError::Parse(_, body) => Error::http(format!(
                "{} answered something that is not a token: {}",
                self.endpoint(TOKEN).map(String::from).unwrap_or_default(),
                crate::problem::snippet(&body)
            )),
            RequestTokenError::Other(m) => Error::http(format!("the token endpoint failed: {m}")),
        })?;
        let now = crate::client::unix_time(SystemTime::now());
        Ok(Tokens {
            access: t.access_token().secret().clone(),
            refresh: t
                .refresh_token()
                .map(|r| r.secret().clone())
                .unwrap_or_default(),
            expires_at: t.expires_in().map(|d| now + d.as_secs()),
            scope: t
                .scopes()
                .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
                .unwrap_or_else(|| old_scope.to_string()),
        })
    }
}

/// An RFC 6749 §5.2 error as one line and a hint (exit 4).
pub fn refusal(code: &str, description: Option<&str>, base: &str) -> Error {
    let said = description.map(|d| format!(": {d}")).unwrap_or_default();
    let hint = match code {
        "invalid_client" => "check the client ID and secret against JIRA's incoming \
                             Application Link (Administration, Applications, Application links)"
            .to_string(),
        "invalid_grant" => format!(
            "the authorization or refresh token is no longer valid (used, revoked, or unused \
             for 90 days): run jira-oauth login {base} --oauth2 again"
        ),
        "invalid_scope" => {
            "ask for a scope the link allows: READ, WRITE, ADMIN or SYSTEM_ADMIN".to_string()
        }
        "unauthorized_client" => {
            "the incoming link does not allow this grant: check its settings in JIRA".to_string()
        }
        "access_denied" => "run jira-oauth login again and click Allow".to_string(),
        _ => format!("run jira-oauth login {base} --oauth2 again"),
    };
    Error::oauth(format!("JIRA's OAuth 2.0 provider refused: {code}{said}")).with_hint(hint)
}

impl Provider {
    /// The provider of a stored OAuth 2.0 login.
    pub fn of(base: &str, o: &OAuth2) -> Provider {
        Provider {
            base: base.to_string(),
            client_id: o.client_id.clone(),
            client_secret: o.client_secret.clone(),
            redirect_uri: o.redirect_uri.clone(),
        }
    }
}

/// Whether a stored access token has under a minute left.
pub fn expiring(entry: &Entry) -> bool {
    expires_soon(entry.oauth2.as_ref().and_then(|o| o.expires_at))
}

/// Whether an access token expiring at `at` (Unix time) has under a
/// minute left: CLI.md refreshes it before the request.
pub fn expires_soon(at: Option<u64>) -> bool {
    let now = crate::client::unix_time(SystemTime::now());
    at.is_some_and(|at| at < now + REFRESH_MARGIN_SECS)
}

/// Refreshes the login stored for `base`, whose access token `used` is
/// spent or about to be. JIRA rotates refresh tokens (the old one dies at
/// once), so this runs under the credentials lock and re-reads the entry
/// first: when another process has rotated it already, its token is used.
/// Returns the entry as stored afterwards.
pub fn refresh_stored(transport: &Transport, base: &str, used: &str) -> Result<Entry> {
    let store = Store::default_location()?;
    store.update(|logins| {
        let Some(entry) = logins.logins.get_mut(base) else {
            return Err(Error::oauth(format!("the login for {base} is gone"))
                .with_hint(format!("run jira-oauth login {base} --oauth2")));
        };
        if entry.token != used && !expiring(entry) {
            return Ok(entry.clone());
        }
        let Some(o) = entry.oauth2.clone().filter(|_| entry.kind == Kind::Oauth2) else {
            return Err(Error::oauth(format!(
                "the login for {base} cannot be refreshed"
            )));
        };
        let tokens = Provider::of(base, &o).refresh(transport, &o.refresh_token, &o.scope)?;
        entry.token = tokens.access;
        entry.obtained_at = credentials::now_rfc3339();
        entry.oauth2 = Some(OAuth2 {
            refresh_token: if tokens.refresh.is_empty() {
                o.refresh_token.clone()
            } else {
                tokens.refresh
            },
            expires_at: tokens.expires_at,
            scope: tokens.scope,
            ..o
        });
        Ok(entry.clone())
    })?
}
