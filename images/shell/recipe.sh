# shellcheck shell=bash
# shellcheck disable=SC2034  # RECIPE_* are read by images/build.sh
# labhub/shell — terminal-only machine: Debian bookworm minbase + the usual tools.
# Sourced by images/build.sh (see the recipe interface there). The same image for
# clusters: images/shell/Containerfile. Files in rootfs/ are copied over the root.
RECIPE_KIND=container
RECIPE_ESTIMATE='about 1 min'
RECIPE_KEEP_MAN=1   # man-db is part of the image, so keep the man pages
# bash and coreutils are in minbase already; tini is PID 1 (reaps zombies, forwards signals)
SHELL_PACKAGES=(bash coreutils procps iproute2 iputils-ping curl ca-certificates less vim-tiny nano man-db tini)
RECIPE_PACKAGES=("${SHELL_PACKAGES[@]}")
SHELL_CHANGES=(
  'ENV TERM=xterm-256color'
  'ENV LANG=C.UTF-8'
  'ENV LC_ALL=C.UTF-8'
  'WORKDIR /root'
  'ENTRYPOINT ["/usr/bin/tini", "--"]'
)
RECIPE_CHANGES=("${SHELL_CHANGES[@]}" 'CMD ["sleep", "infinity"]')

# shell_customize ROOT — shared with images that build on labhub/shell
shell_customize() {
  local root=$1
  # interactive bash (login or not) sources the labhub prompt
  if ! grep -q labhub "$root/etc/bash.bashrc"; then
    printf '\n# labhub prompt and defaults\n[ -r /etc/labhub/bashrc ] && . /etc/labhub/bashrc\n' >>"$root/etc/bash.bashrc"
  fi
  # ping: drop the file capability (cap_net_raw+ep) set by its postinst — exec of a
  # binary with file caps fails with EPERM when the container lacks NET_RAW (Podman's
  # default). Without it ping uses ICMP datagram sockets (net.ipv4.ping_group_range),
  # or raw sockets when the container does have NET_RAW.
  chroot "$root" setcap -r /usr/bin/ping 2>/dev/null || true
  # vi / editor point at the installed editors (update-alternatives ran in debootstrap)
  chroot "$root" update-alternatives --set editor /usr/bin/vim.tiny >/dev/null 2>&1 || true
}
recipe_customize() { shell_customize "$1"; }
