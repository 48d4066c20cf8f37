//! The three-legged dance's endpoints (RFC 5849 §2): request-token, the
//! authorize page where the user allows or denies, and access-token; and
//! the odd answers a proxy in front of JIRA gives instead (`TokenReply`).

use super::oauth::Problem;
use super::tokens::Kind;
use super::verify::Need;
use super::{form, random, Outcome, Recorded, Response, Shared, TokenReply, ACCESS_TOKEN_LIFETIME};

impl Shared {
    /// What both token endpoints answer before any check: 405 to a method
    /// other than GET and POST, or the mode's canned reply.
    fn before_token_check(&self, rec: &mut Recorded) -> Option<Response> {
        if !matches!(rec.method.as_str(), "POST" | "GET") {
            rec.outcome = Outcome::NotFound;
            return Some(Response::text(405, "").header("Allow", "GET, POST"));
        }
        self.canned_token_reply(rec)
    }

    /// The token endpoints' canned replies, when the mode asks for one.
    fn canned_token_reply(&self, rec: &mut Recorded) -> Option<Response> {
        let reply = match self.mode().token_reply {
            TokenReply::Normal => return None,
            TokenReply::LoginPage => Response::html(
                200,
                format!(
                    "<!DOCTYPE html><html><head><title>Log in - JIRA</title></head><body>\
                     <form id=\"login-form\" action=\"{}/login.jsp\" method=\"post\">\
                     <input name=\"os_username\"><input name=\"os_password\" type=\"password\">\
                     <input type=\"submit\" value=\"Log In\"></form></body></html>\n",
                    self.base_url
                ),
            ),
            TokenReply::Empty => Response::text(200, ""),
            TokenReply::NoSecret => Response::text(200, form(&[("oauth_token", &random(32))])),
        };
        rec.outcome = Outcome::Unchecked;
        Some(reply)
    }

    pub(super) fn request_token(&self, rec: &mut Recorded) -> Response {
        if let Some(r) = self.before_token_check(rec) {
            return r;
        }
        if let Err(p) = self.verify(rec, Need::RequestToken) {
            return self.refuse(rec, p);
        }
        // No callback, or `oob`: an OAuth 1.0 token.
        let callback = match rec.param("oauth_callback") {
            None => None,
            Some(c) if c.eq_ignore_ascii_case("oob") => None,
            Some(c) if url::Url::parse(c).is_ok_and(|u| u.has_host()) => Some(c.to_string()),
            Some(_) => {
                return self.refuse(
                    rec,
                    Problem::new("parameter_rejected")
                        .with("oauth_parameters_rejected", "oauth_callback"),
                )
            }
        };
        let ck = rec
            .param("oauth_consumer_key")
            .unwrap_or_default()
            .to_string();
        let confirmed = callback.is_some();
        let (token, secret) = self.new_token(Kind::Request, &ck, callback, self.now());
        rec.outcome = Outcome::Ok;
        let hook = self.lock().on_request_token.clone();
        if let Some(hook) = hook {
            hook(&token);
        }
        let mut pairs = vec![
            ("oauth_token", token.as_str()),
            ("oauth_token_secret", secret.as_str()),
        ];
        if confirmed {
            pairs.push(("oauth_callback_confirmed", "true"));
        }
        Response::text(200, form(&pairs))
    }

    pub(super) fn access_token(&self, rec: &mut Recorded) -> Response {
        if let Some(r) = self.before_token_check(rec) {
            return r;
        }
        let request_token = match self.verify(rec, Need::AccessToken) {
            Ok(t) => t.expect("access-token requires oauth_token"),
            Err(p) => return self.refuse(rec, p),
        };
        let consumer = self.with_tokens(|tokens| {
            let t = tokens.get_mut(&request_token).expect("verified token");
            t.used = true;
            t.consumer.clone()
        });
        let (token, secret) = self.issue_access_token(&consumer);
        rec.outcome = Outcome::Ok;
        let life = ACCESS_TOKEN_LIFETIME.to_string();
        let session = random(32);
        Response::text(
            200,
            form(&[
                ("oauth_token", &token),
                ("oauth_token_secret", &secret),
                ("oauth_expires_in", &life),
                ("oauth_session_handle", &session),
                ("oauth_authorization_expires_in", &life),
            ]),
        )
    }

