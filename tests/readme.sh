#!/usr/bin/env bash
# Runs the README's walkthrough against a fresh server: each `curl` line must answer the status in
# the `# expect:` line after it. Keeps the documentation honest.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LICENSINGD_TEST_PGDIR:?run through make test}"

user=$( [ "$(id -u)" = 0 ] && echo postgres || id -un )
db=licensingd_readme_$$
psql -q -h "$LICENSINGD_TEST_PGDIR/sock" -U "$user" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1
export DATABASE_URL="host=$LICENSINGD_TEST_PGDIR/sock dbname=$db user=$user"
# What `make run` does: a secret for the server, and a development token with every permission.
LICENSINGD_JWT_SECRET=$(openssl rand -hex 32)
export LICENSINGD_JWT_SECRET
TOKEN=$("${LICENSINGD_BIN:-build/licensingd}" token --ttl 3600 --upn readme@contoso.com \
    --scopes "Directory.ReadWrite.All Organization.ReadWrite.All LicenseAssignment.ReadWrite.All AuditLog.Read.All")
export TOKEN
"${LICENSINGD_BIN:-build/licensingd}" migrate 2>/dev/null
if "${LICENSINGD_BIN:-build/licensingd}" --help | grep -q load-demo; then
    "${LICENSINGD_BIN:-build/licensingd}" load-demo 2>/dev/null
fi

# A free port below the kernel's ephemeral range; if another socket takes it first, the server
# exits at once and the next attempt uses another port.
log="$LICENSINGD_TEST_PGDIR/readme-server.log"
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null' EXIT
up=0
for attempt in 1 2 3; do
    port=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
    PORT=$port "${LICENSINGD_BIN:-build/licensingd}" serve 2>"$log" &
    pid=$!
    for _ in $(seq 300); do
        if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; then up=1; break; fi
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
    done
    [ $up = 1 ] && break
    echo "README: licensingd did not come up on port $port (attempt $attempt); its log:"
    tail -n 20 "$log"
    kill $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    pid=""
done
[ $up = 1 ] || exit 1

# The commands inside the Walkthrough section's sh blocks, with the expected statuses.
mapfile -t lines < <(awk '/^## Walkthrough/{on=1; next} /^## /{on=0} on' README.md |
    awk '/^```sh/{blk=1; next} /^```/{blk=0} blk')
pass=0 fail=0 last=""
for line in "${lines[@]}"; do
    if [[ $line == curl* ]]; then
        last=${line//127.0.0.1:8080/127.0.0.1:$port}
    elif [[ $line =~ ^#\ expect:\ ([0-9]+) ]]; then
        want=${BASH_REMATCH[1]}
        got=$(eval "$last -o /dev/null -w '%{http_code}'" || true)
        if [ "$got" = "$want" ]; then pass=$((pass + 1)); else
            fail=$((fail + 1)); echo "README: '$last' answered $got, expected $want"; fi
    fi
done
echo "README walkthrough: $pass passed, $fail failed"
[ $fail = 0 ] && [ $pass -gt 0 ]
