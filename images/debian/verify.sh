#!/usr/bin/env bash
# images/debian/verify.sh [--out DIR] [--screenshot FILE.png] — boot the debian VM
# disk for real and check it (root, Podman, python3, qemu-img, nsenter).
#
# Runs debian.qcow2 (+ debian.vmlinuz/debian.initrd) from DIR (default
# ${LABHUB_DATA_DIR:-./data}/images; build it first: images/build.sh debian) the
# way the local runtime does: in a labhub/vm-launcher container on an --internal
# Podman network, next to a labhub/shell peer, on a qcow2 overlay (6 GiB, larger
# than the image: the root file system must grow), with a NoCloud seed dir
# (VM_SEED_DIR) whose user-data writes /root/seeded, under TCG with 1 vCPU and
# 1 GiB. Checks, through the serial console (abstract socket @labhub-vm/serial in
# the launcher's network namespace, reached with nsenter):
#   - a root shell on ttyS0, and the boot-to-prompt time (from `podman run`)
#   - the hostname given by DHCP/cloud-init, `systemctl is-system-running` =
#     running (no failed unit), cloud-init ran the user-data (/root/seeded), the root file
#     system grew to the disk, the VM pings the peer by name and the peer the VM
#   - the graphical session: Xorg, openbox and xterm run, and the VNC screen
#     (127.0.0.1:5900 in the launcher's namespace) answers RFB 003.008 and shows
#     the desktop: its background colour on 30-95 % of the screen and windows (the
#     terminal, the panel) in many colours; --screenshot saves it as a PNG
#   - QMP system_powerdown powers the VM off (the launcher exits 0), and a second
#     boot on the same overlay keeps /root/seeded (and is timed too)
#   - a boot on a new overlay without a seed: cloud-init stays disabled (timed)
# Removes every container, network and temp file it made. Exit 0 when all passed.
set -euo pipefail
IMAGES=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

OUT=${LABHUB_DATA_DIR:-./data}/images
SHOT=''
while (($#)); do
  case $1 in
    --out) OUT=${2:?--out DIR}; shift ;;
    --screenshot) SHOT=${2:?--screenshot FILE}; shift ;;
    *) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
  shift
done
OUT=$(realpath "$OUT")
for f in debian.qcow2 debian.vmlinuz debian.initrd; do
  [[ -f $OUT/$f ]] || { echo "error: no $OUT/$f (build it: images/build.sh debian --out $OUT)" >&2; exit 2; }
done
[[ $(id -u) == 0 ]] || { echo "error: run as root (podman, nsenter)" >&2; exit 2; }

P=(podman --runtime runc)
U=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/labhub-debian-verify.XXXXXX")
ID=labhub-dverify-$$
NET=$ID-net PEER=$ID-peer VM=$ID-vm HOST=debian-vm
fails=0

