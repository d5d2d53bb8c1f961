# shellcheck shell=bash
# Sourced by image/build-guest-image.sh and testguest/build-test-guest.sh: the kernel both guests
# boot. Both callers hash this file into their keys, so a change here rebuilds their outputs.
#
# Debian ships a bzImage: a small decompressor with the kernel packed inside (zstd in trixie, lz4
# in bookworm). Under TCG that decompressor, and the firmware's copy of the image, cost the full
# guest 1.5 s before the kernel's first instruction. Given the uncompressed ELF instead, QEMU loads
# it straight into guest memory and enters it at its PVH entry point (docs/performance.md).

# The little-endian 32-bit and 8-bit numbers at byte OFFSET of FILE.
bzimage_u32() { od -An -t u4 --endian=little -j "$2" -N 4 "$1" | tr -d ' '; }
bzimage_u8() { od -An -t u1 -j "$2" -N 1 "$1" | tr -d ' '; }

# Writes the ELF kernel packed in BZIMAGE to OUT (the output of `scripts/extract-vmlinux`, but read
# from the header's payload fields rather than searched for). Fails unless OUT is complete (the
# length the bzImage records) and has a PVH entry point.
extract_vmlinux() {
    local bzimage=$1 out=$2 setup_sects payload_offset payload_length start magic expected size decompress
    [[ $(od -An -c -j 514 -N 4 "$bzimage" | tr -d ' ') == HdrS ]] || {
        echo "$bzimage: not a bzImage (no HdrS header)" >&2
        return 1
    }
    setup_sects=$(bzimage_u8 "$bzimage" 497)
    ((setup_sects > 0)) || setup_sects=4
    payload_offset=$(bzimage_u32 "$bzimage" 584)
    payload_length=$(bzimage_u32 "$bzimage" 588)
    start=$(((setup_sects + 1) * 512 + payload_offset))
    # The packer appends the uncompressed length as 4 bytes the decompressors do not expect.
    expected=$(bzimage_u32 "$bzimage" $((start + payload_length - 4)))
    magic=$(od -An -t x1 -j "$start" -N 4 "$bzimage" | tr -d ' ')
    case $magic in
        28b52ffd) decompress=(zstd -dcq) ;;
        02214c18) decompress=(lz4 -dcq) ;;
        fd377a58) decompress=(xz -dcq) ;;
        1f8b*) decompress=(gzip -dcq) ;;
        *)
            echo "$bzimage: unknown kernel compression (payload starts with $magic)" >&2
            return 1
            ;;
    esac
    command -v "${decompress[0]}" >/dev/null || {
        echo "$bzimage: its kernel is packed with ${decompress[0]}, which is not installed (./dev.sh installs it)" >&2
        return 1
    }
    dd if="$bzimage" bs=64K iflag=skip_bytes,count_bytes skip="$start" count=$((payload_length - 4)) status=none |
        "${decompress[@]}" >"$out" || {
        echo "$bzimage: cannot decompress its kernel with ${decompress[0]}" >&2
        return 1
    }
    size=$(stat -c %s "$out")
    [[ $size == "$expected" ]] || {
        echo "$bzimage: its kernel decompressed to $size bytes, the header says $expected" >&2
        return 1
    }
    # XEN_ELFNOTE_PHYS32_ENTRY (18): the entry QEMU's -kernel uses for an ELF image.
    LC_ALL=C readelf -n "$out" | grep -q 'Xen .*(0x00000012)' || {
        echo "$bzimage: its kernel has no PVH entry point (CONFIG_PVH)" >&2
        return 1
    }
}
