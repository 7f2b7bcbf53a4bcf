#!/usr/bin/env bash
# The edge under attack, measured: /healthz latency percentiles while 1,100 slow and 2,000 idle
# connections are held, while expensive $filter queries are cut at the statement timeout, and
# with PostgreSQL frozen (SIGSTOP), plus the time to 503 and to recover. It runs the connection
# and deadline suites with many more probes (BENCH_PROBES, default 500) and prints their figures;
# the suites themselves assert only generous bounds.
set -uo pipefail
cd "$(dirname "$0")/../.."
make --no-print-directory build/tests/integration/test_connections \
    build/tests/integration/test_deadlines >/dev/null || exit 1
pgdir=$(mktemp -d /tmp/licensingd-bench.XXXXXX)
chmod 755 "$pgdir"
trap 'db/cluster.sh destroy "$pgdir" >/dev/null 2>&1 || true' EXIT
LICENSINGD_PG_FSYNC=off LICENSINGD_PG_SYNC_COMMIT=off db/cluster.sh start "$pgdir" >/dev/null || exit 1
export LICENSINGD_TEST_PGDIR="$pgdir" LICENSINGD_BIN="$PWD/build/licensingd"
export LICENSINGD_EDGE_PROBES="${BENCH_PROBES:-500}"
status=0
for t in test_connections test_deadlines; do
    echo "-- $t ($LICENSINGD_EDGE_PROBES probes)"
    build/tests/integration/$t 2>&1 | grep -v '^Running suite' || status=1
done
exit $status