cleanup() {
  local c
  for c in "$VM" "$PEER"; do "${P[@]}" rm -f -t 1 "$c" >/dev/null 2>&1 || true; done
  "${P[@]}" network rm "$NET" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ok() { printf 'ok   %s\n' "$*"; }
bad() { printf 'FAIL %s\n' "$*"; fails=$((fails + 1)); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# serial T0 CMD... — the VM's serial console through tools/serial-console.py: Debian takes
# minutes to boot without KVM and a command may wait for systemd, so the waits are long

# vnc.py [PNG] — an RFB 3.8 client: print "banner", then "WxH colours=N bg=F" for a
# full raw framebuffer (bg: share of the desktop background #2e3440); PNG: save it
cat >"$TMP/vnc.py" <<'EOF'
import socket, struct, sys, zlib
s = socket.create_connection(("127.0.0.1", 5900), 10)
def rx(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c: raise EOFError("VNC closed")
        b += c
    return b
banner = rx(12)
print(banner.decode().strip(), flush=True)
s.sendall(b"RFB 003.008\n")
types = rx(rx(1)[0])
if 1 not in types: sys.exit("no 'None' security type: %r" % types)
s.sendall(b"\x01")
if struct.unpack(">I", rx(4))[0] != 0: sys.exit("security handshake failed")
s.sendall(b"\x01")
w, h = struct.unpack(">HH", rx(4)); rx(16); rx(struct.unpack(">I", rx(4))[0])
# 32 bpp, depth 24, little endian, true colour, 8 bits each: R<<16 | G<<8 | B
s.sendall(struct.pack(">B3xBBBBHHHBBB3x", 0, 32, 24, 0, 1, 255, 255, 255, 16, 8, 0))
s.sendall(struct.pack(">BxHi", 2, 1, 0))
s.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, w, h))
fb = bytearray(w * h * 4)
got = 0
while got < w * h:
    t = rx(1)[0]
    if t == 0:
        rx(1); n = struct.unpack(">H", rx(2))[0]
        for _ in range(n):
            x, y, rw, rh, enc = struct.unpack(">HHHHi", rx(12))
            if enc != 0: sys.exit("unexpected encoding %d" % enc)
            data = rx(rw * rh * 4)
            for row in range(rh):
                o = ((y + row) * w + x) * 4
                fb[o:o + rw * 4] = data[row * rw * 4:(row + 1) * rw * 4]
            got += rw * rh
    elif t == 2: pass
    elif t == 3: rx(3); rx(struct.unpack(">I", rx(4))[0])
    else: sys.exit("unexpected message %d" % t)
px = memoryview(bytes(fb)).cast("I")
counts = {}
for v in px[::7]:
    counts[v & 0xFFFFFF] = counts.get(v & 0xFFFFFF, 0) + 1
bg = counts.get(0x2E3440, 0) / sum(counts.values())
print("%dx%d colours=%d bg=%.2f" % (w, h, len(counts), bg), flush=True)
if len(sys.argv) > 1:
    raw = b"".join(b"\0" + bytes(c for i in range(w) for c in ((px[r * w + i] >> 16) & 255, (px[r * w + i] >> 8) & 255, px[r * w + i] & 255)) for r in range(h))
    chunk = lambda k, d: struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d))
    with open(sys.argv[1], "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
EOF

# session "WxH colours=N bg=F": the screen shows the desktop (see vnc.py)
session() { awk -v s="$1" 'BEGIN { split(s, a, /[ =]/); exit !(a[3] > 10 && a[5] > 0.3 && a[5] < 0.95) }'; }
vmpid() { "${P[@]}" inspect -f '{{.State.Pid}}' "$VM"; }
serial() { nsenter -t "$(vmpid)" -n python3 "$IMAGES/tools/serial-console.py" --wait 300 --poke 10 --timeout 300 "$@"; }
vnc() { nsenter -t "$(vmpid)" -n python3 "$TMP/vnc.py" "$@"; }

mkdir -p "$TMP/seed"
cat >"$TMP/seed/user-data" <<'EOF'
#cloud-config
runcmd:
  - [sh, -c, "echo seeded > /root/seeded"]
EOF
printf '{"instance-id": "%s", "local-hostname": "%s"}\n' "$ID-$HOST" "$HOST" >"$TMP/seed/meta-data"
qemu-img create -q -f qcow2 -F qcow2 -b "$OUT/debian.qcow2" "$TMP/disk.qcow2" 6G

"${P[@]}" network create --internal "$NET" >/dev/null
"${P[@]}" run -d --name "$PEER" --network "$NET" --no-hosts "${U[@]}" labhub/shell >/dev/null
# as src/server/runtime/local/vm/launcher.ts runs it (1 vCPU, 1 GiB)
# startvm DISK [noseed]
startvm() {
  local seed=(-v "$TMP/seed:/vm/seed:ro" -e VM_SEED_DIR=/vm/seed)
  [[ ${2:-} != noseed ]] || seed=()
  T0=$(now)
  "${P[@]}" run -d --name "$VM" --hostname "$HOST" --network "$NET" --network-alias "$HOST" --no-hosts \
    --cap-add NET_ADMIN --cap-add NET_RAW --device /dev/net/tun "${U[@]}" \
    --cpus 1.25 --memory 1280m --memory-swap 1280m --pids-limit 512 \
    -v "$1:/vm/disk.qcow2" -v "$OUT:$OUT:ro" "${seed[@]}" \
    -e VM_DISK=/vm/disk.qcow2 -e VM_KERNEL="$OUT/debian.vmlinuz" -e VM_INITRD="$OUT/debian.initrd" \
    -e VM_NAME="$VM" -e VM_HOSTNAME="$HOST" -e VM_CPUS=1 -e VM_MEMORY_MIB=1024 \
    -e VM_ACCEL=tcg -e VM_BOOT_TIMEOUT=120 labhub/vm-launcher >/dev/null
}

# the system state must be "running": "degraded" means a unit failed (listed by $FAILED_UNITS)
FAILED_UNITS='echo "failed units: $(systemctl --failed --no-legend --plain | cut -d" " -f1 | tr "\n" " ")"'
system_state() {
  if grep -qx running <<<"$1"; then
    ok "systemctl is-system-running: running$2"
  else
    bad "system state$2: $(grep -Ex 'initializing|starting|degraded|maintenance|stopping|offline|unknown' <<<"$1" | head -n1), $(grep '^failed units:' <<<"$1")"
  fi
}

echo "== first boot (cloud-init seed, overlay 6 GiB)"
startvm "$TMP/disk.qcow2"
out=$(serial "$T0" 'hostname' 'timeout 300 systemctl is-system-running --wait' 'cat /root/seeded' \
  "$FAILED_UNITS" \
  "df -BM --output=size / | tail -n1" "ping -c1 -W3 $PEER >/dev/null && echo ping-ok" \
  'for p in Xorg openbox xterm; do pgrep -x $p >/dev/null && echo running-$p; done' \
  'systemd-analyze | head -n1' 'cloud-init status' 2>&1) || true
printf '%s\n' "$out" | sed 's/^/     | /'
p=$(sed -n 's/^prompt //p' <<<"$out")
[[ -n $p ]] && ok "root shell on the serial console $p s after podman run (first boot, cloud-init)" || bad "no root prompt on the serial console"
BOOT1=$p
"${P[@]}" logs "$VM" 2>/dev/null | grep -q '^labhub: booted after' && ok "launcher: $("${P[@]}" logs "$VM" 2>/dev/null | grep '^labhub: booted')" || bad "no 'labhub: booted' line"
grep -qx "$HOST" <<<"$out" && ok "hostname $HOST" || bad "hostname is not $HOST"
system_state "$out" ''
grep -qx seeded <<<"$out" && ok "cloud-init ran the seed's user-data (/root/seeded)" || bad "/root/seeded missing"
size=$(grep -Eo '^ *[0-9]+M$' <<<"$out" | tr -d ' M' | head -n1 || true)
[[ -n $size ]] && ((size > 5000)) && ok "root file system grew to the 6 GiB disk (${size} MB)" || bad "root file system size '${size}'"
grep -qx ping-ok <<<"$out" && ok "the VM pings $PEER by name" || bad "VM -> peer ping"
"${P[@]}" exec "$PEER" ping -c1 -W3 "$HOST" >/dev/null && ok "the peer pings the VM as $HOST" || bad "peer -> VM ping"
[[ $(grep -c '^running-' <<<"$out") == 3 ]] && ok "Xorg, openbox and xterm run" || bad "graphical session: $(grep '^running-' <<<"$out" | tr '\n' ' ')"

v=$(vnc 2>&1 | head -n1 || true)
[[ $v == 'RFB 003.008' ]] && ok "VNC answers $v" || bad "VNC banner '$v'"
screen='' t=$(now)
for _ in $(seq 60); do
  screen=$(vnc ${SHOT:+"$SHOT"} 2>&1 | tail -n1 || true)
  # the session: the desktop's background colour on much of the screen, and windows
  # (the terminal, the panel) on the rest, in many colours (anti-aliased text)
  session "$screen" && break
  sleep 2
done
session "$screen" && ok "VNC screen shows the graphical session after $(since "$t") s more: $screen${SHOT:+ (saved to $SHOT)}" ||
  bad "VNC screen: '$screen'"

# (every check reports, even after a failed one: nothing here may end the script early)
nsenter -t "$(vmpid)" -n python3 - <<'EOF' || bad "QMP system_powerdown could not be sent"
import socket
s = socket.socket(socket.AF_UNIX); s.connect("\0labhub-vm/qmp"); f = s.makefile("rw")
f.readline(); f.write('{"execute": "qmp_capabilities"}\n'); f.flush(); f.readline()
f.write('{"execute": "system_powerdown"}\n'); f.flush(); f.readline()
EOF
t=$(now)
if c=$(timeout 120 "${P[@]}" wait "$VM" 2>/dev/null); then
  [[ $c == 0 ]] && ok "QMP system_powerdown: the VM powered off in $(since "$t") s (launcher exit 0)" || bad "launcher exit code $c after powerdown"
else
  bad "no power-off within 120 s of system_powerdown"
fi
"${P[@]}" rm -f "$VM" >/dev/null || true

echo "== second boot (same overlay, same seed)"
startvm "$TMP/disk.qcow2"
out=$(serial "$T0" 'cat /root/seeded' 'timeout 300 systemctl is-system-running --wait' "$FAILED_UNITS" 2>&1) || true
printf '%s\n' "$out" | sed 's/^/     | /'
BOOT2=$(sed -n 's/^prompt //p' <<<"$out")
[[ -n $BOOT2 ]] && ok "root shell on the serial console $BOOT2 s after podman run (second boot)" || bad "no root prompt on the second boot"
grep -qx seeded <<<"$out" && ok "/root/seeded persisted on the overlay" || bad "/root/seeded lost"
system_state "$out" ' (second boot)'
t=$(now)
"${P[@]}" stop -t 10 "$VM" >/dev/null && ok "podman stop in $(since "$t") s" || bad "podman stop"
"${P[@]}" rm -f "$VM" >/dev/null || true

echo "== boot without a seed (new overlay): cloud-init stays off"
qemu-img create -q -f qcow2 -F qcow2 -b "$OUT/debian.qcow2" "$TMP/plain.qcow2"
startvm "$TMP/plain.qcow2" noseed
out=$(serial "$T0" 'hostname' 'cloud-init status' 'timeout 300 systemctl is-system-running --wait' "$FAILED_UNITS" 'systemd-analyze | head -n1' 2>&1) || true
printf '%s\n' "$out" | sed 's/^/     | /'
BOOT3=$(sed -n 's/^prompt //p' <<<"$out")
[[ -n $BOOT3 ]] && ok "root shell on the serial console $BOOT3 s after podman run (no seed)" || bad "no root prompt without a seed"
grep -qx "$HOST" <<<"$out" && ok "hostname $HOST (kernel command line / DHCP)" || bad "hostname without a seed"
grep -qx 'status: disabled' <<<"$out" && ok "cloud-init is disabled without a seed" || bad "cloud-init status without a seed"
system_state "$out" ' (no seed)'
"${P[@]}" stop -t 10 "$VM" >/dev/null || true

echo
echo "boot to serial prompt under TCG (1 vCPU): first boot with cloud-init ${BOOT1:-?} s, second boot ${BOOT2:-?} s, without a seed ${BOOT3:-?} s"
if ((fails)); then echo "$fails check(s) failed"; exit 1; fi
echo "all checks passed"
