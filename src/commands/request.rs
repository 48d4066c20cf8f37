//! `request [ACCESS_TOKEN] URL...`: signed calls to REST resources, bodies
//! to stdout byte for byte (streamed), one connection kept alive for all of
//! them, or `--parallel N` at once with the output still in order.

use crate::cli::{Global, RequestArgs};
use crate::client::{Call, Client, Prepared};
use crate::config::{Config, TokenWant, Wants};
use crate::error::{Error, Kind, Result};
use crate::outgoing::Outgoing;
use crate::output::Sink;
use crate::retry_redirect::{self, Policy};
use crate::{paginate, transport, urls};
use reqwest::Method;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

pub fn run(g: &Global, a: &RequestArgs) -> Result<()> {
    let (token, targets) = split_token(&a.args)?;
    check_targets(targets)?;
    if a.include && a.paginate {
        // The first page's Content-Length, ETag and the like describe
        // that page, not the merged document printed after them.
        return Err(Error::usage(
            "-i cannot be used with --paginate: the first page's headers do not describe the merged document",
        )
        .with_hint("run once with -i and without --paginate to see the headers"));
    }
    let config = Config::resolve(
        g,
        Wants {
            targets,
            token: TokenWant::Required(token.as_deref()),
            bearer: true,
            ..Default::default()
        },
    )?;
    let Outgoing {
        method,
        headers,
        body,
    } = Outgoing::from_args(&a.send, None, None)?;
    if a.paginate && method != Method::GET {
        return Err(Error::usage(format!(
            "--paginate works with GET, not {method}"
        )));
    }
    let query = parse_query(&a.query)?;
    let mut calls = Vec::with_capacity(config.urls.len());
    for url in &config.urls {
        let mut url = url.clone();
        for (k, v) in &query {
            urls::append_param(&mut url, k, v);
        }
        let mut call = config.call(method.clone(), url);
        call.headers = headers.clone();
        call.body = body.clone();
        calls.push(call);
    }

    let client = config.client()?;
    let job = Job {
        client: &client,
        policy: Policy {
            retries: a.retries,
            ..Policy::default()
        },
        include: a.include,
        paginate: a.paginate,
        several: calls.len() > 1,
        keep_going: a.keep_going,
        worst: Mutex::new(None),
    };
    let mut out = Sink::new(a.output.clone());
    if calls.len() == 1 || a.paginate {
        for call in &calls {
            let r = job.emit(call, None, &mut out);
            job.settle(r, &mut out)?;
        }
    } else if a.parallel <= 1 {
        job.emit_pipelined(&calls, &mut out)?;
    } else {
        job.emit_parallel(&calls, a.parallel as usize, &mut out)?;
    }
    let worst = job.worst.into_inner().unwrap_or_else(|p| p.into_inner());
    out.finish(worst.is_none())?;
    worst.map_or(Ok(()), Err)
}

/// What every URL of one invocation shares.
struct Job<'a> {
    client: &'a Client,
    policy: Policy,
    include: bool,
    paginate: bool,
    several: bool,
    /// `--keep-going`: a failed URL is reported and the next one tried.
    keep_going: bool,
    /// The failure with the highest exit code so far (`--keep-going`).
    worst: Mutex<Option<Error>>,
}

