#!/usr/bin/env bash
# Lints the .deb; any finding, down to info, fails. Fix it, or override it: a file installed as
# /usr/share/lintian/overrides/berth, each override with a comment saying why.
#   lint-deb.sh PACKAGE_DIR
set -euo pipefail
deb=$(realpath "$1"/*.deb)
# Without --show-overrides: with it, lintian 2.116 also fails on the overridden tags.
lintian --fail-on error,warning,info --display-info "$deb"
echo "lintian: clean"
