#!/usr/bin/env bash
# Installs what building and running the image needs on a Debian machine (CI runs this; a warm machine does
# nothing): podman and its runtime parts, debootstrap for the local base image. Debian's own packages,
# --no-install-recommends (~20 s). Needs root (or sudo).
set -euo pipefail
packages=(podman buildah runc conmon catatonit debootstrap uidmap slirp4netns fuse-overlayfs containernetworking-plugins
  golang-github-containers-common iptables)
if command -v podman >/dev/null 2>&1 && command -v debootstrap >/dev/null 2>&1 && command -v runc >/dev/null 2>&1; then
  podman --version
  exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "image: no apt-get here; install podman, runc and debootstrap yourself" >&2; exit 3; }
sudo=""
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "image: installing podman needs root" >&2; exit 3; }
  sudo=sudo
fi
$sudo apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null
podman --version
