#!/usr/bin/env bash
# Installs the pinned npm packages of a tests/ folder (DIR) from its package-lock.json, once:
# a stamp records the lockfile installed; concurrent runs wait for each other on a lock file.
set -euo pipefail
dir=${1:?usage: tests/contract/install.sh DIR}
command -v npm >/dev/null 2>&1 || tools/deps.sh
stamp="$dir/node_modules/.installed-lock"
exec 9>"$dir/.npm-install.lock"
flock 9
if [ -f "$stamp" ] && cmp -s "$stamp" "$dir/package-lock.json"; then exit 0; fi
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
cp "$dir/package-lock.json" "$stamp"
