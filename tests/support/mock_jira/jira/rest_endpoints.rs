//! The built-in REST endpoints below `/rest/`, with canned data: the user,
//! server info, fields, comments, projects, boards and an echo; the issues
//! and their search are in `issues`.

use super::rest::query_params;
use super::{Recorded, Response, Shared};
use serde_json::json;

impl Shared {
    pub(super) fn builtin_rest(&self, path: &str, rec: &Recorded) -> Response {
        let get = matches!(rec.method.as_str(), "GET" | "HEAD");
        if let Some(key) = path
            .strip_prefix("/rest/api/2/issue/")
            .and_then(|p| p.strip_suffix("/comment"))
        {
            return self.comments(key, rec);
        }
        match path {
            "/rest/api/2/myself" if get => Response::json(200, &self.myself()),
            // What clients such as Python's `jira` ask for first.
            "/rest/api/2/serverInfo" if get => Response::json(
                200,
                &json!({"baseUrl": self.base_url, "version": "9.12.0", "versionNumbers": [9, 12, 0],
                        "deploymentType": "Server", "serverTitle": "mock JIRA"}),
            ),
            "/rest/api/2/field" if get => Response::json(
                200,
                &json!([{"id": "summary", "name": "Summary", "custom": false, "navigable": true,
                         "searchable": true, "clauseNames": ["summary"],
                         "schema": {"type": "string", "system": "summary"}}]),
            ),
            "/rest/api/2/search" if get => self.search(rec),
            "/rest/api/3/project/search" if get => self.project_search(rec),
            "/rest/agile/1.0/board" if get => self.boards(rec),
            "/rest/echo" => echo(rec),
            p if get && p.starts_with("/rest/api/2/issue/") => {
                match self.issue_number(&p["/rest/api/2/issue/".len()..]) {
                    Some(n) => Response::json(200, &self.issue(n)),
                    None => Response::json(
                        404,
                        &json!({"errorMessages": ["Issue Does Not Exist"], "errors": {}}),
                    ),
                }
            }
            _ => Response::json(
                404,
                &json!({"message": "null for uri: ".to_string() + &rec.target, "status-code": 404}),
            ),
        }
    }

