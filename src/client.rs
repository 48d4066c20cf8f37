//! A signed call, the one implementation every command uses: the signer
//! (pure) and the transport (I/O) joined, with the clock and the nonce drawn
//! here, and the answer checked for refusals.

use crate::bearer::Bearer;
use crate::body::{self, Body, FORM};
use crate::config::Config;
use crate::credentials::Kind;
use crate::error::{Error, Result};
use crate::oauth::{self, AuthIn, Placed, Protocol};
use crate::problem::{self, Context};
use crate::signature::{SignatureMethod, Signer};
use crate::transport::Response;
use crate::transport::{self, Transport};
use rand::RngCore;
use reqwest::Method;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use url::Url;

/// One call to sign and send.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub url: Url,
    pub token: Option<String>,
    pub token_secret: String,
    pub callback: Option<String>,
    pub verifier: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
    /// A call to a token endpoint (changes the hints of a refusal).
    pub token_call: bool,
    /// The base URL of the stored login whose token this call carries.
    pub stored_login: Option<String>,
}

impl Call {
    pub fn new(method: Method, url: Url) -> Call {
        Call {
            method,
            url,
            token: None,
            token_secret: String::new(),
            callback: None,
            verifier: None,
            headers: Vec::new(),
            body: None,
            token_call: false,
            stored_login: None,
        }
    }
}

/// PLAINTEXT puts the secrets on the wire: RFC 5849 §3.4.4 allows it only
/// over TLS.
pub fn refuse_plaintext_in_clear(method: SignatureMethod, url: &Url) -> Result<()> {
    if method == SignatureMethod::Plaintext && url.scheme() != "https" {
        return Err(Error::usage(format!(
            "PLAINTEXT signatures are sent in the clear: refused over {}",
            url.scheme()
        ))
        .with_hint("RFC 5849 allows PLAINTEXT only over TLS: use an https:// URL"));
    }
    Ok(())
}

/// A signed request, ready to send.
#[derive(Debug)]
pub struct Prepared {
    request: transport::Request,
    context: Context,
    /// The bearer token it carries: a call to send again if JIRA refuses
    /// it and a refresh brings another.
    sent_bearer: Option<(Call, String)>,
}

impl Prepared {
    /// The request and what explains a refusal, apart: the proxy sends the
    /// request with a streamed body of its own.
    pub fn into_parts(self) -> (transport::Request, Context) {
        (self.request, self.context)
    }

    /// The bearer token it carries, if any.
    pub fn bearer(&self) -> Option<&str> {
        self.sent_bearer.as_ref().map(|(_, t)| t.as_str())
    }
}

/// What a client proves itself with.
pub enum Credential {
    /// OAuth 1.0a: every request signed with the consumer's key and the
    /// call's token.
    Signed {
        consumer_key: String,
        signer: Signer,
    },
    /// OAuth 2.0 or a PAT: a bearer token, no signature.
    Bearer(Bearer),
}

/// A consumer ready to sign and send, made from the resolved configuration.
pub struct Client {
    credential: Credential,
    auth_in: AuthIn,
    transport: Transport,
}

