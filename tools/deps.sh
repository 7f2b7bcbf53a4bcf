#!/usr/bin/env bash
# Installs the Debian packages licensingd needs to build, run and test, only those missing.
set -euo pipefail
pkgs="gcc make pkg-config libmicrohttpd-dev libjansson-dev libpq-dev check libsubunit-dev
libcurl4-openssl-dev postgresql postgresql-contrib clang libclang-rt-14-dev curl
libssl-dev openssl"
# Node.js runs the contract and browser checks; the machine image brings a recent one, Debian's is
# the fallback.
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
# More packages a caller needs besides (tests/browser/run.sh asks for chromium).
pkgs="$pkgs $*"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# Another apt (unattended upgrades, a parallel job) may hold a lock: wait for it, never fail on it.
apt_wait="-o DPkg::Lock::Timeout=900 -o Acquire::Retries=3"
apt_retry() {
    local try out
    for try in $(seq 1 90); do
        # shellcheck disable=SC2086
        if out=$($sudo apt-get $apt_wait "$@" 2>&1); then return 0; fi
        if ! grep -qiE 'lock|temporarily unavailable' <<<"$out"; then echo "$out" >&2; return 1; fi
        [ "$try" = 1 ] && echo "deps: package lock busy, waiting" >&2
        sleep 10
    done
    echo "$out" >&2
    return 1
}
apt_retry update -qq || true
# shellcheck disable=SC2086
apt_retry install -y -qq --no-install-recommends $missing
