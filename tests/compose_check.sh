#!/usr/bin/env bash
# docker/compose.yaml and the Dockerfile, checked without a Docker engine (none runs here): the
# compose file parses as YAML (merge keys resolved) and has the shape we promise.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/contract/install.sh tests/contract
node tests/contract/compose_check.mjs docker/compose.yaml docker/Dockerfile
