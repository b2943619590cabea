#!/usr/bin/env bash
# Builds the daemon image from the unchanged packages/cli/Dockerfile with podman, on a local stand-in for its base
# image (base.sh, made once and cached in the podman store), as ${WATCH_PROXY_IMAGE:-localhost/watch-proxy:dev}.
# podman's layer cache keeps a rebuild cheap: the dependency layer (pnpm fetch) is reused until the lockfile
# changes. Prints the build time and the image's layer sizes on stderr, the image name on stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
base="${WATCH_PROXY_BASE_IMAGE:-localhost/node:24-bookworm-slim}"
image="${WATCH_PROXY_IMAGE:-localhost/watch-proxy:dev}"
command -v podman >/dev/null 2>&1 || { echo "image: podman is missing (apt-get install podman; see docs/operations.md, \"Image\")" >&2; exit 3; }
. "$here/podman-env.sh"

bash "$here/base.sh" "$base"
start=$SECONDS
podman build --layers -f "$root/packages/cli/Dockerfile" --build-arg "NODE_IMAGE=$base" -t "$image" "$root" > "${TMPDIR:-/tmp}/watch-proxy-image-build.log" 2>&1 \
  || { tail -40 "${TMPDIR:-/tmp}/watch-proxy-image-build.log" >&2; exit 1; }
# The build stage's last layer, tagged (a cached no-op build) so that pruning the superseded builds, which would
# otherwise fill the store over many CI runs, keeps this build's layer cache (the pnpm fetch layer above all).
podman build --layers -f "$root/packages/cli/Dockerfile" --build-arg "NODE_IMAGE=$base" --target build -t "$image-build-cache" "$root" \
  >> "${TMPDIR:-/tmp}/watch-proxy-image-build.log" 2>&1 || true
echo "image: built $image in $((SECONDS - start)) s" >&2
podman image prune -f >/dev/null 2>&1 || true
podman history --format '{{.Size}}\t{{.CreatedBy}}' "$image" | grep -v '^0 B' | sed 's/^/image:   /' >&2
echo "$image"