    /// The authorize page, and the user's Allow/Deny (`approve=true|false`).
    pub(super) fn authorize(&self, rec: &mut Recorded) -> Response {
        rec.outcome = Outcome::Ok;
        let Some(token) = rec.param("oauth_token").map(str::to_string) else {
            rec.outcome = Outcome::Problem("parameter_absent".into());
            return Response::html(
                400,
                "<html><body><p>Missing oauth_token.</p></body></html>\n",
            );
        };
        // JIRA shows this page for a token that expired, was revoked or
        // was exchanged already, too.
        let known = {
            let inner = self.lock();
            let now = super::now_of(&inner);
            inner
                .tokens
                .get(&token)
                .filter(|t| t.kind == Kind::Request && !t.used && !t.revoked && !t.expired(now))
                .map(|t| (t.consumer.clone(), t.callback.clone()))
        };
        let Some((consumer, callback)) = known else {
            rec.outcome = Outcome::Problem("token_rejected".into());
            return Response::html(
                400,
                "<html><body><p>The request token is invalid or has expired.</p></body></html>\n",
            );
        };
        match rec.param("approve") {
            Some("true") => {
                let verifier = self.approve(&token).expect("known token");
                match callback {
                    Some(cb) => redirect(&cb, &token, &verifier),
                    None => approved_page(&consumer, &verifier),
                }
            }
            Some(_) => {
                self.deny(&token);
                match callback {
                    // Atlassian's provider tells the callback `denied`.
                    Some(cb) => redirect(&cb, &token, "denied"),
                    None => Response::html(
                        200,
                        "<html><head><title>Access Denied</title></head><body>\
                         <p>You have denied access.</p></body></html>\n",
                    ),
                }
            }
            None => self.consent_page(&consumer, &token),
        }
    }

    /// The page that asks the user to allow or deny the consumer.
    fn consent_page(&self, consumer: &str, token: &str) -> Response {
        Response::html(
            200,
            format!(
                "<html><head><title>OAuth Access Request</title></head><body>\
                 <p>'{}' would like to read and write data on your behalf.</p>\
                 <form method=\"post\" action=\"{}/plugins/servlet/oauth/authorize\">\
                 <input type=\"hidden\" name=\"oauth_token\" value=\"{}\">\
                 <button name=\"approve\" value=\"true\">Allow</button>\
                 <button name=\"approve\" value=\"false\">Deny</button>\
                 </form></body></html>\n",
                html_escape(consumer),
                self.base_url,
                html_escape(token)
            ),
        )
    }
}

/// Back to the consumer's callback with the token and the verifier.
fn redirect(callback: &str, token: &str, verifier: &str) -> Response {
    let sep = if callback.contains('?') { '&' } else { '?' };
    let loc = format!(
        "{callback}{sep}{}",
        form(&[("oauth_token", token), ("oauth_verifier", verifier)])
    );
    Response::html(302, "").header("Location", loc)
}

/// An OAuth 1.0 (`oob`) token approved: the verifier for the user to type.
fn approved_page(consumer: &str, verifier: &str) -> Response {
    Response::html(
        200,
        format!(
            "<html><head><title>Access Approved</title></head><body>\
             <p>You have successfully authorized '{}'. Your verification code is '{}'. \
             You will need to enter this exact text when prompted.</p>\
             <p id=\"verifier\">{}</p></body></html>\n",
            html_escape(consumer),
            html_escape(verifier),
            html_escape(verifier)
        ),
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
