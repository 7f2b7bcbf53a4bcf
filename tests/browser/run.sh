#!/usr/bin/env bash
# Browser suite (part of `make test`): Debian's Chromium, driven by playwright-core pinned in
# package-lock.json, uses the admin console of a build/licensingd serving a fresh database with
# the demo loaded. Screenshots of every page land in build/browser/.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${LICENSINGD_TEST_PGDIR:?run through make test}"
bin="${LICENSINGD_BIN:-$PWD/build/licensingd}"

tools/deps.sh chromium
tests/contract/install.sh tests/browser # npm ci once per package-lock.json, under a file lock
mkdir -p build/browser

user=$( [ "$(id -u)" = 0 ] && echo postgres || id -un )
db=licensingd_browser_$$
PGOPTIONS="-c client_min_messages=warning" psql -q -h "$LICENSINGD_TEST_PGDIR/sock" -U "$user" -d postgres \
    -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="host=$LICENSINGD_TEST_PGDIR/sock dbname=$db user=$user"
"$bin" migrate 2>/dev/null
"$bin" load-demo >/dev/null 2>&1

export LICENSINGD_BIN="$bin"
export LICENSINGD_BROWSER_LOG="$LICENSINGD_TEST_PGDIR/licensingd_browser.log"
export LICENSINGD_BROWSER_ARTIFACTS="$PWD/build/browser"
rm -f build/browser/*.png
exec node --test-reporter=spec tests/browser/console.test.mjs
