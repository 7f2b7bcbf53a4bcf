#!/usr/bin/env bash
# Installs the Debian packages licensingd needs to build, run and test, only those missing.
set -euo pipefail
pkgs="gcc make pkg-config libmicrohttpd-dev libjansson-dev libpq-dev check libsubunit-dev
libcurl4-openssl-dev postgresql postgresql-contrib clang libclang-rt-14-dev curl"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# Another apt (unattended upgrades, a parallel job) may hold the lock: wait for it, never fail.
apt_wait="-o DPkg::Lock::Timeout=900"
# shellcheck disable=SC2086
$sudo apt-get $apt_wait update -qq >/dev/null || true
# shellcheck disable=SC2086
$sudo apt-get $apt_wait install -y -qq --no-install-recommends $missing >/dev/null
