# shellcheck shell=bash
# Shared helpers for images/build.sh (sourced, never executed).
#
# Everything an image recipe needs: progress output, the Debian mirror taken
# from the machine's apt sources, the recipe hash, a debootstrap wrapper with a
# package cache, safe clean-up of staging root filesystems, and the podman
# wrapper (runc + explicit ulimits, see docs/environment.md).

LABHUB_IMAGES_DIR=${LABHUB_IMAGES_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
LABHUB_IMAGE_CACHE=${LABHUB_IMAGE_CACHE:-/var/cache/labhub/images}
LABHUB_SUITE=${LABHUB_SUITE:-bookworm}
LABHUB_HASH_LABEL=labhub.io/recipe-hash
# podman must use runc here (crun fails: "cgroups in hybrid mode not supported");
# containers started by hand also need --ulimit nofile=4096:4096 --ulimit nproc=4096:4096
LABHUB_PODMAN=(podman --runtime runc)

# ---------------------------------------------------------------- output
# `==> NAME: step` lines on stdout are the interface for callers; everything
# noisy goes to the build log (stderr when LABHUB_IMAGE_VERBOSE=1).
step() { printf '==> %s: %s\n' "${IMAGE_NAME:-images}" "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

# run CMD... with its output in the log; on failure show the log's tail.
# CMD runs in its own process group, in the background while we `wait` for it, so
# a SIGTERM/SIGINT to the build is handled at once: stop_running kills the whole
# group (debootstrap's dpkg in the chroot included) before the staging dir goes.
RUN_PGID=''
run() {
  local rc=0 log=$BUILD_LOG
  [[ ${LABHUB_IMAGE_VERBOSE:-0} == 1 ]] && log=/dev/stderr
  setsid "$@" <&0 >>"$log" 2>&1 &
  RUN_PGID=$!
  wait "$RUN_PGID" || rc=$?
  RUN_PGID=''
  if ((rc != 0)); then
    printf 'error: command failed (exit %d): %s\n' "$rc" "$*" >&2
    if [[ $log != /dev/stderr ]]; then
      printf -- '--- last lines of %s ---\n' "$BUILD_LOG" >&2
      tail -n 25 "$BUILD_LOG" >&2
    fi
    return "$rc"
  fi
}
stop_running() {
  [[ -n $RUN_PGID ]] || return 0
  kill -TERM -- "-$RUN_PGID" 2>/dev/null || true
  local _
  for _ in $(seq 50); do
    kill -0 -- "-$RUN_PGID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$RUN_PGID" 2>/dev/null || true
  wait "$RUN_PGID" 2>/dev/null || true
  RUN_PGID=''
}

# ---------------------------------------------------------------- mirror
# The Debian mirror of this machine: the first `URIs:` of a deb822 source for the
# main suite (/etc/apt/sources.list.d/*.sources), else the first matching
# `deb` line of /etc/apt/sources.list or sources.list.d/*.list.
# LABHUB_DEBIAN_MIRROR overrides it.
debian_mirror() {
  if [[ -n ${LABHUB_DEBIAN_MIRROR:-} ]]; then
    printf '%s\n' "$LABHUB_DEBIAN_MIRROR"
    return
  fi
  local f uri
  shopt -s nullglob
  for f in /etc/apt/sources.list.d/*.sources; do
    uri=$(awk -v suite="$LABHUB_SUITE" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && enabled != "no" && uris != "") {
          split(uris, u, " "); print u[1]; found = 1; exit
        }
        types = ""; suites = ""; uris = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
        if (key == "types") types = $0
        else if (key == "suites") suites = $0
        else if (key == "uris") uris = $0
        else if (key == "enabled") enabled = tolower($0) }
      END { if (!found) flush() }' "$f")
    if [[ -n $uri ]]; then
      shopt -u nullglob
      printf '%s\n' "$uri"
      return
    fi
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    uri=$(awk -v suite="$LABHUB_SUITE" '
      $1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                    if ($(i + 1) == suite) { print $i; exit } }' "$f")
    if [[ -n $uri ]]; then
      shopt -u nullglob
      printf '%s\n' "$uri"
      return
    fi
  done
  shopt -u nullglob
  die "no Debian mirror for '$LABHUB_SUITE' in /etc/apt/sources.list{,.d/} (set LABHUB_DEBIAN_MIRROR)"
}

# ---------------------------------------------------------------- recipe hash
# sha256 over the names and contents of every file of the given folders
# (relative to images/), so any change to a recipe, its files or the shared lib
# changes the hash.
recipe_hash() {
  (
    cd "$LABHUB_IMAGES_DIR" || exit 2
    find "$@" -type f ! -name '*~' ! -name '.*.swp' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  ) | sha256sum | cut -c1-64
}

# ---------------------------------------------------------------- staging dirs
# Unmount anything below DIR (debootstrap mounts proc/sys inside it), then delete it
# without ever crossing into another filesystem.
remove_tree() {
  local dir=$1 m
  [[ -n $dir && $dir != / && -e $dir ]] || return 0
  dir=$(realpath "$dir")
  while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$dir/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r)
  rm -rf --one-file-system "$dir"
}

# ---------------------------------------------------------------- debootstrap
# debootstrap_rootfs DIR PKG... — minbase bookworm with PKG... (Depends only,
# no Recommends), downloaded .debs kept in $LABHUB_IMAGE_CACHE/debs.
debootstrap_rootfs() {
  local dir=$1
  shift
  local include
  include=$(IFS=,; printf '%s' "$*")
  mkdir -p "$LABHUB_IMAGE_CACHE/debs"
  if ! run debootstrap --variant=minbase --cache-dir="$LABHUB_IMAGE_CACHE/debs" \
    --include="$include" "$LABHUB_SUITE" "$dir" "$(debian_mirror)"; then
    if [[ -f $dir/debootstrap/debootstrap.log ]]; then
      cp "$dir/debootstrap/debootstrap.log" "$BUILD_LOG.debootstrap"
      printf -- '--- last lines of %s ---\n' "$BUILD_LOG.debootstrap" >&2
      tail -n 30 "$dir/debootstrap/debootstrap.log" >&2
    fi
    return 1
  fi
}

# copy DIR/rootfs/ of each listed recipe folder over the root filesystem
overlay_files() {
  local root=$1 d
  shift
  for d in "$@"; do
    if [[ -d $LABHUB_IMAGES_DIR/$d/rootfs ]]; then
      cp -a --no-preserve=ownership "$LABHUB_IMAGES_DIR/$d/rootfs/." "$root/"
    fi
  done
}

# slim_rootfs DIR [keep-man] — drop caches, logs, docs (man pages only without keep-man)
slim_rootfs() {
  local root=$1 keep_man=${2:-}
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old "$root"/var/log/*.log "$root"/var/log/apt/* \
    "$root"/usr/share/info/* "$root"/usr/share/lintian "$root"/usr/share/linda "$root"/tmp/* "$root"/root/.cache
  # translations: the images run with LANG=C.UTF-8
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  # docs: keep only the copyright files
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete 2>/dev/null || true
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  if [[ $keep_man != keep-man ]]; then
    rm -rf "$root"/usr/share/man/* "$root"/var/cache/man
  fi
  # the runtime provides these
  rm -f "$root/etc/hostname" "$root/etc/resolv.conf" "$root/etc/hosts"
  : >"$root/etc/hostname"
  if [[ -f $root/etc/machine-id ]]; then : >"$root/etc/machine-id"; fi
}

# ---------------------------------------------------------------- podman
podman_image_hash() {
  "${LABHUB_PODMAN[@]}" image inspect --format "{{ index .Labels \"$LABHUB_HASH_LABEL\" }}" "$1" 2>/dev/null || true
}

# podman_import DIR NAME HASH -- CHANGE... (each CHANGE is a Containerfile
# instruction accepted by `podman import --change`)
podman_import() {
  local root=$1 name=$2 hash=$3
  shift 3
  [[ ${1:-} == -- ]] && shift
  local args=(--change "LABEL $LABHUB_HASH_LABEL=$hash" --change "LABEL org.opencontainers.image.title=$name")
  local c
  for c in "$@"; do args+=(--change "$c"); done
  # no --xattrs: file capabilities make exec fail (EPERM) in containers without those caps
  tar -C "$root" --numeric-owner -c . |
    run "${LABHUB_PODMAN[@]}" import "${args[@]}" --message "labhub images/build.sh $name" - "$name"
}
