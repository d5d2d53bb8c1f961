#!/usr/bin/env bash
# What the packages hold: the expected files with the expected modes, the dependencies, the
# maintainer scripts, and no path of the build machine anywhere (binaries included).
#   check-contents.sh PACKAGE_DIR SOURCE_DIR BINARY_DIR virtiofsd|no-virtiofsd
# The last says whether the build made virtiofsd (BERTH_BUILD_VIRTIOFSD), so the packages ship it.
set -euo pipefail
packages=$(realpath "$1") source_dir=$(realpath "$2") binary_dir=$(realpath "$3") virtiofsd=$4
[[ $virtiofsd == virtiofsd || $virtiofsd == no-virtiofsd ]] || { echo "usage: $0 ... virtiofsd|no-virtiofsd" >&2; exit 2; }
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
expect -rw-r--r-- lib/berth/guest/vmlinux
expect -rw-r--r-- lib/berth/guest/initramfs.img
expect -rw-r--r-- share/applications/berth.desktop
expect -rw-r--r-- share/icons/hicolor/scalable/apps/berth.svg
expect -rw-r--r-- share/man/man1/berth.1.gz
expect -rw-r--r-- share/man/man1/berthctl.1.gz
expect -rw-r--r-- share/man/man1/berth-engine.1.gz
expect -rw-r--r-- share/doc/berth/copyright
expect -rw-r--r-- share/doc/berth/admin-guide.md
if grep -q '\./etc/' <<<"$listing"; then fail "the .deb ships files under /etc"; fi
# virtiofsd with its licences: its own, and a copyright file for each crate the list names.
virtiofsd_doc=share/doc/berth/virtiofsd
if [[ $virtiofsd == virtiofsd ]]; then
    expect -rwxr-xr-x lib/berth/bin/virtiofsd
    for file in copyright LICENSE-APACHE LICENSE-BSD-3-Clause THIRD-PARTY-CRATES.tsv BUILDINFO; do
        expect -rw-r--r-- "$virtiofsd_doc/$file"
    done
    crates=$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./usr/$virtiofsd_doc/THIRD-PARTY-CRATES.tsv" | tail -n +2)
    [[ $(grep -c . <<<"$crates") -ge 50 ]] || fail "THIRD-PARTY-CRATES.tsv names too few crates: $crates"
    while IFS=$'\t' read -r crate version _; do
        file=./usr/$virtiofsd_doc/crates/$crate-$version.copyright
        grep -F -- " $file" <<<"$listing" | grep -q '^-rw-r--r-- root/root ' || fail "$deb has no $file"
    done <<<"$crates"
fi

depends=$(dpkg-deb -f "$deb" Depends)
dependencies=(libqt6widgets6 libqt6core6 qemu-system-x86 qemu-utils debconf)
[[ $virtiofsd == no-virtiofsd ]] || dependencies+=(libseccomp2 libcap-ng0)
for dependency in "${dependencies[@]}"; do
    grep -q "$dependency" <<<"$depends" || fail "Depends lacks $dependency: $depends"
done
grep -q libvirt-daemon-system <<<"$(dpkg-deb -f "$deb" Recommends)" || fail "Recommends lacks libvirt"
dpkg-deb -e "$deb" "$work/control"
for script in config templates postinst postrm; do
    [[ -f $work/control/$script ]] || fail "the .deb has no $script"
done
grep -q 'berthctl admin deploy' "$work/control/postinst" || fail "postinst does not deploy with berthctl"

rpm_listing=$(rpm -qlp "$rpm")
paths=(/usr/bin/berth /usr/bin/berthctl /usr/libexec/berth/berth-engine /usr/lib/berth/guest/vmlinux)
[[ $virtiofsd == no-virtiofsd ]] || paths+=(/usr/lib/berth/bin/virtiofsd "/usr/$virtiofsd_doc/THIRD-PARTY-CRATES.tsv")
for path in "${paths[@]}"; do
    grep -qx "$path" <<<"$rpm_listing" || fail "$rpm has no $path"
done
if grep -qxE '/usr|/usr/bin|/usr/lib|/usr/share|/usr/share/man/man1' <<<"$rpm_listing"; then
    fail "$rpm claims a system directory"
fi
rpm_requires=$(rpm -qpR "$rpm")
dependencies=('libQt6Widgets.so.6' 'qemu-system-x86-core' 'qemu-img')
[[ $virtiofsd == no-virtiofsd ]] || dependencies+=('libseccomp.so.2' 'libcap-ng.so.0')
for dependency in "${dependencies[@]}"; do
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