    /// GET: the fake comments then the posted ones, paged as JIRA does.
    /// POST: adds the JSON body's `body` as a comment and echoes it (201).
    fn comments(&self, key: &str, rec: &Recorded) -> Response {
        if self.issue_number(key).is_none() {
            return Response::json(
                404,
                &json!({"errorMessages": ["Issue Does Not Exist"], "errors": {}}),
            );
        }
        let b = self.base_url.clone();
        let author = json!({"name": "admin", "key": "admin", "displayName": "Administrator"});
        match rec.method.as_str() {
            "POST" => {
                let text = serde_json::from_slice::<serde_json::Value>(&rec.body)
                    .ok()
                    .and_then(|v| v.get("body").and_then(|b| b.as_str()).map(str::to_string));
                let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
                    return Response::json(
                        400,
                        &json!({"errorMessages": [], "errors": {"comment": "Comment body can not be empty!"}}),
                    );
                };
                let mut inner = self.lock();
                let fake = inner.counts.comments;
                let posted = inner.comments.entry(key.to_string()).or_default();
                let id = 20000 + fake + posted.len();
                let c = json!({
                    "self": format!("{b}/rest/api/2/issue/{key}/comment/{id}"),
                    "id": id.to_string(),
                    "author": author,
                    "body": text,
                    "created": "2024-03-06T09:00:00.000+0000",
                    "updated": "2024-03-06T09:00:00.000+0000"
                });
                posted.push(c.clone());
                Response::json(201, &c)
            }
            "GET" | "HEAD" => {
                let (fake, posted) = {
                    let inner = self.lock();
                    (
                        inner.counts.comments,
                        inner.comments.get(key).cloned().unwrap_or_default(),
                    )
                };
                let all: Vec<_> = (0..fake)
                    .map(|i| {
                        json!({
                            "self": format!("{b}/rest/api/2/issue/{key}/comment/{}", 20000 + i),
                            "id": (20000 + i).to_string(),
                            "author": author,
                            "body": format!("Comment {}", i + 1),
                            "created": "2024-03-05T09:00:00.000+0000"
                        })
                    })
                    .chain(posted)
                    .collect();
                let (start, max) = self.window(rec);
                let page: Vec<_> = all.iter().skip(start).take(max).cloned().collect();
                Response::json(
                    200,
                    &json!({"startAt": start, "maxResults": max, "total": all.len(), "comments": page}),
                )
            }
            _ => Response::text(405, "").header("Allow", "GET, POST"),
        }
    }

    /// The window the request asks of `total` items made by `item`:
    /// `startAt`, `maxResults`, where it ends, and the items.
    fn paged(
        &self,
        rec: &Recorded,
        total: usize,
        item: impl Fn(usize) -> serde_json::Value,
    ) -> (usize, usize, usize, Vec<serde_json::Value>) {
        let (start, max) = self.window(rec);
        let end = total.min(start + max);
        (start, max, end, (start..end).map(item).collect())
    }

    /// The newer style: `isLast`, `nextPage` (absolute) and `values`.
    fn project_search(&self, rec: &Recorded) -> Response {
        let total = self.lock().counts.projects;
        let b = &self.base_url;
        let (start, max, end, values) = self.paged(rec, total, |i| {
            json!({
                "self": format!("{b}/rest/api/3/project/{}", 10000 + i),
                "id": (10000 + i).to_string(),
                "key": format!("P{}", i + 1),
                "name": format!("Project {}", i + 1)
            })
        });
        let url = |s: usize| format!("{b}/rest/api/3/project/search?startAt={s}&maxResults={max}");
        let mut page = json!({
            "self": url(start),
            "maxResults": max,
            "startAt": start,
            "total": total,
            "isLast": end >= total,
            "values": values
        });
        if end < total {
            page["nextPage"] = json!(url(end));
        }
        Response::json(200, &page)
    }

    /// JIRA Software's style: `startAt`, `maxResults` and `isLast`, without
    /// `nextPage` or `total`.
    fn boards(&self, rec: &Recorded) -> Response {
        let total = self.lock().counts.boards;
        let b = &self.base_url;
        let (start, max, end, values) = self.paged(rec, total, |i| {
            json!({
                "id": i + 1,
                "self": format!("{b}/rest/agile/1.0/board/{}", i + 1),
                "name": format!("Board {}", i + 1),
                "type": "scrum"
            })
        });
        Response::json(
            200,
            &json!({"maxResults": max, "startAt": start, "isLast": end >= total, "values": values}),
        )
    }

    fn myself(&self) -> serde_json::Value {
        let b = &self.base_url;
        json!({
            "self": format!("{b}/rest/api/2/user?username=admin"),
            "key": "admin",
            "name": "admin",
            "emailAddress": "admin@example.com",
            "avatarUrls": {
                "48x48": format!("{b}/secure/useravatar?avatarId=10122"),
                "24x24": format!("{b}/secure/useravatar?size=small&avatarId=10122"),
            },
            "displayName": "Administrator",
            "active": true,
            "timeZone": "Etc/UTC",
            "locale": "en_US",
            "groups": {"size": 2, "items": []},
            "applicationRoles": {"size": 1, "items": []},
            "expand": "groups,applicationRoles"
        })
    }
}

/// The request as the server saw it: method, decoded query parameters (the
/// `oauth_*` ones left out), headers, and the body as text.
fn echo(rec: &Recorded) -> Response {
    let query: Vec<_> = query_params(rec)
        .filter(|(n, _)| !n.starts_with("oauth_"))
        .map(|(n, v)| json!([n, v]))
        .collect();
    let headers: Vec<_> = rec.headers.iter().map(|(n, v)| json!([n, v])).collect();
    Response::json(
        200,
        &json!({
            "method": rec.method,
            "path": rec.path,
            "query": query,
            "headers": headers,
            "body": rec.body_text()
        }),
    )
}
