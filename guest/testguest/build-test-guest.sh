#!/usr/bin/env bash
# Builds the Berth test guest from Debian packages: OUTDIR/vmlinux (linux-image-cloud-amd64's
# kernel, uncompressed: see ../boot-kernel.sh) and OUTDIR/initramfs.img (newc cpio, gzip:
# busybox, the needed kernel modules, /init, the guest agent). See README.md beside this script.
#
# Usage: build-test-guest.sh --agent FILE [--cache-dir DIR] OUTDIR
#   --agent FILE      the static berth-guest-agent (the build's guest program directory); /init
#                     runs it in its test-guest mode
#   --cache-dir DIR   where downloaded .debs are kept (default: $BERTH_GUEST_CACHE_DIR, else
#                     OUTDIR/.cache). Once filled, builds work offline.
#
# Up-to-date check: OUTDIR/.stamp holds a hash of this script, the agent, /init and the resolved
# package files (name, version, SHA256). Resolving asks apt (about a second), so the stamp also
# remembers the state of apt's package lists: while they and the sources are unchanged, a run
# needs no apt call at all.
set -euo pipefail

# Kernel modules the guest needs, if the kernel builds them as modules (checked in its config).
#   module:CONFIG symbol
WANTED_MODULES=(
    virtio_pci:CONFIG_VIRTIO_PCI          # the virtio-serial PCI device
    virtio_console:CONFIG_VIRTIO_CONSOLE  # /dev/vport* for the agent channel
    qemu_fw_cfg:CONFIG_FW_CFG_SYSFS       # /sys/firmware/qemu_fw_cfg: the guest config
    button:CONFIG_ACPI_BUTTON             # ACPI power button (QMP system_powerdown)
    evdev:CONFIG_INPUT_EVDEV              # /dev/input/event*: where the agent sees the button
)
# Must be built in: the initramfs cannot load them.
REQUIRED_BUILTIN=(CONFIG_BLK_DEV_INITRD CONFIG_RD_GZIP CONFIG_DEVTMPFS CONFIG_SERIAL_8250_CONSOLE CONFIG_ACPI)
KERNEL_META=linux-image-cloud-amd64
BUSYBOX_PKG=busybox-static
# Fixed timestamps make the initramfs byte-for-byte reproducible.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}

prog=build-test-guest
die() { echo "$prog: error: $*" >&2; exit 1; }
note() { echo "$prog: $*"; }

