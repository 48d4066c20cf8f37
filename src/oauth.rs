//! One signed request: the protocol parameters of
//! [RFC 5849 §3.1](https://www.rfc-editor.org/rfc/rfc5849#section-3.1), the
//! base string of §3.4.1 and where the result travels (§3.5).
//!
//! Pure like `signature`: the nonce and the timestamp are fields of
//! [`Protocol`], filled in by the caller.

use crate::signature::{self, Param, Signer};
use std::fmt;
use url::Url;

/// The `oauth_*` values of one request, before signing, and the token's
/// secret (which signs but is never sent).
#[derive(Clone, Default)]
pub struct Protocol {
    pub consumer_key: String,
    pub token: Option<String>,
    pub token_secret: String,
    pub callback: Option<String>,
    pub verifier: Option<String>,
    pub timestamp: u64,
    pub nonce: String,
}

impl fmt::Debug for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Protocol")
            .field("consumer_key", &self.consumer_key)
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

impl Protocol {
    /// The protocol parameters in the order the Java sample sent them, with
    /// `oauth_version=1.0` (optional in §3.1, but JIRA's library and others
    /// expect it).
    pub fn params(&self, method: signature::SignatureMethod) -> Vec<Param> {
        let mut p: Vec<Param> = Vec::with_capacity(8);
        let mut push = |k: &str, v: &str| p.push((k.to_string(), v.to_string()));
        if let Some(cb) = &self.callback {
            push("oauth_callback", cb);
        }
        push("oauth_consumer_key", &self.consumer_key);
        push("oauth_nonce", &self.nonce);
        push("oauth_signature_method", method.name());
        push("oauth_timestamp", &self.timestamp.to_string());
        if let Some(t) = &self.token {
            push("oauth_token", t);
        }
        if let Some(v) = &self.verifier {
            push("oauth_verifier", v);
        }
        push("oauth_version", "1.0");
        p
    }
}

/// Where the protocol parameters travel
/// ([RFC 5849 §3.5](https://www.rfc-editor.org/rfc/rfc5849#section-3.5)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AuthIn {
    /// The `Authorization: OAuth …` header (§3.5.1).
    #[default]
    Header,
    /// The query string (§3.5.3).
    Query,
    /// A form-encoded body (§3.5.2).
    Body,
}

impl fmt::Display for AuthIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthIn::Header => "header",
            AuthIn::Query => "query",
            AuthIn::Body => "body",
        })
    }
}

/// The outcome of signing: what goes on the wire.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The base string that was signed (shown by `-v` and `sign --base-string`).
    pub base_string: String,
    /// The protocol parameters with `oauth_signature` last.
    pub params: Vec<Param>,
}

impl Signed {
    pub fn signature(&self) -> &str {
        self.params
            .iter()
            .find(|(k, _)| k == "oauth_signature")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    /// The `Authorization` header value.
    pub fn authorization(&self) -> String {
        signature::authorization_header(&self.params, None)
    }

    /// `url` with the protocol parameters appended to its query.
    pub fn url_with_params(&self, url: &Url) -> Url {
        let mut out = url.clone();
        let extra = signature::form_encode(&self.params);
        let query = match url.query() {
            Some(q) if !q.is_empty() => format!("{q}&{extra}"),
            _ => extra,
        };
        out.set_query(Some(&query));
        out
    }

    /// A form body with the protocol parameters appended.
    pub fn body_with_params(&self, form_body: &[u8]) -> Vec<u8> {
        let mut out = form_body.to_vec();
        if !out.is_empty() {
            out.push(b'&');
        }
        out.extend_from_slice(signature::form_encode(&self.params).as_bytes());
        out
    }

    /// The request as it goes on the wire with the protocol parameters
    /// placed where `auth_in` says (§3.5): the one home of that rule, for
    /// `request` and `sign --curl` alike. `body` is the request's own body;
    /// `--auth-in body` must already have been found allowed for it.
    pub fn place(&self, auth_in: AuthIn, url: &Url, body: Option<&[u8]>) -> Placed {
        match auth_in {
            AuthIn::Header => Placed {
                url: url.clone(),
                authorization: Some(self.authorization()),
                body: body.map(<[u8]>::to_vec),
                form_added: false,
            },
            AuthIn::Query => Placed {
                url: self.url_with_params(url),
                authorization: None,
                body: body.map(<[u8]>::to_vec),
                form_added: false,
            },
            AuthIn::Body => Placed {
                url: url.clone(),
                authorization: None,
                body: Some(self.body_with_params(body.unwrap_or_default())),
                form_added: body.is_none(),
            },
        }
    }
}

/// A signed request's URL, `Authorization` header and body.
#[derive(Debug, Clone)]
pub struct Placed {
    pub url: Url,
    pub authorization: Option<String>,
    pub body: Option<Vec<u8>>,
    /// The body is made of the protocol parameters alone, so it needs a
    /// form `Content-Type` of its own.
    pub form_added: bool,
}

/// Signs `method url` (and `form_body`, only when it is form-encoded) with
/// the protocol values and the signer ([RFC 5849 §3.4](https://www.rfc-editor.org/rfc/rfc5849#section-3.4)).
pub fn sign(
    method: &str,
    url: &Url,
    form_body: Option<&[u8]>,
    protocol: &Protocol,
    signer: &Signer,
) -> Signed {
    let mut params = protocol.params(signer.method());
    let base_string = signature::base_string_for(method, url, form_body, &params);
    let signature = signer.sign(&base_string, &protocol.token_secret);
    params.push(("oauth_signature".to_string(), signature));
    Signed {
        base_string,
        params,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::SignatureMethod;

    #[test]
    fn query_placement_keeps_the_existing_query() {
        let no_key = || -> Result<crate::rsa_backend::RsaKey, ()> { unreachable!() };
        let signer = Signer::new(SignatureMethod::Plaintext, no_key, "c").unwrap();
        let p = Protocol {
            consumer_key: "k".into(),
            timestamp: 1,
            nonce: "n".into(),
            ..Default::default()
        };
        let url = Url::parse("https://h/x?jql=a%20b").unwrap();
        let s = sign("GET", &url, None, &p, &signer);
        let placed = s.url_with_params(&url);
        assert_eq!(
            placed.query(),
            Some(
                "jql=a%20b&oauth_consumer_key=k&oauth_nonce=n&oauth_signature_method=PLAINTEXT\
                 &oauth_timestamp=1&oauth_version=1.0&oauth_signature=c%26"
            )
        );
        // Signing the placed URL again gives the same base string: the server's view.
        let reparsed = signature::base_string_for("GET", &placed, None, &[]);
        assert_eq!(reparsed, s.base_string);
    }
}
