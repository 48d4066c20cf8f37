#!/usr/bin/env bash
# Benchmarks of `jira-oauth request`, each side by side with its baseline in
# one run (these machines are noisy, so every figure is a ratio):
#   1. one cold request against curl sending the same precomputed header;
#   2. 500 URLs in one call against two signing floors: cores x the
#      RSA-SHA1 signatures per second of our own signer on one core
#      (examples/sign_rate.rs), and cores x OpenSSL's (openssl speed -elapsed
#      rsa2048); each floor is curl's rate instead where that is lower;
#   3. the same 500 URLs through Python's requests-oauthlib;
#   4. --parallel 16 over 500 URLs on a server that answers after 50 ms,
#      against the ideal 500 / 16 x 50 ms;
#   5. peak RSS for one URL and for a 50 MB body;
#   6. `jira-oauth proxy` under wrk (bench/proxy.sh).
# Usage: bench/run.sh [RUNS]   (RUNS: hyperfine runs for the cold request, default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${1:-30}
WORK=$(mktemp -d /tmp/jira-oauth-bench.XXXXXX)
chmod 755 "$WORK"  # nginx workers read it as another user
PORT=18181
SLOW_PORT=18182
N=500

need() { command -v "$1" >/dev/null 2>&1; }
if ! need nginx || ! need hyperfine || ! need openssl || ! [ -x /usr/bin/time ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nginx-light hyperfine time openssl >/dev/null 2>&1 ||
        apt-get install -y -qq nginx hyperfine time openssl >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

echo "== building (release)"
cargo build --release --locked -q --bin jira-oauth --example sign_rate
BIN=$ROOT/target/release/jira-oauth
KEY=$ROOT/tests/data/consumer.pem
export JIRA_OAUTH_PRIVATE_KEY=$KEY
TOKEN=bench-token

echo "== python venv for requests-oauthlib"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q -r bench/requirements.txt

# A fixed issue JSON behind every /rest/api/2/issue/KEY, and a 50 MB body.
mkdir -p "$WORK/www"
python3 - "$WORK/www" <<'PY'
import json, sys
www = sys.argv[1]
issue = {"id": "10000", "key": "HSP-1", "fields": {
    "summary": "Crash when opening the Übersicht dashboard",
    "description": "Steps to reproduce: " + "open the dashboard; " * 80,
    "status": {"name": "Open"}, "labels": ["crash", "dashboard"]}}
open(f"{www}/issue.json", "w").write(json.dumps(issue))
with open(f"{www}/big.json", "wb") as f:
    f.write(b'{"values":[' + b",".join([b'"' + b"x" * 998 + b'"'] * 52_000) + b"]}")
PY
bash "$(dirname "$0")/nginx_conf.sh" "$WORK" "$PORT" 'location = /big { try_files /big.json =404; }' > "$WORK/nginx.conf"
mkdir -p "$WORK/tmp"
"$NGINX" -c "$WORK/nginx.conf"
"$WORK/venv/bin/python" bench/slow_server.py $SLOW_PORT 0.05 &
SLOW_PID=$!
cleanup() {
    kill "$(cat "$WORK/nginx.pid" 2>/dev/null)" 2>/dev/null || true
    kill $SLOW_PID 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$SLOW_PORT/" >/dev/null 2>&1 && break
    python3 -c 'import time; time.sleep(0.1)'
done

BASE=http://127.0.0.1:$PORT
URL=$BASE/rest/api/2/issue/HSP-1
for i in $(seq $N); do echo "$BASE/rest/api/2/issue/HSP-$i"; done >"$WORK/urls"
for i in $(seq $N); do echo "http://127.0.0.1:$SLOW_PORT/rest/api/2/issue/HSP-$i"; done >"$WORK/slow-urls"
HEADER="Authorization: $("$BIN" sign GET "$URL" --token $TOKEN)"
"$BIN" request $TOKEN "$URL" | cmp - "$WORK/www/issue.json"

median() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$@"; }
ratio() { python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.2f}")' "$@"; }

echo
echo "== 1. one cold request vs curl with the same precomputed header ($RUNS runs each)"
hyperfine -N -w 5 -r "$RUNS" --export-json "$WORK/cold.json" \
    -n jira-oauth "$BIN request $TOKEN $URL" \
    -n curl "curl -s -H '$HEADER' $URL" >/dev/null
J=$(median "$WORK/cold.json" 0)
C=$(median "$WORK/cold.json" 1)
echo "median jira-oauth $(ratio "$J" 0.001) ms, curl $(ratio "$C" 0.001) ms"
echo "RESULT cold request: $(ratio "$J" "$C") x curl (target <= 1.3)"

echo
echo "== 2. $N URLs in one call"
CORES=$(nproc)
# Each alone on one core, while the servers idle; wall-clock time for both
# (openssl speed counts CPU time unless -elapsed), as for the requests.
OUR_RATE=$("$ROOT/target/release/examples/sign_rate" 3 | sed -n 's/.* per_second=//p')
OPENSSL_RATE=$(openssl speed -elapsed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}')
echo "sign_rate (our RSA-SHA1 signer): $OUR_RATE signatures/s per core"
echo "openssl speed rsa2048:           $OPENSSL_RATE signatures/s per core; $CORES cores"
URLS=$(tr '\n' ' ' <"$WORK/urls")
hyperfine -N -w 1 -r 10 --export-json "$WORK/bulk.json" \
    -n "curl x$N" "curl -s -H '$HEADER' $URLS" \
    -n "jira-oauth x$N" "$BIN request $TOKEN $URLS" \
    -n "jira-oauth x$N --parallel $CORES" "$BIN request $TOKEN --parallel $CORES $URLS" \
    -n "jira-oauth x$N --parallel $((CORES * 2))" "$BIN request $TOKEN --parallel $((CORES * 2)) $URLS" >/dev/null
CURL_RATE=$(python3 -c "print($N / $(median "$WORK/bulk.json" 0))")
OUR_FLOOR=$(python3 -c "print(min($CORES * $OUR_RATE, $CURL_RATE))")
OPENSSL_FLOOR=$(python3 -c "print(min($CORES * $OPENSSL_RATE, $CURL_RATE))")
best=0
for i in 1 2 3; do
    name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["command"])' "$WORK/bulk.json" $i)
    rate=$(python3 -c "print($N / $(median "$WORK/bulk.json" $i))")
    printf '%-36s %8.0f requests/s\n' "$name" "$rate"
    best=$(python3 -c "print(max($best, $rate))")
done
printf 'curl: %.0f requests/s\n' "$CURL_RATE"
printf 'our signing floor: %.0f/s (%s cores x %s/s); used: %.0f/s\n' \
    "$(python3 -c "print($CORES * $OUR_RATE)")" "$CORES" "$OUR_RATE" "$OUR_FLOOR"
printf 'OpenSSL signing floor: %.0f/s (%s cores x %s/s); used: %.0f/s\n' \
    "$(python3 -c "print($CORES * $OPENSSL_RATE)")" "$CORES" "$OPENSSL_RATE" "$OPENSSL_FLOOR"
echo "RESULT $N URLs: $(ratio "$best" "$OUR_FLOOR") x our signing floor (target >= 0.8)"
echo "RESULT $N URLs: $(ratio "$best" "$OPENSSL_FLOOR") x OpenSSL's signing floor (no target: what a C signer would allow)"

echo
echo "== 3. the same $N URLs through requests-oauthlib (RSA-SHA1)"
hyperfine -N -w 0 -r 2 --export-json "$WORK/python.json" \
    -n requests-oauthlib "$WORK/venv/bin/python bench/oauth1_loop.py $KEY $TOKEN $WORK/urls" \
    -n jira-oauth "$BIN request $TOKEN $URLS" >/dev/null
P=$(median "$WORK/python.json" 0)
J=$(median "$WORK/python.json" 1)
echo "median requests-oauthlib $(ratio "$P" 1) s, jira-oauth $(ratio "$J" 1) s"
echo "RESULT vs requests-oauthlib: jira-oauth takes $(ratio "$J" "$P") x its time (target < 1)"

echo
echo "== 4. --parallel 16 over $N URLs, each answered after 50 ms"
SLOW=$(tr '\n' ' ' <"$WORK/slow-urls")
hyperfine -N -w 1 -r 3 --export-json "$WORK/slow.json" \
    -n "jira-oauth --parallel 16" "$BIN request $TOKEN --parallel 16 $SLOW" >/dev/null
S=$(median "$WORK/slow.json" 0)
IDEAL=$(python3 -c "print($N / 16 * 0.05)")
echo "median $(ratio "$S" 1) s, ideal $IDEAL s"
echo "RESULT --parallel 16: $(ratio "$S" "$IDEAL") x ideal (target <= 1.2)"

echo
echo "== 5. peak RSS"
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
R1=$(rss "$BIN" request $TOKEN "$URL")
R2=$(rss "$BIN" request $TOKEN "$BASE/big")
"$BIN" request $TOKEN "$BASE/big" | cmp - "$WORK/www/big.json"
echo "RESULT peak RSS: 1 URL $((R1 / 1024)) MB ($R1 KB), $(( $(stat -c %s "$WORK/www/big.json") / 1048576 )) MB body $((R2 / 1024)) MB ($R2 KB) (target <= 15 MB)"

echo
echo "== 6. jira-oauth proxy (bench/proxy.sh)"
bash "$ROOT/bench/proxy.sh"
