#!/usr/bin/env bash
# `pnpm image`: builds the daemon image (the local base image first when missing) with podman and runs it against
# the test apiserver (scripts/image/build.sh, then the image smoke test: read-only root filesystem, uid 10000,
# kubeconfig mounted read-only; /ready turns 200 and a change reaches a loopback receiver).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/toolchain.sh
bash scripts/image/build.sh >/dev/null
WATCH_PROXY_IMAGE_BUILT=1 pnpm exec vitest run --project integration packages/cli/test/image
