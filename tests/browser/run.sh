#!/usr/bin/env bash
# Browser suite (part of `make test`): Debian's Chromium, driven by playwright-core pinned in
# package-lock.json, uses the admin console of a build/licensingd serving a fresh database with
# the demo loaded. Screenshots of every page land in build/browser/.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${LICENSINGD_TEST_PGDIR:?run through make test}"
bin="${LICENSINGD_BIN:-$PWD/build/licensingd}"

command -v node >/dev/null && command -v npm >/dev/null || tools/deps.sh nodejs npm
tools/deps.sh chromium

# npm ci only when the lock differs from the one last installed; flock keeps two suites (two
# worktrees, two `make test`s) from installing into the same folder at once.
mkdir -p build/browser
(
    flock -w 600 9 || { echo "browser: npm lock busy for 10 minutes" >&2; exit 1; }
    if ! cmp -s tests/browser/package-lock.json tests/browser/node_modules/.installed-lock; then
        (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
        cp tests/browser/package-lock.json tests/browser/node_modules/.installed-lock
    fi
) 9>build/.browser-npm.lock

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
