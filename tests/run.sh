#!/usr/bin/env bash
# `make test`: a throwaway PostgreSQL cluster, then the unit suites, the integration suites, the
# README walkthrough and the browser suite (the admin console in Chromium).
# Usage: tests/run.sh UNIT_BIN... -- INTEGRATION_BIN...
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

unit=()
integration=()
seen_sep=0
for a in "$@"; do
    if [ "$a" = "--" ]; then seen_sep=1; continue; fi
    if [ $seen_sep = 0 ]; then unit+=("$a"); else integration+=("$a"); fi
done

pgdir=$(mktemp -d /tmp/licensingd-test.XXXXXX)
chmod 755 "$pgdir"
cleanup() { db/cluster.sh destroy "$pgdir" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# A throwaway cluster need not survive a power cut: skip fsync to keep the suites fast.
LICENSINGD_PG_FSYNC=off LICENSINGD_PG_SYNC_COMMIT=off db/cluster.sh start "$pgdir" >/dev/null || exit 1
export LICENSINGD_TEST_PGDIR="$pgdir"
export LICENSINGD_BIN="$PWD/build/licensingd"
# Every JSON answer the integration suites receive, for the schema conformance check.
export LICENSINGD_CAPTURE_DIR="$pgdir/capture"
mkdir -p "$LICENSINGD_CAPTURE_DIR"

tests/contract/install.sh tests/contract || exit 1
failed=0
total=0
run_suite() {
    total=$((total + 1))
    echo "== $1"
    if ! "$1"; then
        echo "!! FAILED: $1"
        failed=$((failed + 1))
    fi
}
for t in "${unit[@]}"; do run_suite "$t"; done
for t in "${integration[@]}"; do run_suite "$t"; done
if [ -x tests/readme.sh ]; then run_suite tests/readme.sh; fi
if [ -x tests/browser/run.sh ]; then run_suite tests/browser/run.sh; fi
run_suite tests/tls.sh
run_suite tests/compat/run.sh
run_suite tests/compat/conformance.sh
run_suite tests/openapi_routes.sh
run_suite tests/openapi_security.sh
run_suite tests/openapi_lint.sh
run_suite tests/compose_check.sh
run_suite tests/doc_citations.sh
# The architecture's floors (issue 9): api/ -> service/ -> db/ -> service/engine, service/base.
run_suite tests/architecture.sh

echo
if [ $failed -ne 0 ]; then
    # The cluster directory goes away on exit: show the servers' last words first.
    for log in "$pgdir"/licensingd_*.log*; do
        [ -f "$log" ] || continue
        echo "-- last lines of $(basename "$log")"
        tail -n 8 "$log"
    done
    echo "make test: $failed of $total suites FAILED"
    exit 1
fi
echo "make test: all $total suites passed"
