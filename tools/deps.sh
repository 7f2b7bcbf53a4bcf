#!/usr/bin/env bash
# Installs the Debian packages licensingd needs to build, run and test, only those missing.
set -euo pipefail
pkgs="gcc make pkg-config libmicrohttpd-dev libjansson-dev libpq-dev check libsubunit-dev
libcurl4-openssl-dev postgresql postgresql-contrib clang libclang-rt-14-dev curl
libssl-dev openssl python3-yaml"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || true
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
