//! An OAuth 2.0 login kept fresh while the proxy runs (CLI.md "Refresh"):
//! before a request when the access token has under a minute left, and
//! after JIRA refuses it. The refresh locks and rewrites the credentials
//! file and calls JIRA's token endpoint, so it runs on tokio's blocking
//! pool: no worker waits on it, and requests that need no refresh go on.
//! A failed refresh is logged, and the request goes with the token it has.

use super::State;
use std::sync::Arc;

/// Refreshes the token first if it is about to expire.
pub async fn before(state: &Arc<State>) {
    if !state.client.bearer().is_some_and(|b| b.due()) {
        return;
    }
    let s = state.clone();
    let done = tokio::task::spawn_blocking(move || match s.client.bearer() {
        Some(b) => b.refresh_if_due(),
        None => Ok(()),
    })
    .await;
    if let Ok(Err(e)) = done {
        crate::warn(&format!(
            "cannot refresh the OAuth 2.0 token: {}",
            e.message
        ));
    }
}

/// What became of a bearer token JIRA answered.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// Taken, or refused with nothing to refresh (a PAT): JIRA's answer
    /// stands.
    Taken,
    /// Refused, and a new token is there to send.
    Refreshed,
    /// Refused, and the refresh failed (logged with its hint).
    Failed,
}

/// After JIRA answered a request that carried `sent`: refreshes the token
/// if JIRA refused it.
pub async fn after(state: &Arc<State>, resp: &reqwest::Response, sent: &str) -> Outcome {
    let refused = state
        .client
        .bearer_refused(sent, resp.status(), resp.headers());
    if !refused || !state.client.bearer().is_some_and(|b| b.refreshable()) {
        return Outcome::Taken;
    }
    let s = state.clone();
    let spent = sent.to_string();
    let done = tokio::task::spawn_blocking(move || match s.client.bearer() {
        Some(b) => b.refresh_after_refusal(&spent),
        None => Ok(false),
    })
    .await;
    match done {
        Ok(Ok(true)) => Outcome::Refreshed,
        Ok(Ok(false)) => Outcome::Taken,
        Ok(Err(e)) => {
            let hint = e.hint.map(|h| format!(" (hint: {h})")).unwrap_or_default();
            crate::warn(&format!(
                "JIRA refused the OAuth 2.0 token and it cannot be refreshed: {}{hint}",
                e.message
            ));
            Outcome::Failed
        }
        Err(_) => Outcome::Failed,
    }
}
