#!/usr/bin/env bash
# `make bench`: each case beside the limit this same machine shows in the same run (pgbench, COPY),
# printed as one table: case, figure, limit, ratio, target, met. A benchmark, not a test: it fails
# only when a case cannot run, never on speed. See docs/benchmarks.md.
#   BENCH_SCALE    users = 1,000,000 x scale (default 1; 0.1 for a quick run)
#   BENCH_SECONDS  length of each load test, wrk and pgbench alike (default 15)
#   BENCH_CLIENTS  connections of wrk and pgbench (default 32)
#   BENCH_KEEP=1   keep the cluster and the server's log under BENCH_DIR (default: a temporary dir)
# The server runs with its defaults and --insecure-no-auth (no bearer tokens: the load generators
# send none); LICENSINGD_* variables in the environment reach it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${LICENSINGD_BIN:-build/licensingd}
scale=${BENCH_SCALE:-1}
secs=${BENCH_SECONDS:-15}
clients=${BENCH_CLIENTS:-32}
n=$(awk -v s="$scale" 'BEGIN { printf "%d", 1000000 * s }')
tenth=$((n / 10))
late=1000   # members added to the licensed group afterwards
scarce=2000 # members of the group whose SKU runs short of seats
# wrk loads the server; pgbench is this machine's limit; python3 (Debian's) drives paging and adds.
command -v wrk >/dev/null && command -v pgbench >/dev/null || tools/deps.sh
command -v python3 >/dev/null || tools/deps.sh python3

pgdir=${BENCH_DIR:-$(mktemp -d /tmp/licensingd-bench.XXXXXX)}
mkdir -p "$pgdir" && chmod 755 "$pgdir"
results=$pgdir/results.tsv
: >"$results"
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; fi
    [ "${BENCH_KEEP:-0}" = 1 ] || db/cluster.sh destroy "$pgdir" >/dev/null 2>&1 || true
}
trap cleanup EXIT

ms() { echo $(($(date +%s%N) / 1000000)); }
say() { echo "bench: $*" >&2; }
export DATABASE_URL=$(db/cluster.sh start "$pgdir")
sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
val() { psql -X -tA -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "$1"; }
sock_url() { echo "host=$pgdir/sock dbname=$1 user=$(val 'SELECT current_user')"; }

# row CASE FIGURE LIMIT RATIO TARGET MET
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }
# ratio A B: A/B with 2 decimals; met RATIO OP BOUND: yes or no.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
met() { awk -v r="$1" -v op="$2" -v b="$3" 'BEGIN {
    if (r == "-") { print "no"; exit }
    ok = (op == "<=") ? r + 0 <= b + 0 : r + 0 >= b + 0; print ok ? "yes" : "no" }'; }
field() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

# --- the data: set-based SQL, never the API -----------------------------------------------------
SKU_ALL=6fd2c87f-b296-42f0-b197-1e91e994b900     # every user, through group "all" (has a mailbox)
SKU_TENTH=c7df2760-2c81-4ef7-b578-5b5392b571df   # a tenth of the users, through group "tenth"
SKU_SCARCE=e43b5b99-8dfb-405f-9987-dc307f34bcbd  # fewer seats than its group has members
SKU_DIRECT=f30db892-07e9-47e9-837c-80727f46fd3d  # assigned directly by the load test
G_ALL=00000000-0000-0000-0000-0000000000a1
G_TENTH=00000000-0000-0000-0000-0000000000a2
G_SCARCE=00000000-0000-0000-0000-0000000000a3

"$bin" migrate 2>/dev/null
t=$(ms)
sql <<SQL
INSERT INTO organization (display_name, country_letter_code) VALUES ('Bench', 'US');
INSERT INTO service_plans (id, name, provisions_mailbox) VALUES
 ('efb87545-963c-4e0d-99df-69c6916d9eb0', 'EXCHANGE_S_ENTERPRISE', true),
 ('5dbe027f-2339-4123-9542-606e4d348a72', 'SHAREPOINTENTERPRISE', false),
 ('57ff2da0-773e-42df-b2af-ffb7a2317929', 'TEAMS1', false),
 ('70d33638-9c74-4d01-bfd3-562de28bd4ba', 'BI_AZURE_P2', false),
 ('7547a3fe-08ee-4ccb-b430-5077c5041653', 'YAMMER_ENTERPRISE', false),
 ('76846ad7-7776-4c40-a281-a386362dd1b9', 'FLOW_O365_P2', false);
INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES
 ('$SKU_ALL', 'ENTERPRISEPACK', $n + $late),
 ('$SKU_TENTH', 'POWER_BI_PRO', $tenth),
 ('$SKU_SCARCE', 'YAMMER_ENTERPRISE_STANDALONE', $scarce / 2),
 ('$SKU_DIRECT', 'FLOW_P2', $n);
INSERT INTO sku_service_plans VALUES
 ('$SKU_ALL', 'efb87545-963c-4e0d-99df-69c6916d9eb0', 1),
 ('$SKU_ALL', '5dbe027f-2339-4123-9542-606e4d348a72', 2),
 ('$SKU_ALL', '57ff2da0-773e-42df-b2af-ffb7a2317929', 3),
 ('$SKU_TENTH', '70d33638-9c74-4d01-bfd3-562de28bd4ba', 1),
 ('$SKU_SCARCE', '7547a3fe-08ee-4ccb-b430-5077c5041653', 1),
 ('$SKU_DIRECT', '76846ad7-7776-4c40-a281-a386362dd1b9', 1);
INSERT INTO groups (id, display_name, mail_nickname, mail_enabled, security_enabled) VALUES
 ('$G_ALL', 'All users', 'all', false, true),
 ('$G_TENTH', 'A tenth', 'tenth', false, true),
 ('$G_SCARCE', 'Scarce seats', 'scarce', false, true);
-- Display names start with a letter of either case; no mail yet (the mailbox plan provisions it).
INSERT INTO users (user_principal_name, display_name, given_name, surname, mail_nickname,
                   account_enabled, usage_location)
SELECT 'u' || i || '@bench.example',
       chr((CASE WHEN i % 2 = 0 THEN 65 ELSE 97 END) + (hashint4(i) & 2147483647) % 26)
           || substr(md5(i::text), 1, 12),
       'Given' || i, 'Surname' || i, 'u' || i, true, 'US'
  FROM generate_series(1, $n + $late) i;
CREATE TABLE bench_users AS
SELECT id, row_number() OVER (ORDER BY user_principal_name COLLATE "C") AS i FROM users;
INSERT INTO group_members (group_id, member_id, member_type)
SELECT '$G_ALL', id, 'user' FROM bench_users WHERE i <= $n ORDER BY i;
INSERT INTO group_members (group_id, member_id, member_type)
SELECT '$G_TENTH', id, 'user' FROM bench_users WHERE i <= $tenth ORDER BY i;
INSERT INTO group_members (group_id, member_id, member_type)
SELECT '$G_SCARCE', id, 'user' FROM bench_users WHERE i > $n - $scarce AND i <= $n ORDER BY i;
SQL
sql -c "VACUUM ANALYZE"
val "COPY (SELECT id FROM bench_users WHERE i > $n ORDER BY i) TO STDOUT" >"$pgdir/late.ids"
val "COPY (SELECT id FROM bench_users WHERE i <= $n ORDER BY random() LIMIT 100000) TO STDOUT" \
    >"$pgdir/random.ids"
val "COPY (SELECT id FROM bench_users WHERE i <= $n ORDER BY random() LIMIT 200000) TO STDOUT" \
    >"$pgdir/direct.ids"
say "loaded $((n + late)) users and 3 groups in $(( ($(ms) - t) / 1000 )) s"

