#!/usr/bin/env bash
# HTTPS: a throwaway CA and a server certificate made with the openssl CLI; licensingd serves with
# --tls-cert/--tls-key; curl succeeds with --cacert and fails without it (and over plain HTTP);
# nextLinks say https://; a certificate without its key stops start-up with a reason.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LICENSINGD_TEST_PGDIR:?run through make test}"
bin=${LICENSINGD_BIN:-build/licensingd}

dir=$(mktemp -d /tmp/licensingd-tls.XXXXXX)
user=$( [ "$(id -u)" = 0 ] && echo postgres || id -un )
db=licensingd_tls_$$
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "tls: FAILED: $*"; [ -f "$dir/server.log" ] && tail -n 5 "$dir/server.log"; exit 1; }

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=licensingd test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$dir/ext.cnf"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/ext.cnf" -out "$dir/server.pem" 2>/dev/null

psql -q -h "$LICENSINGD_TEST_PGDIR/sock" -U "$user" -d postgres -c "DROP DATABASE IF EXISTS $db" \
    -c "CREATE DATABASE $db" >/dev/null 2>&1
export DATABASE_URL="host=$LICENSINGD_TEST_PGDIR/sock dbname=$db user=$user"
LICENSINGD_JWT_SECRET=$(openssl rand -hex 32)
export LICENSINGD_JWT_SECRET
token=$("$bin" token --scopes "Directory.ReadWrite.All" --ttl 600)

# A certificate without its key, or a key that is not PEM, stops start-up with a reason.
if "$bin" serve --port 1 --tls-cert "$dir/server.pem" >"$dir/out" 2>&1; then fail "started without --tls-key"; fi
grep -q -- "--tls-key" "$dir/out" || fail "no reason given for a missing --tls-key: $(cat "$dir/out")"
if "$bin" serve --port 1 --tls-cert "$dir/server.pem" --tls-key "$dir/ext.cnf" >"$dir/out" 2>&1; then
    fail "started with a key that is not PEM"; fi
grep -q "not a PEM file" "$dir/out" || fail "no reason given for a bad key: $(cat "$dir/out")"
if grep -q "BEGIN" "$dir/out"; then fail "key material in the log"; fi

up=0
for attempt in 1 2 3; do
    port=$((20000 + RANDOM % 12000))
    "$bin" serve --port "$port" --tls-cert "$dir/server.pem" --tls-key "$dir/server.key" \
        2>"$dir/server.log" &
    pid=$!
    for _ in $(seq 300); do
        if curl -sf --cacert "$dir/ca.pem" "https://127.0.0.1:$port/healthz" >/dev/null; then up=1; break; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [ $up = 1 ] && break
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
done
[ $up = 1 ] || fail "licensingd did not come up with TLS (attempt $attempt)"
base="https://127.0.0.1:$port"
pass=0

# The CA makes it trusted; without it curl refuses the certificate; plain HTTP gets no answer.
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/ca.pem" "$base/healthz")
[ "$code" = 200 ] || fail "https with --cacert answered $code"; pass=$((pass + 1))
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/ca.pem" -H "Authorization: Bearer $token" \
    --resolve "localhost:$port:127.0.0.1" "https://localhost:$port/v1.0/users")
[ "$code" = 200 ] || fail "https://localhost with a token answered $code"; pass=$((pass + 1))
if curl -s -o /dev/null "$base/healthz"; then fail "curl trusted the certificate without --cacert"; fi
rc=0; curl -s -o /dev/null "$base/healthz" || rc=$?
[ "$rc" = 60 ] || fail "without --cacert curl failed with $rc, not 60 (certificate problem)"; pass=$((pass + 1))
if curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$port/healthz"; then fail "plain HTTP was answered"; fi
pass=$((pass + 1))

# nextLinks name https://, which the Graph JavaScript client's PageIterator requires.
for n in 1 2; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/ca.pem" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' -X POST "$base/v1.0/users" \
        -d "{\"accountEnabled\":true,\"displayName\":\"TLS $n\",\"mailNickname\":\"tls$n\",\"userPrincipalName\":\"tls$n@contoso.com\",\"passwordProfile\":{\"password\":\"Tls-Pass-1!\"}}")
    [ "$code" = 201 ] || fail "creating a user over https answered $code"
done
link=$(curl -s --cacert "$dir/ca.pem" -H "Authorization: Bearer $token" "$base/v1.0/users?\$top=1" |
    sed -n 's/.*"@odata.nextLink":"\([^"]*\)".*/\1/p')
case "$link" in https://127.0.0.1:$port/v1.0/users*) pass=$((pass + 1)) ;;
    *) fail "nextLink is '$link', not https://" ;; esac
grep -q '"listening on https://' "$dir/server.log" || grep -q 'listening on https://' "$dir/server.log" ||
    fail "the start-up line does not say https"
if grep -q -- "$LICENSINGD_JWT_SECRET" "$dir/server.log"; then fail "the secret reached the log"; fi
if grep -q -- "$token" "$dir/server.log"; then fail "a token reached the log"; fi
echo "tls: $((pass + 2)) checks passed (https with --cacert, refused without, no plain HTTP, https nextLinks, bad start-up refused)"
