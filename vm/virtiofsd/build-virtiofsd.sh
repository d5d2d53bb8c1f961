#!/usr/bin/env bash
# Builds virtiofsd, the daemon that shares host directories into Berth's VM (docs/file-sharing.md):
# Debian 13's Rust virtiofsd, which Debian 12 does not package, compiled on this host.
#   OUTDIR/virtiofsd    the daemon, stripped (it links glibc, libseccomp and libcap-ng)
#   OUTDIR/doc/         what the packages install as /usr/share/doc/berth/virtiofsd: virtiofsd's
#                       copyright and LICENSE-* files, crates/<crate>-<version>.copyright for each
#                       crate the build compiles, THIRD-PARTY-CRATES.tsv (crate, version, license,
#                       Debian package, linked or build-only) and BUILDINFO
#   OUTDIR/Cargo.lock   the crates the build resolved
#
# Usage: build-virtiofsd.sh [--cache-dir DIR] [--jobs N] OUTDIR
#   --cache-dir DIR   package lists, downloaded crates, cargo's build tree and finished builds, to be
#                     shared by build trees (default: $BERTH_VIRTIOFSD_CACHE_DIR, else OUTDIR/.cache)
#   --jobs N          cargo's parallel jobs (default: one per core)
#
# The source is trixie's librust-virtiofsd-dev: the crate with Debian's patches, from the source
# package Debian's virtiofsd is built from (a .deb, where some archive proxies serve no source
# files). The crates it needs come from the librust-*-dev packages it depends on. apt fetches them
# with a configuration of its own in the cache, from the archives the host's sources name with
# trixie for the host's release: nothing is installed, the host's apt state is left alone, and cargo
# never goes online. The toolchain is Debian 12's rustc-web and cargo-web (bookworm-security; its
# plain rustc, 1.63, is older than the crates allow), run by path in an empty environment so that
# no rustup, ~/.cargo or RUSTFLAGS of the caller's takes part.
#
# Needs rustc-web, cargo-web, libseccomp-dev and libcap-ng-dev (dev.sh installs them), and Debian's
# mirror for a first build. Up-to-date check: a finished build is kept in the cache under a hash of
# this script and the toolchain, and OUTDIR/.stamp names the one OUTDIR holds. With it a run copies
# (under a second); without it a build takes 3 minutes on two idle cores, 5-7 on busy ones.
set -euo pipefail

SUITE=trixie
SOURCE_PACKAGE=librust-virtiofsd-dev
# The release Berth's use of virtiofsd is written and tested against (docs/file-sharing.md).
VERSION_SERIES=1.13
CARGO=/usr/bin/cargo
RUSTC=/usr/bin/rustc
HOST_PACKAGES=(rustc-web cargo-web libseccomp-dev libcap-ng-dev gcc libc6-dev)

prog=build-virtiofsd
die() { echo "$prog: error: $*" >&2; exit 1; }
note() { echo "$prog: $*"; }

