//! One error type for the whole tool: a message, an optional hint, and the
//! class that decides the exit code (the README's exit-code table).

use std::fmt;

/// What went wrong, as a script needs to know it: the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The server answered with HTTP 400 or above that is not an OAuth refusal.
    Http = 1,
    /// Usage or bad input: a bad URL, an unreadable key, a missing token.
    Usage = 2,
    /// No answer: DNS, connection refused, timeout, TLS failure.
    Network = 3,
    /// OAuth refused: an `oauth_problem`, a 401, a CAPTCHA'd account.
    OAuth = 4,
    /// The reader of stdout went away (`| head`): stop quietly, as `cat`
    /// does, with success.
    ClosedPipe = 0,
}

/// An error that prints as one line, `jira-oauth: error: …`, and maybe a `hint: …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
    /// Already printed (each failure of `request --keep-going` is, as it
    /// happens): only the exit code is left to give.
    pub reported: bool,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: one_line(message.into()),
            hint: None,
            reported: false,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }

    pub fn http(message: impl Into<String>) -> Self {
        Self::new(Kind::Http, message)
    }

    pub fn network(message: impl Into<String>) -> Self {
        Self::new(Kind::Network, message)
    }

    pub fn oauth(message: impl Into<String>) -> Self {
        Self::new(Kind::OAuth, message)
    }

    /// Nothing to report: the reader of our output has gone.
    pub fn closed_pipe() -> Self {
        Self::new(Kind::ClosedPipe, "stdout was closed")
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(one_line(hint.into()));
        self
    }

    /// Prints the error on stderr, once: `jira-oauth: error: …` and maybe
    /// `hint: …`.
    pub fn print(&self) {
        if self.reported || self.kind == Kind::ClosedPipe {
            return;
        }
        let mut text = format!("jira-oauth: error: {}\n", self.message);
        if let Some(hint) = &self.hint {
            text.push_str(&format!("hint: {hint}\n"));
        }
        // One write, so that lines from threads do not interleave.
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
    }

    /// The same exit code, with nothing more to print.
    pub fn into_reported(mut self) -> Self {
        self.reported = true;
        self
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        self.kind as i32
    }
}

/// A URL, a server's answer or a key file can bring line breaks and
/// terminal escapes into a message; escaped, the message stays one line.
fn one_line(text: String) -> String {
    if !text.chars().any(char::is_control) {
        return text;
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