/// At least 128 bits from the OS's CSPRNG, as hex.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unix_time(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Client {
    /// A client that signs with `signer` (OAuth 1.0a) and sends through
    /// `transport`.
    pub fn signing(config: &Config, signer: Signer, transport: Transport) -> Client {
        Client {
            credential: Credential::Signed {
                consumer_key: config.consumer_key.clone(),
                signer,
            },
            auth_in: config.auth_in,
            transport,
        }
    }

    /// A client that sends the configuration's bearer token; an OAuth 2.0
    /// login's is refreshed first when under a minute is left, unless
    /// `refresh` is off (`doctor` checks the token as it is).
    pub fn bearing(config: &Config, refresh: bool, transport: Transport) -> Result<Client> {
        let t = config
            .token
            .as_ref()
            .filter(|t| t.kind.is_bearer())
            .ok_or_else(|| Error::usage("no bearer token to send"))?;
        let bearer = match (&t.stored_for, t.kind == Kind::Oauth2 && refresh) {
            (Some(base), true) => {
                Bearer::stored(&t.token, t.expires_at, base, config.transport.clone())
            }
            _ => Bearer::fixed(&t.token),
        };
        bearer.refresh_if_due()?;
        Ok(Client {
            credential: Credential::Bearer(bearer),
            auth_in: config.auth_in,
            transport,
        })
    }

    /// The bearer token this client sends, if it sends one.
    pub fn bearer(&self) -> Option<&Bearer> {
        match &self.credential {
            Credential::Bearer(b) => Some(b),
            Credential::Signed { .. } => None,
        }
    }

    /// Whether JIRA refused the bearer token `sent` with this answer: a
    /// 401 (with its `OAuth realm` challenge), or a 2xx served to
    /// `anonymous`. A token it took may be refreshed after a later refusal.
    pub fn bearer_refused(
        &self,
        sent: &str,
        status: reqwest::StatusCode,
        headers: &reqwest::header::HeaderMap,
    ) -> bool {
        let refused = status == reqwest::StatusCode::UNAUTHORIZED
            || (status.is_success() && problem::answered_anonymously(headers));
        if let (false, Some(b)) = (refused, self.bearer()) {
            b.accepted(sent);
        }
        refused
    }

    /// The consumer key (none for a bearer client).
    pub fn consumer_key(&self) -> &str {
        match &self.credential {
            Credential::Signed { consumer_key, .. } => consumer_key,
            Credential::Bearer(_) => "",
        }
    }

    /// The bound on each wait for the server.
    pub fn timeout(&self) -> Duration {
        self.transport.timeout()
    }

    /// The transport, for a call that is not signed (doctor's probe).
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Reads an answer's body whole, within the timeout (see `transport::read_body`).
    pub fn read_body(&self, resp: &mut Response, limit: Option<u64>) -> Result<Vec<u8>> {
        let url = resp.url().clone();
        transport::read_body(resp, &url, self.timeout(), limit)
    }

    /// Signs the call afresh (new nonce, current time), sends it, and turns
    /// a refusal or an HTTP error into an error. A 2xx or 3xx is returned.
    pub fn send(&self, call: &Call) -> Result<Response> {
        let (resp, ctx) = self.send_unchecked(call)?;
        self.check(resp, &ctx, call)
    }

    /// Signs and sends; any answer is returned with what explains a refusal.
    pub fn send_unchecked(&self, call: &Call) -> Result<(Response, Context)> {
        self.dispatch(self.prepare(call)?)
    }

    /// Sends a request signed by [`Client::prepare`].
    pub fn dispatch(&self, prepared: Prepared) -> Result<(Response, Context)> {
        // Traced here, not when signed: signing may run ahead of sending.
        if let Some(base) = &prepared.context.base_string {
            self.transport
                .trace(&format!("* signature base string: {base}"));
        }
        let resp = self.transport.send(prepared.request)?;
        // A refused OAuth 2.0 token: refresh, then send the call again (its
        // body is held in memory, so it can be replayed).
        if let (Some(bearer), Some((call, sent))) = (self.bearer(), &prepared.sent_bearer) {
            if self.bearer_refused(sent, resp.status(), resp.headers())
                && bearer.refresh_after_refusal(sent)?
            {
                let again = self.prepare(call)?;
                let token = again.bearer().unwrap_or_default().to_string();
                let resp = self.transport.send(again.request)?;
                self.bearer_refused(&token, resp.status(), resp.headers());
                return Ok((resp, again.context));
            }
        }
        Ok((resp, prepared.context))
    }

    /// Signs the call (new nonce, current time) into the request to send:
    /// the CPU-bound half of a call, which may run ahead on another thread.
    pub fn prepare(&self, call: &Call) -> Result<Prepared> {
        let (consumer_key, signer) = match &self.credential {
            Credential::Bearer(b) => return Ok(bearer_request(call, &b.token())),
            Credential::Signed {
                consumer_key,
                signer,
            } => (consumer_key, signer),
        };
        refuse_plaintext_in_clear(signer.method(), &call.url)?;
        body::check_auth_in(self.auth_in, &call.method, call.body.as_ref())?;
        let sent_at = SystemTime::now();
        let protocol = Protocol {
            consumer_key: consumer_key.clone(),
            token: call.token.clone(),
            token_secret: call.token_secret.clone(),
            callback: call.callback.clone(),
            verifier: call.verifier.clone(),
            timestamp: unix_time(sent_at),
            nonce: new_nonce(),
        };
        let signed = oauth::sign(
            call.method.as_str(),
            &call.url,
            body::signed_form(&call.method, call.body.as_ref()),
            &protocol,
            signer,
        );
        let placed = signed.place(
            self.auth_in,
            &call.url,
            call.body.as_ref().map(|b| b.bytes.as_slice()),
        );
        let headers = wire_headers(&call.headers, call.body.as_ref(), &placed);
        Ok(Prepared {
            request: transport::Request {
                method: call.method.clone(),
                url: placed.url.clone(),
                headers,
                body: placed.body.clone(),
                secrets: vec![call.token_secret.clone()],
            },
            context: Context {
                consumer_key: consumer_key.clone(),
                base_string: Some(signed.base_string),
                sent_at: Some(sent_at),
                token_call: call.token_call,
                stored_login: call.stored_login.clone(),
                bearer: false,
            },
            sent_bearer: None,
        })
    }
}

/// A request carrying a bearer token (RFC 6750 §2.1), never as a Basic
/// password: JIRA takes a PAT only as a bearer.
fn bearer_request(call: &Call, bearer: &str) -> Prepared {
    let placed = Placed {
        url: call.url.clone(),
        body: call.body.as_ref().map(|b| b.bytes.clone()),
        authorization: Some(format!("Bearer {bearer}")),
        form_added: false,
    };
    let headers = wire_headers(&call.headers, call.body.as_ref(), &placed);
    Prepared {
        request: transport::Request {
            method: call.method.clone(),
            url: placed.url,
            headers,
            body: placed.body,
            secrets: vec![bearer.to_string()],
        },
        context: Context {
            consumer_key: String::new(),
            base_string: None,
            sent_at: Some(SystemTime::now()),
            token_call: call.token_call,
            stored_login: call.stored_login.clone(),
            bearer: true,
        },
        sent_bearer: Some((call.clone(), bearer.to_string())),
    }
}

/// The headers a signed request goes out with: the caller's, the body's
/// `Content-Type`, and the `Authorization` header where it travels there.
/// A body made of the protocol parameters alone (`--auth-in body`) is a
/// form, with JIRA's XSRF opt-out as any form gets.
pub fn wire_headers(
    headers: &[(String, String)],
    body: Option<&Body>,
    placed: &Placed,
) -> Vec<(String, String)> {
    let mut out = headers.to_vec();
    if let Some(b) = body {
        out.push(("Content-Type".into(), b.content_type.clone()));
    } else if placed.form_added {
        out.push(("Content-Type".into(), FORM.into()));
        out.push(("X-Atlassian-Token".into(), "no-check".into()));
    }
    if let Some(auth) = &placed.authorization {
        out.push(("Authorization".into(), auth.clone()));
    }
    out
}