# pgbench's own tables in a database of the same cluster: the limits of reads and of writes.
createdb -h "$pgdir/sock" -U "$(val 'SELECT current_user')" pgbench
pgbench -i -q -s 10 "$(sock_url pgbench)" >/dev/null 2>&1
# pgbench beside a case: prints its TPS; with -l its p99 latency (ms) lands in $pgdir/pgb.p99.
pgb() {
    rm -f "$pgdir"/pgb.log*
    pgbench -n -M prepared -c "$clients" -j 2 -T "$secs" $([[ " $* " == *" -l "* ]] && echo --log-prefix="$pgdir/pgb.log") "$@" \
        "$(sock_url pgbench)" 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n 1
    cat "$pgdir"/pgb.log* 2>/dev/null | awk '{print $3}' | sort -n |
        awk '{a[NR]=$1} END {if (NR) printf "%.2f", a[int(NR*0.99)]/1000; else print "-"}' \
            >"$pgdir/pgb.p99"
    rm -f "$pgdir"/pgb.log*
}

# --- the server ---------------------------------------------------------------------------------
port=""
for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
LICENSINGD_RATE_LIMIT=${LICENSINGD_RATE_LIMIT:-0} LOG_LEVEL=${LOG_LEVEL:-warn} PORT=$port "$bin" serve --insecure-no-auth 2>"$pgdir/server.log" &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$base/healthz" >/dev/null || { tail "$pgdir/server.log" >&2; exit 1; }

# Blocks (inside the database, no polling processes) until the SQL condition holds.
wait_until() {
    sql -c "DO \$\$ BEGIN
        FOR bench_try IN 1..60000 LOOP
            EXIT WHEN ($1);
            PERFORM pg_sleep(0.01);
        END LOOP;
        IF NOT ($1) THEN RAISE EXCEPTION 'bench: timed out waiting for: %', \$q\$$1\$q\$; END IF;
    END \$\$"
}
group_done() {
    echo "(SELECT license_processing_state = 'ProcessingComplete' FROM groups WHERE id = '$1')
          AND NOT EXISTS (SELECT 1 FROM work_queue)"
}
assign_group() {
    curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
        "$base/v1.0/groups/$1/assignLicense" \
        -d "{\"addLicenses\":[{\"skuId\":\"$2\",\"disabledPlans\":[]}],\"removeLicenses\":[]}"
}

# COPY of the rows selected by each "table|query" argument into an empty twin of the table (its
# indexes, checks and defaults: CREATE TABLE ... LIKE ... INCLUDING ALL); prints milliseconds.
copy_ms() {
    local spec table query k=0 load=""
    for spec in "$@"; do
        table=${spec%%|*} query=${spec#*|} k=$((k + 1))
        sql -c "COPY ($query) TO '$pgdir/copy$k.data'" \
            -c "DROP TABLE IF EXISTS bench_twin$k" \
            -c "CREATE TABLE bench_twin$k (LIKE $table INCLUDING ALL)"
        load="$load COPY bench_twin$k FROM '$pgdir/copy$k.data';"
    done
    sql -c CHECKPOINT
    local t0 t1
    t0=$(ms)
    sql -c "BEGIN; $load COMMIT;"
    t1=$(ms)
    for ((i = 1; i <= k; i++)); do sql -c "DROP TABLE bench_twin$i"; rm -f "$pgdir/copy$i.data"; done
    echo $((t1 - t0))
}

# --- group reconcile: a tenth, then everyone ----------------------------------------------------
group_case() {
    local label=$1 group=$2 sku=$3 members=$4 audit0 change0 t0 t1
    audit0=$(val "SELECT coalesce(max(id), 0) FROM directory_audits")
    change0=$(val "SELECT coalesce(max(seq), 0) FROM directory_changes")
    sql -c CHECKPOINT
    t0=$(ms)
    assign_group "$group" "$sku"
    wait_until "$(group_done "$group")"
    t1=$(ms)
    local took=$((t1 - t0)) copy all
    say "$label: ProcessingComplete in $took ms ($((members * 1000 / (took > 0 ? took : 1))) members/s)"
    copy=$(copy_ms "license_assignment_states|SELECT * FROM license_assignment_states WHERE group_id = '$group'")
    all=$(copy_ms \
        "license_assignment_states|SELECT * FROM license_assignment_states WHERE group_id = '$group'" \
        "user_licenses|SELECT * FROM user_licenses WHERE sku_id = '$sku'" \
        "user_proxy_addresses|SELECT p.* FROM user_proxy_addresses p JOIN group_members m ON m.member_id = p.user_id AND m.group_id = '$group'" \
        "directory_audits|SELECT * FROM directory_audits WHERE id > $audit0" \
        "directory_changes|SELECT * FROM directory_changes WHERE seq > $change0")
    local r
    r=$(ratio "$took" "$copy")
    row "$label: ProcessingComplete" "$((took)) ms" "COPY states $copy ms" "${r}x" "<= 4x" "$(met "$r" '<=' 4)"
    r=$(ratio "$took" "$all")
    row "$label: vs COPY of all it writes" "$((took)) ms" "COPY all rows $all ms" "${r}x" "(floor)" "-"
}
group_case "group of $tenth members" "$G_TENTH" "$SKU_TENTH" "$tenth"
group_case "group of $n members" "$G_ALL" "$SKU_ALL" "$n"

# --- incremental: members added to the licensed group -------------------------------------------
# The adds are timed by the client from its first request to its last answer (not the Python
# interpreter's start), on $add_conns connections at once (BENCH_ADD_CONNECTIONS; 1 = one after
# another).
add_conns=${BENCH_ADD_CONNECTIONS:-4}
added=$(python3 tests/bench/add_members.py "$base" "$G_ALL" "$pgdir/late.ids" "$add_conns")
t_added=$(ms)
wait_until "(SELECT count(*) FROM license_assignment_states WHERE group_id = '$G_ALL'
             AND user_id IN (SELECT id FROM bench_users WHERE i > $n)) = $late
            AND NOT EXISTS (SELECT 1 FROM work_queue)"
