#!/usr/bin/env bash
# The contract, checked by machines: Redocly (pinned in tests/contract/package-lock.json) lints
# openapi.yaml with its recommended rules and must report no errors.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/contract/install.sh tests/contract
out=$(tests/contract/node_modules/.bin/redocly lint openapi.yaml --format=summary 2>&1) || {
    echo "$out" | grep -vE '^\s*(║|╔|╚)' >&2
    tests/contract/node_modules/.bin/redocly lint openapi.yaml --format=stylish 2>&1 | grep -E ' error ' | head -40 >&2
    echo "openapi lint: errors" >&2
    exit 1
}
echo "openapi lint: $(echo "$out" | grep -cE '^warning') warning kinds, no errors"
