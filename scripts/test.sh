#!/usr/bin/env bash
# Install what is missing, build, type-check and run the whole test suite (unit, API against
# SQLite and PostgreSQL, runtime conformance on real Podman and QEMU, browser tests in Chromium).
set -euo pipefail
source "$(dirname "$0")/lib/install.sh"

install_debian_packages "${runtime_packages[@]}" "${test_packages[@]}"
use_netavark
install_node_modules
build_labhub
cd "$root_dir"
say "type-checking"
npm run --silent typecheck
say "running the tests"
exec npm test --silent