t1=$(ms)
adds_ms=$(field ms "$added")
took=$((adds_ms + t1 - t_added))
say "incremental: $added; processed $((t1 - t_added)) ms after the last add"
row "$late members added to the $n group, done" "$took ms" "-" "-" "<= 1000 ms" \
    "$(met "$took" '<=' 1000)"
row "  of which the adds (50 PATCH, $add_conns conn)" "$adds_ms ms" "-" "-" "-" "-"
row "  of which processing after the last add" "$((t1 - t_added)) ms" "-" "-" "-" "-"

# --- seats: a SKU short of seats, then more seats: only the CountViolation users are requeued ----
assign_group "$G_SCARCE" "$SKU_SCARCE"
wait_until "$(group_done "$G_SCARCE")"
waiting=$(val "SELECT count(*) FROM license_assignment_states WHERE sku_id = '$SKU_SCARCE'
               AND error = 'CountViolation'")
sql -c "CREATE TABLE bench_queued (kind text);
        CREATE FUNCTION bench_queued() RETURNS trigger LANGUAGE plpgsql AS
        \$\$ BEGIN INSERT INTO bench_queued SELECT kind FROM new_rows; RETURN NULL; END \$\$;
        CREATE TRIGGER bench_queued AFTER INSERT ON work_queue REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION bench_queued()"
t0=$(ms)
curl -sf -o /dev/null -X PATCH -H 'Content-Type: application/json' \
    "$base/v1.0/subscribedSkus/$SKU_SCARCE" -d "{\"prepaidUnits\":{\"enabled\":$scarce}}"
wait_until "NOT EXISTS (SELECT 1 FROM license_assignment_states WHERE sku_id = '$SKU_SCARCE'
            AND error = 'CountViolation') AND NOT EXISTS (SELECT 1 FROM work_queue)"
t1=$(ms)
requeued=$(val "SELECT count(*) FROM bench_queued WHERE kind = 'user'")
sql -c "DROP TRIGGER bench_queued ON work_queue; DROP TABLE bench_queued; DROP FUNCTION bench_queued()"
r=$(ratio "$requeued" "$waiting")
row "seats added: users requeued" "$requeued in $((t1 - t0)) ms" "$waiting CountViolation" "${r}x" \
    "= 1x" "$( [ "$requeued" = "$waiting" ] && echo yes || echo no)"

