//! How the provider checks an OAuth 1.0a request (RFC 5849 §3.2), in the
//! order of net.oauth's validator and then JIRA's token store, and how JIRA
//! refuses one. The parameters and the base string were gathered when the
//! request was recorded (`oauth::collect`: header, query and form body, as
//! Tomcat hands them over).

use super::oauth::{self, Problem};
use super::tokens::{Approval, Kind, Token};
use super::Outcome;
use super::Response;
use super::{form, ConsumerEntry, Recorded, Shared, NONCE_WINDOW, TIMESTAMP_WINDOW};

/// Which check a request gets.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Need {
    RequestToken,
    AccessToken,
    Rest,
}

impl Shared {
    /// The problem `force_problem` set, taken: the next checked request is
    /// refused with it, with what JIRA adds to that problem.
    pub(super) fn take_forced_problem(&self, rec: &Recorded) -> Option<Problem> {
        let p = self.lock().forced.take()?;
        Some(match p.as_str() {
            "timestamp_refused" => timestamp_refused(self.now()),
            "signature_invalid" => self.with_base_string(Problem::new(&p), rec),
            _ => Problem::new(&p),
        })
    }

    pub(super) fn with_base_string(&self, problem: Problem, rec: &Recorded) -> Problem {
        if !self.mode().send_base_string {
            return problem;
        }
        problem
            .with(
                "oauth_signature",
                rec.param("oauth_signature").unwrap_or(""),
            )
            .with("oauth_signature_base_string", rec.base_string.clone())
            .with(
                "oauth_signature_method",
                rec.param("oauth_signature_method").unwrap_or(""),
            )
    }

