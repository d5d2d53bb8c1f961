#!/bin/bash
# Runs one test program as an ordinary user, the way Berth's users run it: no root, its own
# XDG_RUNTIME_DIR, libvirt through qemu:///session. When the suite itself runs as root (CI), a
# throw-away account is made for this run and removed afterwards together with everything it
# started (the session libvirtd and virtlogd included); run by anyone else, the program simply
# runs as them.
#
#   as-ordinary-user.sh PROGRAM [ARGS...]
#
# The program gets the caller's BERTH_*, QT*, QTEST_* and *SAN_OPTIONS variables, LANG and CI.
# Where the program, or a path those variables name, lies behind a folder only root may enter,
# the account gets an ACL entry on that folder, removed with the account.
set -euo pipefail

(($# >= 1)) || { echo "usage: $0 PROGRAM [ARGS...]" >&2; exit 2; }
if [[ $(id -u) != 0 ]]; then exec env BERTH_E2E_RUN_AS="$(id -un)" "$@"; fi

readonly prefix=berth-t
# Accounts of earlier runs that were killed before they could clean up (their creator is gone).
while IFS=: read -r name _; do
    [[ $name =~ ^${prefix}([0-9]+)$ ]] || continue
    kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
    pkill -KILL -u "$name" 2>/dev/null || true
    userdel --remove "$name" 2>/dev/null || true
done </etc/passwd

user="${prefix}$$"
useradd --create-home --user-group --shell /bin/bash "$user"
uid=$(id -u "$user")
home=$(getent passwd "$user" | cut -d: -f6)
runtime="/run/user/$uid"
acl_dirs=()

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    # Everything the account started: the test, QEMU, and the session daemons libvirt spawned.
    pkill -KILL -u "$user" 2>/dev/null || true
    for _ in $(seq 100); do
        pgrep -u "$user" >/dev/null || break
        sleep 0.1  # waiting for the kernel to reap what was just killed
    done
    for dir in "${acl_dirs[@]}"; do setfacl -x "u:$user" "$dir" 2>/dev/null || true; done
    rm -rf "$runtime"
    userdel --remove "$user" 2>/dev/null || true
    exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

install -d -m 0700 -o "$user" -g "$user" "$runtime"

# Lets the account through every folder on the way to `path` (a folder itself included) that it
# could not otherwise enter.
grant_way_to() {
    local dir
    dir=$(realpath -m "$1")
    [[ -d $dir ]] || dir=$(dirname "$dir")
    while [[ $dir != / ]]; do
        if ! runuser -u "$user" -- test -x "$dir"; then
            setfacl -m "u:$user:x" "$dir"
            acl_dirs+=("$dir")
        fi
        dir=$(dirname "$dir")
    done
}
program=$(realpath "$(command -v "$1")")
grant_way_to "$program"
# The folders and programs the test is told of (BERTH_TEST_GUEST_DIR, BERTH_E2E_BIN_DIR, ...).
while IFS= read -r name; do
    [[ $name == BERTH_* && ${!name} == /* && -e ${!name} ]] && grant_way_to "${!name}"
done < <(compgen -e)

environment=("BERTH_E2E_RUN_AS=$user" "HOME=$home" "USER=$user" "LOGNAME=$user" "SHELL=/bin/bash"
    "XDG_RUNTIME_DIR=$runtime" "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
    "LANG=${LANG:-C.UTF-8}")
while IFS= read -r name; do
    [[ $name =~ ^(BERTH_|QT|QTEST_|CI$|[A-Z]+SAN_OPTIONS$) && $name != BERTH_E2E_RUN_AS ]] \
        && environment+=("$name=${!name}")
done < <(compgen -e)

shift
echo "as-ordinary-user: running $program as $user (uid $uid), XDG_RUNTIME_DIR=$runtime"
# Not exec: the trap above must outlive the program to clean up after it.
cd "$home"
runuser -u "$user" -- env -i "${environment[@]}" "$program" "$@"
