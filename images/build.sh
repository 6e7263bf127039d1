#!/usr/bin/env bash
# images/build.sh — build labhub's base images from Debian packages (no registry).
#
#   images/build.sh NAME [--force] [--out DIR]   build one image (skipped when up to date)
#   images/build.sh --list [--all]               print the image names (--all: also those
#                                                built on request only, marked as such)
#   images/build.sh --check NAME [--out DIR]     exit 0 if NAME is up to date, 1 if not
#
# NAME: labhub/shell, labhub/desktop, labhub/vm-launcher (podman images) or
# tiny (VM disk, written to ${LABHUB_DATA_DIR:-./data}/images/ or --out DIR;
# --out is ignored for podman images). Built on request only (not in --list):
# debian (VM disk: Debian with systemd, cloud-init and a graphical session).
#
# A build is keyed by the sha256 of its recipe (the image's folder, the folders
# it builds on and images/lib/). Container images carry it as the label
# labhub.io/recipe-hash, VM disks in <disk>.recipe-hash. Progress: `==> NAME: step`
# lines on stdout; tool output goes to $LABHUB_IMAGE_CACHE/logs/<name>.log
# (LABHUB_IMAGE_VERBOSE=1 streams it to stderr).
#
# Environment: LABHUB_IMAGE_CACHE (default /var/cache/labhub/images: .deb cache,
# staging, logs), LABHUB_DATA_DIR (default ./data), LABHUB_DEBIAN_MIRROR (default:
# from /etc/apt/sources*).
# Exit codes: 0 ok / up to date, 1 --check: out of date, 2 usage or build error.
set -euo pipefail
shopt -s inherit_errexit

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"

IMAGES=(labhub/shell labhub/desktop labhub/vm-launcher tiny)
# built only when asked for by name: not in --list (the default set that the quick
# start, `labhub images build` and selftest.sh build), shown by --list --all
ON_REQUEST=(debian)

usage() {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

# recipe folder of an image name (labhub/shell -> shell; shell is accepted too)
recipe_dir() {
  local n
  for n in "${IMAGES[@]}" "${ON_REQUEST[@]}"; do
    if [[ $1 == "$n" || $1 == "${n#labhub/}" || $1 == "localhost/$n" ]]; then
      printf '%s\n' "${n#labhub/}"
      return
    fi
  done
  die "unknown image '$1' (try --list)"
}

canonical_name() {
  local d
  d=$(recipe_dir "$1")
  case $d in
    tiny | debian) printf '%s\n' "$d" ;;
    *) printf 'labhub/%s\n' "$d" ;;
  esac
}

mode=build force=0 name='' out='' all=0
while (($#)); do
  case $1 in
    --list) mode=list ;;
    --check) mode=check ;;
    --force) force=1 ;;
    --all) all=1 ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    --out=*) out=${1#--out=} ;;
    -h | --help) usage ;;
    -*) die "unknown option $1" ;;
    *) [[ -z $name ]] || die "only one NAME at a time"; name=$1 ;;
  esac
  shift
done

if [[ $mode == list ]]; then
  printf '%s\n' "${IMAGES[@]}"
  if ((all)); then printf '%s (built on request)\n' "${ON_REQUEST[@]}"; fi
  exit 0
fi
[[ -n $name ]] || usage

recipe_dir "$name" >/dev/null # dies on an unknown name
IMAGE_NAME=$(canonical_name "$name")
RECIPE=$(recipe_dir "$name")

# ---- recipe interface (images/<recipe>/recipe.sh) --------------------------
# RECIPE_KIND=container|vmdisk, RECIPE_BASES=(other recipe folders whose files
# are part of this image), RECIPE_ESTIMATE, and for containers RECIPE_PACKAGES,
# RECIPE_KEEP_MAN, RECIPE_CHANGES (podman import --change instructions) and an
# optional recipe_customize ROOT; for VM disks RECIPE_FILES (written to the
# output dir, the disk <recipe>.qcow2 first) and recipe_build OUTDIR HASH.
# RECIPE_UNHASHED: files of the recipe folder that are not part of the image
# (a check script), left out of the hash so that changing them rebuilds nothing.
RECIPE_KIND='' RECIPE_FILES=() RECIPE_BASES=() RECIPE_PACKAGES=() RECIPE_CHANGES=() RECIPE_KEEP_MAN=0 RECIPE_ESTIMATE='a few minutes'
RECIPE_UNHASHED=()
recipe_customize() { :; }
# shellcheck source=/dev/null
source "$LABHUB_IMAGES_DIR/$RECIPE/recipe.sh"

