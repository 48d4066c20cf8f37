#!/usr/bin/env bash
# Builds the fuzz targets and runs each for a set time, one after the other,
# then prints executions and findings per target (see README.md).
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 s, all targets)
#
# Stable Rust: no sanitizer (-s none; AddressSanitizer needs nightly), which
# costs nothing here since the crate has no unsafe code. Debug assertions
# and overflow checks are on (-a). New inputs go to target/corpus/TARGET;
# the committed seeds in corpus/TARGET are only read. Crashes go to
# artifacts/TARGET/. Exits 1 when any target found something.
set -uo pipefail
cd "$(dirname "$0")"

secs=${1:-60}
shift || true
if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi
flags=(-s none -O -a)

cargo fuzz build "${flags[@]}" || exit 2

summary=()
found_any=0
for t in "${targets[@]}"; do
    work=target/corpus/$t
    mkdir -p "$work" "artifacts/$t" target/logs
    log=target/logs/$t.log
    before=$(find "artifacts/$t" -type f | wc -l)
    echo "== $t: ${secs}s (log: fuzz/$log)"
    # -timeout: a slow input (say, a costly key derivation) is a finding too.
    cargo fuzz run "${flags[@]}" "$t" "$work" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1
    status=$?
    after=$(find "artifacts/$t" -type f | wc -l)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    units=$(find "$work" -type f | wc -l)
    findings=$((after - before))
    if [ "$status" -ne 0 ] && [ "$findings" -eq 0 ]; then
        findings="?"   # failed without an artifact: read the log
    fi
    [ "$findings" != 0 ] && found_any=1
    line=$(printf '%-12s %4ss %12s execs %8s/s %6s corpus %s findings' \
        "$t" "$secs" "${execs:-?}" "${rate:-?}" "$units" "$findings")
    echo "$line"
    grep -m1 -E "panicked at|^==[0-9]+== ERROR|Test unit written" "$log" || true
    summary+=("$line")
done

echo
echo "target        time        executions      rate   corpus findings"
printf '%s\n' "${summary[@]}"
[ "$found_any" -eq 0 ] || { echo "findings: see fuzz/artifacts/ and fuzz/target/logs/"; exit 1; }
