#!/usr/bin/env bash
# `make bench`: every benchmark script in this folder, one after the other (they share 2 cores).
set -uo pipefail
cd "$(dirname "$0")/../.."
status=0
for b in tests/bench/*.sh; do
    [ "$(basename "$b")" = run.sh ] && continue
    echo "== $b"
    bash "$b" || status=1
done
exit $status
