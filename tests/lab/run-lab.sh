#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The VM lab (issue 7): garpd on a real kernel's active-backup bond, a bridge
# with guests on it and VLANs, all scenarios in ONE VM boot.
#
# Usage: tests/lab/run-lab.sh BUILD_DIR [SOURCE_DIR]
# GARPD_LAB_ONLY=9,4 runs just those scenarios (after the common setup).
#
# Boots ../shared/lab/run-vm (beside the checkout; GARPD_RUN_VM overrides)
# with the source tree and the build dir shared read-only and a scratch dir
# (BUILD_DIR/tests/lab/lab-out: garpd.log, monitor.log, frames-*.txt,
# results.json, vm.out) shared read-write, and runs lab_scenarios.py inside.
# Fetches the VM kernel into the cache first when needed (run-vm --prepare).
#
# Exit: 0 all passed, 1 a failure, 77 (skip) when the VM runner is missing or
# qemu cannot run at all -- with the reason on stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd -P)
build=$(cd "${1:?usage: run-lab.sh BUILD_DIR [SOURCE_DIR]}" && pwd -P)
src=$(cd "${2:-$here/../..}" && pwd -P)
top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null || echo "$src")
run_vm=${GARPD_RUN_VM:-$top/../shared/lab/run-vm}

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -f "$run_vm" ] || skip "no VM runner at $run_vm (the project's shared/lab/ folder belongs beside the checkout)"
[ -x "$run_vm" ] || skip "$run_vm is not executable"
command -v "${LAB_VM_QEMU:-qemu-system-x86_64}" >/dev/null ||
	skip "qemu cannot run: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86 busybox-static kmod cpio)"
for p in cpio /usr/sbin/depmod; do
	command -v "$p" >/dev/null || skip "the VM runner needs $p (apt-get install cpio kmod)"
done
[ -x /bin/busybox ] || skip "the VM runner needs a static busybox (apt-get install busybox-static)"
[ "$(uname -m)" = x86_64 ] || skip "the lab VM is x86-64 only (this is $(uname -m))"

garpd=$build/daemon/garpd/garpd
capture=$build/tests/netns/netns_capture
for b in "$garpd" "$capture"; do
	[ -x "$b" ] || fail "$b is not built (ninja -C $build daemon/garpd/garpd tests/netns/netns_capture)"
done

# First use on a fresh machine: download the kernel into the cache (~12 s).
t0=$(date +%s.%N)
"$run_vm" --prepare >&2 || fail "run-vm --prepare could not fetch/build the VM kernel (status $?): needs 'apt-get update' and the Debian mirror once"
t_prep=$(date +%s.%N)

out=$build/tests/lab/lab-out
rm -rf "$out"
mkdir -p "$out"
shares=(--share "$src")
case $build/ in "$src"/*) ;; *) shares+=(--share "$build");; esac
shares+=(--share-rw "$out")

# vm.out: the VM's output with host wall-clock seconds since qemu's start, so
# the boot (until the script's first line) and the guest's own clock can be compared.
start_us=${EPOCHREALTIME/./}
set +e
LAB_VM_TIMING=1 "$run_vm" "${shares[@]}" --timeout "${GARPD_LAB_TIMEOUT:-900}" \
	"$here/lab_scenarios.py" --src "$src" --garpd "$garpd" --capture "$capture" --out "$out" \
	${GARPD_LAB_ONLY:+--only "$GARPD_LAB_ONLY"} \
	2>&1 | while IFS= read -r line; do
		printf '%s\n' "$line"
		el=$(( (${EPOCHREALTIME/./} - start_us) / 100000 ))
		printf '[%4d.%d] %s\n' $((el / 10)) $((el % 10)) "$line" >> "$out/vm.out"
	done
rc=${PIPESTATUS[0]}
set -e
t_end=$(date +%s.%N)
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
echo "lab: run-vm --prepare $(secs "$t0" "$t_prep") s, VM run $(secs "$t_prep" "$t_end") s wall time; logs in $out" >&2

if [ "$rc" = 125 ] && [ ! -e "$out/started" ]; then
	skip "qemu could not boot the lab VM (run-vm exit 125 before the script started; see above)"
fi
[ "$rc" = 124 ] && fail "the lab VM hit its timeout"
exit "$rc"
