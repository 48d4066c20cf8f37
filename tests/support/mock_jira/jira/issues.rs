//! The issues `HSP-1`…: their JSON, and the search over them (simple JQL
//! when the mode honours it, see `jql`).

use super::jql;
use super::rest::query_params;
use super::{Recorded, Response, Shared};
use serde_json::json;

impl Shared {
    /// `HSP-N` or its id `10000 + N - 1`, for N from 1 to the issue count.
    pub(super) fn issue_number(&self, key_or_id: &str) -> Option<usize> {
        let n = match key_or_id.strip_prefix("HSP-") {
            Some(n) => n.parse::<usize>().ok()?,
            None => key_or_id.parse::<usize>().ok()?.checked_sub(10000)? + 1,
        };
        (n >= 1 && n <= self.lock().counts.issues).then_some(n)
    }

    /// `startAt`/`maxResults`/`total` over the issues `HSP-1`…, those the
    /// `jql` selects when the mode honours it (else all of them).
    pub(super) fn search(&self, rec: &Recorded) -> Response {
        let (count, honour_jql) = {
            let inner = self.lock();
            (inner.counts.issues, inner.mode.jql)
        };
        let mut numbers: Vec<usize> = (1..=count).collect();
        let jql = query_params(rec).find(|(n, _)| *n == "jql").map(|(_, v)| v);
        if let (true, Some(jql)) = (honour_jql, jql) {
            let refused =
                |msg: String| Response::json(400, &json!({"errorMessages": [msg], "errors": {}}));
            let query = match jql::parse(jql) {
                Ok(q) => q,
                Err(msg) => return refused(msg),
            };
            if let Err(msg) = query.check_projects(&[(PROJECT_KEY, PROJECT_NAME)]) {
                return refused(msg);
            }
            numbers.retain(|&n| {
                query.matches(&jql::Issue {
                    key: &format!("HSP-{n}"),
                    project_key: PROJECT_KEY,
                    project_name: PROJECT_NAME,
                    summary: &summary(n),
                })
            });
            if query.key_descending {
                numbers.reverse();
            }
        }
        let total = numbers.len();
        let (start, max) = self.window(rec);
        // JIRA answers the `fields` asked for (names it does not know are
        // left out, `*all` and `*navigable` mean every one); without it, JIRA
        // sends every navigable field, where this provider keeps to summary.
        let wanted: Vec<&str> = query_params(rec)
            .find(|(n, _)| *n == "fields")
            .map_or(vec!["summary"], |(_, v)| {
                v.split(',').map(str::trim).collect()
            });
        let all = wanted.iter().any(|f| matches!(*f, "*all" | "*navigable"));
        let issues: Vec<_> = numbers
            .iter()
            .skip(start)
            .take(max)
            .map(|&n| {
                let mut issue = self.issue(n);
                issue["expand"] = json!("operations,editmeta,changelog,renderedFields");
                if let Some(fields) = issue["fields"].as_object_mut() {
                    fields.retain(|name, _| all || wanted.contains(&name.as_str()));
                }
                issue
            })
            .collect();
        Response::json(
            200,
            &json!({
                "expand": "schema,names",
                "startAt": start,
                "maxResults": max,
                "total": total,
                "issues": issues
            }),
        )
    }

    /// `HSP-n`; `HSP-1` has non-ASCII text in its summary and description.
    pub(super) fn issue(&self, n: usize) -> serde_json::Value {
        let b = &self.base_url;
        let id = 10000 + n - 1;
        let description = if n == 1 {
            "Steps: export the menu as CSV.\r\nExpected: 'Café' stays 'Café'.".to_string()
        } else {
            format!("{}.", summary(n))
        };
        json!({
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": id.to_string(),
            "self": format!("{b}/rest/api/2/issue/{id}"),
            "key": format!("HSP-{n}"),
            "fields": {
                "summary": summary(n),
                "issuetype": {
                    "self": format!("{b}/rest/api/2/issuetype/1"),
                    "id": "1",
                    "name": "Bug",
                    "subtask": false
                },
                "project": {
                    "self": format!("{b}/rest/api/2/project/10000"),
                    "id": "10000",
                    "key": PROJECT_KEY,
                    "name": PROJECT_NAME
                },
                "status": {
                    "self": format!("{b}/rest/api/2/status/1"),
                    "id": "1",
                    "name": "Open",
                    "statusCategory": {"id": 2, "key": "new", "name": "To Do"}
                },
                "priority": {"id": "3", "name": "Major"},
                "assignee": null,
                "reporter": {
                    "self": format!("{b}/rest/api/2/user?username=admin"),
                    "name": "admin",
                    "key": "admin",
                    "displayName": "Administrator",
                    "active": true
                },
                "labels": if n == 1 { json!(["export", "i18n"]) } else { json!([]) },
                "created": "2024-03-04T10:15:30.000+0000",
                "updated": "2024-03-05T08:01:12.000+0000",
                "description": description
            }
        })
    }
}

const PROJECT_KEY: &str = "HSP";
const PROJECT_NAME: &str = "homosapien";

/// The summaries of `HSP-1`…: words for the README's JQL examples
/// (`crash`, and `+`, `&`, `#`, which a URL typed as is would mangle).
const SUMMARIES: &[&str] = &[
    "Café menu: umlauts (Grüße) break the export — again",
    "Crash when a comment quotes C++ code",
    "R&D dashboard loads forever",
    "Export drops the comments of ticket #42",
    "Board crashes on an empty sprint",
    "Dark mode for the issue navigator",
    "Upgrade the build to Java 17",
];

fn summary(n: usize) -> String {
    SUMMARIES
        .get(n - 1)
        .map_or_else(|| format!("Issue {n}"), |s| s.to_string())
}
