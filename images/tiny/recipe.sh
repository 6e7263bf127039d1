# shellcheck shell=bash
# shellcheck disable=SC2034  # RECIPE_* are read by images/build.sh
# tiny — a VM disk that boots in seconds without KVM: Debian's kernel
# (linux-image-amd64, taken apart with apt-get download + dpkg-deb -x; nothing is
# installed on the host) + a busybox-static userland on an ext4 root file system
# in tiny.qcow2. The kernel and a module-loading initramfs are written next to it
# (tiny.vmlinuz, tiny.initrd): boot with -kernel/-initrd (labhub-launch:
# VM_KERNEL/VM_INITRD). Files: initramfs/ (the initramfs /init), rootfs/ (copied
# over the disk's root), modules.list (modules the initramfs loads),
# modules-late.list (modules loaded in the background after boot).
RECIPE_KIND=vmdisk
RECIPE_ESTIMATE='about 15 s'
RECIPE_FILES=(tiny.qcow2 tiny.vmlinuz tiny.initrd)
TINY_DISK_SIZE=${TINY_DISK_SIZE:-128M}

# apt_download DIR PKG... — .debs via the host's apt (its sources = our mirror)
tiny_apt_download() {
  local dir=$1
  shift
  mkdir -p "$dir"
  # apt's _apt user must be able to write there, else apt warns (and downloads as root)
  chmod 0777 "$dir" 2>/dev/null || true
  if ! (cd "$dir" && run apt-get download "$@"); then
    step "apt-get update (package lists are stale)"
    run apt-get update -qq
    (cd "$dir" && run apt-get download "$@")
  fi
}

# tiny_list FILE — the names in a list file (no comments, no blank lines)
tiny_list() { sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$1"; }

# tiny_module_order MODDIR NAME... — the modules and their dependencies, each after
# what it depends on (from the modules' own depends= fields; the kernel package
# ships no modules.dep and the host may have no depmod)
tiny_module_order() {
  local moddir=$1
  shift
  declare -gA TINY_KO=()
  local f n
  while IFS= read -r f; do
    n=$(basename "$f" .ko)
    TINY_KO[${n//-/_}]=$f
  done < <(find "$moddir" -name '*.ko')
  declare -gA TINY_SEEN=()
  TINY_ORDER=()
  for n in "$@"; do tiny_visit "${n//-/_}"; done
}
tiny_visit() {
  local n=$1 d deps
  [[ -z ${TINY_SEEN[$n]:-} ]] || return 0
  TINY_SEEN[$n]=1
  if [[ -z ${TINY_KO[$n]:-} ]]; then
    # built into the kernel (or not there at all)
    grep -q "/$n.ko" "$TINY_MODROOT/modules.builtin" 2>/dev/null || warn "tiny: module $n not found"
    return 0
  fi
  deps=$("$TINY_BUSYBOX" strings "${TINY_KO[$n]}" | sed -n 's/^depends=//p' | head -n1)
  for d in ${deps//,/ }; do tiny_visit "${d//-/_}"; done
  TINY_ORDER+=("$n")
}

# tiny_vmlinux BZIMAGE OUT — the uncompressed ELF kernel inside a bzImage. QEMU
# boots it through its PVH entry point (Debian: CONFIG_PVH=y) and so skips the xz
# decompression, which takes ~2.5 s under TCG (boot to prompt ~6.3 s -> ~4 s).
tiny_vmlinux() {
  local k=$1 out=$2 ss po pl off magic dec
  ss=$(od -An -tu1 -N1 -j $((0x1f1)) "$k" | tr -d ' ')
  ((ss)) || ss=4
  po=$(od -An -tu4 -N4 -j $((0x248)) "$k" | tr -d ' ')
  pl=$(od -An -tu4 -N4 -j $((0x24c)) "$k" | tr -d ' ')
  off=$(((ss + 1) * 512 + po))
  magic=$(od -An -tx1 -N4 -j "$off" "$k" | tr -d ' \n')
  case $magic in
    fd377a58) dec=(xz -dcq) ;;
    1f8b08*) dec=(gzip -dcq) ;;
    28b52ffd) dec=(zstd -dcq) ;;
    *) return 1 ;;
  esac
  # the payload ends with its 4-byte decompressed size, which xz calls truncation
  tail -c +$((off + 1)) "$k" | head -c "$pl" | "${dec[@]}" >"$out" 2>/dev/null || true
  [[ $(head -c 4 "$out" | od -An -tx1 | tr -d ' \n') == 7f454c46 ]]
}

