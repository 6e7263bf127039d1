# shellcheck shell=bash
# shellcheck disable=SC2034  # RECIPE_* are read by images/build.sh
# debian — a full Debian bookworm VM disk, built on request (`images/build.sh
# debian`, not part of the default set): systemd, udev, systemd-networkd (DHCP
# on the NIC, search domains) + systemd-resolved, cloud-init (NoCloud only),
# openssh-server, a root shell on the serial console (ttyS0, autologin: the lab
# terminal) and a light graphical session on the VGA screen (Xorg + openbox +
# tint2 + xterm, autologin of the user `learner` on tty1 via startx).
# The root file system fills the whole disk (ext4 on /dev/vda, no partition
# table, grown to the disk's size at boot); it boots with -kernel/-initrd:
# debian.vmlinuz (Debian's kernel) and debian.initrd (initramfs-tools, a short
# module list) are written next to debian.qcow2 (compressed qcow2, 4 GiB virtual).
# Files: rootfs/ (copied over the root file system), learner/ (the learner's
# dot files), verify.sh (boots the disk in labhub/vm-launcher and checks it).
RECIPE_KIND=vmdisk
RECIPE_ESTIMATE='about 6 min'
RECIPE_FILES=(debian.qcow2 debian.vmlinuz debian.initrd)
# the checks are no part of the image: changing them rebuilds nothing
RECIPE_UNHASHED=(verify.sh runtime-check.ts)
DEBIAN_DISK_SIZE=${DEBIAN_DISK_SIZE:-4G}

# Depends only (debootstrap --include): anything recommended that is wanted is listed,
# and so are providers of virtual packages (debootstrap does not pick them):
# dbus-user-session (dbus-session-bus), python3-cffi-backend (python3-cffi-backend-api-*).
DEBIAN_PACKAGES=(
  # boot, init, devices
  linux-image-amd64 initramfs-tools zstd systemd-sysv udev kmod dbus libpam-systemd
  e2fsprogs
  # network: systemd-networkd (part of systemd) + resolved; polkitd lets networkd
  # set the hostname from DHCP through hostnamed (systemd ships the polkit rule)
  systemd-resolved polkitd libnss-myhostname iproute2 iputils-ping netbase ca-certificates curl
  # cloud-init and friends (growpart for images with partitions, sudo for its users)
  cloud-init cloud-guest-utils sudo python3-cffi-backend
  openssh-server
  # a usable shell (no bash-completion: it adds seconds to every login without KVM)
  less nano vim-tiny procps psmisc file
  # graphical session on the VGA screen: Xorg (modesetting on bochs DRM, fbdev as
  # fallback) started as root by the legacy wrapper, openbox, tint2, xterm
  xserver-xorg-core xserver-xorg-legacy xserver-xorg-video-fbdev xserver-xorg-input-libinput
  xinit x11-xserver-utils openbox tint2 xterm xfonts-base fonts-dejavu-core dbus-user-session
)

debian_chroot() { run chroot "$DEBIAN_ROOT" "$@"; }

debian_umount() {
  local m
  for m in "$DEBIAN_ROOT/sys" "$DEBIAN_ROOT/proc"; do
    if mountpoint -q "$m"; then umount "$m" || umount -l "$m"; fi
    ! mountpoint -q "$m" || die "debian: cannot unmount $m"
  done
}

recipe_build() {
  local out=$1 hash=$2 r=$LABHUB_IMAGES_DIR/debian
  local root=$WORK/rootfs
  DEBIAN_ROOT=$root

  step "debootstrap $LABHUB_SUITE minbase + ${#DEBIAN_PACKAGES[@]} packages from $(debian_mirror) (about 4 min)"
  debootstrap_rootfs "$root" "${DEBIAN_PACKAGES[@]}"

  step "configure: systemd units, network, cloud-init, learner, graphical session"
  overlay_files "$root" debian
  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  chmod 0440 "$root/etc/sudoers.d/labhub-learner"
  chmod 0755 "$root"/usr/local/bin/* "$root"/usr/local/sbin/* "$root"/etc/initramfs-tools/scripts/init-top/labhub-banner
  # the learner: autologin on tty1 (the graphical session), sudo without a password
  local groups=sudo,video,audio,input
  ! grep -q '^netdev:' "$root/etc/group" || groups+=,netdev
  debian_chroot useradd --create-home --uid 1000 --user-group --shell /bin/bash \
    --comment Learner --groups "$groups" learner
  cp -a --no-preserve=ownership "$r/learner/." "$root/home/learner/"
  debian_chroot chown -R learner:learner /home/learner
  # openbox's default rc.xml also reads the (absent) Debian menu: give it an empty one
  mkdir -p "$root/var/lib/openbox"
  printf '<openbox_menu xmlns="http://openbox.org/3.4/menu"/>\n' >"$root/var/lib/openbox/debian-menu.xml"
  debian_chroot systemctl enable systemd-networkd.service systemd-resolved.service \
    serial-getty@ttyS0.service labhub-hostname.service labhub-ssh-keygen.service
  # timers that would wake a lab VM for nothing (apt downloads have no network anyway)
  debian_chroot systemctl mask apt-daily.timer apt-daily-upgrade.timer
  # e2scrub is for LVM snapshots; its boot-time reaper took 40 s without KVM
  debian_chroot systemctl mask e2scrub_reap.service e2scrub_all.timer
  debian_chroot systemctl set-default multi-user.target

  local kver
  kver=$(basename "$(ls -d "$root"/lib/modules/* | tail -n1)")
  step "initramfs (kernel $kver, MODULES=list)"
  debian_chroot update-initramfs -u -k "$kver"
  cp "$root/boot/vmlinuz-$kver" "$WORK/debian.vmlinuz"
  cp "$root/boot/initrd.img-$kver" "$WORK/debian.initrd"
  echo "$kver" >"$root/etc/labhub-kernel"
  debian_umount

  # per-VM identity is made at first boot: machine id, SSH host keys, random seed
  rm -f "$root"/etc/ssh/ssh_host_* "$root/var/lib/systemd/random-seed" "$root/var/lib/dbus/machine-id"
  slim_rootfs "$root" keep-man
  : >"$root/etc/machine-id"
  ln -sf /etc/machine-id "$root/var/lib/dbus/machine-id"
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n' >"$root/etc/hosts"
  ln -sf ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
  rm -rf "$root/debootstrap"

  step "root file system ($DEBIAN_DISK_SIZE ext4, $(du -sm "$root" | cut -f1) MB used)"
  run mkfs.ext4 -q -F -L debian -E root_owner=0:0 -d "$root" "$WORK/debian.raw" "$DEBIAN_DISK_SIZE"
  step "convert to compressed qcow2 (about 1 min)"
  run qemu-img convert -c -f raw -O qcow2 "$WORK/debian.raw" "$WORK/debian.qcow2"
  rm -f "$WORK/debian.raw"

  # new files in place; the disk last, then the hash that vouches for all three
  rm -f "$out/debian.qcow2.recipe-hash"
  mv -f "$WORK/debian.vmlinuz" "$out/debian.vmlinuz"
  mv -f "$WORK/debian.initrd" "$out/debian.initrd"
  mv -f "$WORK/debian.qcow2" "$out/debian.qcow2"
  chmod 0644 "$out"/debian.{qcow2,vmlinuz,initrd}
  echo "$hash" >"$out/debian.qcow2.recipe-hash"
  step "wrote $out/debian.qcow2 ($(du -m "$out/debian.qcow2" | cut -f1) MB, $DEBIAN_DISK_SIZE virtual), debian.vmlinuz, debian.initrd (kernel $kver)"
}