impl Job<'_> {
    /// One URL's output: headers with `-i` (an HTTP error's too, as curl
    /// prints them), then the body, streamed. `first` is the call already
    /// signed, if it was.
    fn emit(&self, call: &Call, first: Option<Prepared>, out: &mut dyn Write) -> Result<()> {
        if self.paginate {
            return paginate::run(self.client, call, &self.policy, out);
        }
        let answer = retry_redirect::answer(self.client, call, first, &self.policy)?;
        if self.include {
            let resp = &answer.response;
            let mut head = format!("{:?} {}\r\n", resp.version(), resp.status());
            for (k, v) in resp.headers() {
                head.push_str(&format!(
                    "{k}: {}\r\n",
                    String::from_utf8_lossy(v.as_bytes())
                ));
            }
            head.push_str("\r\n");
            out.write_all(head.as_bytes())
                .map_err(|e| crate::output::write_error(&e))?;
        }
        let mut resp = answer.check(self.client)?;
        let mut last = LastByte {
            inner: out,
            last: None,
        };
        transport::copy_body(&mut resp, &mut last, &call.url, self.client.timeout())?;
        if self.several && last.last.is_some_and(|b| b != b'\n') {
            out.write_all(b"\n")
                .map_err(|e| crate::output::write_error(&e))?;
        }
        Ok(())
    }

    /// What one URL's outcome means for the run: an error ends it, unless
    /// `--keep-going`, where it is reported now and the worst one kept for
    /// the exit code. A failed output always ends it.
    fn settle(&self, r: Result<()>, out: &mut Sink) -> Result<()> {
        let Err(e) = r else { return Ok(()) };
        if let Some(broken) = out.take_failure() {
            return Err(broken);
        }
        if !self.keep_going || e.kind == Kind::ClosedPipe {
            return Err(e);
        }
        e.print();
        let mut worst = self.worst.lock().unwrap_or_else(|p| p.into_inner());
        if worst.as_ref().is_none_or(|w| e.exit_code() > w.exit_code()) {
            *worst = Some(e.into_reported());
        }
        Ok(())
    }

    /// One connection, in order, with the signing of the next requests
    /// done on another thread while this one waits for the network.
    fn emit_pipelined(&self, calls: &[Call], out: &mut Sink) -> Result<()> {
        std::thread::scope(|s| {
            // A few ahead: enough to hide a signature behind a round trip,
            // few enough that timestamps stay fresh.
            let (tx, rx) = mpsc::sync_channel(4);
            s.spawn(move || {
                for call in calls {
                    if tx.send(self.client.prepare(call)).is_err() {
                        break;
                    }
                }
            });
            for (call, prepared) in calls.iter().zip(rx) {
                let r = prepared.and_then(|p| self.emit(call, Some(p), out));
                self.settle(r, out)?;
            }
            Ok(())
        })
    }

    /// `n` workers take the URLs in turn (signing on every core); the
    /// output is written in the order given, the first error ends the run
    /// (unless `--keep-going`).
    fn emit_parallel(&self, calls: &[Call], n: usize, out: &mut Sink) -> Result<()> {
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let (tx, rx) = mpsc::channel::<(usize, Vec<u8>, Result<()>)>();
        std::thread::scope(|s| {
            for _ in 0..n.min(calls.len()) {
                let tx = tx.clone();
                let (next, stop) = (&next, &stop);
                s.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= calls.len() || stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let mut buf = Vec::new();
                    let r = self.emit(&calls[i], None, &mut buf);
                    if tx.send((i, buf, r)).is_err() {
                        break;
                    }
                });
            }
            drop(tx);
            let mut pending = BTreeMap::new();
            let mut want = 0;
            for (i, buf, r) in rx {
                pending.insert(i, (buf, r));
                while let Some((buf, r)) = pending.remove(&want) {
                    // What came before a failure (`-i`'s head) is output too.
                    let written = out
                        .write_all(&buf)
                        .map_err(|e| crate::output::write_error(&e))
                        .and(r);
                    if let Err(e) = self.settle(written, out) {
                        stop.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                    want += 1;
                }
            }
            Ok(())
        })
    }
}

/// `-q NAME=VALUE`, both literal.
fn parse_query(raw: &[String]) -> Result<Vec<(String, String)>> {
    raw.iter()
        .map(|q| {
            let (k, v) = crate::outgoing::split_option(q, "-q", '=', "'='", "NAME=VALUE")?;
            if k.is_empty() {
                return Err(Error::usage(format!("-q '{q}' has an empty name")));
            }
            Ok((k.to_string(), v.to_string()))
        })
        .collect()
}

/// The Java sample's order: a first argument that is neither an http(s)
/// URL nor a path is the access token.
fn split_token(args: &[String]) -> Result<(Option<String>, &[String])> {
    let Some(first) = args.first() else {
        return Err(Error::usage("no URL to request").with_hint(format!(
            "give a URL or a /path, e.g. {EXAMPLE} (jira-oauth request --help has more)"
        )));
    };
    if is_target(first) {
        return Ok((None, args));
    }
    if args.len() == 1 {
        if looks_like_path(first) {
            return Err(missing_slash(first));
        }
        // Not echoed: it is an access token.
        return Err(
            Error::usage("no URL to request after the access token").with_hint(format!(
                "give the URL after the token, e.g. {EXAMPLE_TOKEN} (jira-oauth request --help has more)"
            )),
        );
    }
    Ok((Some(first.clone()), &args[1..]))
}

