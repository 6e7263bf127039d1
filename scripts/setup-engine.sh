#!/usr/bin/env bash
# Set up the container engine for labhub's local runtime: install Podman with netavark and
# aardvark-dns (runc, iptables) and move an existing Podman from CNI to netavark, so that machines
# of a lab resolve each other by name. What `labhub doctor` names as the fix for the network check.
set -euo pipefail
source "$(dirname "$0")/lib/install.sh"

install_debian_packages "${runtime_packages[@]}"
use_netavark
say "Podman's network backend: $(podman info --format '{{.Host.NetworkBackend}}')"
