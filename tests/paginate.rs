//! `request --paginate` when a page after the first goes wrong, through the
//! real binary against the test provider: the exit code is that page's, the
//! error line names the page, and stdout holds the pages before it, an
//! unterminated document. The merging itself is tested in `request.rs`.

mod support;

use serde_json::Value;
use support::cli::{Env, Out};
use support::mock_jira::{MockJira, Options, Outcome, PageFault};

struct Jira {
    jira: MockJira,
    token: String,
    env: Env,
}

fn start() -> Jira {
    let jira = MockJira::start(Options::default_with_test_consumer());
    let (token, _) = jira.issue_access_token("hardcoded-consumer");
    Jira {
        jira,
        token,
        env: Env::new(),
    }
}

impl Jira {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.jira.base_url())
    }

    fn paginate(&self, path: &str) -> Out {
        self.env
            .jira_oauth(&["request", &self.token, "--paginate", &self.url(path)])
    }

    /// The `startAt` of every request the provider saw.
    fn starts(&self) -> Vec<Option<String>> {
        self.jira
            .requests()
            .iter()
            .map(|r| r.param("startAt").map(str::to_string))
            .collect()
    }
}

/// stdout is the merged document cut off inside its array: not JSON, and
/// closing the array and the object makes it JSON. Returns that document.
fn unterminated(out: &Out) -> Value {
    assert!(
        serde_json::from_str::<Value>(&out.stdout).is_err(),
        "stdout is a whole document: {}",
        out.stdout
    );
    serde_json::from_str(&format!("{}]}}", out.stdout)).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout is not the document's beginning: {}",
            out.stdout
        )
    })
}

fn field(doc: &Value, array: &str, name: &str) -> Vec<String> {
    doc[array]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[name].as_str().unwrap().to_string())
        .collect()
}

fn some(starts: &[&str]) -> Vec<Option<String>> {
    starts
        .iter()
        .map(|s| (!s.is_empty()).then(|| s.to_string()))
        .collect()
}

#[test]
fn a_later_page_refused_is_exit_4() {
    let j = start();
    j.jira.page_fault(
        "/rest/api/2/search",
        3,
        PageFault::Refuse("token_rejected".into()),
    );
    let out = j.paginate("/rest/api/2/search?maxResults=3");
    out.fails(4);
    let err = out.error();
    assert!(err.contains("page 2"), "{err}");
    assert!(err.contains("startAt=3"), "{err}");
    assert!(err.contains("token_rejected"), "{err}");
    let doc = unterminated(&out);
    assert_eq!(field(&doc, "issues", "key"), ["HSP-1", "HSP-2", "HSP-3"]);
    assert_eq!(doc["total"], 7);
    assert_eq!(j.starts(), some(&["", "3"]));
    let statuses: Vec<u16> = j.jira.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 401]);
}

#[test]
fn a_later_page_answering_500_is_exit_1() {
    let j = start();
    j.jira
        .page_fault("/rest/api/3/project/search", 2, PageFault::Status(500));
    let out = j.paginate("/rest/api/3/project/search?maxResults=2");
    out.fails(1);
    let err = out.error();
    assert!(err.contains("page 2"), "{err}");
    assert!(err.contains("startAt=2"), "{err}");
    assert!(err.contains("500"), "{err}");
    let doc = unterminated(&out);
    assert_eq!(field(&doc, "values", "key"), ["P1", "P2"]);
    assert_eq!(j.starts(), some(&["", "2"]));
}

#[test]
fn a_later_page_that_is_not_json_is_exit_1() {
    let j = start();
    j.jira
        .page_fault("/rest/api/2/issue/HSP-1/comment", 4, PageFault::Html);
    let out = j.paginate("/rest/api/2/issue/HSP-1/comment?maxResults=2");
    out.fails(1);
    let err = out.error();
    assert!(err.contains("page 3"), "{err}");
    assert!(err.contains("startAt=4"), "{err}");
    assert!(err.contains("not a JSON object"), "{err}");
    let doc = unterminated(&out);
    assert_eq!(
        field(&doc, "comments", "body"),
        ["Comment 1", "Comment 2", "Comment 3", "Comment 4"]
    );
    assert_eq!(j.starts(), some(&["", "2", "4"]));
}

#[test]
fn a_next_page_on_another_origin_is_not_followed() {
    let j = start();
    let other = MockJira::start(Options::default_with_test_consumer());
    let elsewhere = format!(
        "{}/rest/api/3/project/search?startAt=4&maxResults=2",
        other.base_url()
    );
    j.jira.page_fault(
        "/rest/api/3/project/search",
        2,
        PageFault::NextPage(elsewhere.clone()),
    );
    let out = j.paginate("/rest/api/3/project/search?maxResults=2");
    out.fails(1);
    let err = out.error();
    assert!(err.contains("page 2"), "{err}");
    assert!(err.contains(&elsewhere), "{err}");
    assert!(err.contains("another origin"), "{err}");
    // Page 2 itself was good: its items are out before its nextPage is read.
    let doc = unterminated(&out);
    assert_eq!(field(&doc, "values", "key"), ["P1", "P2", "P3", "P4"]);
    assert_eq!(j.starts(), some(&["", "2"]));
    // Nothing, the token least of all, reached the other server.
    assert!(other.requests().is_empty());
    assert_eq!(other.connections(), 0);
}

#[test]
fn a_next_page_repeating_a_url_is_exit_1_not_a_loop() {
    let j = start();
    // Page 2 points to itself.
    let again = j.url("/rest/api/3/project/search?startAt=2&maxResults=2");
    j.jira.page_fault(
        "/rest/api/3/project/search",
        2,
        PageFault::NextPage(again.clone()),
    );
    let out = j.paginate("/rest/api/3/project/search?maxResults=2");
    out.fails(1);
    let err = out.error();
    assert!(err.contains("page 3"), "{err}");
    assert!(err.contains(&again), "{err}");
    assert!(err.contains("same URL as page 2"), "{err}");
    let doc = unterminated(&out);
    assert_eq!(field(&doc, "values", "key"), ["P1", "P2", "P3", "P4"]);
    assert_eq!(j.starts(), some(&["", "2"]));
    assert!(j.jira.requests().iter().all(|r| r.outcome == Outcome::Ok));
}

#[test]
fn a_server_ignoring_start_at_is_exit_1_not_a_loop() {
    // Both ways of paging by startAt: with a total, and with isLast alone.
    for (path, array) in [
        ("/rest/api/2/search?maxResults=3", "issues"),
        ("/rest/agile/1.0/board?maxResults=2", "values"),
    ] {
        let j = start();
        j.jira.set_ignore_start_at(true);
        let out = j.paginate(path);
        out.fails(1);
        let err = out.error();
        assert!(err.contains("page 3"), "{path}: {err}");
        assert!(err.contains("same URL as page 2"), "{path}: {err}");
        // The first page, twice: what the server answered to both requests.
        let doc = unterminated(&out);
        let n = doc[array].as_array().unwrap().len();
        assert!(n > 0 && n.is_multiple_of(2), "{path}: {doc}");
        assert_eq!(doc[array][0], doc[array][n / 2], "{path}: {doc}");
        assert_eq!(j.jira.requests().len(), 2, "{path}");
    }
}
