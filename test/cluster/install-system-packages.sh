#!/usr/bin/env bash
# Installs the Debian packages the tests need, only those that are missing.
set -euo pipefail

packages=(
  postgresql   # throwaway PostgreSQL clusters (initdb, postgres)
  openssl      # the test control plane's certificates
  util-linux   # setpriv: parent-death signal, running postgres as its own user
  ca-certificates
  # the test node: container runtime, pod network, Service routing
  containerd runc containernetworking-plugins iptables conntrack
  # images without Docker: OCI layouts, docker-archive export, the static pause binary
  umoci skopeo gcc libc6-dev
  fonts-dejavu-core   # the fonts images with charts install (copied into the local base image)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "[system-packages] installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