recipe_build() {
  local out=$1 hash=$2 r=$LABHUB_IMAGES_DIR/tiny
  local debs=$LABHUB_IMAGE_CACHE/debs-tiny
  local kpkg
  kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [[ -n $kpkg ]] || die "cannot resolve linux-image-amd64 (apt-get update?)"
  step "apt-get download $kpkg busybox-static"
  if ! compgen -G "$debs/${kpkg}_*.deb" >/dev/null || ! compgen -G "$debs/busybox-static_*.deb" >/dev/null; then
    tiny_apt_download "$debs" "$kpkg" busybox-static
  fi

  step "unpack kernel and busybox"
  local kx=$WORK/kernel bx=$WORK/busybox
  mkdir -p "$kx" "$bx"
  # only vmlinuz and the modules are needed
  dpkg-deb --fsys-tarfile "$(ls "$debs/${kpkg}"_*.deb | tail -n1)" |
    tar -x -C "$kx" --wildcards './boot/vmlinuz-*' './lib/modules/*/kernel/drivers/*' \
      './lib/modules/*/kernel/fs/*' './lib/modules/*/kernel/lib/*' './lib/modules/*/kernel/crypto/*' \
      './lib/modules/*/kernel/net/*' './lib/modules/*/modules.builtin'
  dpkg-deb -x "$(ls "$debs"/busybox-static_*.deb | tail -n1)" "$bx"
  local kver
  kver=$(basename "$(ls -d "$kx"/lib/modules/*)")
  TINY_MODROOT=$kx/lib/modules/$kver
  local busybox=$bx/bin/busybox
  TINY_BUSYBOX=$busybox

  step "initramfs (kernel $kver)"
  local ird=$WORK/initramfs
  mkdir -p "$ird"/{bin,lib/modules,etc,proc,sys,dev,newroot}
  cp "$busybox" "$ird/bin/busybox"
  cp "$r/initramfs/init" "$ird/init"
  chmod 0755 "$ird/init" "$ird/bin/busybox"
  local m
  # shellcheck disable=SC2046  # one module name per line
  tiny_module_order "$TINY_MODROOT/kernel" $(tiny_list "$r/modules.list")
  : >"$ird/etc/modules"
  for m in "${TINY_ORDER[@]}"; do
    cp "${TINY_KO[$m]}" "$ird/lib/modules/$m.ko"
    echo "$m" >>"$ird/etc/modules"
  done
  # left uncompressed (5 MB): unpacking gzip costs ~0.3 s of boot under TCG
  (cd "$ird" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) >"$WORK/tiny.initrd"
  if [[ ${TINY_COMPRESSED_KERNEL:-0} == 1 ]] || ! tiny_vmlinux "$kx/boot/vmlinuz-$kver" "$WORK/tiny.vmlinuz"; then
    [[ ${TINY_COMPRESSED_KERNEL:-0} == 1 ]] || warn "tiny: cannot unpack the kernel, using the (slower to boot) bzImage"
    cp "$kx/boot/vmlinuz-$kver" "$WORK/tiny.vmlinuz"
  fi

  step "root file system ($TINY_DISK_SIZE ext4)"
  local root=$WORK/rootfs l
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,mnt,var/log,lib/modules}
  cp "$busybox" "$root/bin/busybox"
  chmod 0755 "$root/bin/busybox"
  while read -r l; do
    [[ $l == bin/busybox ]] && continue
    mkdir -p "$root/$(dirname "$l")"
    ln -sf /bin/busybox "$root/$l"
  done < <("$busybox" --list-full)
  cp -a --no-preserve=ownership "$r/rootfs/." "$root/"
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/root"
  echo "$kver" >"$root/etc/labhub-kernel"
  # late modules (rcS loads them in the background), minus what the initramfs loaded
  TINY_ORDER=()
  for m in $(tiny_list "$r/modules-late.list"); do tiny_visit "${m//-/_}"; done
  mkdir -p "$root/lib/modules/late"
  : >"$root/etc/modules-late"
  for m in "${TINY_ORDER[@]}"; do
    cp "${TINY_KO[$m]}" "$root/lib/modules/late/$m.ko"
    echo "$m" >>"$root/etc/modules-late"
  done
  : >"$root/etc/resolv.conf"
  run mkfs.ext4 -q -F -L tiny -m 0 -E root_owner=0:0 -d "$root" "$WORK/tiny.raw" "$TINY_DISK_SIZE"
  step "convert to qcow2"
  run qemu-img convert -f raw -O qcow2 "$WORK/tiny.raw" "$WORK/tiny.qcow2"

  # new files in place; the disk last, then the hash that vouches for all three
  rm -f "$out/tiny.qcow2.recipe-hash"
  mv -f "$WORK/tiny.vmlinuz" "$out/tiny.vmlinuz"
  mv -f "$WORK/tiny.initrd" "$out/tiny.initrd"
  mv -f "$WORK/tiny.qcow2" "$out/tiny.qcow2"
  chmod 0644 "$out"/tiny.{qcow2,vmlinuz,initrd}
  echo "$hash" >"$out/tiny.qcow2.recipe-hash"
  step "wrote $out/tiny.qcow2 ($(du -k "$out/tiny.qcow2" | cut -f1) KiB used, $TINY_DISK_SIZE virtual), tiny.vmlinuz, tiny.initrd"
}
