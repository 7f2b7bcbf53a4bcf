#!/usr/bin/env bash
# `make bench`: runs every tests/bench/*.sh (except this one) in turn. Benchmarks, not tests:
# they print figures and targets; none fails the build on speed.
set -uo pipefail
cd "$(dirname "$0")/../.."
status=0
for b in tests/bench/*.sh; do
    [ "$(basename "$b")" = run.sh ] && continue
    echo "== $b"
    bash "$b" || status=1
done
exit $status
