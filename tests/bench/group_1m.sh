#!/usr/bin/env bash
# Benchmark: one group of N members (default 1,000,000) gets Office 365 E3 (with a mailbox plan,
# so proxy addresses are generated too); time from the 202 to ProcessingComplete, members per
# second, and the server's peak RSS sampled every 100 ms (the worker streams: memory stays flat).
# Target (issue: group-based licensing): 1,000,000 members in <= 30 s on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${LICENSINGD_BIN:-build/licensingd}
members=${BENCH_MEMBERS:-1000000}
workers=${BENCH_WORKERS:-2}

pgdir=$(mktemp -d /tmp/licensingd-bench.XXXXXX)
chmod 755 "$pgdir"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; db/cluster.sh destroy "$pgdir" >/dev/null 2>&1 || true; }
trap cleanup EXIT
export DATABASE_URL=$(db/cluster.sh start "$pgdir")
"$bin" migrate 2>/dev/null
psql -q "$DATABASE_URL" <<SQL
INSERT INTO organization (display_name, country_letter_code) VALUES ('Bench', 'US');
INSERT INTO service_plans (id, name, provisions_mailbox) VALUES
 ('efb87545-963c-4e0d-99df-69c6916d9eb0', 'EXCHANGE_S_ENTERPRISE', true),
 ('5dbe027f-2339-4123-9542-606e4d348a72', 'SHAREPOINTENTERPRISE', false),
 ('57ff2da0-773e-42df-b2af-ffb7a2317929', 'TEAMS1', false);
INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES
 ('6fd2c87f-b296-42f0-b197-1e91e994b900', 'ENTERPRISEPACK', $members);
INSERT INTO sku_service_plans VALUES
 ('6fd2c87f-b296-42f0-b197-1e91e994b900', 'efb87545-963c-4e0d-99df-69c6916d9eb0', 1),
 ('6fd2c87f-b296-42f0-b197-1e91e994b900', '5dbe027f-2339-4123-9542-606e4d348a72', 2),
 ('6fd2c87f-b296-42f0-b197-1e91e994b900', '57ff2da0-773e-42df-b2af-ffb7a2317929', 3);
INSERT INTO groups (id, display_name, mail_nickname, mail_enabled, security_enabled)
 VALUES ('00000000-0000-0000-0000-0000000000a1', 'All users', 'all', false, true);
INSERT INTO users (user_principal_name, display_name, mail_nickname, account_enabled, usage_location)
 SELECT 'user' || i || '@bench.example', 'User ' || i, 'u' || i, true, 'US'
   FROM generate_series(1, $members) i;
INSERT INTO group_members (group_id, member_id, member_type)
 SELECT '00000000-0000-0000-0000-0000000000a1', id, 'user' FROM users;
VACUUM ANALYZE;
SQL

port=$((20000 + RANDOM % 40000))
PORT=$port LICENSINGD_RATE_LIMIT=0 LICENSINGD_WORKERS=$workers LOG_LEVEL=warn "$bin" serve --insecure-no-auth 2>"$pgdir/server.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

ms() { date +%s%N | cut -c1-13; }
t0=$(ms)
curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/v1.0/groups/00000000-0000-0000-0000-0000000000a1/assignLicense" \
    -H 'Content-Type: application/json' \
    -d '{"addLicenses":[{"skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900"}],"removeLicenses":[]}'
peak=0
while :; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    [ "$rss" -gt "$peak" ] && peak=$rss
    [ -n "${BENCH_TRACE:-}" ] && echo "rss ${rss} kB, done $(psql -tA "$DATABASE_URL" -c "SELECT coalesce(max(done), 0) FROM work_queue")" >&2
    state=$(psql -tA "$DATABASE_URL" -c "SELECT license_processing_state FROM groups")
    [ "$state" = ProcessingComplete ] && break
    sleep 0.1
done
t1=$(ms)
consumed=$(psql -tA "$DATABASE_URL" -c "SELECT consumed_units FROM skus")
elapsed=$((t1 - t0))
echo "group of $members members, $workers workers: ProcessingComplete in $elapsed ms" \
     "($((members * 1000 / (elapsed > 0 ? elapsed : 1))) members/s), consumedUnits $consumed," \
     "peak server RSS $((peak / 1024)) MiB"
