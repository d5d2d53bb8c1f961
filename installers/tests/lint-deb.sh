#!/usr/bin/env bash
# Lints the .deb. Every finding must be fixed or overridden with its reason in
# installers/lintian-overrides (shipped in the package, where lintian reads it).
#   lint-deb.sh PACKAGE_DIR
set -euo pipefail
deb=$(realpath "$1"/*.deb)
lintian --fail-on error,warning,info --display-info --show-overrides "$deb"
echo "lintian: clean"
