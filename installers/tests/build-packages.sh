#!/usr/bin/env bash
# Builds the .deb and .rpm into OUT_DIR, and a second .deb with a higher version into
# OUT_DIR/upgrade for the upgrade test.
#   build-packages.sh CPACK_CONFIG OUT_DIR
set -euo pipefail
config=$1 out=$2
rm -rf "$out"
mkdir -p "$out/upgrade"
started=$SECONDS
# The packages as `./dev.sh package` makes them, but the .deb's data gzip'd rather than xz'd: xz
# spends most of a minute on the guest image, which is compressed already, and the tests check
# what is in the package and how it installs, not how small it is.
cpack --config "$config" -B "$out/work" -G "DEB;RPM" -D CPACK_DEBIAN_COMPRESSION_TYPE=gzip
mv "$out"/work/*.deb "$out"/work/*.rpm "$out/"
version=$(dpkg-deb -f "$out"/*.deb Version)
# The same contents under a higher version stand in for the next release: repacked, not rebuilt,
# and lightly compressed, since only the upgrade test reads it.
dpkg-deb -R "$out"/*.deb "$out/work/upgrade"
sed -i "s/^Version: .*/Version: $version+upgrade1/" "$out/work/upgrade/DEBIAN/control"
dpkg-deb -Zgzip -z1 -b "$out/work/upgrade" "$out/upgrade/berth_${version}+upgrade1_amd64.deb" >/dev/null
rm -rf "$out/work"
ls -l "$out" "$out/upgrade"
echo "Packages built in $((SECONDS - started)) s"
