#!/bin/bash
# The host side of the engine endpoint with the full guest under TCG, as a user drives it
# (tst_engine_e2e covers the rest: echo hello, volumes, a hard kill, refused clients):
#   the certificates are private; the engine creates the docker context "berth" but leaves the
#   current context alone; `berthctl restart` keeps the engine port (so the context stays valid);
#   `berthctl stop --force` (QMP quit) leaves a clean qcow2, the next start reports the fsck
#   repair and the data is still there; `berthctl reset --data` keeps a backup.
# Everything lives in a temporary HOME/XDG/DOCKER_CONFIG: the user's own files are never touched.
# Usage: engine_e2e.sh <bin dir with berthctl and berth-engine> <guest image dir>
set -euo pipefail
# as-ordinary-user.sh names the account it runs this as; root here would hide what users meet.
if [[ -n ${BERTH_E2E_RUN_AS:-} && $(id -u) == 0 ]]; then
    echo "this test must run as the ordinary user $BERTH_E2E_RUN_AS, not as root" >&2
    exit 1
fi
BIN=$1
GUEST=$2
WORK=$(mktemp -d /tmp/berth-e2e.XXXXXX)
export HOME=$WORK/home XDG_DATA_HOME=$WORK/data XDG_CONFIG_HOME=$WORK/config XDG_STATE_HOME=$WORK/state
export XDG_RUNTIME_DIR=$WORK/run DOCKER_CONFIG=$WORK/docker-config
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
INSTANCE=$XDG_DATA_HOME/berth/vm/default
CERTS=$XDG_DATA_HOME/berth/certs
DOCKER=$(command -v docker || echo "$GUEST/docker")

cleanup() {
    "$BIN/berthctl" stop --force >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
step() { printf '[ e2e ] %s (%s s)\n' "$*" "$SECONDS"; }
fail() { printf '[ e2e ] FAILED: %s\n' "$*" >&2; for f in "$XDG_STATE_HOME"/berth/logs/*.log "$INSTANCE/serial.log"; do echo "== $f"; tail -30 "$f"; done >&2; exit 1; }
expect() {  # expect <what> <needle> <haystack>
    [[ $3 == *"$2"* ]] || fail "$1: expected \"$2\" in: $3"
}

"$BIN/berthctl" settings set vm.memoryMiB=1536 vm.cpus=2 >/dev/null

step "start"
out=$("$BIN/berthctl" start 2>&1) || fail "berthctl start: $out"
[[ -f $CERTS/cert.pem && -f $CERTS/key.pem && -f $CERTS/ca.pem ]] || fail "no client certificate in $CERTS"
[[ $(stat -c %a "$CERTS/key.pem") == 600 && $(stat -c %a "$CERTS") == 700 ]] || fail "certificate permissions"
port=$(cat "$INSTANCE/engine-port")

step "docker --context berth version"
out=$("$DOCKER" --context berth version 2>&1) || fail "docker version: $out"
expect "docker version" "API version" "$out"
expect "current context" "default" "$("$DOCKER" context show)"

step "a volume to find again"
mkdir -p "$WORK/rootfs/bin" && cp /bin/busybox "$WORK/rootfs/bin/"
tar -C "$WORK/rootfs" -cf "$WORK/tiny.tar" .
"$DOCKER" --context berth import "$WORK/tiny.tar" berth-e2e-tiny:1 >/dev/null || fail "docker import"
"$DOCKER" --context berth run --rm -v berth-e2e:/data berth-e2e-tiny:1 /bin/busybox sh -c 'echo kept > /data/f' \
    || fail "writing the volume"

step "restart keeps the engine port"
out=$("$BIN/berthctl" restart 2>&1) || fail "berthctl restart: $out"
[[ $(cat "$INSTANCE/engine-port") == "$port" ]] || fail "the engine port changed from $port"
"$DOCKER" --context berth version >/dev/null 2>&1 || fail "the context does not reach the restarted engine"

step "forced stop (QMP quit), then start: the qcow2 is clean and fsck reports the repair"
"$BIN/berthctl" stop --force >/dev/null 2>&1 || fail "stop --force"
qemu-img check -q "$INSTANCE/data.qcow2" || fail "qemu-img check after a forced stop"
out=$("$BIN/berthctl" start 2>&1) || fail "start after a forced stop: $out"
expect "fsck after an unclean stop" "repaired by fsck" "$out"
expect "volume after a forced stop" "kept" "$("$DOCKER" --context berth run --rm -v berth-e2e:/data berth-e2e-tiny:1 /bin/busybox cat /data/f 2>&1)"

step "reset --data keeps a backup"
out=$("$BIN/berthctl" reset --data --yes 2>&1) || fail "reset --data: $out"
expect "reset --data" "To restore the old one" "$out"
compgen -G "$INSTANCE/data.qcow2.backup-*" >/dev/null || fail "no backup of the data disk"
[[ ! -e $INSTANCE/data.qcow2 ]] || fail "the data disk is still in place"
step "passed"
