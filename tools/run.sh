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

base="http://$LISTEN_ADDR:$PORT"
cat <<MSG

licensingd is starting on $base (PostgreSQL: $DATABASE_URL)
Try, from another terminal:
  curl -s $base/healthz
  curl -s $base/readyz
  curl -s $base/v1.0/organization
  curl -s '$base/v1.0/users?\$top=5'
  curl -s $base/v1.0/subscribedSkus
Stop with Ctrl-C; the database stays in var/ for the next 'make run'.

MSG
exec build/licensingd serve
