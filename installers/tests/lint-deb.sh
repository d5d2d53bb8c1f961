#!/usr/bin/env bash
# Lints the .deb; any finding, down to info, fails. Fix it, or override it: a file installed as
# /usr/share/lintian/overrides/berth, each override with a comment saying why.
#   lint-deb.sh PACKAGE_DIR
set -euo pipefail
deb=$(realpath "$1"/*.deb)
lintian --fail-on error,warning,info --display-info --show-overrides "$deb"
echo "lintian: clean"