const EXAMPLE: &str = "jira-oauth request /rest/api/2/myself";
const EXAMPLE_TOKEN: &str = "jira-oauth request TOKEN https://jira.example.com/rest/api/2/myself";

/// An http(s) URL or a `/path`, as the first-argument rule sees them.
fn is_target(arg: &str) -> bool {
    let t = arg.trim_start();
    let lower = t.to_ascii_lowercase();
    t.starts_with('/')
        || lower.starts_with("http://")
        || lower.starts_with("https://")
        || t.contains("://")
}

/// `rest/api/2/myself`: a path that lost its leading `/` (its first
/// segment is no host name: no dot, no port).
fn looks_like_path(arg: &str) -> bool {
    let Some((first, _)) = arg.split_once('/') else {
        return false;
    };
    !first.is_empty()
        && !first.contains(['.', ':'])
        && first != "localhost"
        && arg.chars().all(|c| c.is_ascii_graphic() && c != '\\')
}

fn missing_slash(arg: &str) -> Error {
    Error::usage(format!("'{arg}' is neither a URL nor a /path")).with_hint(format!(
        "did you mean /{arg}? (paths under the base URL start with /)"
    ))
}

/// Words of JQL that the shell splits off an unquoted URL.
const JQL_WORDS: &[&str] = &[
    "=", "!=", "~", "!~", ">", ">=", "<", "<=", "and", "or", "not", "in", "is", "was", "order",
    "by", "asc", "desc", "empty", "null",
];

/// Arguments after the token that cannot be URLs get a hint that says
/// what they probably are: the rest of a JQL the shell split at its
/// spaces, or a path without its `/`. Host names are left to `urls`.
fn check_targets(targets: &[String]) -> Result<()> {
    for (i, t) in targets.iter().enumerate() {
        if is_target(t) {
            continue;
        }
        if looks_like_path(t) {
            return Err(missing_slash(t));
        }
        // The URL before it, with a query that the shell cut short.
        let cut = targets[..i]
            .iter()
            .rposition(|u| is_target(u))
            .filter(|&u| targets[u].contains('?'));
        let jql_word = JQL_WORDS.contains(&t.to_ascii_lowercase().as_str());
        if cut.is_none() && !jql_word {
            continue;
        }
        let mut message = format!(
            "'{t}' is not a URL: it looks like part of a JQL query that the shell split at its spaces"
        );
        let hint = match cut {
            Some(u) => {
                let words: Vec<&str> = targets[u + 1..]
                    .iter()
                    .take_while(|w| !is_target(w))
                    .map(String::as_str)
                    .collect();
                jql_hint(&targets[u], &words.join(" "))
            }
            None => {
                message = format!("'{t}' is not a URL: it looks like a piece of a JQL query that the shell split at its spaces");
                "quote the whole URL ('https://…/search?jql=project = HSP'), or pass the query with -q 'jql=project = HSP'".to_string()
            }
        };
        return Err(Error::usage(message).with_hint(hint));
    }
    Ok(())
}

/// The URL quoted whole, and the `-q` form when its last parameter is
/// the one cut short.
fn jql_hint(url: &str, rest: &str) -> String {
    let whole = crate::output::shell_quote(&format!("{url} {rest}"));
    let (head, query) = url.split_once('?').unwrap_or((url, ""));
    let (before, last) = match query.rsplit_once('&') {
        Some((b, l)) => (Some(b), l),
        None => (None, query),
    };
    match last.split_once('=') {
        Some((name, value)) if !name.is_empty() => {
            let param = crate::output::shell_quote(&format!("{name}={value} {rest}"));
            let url = match before {
                Some(b) => format!("{head}?{b}"),
                None => head.to_string(),
            };
            format!("quote the whole URL: {whole}, or use -q: {url} -q {param}")
        }
        _ => format!("quote the whole URL: {whole}"),
    }
}

/// Remembers the last byte written, to end a body with a newline.
struct LastByte<'a> {
    inner: &'a mut dyn Write,
    last: Option<u8>,
}

impl Write for LastByte<'_> {
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
}
