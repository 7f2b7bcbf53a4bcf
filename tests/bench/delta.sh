#!/usr/bin/env bash
# Delta queries at scale: 1,000,000 users loaded with SQL, a users/delta round's deltaLink taken,
# then 1,000 changes (900 updates, 100 deletions) made with SQL; the later round is followed to its
# next deltaLink and the rows PostgreSQL read for it are counted (pg_stat_user_tables, reset just
# before), with the plan of the change-sequence read. The figure to watch: rows read ~ changes,
# not users. BENCH_USERS and BENCH_CHANGES override the sizes.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${BENCH_USERS:-1000000}
changes=${BENCH_CHANGES:-1000}

pgdir=$(mktemp -d /tmp/licensingd-bench.XXXXXX)
chmod 755 "$pgdir"
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    db/cluster.sh destroy "$pgdir" >/dev/null 2>&1 || true
}
trap cleanup EXIT
export DATABASE_URL=$(LICENSINGD_PG_FSYNC=off LICENSINGD_PG_SYNC_COMMIT=off db/cluster.sh start "$pgdir")
sql() { psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
val() { psql -X -A -t -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "$1"; }

build/licensingd migrate 2>/dev/null
start=$(date +%s)
# The insert trigger records each user's creation in the change sequence too: the sequence holds
# a million older rows the later round must skip.
sql -c "INSERT INTO users (user_principal_name, display_name, mail_nickname, account_enabled,
            usage_location)
        SELECT 'u' || i || '@contoso.com', 'User ' || i, 'u' || i, true, 'US'
          FROM generate_series(1, $n) i" -c "ANALYZE users" -c "ANALYZE directory_changes"
echo "loaded $n users in $(( $(date +%s) - start )) s; change sequence: $(val "SELECT count(*) FROM directory_changes") rows"

port=""
for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
# Bearer tokens as in production (HS256 here); the bench's few requests are not throttled.
export LICENSINGD_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
auth="Authorization: Bearer $(build/licensingd token --scopes User.Read.All)"
PORT=$port LICENSINGD_RATE_LIMIT=0 build/licensingd serve 2>"$pgdir/server.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"

# A round's first page carries the round's position in its nextLink; the deltaLink the round ends
# with holds the same position (its token in the changes phase). Paging all 1,000,000 users to get
# there would only repeat the first page 10,000 times.
first=$(curl -sf -H "$auth" "$base/v1.0/users/delta?\$select=displayName")
delta=$(echo "$first" | python3 -c '
import base64, json, sys
link = json.load(sys.stdin)["@odata.nextLink"]
token = link.split("$skiptoken=")[1]
raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
parts = raw.split("\x1f")
assert parts[0] == "lk1" and parts[1] == "ui", parts
raw = "\x1f".join(["lk1", "uc", parts[2], "", "-1"])
print(link.split("?")[0].split("/v1.0/")[0] + "/v1.0/users/delta?$select=displayName&$deltatoken="
      + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("="))')

deletes=$(( changes / 10 ))
updates=$(( changes - deletes ))
sql -c "UPDATE users SET job_title = 'Changed' WHERE id IN
            (SELECT id FROM users ORDER BY hashint4(hashtext(id::text)) LIMIT $updates)" \
    -c "DELETE FROM users WHERE id IN (SELECT id FROM users WHERE job_title IS NULL
            ORDER BY hashint4(hashtext(id::text)) LIMIT $deletes)"

# Counters from zero; the server's backends flush theirs when idle (at most every 10 s).
sleep 11
sql -c "SELECT pg_stat_reset()"
items=0 pages=0 removed=0
url=$delta
t0=$(date +%s%N)
while [ -n "$url" ]; do
    page=$(curl -sf -H "$auth" "$url")
    read -r got gone next <<<"$(echo "$page" | python3 -c '
import json, sys
p = json.load(sys.stdin)
v = p["value"]
print(len(v), sum(1 for x in v if "@removed" in x), p.get("@odata.nextLink", "-"))')"
    items=$((items + got)); removed=$((removed + gone)); pages=$((pages + 1))
    if [ "$next" = "-" ]; then url=""; else url=$next; fi
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
sleep 11 # let the backends flush their counters
echo "later round: $items objects ($removed removed) in $pages pages, $ms ms"
echo "rows read per table (sequential + index fetches):"
sql -c "SELECT relname, seq_scan, seq_tup_read, idx_scan, idx_tup_fetch,
               coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) AS rows_read
          FROM pg_stat_user_tables WHERE coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) > 0
         ORDER BY rows_read DESC"
total=$(val "SELECT sum(coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0))
               FROM pg_stat_user_tables WHERE relname IN ('users', 'directory_changes',
               'user_licenses', 'license_assignment_states', 'user_proxy_addresses')")
echo "delta figure: $changes changes among $n users -> $total rows read by the later round"

echo "plan of the change-sequence read (the round's position, the first page):"
pos=$(echo "$delta" | python3 -c '
import base64, sys
t = sys.stdin.read().strip().split("$deltatoken=")[1]
print(base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)).decode().split("\x1f")[2])')
sql -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
        SELECT c.txid::text, c.seq, c.resource, c.object_id FROM unnest(string_to_array('user', ',')) r(resource)
         CROSS JOIN LATERAL (SELECT * FROM directory_changes d WHERE d.resource = r.resource
                AND (d.txid, d.seq) > ('${pos%%.*}'::xid8, ${pos##*.}::bigint)
                AND d.txid < pg_snapshot_xmin(pg_current_snapshot())
              ORDER BY d.txid, d.seq LIMIT 500) c
         ORDER BY c.txid, c.seq LIMIT 500"
