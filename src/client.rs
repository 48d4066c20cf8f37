//! A signed call: the signer (pure) and the transport (I/O) joined, with the
//! clock and the nonce drawn here, and the answer checked for refusals.

use crate::body::{self, Body, FORM};
use crate::error::{Error, Result};
use crate::oauth::{self, AuthIn, Protocol};
use crate::problem::{self, Context};
use crate::signature::{SignatureMethod, Signer};
use crate::transport::{self, Transport};
use rand::RngCore;
use reqwest::blocking::Response;
use reqwest::Method;
use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};
use url::Url;

/// How requests are signed: an RSA key, or the shared secrets' method.
#[derive(Debug, Clone)]
pub enum Keys {
    /// RSA-SHA1 or RSA-SHA256: the token secret plays no part.
    Rsa(Box<Signer>),
    /// HMAC-* or PLAINTEXT: the key is made of both secrets per call.
    Secret {
        method: SignatureMethod,
        consumer_secret: String,
    },
}

impl Keys {
    /// The signer for a call; the RSA key is shared, never copied.
    pub fn signer(&self, token_secret: &str) -> Cow<'_, Signer> {
        match self {
            Keys::Rsa(s) => Cow::Borrowed(s),
            Keys::Secret {
                method,
                consumer_secret,
            } => Cow::Owned(
                Signer::shared_secret(*method, consumer_secret, token_secret)
                    .expect("Keys::Secret holds a shared-secret method"),
            ),
        }
    }

    pub fn method(&self) -> SignatureMethod {
        match self {
            Keys::Rsa(s) => s.method(),
            Keys::Secret { method, .. } => *method,
        }
    }
}

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
}

/// A consumer ready to sign and send.
pub struct Client {
    pub consumer_key: String,
    pub keys: Keys,
    pub transport: Transport,
    pub auth_in: AuthIn,
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
    pub fn new(
        consumer_key: String,
        keys: Keys,
        opts: transport::Options,
        auth_in: AuthIn,
    ) -> Result<Client> {
        Ok(Client {
            consumer_key,
            keys,
            transport: Transport::new(opts)?,
            auth_in,
        })
    }

    /// Signs the call afresh (new nonce, current time), sends it, and turns
    /// a refusal or an HTTP error into an error. A 2xx or 3xx is returned.
    pub fn send(&self, call: &Call) -> Result<Response> {
        let (resp, ctx) = self.send_unchecked(call)?;
        check(resp, &ctx, &call.method, &call.url)
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
        Ok((resp, prepared.context))
    }

    /// Signs the call (new nonce, current time) into the request to send:
    /// the CPU-bound half of a call, which may run ahead on another thread.
    pub fn prepare(&self, call: &Call) -> Result<Prepared> {
        refuse_plaintext_in_clear(self.keys.method(), &call.url)?;
        body::check_auth_in(self.auth_in, &call.method, call.body.as_ref())?;
        let sent_at = SystemTime::now();
        let protocol = Protocol {
            consumer_key: self.consumer_key.clone(),
            token: call.token.clone(),
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
            &self.keys.signer(&call.token_secret),
        );

        let mut req = transport::Request {
            method: call.method.clone(),
            url: call.url.clone(),
            headers: call.headers.clone(),
            body: call.body.as_ref().map(|b| b.bytes.clone()),
        };
        if let Some(b) = &call.body {
            req.headers
                .push(("Content-Type".into(), b.content_type.clone()));
        }
        match self.auth_in {
            AuthIn::Header => req
                .headers
                .push(("Authorization".into(), signed.authorization())),
            AuthIn::Query => req.url = signed.url_with_params(&call.url),
            AuthIn::Body => {
                // A POST with a form body or none: checked above.
                let existing = call.body.as_ref().map(|b| b.bytes.as_slice());
                req.body = Some(signed.body_with_params(existing.unwrap_or_default()));
                if call.body.is_none() {
                    req.headers.push(("Content-Type".into(), FORM.into()));
                }
            }
        }
        Ok(Prepared {
            request: req,
            context: Context {
                consumer_key: self.consumer_key.clone(),
                base_string: Some(signed.base_string),
                sent_at: Some(sent_at),
                token_call: call.token_call,
            },
        })
    }
}

/// Classifies an answer: a refusal is exit 4, another HTTP error exit 1; a
/// 2xx that JIRA served to `anonymous` gets a warning.
pub fn check(mut resp: Response, ctx: &Context, method: &Method, url: &Url) -> Result<Response> {
    let status = resp.status();
    if status.is_success() {
        let anonymous = resp
            .headers()
            .get("x-ausername")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|u| u.eq_ignore_ascii_case("anonymous"));
        if anonymous {
            crate::warn(
                "JIRA answered as user 'anonymous': it ignored the OAuth signature \
                 (is OAuth enabled for this Application Link, and the token still valid?)",
            );
        }
        return Ok(resp);
    }
    if status.is_redirection() {
        return Ok(resp);
    }
    let body = problem::read_error_body(&mut resp)?;
    if let Some(e) = problem::refusal(status.as_u16(), resp.headers(), &body, ctx) {
        return Err(e);
    }
    let detail = problem::jira_error_summary(&body).unwrap_or_else(|| problem::snippet(&body));
    let reason = status.canonical_reason().unwrap_or("");
    let mut msg = format!("HTTP {} {reason} from {method} {url}", status.as_u16());
    if !detail.is_empty() {
        msg.push_str(&format!(": {detail}"));
    }
    Err(Error::http(msg))
}
