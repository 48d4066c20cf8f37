//! Checks shared by the fuzz targets.

use jira_oauth::Error;

/// An error prints as `jira-oauth: error: …` and `hint: …`, one line each:
/// no line break, and no control character that would drive the terminal.
pub fn assert_printable_error(e: &Error) {
    assert_one_line("message", &e.message);
    if let Some(hint) = &e.hint {
        assert_one_line("hint", hint);
    }
}

pub fn assert_one_line(what: &str, s: &str) {
    assert!(
        !s.chars().any(char::is_control),
        "{what} has a control character: {s:?}"
    );
}

/// True for the characters RFC 5849 §3.6 leaves unencoded.
pub fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

/// Every byte is unreserved or part of an upper-case `%XX` escape.
pub fn is_rfc5849_encoded(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if is_unreserved(b[i]) {
            i += 1;
        } else if b[i] == b'%'
            && i + 2 < b.len()
            && is_upper_hex(b[i + 1])
            && is_upper_hex(b[i + 2])
        {
            i += 3;
        } else {
            return false;
        }
    }
    true
}

fn is_upper_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'A'..=b'F').contains(&b)
}

/// Percent-decodes `%XX` (the inverse of the §3.6 encoding).
pub fn percent_decode(s: &str) -> String {
    String::from_utf8(percent_encoding::percent_decode_str(s).collect())
        .expect("§3.6 encodes UTF-8 text")
}

/// Splits an input the way the HTTP-like targets read it: a first line, then
/// `Name: value` lines up to an empty line, then the body. Line ends are `\n`
/// (a `\r` before it is dropped), so seeds are plain text files.
pub fn split_http(data: &[u8]) -> (&[u8], Vec<(&[u8], &[u8])>, &[u8]) {
    fn next_line<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
        let end = rest.iter().position(|&b| b == b'\n')?;
        let line = &rest[..end];
        *rest = &rest[end + 1..];
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }
    let mut rest = data;
    let Some(first) = next_line(&mut rest) else {
        return (data, Vec::new(), &[]);
    };
    let mut headers = Vec::new();
    while let Some(line) = next_line(&mut rest) {
        if line.is_empty() {
            break;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => (&line[..i], line[i + 1..].trim_ascii_start()),
            None => (line, &b""[..]),
        };
        headers.push((name, value));
    }
    (first, headers, rest)
}
