#!/usr/bin/env bash
# Builds Berth's guest image from Debian packages (see README.md beside this script):
#   OUTDIR/vmlinux        linux-image-cloud-amd64's kernel, uncompressed (ELF, booted at its PVH
#                         entry: see ../boot-kernel.sh)
#   OUTDIR/initramfs.img  busybox, the drivers to reach the root, and ./init: mounts the
#                         read-only squashfs root under a tmpfs overlay and hands PID 1 to the agent
#   OUTDIR/root.squashfs  docker.io, containerd, runc, iptables, e2fsprogs, the kernel's modules
#                         and Berth's guest programs (in /usr/lib/berth/bin)
#   OUTDIR/docker         the docker client of the same suite, for hosts without one
#   OUTDIR/cli-plugins/   docker-compose and docker-buildx of the same suite (trixie only)
#   OUTDIR/manifest.txt   suite, kernel and package versions
#
# Usage: build-guest-image.sh --programs DIR [--suite SUITE] [--cache-dir DIR] OUTDIR
#   --programs DIR    Berth's static guest programs (berth-guest-agent, ...), copied into the root
#   --suite SUITE     the Debian release the guest is built from: trixie (default) or bookworm;
#                     its archive is the one the host's own apt sources name
#   --cache-dir DIR   downloaded packages and the base root, kept between builds (default:
#                     $BERTH_GUEST_CACHE_DIR, else OUTDIR/.cache)
#
# Needs root (mmdebstrap --mode=root, files owned by the guest's users) and Debian's mirrors
# the first time. Up-to-date check: OUTDIR/.stamp holds a hash of this script, init, the
# programs and the state of apt's package lists; while they are unchanged a run costs a second.
set -euo pipefail

SUPPORTED_SUITES=(bookworm trixie)
# What the root holds. No Recommends; the kernel is not installed through apt (its postinst
# would build an initramfs we do not use): its files are unpacked from the .deb instead.
ROOT_PACKAGES=(docker.io containerd runc iptables e2fsprogs kmod iproute2 busybox-static)
KERNEL_META=linux-image-cloud-amd64
# Per suite, what the image hands to the host without installing it in the root: the docker client
# (bookworm's is part of docker.io, so it comes from the root) and the CLI plugins.
declare -A SUITE_HOST_PACKAGES=([bookworm]="" [trixie]="docker-cli docker-compose docker-buildx")
# Drivers the initramfs loads (with their dependencies) to mount the root.
INITRAMFS_MODULES=(virtio_pci virtio_blk squashfs overlay)
# Fixed timestamps make the images reproducible for the same packages.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}

