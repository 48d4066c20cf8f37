#!/usr/bin/env bash
# The proxy benchmark (bench/run.sh runs it last; it also runs alone):
# nginx serves a fixed issue JSON on loopback; wrk with 16 keep-alive
# connections for 10 s, directly and through `jira-oauth proxy`.
#   throughput: the proxy's rate against the limit where signing and HTTP
#     share the cores, 1 / (1 / (cores x signs/s) + 1 / direct rate), with
#     the signs/s of our signer (examples/sign_rate.rs) and of OpenSSL;
#   latency: the median added on one connection, against one signature;
#   memory: the proxy's peak RSS with 100 open connections.
# Usage: bench/proxy.sh [SECONDS]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${1:-10}
WORK=$(mktemp -d /tmp/jira-oauth-proxy-bench.XXXXXX)
chmod 755 "$WORK"
PORT=18191
PROXY_PORT=18192

need() { command -v "$1" >/dev/null 2>&1; }
if ! need nginx || ! need wrk || ! need openssl; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nginx-light wrk openssl >/dev/null 2>&1 ||
        apt-get install -y -qq nginx wrk openssl >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

echo "== building (release)"
cargo build --release --locked -q --bin jira-oauth --example sign_rate
BIN=$ROOT/target/release/jira-oauth
export JIRA_OAUTH_PRIVATE_KEY=$ROOT/tests/data/consumer.pem
export JIRA_OAUTH_ACCESS_TOKEN=bench-token
export JIRA_OAUTH_PROXY_TOKEN=bench-proxy-token

mkdir -p "$WORK/www" "$WORK/tmp"
python3 - "$WORK/www" <<'PY'
import json, sys
issue = {"id": "10000", "key": "HSP-1", "fields": {
    "summary": "Crash when opening the Übersicht dashboard",
    "description": "Steps to reproduce: " + "open the dashboard; " * 80,
    "status": {"name": "Open"}, "labels": ["crash", "dashboard"]}}
open(f"{sys.argv[1]}/issue.json", "w").write(json.dumps(issue))
PY
bash "$(dirname "$0")/nginx_conf.sh" "$WORK" "$PORT" > "$WORK/nginx.conf"
"$NGINX" -c "$WORK/nginx.conf"
PROXY_PID=
cleanup() {
    [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null || true
    kill "$(cat "$WORK/nginx.pid" 2>/dev/null)" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

BASE=http://127.0.0.1:$PORT
PATH_=/rest/api/2/issue/HSP-1
AUTH="Authorization: Bearer $JIRA_OAUTH_PROXY_TOKEN"
start_proxy() {
    "$BIN" proxy "$BASE" --listen "$PROXY_PORT" 2>"$WORK/proxy.log" &
    PROXY_PID=$!
    for _ in $(seq 100); do
        grep -q '^Proxy for ' "$WORK/proxy.log" 2>/dev/null && return
        python3 -c 'import time; time.sleep(0.05)'
    done
    cat "$WORK/proxy.log"; exit 1
}
stop_proxy() { kill "$PROXY_PID"; wait "$PROXY_PID" || true; PROXY_PID=; }
start_proxy
curl -sf -H "$AUTH" "http://127.0.0.1:$PROXY_PORT$PATH_" | cmp - "$WORK/www/issue.json"

CORES=$(nproc)
OUR_RATE=$("$ROOT/target/release/examples/sign_rate" 3 | sed -n 's/.* per_second=//p')
OPENSSL_RATE=$(openssl speed -elapsed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}')
echo "sign_rate (our RSA-SHA1 signer): $OUR_RATE signatures/s per core"
echo "openssl speed rsa2048:           $OPENSSL_RATE signatures/s per core; $CORES cores"

rate() { awk '/^Requests\/sec:/ {print $2}'; }
p50() { awk '$1 == "50%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}'; }

echo
echo "== throughput: wrk, 16 keep-alive connections, ${SECS} s"
# The proxy's log line per request goes to a file, as a service's would.
DIRECT=$(wrk -t2 -c16 -d"${SECS}s" "$BASE$PATH_" | rate)
THROUGH=$(wrk -t2 -c16 -d"${SECS}s" -H "$AUTH" "http://127.0.0.1:$PROXY_PORT$PATH_" | rate)
LIMIT=$(python3 -c "print(1 / (1 / ($CORES * $OUR_RATE) + 1 / $DIRECT))")
OSSL_LIMIT=$(python3 -c "print(1 / (1 / ($CORES * $OPENSSL_RATE) + 1 / $DIRECT))")
printf 'direct %.0f/s, through the proxy %.0f/s; limit %.0f/s (ours), %.0f/s (OpenSSL)\n' \
    "$DIRECT" "$THROUGH" "$LIMIT" "$OSSL_LIMIT"
echo "RESULT proxy throughput: $(python3 -c "print(f'{$THROUGH / $LIMIT:.2f}')") x the limit with our signer (target >= 0.8)"
echo "RESULT proxy throughput: $(python3 -c "print(f'{$THROUGH / $OSSL_LIMIT:.2f}')") x the limit with OpenSSL's rate"

echo
echo "== latency: wrk, 1 connection, 5 s"
D50=$(wrk -t1 -c1 -d5s --latency "$BASE$PATH_" | p50)
P50=$(wrk -t1 -c1 -d5s --latency -H "$AUTH" "http://127.0.0.1:$PROXY_PORT$PATH_" | p50)
SIGN_MS=$(python3 -c "print(1000 / $OUR_RATE)")
ADDED=$(python3 -c "print($P50 - $D50)")
printf 'median direct %.3f ms, through the proxy %.3f ms; one signature %.3f ms\n' "$D50" "$P50" "$SIGN_MS"
echo "RESULT added median latency: $(python3 -c "print(f'{$ADDED:.3f}')") ms (target <= 1 ms + one signature = $(python3 -c "print(f'{1 + $SIGN_MS:.3f}')") ms)"

echo
echo "== memory: 100 open connections"
stop_proxy
start_proxy
python3 - "$PROXY_PORT" "$JIRA_OAUTH_PROXY_TOKEN" "$PATH_" "$PROXY_PID" <<'PY'
import socket, sys
port, token, path, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
conns = []
for _ in range(100):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    conns.append(s)
for s in conns:  # every answer read; the connections stay open
    got = b""
    while not (got.endswith(b"}") or got.endswith(b"\r\n0\r\n\r\n")):
        got += s.recv(65536)
    assert got.startswith(b"HTTP/1.1 200"), got[:40]
hwm = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")][0].split()[1]
print(f"RESULT proxy peak RSS with 100 open connections: {int(hwm) / 1024:.1f} MB (target <= 30 MB)")
PY
stop_proxy