cache_dir=${BERTH_GUEST_CACHE_DIR:-}
agent=
outdir=
while [[ $# -gt 0 ]]; do
    case $1 in
        --agent) [[ $# -ge 2 ]] || die "--agent needs a file"; agent=$2; shift 2 ;;
        --cache-dir) [[ $# -ge 2 ]] || die "--cache-dir needs a directory"; cache_dir=$2; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [[ -z $outdir ]] || die "more than one OUTDIR given"; outdir=$1; shift ;;
    esac
done
[[ -n $outdir && -n $agent ]] || die "usage: $0 --agent FILE [--cache-dir DIR] OUTDIR"

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
script="$src_dir/$(basename "${BASH_SOURCE[0]}")"
init_src="$src_dir/init"
stamp_lib="$src_dir/../build-stamp.sh"
kernel_lib="$src_dir/../boot-kernel.sh"
# shellcheck source-path=SCRIPTDIR/.. source=build-stamp.sh
source "$stamp_lib"
# shellcheck source-path=SCRIPTDIR/.. source=boot-kernel.sh
source "$kernel_lib"
[[ -f $agent ]] || die "missing $agent (build the berth-guest-agent target)"
[[ -f $init_src ]] || die "missing $init_src"

mkdir -p "$outdir" || die "cannot create $outdir"
outdir=$(cd "$outdir" && pwd)
cache_dir=${cache_dir:-$outdir/.cache}
mkdir -p "$cache_dir/debs" || die "cannot create $cache_dir"
cache_dir=$(cd "$cache_dir" && pwd)
stamp="$outdir/.stamp"

# One build per OUTDIR at a time (CMake and a hand-run build may overlap).
exec 9>"$outdir/.lock"
flock 9 || die "cannot lock $outdir/.lock"

inputs_hash=$(cat "$script" "$agent" "$init_src" "$stamp_lib" "$kernel_lib" | sha256sum | cut -d' ' -f1)

outputs_present() { [[ -s $outdir/vmlinux && -s $outdir/initramfs.img ]]; }

lists_fp=$(apt_lists_fingerprint)
if outputs_present && [[ $(stamp_field inputs) == "$inputs_hash" && $(stamp_field apt-lists) == "$lists_fp" ]]; then
    note "up to date: $outdir"
    exit 0
fi

# Build trees may share one package cache: one of them fetches or prunes it at a time.
exec 8>"$cache_dir/.lock"
flock 8 || die "cannot lock $cache_dir/.lock"

# --- resolve: which kernel and busybox package files ------------------------------------------
# Each line: <package> <version> <filename> <size> <sha256>
resolved_file="$cache_dir/resolved"
resolve() {
    local kpkg kver line uri file size hash
    kpkg=$(apt-cache show --no-all-versions "$KERNEL_META" 2>/dev/null |
           sed -n 's/^Depends: .*\(linux-image-[^ ,]*\) (= \([^)]*\)).*/\1 \2/p' | head -n1) || return 1
    [[ -n $kpkg ]] || return 1
    kver=${kpkg#* }; kpkg=${kpkg% *}
    local uris
    uris=$(apt-get download --print-uris "$kpkg=$kver" "$BUSYBOX_PKG" 2>/dev/null) || return 1
    [[ $(wc -l <<<"$uris") -eq 2 ]] || return 1
    while read -r uri file size hash; do
        [[ $hash == SHA256:* ]] || return 1
        hash=${hash#SHA256:}
        local base=${file%%_*} ver=${file#*_}; ver=${ver%_*}; ver=${ver//%3a/:}
        echo "$base $ver $file $size $hash"
    done <<<"$uris"
}

if resolved=$(resolve) && [[ -n $resolved ]]; then
    printf '%s\n' "$resolved" >"$resolved_file.tmp" && mv "$resolved_file.tmp" "$resolved_file"
elif [[ -s $resolved_file ]]; then
    note "warning: apt could not resolve $KERNEL_META and $BUSYBOX_PKG (no package lists? offline?);" \
         "using the packages resolved last time"
    resolved=$(cat "$resolved_file")
else
    die "apt could not resolve $KERNEL_META and $BUSYBOX_PKG: run 'apt-get update' (needs Debian's repositories)"
fi

full_hash=$( { echo "$inputs_hash"; cut -d' ' -f3- <<<"$resolved"; } | sha256sum | cut -d' ' -f1)
if outputs_present && [[ $(stamp_field build) == "$full_hash" ]]; then
    sed -i "s/^apt-lists .*/apt-lists $lists_fp/" "$stamp"
    note "up to date: $outdir (packages unchanged)"
    exit 0
fi

# --- fetch ------------------------------------------------------------------------------------
t0=$(date +%s%N)
debs=()
while read -r pkg ver file size hash; do
    deb="$cache_dir/debs/$file"
    if [[ ! -f $deb ]] || [[ $(sha256sum "$deb" | cut -d' ' -f1) != "$hash" ]]; then
        rm -f "$deb"
        note "downloading $pkg $ver ($((size / 1024)) KiB)"
        (cd "$cache_dir/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >/dev/null) ||
            die "apt-get download $pkg=$ver failed (network? run 'apt-get update')"
        [[ -f $deb ]] || die "apt-get download $pkg=$ver did not produce $deb"
        [[ $(sha256sum "$deb" | cut -d' ' -f1) == "$hash" ]] || die "$deb: SHA256 mismatch"
    fi
    debs+=("$deb")
done <<<"$resolved"
# Keep the cache to the packages in use.
for deb in "$cache_dir"/debs/*.deb; do
    [[ -e $deb ]] || continue
    keep=0
    for d in "${debs[@]}"; do [[ $d == "$deb" ]] && keep=1; done
    [[ $keep == 1 ]] || rm -f "$deb"
done
kernel_deb= busybox_deb=
for deb in "${debs[@]}"; do
    case $(basename "$deb") in
        linux-image-*) kernel_deb=$deb ;;
        "$BUSYBOX_PKG"_*) busybox_deb=$deb ;;
    esac
done
[[ -n $kernel_deb && -n $busybox_deb ]] || die "resolved packages lack the kernel or busybox: ${debs[*]}"

# --- assemble ---------------------------------------------------------------------------------
work=$(mktemp -d "$outdir/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
kroot="$work/kernel" root="$work/root"
mkdir -p "$kroot" "$root"/{bin,sbin,dev,proc,sys,tmp,run,usr/bin,usr/sbin}

note "extracting $(basename "$kernel_deb")"
# Only what the guest can use: the kernel, its config, and the driver modules.
dpkg-deb --fsys-tarfile "$kernel_deb" |
    tar -x -C "$kroot" --wildcards './boot/vmlinuz-*' './boot/config-*' \
        './lib/modules/*/modules.builtin' './lib/modules/*/kernel/drivers/*' ||
    die "cannot extract $kernel_deb"
vmlinuz=$(ls "$kroot"/boot/vmlinuz-* 2>/dev/null | head -n1)
kconfig=$(ls "$kroot"/boot/config-* 2>/dev/null | head -n1)
[[ -f $vmlinuz && -f $kconfig ]] || die "$kernel_deb has no /boot/vmlinuz-* or /boot/config-*"
kver=${vmlinuz##*/vmlinuz-}
moddir="$kroot/lib/modules/$kver"
[[ -d $moddir ]] || die "$kernel_deb has no /lib/modules/$kver"

config_value() { sed -n "s/^$1=//p" "$kconfig"; }
for sym in "${REQUIRED_BUILTIN[@]}"; do
    [[ $(config_value "$sym") == y ]] || die "kernel $kver: $sym is not built in (=y); the test guest needs it"
done

command -v objcopy >/dev/null || die "objcopy not found (install binutils): needed to read module dependencies"
declare -A ko_path=()
while IFS= read -r -d '' ko; do
    name=${ko##*/}; name=${name%.ko}; ko_path[${name//-/_}]=$ko  # no subshell: thousands of modules
done < <(find "$moddir/kernel" -name '*.ko' -print0)

module_deps() {
    objcopy -O binary --only-section=.modinfo "$1" /dev/stdout 2>/dev/null |
        tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
}
# Depth-first, dependencies before dependents: the order insmod needs.
declare -A visited=()
load_order=()
visit() {
    local m=${1//-/_} dep
    [[ -z ${visited[$m]:-} ]] || return 0
    visited[$m]=1
    local ko=${ko_path[$m]:-}
    [[ -n $ko ]] || die "kernel $kver: module $m not found in the package"
    for dep in $(module_deps "$ko"); do visit "$dep"; done
    load_order+=("$m")
}
for entry in "${WANTED_MODULES[@]}"; do
    m=${entry%%:*} sym=${entry#*:}
    case $(config_value "$sym") in
        y) ;;  # built in
        m) visit "$m" ;;
        *) die "kernel $kver: $sym is not set; the test guest needs $m" ;;
    esac
done

mkdir -p "$root/lib/modules/$kver"
: >"$root/lib/modules/load-order"
for m in "${load_order[@]}"; do
    rel=${ko_path[$m]#"$moddir"/}
    mkdir -p "$root/lib/modules/$kver/$(dirname "$rel")"
    cp "${ko_path[$m]}" "$root/lib/modules/$kver/$rel"
    echo "$rel" >>"$root/lib/modules/load-order"
done
note "kernel $kver, modules: ${load_order[*]}"

dpkg-deb --fsys-tarfile "$busybox_deb" | tar -x -C "$work" ./bin/busybox ||
    die "cannot extract bin/busybox from $busybox_deb"
install -m 0755 "$work/bin/busybox" "$root/bin/busybox"
install -m 0755 "$init_src" "$root/init"
install -m 0755 "$agent" "$root/sbin/berth-guest-agent"

find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$root" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
    cpio --null --create --format=newc --reproducible --owner=0:0 --quiet) |
    gzip -9 -n >"$work/initramfs.img" || die "cannot create the initramfs"
extract_vmlinux "$vmlinuz" "$work/vmlinux" || die "cannot unpack the kernel from $vmlinuz"

# Replace the outputs, then the stamp: an interrupted build leaves no valid stamp behind.
rm -f "$stamp"
mv -f "$work/vmlinux" "$outdir/vmlinux"
rm -f "$outdir/vmlinuz"  # what builds before the ELF kernel wrote
mv -f "$work/initramfs.img" "$outdir/initramfs.img"
{
    echo "kernel $kver"
    echo "modules ${load_order[*]}"
    echo "packages:"
    cut -d' ' -f1,2,5 <<<"$resolved" | sed 's/^/  /'
} >"$outdir/manifest.txt"
write_stamp "inputs $inputs_hash" "apt-lists $lists_fp" "build $full_hash"
t1=$(date +%s%N)
note "built $outdir/vmlinux and initramfs.img ($(stat -c %s "$outdir/initramfs.img") bytes) in $(( (t1 - t0) / 1000000 )) ms"
