#!/usr/bin/env bash
# Builds the .deb and .rpm into OUT_DIR, and a second .deb with a higher version into
# OUT_DIR/upgrade for the upgrade test.
#   build-packages.sh CPACK_CONFIG OUT_DIR
set -euo pipefail
config=$1 out=$2
rm -rf "$out"
mkdir -p "$out/upgrade"
started=$SECONDS
cpack --config "$config" -B "$out/work" -G "DEB;RPM"
mv "$out"/work/*.deb "$out"/work/*.rpm "$out/"
version=$(dpkg-deb -f "$out"/*.deb Version)
cpack --config "$config" -B "$out/work" -G DEB -D CPACK_DEBIAN_PACKAGE_VERSION="$version+upgrade1"
mv "$out"/work/*.deb "$out/upgrade/"
rm -rf "$out/work"
ls -l "$out" "$out/upgrade"
echo "Packages built in $((SECONDS - started)) s"
