//! `request [ACCESS_TOKEN] URL...`: signed GETs of REST resources, bodies to
//! stdout byte for byte, one connection kept alive for all of them.

use super::{check_token, client};
use crate::cli::Global;
use crate::client::Call;
use crate::error::{Error, Result};
use crate::urls;
use reqwest::Method;
use std::io::Write;
use url::Url;

pub fn run(g: &Global, args: &[String]) -> Result<()> {
    let (token, targets) = split_token(args)?;
    let token = match token {
        Some(t) => t,
        None => std::env::var("JIRA_OAUTH_ACCESS_TOKEN").map_err(|_| {
            Error::usage(
                "no access token: give it as the first argument or set JIRA_OAUTH_ACCESS_TOKEN",
            )
            .with_hint("get one with requestToken and accessToken")
        })?,
    };
    check_token("access token", &token)?;
    if targets.is_empty() {
        return Err(Error::usage("no URL to request"));
    }
    let urls = targets
        .iter()
        .map(|t| resolve(t, g.base_url.as_deref()))
        .collect::<Result<Vec<Url>>>()?;

    let token_secret = g.token_secret.clone().unwrap_or_default();
    let client = client(g, &[])?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let several = urls.len() > 1;
    for url in urls {
        let mut call = Call::new(Method::GET, url);
        call.token = Some(token.trim().to_string());
        call.token_secret = token_secret.clone();
        let mut resp = client.send(&call)?;
        if resp.status().is_redirection() {
            let to = resp
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("nowhere")
                .to_string();
            return Err(Error::http(format!(
                "{} answered HTTP {} with a redirect to {to}; not followed",
                call.url,
                resp.status().as_u16()
            )));
        }
        let mut last = LastByte {
            inner: &mut out,
            last: None,
        };
        std::io::copy(&mut resp, &mut last).map_err(|e| stream_error(e, &call.url))?;
        if several && last.last.is_some_and(|b| b != b'\n') {
            out.write_all(b"\n")
                .map_err(|e| stream_error(e, &call.url))?;
        }
    }
    out.flush()
        .map_err(|e| stream_error(e, &Url::parse("stdout:").unwrap()))
}

/// The Java sample's order: a first argument that is neither an http(s)
/// URL nor a path is the access token.
fn split_token(args: &[String]) -> Result<(Option<String>, &[String])> {
    let Some(first) = args.first() else {
        return Err(Error::usage("no URL to request"));
    };
    let t = first.trim_start();
    let lower = t.to_ascii_lowercase();
    let is_target = t.starts_with('/')
        || lower.starts_with("http://")
        || lower.starts_with("https://")
        || t.contains("://");
    if is_target {
        Ok((None, args))
    } else {
        Ok((Some(first.clone()), &args[1..]))
    }
}

/// An absolute URL as typed, or a path under the base URL (context path kept).
fn resolve(target: &str, base: Option<&str>) -> Result<Url> {
    if !target.trim_start().starts_with('/') {
        return urls::parse(target);
    }
    let base = base.ok_or_else(|| {
        Error::usage(format!("'{target}' is a path, and no base URL is set"))
            .with_hint("pass --base-url https://jira.example.com or set JIRA_BASE_URL")
    })?;
    let base = urls::normalize_base(base)?;
    urls::parse(&format!("{base}{}", target.trim()))
}

/// Remembers the last byte written, to end a body with a newline.
struct LastByte<'a, W: Write> {
    inner: &'a mut W,
    last: Option<u8>,
}

impl<W: Write> Write for LastByte<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn stream_error(e: std::io::Error, url: &Url) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        crate::broken_pipe();
    }
    Error::network(format!("the answer from {url} broke off: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_argument_rule() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let args = a(&["tok", "https://h/x"]);
        assert_eq!(split_token(&args).unwrap().0.as_deref(), Some("tok"));
        let args = a(&["/rest/api/2/myself"]);
        assert_eq!(split_token(&args).unwrap().0, None);
        let args = a(&["HTTPS://h/x", "/y"]);
        assert_eq!(split_token(&args).unwrap().1.len(), 2);
    }

    #[test]
    fn paths_keep_the_context_path() {
        let u = resolve("/rest/api/2/myself", Some("https://h/jira/")).unwrap();
        assert_eq!(u.as_str(), "https://h/jira/rest/api/2/myself");
        assert_eq!(resolve("/x", None).unwrap_err().exit_code(), 2);
    }
}
