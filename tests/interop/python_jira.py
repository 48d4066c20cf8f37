"""Python's `jira` library through `jira-oauth proxy`, with the proxy
token as its bearer token (token_auth). Run by tests/proxy_python.rs,
which starts the test provider and the proxy and checks what reached
JIRA; exits non-zero on the first failure."""

import os
import sys
import tempfile

from jira import JIRA

server = os.environ["PROXY_URL"]
token = os.environ["PROXY_TOKEN"]

jira = JIRA(server=server, token_auth=token, options={"delay_reload": 0})
assert jira.server_info()["versionNumbers"][0] >= 8

me = jira.myself()
assert me["name"] == "admin", me
# Links come back pointing to the proxy.
assert me["self"].startswith(server + "/"), me["self"]

issue = jira.issue("HSP-1")
assert issue.key == "HSP-1" and issue.self.startswith(server + "/"), issue.self

found = jira.search_issues("project = HSP ORDER BY key ASC", maxResults=False)
assert len(found) == int(os.environ["ISSUE_COUNT"]), len(found)
assert found[0].key == "HSP-1", found[0].key

comment = jira.add_comment("HSP-1", "Through the proxy: 'quotes' & ümlauts")
assert comment.body == "Through the proxy: 'quotes' & ümlauts", comment.body

issue.update(summary="Renamed through the proxy")
assert issue.fields.summary == "Renamed through the proxy", issue.fields.summary

created = jira.create_issue(
    fields={"project": {"id": "10000"}, "issuetype": {"name": "Bug"}, "summary": "Made by python-jira"}
)
assert created.key == "HSP-100" and created.fields.summary == "Made by python-jira"

content = os.urandom(300_000)
with tempfile.NamedTemporaryFile(suffix=".bin") as f:
    f.write(content)
    f.flush()
    attachment = jira.add_attachment(issue="HSP-1", attachment=f.name, filename="data.bin")
assert attachment.size == len(content), attachment.size
assert attachment.content.startswith(server + "/"), attachment.content
assert attachment.get() == content

print("python-jira: all calls went through the proxy")
sys.exit(0)
