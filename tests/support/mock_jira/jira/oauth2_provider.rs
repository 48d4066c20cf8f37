//! JIRA Data Center's OAuth 2.0 provider (8.22+), as its documentation and
//! RFC 6749/7636/7009 describe it:
//! - `/rest/oauth2/latest/authorize`: the redirect URI must equal one that
//!   the incoming link registered (exactly, port included); an anonymous
//!   browser is sent to `login.jsp`; an unknown client or redirect URI gets
//!   an error page (400), never a redirect;
//! - `/rest/oauth2/latest/token`: the client secret is required even with
//!   PKCE (S256), read from the form body only; codes are single-use, and a
//!   code used twice revokes every token issued from it, rotations
//!   included (RFC 6749 §4.1.2); refresh tokens rotate (the old one dies
//!   at once); answers carry
//!   `Cache-Control: no-store` and errors are RFC 6749 §5.2 JSON;
//! - `/rest/oauth2/latest/revoke` (RFC 7009).
//!
//! Choices where JIRA's answer is not pinned down: `invalid_client` is a
//! 401, other errors 400; an old access token stays valid until it
//! expires after its refresh token was rotated; a revoked refresh token
//! takes its access token with it.

use super::http::Response;
use super::{Recorded, Shared};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// An incoming Application Link.
#[derive(Clone, Debug)]
pub struct OAuth2Client {
    pub id: String,
    pub secret: String,
    pub redirect_uris: Vec<String>,
}

struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scope: String,
    used: bool,
}

struct Refresh {
    client_id: String,
    scope: String,
    access: String,
    dead: bool,
    /// The authorization code its line of rotations started from: all of
    /// it is revoked if that code comes back (RFC 6749 §4.1.2).
    code: String,
}

#[derive(Default)]
pub struct Provider {
    clients: HashMap<String, OAuth2Client>,
    codes: HashMap<String, Code>,
    refresh: HashMap<String, Refresh>,
    /// Successful refresh grants.
    pub refreshes: usize,
    /// Requests at the token endpoint, by grant type.
    pub grants: Vec<String>,
    /// Seconds an access token lives (JIRA's default: one hour).
    pub access_lifetime: Option<i64>,
    /// The revocation endpoint answers 500.
    pub revoke_fails: bool,
    /// Refresh tokens revoked at the revocation endpoint.
    pub revoked: Vec<String>,
    /// The token endpoint's next answer: this RFC 6749 §5.2 error (400).
    pub next_error: Option<String>,
}

impl Provider {
    /// Every refresh token dies (revoked by an admin, or unused 90 days).
    pub fn kill_refresh_tokens(&mut self) {
        for r in self.refresh.values_mut() {
            r.dead = true;
        }
    }
}

fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn error(status: u16, code: &str, description: &str) -> Response {
    no_store(Response::json(
        status,
        &json!({"error": code, "error_description": description}),
    ))
}

fn no_store(r: Response) -> Response {
    r.header("Cache-Control", "no-store")
        .header("Pragma", "no-cache")
}

fn random() -> String {
    super::random(40)
}