prog=build-guest-image
die() { echo "$prog: error: $*" >&2; exit 1; }
note() { echo "$prog: $*"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

cache_dir=${BERTH_GUEST_CACHE_DIR:-}
programs_dir=
suite=trixie
outdir=
while [[ $# -gt 0 ]]; do
    case $1 in
        --cache-dir) [[ $# -ge 2 ]] || die "--cache-dir needs a directory"; cache_dir=$2; shift 2 ;;
        --programs) [[ $# -ge 2 ]] || die "--programs needs a directory"; programs_dir=$2; shift 2 ;;
        --suite) [[ $# -ge 2 ]] || die "--suite needs a Debian release name"; suite=$2; shift 2 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [[ -z $outdir ]] || die "more than one OUTDIR given"; outdir=$1; shift ;;
    esac
done
[[ -n $outdir && -n $programs_dir ]] || die "usage: $0 --programs DIR [--suite SUITE] [--cache-dir DIR] OUTDIR"
[[ " ${SUPPORTED_SUITES[*]} " == *" $suite "* ]] || die "unknown suite '$suite' (one of: ${SUPPORTED_SUITES[*]})"
[[ -x $programs_dir/berth-guest-agent ]] || die "$programs_dir/berth-guest-agent is missing (build the guest programs first)"
if [[ $(id -u) != 0 ]]; then
    # The root filesystem holds files owned by several users: only root can assemble it.
    command -v sudo >/dev/null || die "needs root (the guest's root holds files of several users); run the build as root"
    exec sudo --preserve-env=BERTH_GUEST_CACHE_DIR,SOURCE_DATE_EPOCH "$0" --programs "$programs_dir" --suite "$suite" \
        ${cache_dir:+--cache-dir "$cache_dir"} "$outdir"
fi
for tool in mmdebstrap mksquashfs cpio chroot apt-get dpkg-deb readelf; do
    command -v "$tool" >/dev/null || die "$tool not found (./dev.sh installs the build's packages)"
done

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
script="$src_dir/$(basename "${BASH_SOURCE[0]}")"
init_src="$src_dir/init"
unpack_hook="$src_dir/unpack-packages.sh"
stamp_lib="$src_dir/../build-stamp.sh"
kernel_lib="$src_dir/../boot-kernel.sh"
# shellcheck source-path=SCRIPTDIR/.. source=build-stamp.sh
source "$stamp_lib"
# shellcheck source-path=SCRIPTDIR/.. source=boot-kernel.sh
source "$kernel_lib"
programs_dir=$(cd "$programs_dir" && pwd)
mkdir -p "$outdir" || die "cannot create $outdir"
outdir=$(cd "$outdir" && pwd)
cache_dir=${cache_dir:-$outdir/.cache}
debs_dir=$cache_dir/image-debs/$suite
mkdir -p "$debs_dir" || die "cannot create $cache_dir"
cache_dir=$(cd "$cache_dir" && pwd)
debs_dir=$cache_dir/image-debs/$suite
[[ $cache_dir != *[[:space:]]* ]] || die "the cache directory must not contain spaces: $cache_dir"
stamp="$outdir/.stamp"

exec 9>"$outdir/.lock"
flock 9 || die "cannot lock $outdir/.lock"

outputs_present() { [[ -s $outdir/vmlinux && -s $outdir/initramfs.img && -s $outdir/root.squashfs && -x $outdir/docker ]]; }

# The guest's apt sources: each Debian archive the host's own sources name for the host's release
# (its suites and their -updates, -security, ... pockets), with the release swapped for the
# guest's; other repositories are left out. One-line format, signed-by kept.
guest_sources() {
    local host_suite f
    host_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [[ -n $host_suite ]] || die "/etc/os-release names no VERSION_CODENAME: cannot tell the host's release"
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -s $f ]] || continue
        awk -v from="$host_suite" -v to="$suite" '
            $1 == "deb" { i = 2; opts = ""
                if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) { opts = opts " " $i; i++ } opts = opts " " $i; i++ }
                uri = $i; dist = $(i + 1)
                if (dist != from && index(dist, from "-") != 1) next
                sub("^" from, to, dist)
                line = "deb" opts " " uri " " dist
                for (j = i + 2; j <= NF; j++) line = line " " $j
                print line }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -s $f ]] || continue
        awk -v from="$host_suite" -v to="$suite" '
            function flush(   i, j, u, s, n, m, line) {
                if (types ~ /(^| )deb( |$)/ && enabled !~ /^[Nn]o/) {
                    n = split(uris, u, " "); m = split(suites, s, " ")
                    for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) {
                        if (s[j] != from && index(s[j], from "-") != 1) continue
                        line = s[j]; sub("^" from, to, line)
                        print "deb" (signed != "" ? " [signed-by=" signed "]" : "") " " u[i] " " line " " comps
                    }
                }
                types = uris = suites = comps = signed = enabled = ""
            }
            /^[ \t]*$/ { flush(); next }
            /^#/ { next }
            { key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
              if (key == "types") types = val; else if (key == "uris") uris = val
              else if (key == "suites") suites = val; else if (key == "components") comps = val
              else if (key == "signed-by") signed = val; else if (key == "enabled") enabled = val }
            END { flush() }' "$f"
    done
}
sources_list=$(guest_sources)
[[ -n $sources_list ]] || die "the host's apt sources name no Debian archive for its own release to build the $suite guest from"

lists_fp=$(apt_lists_fingerprint)
# The base root depends on the suite, its sources, the package lists and the archive's state as
# the host's lists see it; the image also on init and programs.
base_key=$( { echo "$suite"; echo "$sources_list"; sed -n '/^SUPPORTED_SUITES=/,/^SOURCE_DATE_EPOCH=/p' "$script"
              cat "$unpack_hook"; echo "$lists_fp"; } | sha256sum | cut -c1-16)