cache_dir=${BERTH_VIRTIOFSD_CACHE_DIR:-}
jobs=$(nproc)
outdir=
while [[ $# -gt 0 ]]; do
    case $1 in
        --cache-dir) [[ $# -ge 2 ]] || die "--cache-dir needs a directory"; cache_dir=$2; shift 2 ;;
        --jobs) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || die "--jobs needs a number"; jobs=$2; shift 2 ;;
        -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [[ -z $outdir ]] || die "more than one OUTDIR given"; outdir=$1; shift ;;
    esac
done
[[ -n $outdir ]] || die "usage: $0 [--cache-dir DIR] [--jobs N] OUTDIR"

missing=()
for p in "${HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] || die "missing ${missing[*]} (./dev.sh installs the build's packages)"
for tool in apt-get apt-cache dpkg-deb perl strip objdump flock; do
    command -v "$tool" >/dev/null || die "$tool not found"
done

script=$(realpath "${BASH_SOURCE[0]}")
mkdir -p "$outdir" || die "cannot create $outdir"
outdir=$(cd "$outdir" && pwd)
cache_dir=${cache_dir:-$outdir/.cache}
mkdir -p "$cache_dir/builds" || die "cannot create $cache_dir"
cache_dir=$(cd "$cache_dir" && pwd)
stamp=$outdir/.stamp

exec 9>"$outdir/.lock"
flock 9 || die "cannot lock $outdir/.lock"

# Cargo and rustc see only this environment; their own state lives in the cache.
work=$cache_dir/work
cargo_env=(env -i PATH=/usr/bin:/bin LC_ALL=C.UTF-8 HOME="$work/home" CARGO_HOME="$work/cargo-home"
           CARGO_TARGET_DIR="$work/target" RUSTC="$RUSTC" RUSTDOC=/usr/bin/rustdoc)
toolchain=$("${cargo_env[@]}" "$RUSTC" -vV && "${cargo_env[@]}" "$CARGO" -V) || die "$RUSTC or $CARGO does not run"
key=$( { cat "$script"; echo "$toolchain"; } | sha256sum | cut -c1-16)
result=$cache_dir/builds/$key

outputs_present() { [[ -x $outdir/virtiofsd && -s $outdir/doc/THIRD-PARTY-CRATES.tsv ]]; }
if outputs_present && [[ -f $stamp && $(cat "$stamp") == "build $key" ]]; then
    note "up to date: $outdir"
    exit 0
fi

# Build trees sharing the cache wait for each other here; the second finds the first's build.
exec 8>"$cache_dir/.lock"
flock 8 || die "cannot lock $cache_dir/.lock"
started=$SECONDS

if [[ ! -d $result ]]; then
    # --- apt of its own: trixie's package lists and downloads in the cache --------------------
    apt_dir=$cache_dir/apt
    mkdir -p "$apt_dir/state/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/preferences.d" \
             "$apt_dir/sources.list.d"
    [[ -e $apt_dir/state/status ]] || : >"$apt_dir/state/status"
    # The archives the host's apt sources name for the host's release and its pockets (-updates,
    # -security), asked of apt itself so that both source formats count; only Packages indexes.
    # shellcheck source=/dev/null
    host_release=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [[ -n $host_release ]] || die "/etc/os-release names no VERSION_CODENAME: cannot tell the host's release"
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    # shellcheck disable=SC2016  # $(...) are apt's format fields
    env -u APT_CONFIG apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' |
        awk -v from="$host_release" -v to="$SUITE" -v keyring="$keyring" '
            $2 == from || index($2, from "-") == 1 {
                sub("^" from, to, $2); print "deb [signed-by=" keyring " target=Packages] " $1 " " $2 " main" }' |
        sort -u >"$apt_dir/sources.list"
    [[ -s $apt_dir/sources.list ]] || die "the host's apt sources name no archive for $host_release to take $SUITE from"
    # Read before the host's apt.conf.d, which still applies (proxies, snapshot mirrors' dates).
    cat >"$apt_dir/apt.conf" <<EOF
Dir::State "$apt_dir/state";
Dir::State::status "$apt_dir/state/status";
Dir::Cache "$apt_dir/cache";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Dir::Etc::SourceList "$apt_dir/sources.list";
Dir::Etc::SourceParts "$apt_dir/sources.list.d";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "$apt_dir/preferences.d";
APT::Architecture "$(dpkg --print-architecture)";
APT::Architectures { "$(dpkg --print-architecture)"; };
APT::Sandbox::User "$(id -un)";
Debug::NoLocking "true";
EOF
    export APT_CONFIG=$apt_dir/apt.conf
    if ! apt-get -q update >"$cache_dir/apt-update.log" 2>&1; then
        compgen -G "$apt_dir/state/lists/*_Packages*" >/dev/null ||
            { cat "$cache_dir/apt-update.log" >&2; die "apt-get update for $SUITE failed"; }
        note "apt-get update failed (log: $cache_dir/apt-update.log); going on with the package lists in the cache"
    fi

    apt-cache show "$SOURCE_PACKAGE" >/dev/null 2>&1 || die "$SOURCE_PACKAGE is not in $SUITE"
    debian_version=$(apt-cache show --no-all-versions "$SOURCE_PACKAGE" | sed -n 's/^Version: //p')

    # --- the crates: every librust-* package the source package needs, by Depends and Provides --
    # Other dependencies (the Rust toolchain, libseccomp-dev, ...) are the host's; apt cannot
    # resolve this closure itself without taking trixie's toolchain along.
    apt-cache dumpavail >"$cache_dir/available.txt"
    perl -e '
        my (%known, %provider, %depends);
        local $/ = "";
        open my $fh, "<", $ARGV[0] or die "$ARGV[0]: $!\n";
        while (my $stanza = <$fh>) {
            $stanza =~ s/\n[ \t]+/ /g;
            my %field = map { /^([^:]+):\s*(.*)$/ ? ($1, $2) : () } split /\n/, $stanza;
            my $name = $field{Package} or next;
            next if $known{$name}++;
            $depends{$name} = $field{Depends} // "";
            for (split /\s*,\s*/, $field{Provides} // "") { push @{$provider{$1}}, $name if /^(\S+)/ }
        }
        sub real { my $n = shift; return $known{$n} ? $n : $provider{$n} ? $provider{$n}[0] : undef }
        my (%seen, @missing);
        my @todo = ($ARGV[1]);
        while (defined(my $want = pop @todo)) {
            my $name = real($want);
            if (!defined $name) { push @missing, $want; next }
            next if $seen{$name}++;
            for my $group (split /\s*,\s*/, $depends{$name}) {
                my @crates = grep { /^librust-/ } map { /^\s*([^\s(:]+)/ ? $1 : () } split /\|/, $group;
                next unless @crates;
                my ($found) = grep { defined real($_) } @crates;
                if (defined $found) { push @todo, $found } else { push @missing, $group }
            }
        }
        print "$_\n" for sort keys %seen;
        die "not in the archive: @missing\n" if @missing;
    ' "$cache_dir/available.txt" "$SOURCE_PACKAGE" >"$cache_dir/closure.txt" ||
        die "the crates $SOURCE_PACKAGE needs are not all in $SUITE"
    rm -f "$cache_dir/available.txt"
    mapfile -t closure <"$cache_dir/closure.txt"

    debs_dir=$cache_dir/debs
    mkdir -p "$debs_dir"
    # apt's file names for the current versions; files already in the cache are not fetched again.
    mapfile -t deb_files < <(apt-get download --print-uris "${closure[@]}" | awk '{ print $2 }')
    [[ ${#deb_files[@]} -eq ${#closure[@]} ]] || die "apt names ${#deb_files[@]} files for ${#closure[@]} packages"
    (cd "$debs_dir" && apt-get -q download "${closure[@]}" >"$cache_dir/download.log" 2>&1) ||
        { tail -n 20 "$cache_dir/download.log" >&2; die "downloading the crates failed"; }
    for f in "${deb_files[@]}"; do [[ -s $debs_dir/$f ]] || die "apt did not download $f"; done
    # Only the current versions stay.
    declare -A current=()
    for f in "${deb_files[@]}"; do current[$f]=1; done
    for f in "$debs_dir"/*.deb; do [[ -n ${current[${f##*/}]:-} ]] || rm -f "$f"; done
    unset APT_CONFIG
    note "$SOURCE_PACKAGE $debian_version and ${#closure[@]} crate packages from $SUITE ($((SECONDS - started)) s)"

    # --- unpack: a cargo directory source, and which package each crate came from ---------------
    root=$work/root
    rm -rf "$root" "$work/src"
    mkdir -p "$root" "$work/home" "$work/cargo-home"
    : >"$work/crate-packages.txt"
    for f in "${deb_files[@]}"; do
        dpkg-deb -X "$debs_dir/$f" "$root" |
            sed -n "s#^\./usr/share/cargo/registry/\([^/]*\)/Cargo\.toml\$#\1 ${f%%_*}#p" >>"$work/crate-packages.txt"
    done
    registry=$root/usr/share/cargo/registry
    source=$(find "$registry" -maxdepth 1 -name 'virtiofsd-*' | sort -V | tail -n1)
    [[ -n $source ]] || die "$SOURCE_PACKAGE holds no virtiofsd crate"
    version=${source##*/virtiofsd-}
    [[ $version == "$VERSION_SERIES".* ]] || die "$SUITE has virtiofsd $version, Berth expects $VERSION_SERIES.x"
    cp -a "$source" "$work/src"
    rm -f "$work/src/Cargo.lock"
    printf '[source.crates-io]\nreplace-with = "debian"\n\n[source.debian]\ndirectory = "%s"\n\n[net]\noffline = true\n' \
        "$registry" >"$work/cargo-home/config.toml"
    # No build-machine path in the binary (panic messages name source files): the crates appear at
    # Debian's registry path, the rest under /build. Later prefixes take precedence.
    rustflags=$(printf '%s\x1f%s' "--remap-path-prefix=$work=/build/virtiofsd" \
                                  "--remap-path-prefix=$registry=/usr/share/cargo/registry")
    cargo_env+=(CARGO_ENCODED_RUSTFLAGS="$rustflags")
    cd "$work/src"
    "${cargo_env[@]}" "$CARGO" generate-lockfile --offline >"$work/lock.log" 2>&1 ||
        { cat "$work/lock.log" >&2; die "cargo cannot resolve virtiofsd's dependencies from Debian's crates"; }

    # --- build ------------------------------------------------------------------------------
    note "cargo build --release -j$jobs (virtiofsd $version; the log: $work/build.log)"
    build_started=$SECONDS
    "${cargo_env[@]}" nice -n 10 "$CARGO" build --release --offline --locked -j"$jobs" >"$work/build.log" 2>&1 ||
        { tail -n 40 "$work/build.log" >&2; die "cargo build failed (log: $work/build.log)"; }
    note "compiled in $((SECONDS - build_started)) s"
    built=$work/target/release/virtiofsd

    next=$(mktemp -d "$cache_dir/builds/.new.XXXXXX")
    trap 'rm -rf "$next"' EXIT
    # As dh_strip does: symbols and the compilers' notes go.
    strip --remove-section=.comment --remove-section=.note -o "$next/virtiofsd" "$built"
    chmod 0755 "$next/virtiofsd"

    # --- checks: it runs here, on any Debian 12, and has the options Berth relies on -----------
    host_glibc=$(ldd --version | awk 'NR == 1 { print $NF }')
    needed_glibc=$(objdump -T "$next/virtiofsd" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)
    [[ $(printf '%s\n' "$needed_glibc" "$host_glibc" | sort -V | tail -n1) == "$host_glibc" ]] ||
        die "virtiofsd needs glibc $needed_glibc, the host has $host_glibc"
    [[ $("$next/virtiofsd" --version) == "virtiofsd $version" ]] || die "virtiofsd --version does not say $version"
    help=$("$next/virtiofsd" --help)
    for option in --fd --shared-dir --sandbox --translate-uid --translate-gid; do
        grep -q -- "$option" <<<"$help" || die "virtiofsd --help lists no $option"
    done
    if grep -qaF -- "$cache_dir" "$next/virtiofsd"; then die "virtiofsd holds the build path $cache_dir"; fi

    # --- licences ---------------------------------------------------------------------------
    doc=$next/doc
    mkdir -p "$doc/crates"
    cp "$root/usr/share/doc/$SOURCE_PACKAGE/copyright" "$doc/copyright"
    cp "$work/src"/LICENSE-* "$doc/"
    # "name vVERSION;LICENSE", with (proc-macro), (*) or the workspace's path after some.
    crates() { "${cargo_env[@]}" "$CARGO" tree --offline --locked --prefix none -f '{p};{l}' "$@" |
               sed -E 's/ \((\*|proc-macro)\)//g; s/^([^ ]+) v([^ ;]+)[^;]*;/\1 \2;/' | sort -u; }
    crates -e normal,no-proc-macro >"$work/linked.txt"
    crates -e normal,build >"$work/compiled.txt"
    printf 'crate\tversion\tlicense\tdebian_package\tuse\n' >"$doc/THIRD-PARTY-CRATES.tsv"
    linked=0 build_only=0
    while IFS=';' read -r crate license; do
        name=${crate% *} crate_version=${crate#* }
        [[ $name != virtiofsd ]] || continue
        package=$(awk -v c="$name-$crate_version" '$1 == c { print $2; exit }' "$work/crate-packages.txt")
        [[ -n $package && -f $root/usr/share/doc/$package/copyright ]] ||
            die "no Debian copyright file for crate $name $crate_version"
        cp "$root/usr/share/doc/$package/copyright" "$doc/crates/$name-$crate_version.copyright"
        if grep -qxF "$crate;$license" "$work/linked.txt"; then use=linked linked=$((linked + 1))
        else use=build build_only=$((build_only + 1)); fi
        printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$crate_version" "$license" "$package" "$use" >>"$doc/THIRD-PARTY-CRATES.tsv"
    done <"$work/compiled.txt"
    # What was built from what; no date or path, so that the same inputs give the same file.
    {
        echo "virtiofsd $version, from Debian $SUITE's $SOURCE_PACKAGE $debian_version"
        # shellcheck source=/dev/null
        echo "built on $(. /etc/os-release && echo "$PRETTY_NAME") with $(head -n1 <<<"$toolchain")" \
             "(Debian's rustc-web $(dpkg-query -W -f='${Version}' rustc-web))"
        echo "crates: $linked linked in, $build_only used only to build it (THIRD-PARTY-CRATES.tsv, crates/)"
        echo "links: $(objdump -p "$next/virtiofsd" | awk '/NEEDED/ { printf "%s ", $2 }')(glibc symbols up to $needed_glibc)"
    } >"$doc/BUILDINFO"
    cp "$work/src/Cargo.lock" "$next/Cargo.lock"

    # Older builds go: the cache keeps the one this script makes.
    find "$cache_dir/builds" -mindepth 1 -maxdepth 1 ! -path "$next" -exec rm -rf {} +
    mv "$next" "$result"
    trap - EXIT
    note "built virtiofsd $version in $((SECONDS - started)) s, $(stat -c %s "$result/virtiofsd") bytes"
fi

# --- OUTDIR gets the cached build; the stamp goes first, so an interrupted copy leaves none ------
rm -f "$stamp"
rm -rf "$outdir/doc"
cp -R "$result/doc" "$outdir/doc"
install -m 0755 "$result/virtiofsd" "$outdir/virtiofsd"
install -m 0644 "$result/Cargo.lock" "$outdir/Cargo.lock"
echo "build $key" >"$stamp"
note "virtiofsd in $outdir ($(head -n1 "$outdir/doc/BUILDINFO"))"
