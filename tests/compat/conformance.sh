#!/usr/bin/env bash
# Schema conformance (part of `make test`, after the integration suites): every Graph entity they
# received, and our /v1.0/$metadata, against Microsoft's official v1.0 CSDL (tests/data/).
# Needs LICENSINGD_CAPTURE_DIR, filled by tests/integration/harness.c.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${LICENSINGD_CAPTURE_DIR:?set by tests/run.sh}
tests/contract/install.sh tests/compat
[ -s "$dir/metadata.xml" ] || { echo "conformance: no \$metadata captured (test_contract)"; exit 1; }
# The check itself: a user with five known errors must fail it, each error named.
bad=$(node tests/compat/conformance.mjs tests/compat/known-bad 2>&1) && { echo "$bad";
    echo "conformance: the known-bad capture passed"; exit 1; }
[ "$(echo "$bad" | grep -c '^  FAIL')" = 5 ] || { echo "$bad"; echo "conformance: expected 5 failures"; exit 1; }
node tests/compat/conformance.mjs "$dir" "$dir/metadata.xml"
