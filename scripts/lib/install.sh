# Shared install steps for scripts/start.sh and scripts/test.sh: everything a fresh
# Debian 12 machine with Node 20 needs, done only when missing, so re-runs are quick.
# Sourced, not executed.

root_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Debian packages labhub uses at run time: the container engine and what base images are built with.
# netavark + aardvark-dns give Podman the network backend whose networks resolve machine names;
# without them Podman 4.3 falls back to CNI with no DNS (issue 14).
runtime_packages=(podman runc netavark aardvark-dns iptables uidmap slirp4netns fuse-overlayfs debootstrap qemu-system-x86 qemu-utils busybox-static xorriso socat)
# Extra packages the test suite needs: a browser for the end-to-end tests and PostgreSQL's server.
test_packages=(chromium postgresql gcc)

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
