//! Links to JIRA rewritten to the proxy: in `Location` headers, and in JSON
//! answers while they stream (a `self` or `nextPage` link followed by a
//! client must come back through the proxy, which holds the credentials).

use bytes::{Bytes, BytesMut};

/// Replaces JSON strings that start with the base URL (followed by `/`,
/// `?`, `#` or the string's end), plain or with `\/` escapes, across chunk
/// boundaries.
pub struct Rewriter {
    /// (needle, replacement, the bytes that may follow the needle)
    rules: Vec<(Vec<u8>, Vec<u8>, &'static [u8])>,
    /// The end of the last chunk, which may hold the start of a needle.
    carry: BytesMut,
    longest: usize,
}

impl Rewriter {
    pub fn new(base: &str, proxy: &str) -> Rewriter {
        let escaped = |s: &str| s.replace('/', "\\/");
        // A JSON string starts with `"`: only a string that starts with the
        // base is a link to rewrite.
        let rules = vec![
            (
                format!("\"{}", escaped(base)).into_bytes(),
                format!("\"{}", escaped(proxy)).into_bytes(),
                b"\\?#\"".as_slice(),
            ),
            (
                format!("\"{base}").into_bytes(),
                format!("\"{proxy}").into_bytes(),
                b"/?#\"".as_slice(),
            ),
        ];
        let longest = rules.iter().map(|r| r.0.len() + 1).max().unwrap_or(1);
        Rewriter {
            rules,
            carry: BytesMut::new(),
            longest,
        }
    }

    /// The rewritten bytes that are certain so far.
    pub fn push(&mut self, chunk: &[u8]) -> Bytes {
        self.carry.extend_from_slice(chunk);
        self.run(false)
    }

    /// What is left once the answer has ended.
    pub fn finish(&mut self) -> Bytes {
        self.run(true)
    }

    fn run(&mut self, end: bool) -> Bytes {
        let data = std::mem::take(&mut self.carry);
        let mut out = BytesMut::with_capacity(data.len());
        let mut i = 0;
        // Bytes from `safe` on might start a needle that the next chunk
        // completes: they wait, unless the answer has ended.
        let safe = if end {
            data.len()
        } else {
            data.len().saturating_sub(self.longest - 1)
        };
        'scan: while i < safe {
            if data[i] == b'"' {
                for (needle, replacement, followers) in &self.rules {
                    let after = i + needle.len();
                    if data[i..].starts_with(needle)
                        && data.get(after).is_some_and(|b| followers.contains(b))
                    {
                        out.extend_from_slice(replacement);
                        i = after;
                        continue 'scan;
                    }
                }
            }
            out.extend_from_slice(&data[i..i + 1]);
            i += 1;
        }
        self.carry.extend_from_slice(&data[i..]);
        out.freeze()
    }
}

/// A `Location` on the base (absolute, or a path under its context path,
/// as Tomcat sends) turned into one on the proxy.
pub fn location(value: &str, base: &str, context_path: &str, proxy: &str) -> Option<String> {
    let boundary = |rest: &str| rest.is_empty() || rest.starts_with(['/', '?', '#']);
    if let Some(rest) = value.strip_prefix(base) {
        return boundary(rest).then(|| format!("{proxy}{rest}"));
    }
    if value.starts_with('/') && !value.starts_with("//") {
        let rest = value.strip_prefix(context_path)?;
        return boundary(rest).then(|| format!("{proxy}{rest}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(input: &[u8], split: usize) -> Vec<u8> {
        let mut r = Rewriter::new("http://jira:8080/jira", "http://127.0.0.1:7650");
        let mut out = r.push(&input[..split]).to_vec();
        out.extend_from_slice(&r.push(&input[split..]));
        out.extend_from_slice(&r.finish());
        out
    }

    #[test]
    fn links_are_rewritten_wherever_a_chunk_ends() {
        let input = br#"{"self":"http://jira:8080/jira/rest/api/2/issue/1","x":"http:\/\/jira:8080\/jira\/a","b":"http://jira:8080/jira","n":"http://jira:8080/jiraX","t":"see http://jira:8080/jira/"}"#;
        let want = br#"{"self":"http://127.0.0.1:7650/rest/api/2/issue/1","x":"http:\/\/127.0.0.1:7650\/a","b":"http://127.0.0.1:7650","n":"http://jira:8080/jiraX","t":"see http://jira:8080/jira/"}"#;
        for split in 0..=input.len() {
            assert_eq!(whole(input, split), want.to_vec(), "split at {split}");
        }
    }

    #[test]
    fn locations() {
        let p = "http://127.0.0.1:7650";
        let b = "http://jira/jira";
        assert_eq!(
            location("http://jira/jira/browse/A-1", b, "/jira", p).as_deref(),
            Some("http://127.0.0.1:7650/browse/A-1")
        );
        assert_eq!(
            location("/jira/login.jsp?x", b, "/jira", p).as_deref(),
            Some("http://127.0.0.1:7650/login.jsp?x")
        );
        assert_eq!(location("https://elsewhere/", b, "/jira", p), None);
        assert_eq!(location("/jiraX", b, "/jira", p), None);
    }
}
