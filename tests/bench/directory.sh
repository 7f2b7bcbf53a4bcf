#!/usr/bin/env bash
# Directory at scale: 1,000,000 users loaded with SQL into a fresh cluster, then the median time
# of GET /v1.0/users?$filter=startswith(displayName,'a')&$top=999 (target under 50 ms) and of a
# nextLink page 900,000 rows deep, with the plans that serve them. BENCH_USERS overrides the size.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${BENCH_USERS:-1000000}
runs=${BENCH_RUNS:-7}

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

build/licensingd migrate 2>/dev/null
start=$(date +%s)
# Display names start with a letter of either case (about 1 in 26 match 'a', case-insensitively).
sql -c "INSERT INTO users (user_principal_name, display_name, mail_nickname, account_enabled,
            usage_location, mail)
        SELECT 'u' || i || '@contoso.com',
               chr((CASE WHEN i % 2 = 0 THEN 65 ELSE 97 END) + (hashint4(i) & 2147483647) % 26)
                   || substr(md5(i::text), 1, 12),
               'u' || i, true, 'US', 'u' || i || '@contoso.com'
          FROM generate_series(1, $n) i" -c "ANALYZE users"
echo "loaded $n users in $(( $(date +%s) - start )) s"

port=""
for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
PORT=$port LICENSINGD_RATE_LIMIT=0 build/licensingd serve 2>"$pgdir/server.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"

# Median of $runs timed requests (after one warm-up), in milliseconds.
median_ms() {
    local url=$1 times=()
    curl -s -o /dev/null "$url"
    for _ in $(seq "$runs"); do
        times+=("$(curl -s -o /dev/null -w '%{time_total}' "$url")")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]*1000}'
}

filter_url="$base/v1.0/users?\$filter=startswith(displayName,'a')&\$top=999"
count=$(curl -s "$filter_url" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["value"]))')
echo "startswith(displayName,'a') \$top=999: $count users, median $(median_ms "$filter_url") ms over $runs (target < 50 ms)"

# A deep page: the keyset position of row 900,000 (of the default displayName order) as our
# nextLink token would carry it: base64url("lk1" US key US id).
deep=$(( n * 9 / 10 ))
token=$(psql -X -A -t "$DATABASE_URL" -c "SELECT lower(display_name) || chr(31) || id FROM users
        ORDER BY lower(display_name) COLLATE \"C\", id OFFSET $deep LIMIT 1" |
    python3 -c 'import base64,sys; k,i=sys.stdin.read().strip().split("\x1f"); print(base64.urlsafe_b64encode(("lk1\x1f"+k+"\x1f"+i).encode()).decode().rstrip("="))')
deep_url="$base/v1.0/users?\$top=999&\$skiptoken=$token"
echo "nextLink page $deep rows deep, \$top=999: median $(median_ms "$deep_url") ms over $runs"

echo "plans:"
sql -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM users u
        WHERE lower(u.display_name) COLLATE \"C\" LIKE lower('a%')
        ORDER BY lower(u.display_name) COLLATE \"C\", u.id LIMIT 1000"
# The deep page's own plan, with its position as constants (found with OFFSET here only).
sql <<SQL
SELECT lower(display_name) AS k, id AS i FROM users
 ORDER BY lower(display_name) COLLATE "C", id OFFSET $deep LIMIT 1 \\gset
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM users u
 WHERE (lower(u.display_name) COLLATE "C", u.id) > (:'k', :'i'::uuid)
 ORDER BY lower(u.display_name) COLLATE "C", u.id LIMIT 1000;
SQL
