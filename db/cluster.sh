#!/usr/bin/env bash
# Manages a private PostgreSQL cluster for `make run` and `make test` (never the system one).
#   db/cluster.sh start DIR   initialise (once) and start a cluster in DIR; prints DATABASE_URL
#   db/cluster.sh stop DIR    stop it (fast shutdown)
#   db/cluster.sh url DIR     print the conninfo for DIR
#   db/cluster.sh destroy DIR stop and delete DIR
# PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user and
# listens only on a unix socket inside DIR (no TCP port to collide with other clusters).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|url|destroy DIR" >&2; exit 2; }

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/pg_ctl" ] || { echo "cluster.sh: PostgreSQL server binaries not found (install postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

dbname=${LICENSINGD_DB_NAME:-licensingd}
dbuser=$( [ "$(id -u)" = 0 ] && echo postgres || id -un )

url() { echo "host=$dir/sock dbname=$dbname user=$dbuser"; }

case "$cmd" in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir"
        if ! runuser -u postgres -- test -w "$dir"; then
            echo "cluster.sh: user postgres cannot reach $dir (a parent directory is private); use a DIR under /tmp" >&2
            exit 1
        fi
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bindir/initdb" -D "$dir/data" -A trust -U "$dbuser" -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
        as_owner mkdir -p "$dir/sock"
        cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir/sock'
max_connections = 200
shared_buffers = 256MB
fsync = ${LICENSINGD_PG_FSYNC:-on}
synchronous_commit = ${LICENSINGD_PG_SYNC_COMMIT:-on}
full_page_writes = ${LICENSINGD_PG_FSYNC:-on}
# A group of a million members writes gigabytes of WAL: fewer forced checkpoints.
max_wal_size = ${LICENSINGD_PG_MAX_WAL:-4GB}
checkpoint_timeout = 15min
CONF
    fi
    if ! as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null \
            || { tail -n 20 "$dir/postgres.log" >&2; exit 1; }
    fi
    if ! as_owner "$bindir/psql" -h "$dir/sock" -U "$dbuser" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$dbname'" | grep -q 1; then
        as_owner "$bindir/createdb" -h "$dir/sock" -U "$dbuser" "$dbname"
    fi
    url
    ;;
stop)
    if [ -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
url)
    dir=$(cd "$dir" && pwd)
    url
    ;;
destroy)
    if [ -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop|url|destroy DIR" >&2; exit 2 ;;
esac
