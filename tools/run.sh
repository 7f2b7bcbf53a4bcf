#!/usr/bin/env bash
# `make run`: start (or reuse) the cluster under var/, migrate, load the demo data, serve on :8080.
set -euo pipefail
cd "$(dirname "$0")/.."

pgdir=var/pg
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$PWD" 2>/dev/null; then
    # The postgres user cannot enter this checkout (a private home directory, say): keep the
    # cluster in a directory it can reach and point var/pg at it.
    mkdir -p var
    if [ ! -L var/pg ]; then
        alt=$(mktemp -d /tmp/licensingd-pg.XXXXXX)
        chmod 755 "$alt"
        rm -rf var/pg
        ln -s "$alt" var/pg
    fi
    pgdir=$(readlink var/pg)
fi

url=$(db/cluster.sh start "$pgdir")
export DATABASE_URL="$url"
export PORT="${PORT:-8080}"
export LISTEN_ADDR="${LISTEN_ADDR:-127.0.0.1}"
# A developer's own machine: no throttling unless asked for (serve throttles by default).
export LICENSINGD_RATE_LIMIT="${LICENSINGD_RATE_LIMIT:-0}"

build/licensingd migrate
if [ -x build/licensingd ] && build/licensingd --help | grep -q load-demo; then
    build/licensingd load-demo
fi

# Bearer tokens: a development secret made once and kept in var/ (only this user can read it),
# and a token with every permission signed with it. Neither is ever logged by the server.
secret_file=var/jwt-secret
if [ ! -s "$secret_file" ]; then
    mkdir -p var
    (umask 077 && openssl rand -hex 32 >"$secret_file")
fi
LICENSINGD_JWT_SECRET=$(cat "$secret_file")
export LICENSINGD_JWT_SECRET
token=$(build/licensingd token --ttl 43200 --upn developer@contoso.onmicrosoft.com \
    --scopes "Directory.ReadWrite.All Organization.ReadWrite.All LicenseAssignment.ReadWrite.All AuditLog.Read.All")

base="http://$LISTEN_ADDR:$PORT"
cat <<MSG

licensingd is starting on $base (PostgreSQL: $DATABASE_URL)
Try, from another terminal (the token is valid for 12 hours; 'make run' prints a new one):
  export TOKEN=$token
  curl -s $base/healthz
  curl -s $base/readyz
  curl -s -H "Authorization: Bearer \$TOKEN" $base/v1.0/organization
  curl -s -H "Authorization: Bearer \$TOKEN" '$base/v1.0/users?\$top=5'
  curl -s -H "Authorization: Bearer \$TOKEN" $base/v1.0/subscribedSkus
Tokens with fewer permissions: LICENSINGD_JWT_SECRET=\$(cat $secret_file) build/licensingd token --scopes "User.Read.All"
Stop with Ctrl-C; the database and the secret stay in var/ for the next 'make run'.

MSG
exec build/licensingd serve
