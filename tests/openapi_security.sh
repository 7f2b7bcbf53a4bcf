#!/usr/bin/env bash
# openapi.yaml's securitySchemes and per-operation security are the route table's permission
# column (api/routes.c) and the permission names of service/auth/permissions.c.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/contract/install.sh tests/contract
node tests/contract/security_check.mjs openapi.yaml api/routes.c service/auth/permissions.c
