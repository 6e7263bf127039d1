#!/usr/bin/env bash
# images/selftest.sh [--out DIR] — end-to-end check of the base images (root, Podman).
#
# Builds all images (skipped when up to date) and checks: a second build is "up to
# date" in < 3 s; labhub/shell runs ping/ip/curl; labhub/desktop answers RFB on
# 5900 (read inside the container); the tiny VM boots in labhub/vm-launcher on an
# --internal network next to a labhub/shell peer: serial shell (hi-42, boot time),
# ping both ways by name, VNC, a TCP port of the VM reached from the launcher, QMP
# powerdown, persistence on the same overlay, SIGTERM stop, a disk that cannot boot;
# containerdisk.sh output (/disk/disk.qcow2 owned by 107). The VM's channels live in
# the launcher's network namespace: the checks reach them with nsenter.
# Everything it creates (containers, network, images, temp dirs) is removed at
# the end. The tiny disk goes to --out DIR (default: a temp dir). Needs python3.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
P=(podman --runtime runc)
U=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
TMP=$(mktemp -d /tmp/labhub-selftest.XXXXXX)
OUT=$TMP/images
[[ ${1:-} == --out ]] && OUT=${2:?--out DIR}
ID=labhub-selftest-$$
NET=$ID-net PEER=$ID-peer VM=$ID-vm DESK=$ID-desktop CDISK=localhost/$ID-disk
fails=0

