#!/usr/bin/env bash
# What the packages hold: the expected files with the expected modes, the dependencies, the
# maintainer scripts, and no path of the build machine anywhere (binaries included).
#   check-contents.sh PACKAGE_DIR SOURCE_DIR BINARY_DIR
set -euo pipefail
packages=$(realpath "$1") source_dir=$(realpath "$2") binary_dir=$(realpath "$3")
deb=$(ls "$packages"/*.deb) rpm=$(ls "$packages"/*.rpm)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

listing=$(dpkg-deb -c "$deb")
expect() {  # MODE PATH
    grep -qE "^$1 root/root .* \./usr/$2\$" <<<"$listing" || fail "$deb has no ./usr/$2 with mode $1"
}
expect -rwxr-xr-x bin/berth
expect -rwxr-xr-x bin/berthctl
expect -rwxr-xr-x libexec/berth/berth-engine
expect -rw-r--r-- lib/berth/guest/vmlinuz
expect -rw-r--r-- lib/berth/guest/initramfs.img
expect -rw-r--r-- share/applications/berth.desktop
expect -rw-r--r-- share/icons/hicolor/scalable/apps/berth.svg
expect -rw-r--r-- share/man/man1/berth.1.gz
expect -rw-r--r-- share/man/man1/berthctl.1.gz
expect -rw-r--r-- share/man/man1/berth-engine.1.gz
expect -rw-r--r-- share/doc/berth/copyright
expect -rw-r--r-- share/doc/berth/admin-guide.md
if grep -q '\./etc/' <<<"$listing"; then fail "the .deb ships files under /etc"; fi

depends=$(dpkg-deb -f "$deb" Depends)
for dependency in libqt6widgets6 libqt6core6 qemu-system-x86 qemu-utils debconf; do
    grep -q "$dependency" <<<"$depends" || fail "Depends lacks $dependency: $depends"
done
grep -q libvirt-daemon-system <<<"$(dpkg-deb -f "$deb" Recommends)" || fail "Recommends lacks libvirt"
dpkg-deb -e "$deb" "$work/control"
for script in config templates postinst postrm; do
    [[ -f $work/control/$script ]] || fail "the .deb has no $script"
done
grep -q 'berthctl admin deploy' "$work/control/postinst" || fail "postinst does not deploy with berthctl"

rpm_listing=$(rpm -qlp "$rpm")
for path in /usr/bin/berth /usr/bin/berthctl /usr/libexec/berth/berth-engine /usr/lib/berth/guest/vmlinuz; do
    grep -qx "$path" <<<"$rpm_listing" || fail "$rpm has no $path"
done
if grep -qxE '/usr|/usr/bin|/usr/lib|/usr/share|/usr/share/man/man1' <<<"$rpm_listing"; then
    fail "$rpm claims a system directory"
fi
rpm_requires=$(rpm -qpR "$rpm")
for dependency in 'libQt6Widgets.so.6' 'qemu-system-x86-core' 'qemu-img'; do
    grep -q "$dependency" <<<"$rpm_requires" || fail "rpm requirements lack $dependency"
done
rpm -qp --scripts "$rpm" | grep -q 'berthctl admin deploy' || fail "the rpm's %post does not deploy"

# No build-machine path, in any file of either package or the .deb's control scripts.
mkdir -p "$work/deb" "$work/rpm"
dpkg-deb -x "$deb" "$work/deb"
(cd "$work/rpm" && rpm2cpio "$rpm" | cpio -idm --quiet)
for leak in "$source_dir" "$binary_dir"; do
    if hits=$(grep -rlF -- "$leak" "$work/deb" "$work/rpm" "$work/control"); then
        fail "build path $leak found in: $hits"
    fi
done

echo "deb: $(du -k "$deb" | cut -f1) KiB, rpm: $(du -k "$rpm" | cut -f1) KiB, $(wc -l <<<"$listing") entries"
[[ $failures -eq 0 ]] || { echo "$failures problems" >&2; exit 1; }
echo "package contents: ok"
