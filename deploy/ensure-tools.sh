#!/usr/bin/env bash
# Installs the Debian tools copydesk's tests use when they are missing: the Prometheus server and
# promtool (package prometheus), kcat (package kcat) and wget (which writes the WARC files of
# tests/integration/test_warc.py). Needs root and Debian's apt; elsewhere it
# only says what is missing, and the tests that need a tool skip with that reason. A no-op when
# every tool is there.
set -uo pipefail
missing=()
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || missing+=(prometheus)
{ command -v kcat || command -v kafkacat; } >/dev/null 2>&1 || missing+=(kcat)
command -v wget >/dev/null 2>&1 || missing+=(wget)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-tools: installing ${missing[*]} from Debian's packages"
    apt-get update -qq >/dev/null 2>&1 || true
    for package in "${missing[@]}"; do  # one at a time: a package apt lacks does not stop the other
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null \
            || echo "ensure-tools: could not install $package; the tests that need it will skip"
    done
else
    echo "ensure-tools: missing ${missing[*]} (install with: apt-get install ${missing[*]}); the tests that need it will skip"
fi
exit 0
