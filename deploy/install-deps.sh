#!/bin/sh
# Install every build and test dependency from Debian packages.
# Idempotent and quiet when everything is already present.
set -e

PACKAGES="build-essential pkg-config clang libclang-rt-14-dev
libnanomsg-dev libjansson-dev libsodium-dev libmunge-dev munge libconfig-dev check
libev-dev libmicrohttpd-dev libsystemd-dev libpq-dev postgresql postgresql-client
iproute2 procps passwd util-linux curl cppcheck jq"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run 'sudo $0' (or apt-get install them) first" >&2
    exit 1
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# The packaged services must not hold the default ports or sockets the tests use;
# tests start their own private munged and PostgreSQL.
