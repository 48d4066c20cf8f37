//! `--paginate`: JIRA's two paging styles merged into one JSON document,
//! written page by page (one page in memory at a time).
//!
//! - `startAt`/`maxResults`/`total` with an array (`issues`, `values`,
//!   `comments`, `worklogs`, …): the next page starts after the items seen;
//! - `isLast`/`nextPage`/`values`: the next page is at `nextPage`, or,
//!   without one (JIRA Software), after the items seen.
//!
//! The output is the first page's object, its array holding every item of
//! every page (moved to the end of the object), `isLast` set to true and
//! `nextPage` dropped.
//!
//! Items are written as pages arrive, so a page after the first that fails
//! (an HTTP error, a body that is not a JSON object, a `nextPage` on another
//! origin or one already fetched) ends the run with an error naming that
//! page, and stdout holds an unterminated document.

use crate::client::{Call, Client};
use crate::error::{Error, Result};
use crate::retry_redirect::{self, Policy};
use crate::signature::decode_form;
use crate::urls;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::Write;
use url::Url;

/// Arrays JIRA pages, in the order they are looked for.
const ARRAYS: [&str; 6] = [
    "issues",
    "values",
    "comments",
    "worklogs",
    "histories",
    "users",
];

/// A safety stop against a server that pages forever with ever new URLs.
const MAX_PAGES: usize = 100_000;

enum Next {
    StartAt(u64),
    Page(Url),
    Done,
}

/// Fetches every page of `call` and writes the merged document to `out`.
/// An answer that is not a paged JSON object is written as it came.
pub fn run(client: &Client, call: &Call, policy: &Policy, out: &mut dyn Write) -> Result<()> {
    let first_bytes = fetch(client, call, policy)?;
    let Ok(Value::Object(mut first)) = serde_json::from_slice::<Value>(&first_bytes) else {
        return write(out, &first_bytes);
    };
    let Some(key) = array_key(&first) else {
        return write(out, &first_bytes);
    };
    let items = match first.remove(&key) {
        Some(Value::Array(items)) => items,
        _ => unreachable!("array_key found an array"),
    };
    let mut next = next_page(&first, items.len(), call);
    let first_start = first.get("startAt").and_then(Value::as_u64);
    if first.contains_key("isLast") {
        first.insert("isLast".into(), Value::Bool(true));
    }
    first.remove("nextPage");

    // The object's other fields, then the array, left open.
    let head = serde_json::to_string(&Value::Object(first)).expect("JSON serializes");
    let open = if head == "{}" {
        "{".to_string()
    } else {
        format!("{},", &head[..head.len() - 1])
    };
    write(
        out,
        format!("{open}{}:[", Value::String(key.clone())).as_bytes(),
    )?;
    let mut written = write_items(out, &items, 0)?;

    // Every URL fetched: a server that points back to one would otherwise
    // be asked the same pages for ever.
    let mut fetched = HashMap::from([(call.url.clone(), 1)]);
    if let Some(start) = first_start {
        fetched.insert(with_start_at(&call.url, start), 1);
    }
    let mut page = 1;
    let mut current = call.url.clone();
    loop {
        // `next` was read from page `page`; its errors name that page.
        let url = match next.map_err(|e| at_page(e, page, &current))? {
            Next::Done => break,
            Next::StartAt(start) => with_start_at(&call.url, start),
            Next::Page(u) => u,
        };
        page += 1;
        check_new_page(&mut fetched, page, &url).map_err(|e| at_page(e, page, &url))?;
        let mut page_call = call.clone();
        page_call.url = url.clone();
        let body = fetch(client, &page_call, policy)
            .and_then(|bytes| page_object(&bytes))
            .map_err(|e| at_page(e, page, &url))?;
        let items = match body.get(&key) {
            Some(Value::Array(a)) => a.as_slice(),
            _ => &[],
        };
        written += write_items(out, items, written)?;
        next = next_page(&body, items.len(), &page_call);
        current = url;
    }
    write(out, b"]}\n")
}

/// A page may be fetched only once, and only so many of them.
fn check_new_page(fetched: &mut HashMap<Url, usize>, page: usize, url: &Url) -> Result<()> {
    if page > MAX_PAGES {
        return Err(Error::http(format!(
            "more than {MAX_PAGES} pages; stopped paging"
        )));
    }
    match fetched.insert(url.clone(), page) {
        Some(before) => Err(Error::http(format!(
            "the same URL as page {before}: the server pages in a loop; stopped paging"
        ))),
        None => Ok(()),
    }
}

/// A later page's body, which must be a JSON object.
fn page_object(bytes: &[u8]) -> Result<Map<String, Value>> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(Error::http(format!(
            "the answer is not a JSON object ({}); stopped paging",
            crate::problem::snippet(bytes)
        ))),
    }
}

/// `e` as it happened at page `n` (`url`); the pages before it are on
/// stdout, an unterminated document.
fn at_page(e: Error, n: usize, url: &Url) -> Error {
    let message = if e.message.contains(url.as_str()) {
        format!("--paginate, page {n}: {}", e.message)
    } else {
        format!("--paginate, page {n} ({url}): {}", e.message)
    };
    let hint = e.hint.clone().unwrap_or_else(|| {
        "stdout holds the pages before it, an unterminated JSON document".to_string()
    });
    Error {
        message,
        hint: Some(hint),
        ..e
    }
}

fn fetch(client: &Client, call: &Call, policy: &Policy) -> Result<Vec<u8>> {
    let mut resp = retry_redirect::send(client, call, policy)?;
    client.read_body(&mut resp, None)
}