    /// JIRA's refusal: status by problem, `WWW-Authenticate` with every
    /// parameter, and the same parameters form-encoded in a text/plain body.
    pub(super) fn refuse(&self, rec: &mut Recorded, p: Problem) -> Response {
        rec.outcome = Outcome::Problem(p.name.clone());
        let mut pairs = vec![("oauth_problem", p.name.as_str())];
        pairs.extend(p.extra.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let mut www = format!("OAuth realm=\"{}\"", oauth::encode(&self.base_url));
        for (n, v) in &pairs {
            www.push_str(&format!(", {}=\"{}\"", oauth::encode(n), oauth::encode(v)));
        }
        Response::text(p.status(), form(&pairs)).header("WWW-Authenticate", www)
    }

    /// The checks of net.oauth's validator and JIRA's token store, in order.
    /// On success returns the token, if the request named one.
    pub(super) fn verify(&self, rec: &Recorded, need: Need) -> Result<Option<String>, Problem> {
        check_version(rec)?;
        check_present(rec, need)?;
        let consumer = self.consumer(rec)?;
        let now = self.now();
        let nonce = self.check_timestamp_and_nonce(rec, now)?;
        let token = rec
            .param("oauth_token")
            .filter(|_| need != Need::RequestToken);
        let token_secret = self.token_secret(rec, token)?;
        if !check_signature(rec, consumer, &token_secret) {
            return Err(self.with_base_string(Problem::new("signature_invalid"), rec));
        }
        {
            // Only a verified request spends its nonce.
            let mut inner = self.lock();
            inner.nonces.retain(|_, seen| now - *seen < NONCE_WINDOW);
            inner.nonces.insert(nonce, now);
        }
        let Some(t) = token else { return Ok(None) };
        let inner = self.lock();
        let tok = &inner.tokens[t];
        match need {
            Need::RequestToken => {}
            Need::Rest => check_access_token(tok, now)?,
            Need::AccessToken => check_exchange(tok, rec, now)?,
        }
        Ok(Some(t.to_string()))
    }

    /// The consumer, once its signature method is one this server accepts
    /// and one the consumer has a key for (RFC 5849 §3.4).
    fn consumer(&self, rec: &Recorded) -> Result<&ConsumerEntry, Problem> {
        let method = rec.param("oauth_signature_method").unwrap_or_default();
        let rejected_method = || {
            Problem::new("signature_method_rejected")
                .with("oauth_acceptable_signature_methods", self.methods.join("&"))
        };
        if !self.methods.iter().any(|m| m == method) {
            return Err(rejected_method());
        }
        let ck = rec.param("oauth_consumer_key").unwrap_or_default();
        let Some(consumer) = self.consumers.get(ck) else {
            return Err(Problem::new("consumer_key_unknown"));
        };
        let usable = match method {
            "RSA-SHA1" | "RSA-SHA256" => consumer.public_key.is_some(),
            "HMAC-SHA1" | "HMAC-SHA256" | "PLAINTEXT" => consumer.secret.is_some(),
            _ => false,
        };
        if !usable {
            return Err(rejected_method());
        }
        Ok(consumer)
    }

    /// RFC 5849 §3.3: the timestamp within JIRA's window of its clock, the
    /// nonce not seen from this consumer within the nonce window. Returns
    /// the nonce's key, for the request to spend once verified.
    fn check_timestamp_and_nonce(
        &self,
        rec: &Recorded,
        now: i64,
    ) -> Result<(String, String), Problem> {
        let Ok(ts) = rec
            .param("oauth_timestamp")
            .unwrap_or_default()
            .parse::<i64>()
        else {
            return Err(Problem::new("parameter_rejected")
                .with("oauth_parameters_rejected", "oauth_timestamp"));
        };
        // abs_diff: any i64 a client sends is refused, none overflows.
        if ts.abs_diff(now) > TIMESTAMP_WINDOW.unsigned_abs() {
            return Err(timestamp_refused(now));
        }
        let nonce_key = (
            rec.param("oauth_consumer_key")
                .unwrap_or_default()
                .to_string(),
            rec.param("oauth_nonce").unwrap_or_default().to_string(),
        );
        if self
            .lock()
            .nonces
            .get(&nonce_key)
            .is_some_and(|seen| now - seen < NONCE_WINDOW)
        {
            return Err(Problem::new("nonce_used"));
        }
        Ok(nonce_key)
    }

    /// The token's secret, for the signature key; the token must be one
    /// JIRA issued to this consumer. No token: an empty secret.
    fn token_secret(&self, rec: &Recorded, token: Option<&str>) -> Result<String, Problem> {
        let Some(t) = token else {
            return Ok(String::new());
        };
        let ck = rec.param("oauth_consumer_key").unwrap_or_default();
        match self.lock().tokens.get(t) {
            Some(tok) if tok.consumer == ck => Ok(tok.secret.clone()),
            _ => Err(Problem::new("token_rejected")),
        }
    }
}

/// Only `oauth_version` 1.0, when present (RFC 5849 §3.1).
fn check_version(rec: &Recorded) -> Result<(), Problem> {
    match rec.param("oauth_version") {
        Some(v) if v != "1.0" => {
            Err(Problem::new("version_rejected").with("oauth_acceptable_versions", "1.0-1.0"))
        }
        _ => Ok(()),
    }
}

/// Every protocol parameter the step needs (RFC 5849 §3.1); the
/// request-token step has no token yet.
fn check_present(rec: &Recorded, need: Need) -> Result<(), Problem> {
    let mut required = vec![
        "oauth_consumer_key",
        "oauth_signature_method",
        "oauth_signature",
        "oauth_timestamp",
        "oauth_nonce",
    ];
    if need != Need::RequestToken {
        required.push("oauth_token");
    }
    let absent: Vec<&str> = required
        .into_iter()
        .filter(|n| rec.param(n).is_none())
        .collect();
    if !absent.is_empty() {
        return Err(
            Problem::new("parameter_absent").with("oauth_parameters_absent", absent.join("&"))
        );
    }
    Ok(())
}

/// `timestamp_refused` with the timestamps JIRA accepts now.
fn timestamp_refused(now: i64) -> Problem {
    Problem::new("timestamp_refused").with(
        "oauth_acceptable_timestamps",
        format!("{}-{}", now - TIMESTAMP_WINDOW, now + TIMESTAMP_WINDOW),
    )
}

/// The signature over the base string the server computed itself, by the
/// request's method (RFC 5849 §3.4.2–§3.4.4; `consumer` has its key).
fn check_signature(rec: &Recorded, consumer: &ConsumerEntry, token_secret: &str) -> bool {
    let sig = rec.param("oauth_signature").unwrap_or_default();
    let base = rec.base_string.as_str();
    let hmac_key = || oauth::hmac_key(consumer.secret.as_deref().unwrap_or(""), token_secret);
    match rec.param("oauth_signature_method").unwrap_or_default() {
        "RSA-SHA1" => oauth::verify_rsa_sha1(consumer.public_key.as_ref().unwrap(), base, sig),
        "RSA-SHA256" => oauth::verify_rsa_sha256(consumer.public_key.as_ref().unwrap(), base, sig),
        "HMAC-SHA1" => oauth::verify_hmac_sha1(&hmac_key(), base, sig),
        "HMAC-SHA256" => oauth::verify_hmac_sha256(&hmac_key(), base, sig),
        "PLAINTEXT" => sig == hmac_key(),
        _ => false,
    }
}

/// JIRA's token store for a REST call: a live access token.
fn check_access_token(tok: &Token, now: i64) -> Result<(), Problem> {
    if tok.kind != Kind::Access {
        return Err(Problem::new("token_rejected").with(
            "oauth_problem_advice",
            "a request token cannot sign REST calls",
        ));
    }
    if tok.revoked {
        return Err(Problem::new("token_revoked"));
    }
    if tok.expired(now) {
        return Err(Problem::new("token_expired"));
    }
    Ok(())
}

/// JIRA's token store for the access-token step: an approved request token
/// not yet exchanged, with its verifier (RFC 5849 §2.3).
fn check_exchange(tok: &Token, rec: &Recorded, now: i64) -> Result<(), Problem> {
    if tok.kind != Kind::Request {
        return Err(
            Problem::new("token_rejected").with("oauth_problem_advice", "not a request token")
        );
    }
    // JIRA removes a request token once exchanged.
    if tok.used || tok.revoked {
        return Err(Problem::new("token_rejected")
            .with("oauth_problem_advice", "request token already exchanged"));
    }
    if tok.expired(now) {
        return Err(Problem::new("token_expired"));
    }
    match tok.approval {
        Approval::Pending => return Err(Problem::new("permission_unknown")),
        Approval::Denied => return Err(Problem::new("permission_denied")),
        Approval::Approved => {}
    }
    // Only 1.0a tokens (with a callback) have their verifier checked.
    if tok.callback.is_none() {
        return Ok(());
    }
    match rec.param("oauth_verifier") {
        None => {
            Err(Problem::new("parameter_absent").with("oauth_parameters_absent", "oauth_verifier"))
        }
        Some(v) if Some(v) != tok.verifier.as_deref() => Err(Problem::new("token_rejected")
            .with("oauth_problem_advice", "oauth_verifier does not match")),
        Some(_) => Ok(()),
    }
}