impl Shared {
    /// `scheme://host:port`, without the context path (which targets hold).
    fn base_url_root(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    pub fn oauth2_register(&self, client: OAuth2Client) {
        self.lock().oauth2.clients.insert(client.id.clone(), client);
    }

    pub fn oauth2<R>(&self, f: impl FnOnce(&mut Provider) -> R) -> R {
        f(&mut self.lock().oauth2)
    }

    /// The provider's endpoints; `None` when the path is not one of them.
    pub(super) fn oauth2_endpoint(&self, rec: &mut Recorded, local: &str) -> Option<Response> {
        let rest = local.strip_prefix("/rest/oauth2/latest/")?;
        if self.lock().oauth2.clients.is_empty() {
            // No provider (JIRA before 8.22): no such REST resource.
            rec.outcome = super::Outcome::NotFound;
            return Some(Response::json(
                404,
                &json!({"message": "null for uri: /rest/oauth2/latest/", "status-code": 404}),
            ));
        }
        rec.outcome = super::Outcome::Unchecked;
        Some(match (rec.method.as_str(), rest) {
            ("GET", "authorize") => self.oauth2_authorize_page(rec),
            ("POST", "token") => self.oauth2_token(rec),
            ("POST", "revoke") => self.oauth2_revoke(rec),
            _ => Response::json(405, &json!({"errorMessages": ["Method Not Allowed"]})),
        })
    }

    /// Checks an authorize request's client and redirect URI.
    fn oauth2_check_authorize(&self, q: &HashMap<String, String>) -> Result<(), Response> {
        let page = |text: &str| {
            Response::html(
                400,
                format!("<html><body><h1>OAuth 2.0 error</h1><p>{text}</p></body></html>\n"),
            )
        };
        let inner = self.lock();
        let Some(client) = q
            .get("client_id")
            .and_then(|id| inner.oauth2.clients.get(id))
        else {
            return Err(page("Invalid client_id"));
        };
        let redirect = q.get("redirect_uri").map(String::as_str).unwrap_or("");
        if !client.redirect_uris.iter().any(|r| r == redirect) {
            return Err(page("Invalid redirect_uri"));
        }
        if q.get("response_type").map(String::as_str) != Some("code") {
            return Err(page("Invalid response_type"));
        }
        Ok(())
    }

    /// What the browser gets: JIRA's login page for an anonymous user.
    fn oauth2_authorize_page(&self, rec: &Recorded) -> Response {
        let q = form(rec.query.as_deref().unwrap_or("").as_bytes());
        if let Err(page) = self.oauth2_check_authorize(&q) {
            return page;
        }
        // `approve=true|false` plays the logged-in user on the consent page
        // (the offline demo: `curl -L` then lands on the redirect URI).
        if let Some(allow) = q.get("approve") {
            let full = format!("{}{}", self.base_url_root(), rec.target);
            return match self.oauth2_consent(&full, allow == "true") {
                Ok(to) => Response::new(302).header("Location", to),
                Err(status) => Response::html(status, "<html><body>Bad request</body></html>\n"),
            };
        }
        let back = url::form_urlencoded::byte_serialize(rec.target.as_bytes()).collect::<String>();
        Response::new(302).header(
            "Location",
            format!(
                "{}/login.jsp?permissionViolation=true&os_destination={back}",
                self.base_url
            ),
        )
    }

    /// The logged-in user answers the consent page for `authorize_url`:
    /// the URL JIRA then sends the browser to (the redirect URI with a code,
    /// or `error=access_denied`), or `Err` with the page's status.
    pub fn oauth2_consent(&self, authorize_url: &str, allow: bool) -> Result<String, u16> {
        let url = url::Url::parse(authorize_url).map_err(|_| 400u16)?;
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        self.oauth2_check_authorize(&q).map_err(|r| r.status)?;
        let redirect = q["redirect_uri"].clone();
        let state = q.get("state").cloned().unwrap_or_default();
        let mut to = url::Url::parse(&redirect).map_err(|_| 400u16)?;
        if !allow {
            to.query_pairs_mut()
                .append_pair("error", "access_denied")
                .append_pair("error_description", "The user denied access")
                .append_pair("state", &state);
            return Ok(to.into());
        }
        if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
            return Err(400);
        }
        let code = random();
        self.lock().oauth2.codes.insert(
            code.clone(),
            Code {
                client_id: q["client_id"].clone(),
                redirect_uri: redirect,
                challenge: q.get("code_challenge").cloned().unwrap_or_default(),
                scope: q.get("scope").cloned().unwrap_or_else(|| "READ".into()),
                used: false,
            },
        );
        to.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &state);
        Ok(to.into())
    }

    fn oauth2_token(&self, rec: &Recorded) -> Response {
        let f = form(&rec.body);
        let get = |k: &str| field(&f, k);
        let grant = get("grant_type").to_string();
        let mut inner = self.lock();
        inner.oauth2.grants.push(grant.clone());
        if let Some(e) = inner.oauth2.next_error.take() {
            return error(400, &e, "as the test asked");
        }
        // The secret is read from the form only (a Basic header is ignored).
        let client_ok =
            inner.oauth2.clients.get(get("client_id")).is_some_and(|c| {
                !get("client_secret").is_empty() && c.secret == get("client_secret")
            });
        if !client_ok {
            return error(401, "invalid_client", "Client authentication failed");
        }
        let now = super::now_of(&inner);
        let lifetime = inner.oauth2.access_lifetime.unwrap_or(3600);
        let p = &mut inner.oauth2;
        let granted = match grant.as_str() {
            "authorization_code" => p.code_grant(&f),
            "refresh_token" => p.refresh_grant(&f),
            _ => Err((
                error(400, "unsupported_grant_type", "Unsupported grant type"),
                Vec::new(),
            )),
        };
        let (scope, code) = match granted {
            Ok(g) => g,
            Err((refusal, revoked)) => {
                drop(inner);
                for t in revoked {
                    self.revoke_bearer(&t);
                }
                return refusal;
            }
        };
        let access = random();
        let refresh = random();
        let line = Refresh {
            client_id: get("client_id").to_string(),
            scope: scope.clone(),
            access: access.clone(),
            dead: false,
            code,
        };
        p.refresh.insert(refresh.clone(), line);
        drop(inner);
        self.add_bearer(&access, Some(now + lifetime));
        no_store(Response::json(
            200,
            &json!({
                "access_token": access,
                "token_type": "bearer",
                "expires_in": lifetime,
                "refresh_token": refresh,
                "scope": scope,
            }),
        ))
    }

    fn oauth2_revoke(&self, rec: &Recorded) -> Response {
        let f = form(&rec.body);
        let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
        let mut inner = self.lock();
        if inner.oauth2.revoke_fails {
            return Response::json(500, &json!({"errorMessages": ["Internal Server Error"]}));
        }
        let client_ok = inner
            .oauth2
            .clients
            .get(get("client_id"))
            .is_some_and(|c| c.secret == get("client_secret"));
        if !client_ok {
            return error(401, "invalid_client", "Client authentication failed");
        }
        let token = get("token").to_string();
        let access = inner.oauth2.refresh.get_mut(&token).map(|r| {
            r.dead = true;
            r.access.clone()
        });
        inner.oauth2.revoked.push(token);
        drop(inner);
        if let Some(a) = access {
            self.revoke_bearer(&a);
        }
        // RFC 7009 §2.2: 200 whether or not the token was known.
        Response::new(200)
    }
}