HASH_PATHS=(lib "$RECIPE" "${RECIPE_BASES[@]}")
if ((${#RECIPE_UNHASHED[@]})); then
  # the folder's files one by one (recipe_hash hashes them as it would in the folder)
  HASH_PATHS=(lib "${RECIPE_BASES[@]}")
  unhashed=()
  for f in "${RECIPE_UNHASHED[@]}"; do unhashed+=(! -path "$RECIPE/$f"); done
  while IFS= read -r -d '' f; do HASH_PATHS+=("$f"); done < <(cd "$LABHUB_IMAGES_DIR" && find "$RECIPE" -type f "${unhashed[@]}" -print0)
fi
HASH=$(recipe_hash "${HASH_PATHS[@]}")

if [[ $RECIPE_KIND == vmdisk ]]; then
  OUT_DIR=${out:-${LABHUB_DATA_DIR:-./data}/images}
  DISK="$OUT_DIR/$RECIPE.qcow2"
  current_hash() { cat "$DISK.recipe-hash" 2>/dev/null || true; }
  is_current() {
    local f
    for f in "${RECIPE_FILES[@]}"; do [[ -f $OUT_DIR/$f ]] || return 1; done
    [[ -f $DISK && $(current_hash) == "$HASH" ]]
  }
else
  # --out only concerns VM disks (accepted and ignored here, so callers can loop over --list)
  current_hash() { podman_image_hash "$IMAGE_NAME"; }
  is_current() { [[ $(current_hash) == "$HASH" ]]; }
fi

if [[ $mode == check ]]; then
  if is_current; then
    echo "$IMAGE_NAME is up to date (recipe ${HASH:0:12})"
    exit 0
  fi
  echo "$IMAGE_NAME needs a build (recipe ${HASH:0:12}, have '$(current_hash | cut -c1-12)')"
  exit 1
fi

if ((!force)) && is_current; then
  step "up to date (recipe ${HASH:0:12}), skipping build"
  exit 0
fi

[[ $(id -u) == 0 ]] || die "building images needs root (debootstrap, podman)"

# from here on any failing command ends the build with exit code 2
set -E
trap 'exit 2' ERR

# one build per image at a time (other builds of the same image wait)
mkdir -p "$LABHUB_IMAGE_CACHE/logs" "$LABHUB_IMAGE_CACHE/work"
exec 9>"$LABHUB_IMAGE_CACHE/${RECIPE}.lock"
if ! flock -n 9; then
  step "waiting for another build of $IMAGE_NAME"
  flock 9
  if ((!force)) && is_current; then
    step "up to date (built meanwhile), skipping build"
    exit 0
  fi
fi

BUILD_LOG="$LABHUB_IMAGE_CACHE/logs/${RECIPE}.log"
: >"$BUILD_LOG"
WORK=$(mktemp -d "$LABHUB_IMAGE_CACHE/work/${RECIPE}.XXXXXX")
cleanup() {
  stop_running
  remove_tree "$WORK"
}
trap cleanup EXIT
trap 'step "interrupted"; exit 130' INT TERM

START=$SECONDS
step "building (recipe ${HASH:0:12}, log $BUILD_LOG)"

if [[ $RECIPE_KIND == container ]]; then
  ROOT="$WORK/rootfs"
  step "debootstrap $LABHUB_SUITE minbase + ${#RECIPE_PACKAGES[@]} packages from $(debian_mirror) ($RECIPE_ESTIMATE)"
  debootstrap_rootfs "$ROOT" "${RECIPE_PACKAGES[@]}"
  step "configure root filesystem"
  overlay_files "$ROOT" "${RECIPE_BASES[@]}" "$RECIPE"
  recipe_customize "$ROOT"
  if ((RECIPE_KEEP_MAN)); then slim_rootfs "$ROOT" keep-man; else slim_rootfs "$ROOT"; fi
  step "podman import ($(du -sm "$ROOT" | cut -f1) MB, about 20 s)"
  podman_import "$ROOT" "$IMAGE_NAME" "$HASH" -- "${RECIPE_CHANGES[@]}"
  # the previous build of this name is left dangling: drop it if nothing uses it
  run "${LABHUB_PODMAN[@]}" image prune -f --filter "label=$LABHUB_HASH_LABEL" || true
elif [[ $RECIPE_KIND == vmdisk ]]; then
  mkdir -p "$OUT_DIR"
  recipe_build "$OUT_DIR" "$HASH"
else
  die "$RECIPE/recipe.sh: unknown RECIPE_KIND '$RECIPE_KIND'"
fi

step "done in $((SECONDS - START)) s"
