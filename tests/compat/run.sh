#!/usr/bin/env bash
# The contract suite with real material (part of `make test`): Microsoft's official Graph
# JavaScript client drives licensingd over HTTPS (its own --tls-cert, named by --public-url). A
# throwaway CA made with the openssl CLI signs a certificate for 127.0.0.1; Node trusts it through
# NODE_EXTRA_CA_CERTS, as an integrator's machine trusts its company CA. Needs
# LICENSINGD_TEST_PGDIR (tests/run.sh sets it).
set -euo pipefail
cd "$(dirname "$0")/../.."
tests/contract/install.sh tests/compat
tls=$(mktemp -d /tmp/licensingd-compat-tls.XXXXXX)
trap 'rm -rf "$tls"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=licensingd compat test CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$tls/server.key" \
    -out "$tls/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$tls/ext.cnf"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
    -days 2 -extfile "$tls/ext.cnf" -out "$tls/server.pem" 2>/dev/null
export NODE_EXTRA_CA_CERTS="$tls/ca.pem" COMPAT_TLS_DIR="$tls"
node --test --test-concurrency=1 tests/compat/
