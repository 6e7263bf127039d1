# Shared install steps for scripts/start.sh and scripts/test.sh: everything a fresh
# Debian 12 machine with Node 20 needs, done only when missing, so re-runs are quick.
# Sourced, not executed.

root_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Debian packages labhub uses at run time: the container engine and what base images are built with.
# netavark + aardvark-dns give Podman the network backend whose networks resolve machine names;
# without them Podman 4.3 falls back to CNI with no DNS (issue 14).
runtime_packages=(podman runc netavark aardvark-dns iptables uidmap slirp4netns fuse-overlayfs debootstrap qemu-system-x86 qemu-utils busybox-static xorriso socat)
# Extra packages the test suite needs: a browser for the end-to-end tests, PostgreSQL's server, and
# Docker Engine, which the runtime conformance suite also runs against (its own dockerd, started by the test).
test_packages=(chromium postgresql gcc docker.io)

install_debian_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  # PostgreSQL's server binaries may already be on the machine outside the Debian package.
  if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    missing=("${missing[@]/postgresql/}")
  fi
  missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    say "missing Debian packages: ${missing[*]} (run as root, or install them with apt-get)"
    return 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Docker Engine is for the tests, which start a dockerd of their own. The system's dockerd that the
  # package starts would change the host's firewall (FORWARD policy DROP) under Podman's networks.
  if [[ " ${missing[*]} " == *" docker.io "* ]] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    say "docker.io: stopping and disabling the system's dockerd (the tests start their own)"
    systemctl disable --now docker.service docker.socket >/dev/null 2>&1 || true
  fi
}

# Podman's network backend must be netavark with aardvark-dns: under CNI, lab networks have no DNS and
# machines cannot find each other by name (issue 14). Podman keeps the backend it chose first
# (/var/lib/containers/storage/defaultNetworkBackend), so a machine that ran Podman before netavark
# was installed stays on CNI until containers.conf says otherwise. Idempotent: nothing to do once
# Podman runs netavark. Stops with one sentence when moving would lose networks labhub did not make.
netavark_dropin=/etc/containers/containers.conf.d/50-labhub-netavark.conf

use_netavark() {
  command -v podman >/dev/null || return 0
  local backend
  backend=$(podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null) || {
    say "podman info failed: run it to see why, then run again"
    return 1
  }
  [ "$backend" = netavark ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    say "Podman runs its $backend network backend, whose lab networks cannot resolve machine names: run as root: bash scripts/setup-engine.sh"
    return 1
  fi
  # The networks of the CNI backend: its default "podman" comes back under netavark, labhub's own
  # are made again when their instances start; any other would be lost.
  local name foreign=()
  while read -r name; do
    [ -z "$name" ] || [ "$name" = podman ] && continue
    [ -n "$(podman network inspect --format '{{index .Labels "labhub.io/instance"}}' "$name" 2>/dev/null)" ] || foreign+=("$name")
  done < <(podman network ls --format '{{.Name}}' 2>/dev/null)
  if [ ${#foreign[@]} -gt 0 ]; then
    say "Podman runs its CNI network backend (no DNS for lab machines) and has networks labhub did not make (${foreign[*]}): move them yourself (podman network rm ${foreign[*]}), then run: bash scripts/setup-engine.sh"
    return 1
  fi
  # A running container keeps its CNI network until it stops; stopped ones start again on netavark.
  if [ -n "$(podman ps -q --filter label=labhub.io/instance)" ]; then
    say "labhub instances are running on CNI networks: stop them first (Stop in labhub, or podman stop \$(podman ps -q --filter label=labhub.io/instance)), then run: bash scripts/setup-engine.sh"
    return 1
  fi
  say "moving Podman from $backend to netavark + aardvark-dns ($netavark_dropin)"
  mkdir -p "$(dirname "$netavark_dropin")"
  printf '# Written by labhub (scripts/lib/install.sh): netavark + aardvark-dns give lab networks DNS (issue 14).\n[network]\nnetwork_backend = "netavark"\n' >"$netavark_dropin"
  restart_podman_service "${LABHUB_ENGINE_SOCKET:-/run/podman/podman.sock}"
  backend=$(podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null || true)
  if [ "$backend" != netavark ]; then
    say "Podman still reports the '$backend' network backend after $netavark_dropin: check /etc/containers/containers.conf for another network_backend"
    return 1
  fi
}

# Podman's API service reads containers.conf when it starts: one already answering on the socket
# keeps the old backend. labhub starts it again on its next start (a running labhub: restart it).
restart_podman_service() {
  local socket=$1 pid
  pid=$(ss -xlpn 2>/dev/null | awk -v s="$socket" '$5 == s' | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2)
  [ -n "$pid" ] || return 0
  if [ "$pid" = 1 ]; then
    say "restarting podman.service (socket-activated on $socket)"
    systemctl restart podman.service >/dev/null 2>&1 || true
  else
    say "stopping Podman's API service on $socket (pid $pid); labhub starts it again (restart labhub if it is running)"
    kill "$pid" 2>/dev/null || true
  fi
}

install_node_modules() {
  cd "$root_dir"
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

build_labhub() {
  cd "$root_dir"
  say "building labhub"
  npm run --silent build
}
