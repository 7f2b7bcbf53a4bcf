#!/usr/bin/env bash
# Every route of api/routes.c is described in openapi.yaml, and openapi.yaml describes no route
# the server does not have: the route table and the document cannot drift apart.
set -euo pipefail
cd "$(dirname "$0")/.."

routes=$(sed -n 's/^ *{HTTP_\([A-Z]*\), "\([^"]*\)".*/\1 \2/p' api/routes.c | tr 'A-Z' 'a-z' | sort -u)
documented=$(awk '
    /^  \/[^ ]*:$/ { path = substr($1, 1, length($1) - 1); next }
    /^[^ ]/ { path = "" }
    path != "" && /^    (get|post|put|patch|delete):/ { m = $1; sub(":", "", m); print m " " path }
' openapi.yaml | tr 'A-Z' 'a-z' | sort -u)

missing=$(comm -23 <(echo "$routes") <(echo "$documented"))
extra=$(comm -13 <(echo "$routes") <(echo "$documented"))
[ -z "$missing" ] || { echo "openapi.yaml lacks:"; echo "$missing"; }
[ -z "$extra" ] || { echo "openapi.yaml describes routes the server does not have:"; echo "$extra"; }
echo "openapi routes: $(echo "$routes" | wc -l) in the route table, $(echo "$documented" | wc -l) documented"
[ -z "$missing" ] && [ -z "$extra" ]