image_key=$( { cat "$script" "$init_src" "$stamp_lib" "$kernel_lib"; (cd "$programs_dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); echo "$base_key"; } |
             sha256sum | cut -d' ' -f1)
if outputs_present && [[ $(stamp_field image) == "$image_key" ]]; then
    note "up to date: $outdir"
    exit 0
fi

exec 8>"$cache_dir/.image-lock"
flock 8 || die "cannot lock $cache_dir/.image-lock"
t_start=$(now_ms)

# --- base root: mmdebstrap, cached as a tarball by base_key ------------------------------------
base_tar="$cache_dir/guest-base-$suite-$base_key.tar"
if [[ ! -s $base_tar ]]; then
    note "building the $suite base root with mmdebstrap (${ROOT_PACKAGES[*]})"
    includes=$(IFS=,; echo "${ROOT_PACKAGES[*]}")
    # Downloaded .debs are synced in and out of the cache, so a rebuild downloads only what changed.
    base_dir=$(mktemp -d "$cache_dir/.base.XXXXXX")
    # mmdebstrap's hooks pass data through a new descriptor in dash, which cannot name one above
    # 9: run it with only stdin, stdout and stderr open (ninja leaves more open than a shell does).
    (for fd in /proc/self/fd/*; do fd=${fd##*/}; [[ $fd -gt 2 ]] && eval "exec $fd>&-"; done 2>/dev/null
     exec mmdebstrap --mode=root --variant=essential --format=directory --include="$includes" \
        --aptopt='APT::Install-Recommends "false"' \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
        --skip=essential/unlink \
        --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
        --setup-hook="sync-in $debs_dir /var/cache/apt/archives/" \
        --customize-hook="$unpack_hook \"\$1\" .berth-extra/kernel $KERNEL_META^" \
        ${SUITE_HOST_PACKAGES[$suite]:+--customize-hook="$unpack_hook \"\$1\" .berth-extra/host ${SUITE_HOST_PACKAGES[$suite]}"} \
        --customize-hook="sync-out /var/cache/apt/archives $debs_dir" \
        --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb' \
        --customize-hook='chroot "$1" dpkg-query -W -f "\${Package} \${Version}\n" > "$1"/packages.txt' \
        "$suite" "$base_dir" - <<<"$sources_list") >"$cache_dir/mmdebstrap.log" 2>&1 ||
        { tail -n 30 "$cache_dir/mmdebstrap.log" >&2; rm -rf "$base_dir"; die "mmdebstrap failed (log: $cache_dir/mmdebstrap.log)"; }
    tar -C "$base_dir" --numeric-owner -cf "$base_tar.tmp" . || { rm -rf "$base_dir"; die "cannot write $base_tar"; }
    rm -rf "$base_dir"
    mv -f "$base_tar.tmp" "$base_tar"
    # Only this suite's older roots: another suite's build may share the cache.
    find "$cache_dir" -maxdepth 1 -name "guest-base-$suite-*.tar" ! -name "$(basename "$base_tar")" -delete
    note "base root in $(( ($(now_ms) - t_start) / 1000 )) s"
fi

work=$(mktemp -d "$outdir/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"
tar -x -C "$root" --numeric-owner -f "$base_tar" || die "cannot unpack $base_tar"

# --- kernel: vmlinux and all modules, unpacked from the suite's .deb by the base's hook --------
kroot="$root/.berth-extra/kernel"
vmlinuz=$(ls "$kroot"/boot/vmlinuz-* 2>/dev/null | head -n1)
[[ -n $vmlinuz ]] || die "the base root holds no kernel (delete $base_tar to rebuild it)"
kver=${vmlinuz##*/vmlinuz-}
# bookworm's kernel puts its modules in /lib/modules, trixie's (merged /usr) in /usr/lib/modules.
kmods=$kroot/lib/modules
[[ -d $kmods/$kver ]] || kmods=$kroot/usr/lib/modules
mkdir -p "$root/lib/modules"
cp -a "$kmods/$kver" "$root/lib/modules/"
# The root's own kmod: the build machine need not have one.
chroot "$root" depmod "$kver" || die "depmod failed for $kver"
# berth-modprobe refuses binfmt-* requests unseen (../agent/src/module_request.h): none may exist.
! grep -q '^alias binfmt-' "$root/lib/modules/$kver/modules.alias" ||
    die "kernel $kver has a module for a binfmt-* alias, which berth-modprobe would never load"
mkdir -p "$work/out"
extract_vmlinux "$vmlinuz" "$work/out/vmlinux" || die "cannot unpack the kernel from $vmlinuz"
cat "$kroot/packages.txt" >>"$root/packages.txt"
# The docker client and CLI plugins of the suite, for the host.
host_extra=$root/.berth-extra/host
if [[ -x $host_extra/usr/bin/docker ]]; then
    install -m 0755 "$host_extra/usr/bin/docker" "$work/out/docker"
else
    install -m 0755 "$root/usr/bin/docker" "$work/out/docker"
fi
if [[ -d $host_extra/usr/libexec/docker/cli-plugins ]]; then
    mkdir -p "$work/out/cli-plugins"
    install -m 0755 "$host_extra"/usr/libexec/docker/cli-plugins/docker-* "$work/out/cli-plugins/"
fi
[[ ! -f $host_extra/packages.txt ]] || cat "$host_extra/packages.txt" >>"$root/packages.txt"
rm -rf "$root/.berth-extra"

# --- Berth's programs and the root's own configuration ------------------------------------------
install -d -m 0755 "$root/usr/lib/berth/bin"
install -m 0755 "$programs_dir"/* "$root/usr/lib/berth/bin/"
install -d -m 0755 "$root/etc/docker" "$root/var/lib/docker" "$root/etc/berth"
echo berth >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tberth\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# Writable at run time (tmpfs overlay); the agent fills it from QEMU's user network.
: >"$root/etc/resolv.conf"
# dockerd's start runs iptables about 70 times; under TCG the legacy backend answers each call
# several times faster than iptables-nft (which reads the whole ruleset over netlink every time).
for cmd in iptables ip6tables; do
    chroot "$root" update-alternatives --quiet --set "$cmd" "/usr/sbin/$cmd-legacy" || die "cannot select $cmd-legacy"
done
# First on the PATH the agent gives dockerd: iptables at a fixed address layout, several times
# faster under TCG (../agent/src/fixed_layout_exec_main.cpp).
install -d -m 0755 "$root/usr/lib/berth/fixed-layout"
for cmd in iptables ip6tables; do
    ln -s ../bin/berth-fixed-layout-exec "$root/usr/lib/berth/fixed-layout/$cmd"
done
# Docker's containerd needs no CRI (that is for Kubernetes); skipping it saves seconds per boot.
# Nor the snapshotters for filesystems the guest has not: dockerd keeps images in its own overlay2
# store (daemon_json.cpp), and the aufs one alone runs a failing modprobe at every start.
install -d -m 0755 "$root/etc/containerd"
{
    echo 'version = 2'
    echo 'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",'
    echo '  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",'
    echo '  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.blockfile"]'
} >"$root/etc/containerd/config.toml"
mv "$root/packages.txt" "$work/packages.txt"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/* "$root"/boot

# --- initramfs ------------------------------------------------------------------------------
iroot="$work/initramfs"
mkdir -p "$iroot"/{bin,dev,proc,sys,newroot,lib/modules}
install -m 0755 "$root/bin/busybox" "$iroot/bin/busybox"
install -m 0755 "$init_src" "$iroot/init"
: >"$iroot/lib/modules/load-order"
# modprobe prints the insmod lines in dependency order; built-in modules print "builtin".
while read -r verb path _; do
    [[ $verb == insmod ]] || continue
    rel=${path#"/lib/modules/$kver/"}
    [[ -f $iroot/lib/modules/$rel ]] && continue
    mkdir -p "$iroot/lib/modules/$(dirname "$rel")"
    cp "$root$path" "$iroot/lib/modules/$rel"
    echo "$rel" >>"$iroot/lib/modules/load-order"
done < <(chroot "$root" modprobe -S "$kver" --show-depends -a "${INITRAMFS_MODULES[@]}" ||
         die "modprobe cannot resolve ${INITRAMFS_MODULES[*]} in $kver")
[[ -s $iroot/lib/modules/load-order ]] || grep -q . <<<"$(chroot "$root" modprobe -S "$kver" --show-depends -a "${INITRAMFS_MODULES[@]}")" ||
    die "modprobe cannot resolve ${INITRAMFS_MODULES[*]} in kernel $kver"
find "$iroot" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$iroot" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
    cpio --null --create --format=newc --reproducible --owner=0:0 --quiet) |
    gzip -6 -n >"$work/initramfs.img" || die "cannot create the initramfs"

# --- squashfs root --------------------------------------------------------------------------
# lz4: the fastest to decompress (what matters under TCG) and to build.
t_sq=$(now_ms)
mksquashfs "$root" "$work/root.squashfs" -comp lz4 -noappend -quiet -no-progress \
    -mkfs-time "$SOURCE_DATE_EPOCH" -all-time "$SOURCE_DATE_EPOCH" >/dev/null ||
    die "mksquashfs failed"
note "squashfs root: $(( $(stat -c %s "$work/root.squashfs") / 1048576 )) MiB in $(( ($(now_ms) - t_sq) / 1000 )) s"

rm -f "$stamp"
mv -f "$work/out/vmlinux" "$outdir/vmlinux"
rm -f "$outdir/vmlinuz"  # what builds before the ELF kernel wrote
rm -rf "$outdir/cli-plugins"
[[ ! -d $work/out/cli-plugins ]] || mv "$work/out/cli-plugins" "$outdir/cli-plugins"
mv -f "$work/initramfs.img" "$outdir/initramfs.img"
mv -f "$work/root.squashfs" "$outdir/root.squashfs"
mv -f "$work/out/docker" "$outdir/docker"
{
    echo "suite $suite"
    echo "kernel $kver"
    echo "initramfs modules $(tr '\n' ' ' <"$iroot/lib/modules/load-order")"
    echo "programs $(cd "$programs_dir" && ls | tr '\n' ' ')"
    echo "packages:"
    sed 's/^/  /' "$work/packages.txt"
} >"$outdir/manifest.txt"
write_stamp "image $image_key"
note "built $outdir in $(( ($(now_ms) - t_start) / 1000 )) s"
