# shellcheck shell=bash disable=SC2154  # $stamp is set by the sourcing script
# Sourced by image/build-guest-image.sh and testguest/build-test-guest.sh: what their up-to-date
# checks share. OUTDIR/.stamp holds "name value" lines; a caller sets $stamp to its path first.
# Both callers hash this file into their keys, so a change here rebuilds their outputs.

# apt's view of the archive: the package lists and the sources/preferences that select from them.
apt_lists_fingerprint() {
    local f files=()
    for f in /var/lib/apt/lists/*_Packages* /etc/apt/sources.list /etc/apt/sources.list.d/* \
             /etc/apt/preferences /etc/apt/preferences.d/*; do
        [[ -e $f ]] && files+=("$f")
    done
    { [[ ${#files[@]} -eq 0 ]] || stat -c '%n %s %Y' "${files[@]}"; } | sha256sum | cut -d' ' -f1
}

# The value of the stamp's line NAME; empty without a stamp or such a line.
stamp_field() { if [[ -f $stamp ]]; then sed -n "s/^$1 //p" "$stamp"; fi; }

# Writes the stamp, one "name value" argument a line. The outputs are replaced first and the old
# stamp removed before that: an interrupted build leaves no valid stamp behind.
write_stamp() {
    printf '%s\n' "$@" >"$stamp.tmp"
    mv -f "$stamp.tmp" "$stamp"
}
