# shellcheck shell=bash
# shellcheck disable=SC2034  # RECIPE_* are read by images/build.sh
# labhub/vm-launcher — QEMU (x86, no Recommends) + networking tools + the start
# script /usr/local/bin/labhub-launch (environment documented at its top).
# Same image for clusters: images/vm-launcher/Containerfile.
RECIPE_KIND=container
RECIPE_ESTIMATE='about 1.5 min'
# busybox: udhcpd; xorriso: NoCloud seed ISOs; tini: PID 1, forwards signals to QEMU
RECIPE_PACKAGES=(qemu-system-x86 qemu-utils iproute2 busybox xorriso socat procps tini)
RECIPE_CHANGES=(
  'ENV LANG=C.UTF-8'
  'ENTRYPOINT ["/usr/bin/tini", "--"]'
  'CMD ["/usr/local/bin/labhub-launch"]'
)
recipe_customize() {
  chmod 0755 "$1/usr/local/bin/labhub-launch"
  mkdir -p "$1/run/labhub-vm"
}
