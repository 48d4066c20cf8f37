#!/usr/bin/env bash
# Python's `jira` library through `jira-oauth proxy` (tests/proxy_python.rs),
# pinned, in the virtual environment .ci/run makes (.venv).
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check \
    -r tests/interop/requirements-proxy.txt
JIRA_OAUTH_PYTHON="$PWD/.venv/bin/python" \
    cargo test --locked --test proxy_python -- --ignored --nocapture
