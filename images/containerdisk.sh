#!/usr/bin/env bash
# images/containerdisk.sh DISK IMAGE_NAME [--kernel FILE] [--initrd FILE]
#
# Wraps a VM disk into a KubeVirt containerDisk image: FROM scratch, the disk at
# /disk/disk.qcow2 owned by 107:107 (KubeVirt's qemu user). A disk with a backing
# file (an overlay) or in another format is first converted into a standalone
# qcow2. --kernel/--initrd add /boot/vmlinuz and /boot/initrd (for KubeVirt's
# kernelBoot: kernelPath: /boot/vmlinuz, initrdPath: /boot/initrd), e.g. for the
# tiny disk, which has no boot loader:
#   images/containerdisk.sh data/images/tiny.qcow2 labhub/tiny-disk \
#     --kernel data/images/tiny.vmlinuz --initrd data/images/tiny.initrd
# Built offline with `podman build` (FROM scratch pulls nothing); push it to a
# registry the cluster can reach yourself. Progress: `==> IMAGE: step` lines.
set -euo pipefail

die() { printf 'error: %s\n' "$*" >&2; exit 2; }
disk='' name='' kernel='' initrd=''
while (($#)); do
  case $1 in
    --kernel) kernel=${2:?--kernel needs a file}; shift ;;
    --initrd) initrd=${2:?--initrd needs a file}; shift ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) if [[ -z $disk ]]; then disk=$1; elif [[ -z $name ]]; then name=$1; else die "too many arguments"; fi ;;
  esac
  shift
done
[[ -n $disk && -n $name ]] || die "usage: containerdisk.sh DISK IMAGE_NAME [--kernel FILE] [--initrd FILE]"
[[ -f $disk ]] || die "no such disk: $disk"
[[ -z $kernel || -f $kernel ]] || die "no such kernel: $kernel"
[[ -z $initrd || -f $initrd ]] || die "no such initrd: $initrd"
step() { printf '==> %s: %s\n' "$name" "$*"; }

ctx=$(mktemp -d "${TMPDIR:-/tmp}/labhub-containerdisk.XXXXXX")
trap 'rm -rf "$ctx"' EXIT

info=$(qemu-img info --output=json "$disk")
fmt=$(sed -n 's/^ *"format": "\(.*\)",*$/\1/p' <<<"$info" | head -n1)
if [[ $fmt == qcow2 ]] && ! grep -q '"backing-filename"' <<<"$info"; then
  step "copy $disk"
  cp --reflink=auto "$disk" "$ctx/disk.qcow2"
else
  step "convert $disk ($fmt$(grep -q '"backing-filename"' <<<"$info" && echo ', with backing file')) to a standalone qcow2"
  qemu-img convert -O qcow2 "$disk" "$ctx/disk.qcow2"
fi

{
  echo 'FROM scratch'
  echo 'ADD --chown=107:107 disk.qcow2 /disk/'
  if [[ -n $kernel ]]; then cp "$kernel" "$ctx/vmlinuz"; echo 'ADD --chown=107:107 vmlinuz /boot/'; fi
  if [[ -n $initrd ]]; then cp "$initrd" "$ctx/initrd"; echo 'ADD --chown=107:107 initrd /boot/'; fi
  echo "LABEL org.opencontainers.image.title=\"$name\" io.labhub.containerdisk=\"true\""
} >"$ctx/Containerfile"

step "podman build"
podman --runtime runc build --quiet --pull=never -f "$ctx/Containerfile" -t "$name" "$ctx" >/dev/null
step "built $name ($(podman image inspect --format '{{.Size}}' "$name") bytes)"
