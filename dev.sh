#!/usr/bin/env bash
# Berth's developer entry point. On a fresh Debian 12 machine:
#   ./dev.sh run     install build dependencies, build, and launch Berth
#   ./dev.sh test    install build dependencies, build, and run the whole test suite
#   ./dev.sh package build the .deb and .rpm into build/ci/packages
# Each installs what it needs with apt (via sudo when not root) and is safe to re-run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# One list for building, running and testing; see docs/DEVELOPING.md for what each is for.
PACKAGES=(
    build-essential cmake ninja-build pkg-config git binutils
    clang libclang-rt-14-dev clang-format-15 clang-tidy
    qt6-base-dev qt6-base-dev-tools qt6-svg-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools
    libgl-dev
    nlohmann-json3-dev libspdlog-dev libgtest-dev libgmock-dev libssl-dev
    qemu-system-x86 qemu-utils
    libvirt-dev libvirt-daemon-system
    busybox-static cpio mmdebstrap squashfs-tools zstd lz4 xz-utils
    rustc-web cargo-web libseccomp-dev libcap-ng-dev
    xvfb xauth fonts-wqy-microhei
    acl
    rpm lintian mmdebstrap
)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'dev.sh: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

install_dependencies() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        say "Installing ${missing[*]}"
        as_root apt-get update -q
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
    # The test guest is assembled from Debian packages fetched by apt; make sure its lists exist.
    if ! apt-cache policy linux-image-cloud-amd64 2>/dev/null | grep -q Candidate:.*[0-9]; then
        as_root apt-get update -q
    fi
}

build() {
    local preset=$1
    say "Configuring and building ($preset)"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset"
}

run_berth() {
    install_dependencies
    build dev
    local bin=build/dev/bin
    if [[ -x $bin/berth ]]; then
        say "Launching Berth"
        exec "$bin/berth" "$@"
    fi
    exec "$bin/berthctl" status "$@"
}

# What a test may start: marked through the environment (BERTH_TEST_RUN), or known by name for
# what clears the environment (libvirt's QEMU and daemons).
TEST_PROGRAMS='^(qemu-system-.*|qemu-img|libvirtd|virtlogd|virtqemud|virtlockd|dnsmasq|berth.*|tst_.*|dockerd|containerd.*|Xvfb|xvfb-run)$'

# "pid command" of each live process (no zombie, no kernel thread) a test run may have started.
test_processes() {
    local token=$1 dir pid comm state
    for dir in /proc/[0-9]*; do
        pid=${dir#/proc/}
        comm=$(cat "$dir/comm" 2>/dev/null) || continue
        state=$(sed -E 's/.*\) ([A-Z]).*/\1/' "$dir/stat" 2>/dev/null) || continue
        [[ $state == Z || -z $(tr -d '\0' <"$dir/cmdline" 2>/dev/null | head -c 1) ]] && continue
        if [[ $comm =~ $TEST_PROGRAMS ]] || grep -qzx "BERTH_TEST_RUN=$token" "$dir/environ" 2>/dev/null; then
            echo "$pid $(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null | cut -c1-160)"
        fi
    done
}

# Fails, naming them, when processes the tests started are still running once ctest is done
# (they get 10 s to finish exiting), and stops them so they cannot disturb what runs next.
check_leftovers() {
    local token=$1 before=$2 left deadline=$((SECONDS + 10))
    while :; do
        left=$(test_processes "$token" | grep -vxF -f <(printf '%s\n' "$before") || true)
        [[ -z $left || $SECONDS -ge $deadline ]] && break
        sleep 1
    done
    if [[ -z $left ]]; then
        echo "leftover processes: none"
        return 0
    fi
    echo "leftover processes: a test left these running:"
    printf '  %s\n' "$left"
    kill -KILL $(cut -d' ' -f1 <<<"$left") 2>/dev/null || true
    return 1
}

# Runs one CTest preset, keeping its log so the final line can count every run; then checks
# that no process a test started outlives the run.
run_ctest() {
    local preset=$1 log=build/ctest-$1.log token="$1-$$-$RANDOM" before rc=0
    before=$(test_processes "$token")
    BERTH_TEST_RUN=$token ctest --preset "$preset" --output-on-failure -j2 2>&1 | tee "$log" || rc=1
    check_leftovers "$token" "$before" | tee -a "$log" || rc=1
    return $rc
}

# "N passed, N failed" over all runs, the last line CI reads.
summarize() {
    local passed=0 failed=0 line total bad
    for log in "$@"; do
        line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1) || true
        [[ -n $line ]] || continue
        bad=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
        total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
        passed=$((passed + total - bad))
        failed=$((failed + bad))
    done
    echo "ctest: ${passed} passed, ${failed} failed"
}

# Runs one stage ("name" command...), remembering how long it took for the closing table.
STAGES=()
stage() {
    local name=$1 began=$SECONDS rc=0
    shift
    "$@" || rc=$?
    STAGES+=("$(printf '%-28s %5d s' "$name" $((SECONDS - began)))")
    return $rc
}

run_tests() {
    local started=$SECONDS status=0
    stage "install dependencies" install_dependencies
    stage "build (ci)" build ci
    say "Running the test suite (ci preset)"
    stage "tests (ci)" run_ctest ci || status=1
    stage "build (asan)" build asan
    say "Running unit tests and fuzz smoke under ASan + UBSan"
    stage "tests (asan: unit, fuzz)" run_ctest asan || status=1
    say "Test suite finished in $((SECONDS - started)) s"
    printf '  %s\n' "${STAGES[@]}"
    summarize build/ctest-ci.log build/ctest-asan.log
    return $status
}

build_packages() {
    install_dependencies
    build ci
    say "Packaging"
    (cd build/ci && cpack)
    ls -l build/ci/packages/*.deb build/ci/packages/*.rpm
}

case "${1:-}" in
    run) shift; run_berth "$@" ;;
    test) shift; run_tests "$@" ;;
    package) shift; build_packages ;;
    *) die "usage: ./dev.sh run | ./dev.sh test | ./dev.sh package" ;;
esac
