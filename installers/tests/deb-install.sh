#!/usr/bin/env bash
# Installs the .deb into fresh Debian 12 roots, as an administrator would, and checks what the
# issue promises: the files and their modes, the policy deployed from debconf or the environment
# (and shown as a lock), invalid policies failing the install with nothing deployed, upgrades and
# remove keeping the policy and users' data, purge removing only what the package created.
#   deb-install.sh PACKAGE_DIR CACHE_DIR ADMIN_FIXTURES_DIR
set -euo pipefail
packages=$(realpath "$1") cache=$2 fixtures=$(realpath "$3")
if [[ $(id -u) -ne 0 ]]; then
    echo "deb install tests need root (chroot, mount); skipped"
    exit 77
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/debian-chroot.sh"

deb=$(ls "$packages"/*.deb)
upgrade=$(ls "$packages"/upgrade/*.deb)
work=$(mktemp -d "$packages/install-test.XXXXXX")
root=
# /proc is mounted in each root (Qt finds its binary's directory through it); unmount before removing.
drop_root() {
    [[ -n $root ]] || return 0
    umount "$root/proc" 2>/dev/null || true
    rm -rf --one-file-system "$root"
    root=
}
trap 'drop_root; rm -rf --one-file-system "$work"' EXIT
started=$SECONDS
base=$(base_tarball "$cache" "$deb")

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
step() { printf '\n== %s\n' "$*"; }

# One line each, as debconf and environment variables carry them.
locked=$(tr -d '\n' <"$fixtures/eci-locked.json")
unlocked=$(tr -d '\n' <"$fixtures/eci-default-unlocked.json")
trailing_comma=$(tr -d '\n' <"$fixtures/malformed/trailing-comma.json")

in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive "$@"; }
admin_file() { echo "$root/etc/berth/admin-settings.json"; }
# Runs dpkg in the root with extra environment (NAME=VALUE...) before "--"; prints its output.
dpkg_in_root() {
    local env=()
    while [[ $1 != -- ]]; do env+=("$1"); shift; done
    shift
    in_root "${env[@]}" dpkg "$@" 2>&1
}
mode_of() { stat -c '%U:%G %a' "$root/$1" 2>/dev/null || echo missing; }
expect_mode() {  # PATH OWNER:GROUP MODE
    [[ $(mode_of "$1") == "$2 $3" ]] || fail "$1 is $(mode_of "$1"), expected $2 $3"
}
preseed() { in_root debconf-set-selections <<<"berth berth/admin-settings string $1"; }
new_root() {
    root=$(fresh_root "$base" "$work")
    mount -t proc proc "$root/proc"
    cp "$deb" "$root/tmp/berth.deb"
    cp "$upgrade" "$root/tmp/berth-upgrade.deb"
}

step "Plain install: no policy"
new_root
output=$(dpkg_in_root -- -i /tmp/berth.deb) || fail "plain install failed: $output"
expect_mode usr/bin/berth root:root 755
expect_mode usr/bin/berthctl root:root 755
expect_mode usr/libexec/berth/berth-engine root:root 755
expect_mode usr/lib/berth/guest/vmlinux root:root 644
expect_mode usr/lib/berth/guest/initramfs.img root:root 644
expect_mode usr/share/applications/berth.desktop root:root 644
[[ ! -e $root/etc/berth ]] || fail "a plain install created /etc/berth"
list=$(in_root berthctl settings list) || fail "berthctl settings list failed: $list"
grep -qE '^enhancedContainerIsolation +false +default' <<<"$list" || fail "unexpected settings: $list"
in_root berthctl admin show | grep -q 'nothing is managed' || fail "admin show found a policy"
in_root /usr/libexec/berth/berth-engine --help | grep -q '/usr/lib/berth/guest' \
    || fail "berth-engine does not default to the installed guest"
# virtiofsd runs with what the package depends on (the root has nothing else).
if [[ -e $root/usr/lib/berth/bin/virtiofsd ]]; then
    expect_mode usr/lib/berth/bin/virtiofsd root:root 755
    output=$(in_root /usr/lib/berth/bin/virtiofsd --version 2>&1) || true
    [[ $output == 'virtiofsd '* ]] || fail "virtiofsd does not run: $output"
fi

step "A user's own data and settings"
mkdir -p "$root/root/.config/berth" "$root/root/.local/share/berth"
echo '{"vm.cpus": 4}' >"$root/root/.config/berth/settings-store.json"
echo data >"$root/root/.local/share/berth/disk.qcow2"

step "Upgrade with an invalid BERTH_ADMIN_SETTINGS: fails, deploys nothing"
if output=$(dpkg_in_root BERTH_ADMIN_SETTINGS="$trailing_comma" -- -i /tmp/berth-upgrade.deb); then
    fail "the upgrade accepted a trailing comma"
fi
echo "$output"
grep -q -- '--admin-settings:1:[0-9]*: error: trailing comma' <<<"$output" || fail "no line:col in: $output"
[[ ! -e $(admin_file) ]] || fail "an invalid policy was deployed"

step "BERTH_ADMIN_SETTINGS on the retried configure: deployed and locked"
output=$(dpkg_in_root BERTH_ADMIN_SETTINGS="$locked" -- --configure berth) || fail "configure failed: $output"
expect_mode etc/berth root:root 755
expect_mode etc/berth/admin-settings.json root:root 644
[[ $(cat "$(admin_file)") == "$locked" ]] || fail "deployed policy differs: $(cat "$(admin_file)")"
list=$(in_root berthctl settings list)
grep -qE '^enhancedContainerIsolation +true +admin lock .*locked by /etc/berth/admin-settings.json' <<<"$list" \
    || fail "the lock is not shown: $list"
grep -qE '^vm.cpus +4 +user' <<<"$list" || fail "the user's own setting was lost: $list"

step "Remove keeps the policy and the user's data"
output=$(dpkg_in_root -- -r berth) || fail "remove failed: $output"
[[ ! -e $root/usr/bin/berthctl ]] || fail "remove left berthctl"
[[ $(cat "$(admin_file)") == "$locked" ]] || fail "remove changed the policy"

step "Purge removes what the package created, not the user's data"
output=$(dpkg_in_root -- -P berth) || fail "purge failed: $output"
[[ ! -e $root/etc/berth ]] || fail "purge left /etc/berth: $(ls -la "$root/etc/berth")"
[[ ! -e $root/var/lib/berth ]] || fail "purge left /var/lib/berth"
[[ -s $root/root/.config/berth/settings-store.json && -s $root/root/.local/share/berth/disk.qcow2 ]] \
    || fail "purge touched the user's data"
drop_root

step "Preseeded invalid policy: the install fails, nothing is deployed"
new_root
preseed "$trailing_comma"
if output=$(dpkg_in_root -- -i /tmp/berth.deb); then fail "the install accepted a trailing comma"; fi
echo "$output"
grep -q -- 'trailing comma' <<<"$output" || fail "the checker's message is missing: $output"
[[ ! -e $(admin_file) && ! -e $root/etc/berth ]] || fail "an invalid preseed deployed something"

step "Preseeded valid policy: deployed on configure"
preseed "$locked"
output=$(dpkg_in_root -- --configure berth) || fail "configure failed: $output"
expect_mode etc/berth/admin-settings.json root:root 644
[[ $(cat "$(admin_file)") == "$locked" ]] || fail "deployed policy differs"
in_root berthctl settings list | grep -q 'locked by /etc/berth/admin-settings.json' || fail "no lock shown"
in_root berthctl settings set enhancedContainerIsolation=false >/dev/null 2>&1 && fail "set ignored the lock"

step "Upgrade keeps a policy the administrator changed since"
in_root berthctl admin deploy --force --admin-settings="$unlocked" >/dev/null
output=$(dpkg_in_root -- -i /tmp/berth-upgrade.deb) || fail "upgrade failed: $output"
[[ $(cat "$(admin_file)") == "$unlocked" ]] || fail "the upgrade replaced the administrator's policy"
[[ $(in_root dpkg-query -W -f='${Version}' berth) == *+upgrade1 ]] || fail "the upgrade was not installed"

step "dpkg-reconfigure deploys the debconf answer again"
preseed "$locked"
output=$(in_root dpkg-reconfigure -fnoninteractive berth 2>&1) || fail "dpkg-reconfigure failed: $output"
[[ $(cat "$(admin_file)") == "$locked" ]] || fail "dpkg-reconfigure did not deploy the answer"

step "Purge after a preseeded install"
output=$(dpkg_in_root -- -P berth) || fail "purge failed: $output"
[[ ! -e $root/etc/berth ]] || fail "purge left /etc/berth"
in_root debconf-show berth 2>/dev/null | grep -q admin-settings && fail "purge left the debconf answer"

step "A policy the package did not deploy survives purge"
mkdir -p "$root/etc/berth"
printf '%s\n' "$locked" >"$(admin_file)"
output=$(dpkg_in_root -- -i /tmp/berth.deb) || fail "install over an existing policy failed: $output"
in_root berthctl settings list | grep -q 'locked by /etc/berth/admin-settings.json' || fail "no lock shown"
output=$(dpkg_in_root -- -P berth) || fail "purge failed: $output"
[[ -s $(admin_file) ]] || fail "purge removed a policy the package did not deploy"
drop_root

echo "deb install tests took $((SECONDS - started)) s"
[[ $failures -eq 0 ]] || { echo "$failures problems" >&2; exit 1; }
echo "deb install: ok"
