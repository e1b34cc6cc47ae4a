#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The configured unit passes `systemd-analyze verify` (ExecStart and
# ExecReload pointed at the built programs, since nothing is installed here)
# and keeps its exposure low.
set -euo pipefail
unit_src=$1 garpd=$2 garpctl=$3
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e "s|^ExecStart=[^ ]*/garpd |ExecStart=$garpd |" \
	-e "s|^ExecReload=[^ ]*/garpctl |ExecReload=$garpctl |" "$unit_src" > "$tmp/garpd.service"
grep -q "^ExecStart=$garpd " "$tmp/garpd.service"
grep -q "^ExecReload=$garpctl reload" "$tmp/garpd.service"
systemd-analyze verify --man=no "$tmp/garpd.service"
exposure=$(systemd-analyze security --offline=yes "$tmp/garpd.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for garpd.service: \([0-9.]*\).*/\1/p')
echo "exposure: $exposure"
# README records the figure; a unit that loosens its fences fails here.
awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 2.0) }'
