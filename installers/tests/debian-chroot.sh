#!/usr/bin/env bash
# Shared by the package tests: a fresh Debian 12 root with the .deb's dependencies, made once by
# mmdebstrap and kept as a tarball named by what it holds, then unpacked per scenario.
#   source debian-chroot.sh; base=$(base_tarball CACHE_DIR DEB); root=$(fresh_root "$base" WORK_DIR)
set -euo pipefail

# The .deb's Depends as plain package names (first alternative, no versions), sorted.
dependency_names() {
    dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' \
        | grep -v '^$' | sort -u
}

# Prints the tarball's path, building it when the cache has none for this dependency set.
base_tarball() {
    local cache=$1 deb=$2 names key tarball
    names=$(dependency_names "$deb")
    # Everything that decides the root's contents is in the key: change the mmdebstrap options
    # below and this line changes with them.
    local suite=bookworm options=(--variant=apt)
    key=$(printf '%s %s\n%s\n' "$suite" "${options[*]}" "$names" | sha256sum | cut -c1-16)
    tarball="$cache/debian12-berth-deps-$key.tar"
    if [[ ! -f $tarball || ! -s $tarball ]]; then
        mkdir -p "$cache"
        echo "Making the Debian 12 base root ($(wc -l <<<"$names") packages) in $tarball" >&2
        local dir
        dir=$(mktemp -d "$cache/.root.XXXXXX")
        # Into a directory, then tar: mmdebstrap's own tar output passes through a dash
        # redirection that cannot name a descriptor above 9, and the test runner may hold more.
        (for fd in /proc/self/fd/*; do fd=${fd##*/}; [[ $fd -gt 2 ]] && eval "exec $fd>&-"; done 2>/dev/null
         exec mmdebstrap --quiet --format=directory "${options[@]}" --include="$(paste -sd, <<<"$names")" \
             "$suite" "$dir") >&2 || { rm -rf "$dir"; return 1; }
        tar -C "$dir" --numeric-owner -cf "$tarball.partial" . || { rm -rf "$dir"; return 1; }
        rm -rf "$dir"
        mv "$tarball.partial" "$tarball"
    fi
    echo "$tarball"
}

# Unpacks the base into a new directory under WORK_DIR and prints it.
fresh_root() {
    local tarball=$1 work=$2 root
    mkdir -p "$work"
    root=$(mktemp -d "$work/root.XXXXXX")
    tar -C "$root" --numeric-owner -xf "$tarball"
    echo "$root"
}
