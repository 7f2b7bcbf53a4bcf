#!/usr/bin/env bash
# Benchmark: `licensingd import-catalog` of Microsoft's full CSV into an empty database, then again
# (nothing to change). Target: under 5 s for the first. Runs in a throwaway cluster (fsync on).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${LICENSINGD_BIN:-build/licensingd}
csv=tests/data/ms-product-service-plans.csv

pgdir=$(mktemp -d /tmp/licensingd-bench.XXXXXX)
chmod 755 "$pgdir"
trap 'db/cluster.sh destroy "$pgdir" >/dev/null 2>&1 || true' EXIT
export DATABASE_URL=$(db/cluster.sh start "$pgdir")
"$bin" migrate 2>/dev/null

ms() { date +%s%N | cut -c1-13; }
for run in first second; do
    t0=$(ms)
    summary=$("$bin" import-catalog "$csv" 2>/dev/null)
    t1=$(ms)
    echo "import-catalog ($run): $((t1 - t0)) ms - ${summary##*: }"
done
