#!/usr/bin/env bash
# An mmdebstrap customize hook of build-guest-image.sh: fetches packages with the new root's own
# apt (mmdebstrap names its apt configuration in MMDEBSTRAP_APT_CONFIG, so the root's suite and
# sources decide the versions) and unpacks each into ROOT/DEST without installing it: no maintainer scripts, no
# dependencies. For the kernel (whose postinst would build an initramfs we do not use) and for
# programs the image hands to the host (the docker CLI plugins).
#
# Usage: unpack-packages.sh ROOT DEST PACKAGE...
#   A PACKAGE ending in "^" is a metapackage: what is unpacked is the one package it depends on
#   with an exact version (linux-image-cloud-amd64^ -> linux-image-6.1.0-NN-cloud-amd64).
# The .debs are left in ROOT/var/cache/apt/archives, where the build's sync-out hook caches them.
# ROOT/DEST/packages.txt lists "package version" of each.
set -euo pipefail

die() { echo "unpack-packages: error: $*" >&2; exit 1; }

[[ $# -ge 3 ]] || die "usage: $0 ROOT DEST PACKAGE..."
root=$1 dest=$1/$2
shift 2
[[ -n ${MMDEBSTRAP_APT_CONFIG:-} ]] || die "MMDEBSTRAP_APT_CONFIG is not set: run as an mmdebstrap hook"
export APT_CONFIG=$MMDEBSTRAP_APT_CONFIG
archives=$root/var/cache/apt/archives
mkdir -p "$dest" "$archives"

for want in "$@"; do
    pkg=$want
    if [[ $pkg == *^ ]]; then
        pkg=$(apt-cache show --no-all-versions "${pkg%^}" |
              sed -n 's/^Depends: .*\(linux-image-[^ ,]*\) (= \([^)]*\)).*/\1=\2/p' | head -n1)
        [[ -n $pkg ]] || die "cannot resolve ${want%^} to the package it depends on"
    else
        pkg=$pkg=$(apt-cache show --no-all-versions "$pkg" | sed -n 's/^Version: //p' | head -n1)
        [[ $pkg != *= ]] || die "$want is not in the archive"
    fi
    name=${pkg%%=*} version=${pkg#*=}
    # The cached .deb of that exact version, else a download into the archive cache.
    deb=$(find "$archives" -maxdepth 1 -name "${name}_*.deb" -print | while read -r f; do
        [[ $(dpkg-deb -f "$f" Version) == "$version" ]] && echo "$f"; done | head -n1)
    if [[ -z $deb ]]; then
        (cd "$archives" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null) ||
            die "apt-get download $pkg failed"
        deb=$(find "$archives" -maxdepth 1 -name "${name}_*.deb" -print | while read -r f; do
            [[ $(dpkg-deb -f "$f" Version) == "$version" ]] && echo "$f"; done | head -n1)
        [[ -n $deb ]] || die "apt-get download $pkg left no .deb"
    fi
    dpkg-deb -x "$deb" "$dest" || die "cannot unpack $deb"
    echo "$name $version" >>"$dest/packages.txt"
done
