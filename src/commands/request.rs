//! `request [ACCESS_TOKEN] URL...`: signed calls to REST resources, bodies
//! to stdout byte for byte (streamed), one connection kept alive for all of
//! them, or `--parallel N` at once with the output still in order.

use crate::cli::{Global, RequestArgs};
use crate::client::{Call, Client, Prepared};
use crate::config::{Config, TokenWant, Wants};
use crate::error::{Error, Result};
use crate::outgoing::Outgoing;
use crate::retry_redirect::{self, Policy};
use crate::{paginate, transport, urls};
use reqwest::Method;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

pub fn run(g: &Global, a: &RequestArgs) -> Result<()> {
    let (token, targets) = split_token(&a.args)?;
    if targets.is_empty() {
        return Err(Error::usage("no URL to request"));
    }
    let config = Config::resolve(
        g,
        Wants {
            targets,
            token: TokenWant::Required(token.as_deref()),
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
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if calls.len() == 1 || a.paginate {
        for call in &calls {
            job.emit(call, None, &mut out)?;
        }
    } else if a.parallel <= 1 {
        job.emit_pipelined(&calls, &mut out)?;
    } else {
        job.emit_parallel(&calls, a.parallel as usize, &mut out)?;
    }
    out.flush().map_err(|e| crate::output::write_error(&e))
}

/// What every URL of one invocation shares.
struct Job<'a> {
    client: &'a Client,
    policy: Policy,
    include: bool,
    paginate: bool,
    several: bool,
}

impl Job<'_> {
    /// One URL's output: headers with `-i`, then the body, streamed.
    /// `first` is the call already signed, if it was.
    fn emit(&self, call: &Call, first: Option<Prepared>, out: &mut dyn Write) -> Result<()> {
        if self.paginate {
            return paginate::run(self.client, call, &self.policy, out);
        }
        let mut resp = retry_redirect::send_prepared(self.client, call, first, &self.policy)?;
        if self.include {
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

    /// One connection, in order, with the signing of the next requests
    /// done on another thread while this one waits for the network.
    fn emit_pipelined(&self, calls: &[Call], out: &mut dyn Write) -> Result<()> {
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
                self.emit(call, Some(prepared?), out)?;
            }
            Ok(())
        })
    }

    /// `n` workers take the URLs in turn (signing on every core); the
    /// output is written in the order given, the first error ends the run.
    fn emit_parallel(&self, calls: &[Call], n: usize, out: &mut dyn Write) -> Result<()> {
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let (tx, rx) = mpsc::channel::<(usize, Result<Vec<u8>>)>();
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
                    let r = self.emit(&calls[i], None, &mut buf).map(|_| buf);
                    if tx.send((i, r)).is_err() {
                        break;
                    }
                });
            }
            drop(tx);
            let mut pending = BTreeMap::new();
            let mut want = 0;
            for (i, r) in rx {
                pending.insert(i, r);
                while let Some(r) = pending.remove(&want) {
                    let written = r.and_then(|b| {
                        out.write_all(&b)
                            .map_err(|e| crate::output::write_error(&e))
                    });
                    if let Err(e) = written {
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