/// A grant's scope and the code its tokens descend from; or the refusal,
/// with the access tokens to revoke first.
type Granted = Result<(String, String), (Response, Vec<String>)>;

impl Provider {
    /// `grant_type=authorization_code`: single-use, the redirect URI as at
    /// authorization, the PKCE verifier (RFC 7636 §4.6).
    fn code_grant(&mut self, f: &HashMap<String, String>) -> Granted {
        let get = |k: &str| field(f, k);
        let refused = |d: &str| Err((error(400, "invalid_grant", d), Vec::new()));
        let Some(code) = self.codes.get_mut(get("code")) else {
            return refused("Invalid authorization code");
        };
        if code.used {
            // RFC 6749 §4.1.2: a code used twice revokes every token
            // issued from it, rotations included.
            let mut revoked = Vec::new();
            for r in self.refresh.values_mut().filter(|r| r.code == get("code")) {
                r.dead = true;
                revoked.push(r.access.clone());
            }
            return Err((
                error(400, "invalid_grant", "Authorization code already used"),
                revoked,
            ));
        }
        code.used = true;
        if code.client_id != get("client_id") || code.redirect_uri != get("redirect_uri") {
            return refused("redirect_uri does not match");
        }
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(get("code_verifier").as_bytes()));
        if get("code_verifier").is_empty() || computed != code.challenge {
            return refused("PKCE verification failed");
        }
        Ok((code.scope.clone(), get("code").to_string()))
    }

    /// `grant_type=refresh_token`: JIRA rotates it, the old one dies.
    fn refresh_grant(&mut self, f: &HashMap<String, String>) -> Granted {
        let get = |k: &str| field(f, k);
        let Some(r) = self.refresh.get_mut(get("refresh_token")) else {
            return Err((
                error(400, "invalid_grant", "Invalid refresh token"),
                Vec::new(),
            ));
        };
        if r.dead || r.client_id != get("client_id") {
            return Err((
                error(400, "invalid_grant", "Invalid refresh token"),
                Vec::new(),
            ));
        }
        r.dead = true;
        self.refreshes += 1;
        Ok((r.scope.clone(), r.code.clone()))
    }
}

/// A form field's value, empty when absent.
fn field<'a>(f: &'a HashMap<String, String>, k: &str) -> &'a str {
    f.get(k).map(String::as_str).unwrap_or("")
}
