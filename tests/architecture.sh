#!/usr/bin/env bash
# The floors of the architecture (README "Architecture", issue 9), checked by grep: prints every
# violation as file:line: rule: text, and exits 1 when there is any.
#   api/           calls no transaction, audit or queue function of db/
#   db/, service/  include no api/ header (the server wiring may: service/cmd/serve.c, api/http.h)
#   service/base/  includes nothing of the project outside service/base/
#   service/engine/ includes only service/base/ (and each file its own header)
#   db/            includes from service/ only service/base/ and service/engine/
#   includes       written from the project root ("service/base/log.h", never "log.h", "../x.h")
#   size           no .c file over 800 lines in api/, db/, service/
#   db/            refuses nothing: no client error (400, 405, 409, 413) set in db/, no Graph
#                  client-error code in db/ (the $filter compiler excepted, see below)
#   db/            decides no requeue: db_queue_push is called from service/ only
#   audit          every directoryAudit record goes through service/audit.c (db_audit_write)
#   requeue        all licensing work is queued by service/requeue.c (db_queue_push)
# Usage: tests/architecture.sh [ROOT]   (ROOT: a checkout, default this one)
set -uo pipefail
cd "${1:-"$(dirname "$0")/.."}" || exit 2

MAX_LINES=800
# The $filter compiler: its column whitelist is the one place that knows which property a
# clause may use, so it is where an unsupported clause is refused (Request_UnsupportedQuery).
REFUSAL_EXEMPT='^db/(filter_sql|sql_builder)\.c:'

violations=0
# report RULE: reads grep -n style lines (file:line:text) on stdin, prints and counts them.
report() {
    local rule=$1 line
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        local file=${line%%:*} rest=${line#*:}
        local num=${rest%%:*} text=${rest#*:}
        text=$(printf '%s' "$text" | sed 's/^[[:space:]]*//')
        printf '%s:%s: %s: %s\n' "$file" "$num" "$rule" "$text"
        violations=$((violations + 1))
    done
}

# Source lines that are code, not comments: drops lines whose first non-blank is /*, * or //.
code_only() {
    grep -Ev '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*|//)'
}

src() { # the C files below the given folders
    find "$@" -name '*.[ch]' 2>/dev/null | sort
}

includes() { # file:line:path of every quoted include of the given files
    [ $# -gt 0 ] || return 0
    grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$@" |
        sed 's/^\([^:]*:[0-9]*:\).*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1\2/'
}

mapfile -t api_files < <(src api)
mapfile -t db_files < <(src db)
mapfile -t service_files < <(src service)
mapfile -t base_files < <(src service/base)
mapfile -t engine_files < <(src service/engine)

# 1. api/ routes, parses, calls one service function, renders: the transaction, the audit
#    record and the requeue belong to that service function.
check_api_calls() {
    grep -HnE '\b(db_begin|db_commit|db_rollback|db_audit_write|db_queue_push)[[:space:]]*\(' \
        "${api_files[@]}" | code_only
}
report "api/ calls a transaction, audit or queue function" < <(check_api_calls)

# 2. Nothing below api/ includes api/, except the server wiring.
check_api_includes() {
    includes "${db_files[@]}" "${service_files[@]}" | grep -E ':([.][.]/)*api/' |
        grep -v '^service/cmd/serve\.c:[0-9]*:api/http\.h$'
}
report "db/ or service/ includes an api/ header" < <(check_api_includes)

# 3. service/base/ is the ground floor.
report "service/base/ includes a project header outside service/base/" < <(
    includes "${base_files[@]}" | grep -Ev ':[0-9]+:service/base/[^/]+$')

# 4. service/engine/ is pure: each file sees service/base/ and its own header, nothing else.
own_header() { # drops "x.c:N:service/engine/x.h" lines (a file's own header)
    awk -F: '{ f = $1; sub(/\.[ch]$/, ".h", f); if ($3 != f) print }'
}
report "service/engine/ includes a header other than service/base/ and its own" < <(
    includes "${engine_files[@]}" | grep -Ev ':[0-9]+:service/base/[^/]+$' | own_header)

# 5. db/ sits on service/base/ and service/engine/, below the use cases of service/.
report "db/ includes a service/ header above service/base/ and service/engine/" < <(
    includes "${db_files[@]}" | grep -E ':[0-9]+:([.][.]/)*service/' |
        grep -Ev ':[0-9]+:service/(base|engine)/[^/]+$')

# 6. Includes are written from the project root.
report "include not written from the project root" < <(
    includes "${api_files[@]}" "${db_files[@]}" "${service_files[@]}" |
        grep -Ev ':[0-9]+:(api|db|service)/')

# 7. No file a newcomer cannot read in one sitting.
check_sizes() {
    local f n
    for f in $(find api db service -name '*.c' | sort); do
        n=$(wc -l <"$f")
        [ "$n" -le "$MAX_LINES" ] || echo "$f:$n:$n lines (at most $MAX_LINES)"
    done
}
report ".c file over $MAX_LINES lines" < <(check_sizes)

# 8. db/ refuses nothing. A client error is a decision: it is made (and worded) in service/ or
#    api/. db/ reports what happened to the data: not found, unavailable, internal. A call's
#    kind may sit on the line after "lic_error_set(", so whole files are read.
check_db_refusals() {
    [ ${#db_files[@]} -gt 0 ] || return 0
    {
        perl -0777 -ne '
            while (/\blic_error_set\s*\(\s*[^,()]+,\s*(LIC_ERR_(?:BAD_REQUEST|METHOD|CONFLICT|TOO_LARGE))\b/g) {
                my $line = 1 + (substr($_, 0, $-[0]) =~ tr/\n//);
                print "$ARGV:$line:lic_error_set(..., $1, ...)\n";
            }' "${db_files[@]}"
        grep -HnoE '"(Request_BadRequest|BadRequest|Request_UnsupportedQuery|Authorization_RequestDenied|InvalidAuthenticationToken)"' \
            "${db_files[@]}" | code_only | sed 's/:"\(.*\)"$/:Graph error code \1/'
    } | grep -Ev "$REFUSAL_EXEMPT" | sort -s -t: -k1,1 -k2,2n | awk -F: '!seen[$1 ":" $2]++'
}
report "db/ refuses (a client error or a Graph client-error code)" < <(check_db_refusals)

# 9. db/ decides no requeue: service/ does, in the transaction of the change.
report "db/ queues work (a requeue decision)" < <(
    grep -HnE '\bdb_queue_push[[:space:]]*\(' "${db_files[@]}" | code_only |
        grep -Ev '^db/queue\.[ch]:')

# 10. One audit room: only service/audit.c writes directoryAudit records through db/.
report "db_audit_write called outside service/audit.c" < <(
    grep -HnE '\bdb_audit_write[[:space:]]*\(' "${api_files[@]}" "${service_files[@]}" |
        code_only | grep -v '^service/audit\.c:')

# 11. One answer to "when is licensing work queued?": only service/requeue.c pushes.
report "db_queue_push called outside service/requeue.c" < <(
    grep -HnE '\bdb_queue_push[[:space:]]*\(' "${api_files[@]}" "${service_files[@]}" |
        code_only | grep -v '^service/requeue\.c:')

if [ "$violations" -gt 0 ]; then
    echo "architecture: $violations violations"
    exit 1
fi
echo "architecture: the floors hold"