# --- reads: GET by id beside pgbench -S, paging, $count ------------------------------------------
sql -c "VACUUM ANALYZE"
tps=$(pgb -S -l)
pgb_p99=$(cat "$pgdir/pgb.p99")
out=$(BENCH_IDS=$pgdir/random.ids wrk -t2 -c"$clients" -d"${secs}s" -s tests/bench/get_user.lua \
    "$base" | grep '^WRK')
rps=$(field rps "$out") p99=$(field p99_ms "$out") errors=$(field errors "$out")
r=$(ratio "$rps" "$tps")
row "GET /users/{id}, $clients conn" "$rps req/s" "pgbench -S $tps tps" "$r" ">= 0.50" \
    "$( [ "$errors" = 0 ] && met "$r" '>=' 0.5 || echo "no ($errors errors)")"
row "GET /users/{id} p99" "$p99 ms" "pgbench -S p99 $pgb_p99 ms" "$(ratio "$p99" "$pgb_p99")x" \
    "<= 10 ms" "$(met "$p99" '<=' 10)"

out=$(python3 tests/bench/page_all.py "$base" '/v1.0/users?$top=999')
pages_total=$(field total_ms "$out") slowest=$(field slowest_ms "$out") items=$(field items "$out")
row "page all users, \$top=999 ($items)" "$pages_total ms" "-" "-" "<= 20000 ms" \
    "$( [ "$items" = $((n + late)) ] && met "$pages_total" '<=' 20000 || echo "no (items)")"
row "slowest page of 999" "$slowest ms" "-" "-" "<= 20 ms" "$(met "$slowest" '<=' 20)"

count_times=()
for _ in 1 2 3 4 5 6 7; do
    count_times+=("$(curl -s -o "$pgdir/count.out" -w '%{time_total}' -H 'ConsistencyLevel: eventual' \
        "$base/v1.0/users/\$count")")
done
count_ms=$(printf '%s\n' "${count_times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[4]*1000}')
row "\$count of $(cat "$pgdir/count.out") users (median of 7)" "$count_ms ms" "-" "-" "<= 100 ms" \
    "$(met "$count_ms" '<=' 100)"

# --- writes: direct assignLicense on distinct users beside pgbench TPC-B --------------------------
tps=$(pgb)
out=$(BENCH_IDS=$pgdir/direct.ids BENCH_THREADS=2 BENCH_SKU=$SKU_DIRECT wrk -t2 -c"$clients" \
    -d"${secs}s" -s tests/bench/assign_license.lua "$base" | grep '^WRK')
rps=$(field rps "$out") errors=$(field errors "$out")
r=$(ratio "$rps" "$tps")
row "assignLicense, $clients conn" "$rps req/s" "pgbench TPC-B $tps tps" "$r" ">= 0.25" \
    "$( [ "$errors" = 0 ] && met "$r" '>=' 0.25 || echo "no ($errors errors)")"

# --- the catalog import, into an empty database of the same cluster ------------------------------
createdb -h "$pgdir/sock" -U "$(val 'SELECT current_user')" catalog
t0=$(ms)
DATABASE_URL=$(sock_url catalog) "$bin" migrate 2>/dev/null
t1=$(ms)
DATABASE_URL=$(sock_url catalog) "$bin" import-catalog tests/data/ms-product-service-plans.csv \
    >/dev/null 2>&1
t2=$(ms)
row "import-catalog (Microsoft's CSV)" "$((t2 - t1)) ms" "-" "-" "<= 5000 ms" "$(met $((t2 - t1)) '<=' 5000)"

rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
row "server peak RSS" "$((rss / 1024)) MiB" "-" "-" "<= 64 MiB" "$(met $((rss / 1024)) '<=' 64)"
grep -q . "$pgdir/server.log" && { say "server log:"; tail -n 5 "$pgdir/server.log" >&2; }

# --- the table ------------------------------------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
echo
echo "licensingd bench, $(date -u +%Y-%m-%dT%H:%MZ), commit $commit, $n users, ${secs} s load tests," \
    "$clients connections, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
{
    printf 'case\tfigure\tlimit (same run)\tratio\ttarget\tmet\n'
    cat "$results"
} | column -t -s $'\t'
