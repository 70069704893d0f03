#!/usr/bin/env bash
# Installs the Debian tools copydesk's tests use when they are missing: promtool (package
# prometheus). Needs root and Debian's apt; elsewhere it only says what is missing, and the
# tests that need a tool skip with that reason.
set -uo pipefail
missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-tools: installing ${missing[*]} from Debian's packages"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || echo "ensure-tools: could not install ${missing[*]}; the tests that need it will skip"
else
    echo "ensure-tools: missing ${missing[*]} (install with: apt-get install ${missing[*]}); the tests that need it will skip"
fi
exit 0
