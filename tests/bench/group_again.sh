#!/usr/bin/env bash
# The group case of `make bench` again, on a cluster kept by `BENCH_KEEP=1 BENCH_DIR=DIR make
# bench`: the "all" group (N members, a SKU with a mailbox plan) loses its SKU's rows, the members'
# mail and proxy addresses, the audit log and the change log (a bench cluster only!), then gets
# the SKU again through `POST assignLicense` until ProcessingComplete, beside the best of three
# COPYs of its state rows into an empty twin. For before/after comparisons in one sitting:
#   tests/bench/group_again.sh DIR BINARY [LABEL]
# Prints the wall time and its ratio to the COPY, and the CPU seconds the cluster's processes and
# the server spent beside the CPU seconds of the COPY's backend (steadier than wall time on a
# shared machine; reading /proc/self/stat through pg_read_file needs a superuser, as here).
# See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
pgdir=$(cd "${1:?usage: $0 BENCH_DIR BINARY [LABEL]}" && pwd)
bin=${2:?usage: $0 BENCH_DIR BINARY [LABEL]}
label=${3:-run}
export DATABASE_URL=$(db/cluster.sh url "$pgdir")
SKU_ALL=6fd2c87f-b296-42f0-b197-1e91e994b900
G_ALL=00000000-0000-0000-0000-0000000000a1
sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
val() { psql -X -tA -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "$1"; }
ms() { echo $(($(date +%s%N) / 1000000)); }
tck=$(getconf CLK_TCK)
# CPU ticks of every process of the cluster (backends, WAL writer, checkpointer).
pg_ticks() {
    local pm c
    pm=$(head -n 1 "$pgdir/data/postmaster.pid")
    for c in $(ps --ppid "$pm" -o pid=); do awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null; done |
        awk '{s += $1} END {print s + 0}'
}

sql <<SQL
DELETE FROM group_members WHERE group_id = '$G_ALL'
   AND member_id IN (SELECT id FROM bench_users WHERE i > (SELECT count(*) - 1000 FROM bench_users));
DELETE FROM group_licenses WHERE group_id = '$G_ALL';
DELETE FROM license_assignment_states WHERE group_id = '$G_ALL';
DELETE FROM user_licenses WHERE sku_id = '$SKU_ALL';
DELETE FROM user_proxy_addresses;
UPDATE users SET mail = NULL WHERE mail IS NOT NULL;
UPDATE groups SET license_processing_state = 'ProcessingComplete' WHERE id = '$G_ALL';
DELETE FROM work_queue;
TRUNCATE directory_audits, directory_changes;
SQL
sql -c "VACUUM FULL users" -c "VACUUM FULL user_licenses" -c "VACUUM FULL license_assignment_states" \
    -c "VACUUM FULL user_proxy_addresses" -c "VACUUM ANALYZE" -c CHECKPOINT

port=""
for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
LICENSINGD_RATE_LIMIT=0 LOG_LEVEL=${LOG_LEVEL:-warn} PORT=$port "$bin" serve --insecure-no-auth \
    2>"$pgdir/server-$label.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
members=$(val "SELECT count(*) FROM group_members WHERE group_id = '$G_ALL'")
c0=$(pg_ticks)
t0=$(ms)
curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
    "http://127.0.0.1:$port/v1.0/groups/$G_ALL/assignLicense" \
    -d "{\"addLicenses\":[{\"skuId\":\"$SKU_ALL\",\"disabledPlans\":[]}],\"removeLicenses\":[]}"
sql -c "DO \$\$ BEGIN
    LOOP
        EXIT WHEN (SELECT license_processing_state = 'ProcessingComplete' FROM groups
                    WHERE id = '$G_ALL') AND NOT EXISTS (SELECT 1 FROM work_queue);
        PERFORM pg_sleep(0.01);
    END LOOP;
END \$\$"
t1=$(ms)
c1=$(pg_ticks)
server_cpu=$(awk -v t="$tck" '{printf "%.1f", ($14 + $15) / t}' "/proc/$pid/stat")
kill "$pid"
wait "$pid" 2>/dev/null || true
trap - EXIT

sql -c "COPY (SELECT * FROM license_assignment_states WHERE group_id = '$G_ALL') TO '$pgdir/again.data'"
copy="" copy_cpu=""
self_ticks="split_part(pg_read_file('/proc/self/stat'), ' ', 14)::int
            + split_part(pg_read_file('/proc/self/stat'), ' ', 15)::int"
for _ in 1 2 3; do
    sql -c "DROP TABLE IF EXISTS bench_twin" \
        -c "CREATE TABLE bench_twin (LIKE license_assignment_states INCLUDING ALL)" -c CHECKPOINT
    k0=$(ms)
    # The COPY's own backend, before and after (its stat, read by itself: it ends with psql).
    ticks=$(psql -X -tA -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "SELECT $self_ticks" \
        -c "BEGIN" -c "COPY bench_twin FROM '$pgdir/again.data'" -c "COMMIT" -c "SELECT $self_ticks" |
        grep -E '^[0-9]+$')
    k1=$(ms)
    j0=$(head -n 1 <<<"$ticks") j1=$(tail -n 1 <<<"$ticks")
    if [ -z "$copy" ] || [ $((k1 - k0)) -lt "$copy" ]; then copy=$((k1 - k0)); fi
    if [ -z "$copy_cpu" ] || [ $((j1 - j0)) -lt "$copy_cpu" ]; then copy_cpu=$((j1 - j0)); fi
done
sql -c "DROP TABLE bench_twin"
rm -f "$pgdir/again.data"
took=$((t1 - t0))
cpu=$(awk -v a="$c0" -v b="$c1" -v t="$tck" 'BEGIN { printf "%.1f", (b - a) / t }')
echo "$label: $members members in $took ms, COPY states $copy ms (best of 3):" \
    "$(awk -v a="$took" -v b="$copy" 'BEGIN { printf "%.2f", a / b }')x;" \
    "cluster CPU $cpu s, server CPU $server_cpu s; the COPY's cluster CPU" \
    "$(awk -v a="$copy_cpu" -v t="$tck" 'BEGIN { printf "%.2f", a / t }') s:" \
    "$(awk -v a="$cpu" -v b="$server_cpu" -v c="$copy_cpu" -v t="$tck" \
        'BEGIN { if (c > 0) printf "%.1f", (a + b) * t / c; else print "-" }')x in CPU;" \
    "load $(cut -d' ' -f1 /proc/loadavg)"