cleanup() {
  local c
  for c in "$VM" "$PEER" "$DESK"; do "${P[@]}" rm -f -t 1 "$c" >/dev/null 2>&1 || true; done
  "${P[@]}" network rm "$NET" >/dev/null 2>&1 || true
  "${P[@]}" rmi "$CDISK" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
ok() { printf 'ok   %s\n' "$*"; }
bad() { printf 'FAIL %s\n' "$*"; fails=$((fails + 1)); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# serial PID T0 CMD... — the tiny VM's serial console, through tools/serial-console.py in the
# network namespace of PID
serial() { local pid=$1; shift; nsenter -t "$pid" -n python3 "$HERE/tools/serial-console.py" "$@"; }
vmpid() { "${P[@]}" inspect -f '{{.State.Pid}}' "$VM"; }

echo "== build"
for n in $("$HERE/build.sh" --list); do
  "$HERE/build.sh" "$n" --out "$OUT"
  t=$(now)
  if "$HERE/build.sh" "$n" --out "$OUT" | grep -q 'up to date'; then
    s=$(since "$t")
    awk -v s="$s" 'BEGIN { exit !(s < 3) }' && ok "$n: second build up to date in $s s" || bad "$n: second build took $s s"
  else
    bad "$n: second build was not up to date"
  fi
done

echo "== labhub/shell"
if out=$("${P[@]}" run --rm "${U[@]}" labhub/shell bash -c 'ping -V; ip -V; curl --version | head -1' 2>&1); then
  ok "ping/ip/curl: $(tr '\n' ' ' <<<"$out" | cut -c1-100)…"
else
  bad "shell: $out"
fi

echo "== labhub/desktop"
"${P[@]}" run -d --name "$DESK" "${U[@]}" labhub/desktop >/dev/null
t=$(now) banner=''
for _ in $(seq 100); do
  banner=$("${P[@]}" exec "$DESK" bash -c 'exec 3<>/dev/tcp/127.0.0.1/5900; head -c 12 <&3' 2>/dev/null) && break
  sleep 0.1
done
[[ $banner == 'RFB 003.008' ]] && ok "RFB banner after $(since "$t") s" || bad "desktop banner '$banner'"
"${P[@]}" rm -f -t 5 "$DESK" >/dev/null

echo "== tiny VM in labhub/vm-launcher"
mkdir -p "$TMP/disk"
"${P[@]}" network create --internal "$NET" >/dev/null
"${P[@]}" run -d --name "$PEER" --network "$NET" --no-hosts "${U[@]}" labhub/shell >/dev/null
startvm() {
  T0=$(now)
  "${P[@]}" run -d --name "$VM" --hostname "$VM" --network "$NET" --no-hosts \
    --cap-add NET_ADMIN --cap-add NET_RAW --device /dev/net/tun "${U[@]}" \
    -v "$TMP/disk:/vm/disk" -v "$(realpath "$OUT"):/images:ro" \
    -e VM_DISK=/vm/disk/disk.qcow2 -e VM_BASE_DISK=/images/tiny.qcow2 \
    -e VM_KERNEL=/images/tiny.vmlinuz -e VM_INITRD=/images/tiny.initrd \
    -e VM_MEMORY_MIB=256 -e VM_ACCEL=tcg labhub/vm-launcher >/dev/null
}
startvm
out=$(serial "$(vmpid)" "$T0" 'echo hi-$((6*7))' "ping -c1 -W3 $PEER >/dev/null && echo ping-ok" \
  'echo persisted-$((6*7)) >/root/file; sync; echo written' \
  'mkdir -p /tmp/www; echo web-$((6*7)) >/tmp/www/index.html; httpd -p 8080 -h /tmp/www; echo httpd') || true
grep -q '^hi-42$' <<<"$out" && ok "serial shell answers hi-42, boot to prompt $(sed -n 's/^prompt //p' <<<"$out") s" || bad "serial: $out"
grep -q '^ping-ok$' <<<"$out" && ok "VM pings $PEER by name" || bad "VM -> peer ping: $out"
"${P[@]}" exec "$PEER" ping -c1 -W3 "$VM" >/dev/null && ok "peer pings the VM as $VM" || bad "peer -> VM ping"
"${P[@]}" logs "$VM" 2>/dev/null | grep -q '^labhub: booted after' && ok "the launcher reports the boot: $("${P[@]}" logs "$VM" 2>/dev/null | grep '^labhub: booted')" || bad "no 'labhub: booted' line"
v=$(nsenter -t "$(vmpid)" -n python3 -c "import socket; s=socket.create_connection(('127.0.0.1', 5900)); print(s.recv(12).decode().strip())")
[[ $v == 'RFB 003.008' ]] && ok "VNC (127.0.0.1:5900 in the launcher) answers $v" || bad "VNC '$v'"
ip=$("${P[@]}" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$VM")
w=$(nsenter -t "$(vmpid)" -n python3 -c "import socket,sys; s=socket.create_connection((sys.argv[1], 8080), 5); s.sendall(b'GET / HTTP/1.0\r\n\r\n'); print(s.makefile().read().strip().split()[-1])" "$ip" 2>&1)
[[ $w == web-42 ]] && ok "TCP to the VM ($ip:8080) from the launcher's namespace" || bad "TCP to the VM: '$w'"
nsenter -t "$(vmpid)" -n python3 - <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect("\0labhub-vm/qmp"); f = s.makefile("rw")
f.readline(); f.write('{"execute": "qmp_capabilities"}\n'); f.flush(); f.readline()
f.write('{"execute": "system_powerdown"}\n'); f.flush(); f.readline()
EOF
t=$(now)
if timeout 30 "${P[@]}" wait "$VM" >/dev/null; then ok "QMP system_powerdown: container exited after $(since "$t") s"; else bad "no exit after system_powerdown"; fi
"${P[@]}" rm -f "$VM" >/dev/null
startvm
out=$(serial "$(vmpid)" "$T0" 'cat /root/file') || true
grep -q '^persisted-42$' <<<"$out" && ok "file persisted across a restart on the same overlay" || bad "persistence: $out"
t=$(now)
"${P[@]}" stop -t 10 "$VM" >/dev/null && ok "SIGTERM stop in $(since "$t") s"
c=$("${P[@]}" inspect -f '{{.State.ExitCode}}' "$VM")
[[ $c == 0 ]] && ok "stopped launcher exit code 0" || bad "stopped launcher exit code $c"
"${P[@]}" rm -f "$VM" >/dev/null
qemu-img create -q -f qcow2 "$TMP/disk/zeros.qcow2" 64M
t=$(now)
"${P[@]}" run -d --name "$VM" --network "$NET" --no-hosts --cap-add NET_ADMIN --cap-add NET_RAW --device /dev/net/tun "${U[@]}" \
  -v "$TMP/disk:/vm/disk" -e VM_DISK=/vm/disk/zeros.qcow2 -e VM_ACCEL=tcg labhub/vm-launcher >/dev/null
c=$(timeout 60 "${P[@]}" wait "$VM" 2>/dev/null || echo timeout)
e=$("${P[@]}" logs "$VM" 2>&1 | tail -n1)
[[ $c == 3 && $e == *'not bootable'* ]] && ok "a disk of zeros: exit 3 after $(since "$t") s, '$e'" || bad "disk of zeros: exit $c, '$e'"

echo "== containerdisk.sh"
"$HERE/containerdisk.sh" "$OUT/tiny.qcow2" "$CDISK" >/dev/null
"${P[@]}" save "$CDISK" -o "$TMP/cd.tar" >/dev/null 2>&1
mkdir -p "$TMP/cd" && tar -C "$TMP/cd" -xf "$TMP/cd.tar"
listing=$(for l in "$TMP"/cd/*.tar "$TMP"/cd/*/layer.tar; do [[ -f $l ]] && tar -tvf "$l"; done 2>/dev/null)
grep -Eq '107/107 .* disk/disk\.qcow2$' <<<"$listing" && ok "containerDisk has /disk/disk.qcow2 owned by 107:107" || bad "containerdisk: $listing"

echo
if ((fails)); then echo "$fails check(s) failed"; exit 1; fi
echo "all checks passed"
