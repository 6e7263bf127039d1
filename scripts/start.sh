#!/usr/bin/env bash
# Quick start: install what is missing, build, and start labhub on http://localhost:8080
# with its embedded defaults (local runtime, SQLite in ./data, the demo labs in ./labs).
set -euo pipefail
source "$(dirname "$0")/lib/install.sh"

install_debian_packages "${runtime_packages[@]}"
use_netavark
install_node_modules
build_labhub
cd "$root_dir"
say "building missing base images (first start only; a few minutes)"
node dist/server/cli.js images build labhub/shell labhub/desktop
say "starting labhub"
exec npm start --silent