fn array_key(page: &Map<String, Value>) -> Option<String> {
    let paged = page.contains_key("startAt") || page.contains_key("isLast");
    if !paged {
        return None;
    }
    ARRAYS
        .iter()
        .find(|k| page.get(**k).is_some_and(Value::is_array))
        .map(|k| k.to_string())
        .or_else(|| {
            let arrays: Vec<&String> = page
                .iter()
                .filter(|(_, v)| v.is_array())
                .map(|(k, _)| k)
                .collect();
            (arrays.len() == 1).then(|| arrays[0].clone())
        })
}

fn next_page(page: &Map<String, Value>, count: usize, call: &Call) -> Result<Next> {
    let num = |k: &str| page.get(k).and_then(Value::as_u64);
    if let Some(is_last) = page.get("isLast").and_then(Value::as_bool) {
        let next = page.get("nextPage").and_then(Value::as_str);
        return match (is_last, next) {
            (true, _) => Ok(Next::Done),
            // JIRA Software's endpoints page by startAt without a nextPage.
            (false, None) => Ok(match num("startAt") {
                Some(start) if count > 0 => Next::StartAt(start + count as u64),
                _ => Next::Done,
            }),
            (false, Some(n)) => {
                let url = urls::parse(n).map_err(|e| {
                    Error::http(format!("its nextPage is not a URL ({e}); stopped paging"))
                })?;
                // The token is for the server the user named.
                if url.origin() != call.url.origin() {
                    return Err(Error::http(format!(
                        "its nextPage {url} is on another origin than {}: not followed",
                        call.url.origin().ascii_serialization()
                    )));
                }
                Ok(Next::Page(url))
            }
        };
    }
    let start = num("startAt").unwrap_or(0);
    let next = start + count as u64;
    let done = count == 0
        || num("total").is_some_and(|t| next >= t)
        || (num("total").is_none() && num("maxResults").is_some_and(|m| (count as u64) < m));
    Ok(if done {
        Next::Done
    } else {
        Next::StartAt(next)
    })
}

/// The URL with its `startAt` replaced.
fn with_start_at(url: &Url, start: u64) -> Url {
    let kept: Vec<(String, String)> = decode_form(url.query().unwrap_or_default().as_bytes())
        .into_iter()
        .filter(|(k, _)| k != "startAt")
        .collect();
    let mut out = url.clone();
    out.set_query(None);
    for (k, v) in kept {
        urls::append_param(&mut out, &k, &v);
    }
    urls::append_param(&mut out, "startAt", &start.to_string());
    out
}

fn write_items(out: &mut dyn Write, items: &[Value], already: usize) -> Result<usize> {
    let mut buf = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if already + i > 0 {
            buf.push(b',');
        }
        serde_json::to_writer(&mut buf, item).expect("JSON serializes");
    }
    write(out, &buf)?;
    Ok(items.len())
}

fn write(out: &mut dyn Write, bytes: &[u8]) -> Result<()> {
    out.write_all(bytes)
        .map_err(|e| crate::output::write_error(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Method;
    use serde_json::json;

    fn call(u: &str) -> Call {
        Call::new(Method::GET, Url::parse(u).unwrap())
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn start_at_paging_stops_at_total() {
        let c = call("https://h/rest/api/2/search?jql=a&startAt=0");
        let p = obj(json!({"startAt": 0, "maxResults": 2, "total": 5, "issues": [1, 2]}));
        assert!(matches!(next_page(&p, 2, &c).unwrap(), Next::StartAt(2)));
        let p = obj(json!({"startAt": 4, "maxResults": 2, "total": 5, "issues": [5]}));
        assert!(matches!(next_page(&p, 1, &c).unwrap(), Next::Done));
        assert_eq!(
            with_start_at(&c.url, 2).as_str(),
            "https://h/rest/api/2/search?jql=a&startAt=2"
        );
    }

    #[test]
    fn next_page_must_stay_on_the_origin() {
        let c = call("https://h/rest/x");
        let p = obj(
            json!({"isLast": false, "nextPage": "https://evil/rest/x?startAt=2", "values": []}),
        );
        assert!(next_page(&p, 0, &c).is_err());
        let p = obj(json!({"isLast": true, "values": []}));
        assert!(matches!(next_page(&p, 0, &c).unwrap(), Next::Done));
    }

    #[test]
    fn is_last_without_next_page_goes_by_start_at() {
        let c = call("https://h/rest/agile/1.0/board?maxResults=2");
        let p = obj(json!({"startAt": 2, "maxResults": 2, "isLast": false, "values": [3, 4]}));
        assert!(matches!(next_page(&p, 2, &c).unwrap(), Next::StartAt(4)));
        // Neither a way on nor any items: stop rather than loop.
        let p = obj(json!({"isLast": false, "values": [1]}));
        assert!(matches!(next_page(&p, 1, &c).unwrap(), Next::Done));
        let p = obj(json!({"startAt": 2, "isLast": false, "values": []}));
        assert!(matches!(next_page(&p, 0, &c).unwrap(), Next::Done));
    }

    #[test]
    fn finds_the_paged_array() {
        assert_eq!(
            array_key(&obj(json!({"startAt": 0, "issues": []}))).as_deref(),
            Some("issues")
        );
        assert_eq!(
            array_key(&obj(json!({"startAt": 0, "things": []}))).as_deref(),
            Some("things")
        );
        assert_eq!(array_key(&obj(json!({"key": "HSP-1"}))), None);
    }
}
